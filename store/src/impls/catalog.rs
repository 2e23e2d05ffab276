//! The `CatalogStore` of both backends: prices, the taxonomy, tag sets and jobs, with the SQL written
//! once (the dialect switches are in `crate::sql`); invoked for each backend
//! in `sqlite.rs` and `postgres.rs`.

/// Implements [`crate::CatalogStore`] for a backend (see `crate::backend`).
macro_rules! impl_catalog_store {
    ($ty:ty, $db:ty, $dialect:expr, $backend:expr, $migrator:expr) => {
        impl $ty {
            /// Adds sums to the hourly and daily rollups (negative sums subtract).
            async fn add_rollups(
                &self,
                tx: &mut sqlx::Transaction<'static, $db>,
                deltas: &$crate::rollup::Deltas,
            ) -> Result<(), $crate::StoreError> {
                for (table, map) in [("rollup_hour", &deltas.hour), ("rollup_day", &deltas.day)] {
                    let entries: Vec<_> = map.iter().collect();
                    for chunk in entries.chunks(1000) {
                        let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                            "insert into {table} (bucket, tagset_id, model, provider, calls, input_tokens, output_tokens, \
                             cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_nanos, unpriced_calls) "
                        ));
                        qb.push_values(chunk, |mut b, ((bucket, tagset, model, provider), t)| {
                            b.push_bind(*bucket)
                                .push_bind(*tagset)
                                .push_bind(model.clone())
                                .push_bind(provider.clone())
                                .push_bind(t.calls)
                                .push_bind(t.input_tokens)
                                .push_bind(t.output_tokens)
                                .push_bind(t.cache_read_tokens)
                                .push_bind(t.cache_write_tokens)
                                .push_bind(t.reasoning_tokens)
                                .push_bind(t.cost.0)
                                .push_bind(t.unpriced_calls);
                        });
                        qb.push($crate::sql::rollup_conflict(table));
                        qb.build().execute(&mut **tx).await?;
                    }
                }
                Ok(())
            }

            async fn bump_revision(&self, tx: &mut sqlx::Transaction<'static, $db>, name: &str) -> Result<(), $crate::StoreError> {
                let sql = self.q("update config_revisions set revision = revision + 1 where name = ?");
                sqlx::query(&sql).bind(name).execute(&mut **tx).await?;
                Ok(())
            }

            pub(crate) async fn jobs_where(&self, id: Option<&str>, limit: i64) -> Result<Vec<$crate::JobRecord>, $crate::StoreError> {
                let filter = if id.is_some() { "where id = ?" } else { "" };
                let sql = self.q(&format!(
                    "select id, kind, params, state, done, total, detail, created_by, created_us, heartbeat_us, finished_us \
                     from jobs {filter} order by created_us desc, id limit ?"
                ));
                let mut q = sqlx::query_as::<_, (String, String, String, String, i64, i64, String, String, i64, i64, Option<i64>)>(&sql);
                if let Some(id) = id {
                    q = q.bind(id);
                }
                let rows = q.bind(limit).fetch_all(&self.reader).await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, kind, params, state, done, total, detail, created_by, created, heartbeat, finished)| $crate::JobRecord {
                        id,
                        kind,
                        params: serde_json::from_str(&params).unwrap_or_default(),
                        state,
                        done,
                        total,
                        detail,
                        created_by,
                        created: $crate::rollup::from_micros(created),
                        heartbeat: $crate::rollup::from_micros(heartbeat),
                        finished: finished.map($crate::rollup::from_micros),
                    })
                    .collect())
            }

        }

        #[async_trait::async_trait]
        impl $crate::CatalogStore for $ty {
            async fn list_price_models(&self) -> Result<Vec<domain::pricing::catalog::ModelPrice>, $crate::StoreError> {
                let rows: Vec<(String, String, String, String)> =
                    sqlx::query_as("select model, provider, aliases, prices from price_models order by provider, model")
                        .fetch_all(&self.reader)
                        .await?;
                rows.into_iter()
                    .map(|(model, provider, aliases, prices)| {
                        let bad = |e: serde_json::Error| $crate::StoreError::Config(format!("price of {model}: {e}"));
                        Ok(domain::pricing::catalog::ModelPrice {
                            aliases: serde_json::from_str(&aliases).map_err(bad)?,
                            prices: serde_json::from_str(&prices).map_err(bad)?,
                            model: model.clone(),
                            provider,
                        })
                    })
                    .collect()
            }

            async fn put_price_models(
                &self,
                models: &[domain::pricing::catalog::ModelPrice],
                at: chrono::DateTime<chrono::Utc>,
                only_missing: bool,
            ) -> Result<usize, $crate::StoreError> {
                let mut tx = self.writer.begin().await?;
                let conflict = if only_missing {
                    "do nothing"
                } else {
                    "do update set provider = excluded.provider, aliases = excluded.aliases, prices = excluded.prices, \
                     updated_us = excluded.updated_us"
                };
                let sql = self.q(&format!(
                    "insert into price_models (model, provider, aliases, prices, updated_us) values (?, ?, ?, ?, ?) \
                     on conflict (model) {conflict}"
                ));
                let mut changed = 0;
                for m in models {
                    changed += sqlx::query(&sql)
                        .bind(&m.model)
                        .bind(&m.provider)
                        .bind(serde_json::to_string(&m.aliases).unwrap_or_default())
                        .bind(serde_json::to_string(&m.prices).unwrap_or_default())
                        .bind($crate::rollup::micros(at))
                        .execute(&mut *tx)
                        .await?
                        .rows_affected() as usize;
                }
                if changed > 0 {
                    self.bump_revision(&mut tx, "prices").await?;
                }
                tx.commit().await?;
                Ok(changed)
            }

            async fn taxonomy(&self) -> Result<domain::attribution::taxonomy::Taxonomy, $crate::StoreError> {
                let rows: Vec<(String,)> =
                    sqlx::query_as("select rule from taxonomy_keys order by key").fetch_all(&self.reader).await?;
                let keys = rows
                    .into_iter()
                    .map(|(r,)| serde_json::from_str(&r).map_err(|e| $crate::StoreError::Config(format!("taxonomy rule: {e}"))))
                    .collect::<Result<_, _>>()?;
                Ok(domain::attribution::taxonomy::Taxonomy { keys })
            }

            async fn put_taxonomy(
                &self,
                taxonomy: &domain::attribution::taxonomy::Taxonomy,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::StoreError> {
                let t = taxonomy;
                let mut tx = self.writer.begin().await?;
                sqlx::query("delete from taxonomy_keys").execute(&mut *tx).await?;
                let sql = self.q("insert into taxonomy_keys (key, rule, updated_us) values (?, ?, ?)");
                for rule in &t.keys {
                    let text = serde_json::to_string(rule).map_err(|e| $crate::StoreError::Config(e.to_string()))?;
                    sqlx::query(&sql).bind(&rule.key).bind(text).bind($crate::rollup::micros(at)).execute(&mut *tx).await?;
                }
                self.bump_revision(&mut tx, "taxonomy").await?;
                tx.commit().await?;
                Ok(())
            }

            async fn create_job(&self, job: &$crate::JobRecord) -> Result<(), $crate::StoreError> {
                let j = job;
                let sql = self.q(
                    "insert into jobs (id, kind, params, state, done, total, detail, created_by, created_us, heartbeat_us, finished_us) \
                     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                );
                sqlx::query(&sql)
                    .bind(&j.id)
                    .bind(&j.kind)
                    .bind(j.params.to_string())
                    .bind(&j.state)
                    .bind(j.done)
                    .bind(j.total)
                    .bind(&j.detail)
                    .bind(&j.created_by)
                    .bind($crate::rollup::micros(j.created))
                    .bind($crate::rollup::micros(j.heartbeat))
                    .bind(j.finished.map($crate::rollup::micros))
                    .execute(&self.writer)
                    .await?;
                Ok(())
            }

            async fn update_job(&self, job: &$crate::JobRecord) -> Result<(), $crate::StoreError> {
                let j = job;
                let sql = self.q(
                    "update jobs set state = ?, done = ?, total = ?, detail = ?, heartbeat_us = ?, finished_us = ? where id = ?",
                );
                sqlx::query(&sql)
                    .bind(&j.state)
                    .bind(j.done)
                    .bind(j.total)
                    .bind(&j.detail)
                    .bind($crate::rollup::micros(j.heartbeat))
                    .bind(j.finished.map($crate::rollup::micros))
                    .bind(&j.id)
                    .execute(&self.writer)
                    .await?;
                Ok(())
            }

            async fn list_jobs(&self, limit: i64) -> Result<Vec<$crate::JobRecord>, $crate::StoreError> {
                self.jobs_where(None, limit).await
            }

            async fn get_job(&self, id: &str) -> Result<Option<$crate::JobRecord>, $crate::StoreError> {
                Ok(self.jobs_where(Some(id), 1).await?.pop())
            }

            async fn interrupt_stale_jobs(
                &self,
                before: chrono::DateTime<chrono::Utc>,
            ) -> Result<u64, $crate::StoreError> {

                let sql = self.q(
                    "update jobs set state = 'interrupted', detail = 'its process stopped; run it again' \
                     where state = 'running' and heartbeat_us < ?",
                );
                Ok(sqlx::query(&sql).bind($crate::rollup::micros(before)).execute(&self.writer).await?.rows_affected())
            }

            async fn tagsets_with_events(&self) -> Result<Vec<(i64, domain::TagSet)>, $crate::StoreError> {
                let rows: Vec<(i64, String)> = sqlx::query_as(
                    "select t.id, t.tags_key from tagsets t where exists (select 1 from events e where e.tagset_id = t.id) order by t.id",
                )
                .fetch_all(&self.reader)
                .await?;
                Ok(rows.into_iter().map(|(id, key)| (id, $crate::people::tags_from_key(&key))).collect())
            }

            async fn remap_tagset(&self, from: i64, to: &domain::TagSet) -> Result<i64, $crate::StoreError> {
                let mut tx = self.writer.begin().await?;
                self.lock_budgets(&mut tx, true).await?;
                let sql = self.q("select tags_key from tagsets where id = ?");
                let Some(old_key): Option<String> = sqlx::query_scalar(&sql).bind(from).fetch_optional(&mut *tx).await? else {
                    return Ok(0);
                };
                let old = $crate::people::tags_from_key(&old_key);
                let sets = [to.clone(), old.rollup_part(), to.rollup_part()];
                let (ids, fresh) = self.tagset_ids(&mut tx, &sets).await?;
                let (to_id, old_rollup, new_rollup) = (ids[0], ids[1], ids[2]);
                if to_id == from {
                    return Ok(0);
                }
                if old_rollup != new_rollup {
                    // Move these events' share of the rollups from the old rollup set to the new one.
                    let mut deltas = $crate::rollup::Deltas::default();
                    for (unit, map) in [(3600i64, &mut deltas.hour), (86_400i64, &mut deltas.day)] {
                        let sql = self.q(&format!(
                            "select (ts_us / {us}) * {unit}, model, provider, count(*), cast(sum(input_tokens) as bigint), \
                             cast(sum(output_tokens) as bigint), cast(sum(cache_read_tokens) as bigint), \
                             cast(sum(cache_write_tokens) as bigint), cast(sum(reasoning_tokens) as bigint), \
                             cast(coalesce(sum(cost_nanos), 0) as bigint), \
                             cast(sum(case when cost_nanos is null then 1 else 0 end) as bigint) \
                             from events where tagset_id = ? group by 1, model, provider",
                            us = unit * 1_000_000
                        ));
                        let rows: Vec<(i64, String, String, i64, i64, i64, i64, i64, i64, i64, i64)> =
                            sqlx::query_as(&sql).bind(from).fetch_all(&mut *tx).await?;
                        for (bucket, model, provider, calls, i, o, cr, cw, r, cost, unpriced) in rows {
                            let t = domain::attribution::report::Totals {
                                cost: domain::Nanos(cost),
                                calls,
                                input_tokens: i,
                                output_tokens: o,
                                cache_read_tokens: cr,
                                cache_write_tokens: cw,
                                reasoning_tokens: r,
                                unpriced_calls: unpriced,
                            };
                            let neg = domain::attribution::report::Totals {
                                cost: domain::Nanos(-cost),
                                calls: -calls,
                                input_tokens: -i,
                                output_tokens: -o,
                                cache_read_tokens: -cr,
                                cache_write_tokens: -cw,
                                reasoning_tokens: -r,
                                unpriced_calls: -unpriced,
                            };
                            map.entry((bucket, new_rollup, model.clone(), provider.clone())).or_default().add(&t);
                            map.entry((bucket, old_rollup, model, provider)).or_default().add(&neg);
                        }
                    }
                    self.add_rollups(&mut tx, &deltas).await?;
                    // Rows the move emptied go, found by primary key.
                    for (table, map) in [("rollup_hour", &deltas.hour), ("rollup_day", &deltas.day)] {
                        let sql = self.q(&format!(
                            "delete from {table} where bucket = ? and tagset_id = ? and model = ? and provider = ? and calls = 0"
                        ));
                        for (bucket, tagset, model, provider) in map.keys().filter(|k| k.1 == old_rollup) {
                            sqlx::query(&sql).bind(*bucket).bind(*tagset).bind(model).bind(provider).execute(&mut *tx).await?;
                        }
                    }
                }
                self.move_task_tagsets(&mut tx, from, to_id).await?;
                let sql = self.q("update events set tagset_id = ? where tagset_id = ?");
                let moved = sqlx::query(&sql).bind(to_id).bind(from).execute(&mut *tx).await?.rows_affected() as i64;
                tx.commit().await?;
                self.tagsets.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).extend(fresh);
                Ok(moved)
            }

            async fn unpriced_models(&self) -> Result<Vec<$crate::UnpricedModel>, $crate::StoreError> {
                let rows: Vec<(String, i64, i64, i64, i64, i64)> = sqlx::query_as(
                    "select model, count(*), cast(sum(input_tokens) as bigint), cast(sum(output_tokens) as bigint), \
                     min(ts_us), max(ts_us) from events where cost_source = 'unpriced' group by model order by count(*) desc, model",
                )
                .fetch_all(&self.reader)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(model, calls, input_tokens, output_tokens, first, last)| $crate::UnpricedModel {
                        model,
                        calls,
                        input_tokens,
                        output_tokens,
                        first: $crate::rollup::from_micros(first),
                        last: $crate::rollup::from_micros(last),
                    })
                    .collect())
            }

            async fn reprice(
                &self,
                model: &str,
                catalog: &domain::Catalog,
                after_seq: i64,
                limit: i64,
            ) -> Result<$crate::RepriceStep, $crate::StoreError> {
                let mut tx = self.writer.begin().await?;
                self.lock_budgets(&mut tx, false).await?;
                let sql = self.q(
                    "select e.seq, e.ts_us, e.provider, e.input_tokens, e.output_tokens, e.cache_read_tokens, \
                     e.cache_write_tokens, e.reasoning_tokens, t.tags_key, e.task_id from events e join tagsets t on t.id = e.tagset_id \
                     where e.cost_source = 'unpriced' and e.model = ? and e.seq > ? order by e.seq limit ?",
                );
                let rows: Vec<(i64, i64, String, i64, i64, i64, i64, i64, String, Option<String>)> =
                    sqlx::query_as(&sql).bind(model).bind(after_seq).bind(limit).fetch_all(&mut *tx).await?;
                let mut step = $crate::RepriceStep { last_seq: rows.last().map(|r| r.0), ..Default::default() };
                let mut priced = Vec::new();
                for (seq, ts, provider, i, o, cr, cw, r, tags_key, task) in rows {
                    let usage = domain::Usage {
                        input_tokens: i,
                        output_tokens: o,
                        cache_read_tokens: cr,
                        cache_write_tokens: cw,
                        reasoning_tokens: r,
                    };
                    match catalog.cost_of(Some(provider.as_str()), model, $crate::rollup::from_micros(ts), &usage, None) {
                        (Some(cost), _) => priced.push((seq, ts, provider, tags_key, cost, task)),
                        (None, _) => step.still_unpriced += 1,
                    }
                }
                let rollup_sets: Vec<domain::TagSet> =
                    priced.iter().map(|p| $crate::people::tags_from_key(&p.3).rollup_part()).collect();
                let (rollup_ids, fresh) = self.tagset_ids(&mut tx, &rollup_sets).await?;
                let mut deltas = $crate::rollup::Deltas::default();
                let mut task_costs = std::collections::BTreeMap::new();
                for ((seq, ts, provider, _, cost, task), rollup) in priced.into_iter().zip(rollup_ids) {
                    let update = $crate::sql::reprice_event($dialect, cost.0, ts, seq);
                    if Self::bound(&update.sql, &update.binds).execute(&mut *tx).await?.rows_affected() == 0 {
                        continue;
                    }
                    if let Some(task) = task {
                        *task_costs.entry(task).or_insert(0) += cost.0;
                    }
                    step.repriced += 1;
                    let t = domain::attribution::report::Totals { cost, unpriced_calls: -1, ..Default::default() };
                    deltas.add(ts.div_euclid(1_000_000), rollup, model, &provider, &t);
                }
                self.add_rollups(&mut tx, &deltas).await?;
                self.add_task_costs(&mut tx, &task_costs).await?;
                tx.commit().await?;
                self.tagsets.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).extend(fresh);
                Ok(step)
            }
        }
    };
}

pub(crate) use impl_catalog_store;
