//! The people, session and call-listing half of the shared store logic
//! (see `backend.rs` for why it is a macro).

/// Implements the people, session and call-listing methods of
/// [`crate::Store`] as an inherent `impl` the trait impl forwards to.
macro_rules! impl_people {
    ($ty:ty, $db:ty, $dialect:expr) => {
        impl $ty {
            pub(crate) async fn p_create_user(&self, u: &$crate::UserRecord) -> Result<(), $crate::StoreError> {
                let sql = self.q(
                    "insert into users (id, email, password_hash, role, teams, created_us, deactivated_us) \
                     values (?, ?, ?, ?, ?, ?, ?)",
                );
                sqlx::query(&sql)
                    .bind(&u.id)
                    .bind(&u.email)
                    .bind(&u.password_hash)
                    .bind(&u.role)
                    .bind(u.teams.join(","))
                    .bind($crate::rollup::micros(u.created))
                    .bind(u.deactivated.map($crate::rollup::micros))
                    .execute(&self.writer)
                    .await?;
                Ok(())
            }

            pub(crate) async fn p_find_user(
                &self,
                column: &str,
                value: &str,
            ) -> Result<Option<$crate::UserRecord>, $crate::StoreError> {
                let sql = self.q(&format!(
                    "select id, email, password_hash, role, teams, created_us, deactivated_us, password_changed_us from users where {column} = ?"
                ));
                let row: Option<(String, String, String, String, String, i64, Option<i64>, Option<i64>)> =
                    sqlx::query_as(&sql).bind(value).fetch_optional(&self.reader).await?;
                Ok(row.map(user_from_row))
            }

            pub(crate) async fn p_list_users(&self) -> Result<Vec<$crate::UserRecord>, $crate::StoreError> {
                let rows: Vec<(String, String, String, String, String, i64, Option<i64>, Option<i64>)> = sqlx::query_as(
                    "select id, email, password_hash, role, teams, created_us, deactivated_us, password_changed_us from users order by email",
                )
                .fetch_all(&self.reader)
                .await?;
                Ok(rows.into_iter().map(user_from_row).collect())
            }

            pub(crate) async fn p_count_users(&self) -> Result<i64, $crate::StoreError> {
                Ok(sqlx::query_scalar("select count(*) from users").fetch_one(&self.reader).await?)
            }

            pub(crate) async fn p_save_session(&self, id: &str, data: &str, expiry_us: i64) -> Result<(), $crate::StoreError> {
                let sql = self.q(
                    "insert into sessions (id, data, expiry_us) values (?, ?, ?) \
                     on conflict (id) do update set data = excluded.data, expiry_us = excluded.expiry_us",
                );
                sqlx::query(&sql).bind(id).bind(data).bind(expiry_us).execute(&self.writer).await?;
                Ok(())
            }

            pub(crate) async fn p_load_session(
                &self,
                id: &str,
                now_us: i64,
            ) -> Result<Option<(String, i64)>, $crate::StoreError> {
                let sql = self.q("select data, expiry_us from sessions where id = ? and expiry_us > ?");
                Ok(sqlx::query_as(&sql).bind(id).bind(now_us).fetch_optional(&self.reader).await?)
            }

            pub(crate) async fn p_delete_session(&self, id: &str) -> Result<(), $crate::StoreError> {
                let sql = self.q("delete from sessions where id = ?");
                sqlx::query(&sql).bind(id).execute(&self.writer).await?;
                Ok(())
            }

            pub(crate) async fn p_delete_expired_sessions(&self, now_us: i64) -> Result<u64, $crate::StoreError> {
                let sql = self.q("delete from sessions where expiry_us <= ?");
                Ok(sqlx::query(&sql).bind(now_us).execute(&self.writer).await?.rows_affected())
            }

            pub(crate) async fn p_record_login_attempt(
                &self,
                email: &str,
                client: &str,
                at_us: i64,
                since_us: i64,
            ) -> Result<(i64, i64), $crate::StoreError> {
                // Recorded before it is counted: parallel guesses each see
                // every guess recorded before theirs, so no more than the
                // limit get through (a check-then-record would let them all).
                let sql = self.q("insert into login_failures (email, client, at_us) values (?, ?, ?)");
                sqlx::query(&sql).bind(email).bind(client).bind(at_us).execute(&self.writer).await?;
                let sql = self.q(
                    "select count(*) filter (where email = ?), count(*) from login_failures \
                     where client = ? and at_us > ?",
                );
                Ok(sqlx::query_as(&sql).bind(email).bind(client).bind(since_us).fetch_one(&self.writer).await?)
            }

            pub(crate) async fn p_prune_login_failures(&self, before_us: i64) -> Result<u64, $crate::StoreError> {
                let sql = self.q("delete from login_failures where at_us <= ?");
                Ok(sqlx::query(&sql).bind(before_us).execute(&self.writer).await?.rows_affected())
            }

            pub(crate) async fn p_set_password(&self, id: &str, hash: &str, at_us: i64) -> Result<bool, $crate::StoreError> {
                let sql = self.q("update users set password_hash = ?, password_changed_us = ? where id = ?");
                Ok(sqlx::query(&sql).bind(hash).bind(at_us).bind(id).execute(&self.writer).await?.rows_affected() == 1)
            }

            pub(crate) async fn p_count_login_failures(&self, email: &str, since_us: i64) -> Result<i64, $crate::StoreError> {
                let sql = self.q("select count(*) from login_failures where email = ? and at_us > ?");
                Ok(sqlx::query_scalar(&sql).bind(email).bind(since_us).fetch_one(&self.reader).await?)
            }

            pub(crate) async fn p_clear_login_failures(&self, email: &str) -> Result<(), $crate::StoreError> {
                let sql = self.q("delete from login_failures where email = ?");
                sqlx::query(&sql).bind(email).execute(&self.writer).await?;
                Ok(())
            }

            pub(crate) async fn p_create_setup_token(&self, hash: &str, at_us: i64) -> Result<(), $crate::StoreError> {
                let sql = self.q("insert into setup_tokens (token_hash, created_us, used_us) values (?, ?, null)");
                sqlx::query(&sql).bind(hash).bind(at_us).execute(&self.writer).await?;
                Ok(())
            }

            pub(crate) async fn p_use_setup_token(
                &self,
                hash: &str,
                at_us: i64,
                issued_after_us: i64,
            ) -> Result<bool, $crate::StoreError> {
                let sql = self.q(
                    "update setup_tokens set used_us = ? where token_hash = ? and used_us is null and created_us > ?",
                );
                let done = sqlx::query(&sql).bind(at_us).bind(hash).bind(issued_after_us).execute(&self.writer).await?;
                Ok(done.rows_affected() == 1)
            }

            pub(crate) async fn p_list_events(
                &self,
                eq: &$crate::EventQuery,
            ) -> Result<Vec<$crate::StoredEvent>, $crate::StoreError> {
                use sqlx::Row;
                let built = $crate::sql::list_events($dialect, eq);
                let rows = self.fetch_built(&built).await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    let provider: String = r.try_get(3)?;
                    let source: String = r.try_get(11)?;
                    let tags: String = r.try_get(12)?;
                    out.push($crate::StoredEvent {
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
                        cost: r.try_get::<Option<i64>, _>(9)?.map(domain::Nanos),
                        task_id: r.try_get(10)?,
                        cost_source: $crate::people::cost_source(&source),
                        tags: $crate::people::tags_from_key(&tags),
                        usage_note: r.try_get(13)?,
                    });
                }
                Ok(out)
            }
        }

        fn user_from_row(r: (String, String, String, String, String, i64, Option<i64>, Option<i64>)) -> $crate::UserRecord {
            let (id, email, password_hash, role, teams, created, deactivated, password_changed) = r;
            $crate::UserRecord {
                id,
                email,
                password_hash,
                role,
                teams: teams.split(',').filter(|t| !t.is_empty()).map(String::from).collect(),
                created: $crate::rollup::from_micros(created),
                deactivated: deactivated.map($crate::rollup::from_micros),
                password_changed: password_changed.map($crate::rollup::from_micros),
            }
        }
    };
}

pub(crate) use impl_people;
