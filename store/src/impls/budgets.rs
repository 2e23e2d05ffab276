//! The `BudgetStore` of both backends: budgets, counters and alerts, with the SQL written
//! once (the dialect switches are in `crate::sql`); invoked for each backend
//! in `sqlite.rs` and `postgres.rs`.

/// Columns of an alert row, in the order `alert_from_row` (below) reads them.
pub(crate) const ALERT_COLUMNS: &str = "id, budget_id, budget_name, split_value, period_start, period_end, kind, \
    threshold, spent_nanos, limit_nanos, forecast_nanos, fired_us, delivery, webhook, attempts, acked_by, acked_us, message";

/// Implements [`crate::BudgetStore`] for a backend (see `crate::backend`).
macro_rules! impl_budgets_store {
    ($ty:ty, $db:ty, $dialect:expr, $backend:expr, $migrator:expr) => {
        impl $ty {
            pub(crate) async fn alert_by_id(&self, id: i64) -> Result<Option<domain::budgets::alert::Alert>, $crate::StoreError> {
                let sql = self.q(&format!("select {} from alerts where id = ?", $crate::impls::budgets::ALERT_COLUMNS));
                let row = sqlx::query(&sql).bind(id).fetch_optional(&self.writer).await?;
                row.as_ref().map(alert_from_row).transpose()
            }

        }

        fn alert_from_row(r: &<$db as sqlx::Database>::Row) -> Result<domain::budgets::alert::Alert, $crate::StoreError> {
            use sqlx::Row;
            let kind: String = r.try_get(6)?;
            let split: String = r.try_get(3)?;
            let delivery: String = r.try_get(12)?;
            let secs = |s: i64| chrono::DateTime::from_timestamp(s, 0).unwrap_or_default();
            Ok(domain::budgets::alert::Alert {
                id: r.try_get(0)?,
                budget_id: r.try_get(1)?,
                budget_name: r.try_get(2)?,
                split_value: Some(split).filter(|s| !s.is_empty()),
                period_start: secs(r.try_get(4)?),
                period_end: secs(r.try_get(5)?),
                kind: domain::budgets::alert::AlertKind::parse(&kind).map_err($crate::StoreError::Config)?,
                threshold: r.try_get::<i64, _>(7)? as u32,
                spent: domain::Nanos(r.try_get(8)?),
                limit: domain::Nanos(r.try_get(9)?),
                forecast: r.try_get::<Option<i64>, _>(10)?.map(domain::Nanos),
                fired_at: $crate::rollup::from_micros(r.try_get(11)?),
                delivery: domain::budgets::alert::Delivery::parse(&delivery),
                webhook: r.try_get(13)?,
                attempts: r.try_get::<i64, _>(14)? as u32,
                acked_by: r.try_get(15)?,
                acked_at: r.try_get::<Option<i64>, _>(16)?.map($crate::rollup::from_micros),
                message: r.try_get(17)?,
            })
        }

        #[async_trait::async_trait]
        impl $crate::BudgetStore for $ty {
            async fn create_budget(
                &self,
                b: &$crate::BudgetRecord,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<$crate::BudgetRecord, $crate::StoreError> {
                let saved = self.save_budget_row(b, now, true).await;
                self.counters_forget(&b.id);
                saved?.ok_or_else(|| $crate::StoreError::Config("budget not created".into()))
            }

            async fn update_budget(
                &self,
                b: &$crate::BudgetRecord,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<Option<$crate::BudgetRecord>, $crate::StoreError> {
                let saved = self.save_budget_row(b, now, false).await;
                self.counters_forget(&b.id);
                saved
            }

            async fn delete_budget(&self, id: &str) -> Result<bool, $crate::StoreError> {
                let deleted = self.delete_budget_row(id).await;
                self.counters_forget(id);
                deleted
            }

            async fn get_budget(&self, id: &str) -> Result<Option<$crate::BudgetRecord>, $crate::StoreError> {
                Ok(self.budgets_where(Some(id)).await?.pop())
            }

            async fn list_budgets(&self) -> Result<Vec<$crate::BudgetRecord>, $crate::StoreError> {
                self.budgets_where(None).await
            }

            async fn budget_counters(
                &self,
                budget_id: &str,
                period_start: chrono::DateTime<chrono::Utc>,
                limit: i64,
            ) -> Result<Vec<$crate::Counter>, $crate::StoreError> {
                let sql = self.q(
                    "select split_value, spent_nanos, calls from budget_spend where budget_id = ? and period_start = ? \
                     order by spent_nanos desc, split_value limit ?",
                );
                let rows: Vec<(String, i64, i64)> = sqlx::query_as(&sql)
                    .bind(budget_id)
                    .bind(period_start.timestamp())
                    .bind(limit)
                    .fetch_all(&self.reader)
                    .await?;
                Ok(rows
                    .into_iter()
                    .map(|(split_value, spent, calls)| $crate::Counter { split_value, spent: domain::Nanos(spent), calls })
                    .collect())
            }

            async fn cap_spent(&self, keys: &[$crate::CounterKey]) -> Result<Vec<domain::Nanos>, $crate::StoreError> {
                self.counters_read(keys).await
            }

            async fn cap_load(
                &self,
                keys: &[$crate::CounterKey],
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<Vec<$crate::CapLoad>, $crate::StoreError> {
                self.cap_load_now(keys, now).await
            }

            async fn reserve(
                &self,
                r: &$crate::Reservation,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<$crate::Reserved, $crate::StoreError> {
                self.reserve_here(r, now).await
            }

            async fn reservation_summary(
                &self,
                budget_id: &str,
                period_start: chrono::DateTime<chrono::Utc>,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<$crate::ReservationSummary, $crate::StoreError> {
                self.reservation_summary_in_db(budget_id, period_start, now).await
            }

            async fn prune_reservations(
                &self,
                before: chrono::DateTime<chrono::Utc>,
            ) -> Result<u64, $crate::StoreError> {
                self.prune_reservations_in_db(before).await
            }

            fn shared_counters(&self) -> bool {
                $dialect == $crate::sql::Dialect::Postgres
            }

            async fn lease(
                &self,
                holder: &str,
                keys: &[($crate::CounterKey, domain::Nanos)],
                share_and_min: (i64, domain::Nanos),
                now: chrono::DateTime<chrono::Utc>,
                expires: chrono::DateTime<chrono::Utc>,
            ) -> Result<Vec<$crate::Leased>, $crate::StoreError> {
                self.lease_now(holder, keys, share_and_min, now, expires).await
            }

            async fn fire_alert(&self, a: &$crate::NewAlert) -> Result<Option<i64>, $crate::StoreError> {

                let mut tx = self.writer.begin().await?;
                let id = self.insert_alert(&mut tx, a).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn list_alerts(
                &self,
                q: &$crate::AlertQuery,
            ) -> Result<Vec<domain::budgets::alert::Alert>, $crate::StoreError> {

                let mut sql = format!("select {} from alerts where 1 = 1", $crate::impls::budgets::ALERT_COLUMNS);
                match q.acked {
                    Some(true) => sql.push_str(" and acked_us is not null"),
                    Some(false) => sql.push_str(" and acked_us is null"),
                    None => {}
                }
                if q.budget_id.is_some() {
                    sql.push_str(" and budget_id = ?");
                }
                if q.kind.is_some() {
                    sql.push_str(" and kind = ?");
                }
                sql.push_str(" order by fired_us desc, id desc limit ?");
                let sql = self.q(&sql);
                let mut query = sqlx::query(&sql);
                if let Some(b) = &q.budget_id {
                    query = query.bind(b.clone());
                }
                if let Some(k) = q.kind {
                    query = query.bind(k.as_str());
                }
                let rows = query.bind(q.limit.clamp(1, 1000)).fetch_all(&self.reader).await?;
                rows.iter().map(alert_from_row).collect()
            }

            async fn get_alert(&self, id: i64) -> Result<Option<domain::budgets::alert::Alert>, $crate::StoreError> {
                self.alert_by_id(id).await
            }

            async fn ack_alert(
                &self,
                id: i64,
                by: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<Option<domain::budgets::alert::Alert>, $crate::StoreError> {
                let sql = self.q("update alerts set acked_by = ?, acked_us = ? where id = ? and acked_us is null");
                sqlx::query(&sql).bind(by).bind($crate::rollup::micros(at)).bind(id).execute(&self.writer).await?;
                self.alert_by_id(id).await
            }

            async fn alerts_attempts(
                &self,
                ids: &[i64],
            ) -> Result<std::collections::HashMap<i64, Vec<domain::budgets::alert::Attempt>>, $crate::StoreError> {

                let mut out: std::collections::HashMap<i64, Vec<domain::budgets::alert::Attempt>> = Default::default();
                if ids.is_empty() {
                    return Ok(out);
                }
                let marks = vec!["?"; ids.len()].join(", ");
                let sql = self.q(&format!(
                    "select alert_id, attempt, at_us, status, error, duration_ms from alert_attempts \
                     where alert_id in ({marks}) order by alert_id, attempt"
                ));
                let mut query = sqlx::query_as::<_, (i64, i64, i64, Option<i64>, Option<String>, i64)>(&sql);
                for id in ids {
                    query = query.bind(*id);
                }
                for (alert_id, attempt, at, status, error, duration_ms) in query.fetch_all(&self.reader).await? {
                    out.entry(alert_id).or_default().push(domain::budgets::alert::Attempt {
                        attempt: attempt as u32,
                        at: $crate::rollup::from_micros(at),
                        status: status.map(|s| s as u16),
                        error,
                        duration_ms,
                    });
                }
                Ok(out)
            }

            async fn claim_alerts(
                &self,
                now: chrono::DateTime<chrono::Utc>,
                lease_until: chrono::DateTime<chrono::Utc>,
                limit: i64,
            ) -> Result<Vec<domain::budgets::alert::Alert>, $crate::StoreError> {
                let now_us = $crate::rollup::micros(now);
                let sql = self.q(
                    "select id from alerts where delivery = 'pending' and next_attempt_us <= ? \
                     and (lease_until_us is null or lease_until_us < ?) order by id limit ?",
                );
                let ids: Vec<i64> =
                    sqlx::query_scalar(&sql).bind(now_us).bind(now_us).bind(limit).fetch_all(&self.writer).await?;
                let claim = self.q(
                    "update alerts set lease_until_us = ? where id = ? and delivery = 'pending' \
                     and (lease_until_us is null or lease_until_us < ?)",
                );
                let mut out = Vec::new();
                for id in ids {
                    let n = sqlx::query(&claim)
                        .bind($crate::rollup::micros(lease_until))
                        .bind(id)
                        .bind(now_us)
                        .execute(&self.writer)
                        .await?
                        .rows_affected();
                    if n == 1 {
                        if let Some(a) = self.alert_by_id(id).await? {
                            out.push(a);
                        }
                    }
                }
                Ok(out)
            }

            async fn finish_attempt(
                &self,
                id: i64,
                lease_until: chrono::DateTime<chrono::Utc>,
                attempt: Option<&domain::budgets::alert::Attempt>,
                delivery: domain::budgets::alert::Delivery,
                next_attempt: Option<chrono::DateTime<chrono::Utc>>,
            ) -> Result<bool, $crate::StoreError> {
                let mut tx = self.writer.begin().await?;
                // Only the holder of the lease may settle the alert.
                let sql = self.q(
                    "update alerts set delivery = ?, attempts = ?, next_attempt_us = ?, lease_until_us = null \
                     where id = ? and lease_until_us = ?",
                );
                let held = sqlx::query(&sql)
                    .bind(delivery.as_str())
                    .bind(attempt.map(|a| a.attempt as i64).unwrap_or(0))
                    .bind(next_attempt.map($crate::rollup::micros))
                    .bind(id)
                    .bind($crate::rollup::micros(lease_until))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                    == 1;
                if !held {
                    tx.rollback().await?;
                    return Ok(false);
                }
                if let Some(a) = attempt {
                    let sql = self.q(
                        "insert into alert_attempts (alert_id, attempt, at_us, status, error, duration_ms) values (?, ?, ?, ?, ?, ?) \
                         on conflict (alert_id, attempt) do nothing",
                    );
                    sqlx::query(&sql)
                        .bind(id)
                        .bind(a.attempt as i64)
                        .bind($crate::rollup::micros(a.at))
                        .bind(a.status.map(|s| s as i64))
                        .bind(&a.error)
                        .bind(a.duration_ms)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn recount_budgets(&self, now: chrono::DateTime<chrono::Utc>) -> Result<usize, $crate::StoreError> {

                let budgets = self.budgets_where(None).await?;
                for b in &budgets {
                    self.recount_one(b, now).await?;
                }
                Ok(budgets.len())
            }
        }
    };
}

pub(crate) use impl_budgets_store;
