//! Rendering pages, and the desk's plain answers (failure, bad form, not found).

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use tracing::warn;

/// A rendered template as an HTML response.
pub fn render(page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            warn!(error = %e, "rendering a desk page failed");
            failure()
        }
    }
}

#[derive(Template)]
#[template(path = "desk/message.html")]
struct MessagePage<'a> {
    title: &'a str,
    text: &'a str,
}

/// A page that only says something, with a status.
pub fn message(status: StatusCode, title: &str, text: &str) -> Response {
    (status, render(&MessagePage { title, text })).into_response()
}

/// Something failed on the desk's side (logged where it happened).
pub fn failure() -> Response {
    message(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "That failed on the desk's side and has been logged. Please try again.",
    )
}

/// A form without this session's token (an old tab, or a form from another site).
pub fn bad_form() -> Response {
    message(
        StatusCode::FORBIDDEN,
        "Form expired",
        "That form is from an earlier session or another site, so nothing was done. Go back, reload the page and try again.",
    )
}

pub fn not_found() -> Response {
    message(
        StatusCode::NOT_FOUND,
        "Not found",
        "There is nothing at this address.",
    )
}

/// The desk's style sheet (vendored: the desk loads nothing from elsewhere).
pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../assets/desk.css"),
    )
        .into_response()
}
