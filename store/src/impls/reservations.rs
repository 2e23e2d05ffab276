//! Reservations against hard caps (`cap_reservations`), shared by both
//! backends: taking one all-or-none under the counters' locks, reading a
//! counter's load (spend plus live holds), settling holds in the ingest
//! transaction that stores their call, the budget page's summary, and the
//! per-process leases plain checks are answered from on Postgres.
//!
//! Locks: a reservation locks its counters' `budget_spend` rows in key order
//! (Postgres `FOR UPDATE`; SQLite has one writer), the order ingest's counter
//! upserts take them in (`domain::budgets::counting::increments` is a
//! `BTreeMap`), so the two never wait on each other in a cycle.

/// How long an expired, unsettled hold is kept for the budget page.
pub const EXPIRED_KEPT: chrono::TimeDelta = chrono::TimeDelta::days(1);

/// Implements the reservation helpers as an inherent `impl` of a backend.
macro_rules! impl_reservations {
    ($ty:ty, $db:ty, $dialect:expr) => {
        impl $ty {
            /// Takes `r` at `now`, all or none (see [`crate::Reserved`]).
            pub(crate) async fn reserve_now(
                &self,
                r: &$crate::Reservation,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<$crate::Reserved, $crate::StoreError> {
                let now_us = $crate::rollup::micros(now);
                let mut tx = self.writer.begin().await?;
                self.lock_budgets(&mut tx, false).await?;
                let sql = self.q(
                    "select amount_nanos, expires_us from cap_reservations \
                     where reservation_id = ? and expires_us > ? limit 1",
                );
                let held: Option<(i64, i64)> =
                    sqlx::query_as(&sql).bind(&r.id).bind(now_us).fetch_optional(&mut *tx).await?;
                if let Some((amount, expires)) = held {
                    return Ok($crate::Reserved::AlreadyHeld {
                        amount: domain::Nanos(amount),
                        expires: $crate::rollup::from_micros(expires),
                    });
                }
                let mut order: Vec<usize> = (0..r.holds.len()).collect();
                order.sort_by(|a, b| r.holds[*a].0.cmp(&r.holds[*b].0));
                let mut loads = vec![$crate::CapLoad::default(); r.holds.len()];
                let mut refused = false;
                for i in order {
                    let (k, limit) = &r.holds[i];
                    let (spent, reserved, leased) = self.locked_load(&mut tx, k, now_us, None).await?;
                    loads[i] = $crate::CapLoad {
                        spent: domain::Nanos(spent),
                        reserved: domain::Nanos(reserved),
                        leased: domain::Nanos(leased),
                    };
                    refused |= domain::budgets::cap::refuses(*limit, loads[i].total(), r.amount);
                }
                if refused {
                    tx.rollback().await?;
                    return Ok($crate::Reserved::Refused(loads));
                }
                let expires_us = $crate::rollup::micros(r.expires);
                if !r.holds.is_empty() {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "insert into cap_reservations (reservation_id, budget_id, split_value, period_start, \
                         amount_nanos, reserved_us, expires_us) ",
                    );
                    qb.push_values(&r.holds, |mut b, (k, _)| {
                        b.push_bind(r.id.clone())
                            .push_bind(k.budget_id.clone())
                            .push_bind(k.split_value.clone())
                            .push_bind(k.period_start.timestamp())
                            .push_bind(r.amount.0)
                            .push_bind(now_us)
                            .push_bind(expires_us);
                    });
                    // An expired hold with the same id is replaced: the id is reserved again.
                    qb.push(
                        " on conflict (reservation_id, budget_id, split_value, period_start) do update set \
                         amount_nanos = excluded.amount_nanos, reserved_us = excluded.reserved_us, \
                         expires_us = excluded.expires_us",
                    );
                    qb.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok($crate::Reserved::Granted { expires: r.expires })
            }

            /// A counter's spend, live holds and live leases (of every holder
            /// but `except`), its `budget_spend` row locked first (Postgres
            /// `FOR UPDATE`, created empty if missing, so that its lock orders
            /// every reservation, lease and batch on it).
            async fn locked_load(
                &self,
                tx: &mut sqlx::Transaction<'static, $db>,
                k: &$crate::CounterKey,
                now_us: i64,
                except: Option<&str>,
            ) -> Result<(i64, i64, i64), $crate::StoreError> {
                let start = k.period_start.timestamp();
                if $dialect == $crate::sql::Dialect::Postgres {
                    sqlx::query(
                        "insert into budget_spend (budget_id, split_value, period_start, spent_nanos, calls) \
                         values ($1, $2, $3, 0, 0) on conflict do nothing",
                    )
                    .bind(&k.budget_id)
                    .bind(&k.split_value)
                    .bind(start)
                    .execute(&mut **tx)
                    .await?;
                    // The lock is a statement of its own: a statement that waits for a lock
                    // reads with the snapshot it began with (Read Committed), so reading the
                    // holds in it would miss those committed by the transaction waited for.
                    sqlx::query(
                        "select 1 from budget_spend where budget_id = $1 and split_value = $2 and period_start = $3 \
                         for update",
                    )
                    .bind(&k.budget_id)
                    .bind(&k.split_value)
                    .bind(start)
                    .execute(&mut **tx)
                    .await?;
                }
                // Then one statement, with a fresh snapshot: the spend, the live holds and the others' live leases.
                let sql = self.q(
                    "select coalesce((select spent_nanos from budget_spend \
                     where budget_id = ? and split_value = ? and period_start = ?), 0), \
                     (select cast(coalesce(sum(r.amount_nanos), 0) as bigint) from cap_reservations r \
                     where r.budget_id = ? and r.split_value = ? and r.period_start = ? and r.expires_us > ?), \
                     (select cast(coalesce(sum(l.amount_nanos), 0) as bigint) from cap_leases l \
                     where l.budget_id = ? and l.split_value = ? and l.period_start = ? and l.holder <> ? \
                     and l.expires_us > ?)",
                );
                let query = sqlx::query_as::<_, (i64, i64, i64)>(&sql)
                    .bind(&k.budget_id)
                    .bind(&k.split_value)
                    .bind(start)
                    .bind(&k.budget_id)
                    .bind(&k.split_value)
                    .bind(start)
                    .bind(now_us)
                    .bind(&k.budget_id)
                    .bind(&k.split_value)
                    .bind(start)
                    .bind(except.unwrap_or(""))
                    .bind(now_us);
                Ok(query.fetch_one(&mut **tx).await?)
            }

            /// Grants this process (`holder`) a lease on each counter (with its
            /// limit), in one transaction taking their rows in key order: a
            /// `1/share` slice of each one's room (limit minus spend, live holds
            /// and the other holders' live leases), replacing its previous lease.
            pub(crate) async fn lease_now(
                &self,
                holder: &str,
                keys: &[($crate::CounterKey, domain::Nanos)],
                (share, min): (i64, domain::Nanos),
                now: chrono::DateTime<chrono::Utc>,
                expires: chrono::DateTime<chrono::Utc>,
            ) -> Result<Vec<$crate::Leased>, $crate::StoreError> {
                let now_us = $crate::rollup::micros(now);
                let mut tx = self.writer.begin().await?;
                self.lock_budgets(&mut tx, false).await?;
                let mut order: Vec<usize> = (0..keys.len()).collect();
                order.sort_by(|a, b| keys[*a].0.cmp(&keys[*b].0));
                let mut out = vec![$crate::Leased::default(); keys.len()];
                if $dialect == $crate::sql::Dialect::Postgres {
                    // The same grants, two statements for any number of counters.
                    order.dedup_by(|a, b| keys[*a].0 == keys[*b].0);
                    for chunk in order.chunks(1_000) {
                        let got = self.lease_set(&mut tx, holder, keys, chunk, (share, min), now_us, expires).await?;
                        for (i, leased) in got {
                            out[i] = leased;
                        }
                    }
                    // A key named twice gets the one grant.
                    let mut first: std::collections::HashMap<&$crate::CounterKey, usize> = Default::default();
                    for i in 0..keys.len() {
                        match first.get(&keys[i].0) {
                            Some(j) => out[i] = out[*j].clone(),
                            None => {
                                first.insert(&keys[i].0, i);
                            }
                        }
                    }
                } else {
                    for i in order {
                        let (key, limit) = &keys[i];
                        out[i] = self.lease_one(&mut tx, holder, key, *limit, (share, min), now_us, expires).await?;
                    }
                }
                tx.commit().await?;
                Ok(out)
            }

            /// Postgres: the leases of the counters `which` (indexes into
            /// `keys`, in key order, no key twice) in two statements: their
            /// `budget_spend` rows made or locked one by one in key order (the
            /// order ingest's upserts and reservations take them in), then,
            /// a statement of its own as in [`Self::locked_load`] (a statement
            /// that waited for a lock reads with its old snapshot), one that
            /// reads each one's load, grants each its slice and records the grants.
            #[allow(clippy::too_many_arguments, reason = "the lease's parts, all needed")]
            async fn lease_set(
                &self,
                tx: &mut sqlx::Transaction<'static, $db>,
                holder: &str,
                keys: &[($crate::CounterKey, domain::Nanos)],
                which: &[usize],
                (share, min): (i64, domain::Nanos),
                now_us: i64,
                expires: chrono::DateTime<chrono::Utc>,
            ) -> Result<Vec<(usize, $crate::Leased)>, $crate::StoreError> {
                if which.is_empty() {
                    return Ok(vec![]);
                }
                // One statement makes each missing row and locks each existing one, row by row in
                // key order (a row made here is held by this transaction from then on), so the
                // order of every lock taken is the keys' order, as ingest and reservations take them.
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "insert into budget_spend (budget_id, split_value, period_start, spent_nanos, calls) ",
                );
                qb.push_values(which, |mut b, i| {
                    let k = &keys[*i].0;
                    b.push_bind(k.budget_id.clone()).push_bind(k.split_value.clone()).push_bind(k.period_start.timestamp());
                    b.push("0, 0");
                });
                qb.push(
                    " on conflict (budget_id, split_value, period_start) do update set calls = budget_spend.calls",
                );
                qb.build().execute(&mut **tx).await?;
                let rows = vec!["(cast(? as bigint), cast(? as text), cast(? as text), cast(? as bigint), cast(? as bigint))"; which.len()]
                    .join(", ");
                let sql = self.q(&format!(
                    "with k (i, bid, sv, ps, lim) as (values {rows}), \
                     g as (select k.i, k.bid, k.sv, k.ps, k.lim, \
                      coalesce((select b.spent_nanos from budget_spend b where b.budget_id = k.bid \
                       and b.split_value = k.sv and b.period_start = k.ps), 0) as spent, \
                      (select cast(coalesce(sum(r.amount_nanos), 0) as bigint) from cap_reservations r \
                       where r.budget_id = k.bid and r.split_value = k.sv and r.period_start = k.ps \
                       and r.expires_us > ?) as reserved, \
                      (select cast(coalesce(sum(l.amount_nanos), 0) as bigint) from cap_leases l \
                       where l.budget_id = k.bid and l.split_value = k.sv and l.period_start = k.ps \
                       and l.holder <> ? and l.expires_us > ?) as others from k), \
                     s as (select g.*, greatest(g.lim - g.spent - g.reserved - g.others, 0) / ? as slice from g), \
                     f as (select s.*, case when s.slice >= ? then s.slice else 0 end as granted from s), \
                     up as (insert into cap_leases (holder, budget_id, split_value, period_start, amount_nanos, expires_us) \
                      select ?, f.bid, f.sv, f.ps, f.granted, ? from f \
                      on conflict (budget_id, split_value, period_start, holder) \
                      do update set amount_nanos = excluded.amount_nanos, expires_us = excluded.expires_us) \
                     select f.i, f.spent, f.reserved, f.others, f.granted from f"
                ));
                let mut query = sqlx::query_as::<_, (i64, i64, i64, i64, i64)>(&sql);
                for i in which {
                    let (k, limit) = &keys[*i];
                    query = query
                        .bind(*i as i64)
                        .bind(k.budget_id.clone())
                        .bind(k.split_value.clone())
                        .bind(k.period_start.timestamp())
                        .bind(limit.0);
                }
                let rows = query
                    .bind(now_us)
                    .bind(holder.to_string())
                    .bind(now_us)
                    .bind(share.max(1))
                    .bind(min.0.max(1))
                    .bind(holder.to_string())
                    .bind($crate::rollup::micros(expires))
                    .fetch_all(&mut **tx)
                    .await?;
                Ok(rows
                    .into_iter()
                    .map(|(i, spent, reserved, others, granted)| {
                        let load = $crate::CapLoad {
                            spent: domain::Nanos(spent),
                            reserved: domain::Nanos(reserved),
                            leased: domain::Nanos(others),
                        };
                        (i as usize, $crate::Leased { granted: domain::Nanos(granted), load })
                    })
                    .collect())
            }

            /// One counter's lease, in the lease transaction.
            #[allow(clippy::too_many_arguments, reason = "the lease's parts, all needed")]
            async fn lease_one(
                &self,
                tx: &mut sqlx::Transaction<'static, $db>,
                holder: &str,
                key: &$crate::CounterKey,
                limit: domain::Nanos,
                (share, min): (i64, domain::Nanos),
                now_us: i64,
                expires: chrono::DateTime<chrono::Utc>,
            ) -> Result<$crate::Leased, $crate::StoreError> {
                let (spent, reserved, others) = self.locked_load(tx, key, now_us, Some(holder)).await?;
                let room = limit.0.saturating_sub(spent).saturating_sub(reserved).saturating_sub(others);
                // A slice too small for the call asking holds nothing: that room stays for exact checks.
                let slice = if room > 0 { room / share.max(1) } else { 0 };
                let granted = if slice >= min.0.max(1) { slice } else { 0 };
                let sql = self.q(
                    "insert into cap_leases (holder, budget_id, split_value, period_start, amount_nanos, expires_us) \
                     values (?, ?, ?, ?, ?, ?) on conflict (budget_id, split_value, period_start, holder) \
                     do update set amount_nanos = excluded.amount_nanos, expires_us = excluded.expires_us",
                );
                sqlx::query(&sql)
                    .bind(holder)
                    .bind(&key.budget_id)
                    .bind(&key.split_value)
                    .bind(key.period_start.timestamp())
                    .bind(granted)
                    .bind($crate::rollup::micros(expires))
                    .execute(&mut **tx)
                    .await?;
                Ok($crate::Leased {
                    granted: domain::Nanos(granted),
                    load: $crate::CapLoad {
                        spent: domain::Nanos(spent),
                        reserved: domain::Nanos(reserved),
                        leased: domain::Nanos(others),
                    },
                })
            }

            /// The live holds on each named counter at `now` (zero where none).
            #[allow(dead_code, reason = "Postgres reads loads in one statement")]
            pub(crate) async fn reserved_in_db(
                &self,
                keys: &[$crate::CounterKey],
                now_us: i64,
            ) -> Result<Vec<domain::Nanos>, $crate::StoreError> {
                let sql = "select budget_id, split_value, period_start, cast(sum(amount_nanos) as bigint) \
                     from cap_reservations where expires_us > ? and ({keys}) \
                     group by budget_id, split_value, period_start";
                let found = self.per_counter(sql, Some(now_us), keys).await?;
                Ok(found.into_iter().map(|v| domain::Nanos(v.unwrap_or(0))).collect())
            }

            /// Each named counter's spend and live holds, in one statement
            /// (a counter may have holds and no spend row: a recount drops empty rows).
            #[allow(dead_code, reason = "SQLite reads spend from its mirror")]
            pub(crate) async fn loads_in_db(
                &self,
                keys: &[$crate::CounterKey],
                now_us: i64,
            ) -> Result<Vec<$crate::CapLoad>, $crate::StoreError> {
                if keys.is_empty() {
                    return Ok(vec![]);
                }
                let values =
                    vec!["(cast(? as bigint), cast(? as text), cast(? as text), cast(? as bigint))"; keys.len()]
                        .join(", ");
                let sql = self.q(&format!(
                    "select k.i, \
                     coalesce((select b.spent_nanos from budget_spend b where b.budget_id = k.bid \
                      and b.split_value = k.sv and b.period_start = k.ps), 0), \
                     (select cast(coalesce(sum(r.amount_nanos), 0) as bigint) from cap_reservations r \
                      where r.budget_id = k.bid and r.split_value = k.sv and r.period_start = k.ps \
                      and r.expires_us > ?), \
                     (select cast(coalesce(sum(l.amount_nanos), 0) as bigint) from cap_leases l \
                      where l.budget_id = k.bid and l.split_value = k.sv and l.period_start = k.ps \
                      and l.expires_us > ?) \
                     from (values {values}) as k (i, bid, sv, ps)"
                ));
                // The two expiry placeholders come first in the text.
                let mut query = sqlx::query_as::<_, (i64, i64, i64, i64)>(&sql).bind(now_us).bind(now_us);
                for (i, k) in keys.iter().enumerate() {
                    query = query
                        .bind(i as i64)
                        .bind(k.budget_id.clone())
                        .bind(k.split_value.clone())
                        .bind(k.period_start.timestamp());
                }
                let rows = query.fetch_all(&self.reader).await?;
                let mut loads = vec![$crate::CapLoad::default(); keys.len()];
                for (i, spent, reserved, leased) in rows {
                    if let Some(l) = loads.get_mut(i as usize) {
                        *l = $crate::CapLoad {
                            spent: domain::Nanos(spent),
                            reserved: domain::Nanos(reserved),
                            leased: domain::Nanos(leased),
                        };
                    }
                }
                Ok(loads)
            }

            /// Settles the holds of calls this batch stored: deletes them in
            /// the ingest transaction, so the call's cost and the end of its
            /// hold commit together. Reads nothing more when no hold exists.
            pub(crate) async fn settle_reservations(
                &self,
                tx: &mut sqlx::Transaction<'static, $db>,
                ids: &[&str],
            ) -> Result<(), $crate::StoreError> {
                if ids.is_empty() || !self.holds_may_be_live() {
                    return Ok(());
                }
                let any: i64 = sqlx::query_scalar("select count(*) from (select 1 from cap_reservations limit 1) held")
                    .fetch_one(&mut **tx)
                    .await?;
                if any == 0 {
                    return Ok(());
                }
                for chunk in ids.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("delete from cap_reservations where reservation_id in (");
                    let mut list = qb.separated(", ");
                    for id in chunk {
                        list.push_bind(id.to_string());
                    }
                    qb.push(")");
                    qb.build().execute(&mut **tx).await?;
                }
                Ok(())
            }

            /// A budget period's live and recently expired holds.
            pub(crate) async fn reservation_summary_in_db(
                &self,
                budget_id: &str,
                period_start: chrono::DateTime<chrono::Utc>,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<$crate::ReservationSummary, $crate::StoreError> {
                let now_us = $crate::rollup::micros(now);
                let since_us = $crate::rollup::micros(now - $crate::impls::reservations::EXPIRED_KEPT);
                let sql = self.q(
                    "select \
                     cast(coalesce(sum(case when expires_us > ? then 1 else 0 end), 0) as bigint), \
                     cast(coalesce(sum(case when expires_us > ? then amount_nanos else 0 end), 0) as bigint), \
                     cast(coalesce(sum(case when expires_us <= ? and expires_us > ? then 1 else 0 end), 0) as bigint) \
                     from cap_reservations where budget_id = ? and period_start = ?",
                );
                let (live, reserved, expired): (i64, i64, i64) = sqlx::query_as(&sql)
                    .bind(now_us)
                    .bind(now_us)
                    .bind(now_us)
                    .bind(since_us)
                    .bind(budget_id)
                    .bind(period_start.timestamp())
                    .fetch_one(&self.reader)
                    .await?;
                Ok($crate::ReservationSummary { live, reserved: domain::Nanos(reserved), expired })
            }

            /// Deletes holds and leases that expired before `before`; how many.
            pub(crate) async fn prune_reservations_in_db(
                &self,
                before: chrono::DateTime<chrono::Utc>,
            ) -> Result<u64, $crate::StoreError> {
                let mut n = 0;
                for table in ["cap_reservations", "cap_leases"] {
                    let sql = self.q(&format!("delete from {table} where expires_us < ?"));
                    n += sqlx::query(&sql).bind($crate::rollup::micros(before)).execute(&self.writer).await?.rows_affected();
                }
                Ok(n)
            }
        }
    };
}

pub(crate) use impl_reservations;
