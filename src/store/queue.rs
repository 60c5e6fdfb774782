//! The web desk's queue on SQLite: tickets by status with filters, oldest first, a page at a
//! time, with the counts per status under the same filters.

use serde::Serialize;
use sqlx::{QueryBuilder, Sqlite};

use super::Store;
use crate::core::ticket::TicketStatus;

/// Tickets on one page of the queue.
pub const PAGE_SIZE: i64 = 50;

/// Which statuses a queue tab shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    #[default]
    Open,
    Claimed,
    AwaitingUser,
    /// Resolved or closed.
    Finished,
    All,
}

impl Tab {
    pub const ALL: [Tab; 5] = [
        Tab::Open,
        Tab::Claimed,
        Tab::AwaitingUser,
        Tab::Finished,
        Tab::All,
    ];

    /// The name in the queue's address (`?status=`).
    pub fn as_str(self) -> &'static str {
        match self {
            Tab::Open => "open",
            Tab::Claimed => "claimed",
            Tab::AwaitingUser => "awaiting_user",
            Tab::Finished => "finished",
            Tab::All => "all",
        }
    }

    pub fn parse(s: &str) -> Option<Tab> {
        Tab::ALL.into_iter().find(|t| t.as_str() == s)
    }

    fn holds(self, status: TicketStatus) -> bool {
        match self {
            Tab::Open => status == TicketStatus::Open,
            Tab::Claimed => status == TicketStatus::Claimed,
            Tab::AwaitingUser => status == TicketStatus::AwaitingUser,
            Tab::Finished => TicketStatus::FINISHED.contains(&status),
            Tab::All => true,
        }
    }
}

/// Who holds the tickets shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignee {
    Nobody,
    Someone(String),
}

/// What the queue shows; every filter optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueFilter {
    pub tab: Tab,
    pub category: Option<String>,
    pub platform: Option<String>,
    /// Only tickets opened before this time: "waiting longer than".
    pub opened_before: Option<chrono::DateTime<chrono::Utc>>,
    pub assignee: Option<Assignee>,
    /// The start of a reference (with or without `T-`), any case.
    pub reference: Option<String>,
    /// From 0.
    pub page: i64,
}

/// One line of the queue.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct QueueRow {
    pub reference: String,
    pub status: String,
    pub category: String,
    pub platform: String,
    pub created_at: String,
    pub updated_at: String,
    pub assignee: Option<String>,
    pub attachments: i64,
}

/// One page of the queue and what the filters can choose from.
#[derive(Debug, Clone)]
pub struct QueuePage {
    pub rows: Vec<QueueRow>,
    /// Tickets per tab under the filters other than the tab.
    pub counts: Vec<(Tab, i64)>,
    /// Tickets in the chosen tab under all filters (every page).
    pub total: i64,
    pub categories: Vec<String>,
    pub assignees: Vec<String>,
}

/// The filters other than the tab, as conditions on `t` after `WHERE 1 = 1`: only those given,
/// so that SQLite can use the queue's indexes.
fn push_filters(q: &mut QueryBuilder<Sqlite>, filter: &QueueFilter) {
    if let Some(category) = &filter.category {
        q.push(" AND t.category = ").push_bind(category.clone());
    }
    if let Some(platform) = &filter.platform {
        q.push(" AND t.platform = ").push_bind(platform.clone());
    }
    if let Some(before) = filter.opened_before {
        q.push(" AND t.created_at < ")
            .push_bind(super::timestamp(before));
    }
    match &filter.assignee {
        Some(Assignee::Nobody) => {
            q.push(" AND t.assignee IS NULL");
        }
        Some(Assignee::Someone(who)) => {
            q.push(" AND t.assignee = ").push_bind(who.clone());
        }
        None => {}
    }
    if let Some(start) = &filter.reference {
        // The start of a reference, with or without its `T-`: a range on the references'
        // unique index (a search anywhere inside them would read every ticket).
        let start = start.trim().to_ascii_uppercase();
        let start = if start.starts_with("T-") {
            start
        } else {
            format!("T-{start}")
        };
        q.push(" AND t.reference >= ")
            .push_bind(start.clone())
            .push(" AND t.reference < ")
            .push_bind(format!("{start}\u{10FFFF}"));
    }
}

/// The tab as a condition on `t`.
fn push_tab(q: &mut QueryBuilder<Sqlite>, tab: Tab) {
    match tab {
        Tab::All => {}
        Tab::Finished => {
            q.push(" AND t.status IN ('resolved', 'closed')");
        }
        Tab::Open | Tab::Claimed | Tab::AwaitingUser => {
            q.push(" AND t.status = ").push_bind(tab.as_str());
        }
    }
}

/// The farthest page the queue goes to (a hand-typed address cannot overflow the offset).
pub const MAX_PAGE: i64 = 100_000;

impl Store {
    /// One page of the queue: the oldest waiting first.
    pub async fn queue(&self, filter: &QueueFilter) -> anyhow::Result<QueuePage> {
        let mut conn = self.readers.acquire().await?;
        // The page's tickets first, then their attachments counted (only theirs).
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT p.*, (SELECT COUNT(*) FROM ticket_attachments a WHERE a.ticket_id = p.id) \
             AS attachments FROM (SELECT t.id, t.reference, t.status, t.category, t.platform, \
             t.created_at, t.updated_at, t.assignee FROM tickets t WHERE 1 = 1",
        );
        push_filters(&mut q, filter);
        push_tab(&mut q, filter.tab);
        q.push(" ORDER BY t.created_at, t.id LIMIT ")
            .push_bind(PAGE_SIZE)
            .push(" OFFSET ")
            .push_bind(filter.page.clamp(0, MAX_PAGE) * PAGE_SIZE)
            .push(") p ORDER BY p.created_at, p.id");
        let rows: Vec<QueueRow> = q.build_query_as().fetch_all(&mut *conn).await?;
        let mut q =
            QueryBuilder::<Sqlite>::new("SELECT t.status, COUNT(*) FROM tickets t WHERE 1 = 1");
        push_filters(&mut q, filter);
        q.push(" GROUP BY t.status");
        let by_status: Vec<(String, i64)> = q.build_query_as().fetch_all(&mut *conn).await?;
        let mut per_status = Vec::new();
        for (status, n) in by_status {
            per_status.push((status.parse::<TicketStatus>()?, n));
        }
        let counts: Vec<(Tab, i64)> = Tab::ALL
            .into_iter()
            .map(|tab| {
                let n = per_status
                    .iter()
                    .filter(|(s, _)| tab.holds(*s))
                    .map(|(_, n)| n)
                    .sum();
                (tab, n)
            })
            .collect();
        let total = counts
            .iter()
            .find(|(t, _)| *t == filter.tab)
            .map_or(0, |(_, n)| *n);
        let categories =
            sqlx::query_scalar("SELECT DISTINCT category FROM tickets ORDER BY category")
                .fetch_all(&mut *conn)
                .await?;
        let assignees = sqlx::query_scalar(
            "SELECT DISTINCT assignee FROM tickets WHERE assignee IS NOT NULL ORDER BY assignee",
        )
        .fetch_all(&mut *conn)
        .await?;
        Ok(QueuePage {
            rows,
            counts,
            total,
            categories,
            assignees,
        })
    }
}
