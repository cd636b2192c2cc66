//! Aggregates: read side. Written at ingest (see `events`), never expired.

use chrono::{DateTime, NaiveDate};

use super::Db;
use super::sql::query_as;
use crate::error::Result;
use crate::types::{Aggregates, DailyPoint, VariantStats};

type StatRow = (Option<String>, Option<String>, i64, i64, i64, i64, i64);

impl Db {
    /// Totals for a message and its breakdown per variant/step.
    pub(super) async fn message_aggregates(
        &self,
        message_id: i64,
    ) -> Result<(Aggregates, Vec<VariantStats>)> {
        let rows: Vec<StatRow> = query_as(
            "SELECT v.key, s.key, CAST(SUM(d.received) AS BIGINT), \
                    CAST(SUM(d.unique_opens) AS BIGINT), CAST(SUM(d.unique_clicks) AS BIGINT), \
                    CAST(SUM(d.conversions) AS BIGINT), CAST(SUM(d.control) AS BIGINT) \
             FROM daily_stats d \
             LEFT JOIN variants v ON v.message_id = d.message_id AND v.ord = d.variant \
             LEFT JOIN steps s ON s.message_id = d.message_id AND s.ord = d.step \
             WHERE d.message_id = ? GROUP BY d.variant, d.step, v.key, s.key ORDER BY d.variant, d.step",
        )
        .bind(message_id)
        .fetch_all(self.pool())
        .await?;
        let mut total = Aggregates::default();
        let mut by_variant = Vec::with_capacity(rows.len());
        for (variant, step, received, opens, clicks, conversions, control) in rows {
            let totals = Aggregates {
                received,
                unique_opens: opens,
                unique_clicks: clicks,
                conversions,
                control,
            };
            total.add(&totals);
            by_variant.push(VariantStats {
                variant,
                step,
                totals,
            });
        }
        Ok((total, by_variant))
    }

    /// One point per UTC day with any activity, oldest first.
    pub async fn message_daily_stats(&self, message_id: i64) -> Result<Vec<DailyPoint>> {
        let rows: Vec<(i64, i64, i64, i64, i64, i64)> = query_as(
            "SELECT day, CAST(SUM(received) AS BIGINT), CAST(SUM(unique_opens) AS BIGINT), \
                    CAST(SUM(unique_clicks) AS BIGINT), CAST(SUM(conversions) AS BIGINT), \
                    CAST(SUM(control) AS BIGINT) \
             FROM daily_stats WHERE message_id = ? GROUP BY day ORDER BY day",
        )
        .bind(message_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(day, received, opens, clicks, conversions, control)| DailyPoint {
                    day: day_to_date(day),
                    totals: Aggregates {
                        received,
                        unique_opens: opens,
                        unique_clicks: clicks,
                        conversions,
                        control,
                    },
                },
            )
            .collect())
    }
}

fn day_to_date(day: i64) -> NaiveDate {
    DateTime::from_timestamp(day * 86_400, 0)
        .map(|t| t.date_naive())
        .unwrap_or_default()
}
