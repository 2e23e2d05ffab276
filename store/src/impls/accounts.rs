//! The `AccountStore` of both backends: people, sessions, sign-in attempts, setup tokens and API keys, with the SQL written
//! once (the dialect switches are in `crate::sql`); invoked for each backend
//! in `sqlite.rs` and `postgres.rs`.

/// Implements [`crate::AccountStore`] for a backend (see `crate::backend`).
macro_rules! impl_accounts_store {
    ($ty:ty, $db:ty, $dialect:expr, $backend:expr, $migrator:expr) => {
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
    };
}

pub(crate) use impl_accounts_store;
