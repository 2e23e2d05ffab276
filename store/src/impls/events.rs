//! The `EventStore` of both backends: calls and spend, with the SQL written
//! once (the dialect switches are in `crate::sql`); invoked for each backend
//! in `sqlite.rs` and `postgres.rs`.

/// Implements [`crate::EventStore`] for a backend (see `crate::backend`).
macro_rules! impl_events_store {
    ($ty:ty, $db:ty, $dialect:expr, $backend:expr, $migrator:expr) => {
        #[async_trait::async_trait]
        impl $crate::EventStore for $ty {
            async fn insert_events(
                &self,
                events: &[domain::PricedEvent],
            ) -> Result<$crate::InsertOutcome, $crate::StoreError> {
                let Some(group) = self.group_commit() else {
                    return self.insert_now(events).await.map(|(outcome, _)| outcome);
                };
                let mut reply = group.enqueue(events);
                let writer = group.writer.lock().await;
                // A writer before us may have committed our batch with its own.
                if let Ok(done) = reply.try_recv() {
                    return done;
                }
                let taken = group.take();
                let result = self.insert_now(&taken.events).await;
                taken.deliver(result);
                drop(writer);
                reply
                    .await
                    .unwrap_or_else(|_| Err($crate::StoreError::Unavailable("the batch's writer stopped".into())))
            }

            #[tracing::instrument(skip_all, fields(source = ?segment.source))]
            async fn spend_rows(
                &self,
                segment: domain::attribution::time::Segment,
                q: &domain::SpendQuery,
            ) -> Result<Vec<domain::attribution::report::SpendRow>, $crate::StoreError> {
                use sqlx::Row;
                let built = $crate::sql::spend($dialect, &segment, q);
                let rows = self.fetch_built(&built).await?;
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
                    let totals = domain::attribution::report::Totals {
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
                        out.push(domain::attribution::report::SpendRow { bucket, key, totals });
                    }
                }
                Ok(out)
            }

            async fn list_events(
                &self,
                q: &$crate::EventQuery,
            ) -> Result<Vec<$crate::StoredEvent>, $crate::StoreError> {
                let eq = q;
                use sqlx::Row;
                let built = $crate::sql::list_events($dialect, eq);
                let rows = self.fetch_built(&built).await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    let provider: String = r.try_get(3)?;
                    let source: String = r.try_get(11)?;
                    let tags: String = r.try_get(12)?;
                    let cost = r.try_get::<Option<i64>, _>(9)?.map(domain::Nanos);
                    let source = $crate::people::cost_source(&source);
                    let event = domain::ingest::event::Event {
                        id: r.try_get(0)?,
                        timestamp: $crate::rollup::from_micros(r.try_get(1)?),
                        model: r.try_get(2)?,
                        provider: Some(provider).filter(|p| !p.is_empty()),
                        usage: domain::Usage {
                            input_tokens: r.try_get(4)?,
                            output_tokens: r.try_get(5)?,
                            cache_read_tokens: r.try_get(6)?,
                            cache_write_tokens: r.try_get(7)?,
                            reasoning_tokens: r.try_get(8)?,
                        },
                        cost: cost.filter(|_| source == domain::CostSource::Caller),
                        task_id: r.try_get(10)?,
                        tags: $crate::people::tags_from_key(&tags),
                        usage_note: r.try_get(13)?,
                    };
                    out.push($crate::StoredEvent(domain::PricedEvent { event, cost, source }));
                }
                Ok(out)
            }

            async fn known_tag_keys(&self) -> Result<Vec<String>, $crate::StoreError> {
                Ok(sqlx::query_scalar("select distinct key from tagset_tags order by key").fetch_all(&self.reader).await?)
            }

            async fn day_sums(
                &self,
                day: chrono::NaiveDate,
            ) -> Result<Vec<(i64, domain::attribution::focus::DaySum)>, $crate::StoreError> {

                let sql = self.q(
                    "select tagset_id, model, provider, input_tokens, output_tokens, cache_read_tokens, \
                     cache_write_tokens, cost_nanos from rollup_day where bucket = ? order by tagset_id, model, provider",
                );
                let bucket = day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc().timestamp();
                let rows: Vec<(i64, String, String, i64, i64, i64, i64, i64)> =
                    sqlx::query_as(&sql).bind(bucket).fetch_all(&self.reader).await?;
                Ok(rows
                    .into_iter()
                    .map(|(tagset, model, provider, input, output, cache_read, cache_write, cost)| {
                        (
                            tagset,
                            domain::attribution::focus::DaySum {
                                day,
                                model,
                                provider,
                                input_tokens: input,
                                output_tokens: output,
                                cache_read_tokens: cache_read,
                                cache_write_tokens: cache_write,
                                cost: domain::Nanos(cost),
                            },
                        )
                    })
                    .collect())
            }

            async fn count_events(&self) -> Result<i64, $crate::StoreError> {
                Ok(sqlx::query_scalar("select count(*) from events").fetch_one(&self.reader).await?)
            }

            async fn tagsets(&self, ids: &[i64]) -> Result<Vec<(i64, domain::TagSet)>, $crate::StoreError> {
                let mut out = Vec::with_capacity(ids.len());
                for chunk in ids.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("select id, tags_key from tagsets where id in (");
                    let mut list = qb.separated(", ");
                    for id in chunk {
                        list.push_bind(*id);
                    }
                    qb.push(")");
                    let rows: Vec<(i64, String)> = qb.build_query_as().fetch_all(&self.reader).await?;
                    out.extend(rows.into_iter().map(|(id, key)| (id, $crate::people::tags_from_key(&key))));
                }
                Ok(out)
            }

            async fn ever_stored(&self) -> Result<bool, $crate::StoreError> {
                let n: i64 = sqlx::query_scalar("select count(*) from (select 1 from rollup_day limit 1) any_day")
                    .fetch_one(&self.reader)
                    .await?;
                Ok(n > 0)
            }

            async fn retired_before(&self) -> Result<Option<chrono::DateTime<chrono::Utc>>, $crate::StoreError> {
                let sql = self.q($crate::sql::RETENTION_EDGE_SELECT);
                let edge: Option<i64> =
                    sqlx::query_scalar(&sql).bind($crate::RETENTION_EDGE).fetch_optional(&self.reader).await?;
                Ok(edge.map($crate::rollup::from_micros))
            }

            async fn raise_retention_edge(
                &self,
                edge: chrono::DateTime<chrono::Utc>,
            ) -> Result<chrono::DateTime<chrono::Utc>, $crate::StoreError> {
                let sql = self.q(
                    "insert into settings (name, value, updated_us) values (?, ?, ?) on conflict (name) do update set \
                     value = case when cast(settings.value as bigint) < cast(excluded.value as bigint) \
                     then excluded.value else settings.value end, updated_us = excluded.updated_us \
                     returning cast(value as bigint)",
                );
                let at: i64 = sqlx::query_scalar(&sql)
                    .bind($crate::RETENTION_EDGE)
                    .bind($crate::rollup::micros(edge).to_string())
                    .bind($crate::rollup::micros(chrono::Utc::now()))
                    .fetch_one(&self.writer)
                    .await?;
                Ok($crate::rollup::from_micros(at))
            }

            async fn retire_calls(
                &self,
                batch: i64,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<u64, $crate::StoreError> {
                self.retire_here(batch.max(1), now).await
            }
        }
    };
}

pub(crate) use impl_events_store;
