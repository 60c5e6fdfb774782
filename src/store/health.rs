//! What the desk's operations endpoints read: the database answering, tickets by status, the
//! outbox's backlog. Counts only.

use super::Store;

impl Store {
    /// Tickets per status, for the metrics.
    pub async fn tickets_by_status(&self) -> anyhow::Result<Vec<(String, i64)>> {
        Ok(
            sqlx::query_as("SELECT status, COUNT(*) FROM tickets GROUP BY status ORDER BY status")
                .fetch_all(&self.readers)
                .await?,
        )
    }

    /// The outbox for the metrics: messages waiting, messages given up, failed attempts of
    /// messages still waiting.
    pub async fn outbox_health(&self) -> anyhow::Result<(i64, i64, i64)> {
        Ok(sqlx::query_as(
            "SELECT
                COALESCE(SUM(delivered_at IS NULL AND dead_at IS NULL), 0),
                COALESCE(SUM(dead_at IS NOT NULL), 0),
                COALESCE(SUM(CASE WHEN delivered_at IS NULL AND dead_at IS NULL THEN attempts ELSE 0 END), 0)
             FROM outbox",
        )
        .fetch_one(&self.readers)
        .await?)
    }

    /// The database answers.
    pub async fn ping(&self) -> anyhow::Result<()> {
        sqlx::query("SELECT 1").execute(&self.readers).await?;
        Ok(())
    }
}
