//! Unanswered questions on SQLite (`kb_gaps`): recorded by the engine through `GapLog`, read
//! back and grouped for `kb gaps` and the web desk.

use chrono::{DateTime, Utc};

use super::{Store, timestamp};
use crate::core::gaps::{self, Gap, GapGroup, GapKind, GapLog, Nearest, Redacted};
use crate::lang::Lang;

impl GapLog for Store {
    async fn record_gap(&self, gap: Gap) -> anyhow::Result<()> {
        let (intent, score) = match &gap.nearest {
            Some(n) => (Some(n.intent.as_str()), Some(f64::from(n.score))),
            None => (None, None),
        };
        sqlx::query(
            "INSERT INTO kb_gaps (at, kind, text, lang, nearest_intent, score) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(timestamp(gap.at))
        .bind(gap.kind.as_str())
        .bind(gap.text.as_str())
        .bind(gap.lang.tag())
        .bind(intent)
        .bind(score)
        .execute(&self.writer)
        .await?;
        Ok(())
    }
}

#[derive(sqlx::FromRow)]
struct GapRow {
    at: String,
    kind: String,
    text: String,
    lang: String,
    nearest_intent: Option<String>,
    score: Option<f64>,
}

impl Store {
    /// The unanswered questions of the last `days` days (all kept, with `None`), oldest first.
    pub async fn gaps(&self, days: Option<u32>) -> anyhow::Result<Vec<Gap>> {
        let since = days.map_or_else(String::new, |d| {
            timestamp(Utc::now() - chrono::Duration::days(i64::from(d)))
        });
        let rows: Vec<GapRow> = sqlx::query_as(
            "SELECT at, kind, text, lang, nearest_intent, score FROM kb_gaps
             WHERE at >= ? ORDER BY at, id",
        )
        .bind(since)
        .fetch_all(&self.readers)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(Gap {
                    at: DateTime::parse_from_rfc3339(&r.at)
                        .map_err(|e| anyhow::anyhow!("a stored question's time: {e}"))?
                        .to_utc(),
                    kind: r.kind.parse::<GapKind>()?,
                    text: Redacted::stored(r.text),
                    lang: Lang::parse(&r.lang).unwrap_or_default(),
                    nearest: r.nearest_intent.map(|intent| Nearest {
                        intent,
                        score: r.score.unwrap_or_default() as f32,
                    }),
                })
            })
            .collect()
    }

    /// The unanswered questions of the last `days` days (all kept, with `None`), grouped by
    /// similarity ([`gaps::group`]): most asked first.
    pub async fn gap_groups(&self, days: Option<u32>) -> anyhow::Result<Vec<GapGroup>> {
        Ok(gaps::group(&self.gaps(days).await?))
    }
}
