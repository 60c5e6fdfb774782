//! The staff web desk: the ticket queue, each ticket with its files and actions, unanswered
//! questions, and the operations endpoints, served over HTTP by the same binary (`serve` when
//! `ALUMNI_BOT_DESK_LISTEN` is set, or `alumni-bot desk` alone on the same database).
//!
//! Pages are rendered on the server from askama templates (`templates/desk/`), checked at
//! compile time and HTML-escaped by default; they work without JavaScript and load nothing
//! from elsewhere. Like the chat adapters, the desk only translates: a staff action goes
//! through `core::staff::act` and the outbox, exactly as from a staff chat or the CLI.
//!
//! - `auth`: sign-in, sessions, CSRF; `limit`: sign-in attempts.
//! - `queue`: `/tickets`; `ticket`: `/tickets/<REF>`, its files and actions.
//! - `gaps`: `/gaps`, what users asked that the bot could not answer.
//! - `ops`: `/healthz` and `/metrics`; `page`: rendering and the plain answers.

mod auth;
mod gaps;
mod limit;
mod ops;
mod page;
mod queue;
mod ticket;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{Redirect, Response};
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tracing::info;

use crate::config::{self, Secret};
use crate::core::Engine;
use crate::store::Store;

pub use auth::SESSION_COOKIE;

/// Where the desk listens when `alumni-bot desk` is given no address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8088";

/// Hours a sign-in lasts unless configured, and at most.
const SESSION_HOURS: u32 = 12;
const MAX_SESSION_HOURS: u32 = 24 * 30;

/// Passwords checked at once (Argon2id takes 19 MiB and tens of milliseconds each).
const HASHING_AT_ONCE: usize = 2;

/// The pages' Content-Security-Policy: nothing but this desk's own style sheet, images and
/// embedded files; no scripts at all; forms post only here; not framed by other sites.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; object-src 'self'; \
                   frame-src 'self'; form-action 'self'; frame-ancestors 'self'; base-uri 'none'";

/// What every request of the desk shares.
pub struct Desk {
    pub store: Store,
    /// The chat engine when the desk runs inside `serve` (its counters feed `/metrics`).
    pub engine: Option<Arc<Engine<Store>>>,
    limiter: limit::SignInLimiter,
    /// Cookies are marked Secure (the desk's public address is https).
    secure: bool,
    session_hours: u32,
    metrics_token: Option<Secret>,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    trusted_proxies: Vec<std::net::IpAddr>,
    /// Password checks at once.
    hashing: Arc<tokio::sync::Semaphore>,
    /// A hash an unknown login is checked against, so that it takes as long as a known one.
    decoy_hash: String,
}

pub type AppState = Arc<Desk>;

impl Desk {
    pub fn new(
        store: Store,
        engine: Option<Arc<Engine<Store>>>,
        settings: &config::Desk,
    ) -> anyhow::Result<AppState> {
        let decoy = crate::accounts::Password::typed(&auth::random_token());
        Ok(Arc::new(Desk {
            store,
            engine,
            limiter: limit::SignInLimiter::default(),
            secure: settings
                .public_url
                .as_deref()
                .and_then(|u| url::Url::parse(u).ok())
                .is_some_and(|u| u.scheme() == "https"),
            session_hours: settings
                .session_hours
                .unwrap_or(SESSION_HOURS)
                .clamp(1, MAX_SESSION_HOURS),
            metrics_token: settings.metrics_token.clone(),
            trusted_proxies: settings.trusted_proxies.clone(),
            hashing: Arc::new(tokio::sync::Semaphore::new(HASHING_AT_ONCE)),
            decoy_hash: crate::accounts::hash(&decoy)?,
        }))
    }
}

/// Every route of the desk. Signed out, only `/login`, `/static/…` and `/healthz` answer;
/// every other page redirects to `/login`, and anything else is refused.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/tickets") }))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/tickets", get(queue::page))
        .route("/tickets/{reference}", get(ticket::page))
        .route("/tickets/{reference}/actions", post(ticket::act))
        .route("/tickets/{reference}/files/{hash}", get(ticket::file))
        .route("/gaps", get(gaps::page))
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .route("/static/desk.css", get(page::stylesheet))
        .route("/favicon.ico", get(|| async { page::not_found() }))
        .fallback(ticket::nothing_here)
        .layer(middleware::from_fn(security_headers))
        .with_state(state)
}

/// Headers on every answer: the CSP (unless the answer set its own), no caching (pages and
/// files hold personal data; the style sheet says otherwise), no sniffing, no referrer.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(CSP));
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// Binds the configured address (before anything else starts, so that an address taken is
/// reported at once).
pub async fn bind(settings: &config::Desk) -> anyhow::Result<TcpListener> {
    let listen = settings.listen.as_deref().unwrap_or(DEFAULT_LISTEN);
    let address: SocketAddr = listen
        .parse()
        .with_context(|| format!("the desk's address {listen:?} is not like 127.0.0.1:8088"))?;
    TcpListener::bind(address)
        .await
        .with_context(|| format!("the desk cannot listen on {address}"))
}

/// Serves the desk on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let address = listener.local_addr()?;
    info!(%address, "staff desk listening");
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .context("serving the staff desk")
}
