//! `GET /tickets`: the queue. Tabs by status with counts, filters (category, platform, age,
//! assignee), search by reference, the oldest waiting first, 50 to a page. The page reloads
//! itself every 30 seconds (a meta refresh: no script), so new tickets appear.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tracing::warn;

use super::auth::Staff;
use super::{AppState, page};
use crate::core::TicketRef;
use crate::store::{Assignee, MAX_PAGE, PAGE_SIZE, QueueFilter, Tab};

/// Seconds between reloads of the queue.
const REFRESH_SECONDS: u32 = 30;

/// The queue's address as typed or linked; every field optional, blanks ignored.
#[derive(Debug, Default, Deserialize)]
pub struct QueueQuery {
    status: Option<String>,
    category: Option<String>,
    platform: Option<String>,
    age: Option<String>,
    assignee: Option<String>,
    q: Option<String>,
    page: Option<i64>,
}

/// The "waiting longer than" choices: (value, label, hours).
const AGES: &[(&str, &str, i64)] = &[
    ("1h", "more than 1 hour", 1),
    ("1d", "more than 1 day", 24),
    ("3d", "more than 3 days", 72),
    ("7d", "more than 7 days", 168),
];

const PLATFORMS: &[(&str, &str)] = &[
    ("telegram", "Telegram"),
    ("discord", "Discord"),
    ("console", "Terminal"),
];

/// "No assignee" in the assignee filter.
const NOBODY: &str = "none";

fn given(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

impl QueueQuery {
    /// The query as the store's filter; what does not parse is ignored (a hand-edited address
    /// shows the queue rather than an error).
    fn filter(&self, now: chrono::DateTime<chrono::Utc>) -> QueueFilter {
        QueueFilter {
            tab: self
                .status
                .as_deref()
                .and_then(Tab::parse)
                .unwrap_or_default(),
            category: given(&self.category),
            platform: given(&self.platform),
            opened_before: given(&self.age)
                .and_then(|a| AGES.iter().find(|(v, _, _)| *v == a))
                .map(|(_, _, hours)| now - chrono::Duration::hours(*hours)),
            assignee: given(&self.assignee).map(|a| {
                if a == NOBODY {
                    Assignee::Nobody
                } else {
                    Assignee::Someone(a)
                }
            }),
            reference: given(&self.q),
            page: self.page.unwrap_or(0).clamp(0, MAX_PAGE),
        }
    }

    /// This query's address with `status` and `page` replaced.
    fn href(&self, tab: Tab, page: i64) -> String {
        let mut url = url::form_urlencoded::Serializer::new(String::new());
        url.append_pair("status", tab.as_str());
        for (name, value) in [
            ("category", &self.category),
            ("platform", &self.platform),
            ("age", &self.age),
            ("assignee", &self.assignee),
            ("q", &self.q),
        ] {
            if let Some(v) = given(value) {
                url.append_pair(name, &v);
            }
        }
        if page > 0 {
            url.append_pair("page", &page.to_string());
        }
        format!("/tickets?{}", url.finish())
    }
}

pub struct TabLink {
    pub label: &'static str,
    pub count: i64,
    pub href: String,
    pub current: bool,
}

pub struct Row {
    pub reference: String,
    pub status: &'static str,
    pub status_class: String,
    pub category: String,
    pub platform: String,
    pub waiting: String,
    pub opened: String,
    pub assignee: String,
    pub attachments: i64,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "desk/queue.html")]
struct QueuePage {
    login: String,
    csrf: String,
    refresh: u32,
    tabs: Vec<TabLink>,
    tab: String,
    rows: Vec<Row>,
    categories: Vec<Choice>,
    platforms: Vec<Choice>,
    ages: Vec<Choice>,
    assignees: Vec<Choice>,
    q: String,
    total: i64,
    first: i64,
    last: i64,
    previous: Option<String>,
    next: Option<String>,
    refreshed_at: String,
}

fn tab_label(tab: Tab) -> &'static str {
    match tab {
        Tab::Open => "Open",
        Tab::Claimed => "Claimed",
        Tab::AwaitingUser => "Awaiting user",
        Tab::Finished => "Resolved / closed",
        Tab::All => "All",
    }
}

/// A status as staff read it.
pub fn status_label(status: &str) -> &'static str {
    match status {
        "open" => "Open",
        "claimed" => "Claimed",
        "awaiting_user" => "Awaiting user",
        "resolved" => "Resolved",
        "closed" => "Closed",
        _ => "Unknown",
    }
}

/// How long ago `at` (RFC 3339) was, shortly: "5 min", "3 h", "2 d".
pub fn age(at: &str, now: chrono::DateTime<chrono::Utc>) -> String {
    let Ok(then) = chrono::DateTime::parse_from_rfc3339(at) else {
        return "?".into();
    };
    let minutes = (now - then.with_timezone(&chrono::Utc))
        .num_minutes()
        .max(0);
    match minutes {
        m if m < 60 => format!("{m} min"),
        m if m < 48 * 60 => format!("{} h", m / 60),
        m => format!("{} d", m / (24 * 60)),
    }
}

/// An RFC 3339 time as "2026-11-28 18:02 UTC".
pub fn when(at: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(at).map_or_else(
        |_| at.to_string(),
        |t| {
            t.with_timezone(&chrono::Utc)
                .format("%Y-%m-%d %H:%M UTC")
                .to_string()
        },
    )
}

fn choices(
    options: impl IntoIterator<Item = (String, String)>,
    chosen: &Option<String>,
) -> Vec<Choice> {
    let chosen = given(chosen);
    options
        .into_iter()
        .map(|(value, label)| Choice {
            selected: chosen.as_deref() == Some(value.as_str()),
            value,
            label,
        })
        .collect()
}

pub async fn page(
    State(state): State<AppState>,
    staff: Staff,
    Query(query): Query<QueueQuery>,
) -> Response {
    let now = chrono::Utc::now();
    // A whole reference that exists opens its ticket.
    if let Some(reference) = given(&query.q).and_then(|q| q.parse::<TicketRef>().ok()) {
        match state.store.has_ticket(reference.as_str()).await {
            Ok(true) => {
                return Redirect::to(&format!("/tickets/{}", reference.as_str())).into_response();
            }
            Ok(false) => {}
            Err(e) => {
                warn!(error = %e, "reading a ticket failed");
                return page::failure();
            }
        }
    }
    let filter = query.filter(now);
    let queue = match state.store.queue(&filter).await {
        Ok(queue) => queue,
        Err(e) => {
            warn!(error = %e, "reading the queue failed");
            return page::failure();
        }
    };
    let rows = queue
        .rows
        .into_iter()
        .map(|r| Row {
            status: status_label(&r.status),
            status_class: r.status.replace('_', "-"),
            waiting: age(&r.created_at, now),
            opened: when(&r.created_at),
            assignee: r.assignee.unwrap_or_default(),
            reference: r.reference,
            category: r.category,
            platform: r.platform,
            attachments: r.attachments,
        })
        .collect::<Vec<_>>();
    let first = filter.page * PAGE_SIZE;
    let last = first + rows.len() as i64;
    let shown = QueuePage {
        login: staff.login.clone(),
        csrf: staff.csrf.clone(),
        refresh: REFRESH_SECONDS,
        tabs: queue
            .counts
            .iter()
            .map(|(tab, count)| TabLink {
                label: tab_label(*tab),
                count: *count,
                href: query.href(*tab, 0),
                current: *tab == filter.tab,
            })
            .collect(),
        tab: filter.tab.as_str().to_string(),
        rows,
        categories: choices(
            queue.categories.into_iter().map(|c| (c.clone(), c)),
            &query.category,
        ),
        platforms: choices(
            PLATFORMS
                .iter()
                .map(|(v, l)| (v.to_string(), l.to_string())),
            &query.platform,
        ),
        ages: choices(
            AGES.iter().map(|(v, l, _)| (v.to_string(), l.to_string())),
            &query.age,
        ),
        assignees: choices(
            std::iter::once((NOBODY.to_string(), "nobody".to_string()))
                .chain(queue.assignees.into_iter().map(|a| (a.clone(), a))),
            &query.assignee,
        ),
        q: given(&query.q).unwrap_or_default(),
        total: queue.total,
        first: if last > first { first + 1 } else { 0 },
        last,
        previous: (filter.page > 0).then(|| query.href(filter.tab, filter.page - 1)),
        next: (last < queue.total).then(|| query.href(filter.tab, filter.page + 1)),
        refreshed_at: now.format("%H:%M:%S UTC").to_string(),
    };
    page::render(&shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_becomes_a_filter() {
        let now = chrono::Utc::now();
        let q = QueueQuery {
            status: Some("awaiting_user".into()),
            category: Some(" ".into()),
            age: Some("1d".into()),
            assignee: Some("none".into()),
            q: Some("abc".into()),
            page: Some(-3),
            ..QueueQuery::default()
        };
        let f = q.filter(now);
        assert_eq!(f.tab, Tab::AwaitingUser);
        assert_eq!(f.category, None);
        assert_eq!(f.assignee, Some(Assignee::Nobody));
        assert_eq!(f.reference.as_deref(), Some("abc"));
        assert_eq!(f.page, 0);
        assert_eq!(f.opened_before, Some(now - chrono::Duration::hours(24)));
        assert_eq!(
            QueueQuery {
                status: Some("nonsense".into()),
                ..QueueQuery::default()
            }
            .filter(now)
            .tab,
            Tab::Open
        );
        assert_eq!(
            q.href(Tab::Claimed, 2),
            "/tickets?status=claimed&age=1d&assignee=none&q=abc&page=2"
        );
    }

    #[test]
    fn ages_read_shortly() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-28T12:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(age("2026-11-28T11:55:00.000Z", now), "5 min");
        assert_eq!(age("2026-11-28T09:00:00.000Z", now), "3 h");
        assert_eq!(age("2026-11-25T12:00:00.000Z", now), "3 d");
    }
}
