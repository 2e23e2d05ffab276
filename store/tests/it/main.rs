//! The store conformance suite: every case runs against SQLite and Postgres.
//!
//! Postgres comes from `BURSAR_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`); each case gets a fresh
//! database. Where Postgres is unreachable the Postgres cases print SKIPPED,
//! unless `CI` or `BURSAR_REQUIRE_POSTGRES` is set, when they fail.

mod bill_cases;
mod budget_cases;
mod cases;
mod catalog_cases;
mod harness;
mod plan_cases;
mod reservation_cases;
mod retention_cases;
mod signal_cases;
mod task_cases;

/// Declares one test per backend for each case.
macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let (store, _guard) = crate::harness::sqlite().await;
                crate::cases::$case(store).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let Some((store, guard)) = crate::harness::postgres(stringify!($case)).await else { return };
                crate::cases::$case(store).await;
                guard.drop_database().await;
            })*
        }
    };
}

conformance!(
    retiring_calls_keeps_every_total_exact,
    totals_match_what_was_inserted,
    replays_are_counted_once,
    concurrent_replays_are_counted_once,
    concurrent_batches_in_any_order_all_land,
    rollups_agree_with_raw_events,
    untagged_spend_is_its_own_group,
    unpriced_events_are_kept_and_counted,
    filters_select_values_and_untagged,
    api_keys_round_trip,
    migrations_are_idempotent,
    people_round_trip,
    sessions_expire_and_are_deleted,
    login_failures_and_setup_tokens,
    calls_list_by_filter_and_task,
    budget_counters_follow_ingest_and_alerts_fire_once,
    split_budgets_count_each_value,
    late_events_count_towards_their_own_period,
    deleting_a_budget_keeps_its_alerts,
    concurrent_batches_fire_each_alert_once,
    editing_a_budget_recounts_it,
    alert_delivery_is_leased_recorded_and_acknowledged,
    a_day_budget_resets_at_local_midnight_across_a_dst_change,
    changing_the_amount_fires_what_the_new_amount_has_passed,
    the_catalog_and_taxonomy_are_stored_with_revisions,
    remapping_tag_sets_keeps_rollups_exact,
    remapping_during_ingest_keeps_rollups_exact,
    repricing_reconciles_to_the_nano_dollar,
    jobs_record_progress_and_stale_ones_are_interrupted,
    the_audit_log_filters_and_keeps_order,
    signal_sums_split_by_a_tag_key,
    signal_rules_scenarios_and_tiers_round_trip,
    the_task_rollup_follows_ingest_repricing_and_remapping,
    reservations_hold_settle_and_expire,
    leases_share_the_room_a_cap_has_left,
    hot_queries_use_indexes,
    the_plan_check_sees_a_full_scan,
    bills_restate_a_feeds_days_and_never_double,
    focus_files_restate_their_billing_period,
    reconcile_sets_bills_against_stored_calls_exactly,
);
