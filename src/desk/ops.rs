//! Operations: `/healthz` (the database answers, each chat platform runs) for any monitor,
//! and `/metrics` in Prometheus' text format for the office's monitoring: counts and timings
//! only, no personal data. Metrics carry the tickets' counts, so they need a session or the
//! configured bearer token (`ALUMNI_BOT_DESK_METRICS_TOKEN`).

use std::fmt::Write;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tracing::warn;

use super::AppState;
use super::auth::{Staff, same};
use crate::core::metrics::family;
use crate::platform::health;

/// `GET /healthz`: 200 when the database answers and no platform has failed, else 503; a JSON
/// body says which part is down. Open to monitors without a session: it names no ticket and
/// counts nothing.
pub async fn healthz(State(state): State<AppState>) -> Response {
    let database = match state.store.ping().await {
        Ok(()) => "ok",
        Err(e) => {
            warn!(error = %e, "health check: the database does not answer");
            "unreachable"
        }
    };
    let platforms = health::all();
    let healthy = database == "ok" && platforms.iter().all(|(_, s)| *s != health::State::Failed);
    let body = json!({
        "status": if healthy { "ok" } else { "failing" },
        "database": database,
        "platforms": platforms.into_iter().collect::<std::collections::BTreeMap<_, _>>(),
    });
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body)).into_response()
}

/// The request carries the metrics token.
fn has_token(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(token) = &state.metrics_token else {
        return false;
    };
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        // Compared as digests: equal lengths, so the time says nothing of the token's length.
        .is_some_and(|given| {
            same(
                blake3::hash(given.trim().as_bytes()).to_hex().as_str(),
                blake3::hash(token.expose().as_bytes()).to_hex().as_str(),
            )
        })
}

/// `GET /metrics`.
pub async fn metrics(
    State(state): State<AppState>,
    staff: Result<Staff, Response>,
    headers: HeaderMap,
) -> Response {
    if staff.is_err() && !has_token(&state, &headers) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "Metrics need a desk session or the metrics token.",
        )
            .into_response();
    }
    match render(&state).await {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(e) => {
            warn!(error = %e, "reading the metrics failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn render(state: &AppState) -> anyhow::Result<String> {
    let mut out = String::new();
    if let Some(engine) = &state.engine {
        engine.metrics().render(&mut out);
    }
    let gauge = |out: &mut String, name: &str, help: &str| family(out, name, "gauge", help);
    gauge(&mut out, "alumni_bot_tickets", "Tickets by status.");
    for (status, n) in state.store.tickets_by_status().await? {
        writeln!(out, "alumni_bot_tickets{{status=\"{status}\"}} {n}")?;
    }
    let (pending, dead, attempts) = state.store.outbox_health().await?;
    for (name, help, value) in [
        (
            "alumni_bot_outbox_pending",
            "Messages owed and not delivered yet.",
            pending,
        ),
        (
            "alumni_bot_outbox_dead",
            "Messages given up after every attempt failed.",
            dead,
        ),
        (
            "alumni_bot_outbox_failed_attempts",
            "Failed delivery attempts of messages still owed.",
            attempts,
        ),
    ] {
        gauge(&mut out, name, help);
        writeln!(out, "{name} {value}")?;
    }
    gauge(
        &mut out,
        "alumni_bot_platform_up",
        "Whether a chat platform is running (1) or stopped or failed (0).",
    );
    for (platform, s) in health::all() {
        let up = u8::from(s == health::State::Running);
        writeln!(
            out,
            "alumni_bot_platform_up{{platform=\"{platform}\"}} {up}"
        )?;
    }
    Ok(out)
}
