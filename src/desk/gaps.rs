//! `GET /gaps`: what users asked that the bot could not answer or had to clarify, redacted when
//! it was recorded, grouped by similarity, most asked first, with the intent each group came
//! nearest to: where the knowledge base needs examples (or an answer it does not have).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use tracing::warn;

use super::auth::Staff;
use super::queue::when;
use super::{AppState, page};

/// The periods the page offers, in days; the first is the default.
const PERIODS: &[u32] = &[30, 7, 90, 365];

pub struct Group {
    pub representative: String,
    pub count: usize,
    pub others: Vec<String>,
    pub nearest: String,
    pub nearest_count: usize,
    pub fallback: usize,
    pub clarify: usize,
    pub last_seen: String,
}

pub struct Period {
    pub days: u32,
    pub href: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "desk/gaps.html")]
struct GapsPage {
    login: String,
    csrf: String,
    days: u32,
    periods: Vec<Period>,
    groups: Vec<Group>,
    questions: usize,
}

#[derive(Deserialize)]
pub struct GapsQuery {
    days: Option<u32>,
}

pub async fn page(
    State(state): State<AppState>,
    staff: Staff,
    Query(query): Query<GapsQuery>,
) -> Response {
    let days = query
        .days
        .filter(|d| PERIODS.contains(d))
        .unwrap_or(PERIODS[0]);
    let groups = match state.store.gap_groups(Some(days)).await {
        Ok(groups) => groups,
        Err(e) => {
            warn!(error = %e, "reading the unanswered questions failed");
            return page::failure();
        }
    };
    let questions = groups.iter().map(|g| g.count).sum();
    let shown = GapsPage {
        login: staff.login.clone(),
        csrf: staff.csrf.clone(),
        days,
        periods: PERIODS
            .iter()
            .map(|d| Period {
                days: *d,
                href: format!("/gaps?days={d}"),
                current: *d == days,
            })
            .collect(),
        questions,
        groups: groups
            .into_iter()
            .map(|g| Group {
                others: g
                    .examples
                    .iter()
                    .filter(|e| **e != g.representative)
                    .cloned()
                    .collect(),
                nearest: g.nearest_intent.clone().unwrap_or_default(),
                nearest_count: g.nearest_intent_count,
                fallback: g.kinds.fallback,
                clarify: g.kinds.clarify,
                last_seen: when(&crate::store::timestamp(g.last_seen)),
                count: g.count,
                representative: g.representative,
            })
            .collect(),
    };
    page::render(&shown)
}
