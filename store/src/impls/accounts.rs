//! The `AccountStore` of both backends: people, sessions, sign-in attempts, setup tokens and API keys, with the SQL written
//! once (the dialect switches are in `crate::sql`); invoked for each backend
//! in `sqlite.rs` and `postgres.rs`.

/// Implements [`crate::AccountStore`] for a backend (see `crate::backend`).
macro_rules! impl_accounts_store {
    ($ty:ty, $db:ty, $dialect:expr, $backend:expr, $migrator:expr) => {
        impl $ty {
            pub(crate) async fn user_where(
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

            pub(crate) async fn load_session_row(
                &self,
                id: &str,
                now_us: i64,
            ) -> Result<Option<(String, i64)>, $crate::StoreError> {
                let sql = self.q("select data, expiry_us from sessions where id = ? and expiry_us > ?");
                Ok(sqlx::query_as(&sql).bind(id).bind(now_us).fetch_optional(&self.reader).await?)
            }

            pub(crate) async fn insert_login_attempt(
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

        #[async_trait::async_trait]
        impl $crate::AccountStore for $ty {
            async fn create_user(&self, u: &$crate::UserRecord) -> Result<(), $crate::StoreError> {

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
                self.user_where("id", id).await
            }

            async fn find_user_by_email(&self, email: &str) -> Result<Option<$crate::UserRecord>, $crate::StoreError> {
                self.user_where("email", email).await
            }

            async fn list_users(&self) -> Result<Vec<$crate::UserRecord>, $crate::StoreError> {
                let rows: Vec<(String, String, String, String, String, i64, Option<i64>, Option<i64>)> = sqlx::query_as(
                    "select id, email, password_hash, role, teams, created_us, deactivated_us, password_changed_us from users order by email",
                )
                .fetch_all(&self.reader)
                .await?;
                Ok(rows.into_iter().map(user_from_row).collect())
            }

            async fn count_users(&self) -> Result<i64, $crate::StoreError> {
                Ok(sqlx::query_scalar("select count(*) from users").fetch_one(&self.reader).await?)
            }

            async fn save_session(
                &self,
                id: &str,
                data: &str,
                expiry: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::StoreError> {
                let expiry_us = $crate::rollup::micros(expiry);
                let sql = self.q(
                    "insert into sessions (id, data, expiry_us) values (?, ?, ?) \
                     on conflict (id) do update set data = excluded.data, expiry_us = excluded.expiry_us",
                );
                sqlx::query(&sql).bind(id).bind(data).bind(expiry_us).execute(&self.writer).await?;
                Ok(())
            }

            async fn load_session(
                &self,
                id: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<Option<(String, chrono::DateTime<chrono::Utc>)>, $crate::StoreError> {
                Ok(self
                    .load_session_row(id, $crate::rollup::micros(now))
                    .await?
                    .map(|(data, expiry)| (data, $crate::rollup::from_micros(expiry))))
            }

            async fn delete_session(&self, id: &str) -> Result<(), $crate::StoreError> {

                let sql = self.q("delete from sessions where id = ?");
                sqlx::query(&sql).bind(id).execute(&self.writer).await?;
                Ok(())
            }

            async fn delete_expired_sessions(&self, now: chrono::DateTime<chrono::Utc>) -> Result<u64, $crate::StoreError> {
                let now_us = $crate::rollup::micros(now);
                let sql = self.q("delete from sessions where expiry_us <= ?");
                Ok(sqlx::query(&sql).bind(now_us).execute(&self.writer).await?.rows_affected())
            }

            async fn record_login_attempt(
                &self,
                email: &str,
                client: &str,
                at: chrono::DateTime<chrono::Utc>,
                since: chrono::DateTime<chrono::Utc>,
            ) -> Result<(i64, i64), $crate::StoreError> {
                let (at, since) = ($crate::rollup::micros(at), $crate::rollup::micros(since));
                self.insert_login_attempt(email, client, at, since).await
            }

            async fn prune_login_failures(&self, before: chrono::DateTime<chrono::Utc>) -> Result<u64, $crate::StoreError> {
                let before_us = $crate::rollup::micros(before);
                let sql = self.q("delete from login_failures where at_us <= ?");
                Ok(sqlx::query(&sql).bind(before_us).execute(&self.writer).await?.rows_affected())
            }

            async fn set_password(
                &self,
                id: &str,
                hash: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<bool, $crate::StoreError> {
                let at_us = $crate::rollup::micros(at);
                let sql = self.q("update users set password_hash = ?, password_changed_us = ? where id = ?");
                Ok(sqlx::query(&sql).bind(hash).bind(at_us).bind(id).execute(&self.writer).await?.rows_affected() == 1)
            }

            async fn count_login_failures(
                &self,
                email: &str,
                since: chrono::DateTime<chrono::Utc>,
            ) -> Result<i64, $crate::StoreError> {
                let since_us = $crate::rollup::micros(since);
                let sql = self.q("select count(*) from login_failures where email = ? and at_us > ?");
                Ok(sqlx::query_scalar(&sql).bind(email).bind(since_us).fetch_one(&self.reader).await?)
            }

            async fn clear_login_failures(&self, email: &str) -> Result<(), $crate::StoreError> {

                let sql = self.q("delete from login_failures where email = ?");
                sqlx::query(&sql).bind(email).execute(&self.writer).await?;
                Ok(())
            }

            async fn create_setup_token(&self, hash: &str, at: chrono::DateTime<chrono::Utc>) -> Result<(), $crate::StoreError> {
                let at_us = $crate::rollup::micros(at);
                let sql = self.q("insert into setup_tokens (token_hash, created_us, used_us) values (?, ?, null)");
                sqlx::query(&sql).bind(hash).bind(at_us).execute(&self.writer).await?;
                Ok(())
            }

            async fn use_setup_token(
                &self,
                hash: &str,
                at: chrono::DateTime<chrono::Utc>,
                issued_after: chrono::DateTime<chrono::Utc>,
            ) -> Result<bool, $crate::StoreError> {
                let at_us = $crate::rollup::micros(at);
                let issued_after_us = $crate::rollup::micros(issued_after);
                let sql = self.q(
                    "update setup_tokens set used_us = ? where token_hash = ? and used_us is null and created_us > ?",
                );
                let done = sqlx::query(&sql).bind(at_us).bind(hash).bind(issued_after_us).execute(&self.writer).await?;
                Ok(done.rows_affected() == 1)
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
    };
}

pub(crate) use impl_accounts_store;
