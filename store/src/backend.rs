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

/// Implements [`crate::Store`] for a struct with `writer` and `reader` pools
/// of database `$db` and a `tagsets` cache.
macro_rules! impl_store {
    ($ty:ty, $db:ty, $dialect:expr, $backend:expr, $migrator:expr) => {
        impl $ty {
            fn q(&self, sql: &str) -> String {
                $crate::backend::placeholders($dialect, sql)
            }

            /// Ids of the batch's tag sets, creating the new ones. New sets are
            /// created in key order, so concurrent batches lock them in one order.
            async fn tagset_ids(
                &self,
                tx: &mut sqlx::Transaction<'static, $db>,
                events: &[&domain::PricedEvent],
            ) -> Result<(Vec<i64>, Vec<(String, i64)>), $crate::StoreError> {
                let keys: Vec<String> = events.iter().map(|e| e.event.tags.canonical()).collect();
                let mut known: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
                let mut missing: std::collections::BTreeMap<&str, &domain::TagSet> = std::collections::BTreeMap::new();
                {
                    let cache = self.tagsets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                    for (k, e) in keys.iter().zip(events) {
                        match cache.get(k) {
                            Some(id) => {
                                known.insert(k.clone(), *id);
                            }
                            None => {
                                missing.insert(k.as_str(), &e.event.tags);
                            }
                        }
                    }
                }
                let mut fresh = Vec::new();
                for (key, tags) in missing {
                    let sql = self.q("insert into tagsets (tags_key) values (?) on conflict (tags_key) do nothing returning id");
                    let new_id: Option<i64> = sqlx::query_scalar(&sql).bind(key).fetch_optional(&mut **tx).await?;
                    let id = match new_id {
                        Some(id) => {
                            if !tags.0.is_empty() {
                                let mut qb = sqlx::QueryBuilder::<$db>::new("insert into tagset_tags (tagset_id, key, value) ");
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

        #[async_trait::async_trait]
        impl $crate::Store for $ty {
            fn backend(&self) -> $crate::Backend {
                $backend
            }

            async fn migrate(&self) -> Result<(), $crate::StoreError> {
                $migrator.run(&self.writer).await?;
                Ok(())
            }

            #[tracing::instrument(skip_all, fields(events = events.len()))]
            async fn insert_events(&self, events: &[domain::PricedEvent]) -> Result<$crate::InsertOutcome, $crate::StoreError> {
                use sqlx::QueryBuilder;
                // One row per id (the first wins), in id order, so that concurrent
                // batches meet each other's rows in one order and cannot deadlock.
                let mut seen = std::collections::HashSet::new();
                let mut unique: Vec<&domain::PricedEvent> =
                    events.iter().filter(|e| seen.insert(e.event.id.as_str())).collect();
                unique.sort_by(|a, b| a.event.id.cmp(&b.event.id));
                if unique.is_empty() {
                    return Ok($crate::InsertOutcome::default());
                }
                let mut tx = self.writer.begin().await?;
                let (tagset_ids, fresh) = self.tagset_ids(&mut tx, &unique).await?;
                let received = $crate::rollup::micros(chrono::Utc::now());
                let rows: Vec<(&domain::PricedEvent, i64)> = unique.iter().copied().zip(tagset_ids).collect();
                let mut inserted = std::collections::HashSet::new();
                for chunk in rows.chunks(1000) {
                    let mut qb = QueryBuilder::<$db>::new(format!("insert into events ({}) ", $crate::sql::EVENT_COLUMNS));
                    qb.push_values(chunk, |mut b, (e, tagset)| {
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
                            .push_bind(received);
                    });
                    qb.push(" on conflict (id) do nothing returning id");
                    let ids: Vec<String> = qb.build_query_scalar().fetch_all(&mut *tx).await?;
                    inserted.extend(ids);
                }
                let deltas = $crate::rollup::deltas(
                    rows.iter().filter(|(e, _)| inserted.contains(&e.event.id)).map(|(e, t)| (*e, *t)),
                );
                for (table, map) in [("rollup_hour", &deltas.hour), ("rollup_day", &deltas.day)] {
                    let entries: Vec<_> = map.iter().collect();
                    for chunk in entries.chunks(1000) {
                        let mut qb = QueryBuilder::<$db>::new(format!(
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
                        qb.build().execute(&mut *tx).await?;
                    }
                }
                tx.commit().await?;
                self.tagsets.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).extend(fresh);
                Ok($crate::InsertOutcome { inserted })
            }

            #[tracing::instrument(skip_all, fields(source = ?segment.source))]
            async fn spend_rows(
                &self,
                segment: domain::time::Segment,
                q: &domain::SpendQuery,
            ) -> Result<Vec<domain::report::SpendRow>, $crate::StoreError> {
                use sqlx::Row;
                let built = $crate::sql::spend($dialect, &segment, q);
                let mut query = sqlx::query(&built.sql);
                for b in &built.binds {
                    query = match b {
                        $crate::sql::Bind::Int(i) => query.bind(*i),
                        $crate::sql::Bind::Text(s) => query.bind(s.clone()),
                    };
                }
                let rows = query.fetch_all(&self.reader).await?;
                let mut out = Vec::with_capacity(rows.len());
                for row in rows {
                    let mut i = 0;
                    let bucket = if built.has_bucket {
                        i += 1;
                        Some($crate::rollup::from_micros(row.try_get::<i64, _>(0)? * 1_000_000))
                    } else {
                        None
                    };
                    let mut key = Vec::with_capacity(built.n_keys);
                    for _ in 0..built.n_keys {
                        key.push(row.try_get::<Option<String>, _>(i)?);
                        i += 1;
                    }
                    let mut n = [0i64; 8];
                    for (j, slot) in n.iter_mut().enumerate() {
                        *slot = row.try_get::<i64, _>(i + j)?;
                    }
                    let totals = domain::report::Totals {
                        calls: n[0],
                        input_tokens: n[1],
                        output_tokens: n[2],
                        cache_read_tokens: n[3],
                        cache_write_tokens: n[4],
                        reasoning_tokens: n[5],
                        cost: domain::Nanos(n[6]),
                        unpriced_calls: n[7],
                    };
                    if totals.calls > 0 {
                        out.push(domain::report::SpendRow { bucket, key, totals });
                    }
                }
                Ok(out)
            }

            async fn count_events(&self) -> Result<i64, $crate::StoreError> {
                Ok(sqlx::query_scalar("select count(*) from events").fetch_one(&self.reader).await?)
            }

            async fn create_api_key(&self, k: &$crate::ApiKeyRecord) -> Result<(), $crate::StoreError> {
                let sql = self.q(
                    "insert into api_keys (id, name, prefix, key_hash, scopes, created_us, last_used_us, revoked_us) \
                     values (?, ?, ?, ?, ?, ?, ?, ?)",
                );
                sqlx::query(&sql)
                    .bind(&k.id)
                    .bind(&k.name)
                    .bind(&k.prefix)
                    .bind(&k.key_hash)
                    .bind(k.scopes.join(","))
                    .bind($crate::rollup::micros(k.created))
                    .bind(k.last_used.map($crate::rollup::micros))
                    .bind(k.revoked.map($crate::rollup::micros))
                    .execute(&self.writer)
                    .await?;
                Ok(())
            }

            async fn find_api_key(&self, key_hash: &str) -> Result<Option<$crate::ApiKeyRecord>, $crate::StoreError> {
                let sql = self.q(
                    "select id, name, prefix, key_hash, scopes, created_us, last_used_us, revoked_us \
                     from api_keys where key_hash = ?",
                );
                let row: Option<(String, String, String, String, String, i64, Option<i64>, Option<i64>)> =
                    sqlx::query_as(&sql).bind(key_hash).fetch_optional(&self.reader).await?;
                Ok(row.map(|(id, name, prefix, key_hash, scopes, created, last_used, revoked)| $crate::ApiKeyRecord {
                    id,
                    name,
                    prefix,
                    key_hash,
                    scopes: scopes.split(',').filter(|s| !s.is_empty()).map(String::from).collect(),
                    created: $crate::rollup::from_micros(created),
                    last_used: last_used.map($crate::rollup::from_micros),
                    revoked: revoked.map($crate::rollup::from_micros),
                }))
            }

            async fn touch_api_key(&self, id: &str, at: chrono::DateTime<chrono::Utc>) -> Result<(), $crate::StoreError> {
                let sql = self.q("update api_keys set last_used_us = ? where id = ?");
                sqlx::query(&sql).bind($crate::rollup::micros(at)).bind(id).execute(&self.writer).await?;
                Ok(())
            }
        }
    };
}

pub(crate) use impl_store;
