//! The `BillStore` of both backends: bill lines, import runs and mapping
//! rules, with the SQL written once; invoked for each backend in
//! `sqlite.rs` and `postgres.rs`.

/// Implements [`crate::BillStore`] for a backend (see `crate::backend`).
macro_rules! impl_bills_store {
    ($ty:ty, $db:ty, $dialect:expr, $backend:expr, $migrator:expr) => {
        impl $ty {
            async fn insert_bill_import(
                &self,
                tx: &mut sqlx::Transaction<'static, $db>,
                run: &$crate::NewBillImport,
            ) -> Result<i64, $crate::StoreError> {
                let day = |d: Option<chrono::NaiveDate>| d.map($crate::rollup::day_micros);
                let sql = self.q(
                    "insert into bill_imports (source, trigger, actor, started_us, finished_us, ok, lines, first_day_us, \
                     last_day_us, detail) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning id",
                );
                Ok(sqlx::query_scalar(&sql)
                    .bind(run.source.as_str())
                    .bind(&run.trigger)
                    .bind(&run.actor)
                    .bind($crate::rollup::micros(run.started))
                    .bind($crate::rollup::micros(run.finished))
                    .bind(run.ok)
                    .bind(run.lines)
                    .bind(day(run.first_day))
                    .bind(day(run.last_day))
                    .bind(&run.detail)
                    .fetch_one(&mut **tx)
                    .await?)
            }
        }

        #[async_trait::async_trait]
        impl $crate::BillStore for $ty {
            async fn replace_bill_lines(
                &self,
                feeds: &[String],
                days: &[chrono::NaiveDate],
                periods: &[chrono::NaiveDate],
                lines: &[(String, domain::invoice::BillLine)],
                run: &$crate::NewBillImport,
            ) -> Result<i64, $crate::StoreError> {
                // SQLite: hold the write lock from the start (another process may import too).
                let mut tx = if $dialect == $crate::sql::Dialect::Sqlite {
                    self.writer.begin_with("begin immediate").await?
                } else {
                    self.writer.begin().await?
                };
                // Postgres: one import of a feed at a time across processes, its
                // delete and insert seen whole by the next (feeds locked in order).
                let mut sorted: Vec<&String> = feeds.iter().collect();
                sorted.sort();
                if $dialect == $crate::sql::Dialect::Postgres {
                    for feed in &sorted {
                        sqlx::query("select pg_advisory_xact_lock(hashtext($1))").bind(format!("bill_feed:{feed}")).execute(&mut *tx).await?;
                    }
                }
                let id = self.insert_bill_import(&mut tx, run).await?;
                for feed in sorted {
                    for (column, list) in [("day_us", days), ("period_us", periods)] {
                        for chunk in list.chunks(500) {
                            let mut qb = sqlx::QueryBuilder::<$db>::new("delete from bill_lines where feed = ");
                            qb.push_bind(feed.clone()).push(format!(" and {column} in ("));
                            let mut sep = qb.separated(", ");
                            for d in chunk {
                                sep.push_bind($crate::rollup::day_micros(*d));
                            }
                            qb.push(")");
                            qb.build().execute(&mut *tx).await?;
                        }
                    }
                }
                for chunk in lines.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "insert into bill_lines (feed, source, day_us, provider, billed_nanos, currency, model, token_class, \
                         service_tier, account, description, tokens, period_us, import_id) ",
                    );
                    qb.push_values(chunk, |mut b, (feed, l)| {
                        b.push_bind(feed.clone())
                            .push_bind(run.source.as_str())
                            .push_bind($crate::rollup::day_micros(l.day))
                            .push_bind(l.provider.clone())
                            .push_bind(l.billed.0)
                            .push_bind(l.currency.clone())
                            .push_bind(l.model.clone())
                            .push_bind(l.token_class.map(|c| c.as_str()))
                            .push_bind(l.service_tier.clone())
                            .push_bind(l.account.clone())
                            .push_bind(l.description.clone())
                            .push_bind(l.tokens)
                            .push_bind(l.period.map($crate::rollup::day_micros))
                            .push_bind(id);
                    });
                    qb.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(id)
            }

            async fn record_bill_import(&self, run: &$crate::NewBillImport) -> Result<i64, $crate::StoreError> {
                let mut tx = self.writer.begin().await?;
                let id = self.insert_bill_import(&mut tx, run).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn bill_imports(&self, limit: i64) -> Result<Vec<$crate::BillImportRecord>, $crate::StoreError> {
                let sql = self.q(
                    "select id, source, trigger, actor, started_us, finished_us, ok, lines, first_day_us, last_day_us, detail \
                     from bill_imports order by started_us desc, id desc limit ?",
                );
                type Row = (i64, String, String, String, i64, i64, bool, i64, Option<i64>, Option<i64>, String);
                let rows: Vec<Row> = sqlx::query_as(&sql).bind(limit).fetch_all(&self.reader).await?;
                let day = |us: Option<i64>| us.map(|us| $crate::rollup::from_micros(us).date_naive());
                Ok(rows
                    .into_iter()
                    .filter_map(|(id, source, trigger, actor, started, finished, ok, lines, first, last, detail)| {
                        Some($crate::BillImportRecord {
                            id,
                            run: $crate::NewBillImport {
                                source: domain::invoice::BillSource::parse(&source).ok()?,
                                trigger,
                                actor,
                                started: $crate::rollup::from_micros(started),
                                finished: $crate::rollup::from_micros(finished),
                                ok,
                                lines,
                                first_day: day(first),
                                last_day: day(last),
                                detail,
                            },
                        })
                    })
                    .collect())
            }

            async fn bill_parts(
                &self,
                from: chrono::NaiveDate,
                to: chrono::NaiveDate,
            ) -> Result<Vec<domain::invoice::BillPart>, $crate::StoreError> {
                let sql = self.q(
                    "select source, day_us, provider, currency, model, token_class, service_tier, account, description, \
                     cast(sum(billed_nanos) as bigint), cast(sum(tokens) as bigint) \
                     from bill_lines where day_us >= ? and day_us < ? \
                     group by source, day_us, provider, currency, model, token_class, service_tier, account, description \
                     order by day_us, provider, description",
                );
                type Row = (
                    String,
                    i64,
                    String,
                    String,
                    Option<String>,
                    Option<String>,
                    Option<String>,
                    Option<String>,
                    String,
                    i64,
                    Option<i64>,
                );
                let rows: Vec<Row> = sqlx::query_as(&sql).bind($crate::rollup::day_micros(from)).bind($crate::rollup::day_micros(to)).fetch_all(&self.reader).await?;
                Ok(rows
                    .into_iter()
                    .filter_map(|(source, day, provider, currency, model, class, tier, account, description, billed, tokens)| {
                        Some(domain::invoice::BillPart {
                            source: domain::invoice::BillSource::parse(&source).ok()?,
                            line: domain::invoice::BillLine {
                                day: $crate::rollup::from_micros(day).date_naive(),
                                provider,
                                billed: domain::Nanos(billed),
                                currency,
                                model,
                                token_class: class.as_deref().and_then(domain::invoice::TokenClass::parse),
                                service_tier: tier,
                                account,
                                description,
                                tokens,
                                period: None,
                            },
                        })
                    })
                    .collect())
            }

            async fn bill_rules(&self) -> Result<Vec<domain::invoice::MappingRule>, $crate::StoreError> {
                type Row = (i64, Option<String>, String, Option<String>, Option<String>, Option<String>);
                let rows: Vec<Row> =
                    sqlx::query_as("select id, source, pattern, provider, model, token_class from bill_rules order by id")
                        .fetch_all(&self.reader)
                        .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, source, pattern, provider, model, class)| domain::invoice::MappingRule {
                        id,
                        source: source.as_deref().and_then(|s| domain::invoice::BillSource::parse(s).ok()),
                        pattern,
                        provider,
                        model,
                        token_class: class.as_deref().and_then(domain::invoice::TokenClass::parse),
                    })
                    .collect())
            }

            async fn add_bill_rule(
                &self,
                rule: &domain::invoice::MappingRule,
                by: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<i64, $crate::StoreError> {
                let sql = self.q(
                    "insert into bill_rules (source, pattern, provider, model, token_class, created_by, created_us) \
                     values (?, ?, ?, ?, ?, ?, ?) returning id",
                );
                Ok(sqlx::query_scalar(&sql)
                    .bind(rule.source.map(|s| s.as_str()))
                    .bind(&rule.pattern)
                    .bind(&rule.provider)
                    .bind(&rule.model)
                    .bind(rule.token_class.map(|c| c.as_str()))
                    .bind(by)
                    .bind($crate::rollup::micros(at))
                    .fetch_one(&self.writer)
                    .await?)
            }

            async fn delete_bill_rule(&self, id: i64) -> Result<bool, $crate::StoreError> {
                let sql = self.q("delete from bill_rules where id = ?");
                Ok(sqlx::query(&sql).bind(id).execute(&self.writer).await?.rows_affected() > 0)
            }

            async fn true_ups(&self) -> Result<Vec<domain::invoice::true_up::TrueUp>, $crate::StoreError> {
                let rows: Vec<(String, i64, String)> =
                    sqlx::query_as("select provider, month_us, mode from bill_true_ups order by month_us, provider")
                        .fetch_all(&self.reader)
                        .await?;
                Ok(rows
                    .into_iter()
                    .filter_map(|(provider, month, mode)| {
                        Some(domain::invoice::true_up::TrueUp {
                            provider,
                            month: $crate::rollup::from_micros(month).date_naive(),
                            mode: domain::invoice::true_up::Mode::parse(&mode).ok()?,
                        })
                    })
                    .collect())
            }

            async fn set_true_up(
                &self,
                provider: &str,
                month: chrono::NaiveDate,
                mode: Option<domain::invoice::true_up::Mode>,
                by: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::StoreError> {
                let month_us = $crate::rollup::day_micros(month);
                match mode {
                    Some(mode) => {
                        let sql = self.q(
                            "insert into bill_true_ups (provider, month_us, mode, set_by, set_us) values (?, ?, ?, ?, ?) \
                             on conflict (provider, month_us) do update set mode = excluded.mode, set_by = excluded.set_by, \
                             set_us = excluded.set_us",
                        );
                        sqlx::query(&sql)
                            .bind(provider)
                            .bind(month_us)
                            .bind(mode.as_str())
                            .bind(by)
                            .bind($crate::rollup::micros(at))
                            .execute(&self.writer)
                            .await?;
                    }
                    None => {
                        let sql = self.q("delete from bill_true_ups where provider = ? and month_us = ?");
                        sqlx::query(&sql).bind(provider).bind(month_us).execute(&self.writer).await?;
                    }
                }
                Ok(())
            }
        }
    };
}

pub(crate) use impl_bills_store;
