-- Budgets, their per-period spend counters, and the alerts they fire.
-- Counters are updated in the same transaction as the events they count, so
-- a hard cap is checked against exactly what has been committed.

create table budgets (
    id text primary key,
    -- The checked budget (domain::budget::BudgetSpec) as JSON.
    spec text not null,
    hard_cap bigint not null,
    -- Spend before this instant is not counted (the start of the period
    -- before the one the budget was created or last changed in).
    counted_from_us bigint not null,
    created_by text not null,
    created_us bigint not null,
    updated_us bigint not null
);

create table budget_spend (
    budget_id text not null references budgets (id) on delete cascade,
    -- '' for an unsplit budget.
    split_value text not null,
    -- Unix seconds.
    period_start bigint not null,
    spent_nanos bigint not null,
    calls bigint not null,
    constraint budget_spend_pk primary key (budget_id, split_value, period_start)
);

-- Alerts outlive their budget: no foreign key, and the name is copied.
create table alerts (
    id bigint generated always as identity primary key,
    budget_id text not null,
    budget_name text not null,
    split_value text not null,
    period_start bigint not null,
    period_end bigint not null,
    kind text not null,
    threshold bigint not null,
    spent_nanos bigint not null,
    limit_nanos bigint not null,
    forecast_nanos bigint,
    fired_us bigint not null,
    delivery text not null,
    webhook text,
    attempts bigint not null default 0,
    next_attempt_us bigint,
    lease_until_us bigint,
    acked_by text,
    acked_us bigint,
    -- Once per budget, split value, period, kind, threshold and amount: a changed
    -- amount can fire its thresholds again.
    constraint alerts_once unique (budget_id, split_value, period_start, kind, threshold, limit_nanos),
    constraint alerts_kind_check check (kind in ('threshold', 'forecast', 'cap')),
    constraint alerts_delivery_check check (delivery in ('pending', 'delivered', 'failed', 'none'))
);
create index alerts_fired on alerts (fired_us);
create index alerts_due on alerts (delivery, next_attempt_us);

create table alert_attempts (
    alert_id bigint not null references alerts (id),
    attempt bigint not null,
    at_us bigint not null,
    status bigint,
    error text,
    duration_ms bigint not null,
    constraint alert_attempts_pk primary key (alert_id, attempt)
);
