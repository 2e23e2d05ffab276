//! Budget counting shared by both backends: counting a stored batch against
//! the budgets in the ingest transaction, recounts, budget rows and the
//! counter reads the pre-call check makes. The `BudgetStore` methods in
//! `budgets.rs` and ingest in `backend.rs` call these helpers.

/// Where a budget's window sums are read from.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Sums<'a> {
    /// The hourly rollups (`rollup_hour`).
    Rollups,
    /// Calls: `events`, or on Postgres the temporary table of the rows a
    /// retiring delete just removed (same columns).
    Calls(&'a str),
}

/// Implements the budget counting helpers as an inherent `impl` of a backend.
macro_rules! impl_budget_counting {
    ($ty:ty, $db:ty, $dialect:expr) => {
        impl $ty {
            /// Takes the budget lock (Postgres only): shared for ingest, exclusive for budget changes.
            async fn lock_budgets(
                &self,
                tx: &mut sqlx::Transaction<'static, $db>,
                exclusive: bool,
            ) -> Result<(), $crate::StoreError> {
                if $dialect == $crate::sql::Dialect::Postgres {
                    let f = if exclusive { "pg_advisory_xact_lock" } else { "pg_advisory_xact_lock_shared" };
                    sqlx::query(&format!("select {f}($1)"))
                        .bind($crate::budgets::BUDGET_LOCK)
                        .execute(&mut **tx)
                        .await?;
                }
                Ok(())
            }

            /// Adds newly stored events to the budget counters and records the
            /// alerts that fire; runs inside the ingest transaction, which
            /// holds the shared budget lock from its start.
            pub(crate) async fn count_batch(
                &self,
                tx: &mut sqlx::Transaction<'static, $db>,
                events: &[&domain::PricedEvent],
            ) -> Result<(Vec<$crate::budgets::CounterChange>, Vec<i64>, Vec<domain::budgets::counting::CountingBudget>), $crate::StoreError> {
                use domain::budgets::counting::{firings, increments, CountingBudget};
                let rows: Vec<(String, String, i64)> =
                    sqlx::query_as("select id, spec, counted_from_us from budgets order by id").fetch_all(&mut **tx).await?;
                let mut budgets = Vec::with_capacity(rows.len());
                for (id, spec, from) in rows {
                    budgets.push(CountingBudget::new(id, parse_spec(&spec)?, $crate::rollup::from_micros(from)));
                }
                let incs = increments(&budgets, events.iter().copied());
                if incs.is_empty() {
                    return Ok((vec![], vec![], budgets));
                }
                let entries: Vec<_> = incs.iter().collect();
                let mut after: std::collections::HashMap<(String, String, i64), i64> = std::collections::HashMap::new();
                for chunk in entries.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "insert into budget_spend (budget_id, split_value, period_start, spent_nanos, calls) ",
                    );
                    qb.push_values(chunk, |mut b, ((id, split, start), (inc, _))| {
                        b.push_bind(id.clone()).push_bind(split.clone()).push_bind(*start).push_bind(inc.cost).push_bind(inc.calls);
                    });
                    qb.push(
                        " on conflict (budget_id, split_value, period_start) do update set \
                         spent_nanos = budget_spend.spent_nanos + excluded.spent_nanos, \
                         calls = budget_spend.calls + excluded.calls \
                         returning budget_id, split_value, period_start, spent_nanos",
                    );
                    let rows: Vec<(String, String, i64, i64)> = qb.build_query_as().fetch_all(&mut **tx).await?;
                    for (id, split, start, spent) in rows {
                        after.insert((id, split, start), spent);
                    }
                }
                let now = chrono::Utc::now();
                let (mut changes, mut fired) = (Vec::new(), Vec::new());
                for ((id, split, start), (inc, window)) in incs.iter() {
                    let Some(&now_spent) = after.get(&(id.clone(), split.clone(), *start)) else { continue };
                    let before = now_spent - inc.cost;
                    let Some(b) = budgets.iter().find(|b| &b.id == id) else { continue };
                    changes.push($crate::budgets::CounterChange {
                        budget_id: id.clone(),
                        budget_name: b.spec.name.clone(),
                        limit: b.spec.amount,
                        hard_cap: b.spec.hard_cap,
                        split_value: split.clone(),
                        window: *window,
                        before: domain::Nanos(before),
                        after: domain::Nanos(now_spent),
                    });
                    for f in firings(&b.spec, before, now_spent) {
                        let alert = $crate::NewAlert {
                            budget_id: id.clone(),
                            budget_name: b.spec.name.clone(),
                            split_value: split.clone(),
                            window: *window,
                            kind: f.kind,
                            threshold: f.threshold,
                            spent: domain::Nanos(now_spent),
                            limit: b.spec.amount,
                            forecast: None,
                            webhook: b.spec.webhook.clone(),
                            fired: now,
                            message: None,
                        };
                        if let Some(alert_id) = self.insert_alert(tx, &alert).await? {
                            fired.push(alert_id);
                        }
                    }
                }
                Ok((changes, fired, budgets))
            }

            /// Records an alert unless the same one (budget, split value, period, kind, threshold) exists.
            async fn insert_alert(
                &self,
                tx: &mut sqlx::Transaction<'static, $db>,
                a: &$crate::NewAlert,
            ) -> Result<Option<i64>, $crate::StoreError> {
                let sql = self.q(
                    "insert into alerts (budget_id, budget_name, split_value, period_start, period_end, kind, threshold, \
                     spent_nanos, limit_nanos, forecast_nanos, fired_us, delivery, webhook, attempts, next_attempt_us, message) \
                     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, 0, ?, ?) \
                     on conflict (budget_id, split_value, period_start, kind, threshold, limit_nanos) do nothing returning id",
                );
                let fired = $crate::rollup::micros(a.fired);
                Ok(sqlx::query_scalar(&sql)
                    .bind(&a.budget_id)
                    .bind(&a.budget_name)
                    .bind(&a.split_value)
                    .bind(a.window.start.timestamp())
                    .bind(a.window.end.timestamp())
                    .bind(a.kind.as_str())
                    .bind(a.threshold as i64)
                    .bind(a.spent.0)
                    .bind(a.limit.0)
                    .bind(a.forecast.map(|f| f.0))
                    .bind(fired)
                    .bind(&a.webhook)
                    .bind(fired)
                    .bind(&a.message)
                    .fetch_optional(&mut **tx)
                    .await?)
            }

            /// Rebuilds a budget's counters from the stored calls, and for any part
            /// of a window before the retention edge from the hourly rollups or
            /// the retired calls' kept share (`domain::attribution::retention::keeps_share`).
            async fn recount_rows(
                &self,
                tx: &mut sqlx::Transaction<'static, $db>,
                id: &str,
                spec: &domain::budgets::budget::BudgetSpec,
                windows: &[domain::budgets::window::Window],
            ) -> Result<(), $crate::StoreError> {
                let sql = self.q("delete from budget_spend where budget_id = ?");
                sqlx::query(&sql).bind(id).execute(&mut **tx).await?;
                // Calls before the retention edge are gone: that part of a window comes from the
                // hourly rollups when they can count it (domain::attribution::retention).
                let edge = self.edge_in(tx).await?;
                for w in windows {
                    let keeps_share = domain::attribution::retention::keeps_share(spec, w);
                    // (from the rollups?, from, to): the part before the edge, then the calls after it.
                    let split_at = edge.filter(|e| w.start < *e && !keeps_share).map_or(w.start, |e| e.min(w.end));
                    let parts = [(true, w.start, split_at), (false, split_at, w.end)];
                    // Each part's (split value, spend, calls) rows, summed below.
                    let mut rows: Vec<(String, i64, i64)> = Vec::new();
                    if keeps_share {
                        // The rollups cannot count this window: the retired calls' kept share does.
                        let sql = self.q(
                            "select split_value, spent_nanos, calls from budget_retired where budget_id = ? and period_start = ?",
                        );
                        rows.extend(sqlx::query_as(&sql).bind(id).bind(w.start.timestamp()).fetch_all(&mut **tx).await?);
                    }
                    for (rollups, from, to) in parts.into_iter().filter(|p| p.1 < p.2) {
                        let source = if rollups {
                            $crate::impls::counting::Sums::Rollups
                        } else {
                            $crate::impls::counting::Sums::Calls("events")
                        };
                        rows.extend(self.window_sums(tx, spec, source, (from, to)).await?);
                    }
                    let mut sums: std::collections::BTreeMap<String, (i64, i64)> = Default::default();
                    for (split, spent, calls) in rows {
                        let s = sums.entry(split).or_default();
                        (s.0, s.1) = (s.0 + spent, s.1 + calls);
                    }
                    let rows: Vec<_> = sums.into_iter().filter(|r| r.1 .1 > 0).collect();
                    for chunk in rows.chunks(500) {
                        let mut qb = sqlx::QueryBuilder::<$db>::new(
                            "insert into budget_spend (budget_id, split_value, period_start, spent_nanos, calls) ",
                        );
                        qb.push_values(chunk, |mut b, (split, (spent, calls))| {
                            b.push_bind(id.to_string())
                                .push_bind(split.clone())
                                .push_bind(w.start.timestamp())
                                .push_bind(*spent)
                                .push_bind(*calls);
                        });
                        qb.build().execute(&mut **tx).await?;
                    }
                }
                Ok(())
            }

            /// The retention edge as `tx` sees it (`None`: no call was ever retired).
            async fn edge_in(
                &self,
                tx: &mut sqlx::Transaction<'static, $db>,
            ) -> Result<Option<chrono::DateTime<chrono::Utc>>, $crate::StoreError> {
                let sql = self.q($crate::sql::RETENTION_EDGE_SELECT);
                let edge: Option<i64> =
                    sqlx::query_scalar(&sql).bind($crate::RETENTION_EDGE).fetch_optional(&mut **tx).await?;
                Ok(edge.map($crate::rollup::from_micros))
            }

            /// A budget's priced spend and calls per split value over `from..to`:
            /// from calls (`events`, or rows just deleted from it), or from the
            /// hourly rollups, whose tag sets keep every key such a budget
            /// scopes or splits by.
            async fn window_sums(
                &self,
                tx: &mut sqlx::Transaction<'static, $db>,
                spec: &domain::budgets::budget::BudgetSpec,
                source: $crate::impls::counting::Sums<'_>,
                (from, to): (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>),
            ) -> Result<Vec<(String, i64, i64)>, $crate::StoreError> {
                use domain::budgets::budget::SplitBy;
                let (split_expr, join) = match &spec.split_by {
                    None => ("''", ""),
                    Some(SplitBy::Task) => ("e.task_id", ""),
                    Some(SplitBy::Tag(_)) => ("s.value", " join tagset_tags s on s.tagset_id = e.tagset_id and s.key = ?"),
                };
                let rollups = matches!(source, $crate::impls::counting::Sums::Rollups);
                let (sums, table, range) = match source {
                    $crate::impls::counting::Sums::Rollups => (
                        "cast(coalesce(sum(e.cost_nanos), 0) as bigint), cast(coalesce(sum(e.calls - e.unpriced_calls), 0) as bigint)",
                        "rollup_hour",
                        "e.bucket >= ? and e.bucket < ?",
                    ),
                    $crate::impls::counting::Sums::Calls(table) => (
                        "cast(coalesce(sum(e.cost_nanos), 0) as bigint), count(*)",
                        table,
                        "e.ts_us >= ? and e.ts_us < ? and e.cost_nanos is not null",
                    ),
                };
                let mut sql = format!("select {split_expr}, {sums} from {table} e{join} where {range}");
                if spec.split_by == Some(SplitBy::Task) {
                    sql.push_str(" and e.task_id is not null");
                }
                for _ in &spec.scope.0 {
                    sql.push_str(
                        " and exists (select 1 from tagset_tags f where f.tagset_id = e.tagset_id and f.key = ? and f.value = ?)",
                    );
                }
                if spec.split_by.is_some() {
                    sql.push_str(&format!(" group by {split_expr}"));
                }
                let sql = self.q(&sql);
                let mut query = sqlx::query_as::<_, (String, i64, i64)>(&sql);
                if let Some(SplitBy::Tag(k)) = &spec.split_by {
                    query = query.bind(k.as_str().to_string());
                }
                query = if rollups {
                    query.bind(from.timestamp()).bind(to.timestamp())
                } else {
                    query.bind($crate::rollup::micros(from)).bind($crate::rollup::micros(to))
                };
                for (k, v) in &spec.scope.0 {
                    query = query.bind(k.as_str().to_string()).bind(v.clone());
                }
                Ok(query.fetch_all(&mut **tx).await?)
            }

            /// Keeps the share of the calls in `table` (`events`, or on Postgres
            /// the rows a delete just removed) in `from..to` (`None`: from the
            /// start) in each budget counter a recount cannot take from the rollups
            /// (`domain::attribution::retention::kept_share_windows` at `now`),
            /// adding it to `budget_retired`. The caller deletes exactly those
            /// calls in the same transaction, under the shared budget lock, so no
            /// recount sees the calls and their share at once. Shares of periods
            /// no recount reaches any more are dropped.
            pub(crate) async fn keep_retired_share(
                &self,
                tx: &mut sqlx::Transaction<'static, $db>,
                table: &str,
                (from, to): (Option<chrono::DateTime<chrono::Utc>>, chrono::DateTime<chrono::Utc>),
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::StoreError> {
                let rows: Vec<(String, String)> =
                    sqlx::query_as("select id, spec from budgets order by id").fetch_all(&mut **tx).await?;
                for (id, spec) in rows {
                    let spec = parse_spec(&spec)?;
                    let windows = domain::attribution::retention::kept_share_windows(&spec, now);
                    let Some(first) = windows.first() else { continue };
                    let sql = self.q("delete from budget_retired where budget_id = ? and period_start < ?");
                    sqlx::query(&sql).bind(&id).bind(first.start.timestamp()).execute(&mut **tx).await?;
                    for w in &windows {
                        let (lo, hi) = (from.map_or(w.start, |f| f.max(w.start)), to.min(w.end));
                        if lo >= hi {
                            continue;
                        }
                        let sums: Vec<_> = self
                            .window_sums(tx, &spec, $crate::impls::counting::Sums::Calls(table), (lo, hi))
                            .await?
                            .into_iter()
                            .filter(|r| r.2 > 0)
                            .collect();
                        for chunk in sums.chunks(500) {
                            let mut qb = sqlx::QueryBuilder::<$db>::new(
                                "insert into budget_retired (budget_id, split_value, period_start, spent_nanos, calls) ",
                            );
                            qb.push_values(chunk, |mut b, (split, spent, calls)| {
                                b.push_bind(id.clone())
                                    .push_bind(split.clone())
                                    .push_bind(w.start.timestamp())
                                    .push_bind(*spent)
                                    .push_bind(*calls);
                            });
                            qb.push(
                                " on conflict (budget_id, split_value, period_start) do update set \
                                 spent_nanos = budget_retired.spent_nanos + excluded.spent_nanos, \
                                 calls = budget_retired.calls + excluded.calls",
                            );
                            qb.build().execute(&mut **tx).await?;
                        }
                    }
                }
                Ok(())
            }

            /// Deletes the oldest calls before `edge` (µs): `batch` of them, and
            /// any at the same instant as the last, keeping their share of the
            /// budget counters in the same transaction ([`Self::keep_retired_share`]).
            /// How many calls it deleted; zero when none is left before `edge`.
            pub(crate) async fn retire_batch(
                &self,
                batch: i64,
                edge: i64,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<u64, $crate::StoreError> {
                let mut tx = self.retiring().await?;
                let sql = self.q("select ts_us from events where ts_us < ? order by ts_us limit 1 offset ?");
                let last: Option<i64> =
                    sqlx::query_scalar(&sql).bind(edge).bind(batch.max(1) - 1).fetch_optional(&mut *tx).await?;
                let to = last.map_or(edge, |t| (t + 1).min(edge));
                let sql = self.q("select ts_us from events where ts_us < ? limit 1");
                if sqlx::query_scalar::<_, i64>(&sql).bind(to).fetch_optional(&mut *tx).await?.is_none() {
                    return Ok(0);
                }
                let n = if $dialect == $crate::sql::Dialect::Postgres {
                    // Other writers (a reprice, a late call) run beside this one: the share is
                    // counted from exactly the rows the delete removed, as it removed them.
                    // This connection's own table, made once (asking first: "if not exists" would
                    // log a notice every batch).
                    let made: bool = sqlx::query_scalar("select to_regclass('pg_temp.retiring') is not null")
                        .fetch_one(&mut *tx)
                        .await?;
                    if !made {
                        sqlx::query(
                            "create temp table retiring (ts_us bigint, cost_nanos bigint, task_id text, \
                             tagset_id bigint) on commit delete rows",
                        )
                        .execute(&mut *tx)
                        .await?;
                    }
                    let n = sqlx::query(
                        "with gone as (delete from events where ts_us < $1 \
                         returning ts_us, cost_nanos, task_id, tagset_id) insert into retiring select * from gone",
                    )
                    .bind(to)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    self.keep_retired_share(&mut tx, "retiring", (None, $crate::rollup::from_micros(to)), now).await?;
                    n
                } else {
                    // One writer: nothing changes between the share and the delete.
                    self.keep_retired_share(&mut tx, "events", (None, $crate::rollup::from_micros(to)), now).await?;
                    let sql = self.q("delete from events where ts_us < ?");
                    sqlx::query(&sql).bind(to).execute(&mut *tx).await?.rows_affected()
                };
                tx.commit().await?;
                Ok(n)
            }

            /// A transaction for retiring calls: on Postgres it holds the budget
            /// lock shared (no recount meanwhile) and the retire lock (one batch
            /// at a time across processes); on SQLite it holds the file's write
            /// lock from its start.
            pub(crate) async fn retiring(&self) -> Result<sqlx::Transaction<'static, $db>, $crate::StoreError> {
                // SQLite: take the write lock first (`begin immediate`), so a write from another
                // process between this transaction's read and its delete makes it wait for the
                // lock rather than fail at once as a stale snapshot.
                let mut tx = if $dialect == $crate::sql::Dialect::Sqlite {
                    self.writer.begin_with("begin immediate").await?
                } else {
                    self.writer.begin().await?
                };
                self.lock_budgets(&mut tx, false).await?;
                if $dialect == $crate::sql::Dialect::Postgres {
                    sqlx::query("select pg_advisory_xact_lock($1)")
                        .bind($crate::budgets::RETIRE_LOCK)
                        .execute(&mut *tx)
                        .await?;
                }
                Ok(tx)
            }

            /// Recounts a budget's periods and fires whatever the recounted spend has passed.
            async fn recount_and_fire(
                &self,
                tx: &mut sqlx::Transaction<'static, $db>,
                rec: &$crate::BudgetRecord,
                windows: &[domain::budgets::window::Window],
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::StoreError> {
                self.recount_rows(tx, &rec.id, &rec.spec, &windows).await?;
                // The recounted spend may already be past thresholds (a new budget over
                // spent ground, or a lowered amount): they fire now, once.
                let current = windows[windows.len() - 1];
                let sql = self.q("select split_value, spent_nanos from budget_spend where budget_id = ? and period_start = ?");
                let counters: Vec<(String, i64)> =
                    sqlx::query_as(&sql).bind(&rec.id).bind(current.start.timestamp()).fetch_all(&mut **tx).await?;
                for (split, spent) in counters {
                    for f in domain::budgets::counting::firings(&rec.spec, 0, spent) {
                        let alert = $crate::NewAlert {
                            budget_id: rec.id.clone(),
                            budget_name: rec.spec.name.clone(),
                            split_value: split.clone(),
                            window: current,
                            kind: f.kind,
                            threshold: f.threshold,
                            spent: domain::Nanos(spent),
                            limit: rec.spec.amount,
                            forecast: None,
                            webhook: rec.spec.webhook.clone(),
                            fired: now,
                            message: None,
                        };
                        self.insert_alert(tx, &alert).await?;
                    }
                }
                Ok(())
            }

            /// Recounts one budget's current and previous period from the stored
            /// events (after events were retagged or repriced), firing what is passed.
            pub(crate) async fn recount_one(
                &self,
                rec: &$crate::BudgetRecord,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::StoreError> {
                let zone = domain::budgets::window::zone(&rec.spec.time_zone).unwrap_or(domain::budgets::window::Tz::UTC);
                let windows = domain::budgets::counting::recount_windows(rec.spec.period, zone, now);
                let mut tx = self.writer.begin().await?;
                self.lock_budgets(&mut tx, true).await?;
                let sql = self.q("update budgets set counted_from_us = ? where id = ?");
                sqlx::query(&sql).bind($crate::rollup::micros(windows[0].start)).bind(&rec.id).execute(&mut *tx).await?;
                self.recount_and_fire(&mut tx, rec, &windows, now).await?;
                tx.commit().await?;
                self.counters_forget(&rec.id);
                Ok(())
            }

            pub(crate) async fn save_budget_row(
                &self,
                rec: &$crate::BudgetRecord,
                now: chrono::DateTime<chrono::Utc>,
                create: bool,
            ) -> Result<Option<$crate::BudgetRecord>, $crate::StoreError> {
                let zone = domain::budgets::window::zone(&rec.spec.time_zone).unwrap_or(domain::budgets::window::Tz::UTC);
                let windows = domain::budgets::counting::recount_windows(rec.spec.period, zone, now);
                let counted_from = windows[0].start;
                let spec = serde_json::to_string(&rec.spec).map_err(|e| $crate::StoreError::Config(e.to_string()))?;
                let mut tx = self.writer.begin().await?;
                self.lock_budgets(&mut tx, true).await?;
                // Under the lock: a budget counted anew (created, or its scope, split, period or
                // zone changed) must not need calls before the retention edge; one that counts as
                // before keeps its retired calls' share. The service checked this too, unlocked.
                let sql = self.q("select spec from budgets where id = ?");
                let old: Option<String> = sqlx::query_scalar(&sql).bind(&rec.id).fetch_optional(&mut *tx).await?;
                let old = old.map(|o| parse_spec(&o)).transpose()?;
                let counted_anew = old.as_ref().is_none_or(|o| !o.counts_like(&rec.spec));
                if let Some(edge) = self.edge_in(&mut tx).await?.filter(|_| counted_anew) {
                    if let Some(e) = domain::attribution::retention::refuse_budget(&rec.spec, now, edge) {
                        return Err($crate::StoreError::Refused(e));
                    }
                }
                let stored = if create {
                    let sql = self.q(
                        "insert into budgets (id, spec, hard_cap, counted_from_us, created_by, created_us, updated_us) \
                         values (?, ?, ?, ?, ?, ?, ?)",
                    );
                    sqlx::query(&sql)
                        .bind(&rec.id)
                        .bind(&spec)
                        .bind(rec.spec.hard_cap as i64)
                        .bind($crate::rollup::micros(counted_from))
                        .bind(&rec.created_by)
                        .bind($crate::rollup::micros(now))
                        .bind($crate::rollup::micros(now))
                        .execute(&mut *tx)
                        .await?;
                    $crate::BudgetRecord { counted_from, created: now, updated: now, ..rec.clone() }
                } else {
                    // The retired calls' kept share was counted for the old scope, split, period and zone.
                    if old.is_some() && counted_anew {
                        let sql = self.q("delete from budget_retired where budget_id = ?");
                        sqlx::query(&sql).bind(&rec.id).execute(&mut *tx).await?;
                    }
                    let sql = self.q(
                        "update budgets set spec = ?, hard_cap = ?, counted_from_us = ?, updated_us = ? where id = ? \
                         returning created_by, created_us",
                    );
                    let row: Option<(String, i64)> = sqlx::query_as(&sql)
                        .bind(&spec)
                        .bind(rec.spec.hard_cap as i64)
                        .bind($crate::rollup::micros(counted_from))
                        .bind($crate::rollup::micros(now))
                        .bind(&rec.id)
                        .fetch_optional(&mut *tx)
                        .await?;
                    let Some((created_by, created)) = row else { return Ok(None) };
                    $crate::BudgetRecord {
                        counted_from,
                        created_by,
                        created: $crate::rollup::from_micros(created),
                        updated: now,
                        ..rec.clone()
                    }
                };
                self.recount_and_fire(&mut tx, rec, &windows, now).await?;
                tx.commit().await?;
                Ok(Some(stored))
            }

            pub(crate) async fn delete_budget_row(&self, id: &str) -> Result<bool, $crate::StoreError> {
                let mut tx = self.writer.begin().await?;
                self.lock_budgets(&mut tx, true).await?;
                for table in ["budget_spend", "budget_retired", "cap_reservations"] {
                    let sql = self.q(&format!("delete from {table} where budget_id = ?"));
                    sqlx::query(&sql).bind(id).execute(&mut *tx).await?;
                }
                let sql = self.q("delete from budgets where id = ?");
                let n = sqlx::query(&sql).bind(id).execute(&mut *tx).await?.rows_affected();
                tx.commit().await?;
                Ok(n > 0)
            }

            pub(crate) async fn budgets_where(&self, id: Option<&str>) -> Result<Vec<$crate::BudgetRecord>, $crate::StoreError> {
                let mut sql = "select id, spec, counted_from_us, created_by, created_us, updated_us from budgets".to_string();
                if id.is_some() {
                    sql.push_str(" where id = ?");
                }
                let sql = self.q(&sql);
                let mut query = sqlx::query_as::<_, (String, String, i64, String, i64, i64)>(&sql);
                if let Some(id) = id {
                    query = query.bind(id.to_string());
                }
                let rows = query.fetch_all(&self.reader).await?;
                let mut out = Vec::with_capacity(rows.len());
                for (id, spec, from, created_by, created, updated) in rows {
                    out.push($crate::BudgetRecord {
                        id,
                        spec: parse_spec(&spec)?,
                        counted_from: $crate::rollup::from_micros(from),
                        created_by,
                        created: $crate::rollup::from_micros(created),
                        updated: $crate::rollup::from_micros(updated),
                    });
                }
                out.sort_by(|a, b| a.spec.name.to_lowercase().cmp(&b.spec.name.to_lowercase()).then(a.id.cmp(&b.id)));
                Ok(out)
            }

            /// Every counter of one budget period (at most `limit`): (split value, spent).
            #[allow(dead_code, reason = "only the SQLite mirror reads periods whole")]
            pub(crate) async fn period_counters(
                &self,
                budget_id: &str,
                period_start: i64,
                limit: i64,
            ) -> Result<Vec<(String, i64)>, $crate::StoreError> {
                let sql = self.q(
                    "select split_value, spent_nanos from budget_spend where budget_id = ? and period_start = ? limit ?",
                );
                Ok(sqlx::query_as(&sql).bind(budget_id).bind(period_start).bind(limit).fetch_all(&self.reader).await?)
            }

            /// How many counters one budget period has, and their sum.
            #[allow(dead_code, reason = "only the SQLite mirror verifies periods")]
            pub(crate) async fn period_total(&self, budget_id: &str, period_start: i64) -> Result<(i64, i64), $crate::StoreError> {
                let sql = self.q(
                    "select count(*), cast(coalesce(sum(spent_nanos), 0) as bigint) from budget_spend \
                     where budget_id = ? and period_start = ?",
                );
                Ok(sqlx::query_as(&sql).bind(budget_id).bind(period_start).fetch_one(&self.reader).await?)
            }

            /// Each named counter's spend, `None` where it has no row yet.
            pub(crate) async fn counters_in_db(&self, keys: &[$crate::CounterKey]) -> Result<Vec<Option<i64>>, $crate::StoreError> {
                let sql = "select budget_id, split_value, period_start, spent_nanos from budget_spend where {keys}";
                self.per_counter(sql, None, keys).await
            }

            /// One value per named counter, `None` where no row names it:
            /// `sql` selects (budget id, split value, period start, value),
            /// takes `lead` as its first placeholder if given, and has `{keys}`
            /// where the keys' condition goes.
            pub(crate) async fn per_counter(
                &self,
                sql: &str,
                lead: Option<i64>,
                keys: &[$crate::CounterKey],
            ) -> Result<Vec<Option<i64>>, $crate::StoreError> {
                if keys.is_empty() {
                    return Ok(vec![]);
                }
                let cond = vec!["(budget_id = ? and split_value = ? and period_start = ?)"; keys.len()].join(" or ");
                let sql = self.q(&sql.replace("{keys}", &cond));
                let mut query = sqlx::query_as::<_, (String, String, i64, i64)>(&sql);
                if let Some(v) = lead {
                    query = query.bind(v);
                }
                for k in keys {
                    query = query.bind(k.budget_id.clone()).bind(k.split_value.clone()).bind(k.period_start.timestamp());
                }
                let rows = query.fetch_all(&self.reader).await?;
                Ok(keys
                    .iter()
                    .map(|k| {
                        rows.iter()
                            .find(|r| r.0 == k.budget_id && r.1 == k.split_value && r.2 == k.period_start.timestamp())
                            .map(|r| r.3)
                    })
                    .collect())
            }
        }

        fn parse_spec(text: &str) -> Result<domain::budgets::budget::BudgetSpec, $crate::StoreError> {
            serde_json::from_str(text).map_err(|e| $crate::StoreError::Config(format!("a stored budget is unreadable: {e}")))
        }
    };
}

pub(crate) use impl_budget_counting;
