//! The task rollup (`task_rollup`, one row per task) kept in step with the
//! calls it sums: added to in the ingest transaction, moved with a tag set
//! when the taxonomy rewrites stored calls, and given the cost of calls a
//! new price reprices. Shared by both backends (see `crate::backend`).

/// Implements the task rollup's upkeep as an inherent `impl` of a backend.
macro_rules! impl_task_rollup {
    ($ty:ty, $db:ty, $dialect:expr) => {
        impl $ty {
            /// Adds a batch's per-task sums (see `rollup::task_deltas`), in task order.
            pub(crate) async fn add_task_rollups(
                &self,
                tx: &mut sqlx::Transaction<'static, $db>,
                deltas: &std::collections::BTreeMap<String, $crate::rollup::TaskDelta>,
            ) -> Result<(), $crate::StoreError> {
                let (least, greatest) = match $dialect {
                    $crate::sql::Dialect::Sqlite => ("min", "max"),
                    $crate::sql::Dialect::Postgres => ("least", "greatest"),
                };
                let entries: Vec<_> = deltas.iter().collect();
                for chunk in entries.chunks(1000) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "insert into task_rollup (task_id, first_us, last_us, tagset_id, calls, cost_nanos, min_input, max_input) ",
                    );
                    qb.push_values(chunk, |mut b, (task, d)| {
                        b.push_bind((*task).clone())
                            .push_bind(d.first_us)
                            .push_bind(d.last_us)
                            .push_bind(d.tagset)
                            .push_bind(d.calls)
                            .push_bind(d.cost)
                            .push_bind(d.min_input)
                            .push_bind(d.max_input);
                    });
                    qb.push(format!(
                        " on conflict (task_id) do update set \
                         tagset_id = case when excluded.first_us < task_rollup.first_us \
                         then excluded.tagset_id else task_rollup.tagset_id end, \
                         first_us = {least}(task_rollup.first_us, excluded.first_us), \
                         last_us = {greatest}(task_rollup.last_us, excluded.last_us), \
                         calls = task_rollup.calls + excluded.calls, \
                         cost_nanos = task_rollup.cost_nanos + excluded.cost_nanos, \
                         min_input = {least}(task_rollup.min_input, excluded.min_input), \
                         max_input = {greatest}(task_rollup.max_input, excluded.max_input)"
                    ));
                    qb.build().execute(&mut **tx).await?;
                }
                Ok(())
            }

            /// Tasks whose first call had tag set `from` now have `to`, as their calls do.
            pub(crate) async fn move_task_tagsets(
                &self,
                tx: &mut sqlx::Transaction<'static, $db>,
                from: i64,
                to: i64,
            ) -> Result<(), $crate::StoreError> {
                let sql = self.q("update task_rollup set tagset_id = ? where tagset_id = ?");
                sqlx::query(&sql).bind(to).bind(from).execute(&mut **tx).await?;
                Ok(())
            }

            /// Adds the cost (nano-USD) that repricing gave each task's calls.
            pub(crate) async fn add_task_costs(
                &self,
                tx: &mut sqlx::Transaction<'static, $db>,
                costs: &std::collections::BTreeMap<String, i64>,
            ) -> Result<(), $crate::StoreError> {
                let sql = self.q("update task_rollup set cost_nanos = cost_nanos + ? where task_id = ?");
                for (task, cost) in costs {
                    sqlx::query(&sql).bind(*cost).bind(task).execute(&mut **tx).await?;
                }
                Ok(())
            }
        }
    };
}

pub(crate) use impl_task_rollup;
