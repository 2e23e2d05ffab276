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
            ) -> Result<($crate::InsertOutcome, Vec<$crate::budgets::Loaded>), $crate::StoreError> {
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
                let began = std::time::Instant::now();
                let mut tx = self.writer.begin().await?;
                // Shared with other batches, exclusive for budget recounts and tag-set
                // moves (Postgres): taken first, so those never meet a half-written batch.
                self.b_lock(&mut tx, false).await?;
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
                            .push_bind(received)
                            .push_bind(ev.usage_note.clone());
                    });
                    qb.push(" on conflict (id) do nothing returning id");
                    let ids: Vec<String> = qb.build_query_scalar().fetch_all(&mut *tx).await?;
                    inserted.extend(ids);
                }
                let deltas = $crate::rollup::deltas(
                    rows.iter()
                        .zip(rollup_ids)
                        .filter(|((e, _), _)| inserted.contains(&e.event.id))
                        .map(|((e, _), r)| (*e, *r)),
                );
                self.g_add_rollups(&mut tx, &deltas).await?;
                let new_events: Vec<&domain::PricedEvent> =
                    unique.iter().copied().filter(|e| inserted.contains(&e.event.id)).collect();
                let (budget_changes, alerts, budgets) = self.b_apply(&mut tx, &new_events).await?;
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
        impl $crate::EventStore for $ty {
            async fn insert_events(&self, events: &[domain::PricedEvent]) -> Result<$crate::InsertOutcome, $crate::StoreError> {
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
                reply.await.unwrap_or_else(|_| Err($crate::StoreError::Unavailable("the batch's writer stopped".into())))
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

            async fn list_events(&self, q: &$crate::EventQuery) -> Result<Vec<$crate::StoredEvent>, $crate::StoreError> {
                self.p_list_events(q).await
            }

            async fn known_tag_keys(&self) -> Result<Vec<String>, $crate::StoreError> {
                self.b_known_tag_keys().await
            }

            async fn day_sums(
                &self,
                day: chrono::NaiveDate,
            ) -> Result<Vec<(i64, domain::attribution::focus::DaySum)>, $crate::StoreError> {
                self.s_day_sums(day).await
            }

            async fn count_events(&self) -> Result<i64, $crate::StoreError> {
                Ok(sqlx::query_scalar("select count(*) from events").fetch_one(&self.reader).await?)
            }
        }

        #[async_trait::async_trait]
        impl $crate::BudgetStore for $ty {
            async fn create_budget(
                &self,
                b: &$crate::BudgetRecord,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<$crate::BudgetRecord, $crate::StoreError> {
                let saved = self.b_save_budget(b, now, true).await;
                self.counters_forget(&b.id);
                saved?.ok_or_else(|| $crate::StoreError::Config("budget not created".into()))
            }

            async fn update_budget(
                &self,
                b: &$crate::BudgetRecord,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<Option<$crate::BudgetRecord>, $crate::StoreError> {
                let saved = self.b_save_budget(b, now, false).await;
                self.counters_forget(&b.id);
                saved
            }

            async fn delete_budget(&self, id: &str) -> Result<bool, $crate::StoreError> {
                let deleted = self.b_delete_budget(id).await;
                self.counters_forget(id);
                deleted
            }

            async fn get_budget(&self, id: &str) -> Result<Option<$crate::BudgetRecord>, $crate::StoreError> {
                Ok(self.b_list_budgets(Some(id)).await?.pop())
            }

            async fn list_budgets(&self) -> Result<Vec<$crate::BudgetRecord>, $crate::StoreError> {
                self.b_list_budgets(None).await
            }

            async fn budget_counters(
                &self,
                budget_id: &str,
                period_start: chrono::DateTime<chrono::Utc>,
                limit: i64,
            ) -> Result<Vec<$crate::Counter>, $crate::StoreError> {
                self.b_counters(budget_id, period_start, limit).await
            }

            async fn cap_spent(&self, keys: &[$crate::CounterKey]) -> Result<Vec<domain::Nanos>, $crate::StoreError> {
                self.counters_read(keys).await
            }

            async fn fire_alert(&self, a: &$crate::NewAlert) -> Result<Option<i64>, $crate::StoreError> {
                self.b_fire_alert(a).await
            }

            async fn list_alerts(&self, q: &$crate::AlertQuery) -> Result<Vec<domain::budgets::alert::Alert>, $crate::StoreError> {
                self.b_list_alerts(q).await
            }

            async fn get_alert(&self, id: i64) -> Result<Option<domain::budgets::alert::Alert>, $crate::StoreError> {
                self.b_get_alert(id).await
            }

            async fn ack_alert(
                &self,
                id: i64,
                by: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<Option<domain::budgets::alert::Alert>, $crate::StoreError> {
                self.b_ack_alert(id, by, at).await
            }

            async fn alerts_attempts(
                &self,
                ids: &[i64],
            ) -> Result<std::collections::HashMap<i64, Vec<domain::budgets::alert::Attempt>>, $crate::StoreError> {
                self.b_attempts(ids).await
            }

            async fn claim_alerts(
                &self,
                now: chrono::DateTime<chrono::Utc>,
                lease_until: chrono::DateTime<chrono::Utc>,
                limit: i64,
            ) -> Result<Vec<domain::budgets::alert::Alert>, $crate::StoreError> {
                self.b_claim_alerts(now, lease_until, limit).await
            }

            async fn finish_attempt(
                &self,
                id: i64,
                lease_until: chrono::DateTime<chrono::Utc>,
                attempt: Option<&domain::budgets::alert::Attempt>,
                delivery: domain::budgets::alert::Delivery,
                next_attempt: Option<chrono::DateTime<chrono::Utc>>,
            ) -> Result<bool, $crate::StoreError> {
                self.b_finish_attempt(id, lease_until, attempt, delivery, next_attempt).await
            }

            async fn recount_budgets(&self, now: chrono::DateTime<chrono::Utc>) -> Result<usize, $crate::StoreError> {
                self.g_recount_budgets(now).await
            }
        }

        #[async_trait::async_trait]
        impl $crate::CatalogStore for $ty {
            async fn list_price_models(&self) -> Result<Vec<domain::pricing::catalog::ModelPrice>, $crate::StoreError> {
                self.g_list_price_models().await
            }

            async fn put_price_models(
                &self,
                models: &[domain::pricing::catalog::ModelPrice],
                at: chrono::DateTime<chrono::Utc>,
                only_missing: bool,
            ) -> Result<usize, $crate::StoreError> {
                self.g_put_price_models(models, at, only_missing).await
            }

            async fn taxonomy(&self) -> Result<domain::attribution::taxonomy::Taxonomy, $crate::StoreError> {
                self.g_taxonomy().await
            }

            async fn put_taxonomy(
                &self,
                taxonomy: &domain::attribution::taxonomy::Taxonomy,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::StoreError> {
                self.g_put_taxonomy(taxonomy, at).await
            }

            async fn create_job(&self, job: &$crate::JobRecord) -> Result<(), $crate::StoreError> {
                self.g_create_job(job).await
            }

            async fn update_job(&self, job: &$crate::JobRecord) -> Result<(), $crate::StoreError> {
                self.g_update_job(job).await
            }

            async fn list_jobs(&self, limit: i64) -> Result<Vec<$crate::JobRecord>, $crate::StoreError> {
                self.g_list_jobs(None, limit).await
            }

            async fn get_job(&self, id: &str) -> Result<Option<$crate::JobRecord>, $crate::StoreError> {
                Ok(self.g_list_jobs(Some(id), 1).await?.pop())
            }

            async fn interrupt_stale_jobs(&self, before: chrono::DateTime<chrono::Utc>) -> Result<u64, $crate::StoreError> {
                self.g_interrupt_stale_jobs(before).await
            }

            async fn tagsets_with_events(&self) -> Result<Vec<(i64, domain::TagSet)>, $crate::StoreError> {
                self.g_tagsets_with_events().await
            }

            async fn remap_tagset(&self, from: i64, to: &domain::TagSet) -> Result<i64, $crate::StoreError> {
                self.g_remap_tagset(from, to).await
            }

            async fn unpriced_models(&self) -> Result<Vec<$crate::UnpricedModel>, $crate::StoreError> {
                self.g_unpriced_models().await
            }

            async fn reprice(
                &self,
                model: &str,
                catalog: &domain::Catalog,
                after_seq: i64,
                limit: i64,
            ) -> Result<$crate::RepriceStep, $crate::StoreError> {
                self.g_reprice(model, catalog, after_seq, limit).await
            }
        }

        #[async_trait::async_trait]
        impl $crate::AccountStore for $ty {
            async fn create_user(&self, u: &$crate::UserRecord) -> Result<(), $crate::StoreError> {
                self.p_create_user(u).await
            }

            async fn update_user(
                &self,
                id: &str,
                role: &str,
                teams: &[String],
                deactivated: Option<chrono::DateTime<chrono::Utc>>,
            ) -> Result<bool, $crate::StoreError> {
                let sql = self.q("update users set role = ?, teams = ?, deactivated_us = ? where id = ?");
                let n = sqlx::query(&sql)
                    .bind(role)
                    .bind(teams.join(","))
                    .bind(deactivated.map($crate::rollup::micros))
                    .bind(id)
                    .execute(&self.writer)
                    .await?
                    .rows_affected();
                Ok(n == 1)
            }

            async fn find_user(&self, id: &str) -> Result<Option<$crate::UserRecord>, $crate::StoreError> {
                self.p_find_user("id", id).await
            }

            async fn find_user_by_email(&self, email: &str) -> Result<Option<$crate::UserRecord>, $crate::StoreError> {
                self.p_find_user("email", email).await
            }

            async fn list_users(&self) -> Result<Vec<$crate::UserRecord>, $crate::StoreError> {
                self.p_list_users().await
            }

            async fn count_users(&self) -> Result<i64, $crate::StoreError> {
                self.p_count_users().await
            }

            async fn save_session(
                &self,
                id: &str,
                data: &str,
                expiry: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::StoreError> {
                self.p_save_session(id, data, $crate::rollup::micros(expiry)).await
            }

            async fn load_session(
                &self,
                id: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<Option<(String, chrono::DateTime<chrono::Utc>)>, $crate::StoreError> {
                Ok(self
                    .p_load_session(id, $crate::rollup::micros(now))
                    .await?
                    .map(|(data, expiry)| (data, $crate::rollup::from_micros(expiry))))
            }

            async fn delete_session(&self, id: &str) -> Result<(), $crate::StoreError> {
                self.p_delete_session(id).await
            }

            async fn delete_expired_sessions(&self, now: chrono::DateTime<chrono::Utc>) -> Result<u64, $crate::StoreError> {
                self.p_delete_expired_sessions($crate::rollup::micros(now)).await
            }

            async fn record_login_attempt(
                &self,
                email: &str,
                client: &str,
                at: chrono::DateTime<chrono::Utc>,
                since: chrono::DateTime<chrono::Utc>,
            ) -> Result<(i64, i64), $crate::StoreError> {
                let (at, since) = ($crate::rollup::micros(at), $crate::rollup::micros(since));
                self.p_record_login_attempt(email, client, at, since).await
            }

            async fn prune_login_failures(&self, before: chrono::DateTime<chrono::Utc>) -> Result<u64, $crate::StoreError> {
                self.p_prune_login_failures($crate::rollup::micros(before)).await
            }

            async fn set_password(
                &self,
                id: &str,
                hash: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<bool, $crate::StoreError> {
                self.p_set_password(id, hash, $crate::rollup::micros(at)).await
            }

            async fn count_login_failures(
                &self,
                email: &str,
                since: chrono::DateTime<chrono::Utc>,
            ) -> Result<i64, $crate::StoreError> {
                self.p_count_login_failures(email, $crate::rollup::micros(since)).await
            }

            async fn clear_login_failures(&self, email: &str) -> Result<(), $crate::StoreError> {
                self.p_clear_login_failures(email).await
            }

            async fn create_setup_token(&self, hash: &str, at: chrono::DateTime<chrono::Utc>) -> Result<(), $crate::StoreError> {
                self.p_create_setup_token(hash, $crate::rollup::micros(at)).await
            }

            async fn use_setup_token(
                &self,
                hash: &str,
                at: chrono::DateTime<chrono::Utc>,
                issued_after: chrono::DateTime<chrono::Utc>,
            ) -> Result<bool, $crate::StoreError> {
                self.p_use_setup_token(hash, $crate::rollup::micros(at), $crate::rollup::micros(issued_after)).await
            }

            async fn create_api_key(&self, k: &$crate::ApiKeyRecord) -> Result<(), $crate::StoreError> {
                let sql = self.q(
                    "insert into api_keys (id, name, prefix, key_hash, scopes, created_us, last_used_us, revoked_us, created_by, tag_limits) \
                     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                    .bind(&k.created_by)
                    .bind(k.tag_limits.as_ref().filter(|l| !l.is_empty()).and_then(|l| serde_json::to_string(l).ok()))
                    .execute(&self.writer)
                    .await?;
                Ok(())
            }

            async fn find_api_key(&self, key_hash: &str) -> Result<Option<$crate::ApiKeyRecord>, $crate::StoreError> {
                let sql = self.q(&format!("select {} from api_keys where key_hash = ?", $crate::backend::API_KEY_COLUMNS));
                let row: Option<$crate::backend::ApiKeyRow> = sqlx::query_as(&sql).bind(key_hash).fetch_optional(&self.reader).await?;
                Ok(row.map($crate::backend::api_key))
            }

            async fn list_api_keys(&self) -> Result<Vec<$crate::ApiKeyRecord>, $crate::StoreError> {
                let sql = format!("select {} from api_keys order by created_us desc, id", $crate::backend::API_KEY_COLUMNS);
                let rows: Vec<$crate::backend::ApiKeyRow> = sqlx::query_as(&sql).fetch_all(&self.reader).await?;
                Ok(rows.into_iter().map($crate::backend::api_key).collect())
            }

            async fn revoke_api_key(&self, id: &str, at: chrono::DateTime<chrono::Utc>) -> Result<bool, $crate::StoreError> {
                let sql = self.q("update api_keys set revoked_us = ? where id = ? and revoked_us is null");
                let n = sqlx::query(&sql).bind($crate::rollup::micros(at)).bind(id).execute(&self.writer).await?.rows_affected();
                Ok(n == 1)
            }

            async fn touch_api_key(&self, id: &str, at: chrono::DateTime<chrono::Utc>) -> Result<(), $crate::StoreError> {
                let sql = self.q("update api_keys set last_used_us = ? where id = ?");
                sqlx::query(&sql).bind($crate::rollup::micros(at)).bind(id).execute(&self.writer).await?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::SignalStore for $ty {
            async fn signal_days(
                &self,
                key: &str,
                from: chrono::NaiveDate,
                to: chrono::NaiveDate,
            ) -> Result<Vec<domain::signals::signal::DayRow>, $crate::StoreError> {
                self.s_signal_days(key, from, to).await
            }

            async fn signal_tasks(
                &self,
                key: &str,
                from: chrono::NaiveDate,
                to: chrono::NaiveDate,
                value: Option<&str>,
            ) -> Result<Vec<domain::signals::signal::TaskRow>, $crate::StoreError> {
                self.s_signal_tasks(key, from, to, value).await
            }

            async fn model_tiers(&self) -> Result<Vec<(String, domain::signals::signal::ModelTier)>, $crate::StoreError> {
                self.s_model_tiers().await
            }

            async fn set_model_tier(
                &self,
                model: &str,
                tier: Option<domain::signals::signal::ModelTier>,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::StoreError> {
                self.s_set_model_tier(model, tier, at).await
            }

            async fn list_signal_rules(&self) -> Result<Vec<$crate::SignalRuleRecord>, $crate::StoreError> {
                self.s_list_signal_rules().await
            }

            async fn put_signal_rule(&self, rule: &$crate::SignalRuleRecord) -> Result<(), $crate::StoreError> {
                self.s_put_signal_rule(rule).await
            }

            async fn delete_signal_rule(&self, id: &str) -> Result<bool, $crate::StoreError> {
                self.s_delete_signal_rule(id).await
            }

            async fn list_scenarios(&self) -> Result<Vec<$crate::ScenarioRecord>, $crate::StoreError> {
                self.s_list_scenarios().await
            }

            async fn put_scenario(&self, scenario: &$crate::ScenarioRecord) -> Result<(), $crate::StoreError> {
                self.s_put_scenario(scenario).await
            }

            async fn delete_scenario(&self, id: &str) -> Result<bool, $crate::StoreError> {
                self.s_delete_scenario(id).await
            }
        }

        #[async_trait::async_trait]
        impl $crate::AuditStore for $ty {
            async fn record_audit(&self, entry: &domain::people::audit::Entry) -> Result<(), $crate::StoreError> {
                self.g_record_audit(entry).await
            }

            async fn list_audit(&self, q: &domain::people::audit::Query) -> Result<Vec<domain::people::audit::Entry>, $crate::StoreError> {
                self.g_list_audit(q).await
            }
        }

        #[async_trait::async_trait]
        impl $crate::SettingsStore for $ty {
            fn backend(&self) -> $crate::Backend {
                $backend
            }

            async fn migrate(&self) -> Result<(), $crate::StoreError> {
                $migrator.run(&self.writer).await?;
                Ok(())
            }

            fn pool_stats(&self) -> Vec<(&'static str, u32, usize)> {
                vec![
                    ("writer", self.writer.size(), self.writer.num_idle()),
                    ("reader", self.reader.size(), self.reader.num_idle()),
                ]
            }

            async fn readiness(&self) -> Result<(), String> {
                let latest = $migrator.iter().map(|m| m.version).max().unwrap_or(0);
                let applied: Option<i64> =
                    sqlx::query_scalar("select max(version) from _sqlx_migrations where success")
                        .fetch_one(&self.reader)
                        .await
                        .map_err(|e| {
                            // The database's own words (hosts, users, SQL) go to the log, not to whoever asks.
                            tracing::warn!(error = %e, "readiness check failed");
                            "the database does not answer or is not migrated; the server log has the details".to_string()
                        })?;
                match applied {
                    Some(v) if v >= latest => Ok(()),
                    v => Err(format!("migrations pending: the database is at {}, this build needs {latest}", v.unwrap_or(0))),
                }
            }

            // In a read transaction that is rolled back (Postgres sets a planner option in it).
            async fn query_plan(&self, built: &$crate::sql::Built) -> Result<Vec<String>, $crate::StoreError> {
                use sqlx::Row;
                let mut tx = self.reader.begin().await?;
                let explain = match $dialect {
                    $crate::sql::Dialect::Sqlite => format!("explain query plan {}", built.sql),
                    $crate::sql::Dialect::Postgres => {
                        sqlx::query("set local enable_seqscan = off").execute(&mut *tx).await?;
                        format!("explain {}", built.sql)
                    }
                };
                let rows = Self::bound(&explain, &built.binds).fetch_all(&mut *tx).await?;
                let detail = match $dialect {
                    $crate::sql::Dialect::Sqlite => 3,
                    $crate::sql::Dialect::Postgres => 0,
                };
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    out.push(r.try_get::<String, _>(detail)?);
                }
                tx.rollback().await?;
                Ok(out)
            }

            async fn config_revisions(&self) -> Result<(i64, i64), $crate::StoreError> {
                self.g_revisions().await
            }

            async fn setting(&self, name: &str) -> Result<Option<String>, $crate::StoreError> {
                let sql = self.q("select value from settings where name = ?");
                Ok(sqlx::query_scalar(&sql).bind(name).fetch_optional(&self.reader).await?)
            }

            async fn put_setting(
                &self,
                name: &str,
                value: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::StoreError> {
                let sql = self.q(
                    "insert into settings (name, value, updated_us) values (?, ?, ?) \
                     on conflict (name) do update set value = excluded.value, updated_us = excluded.updated_us",
                );
                sqlx::query(&sql).bind(name).bind(value).bind($crate::rollup::micros(at)).execute(&self.writer).await?;
                Ok(())
            }
        }
    };
}

pub(crate) use impl_store;
