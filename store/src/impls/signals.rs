//! The `SignalStore` of both backends: signals, model tiers, rules and scenarios, with the SQL written
//! once (the dialect switches are in `crate::sql`); invoked for each backend
//! in `sqlite.rs` and `postgres.rs`.

/// Implements [`crate::SignalStore`] for a backend (see `crate::backend`).
macro_rules! impl_signals_store {
    ($ty:ty, $db:ty, $dialect:expr, $backend:expr, $migrator:expr) => {
        #[async_trait::async_trait]
        impl $crate::SignalStore for $ty {
            async fn signal_days(
                &self,
                key: &str,
                from: chrono::NaiveDate,
                to: chrono::NaiveDate,
            ) -> Result<Vec<domain::signals::signal::DayRow>, $crate::StoreError> {
                let sum = |c: &str| match $dialect {
                    $crate::sql::Dialect::Sqlite => format!("sum(r.{c})"),
                    $crate::sql::Dialect::Postgres => format!("sum(r.{c})::bigint"),
                };
                let sql = self.q(&format!(
                    "select r.bucket, t.value, r.model, {}, {}, {}, {}, {} from rollup_day r \
                     left join tagset_tags t on t.tagset_id = r.tagset_id and t.key = ? \
                     where r.bucket >= ? and r.bucket < ? group by r.bucket, t.value, r.model",
                    sum("calls"),
                    sum("cost_nanos"),
                    sum("input_tokens"),
                    sum("cache_read_tokens"),
                    sum("output_tokens")
                ));
                let lo = from.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc().timestamp();
                let hi = (to + chrono::Duration::days(1)).and_hms_opt(0, 0, 0).unwrap_or_default().and_utc().timestamp();
                let rows: Vec<(i64, Option<String>, String, i64, i64, i64, i64, i64)> =
                    sqlx::query_as(&sql).bind(key).bind(lo).bind(hi).fetch_all(&self.reader).await?;
                Ok(rows
                    .into_iter()
                    .map(|(bucket, value, model, calls, cost, input, cached, output)| domain::signals::signal::DayRow {
                        day: chrono::DateTime::from_timestamp(bucket, 0).unwrap_or_default().date_naive(),
                        value,
                        model,
                        calls,
                        cost: domain::Nanos(cost),
                        input_tokens: input,
                        cache_read_tokens: cached,
                        output_tokens: output,
                    })
                    .collect())
            }

            async fn task_rollup(&self, task_id: &str) -> Result<Option<$crate::TaskRollupRow>, $crate::StoreError> {
                let sql = self.q(
                    "select r.first_us, r.last_us, t.tags_key, r.calls, r.cost_nanos, r.min_input, r.max_input \
                     from task_rollup r join tagsets t on t.id = r.tagset_id where r.task_id = ?",
                );
                let row: Option<(i64, i64, String, i64, i64, i64, i64)> =
                    sqlx::query_as(&sql).bind(task_id).fetch_optional(&self.reader).await?;
                Ok(row.map(|(first, last, tags, calls, cost, min_input, max_input)| $crate::TaskRollupRow {
                    task_id: task_id.to_string(),
                    first: $crate::rollup::from_micros(first),
                    last: $crate::rollup::from_micros(last),
                    tags: $crate::people::tags_from_key(&tags),
                    calls,
                    cost: domain::Nanos(cost),
                    min_input,
                    max_input,
                }))
            }

            async fn signal_task_days(
                &self,
                key: &str,
                from: chrono::NaiveDate,
                to: chrono::NaiveDate,
                value: Option<&str>,
            ) -> Result<domain::signals::signal::TaskDays, $crate::StoreError> {
                use domain::signals::tasks::{CostRow, LoopRow, TopRow};
                use sqlx::Row;
                let lo = from.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc().timestamp_micros();
                let hi = (to + chrono::Duration::days(1)).and_hms_opt(0, 0, 0).unwrap_or_default().and_utc().timestamp_micros();
                let day = |d: i64| chrono::DateTime::from_timestamp(d * 86_400, 0).unwrap_or_default().date_naive();
                let [loops, costs, tops] = $crate::sql::signal_task_days($dialect, key, lo, hi, value);
                let mut out = domain::signals::signal::TaskDays::default();
                for r in self.fetch_built(&loops).await? {
                    out.loops.push(LoopRow {
                        value: r.try_get(0)?,
                        day: day(r.try_get(1)?),
                        calls: r.try_get(2)?,
                        tasks: r.try_get(3)?,
                        cost: domain::Nanos(r.try_get(4)?),
                        growth: r.try_get(5)?,
                        first_input: r.try_get(6)?,
                    });
                }
                for r in self.fetch_built(&costs).await? {
                    out.costs.push(CostRow {
                        value: r.try_get(0)?,
                        day: day(r.try_get(1)?),
                        bucket: r.try_get(2)?,
                        tasks: r.try_get(3)?,
                        max_cost: domain::Nanos(r.try_get(4)?),
                    });
                }
                for r in self.fetch_built(&tops).await? {
                    out.tops.push(TopRow {
                        value: r.try_get(0)?,
                        day: day(r.try_get(1)?),
                        task_id: r.try_get(2)?,
                        calls: r.try_get(3)?,
                        cost: domain::Nanos(r.try_get(4)?),
                    });
                }
                Ok(out)
            }

            async fn model_tiers(
                &self,
            ) -> Result<Vec<(String, domain::signals::signal::ModelTier)>, $crate::StoreError> {
                let rows: Vec<(String, String)> =
                    sqlx::query_as("select model, tier from model_tiers order by model").fetch_all(&self.reader).await?;
                rows.into_iter()
                    .map(|(m, t)| Ok((m, domain::signals::signal::ModelTier::parse(&t).map_err($crate::StoreError::Config)?)))
                    .collect()
            }

            async fn set_model_tier(
                &self,
                model: &str,
                tier: Option<domain::signals::signal::ModelTier>,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::StoreError> {
                match tier {
                    None => {
                        let sql = self.q("delete from model_tiers where model = ?");
                        sqlx::query(&sql).bind(model).execute(&self.writer).await?;
                    }
                    Some(t) => {
                        let sql = self.q(
                            "insert into model_tiers (model, tier, updated_us) values (?, ?, ?) \
                             on conflict (model) do update set tier = excluded.tier, updated_us = excluded.updated_us",
                        );
                        sqlx::query(&sql)
                            .bind(model)
                            .bind(t.as_str())
                            .bind($crate::rollup::micros(at))
                            .execute(&self.writer)
                            .await?;
                    }
                }
                Ok(())
            }

            async fn list_signal_rules(&self) -> Result<Vec<$crate::SignalRuleRecord>, $crate::StoreError> {
                let rows: Vec<(String, String, String, i64, i64)> = sqlx::query_as(
                    "select id, spec, created_by, created_us, updated_us from signal_rules order by name, id",
                )
                .fetch_all(&self.reader)
                .await?;
                rows.into_iter()
                    .map(|(id, spec, created_by, created, updated)| {
                        Ok($crate::SignalRuleRecord {
                            spec: $crate::signals::saved_spec("signal rule", &id, &spec)?,
                            id,
                            created_by,
                            created: $crate::rollup::from_micros(created),
                            updated: $crate::rollup::from_micros(updated),
                        })
                    })
                    .collect()
            }

            async fn put_signal_rule(&self, rule: &$crate::SignalRuleRecord) -> Result<(), $crate::StoreError> {
                let r = rule;
                let sql = self.q(
                    "insert into signal_rules (id, name, spec, created_by, created_us, updated_us) values (?, ?, ?, ?, ?, ?) \
                     on conflict (id) do update set name = excluded.name, spec = excluded.spec, updated_us = excluded.updated_us",
                );
                let spec = serde_json::to_string(&r.spec).map_err(|e| $crate::StoreError::Config(e.to_string()))?;
                sqlx::query(&sql)
                    .bind(&r.id)
                    .bind(&r.spec.name)
                    .bind(spec)
                    .bind(&r.created_by)
                    .bind($crate::rollup::micros(r.created))
                    .bind($crate::rollup::micros(r.updated))
                    .execute(&self.writer)
                    .await?;
                Ok(())
            }

            async fn delete_signal_rule(&self, id: &str) -> Result<bool, $crate::StoreError> {

                let sql = self.q("delete from signal_rules where id = ?");
                Ok(sqlx::query(&sql).bind(id).execute(&self.writer).await?.rows_affected() == 1)
            }

            async fn list_scenarios(&self) -> Result<Vec<$crate::ScenarioRecord>, $crate::StoreError> {
                type Row = (String, String, Option<String>, String, String, i64, i64);
                let rows: Vec<Row> = sqlx::query_as(
                    "select id, name, workflow, spec, created_by, created_us, updated_us from scenarios order by name, id",
                )
                .fetch_all(&self.reader)
                .await?;
                rows.into_iter()
                    .map(|(id, name, workflow, spec, created_by, created, updated)| {
                        Ok($crate::ScenarioRecord {
                            spec: $crate::signals::saved_spec("scenario", &id, &spec)?,
                            id,
                            name,
                            workflow,
                            created_by,
                            created: $crate::rollup::from_micros(created),
                            updated: $crate::rollup::from_micros(updated),
                        })
                    })
                    .collect()
            }

            async fn put_scenario(&self, scenario: &$crate::ScenarioRecord) -> Result<(), $crate::StoreError> {
                let r = scenario;
                let sql = self.q(
                    "insert into scenarios (id, name, workflow, spec, created_by, created_us, updated_us) \
                     values (?, ?, ?, ?, ?, ?, ?) on conflict (id) do update set name = excluded.name, \
                     workflow = excluded.workflow, spec = excluded.spec, updated_us = excluded.updated_us",
                );
                let spec = serde_json::to_string(&r.spec).map_err(|e| $crate::StoreError::Config(e.to_string()))?;
                sqlx::query(&sql)
                    .bind(&r.id)
                    .bind(&r.name)
                    .bind(&r.workflow)
                    .bind(spec)
                    .bind(&r.created_by)
                    .bind($crate::rollup::micros(r.created))
                    .bind($crate::rollup::micros(r.updated))
                    .execute(&self.writer)
                    .await?;
                Ok(())
            }

            async fn delete_scenario(&self, id: &str) -> Result<bool, $crate::StoreError> {

                let sql = self.q("delete from scenarios where id = ?");
                Ok(sqlx::query(&sql).bind(id).execute(&self.writer).await?.rows_affected() == 1)
            }
        }
    };
}

pub(crate) use impl_signals_store;
