//! The store logic both backends share, written once as a macro over the
//! sqlx database type: the statements are the same text (placeholders aside),
//! and sqlx's generic API over `Database` needs more bounds than this code.

/// Rewrites `?` placeholders as `$1, $2, …` for Postgres.
pub fn placeholders(dialect: crate::sql::Dialect, sql: &str) -> String {
    if dialect == crate::sql::Dialect::Sqlite {
        return sql.to_string();
    }
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    out
}

/// Columns of an API key row, in [`ApiKeyRow`]'s order.
pub(crate) const API_KEY_COLUMNS: &str =
    "id, name, prefix, key_hash, scopes, created_us, last_used_us, revoked_us, created_by, tag_limits";

/// An API key row as read.
pub(crate) type ApiKeyRow =
    (String, String, String, String, String, i64, Option<i64>, Option<i64>, String, Option<String>);

/// An API key from its row.
pub(crate) fn api_key(row: ApiKeyRow) -> crate::ApiKeyRecord {
    let (id, name, prefix, key_hash, scopes, created, last_used, revoked, created_by, tag_limits) = row;
    crate::ApiKeyRecord {
        id,
        name,
        created_by,
        prefix,
        key_hash,
        scopes: scopes.split(',').filter(|s| !s.is_empty()).map(String::from).collect(),
        created: crate::rollup::from_micros(created),
        last_used: last_used.map(crate::rollup::from_micros),
        revoked: revoked.map(crate::rollup::from_micros),
        // A restriction that cannot be read restricts to nothing: the key writes no call rather than any.
        tag_limits: tag_limits.map(|t| {
            serde_json::from_str(&t).unwrap_or_else(|_| {
                domain::ingest::key_limits::TagLimits([("team".to_string(), Vec::new())].into_iter().collect())
            })
        }),
    }
}

/// Implements [`crate::Store`] for a struct with `writer` and `reader` pools
/// of database `$db` and a `tagsets` cache.
macro_rules! impl_store {
    ($ty:ty, $db:ty, $dialect:expr, $backend:expr, $migrator:expr) => {
        impl $ty {
            fn q(&self, sql: &str) -> String {
                $crate::backend::placeholders($dialect, sql)
            }

            /// `sql` (a built statement's text, or a wrapper of it) with the statement's binds.
            fn bound<'q>(
                sql: &'q str,
                binds: &[$crate::sql::Bind],
            ) -> sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments<'q>> {
                let mut query = sqlx::query(sql);
                for b in binds {
                    query = match b {
                        $crate::sql::Bind::Int(i) => query.bind(*i),
                        $crate::sql::Bind::Text(s) => query.bind(s.clone()),
                    };
                }
                query
            }

            /// Runs a statement built by `sql.rs` with its binds, on the readers.
            async fn fetch_built(
                &self,
                built: &$crate::sql::Built,
            ) -> Result<Vec<<$db as sqlx::Database>::Row>, $crate::StoreError> {
                Ok(Self::bound(&built.sql, &built.binds).fetch_all(&self.reader).await?)
            }

            #[tracing::instrument(skip_all, fields(events = events.len()))]
            /// Stores a batch in one transaction: events, rollups, budget counters.
            /// Also returns the budgets it counted against.
            async fn insert_now(
                &self,
                events: &[domain::PricedEvent],
            ) -> Result<($crate::InsertOutcome, Vec<domain::budgets::counting::CountingBudget>), $crate::StoreError>
            {
                use sqlx::QueryBuilder;
                // One row per id (the first wins), in id order, so that concurrent
                // batches meet each other's rows in one order and cannot deadlock.
                let mut seen = std::collections::HashSet::new();
                let mut unique: Vec<&domain::PricedEvent> =
                    events.iter().filter(|e| seen.insert(e.event.id.as_str())).collect();
                unique.sort_by(|a, b| a.event.id.cmp(&b.event.id));
                if unique.is_empty() {
                    return Ok(($crate::InsertOutcome::default(), Vec::new()));
                }
                self.prepare_batch(events).await?;
                let began = std::time::Instant::now();
                let mut tx = self.writer.begin().await?;
                // Shared with other batches, exclusive for budget recounts and tag-set
                // moves (Postgres): taken first, so those never meet a half-written batch.
                self.lock_budgets(&mut tx, false).await?;
                // Each event's full tag set, then the smaller set its rollup rows are keyed by.
                let n = unique.len();
                let sets: Vec<domain::TagSet> = unique
                    .iter()
                    .map(|e| e.event.tags.clone())
                    .chain(unique.iter().map(|e| e.event.tags.rollup_part()))
                    .collect();
                let (all_ids, fresh) = self.tagset_ids(&mut tx, &sets).await?;
                let (tagset_ids, rollup_ids) = all_ids.split_at(n);
                let tagset_ids = tagset_ids.to_vec();
                let received = $crate::rollup::micros(chrono::Utc::now());
                let rows: Vec<(&domain::PricedEvent, i64)> = unique.iter().copied().zip(tagset_ids).collect();
                let mut inserted = std::collections::HashSet::new();
                for chunk in rows.chunks(1000) {
                    // Postgres: ids are unique in event_ids (events is partitioned by month); only new ones go on.
                    let chunk: Vec<(&domain::PricedEvent, i64)> = if $dialect == $crate::sql::Dialect::Postgres {
                        let mut qb = QueryBuilder::<$db>::new("insert into event_ids (id, ts_us) ");
                        qb.push_values(chunk, |mut b, (e, _)| {
                            b.push_bind(e.event.id.clone()).push_bind($crate::rollup::micros(e.event.timestamp));
                        });
                        qb.push(" on conflict (id) do nothing returning id");
                        let fresh: std::collections::HashSet<String> =
                            qb.build_query_scalar().fetch_all(&mut *tx).await?.into_iter().collect();
                        chunk.iter().filter(|(e, _)| fresh.contains(&e.event.id)).copied().collect()
                    } else {
                        chunk.to_vec()
                    };
                    if chunk.is_empty() {
                        continue;
                    }
                    let mut qb =
                        QueryBuilder::<$db>::new(format!("insert into events ({}) ", $crate::sql::EVENT_COLUMNS));
                    qb.push_values(&chunk, |mut b, (e, tagset)| {
                        let ev = &e.event;
                        b.push_bind(ev.id.clone())
                            .push_bind($crate::rollup::micros(ev.timestamp))
                            .push_bind(ev.model.clone())
                            .push_bind(ev.provider.clone().unwrap_or_default())
                            .push_bind(ev.usage.input_tokens)
                            .push_bind(ev.usage.output_tokens)
                            .push_bind(ev.usage.cache_read_tokens)
                            .push_bind(ev.usage.cache_write_tokens)
                            .push_bind(ev.usage.reasoning_tokens)
                            .push_bind(e.cost.map(|c| c.0))
                            .push_bind(e.source.as_str())
                            .push_bind(ev.task_id.clone())
                            .push_bind(*tagset)
                            .push_bind(received)
                            .push_bind(ev.usage_note.clone());
                    });
                    qb.push(if $dialect == $crate::sql::Dialect::Postgres {
                        " returning id"
                    } else {
                        " on conflict (id) do nothing returning id"
                    });
                    let ids: Vec<String> = qb.build_query_scalar().fetch_all(&mut *tx).await?;
                    inserted.extend(ids);
                }
                // The calls this batch stored (not those already stored), with their tag set and rollup tag set.
                let stored: Vec<(&domain::PricedEvent, i64, i64)> = rows
                    .iter()
                    .zip(rollup_ids)
                    .filter(|((e, _), _)| inserted.contains(&e.event.id))
                    .map(|((e, t), r)| (*e, *t, *r))
                    .collect();
                self.add_rollups(&mut tx, &$crate::rollup::deltas(stored.iter().map(|(e, _, r)| (*e, *r)))).await?;
                let tasks = $crate::rollup::task_deltas(stored.iter().map(|(e, t, _)| (*e, *t)));
                self.add_task_rollups(&mut tx, &tasks).await?;
                let new_events: Vec<&domain::PricedEvent> = stored.iter().map(|(e, _, _)| *e).collect();
                // A stored call settles the reservation its check took under its id.
                let ids: Vec<&str> = new_events.iter().map(|e| e.event.id.as_str()).collect();
                self.settle_reservations(&mut tx, &ids).await?;
                let (budget_changes, alerts, budgets) = self.count_batch(&mut tx, &new_events).await?;
                tx.commit().await?;
                self.counters_committed(&budget_changes, began);
                self.tagsets.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).extend(fresh);
                Ok(($crate::InsertOutcome { inserted, budget_changes, alerts }, budgets))
            }

            /// Ids of the batch's tag sets, creating the new ones. New sets are
            /// created in key order, so concurrent batches lock them in one order.
            async fn tagset_ids(
                &self,
                tx: &mut sqlx::Transaction<'static, $db>,
                sets: &[domain::TagSet],
            ) -> Result<(Vec<i64>, Vec<(String, i64)>), $crate::StoreError> {
                let keys: Vec<String> = sets.iter().map(|s| s.canonical()).collect();
                let mut known: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
                let mut missing: std::collections::BTreeMap<&str, &domain::TagSet> = std::collections::BTreeMap::new();
                {
                    let cache = self.tagsets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                    for (k, set) in keys.iter().zip(sets) {
                        match cache.get(k) {
                            Some(id) => {
                                known.insert(k.clone(), *id);
                            }
                            None => {
                                missing.insert(k.as_str(), set);
                            }
                        }
                    }
                }
                let mut fresh = Vec::new();
                for (key, tags) in missing {
                    let sql = self
                        .q("insert into tagsets (tags_key) values (?) on conflict (tags_key) do nothing returning id");
                    let new_id: Option<i64> = sqlx::query_scalar(&sql).bind(key).fetch_optional(&mut **tx).await?;
                    let id = match new_id {
                        Some(id) => {
                            if !tags.0.is_empty() {
                                let mut qb =
                                    sqlx::QueryBuilder::<$db>::new("insert into tagset_tags (tagset_id, key, value) ");
                                qb.push_values(tags.0.iter(), |mut b, (k, v)| {
                                    b.push_bind(id).push_bind(k.as_str().to_string()).push_bind(v.clone());
                                });
                                qb.build().execute(&mut **tx).await?;
                            }
                            id
                        }
                        None => {
                            let sql = self.q("select id from tagsets where tags_key = ?");
                            sqlx::query_scalar(&sql).bind(key).fetch_one(&mut **tx).await?
                        }
                    };
                    known.insert(key.to_string(), id);
                    fresh.push((key.to_string(), id));
                }
                let ids = keys.iter().map(|k| known.get(k).copied().unwrap_or_default()).collect();
                Ok((ids, fresh))
            }
        }
    };
}

pub(crate) use impl_store;
