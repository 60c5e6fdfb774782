//! Signing in and out, sessions and CSRF tokens.
//!
//! - A session is a random 256-bit token in an HttpOnly, SameSite=Lax cookie (Secure when the
//!   desk's public address is https); the database keeps only its BLAKE3 hash. It ends at its
//!   expiry, at sign-out, when the account is removed or when its password changes.
//! - Every form carries the session's CSRF token (sign-in: a token in its own cookie, the
//!   double-submit pattern), compared in constant time.
//! - Sign-in attempts are limited per account and address ([`super::limit`]); the password is
//!   checked off the async runtime (Argon2id takes tens of milliseconds), and an unknown login
//!   costs the same check as a known one, so timing does not tell which logins exist.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tracing::{info, warn};

use super::limit::{Origin, Refused};
use super::{AppState, page};
use crate::accounts::{self, Login, Password};

pub const SESSION_COOKIE: &str = "desk_session";
const SIGN_IN_COOKIE: &str = "desk_sign_in";

/// A random token: 32 bytes from the operating system, as hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the database keeps of a session token.
fn token_hash(token: &str) -> String {
    blake3::hash(token.as_bytes()).to_hex().to_string()
}

/// Equal, compared in time that does not depend on where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A cookie's value from the request.
fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn set_cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .expect("a cookie of hex and fixed words is a valid header")
}

/// A signed-in staff member; a handler that takes one is for staff only. Signed out, a page
/// (GET) redirects to `/login` and comes back after; anything else is refused with 403.
pub struct Staff {
    pub login: String,
    pub csrf: String,
    token_hash: String,
}

impl Staff {
    /// Who they are in the audit log and on tickets: `desk:<login>` (recorded as
    /// `staff:<login>` via the desk).
    pub fn actor(&self) -> String {
        format!("desk:{}", self.login)
    }

    /// The form came from this session's pages.
    pub fn csrf_ok(&self, token: &str) -> bool {
        same(&self.csrf, token)
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        if let Some(token) = cookie(&parts.headers, SESSION_COOKIE) {
            let hash = token_hash(token);
            match state.store.session(&hash).await {
                Ok(Some(session)) => {
                    return Ok(Staff {
                        login: session.login,
                        csrf: session.csrf,
                        token_hash: hash,
                    });
                }
                Ok(None) => {}
                Err(e) => {
                    warn!(error = %e, "reading a desk session failed");
                    return Err(page::failure());
                }
            }
        }
        Err(signed_out(parts))
    }
}

/// The answer to a request without a session.
fn signed_out(parts: &Parts) -> Response {
    if parts.method == Method::GET || parts.method == Method::HEAD {
        let back = parts
            .uri
            .path_and_query()
            .map_or("/tickets", |p| p.as_str());
        let to = format!(
            "/login?next={}",
            url::form_urlencoded::byte_serialize(back.as_bytes()).collect::<String>()
        );
        Redirect::to(&to).into_response()
    } else {
        (
            StatusCode::FORBIDDEN,
            "Your session has ended. Sign in again at /login.",
        )
            .into_response()
    }
}

/// Where to go after signing in: a path of this desk only (never another site). Browsers drop
/// tabs and line breaks from addresses (`/\t/evil.example` is `//evil.example` to them), so
/// only visible ASCII is taken.
fn next_page(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && n.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            n
        }
        _ => "/tickets",
    }
}

/// The address a request came from: the peer, or, when the peer is a trusted reverse proxy,
/// the right-most address of `X-Forwarded-For` that is not one (what a client puts at the
/// left is not believed).
fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let chain: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    chain
        .into_iter()
        .rev()
        .find(|a| !trusted.contains(a))
        .unwrap_or(peer)
}

#[derive(Template)]
#[template(path = "desk/login.html")]
struct LoginPage<'a> {
    csrf: &'a str,
    next: &'a str,
    username: &'a str,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// `GET /login`: the form, with the sign-in CSRF token of its cookie (a fresh one if there
/// is none: a second tab, or the browser's own requests landing here, must not void the first
/// form's).
pub async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    let csrf = cookie(&headers, SIGN_IN_COOKIE)
        .filter(|c| c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit()))
        .map_or_else(random_token, str::to_string);
    let page = LoginPage {
        csrf: &csrf,
        next: next_page(q.next.as_deref()),
        username: "",
        error: None,
    };
    let mut response = page::render(&page);
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, SIGN_IN_COOKIE, &csrf, 3600),
    );
    response
}

#[derive(Deserialize)]
pub struct SignIn {
    username: String,
    password: String,
    #[serde(default)]
    csrf: String,
    next: Option<String>,
}

/// The request comes from a browser: browsers send `Origin` with every POST and
/// `Sec-Fetch-Site` with every request. A forged sign-in (login CSRF) can only come through
/// someone's browser, so only a browser's sign-in must carry the form's token; a script
/// posting `username` and `password` itself forges nothing.
fn from_a_browser(headers: &HeaderMap) -> bool {
    headers.contains_key(header::ORIGIN) || headers.contains_key("sec-fetch-site")
}

/// `POST /login`.
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<SignIn>,
) -> Response {
    let next = next_page(form.next.as_deref()).to_string();
    let refuse = |status: StatusCode, error: &str, csrf: &str| {
        let page = LoginPage {
            csrf,
            next: &next,
            username: &form.username,
            error: Some(error.to_string()),
        };
        (status, page::render(&page)).into_response()
    };
    let token = cookie(&headers, SIGN_IN_COOKIE).filter(|c| same(c, &form.csrf));
    let token = match token {
        Some(t) => Some(t.to_string()),
        None if !from_a_browser(&headers) => Some(random_token()),
        None => None,
    };
    let Some(expected) = token else {
        // No sign-in cookie (expired, or a form from elsewhere): a fresh form.
        let csrf = random_token();
        let mut response = refuse(
            StatusCode::FORBIDDEN,
            "The sign-in form had expired. Please try again.",
            &csrf,
        );
        response.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(&state, SIGN_IN_COOKIE, &csrf, 3600),
        );
        return response;
    };
    let csrf = expected;
    let login = form.username.parse::<Login>().ok();
    let account = login.as_ref().map_or("?", |l| l.as_str()).to_string();
    let origin = Origin::from(client_address(peer.ip(), &headers, &state.trusted_proxies));
    // At most a few passwords are checked at once (each takes 19 MiB for tens of ms): a flood
    // of sign-ins is told to wait rather than exhausting memory.
    let Ok(_hashing) = state.hashing.clone().try_acquire_owned() else {
        let mut response = refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "The desk is busy signing people in. Please try again in a few seconds.",
            &csrf,
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        return response;
    };
    match state.limiter.attempt(&account, origin, Instant::now()) {
        Ok(()) => {}
        Err(Refused::Wait(wait)) => {
            info!("desk sign-in refused: too many attempts");
            let minutes = wait.as_secs().div_ceil(60);
            let mut response = refuse(
                StatusCode::TOO_MANY_REQUESTS,
                &format!("Too many failed attempts. Try again in {minutes} minute(s)."),
                &csrf,
            );
            if let Ok(v) = HeaderValue::from_str(&wait.as_secs().to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return response;
        }
        Err(Refused::Busy) => {
            info!("desk sign-in refused: the attempt tables are full");
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "The desk is refusing sign-ins for a while. Please try again later.",
                &csrf,
            );
        }
    }
    let password = Password::typed(&form.password);
    let known = match &login {
        Some(login) => match state.store.staff_password_hash(login).await {
            Ok(hash) => hash,
            Err(e) => {
                warn!(error = %e, "reading a staff account failed");
                return page::failure();
            }
        },
        None => None,
    };
    let found = known.is_some();
    // An unknown login is checked against a hash of nothing, in the same time as a known one.
    let hash = known.unwrap_or_else(|| state.decoy_hash.clone());
    let verified = tokio::task::spawn_blocking(move || accounts::verify(&password, &hash))
        .await
        .unwrap_or(false);
    let (Some(login), true, true) = (login.clone(), found, verified) else {
        let known_account = login.filter(|_| found);
        let reason = if found {
            "wrong password"
        } else {
            "unknown username"
        };
        if let Err(e) = state
            .store
            .refused_sign_in(known_account.as_ref(), reason)
            .await
        {
            warn!(error = %e, "recording a refused sign-in failed");
        }
        return refuse(
            StatusCode::UNAUTHORIZED,
            "Wrong username or password.",
            &csrf,
        );
    };
    state.limiter.succeeded(&account, origin);
    let token = random_token();
    let lasts = chrono::Duration::hours(i64::from(state.session_hours));
    match state
        .store
        .open_session(&login, &token_hash(&token), &random_token(), lasts)
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "Wrong username or password.",
                &csrf,
            );
        }
        Err(e) => {
            warn!(error = %e, "opening a desk session failed");
            return page::failure();
        }
    }
    let mut response = Redirect::to(&next).into_response();
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        set_cookie(&state, SESSION_COOKIE, &token, lasts.num_seconds()),
    );
    headers.append(
        header::SET_COOKIE,
        set_cookie(&state, SIGN_IN_COOKIE, "", 0),
    );
    response
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf: String,
}

/// `POST /logout`.
pub async fn logout(
    State(state): State<AppState>,
    staff: Staff,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if !staff.csrf_ok(&form.csrf) {
        return page::bad_form();
    }
    if let Err(e) = state
        .store
        .close_session(&staff.token_hash, &staff.login)
        .await
    {
        warn!(error = %e, "closing a desk session failed");
        return page::failure();
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, SESSION_COOKIE, "", 0),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_the_desk_are_followed_after_sign_in() {
        assert_eq!(next_page(Some("/tickets/T-ABC234")), "/tickets/T-ABC234");
        assert_eq!(next_page(Some("//evil.example/x")), "/tickets");
        assert_eq!(next_page(Some("https://evil.example/")), "/tickets");
        assert_eq!(next_page(Some("/\\evil.example")), "/tickets");
        assert_eq!(next_page(Some("/\t/evil.example")), "/tickets");
        assert_eq!(next_page(Some("/\n/x")), "/tickets");
        assert_eq!(
            next_page(Some("/tickets?status=all")),
            "/tickets?status=all"
        );
        assert_eq!(next_page(None), "/tickets");
    }

    #[test]
    fn behind_a_trusted_proxy_the_client_is_the_last_untrusted_forwarded_address() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("6.6.6.6, 198.51.100.7"),
        );
        let client = client_address(proxy, &headers, &[proxy]);
        assert_eq!(client, "198.51.100.7".parse::<IpAddr>().unwrap());
        // Not from a trusted proxy: the header is not believed.
        let stranger: IpAddr = "203.0.113.1".parse().unwrap();
        assert_eq!(client_address(stranger, &headers, &[proxy]), stranger);
        assert_eq!(client_address(proxy, &HeaderMap::new(), &[proxy]), proxy);
    }

    #[test]
    fn cookies_are_read_by_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; desk_session=abc; b=2"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, "c"), None);
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
        assert_ne!(random_token(), random_token());
        assert_eq!(random_token().len(), 64);
    }
}
