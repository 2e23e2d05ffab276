-- Early-warning signals and the cost model: model tiers, signal alert rules,
-- saved scenarios, and alerts that a rule (not a budget) fires.

-- A model's tier, where an admin set one (others default from their price).
create table model_tiers (
    model text primary key,
    tier text not null,
    updated_us bigint not null,
    constraint model_tiers_tier_check check (tier in ('routine', 'premium'))
);

-- One row per signal alert rule; its definition (domain::signal_rule::RuleSpec) as JSON.
create table signal_rules (
    id text primary key,
    name text not null,
    spec text not null,
    created_by text not null,
    created_us bigint not null,
    updated_us bigint not null
);

-- Saved cost-model scenarios (domain::costmodel::Scenario as JSON), optionally linked to a workflow.
create table scenarios (
    id text primary key,
    name text not null,
    workflow text,
    spec text not null,
    created_by text not null,
    created_us bigint not null,
    updated_us bigint not null
);

-- Alerts gain two kinds (signal, anomaly) and a sentence saying what was seen.
-- SQLite cannot change a check constraint in place, so the table is rebuilt
-- with its rows and ids, and its delivery attempts with it: new copies of
-- both are filled, the old ones dropped (attempts first, so no foreign key
-- is ever broken), and the copies renamed, which carries the attempts'
-- reference over to the new alerts table.
create table alerts_new (
    id integer primary key,
    budget_id text not null,
    budget_name text not null,
    split_value text not null,
    period_start bigint not null,
    period_end bigint not null,
    kind text not null,
    threshold integer not null,
    spent_nanos bigint not null,
    limit_nanos bigint not null,
    forecast_nanos bigint,
    fired_us bigint not null,
    delivery text not null,
    webhook text,
    attempts integer not null default 0,
    next_attempt_us bigint,
    lease_until_us bigint,
    acked_by text,
    acked_us bigint,
    message text,
    constraint alerts_once unique (budget_id, split_value, period_start, kind, threshold, limit_nanos),
    constraint alerts_kind_check check (kind in ('threshold', 'forecast', 'cap', 'signal', 'anomaly')),
    constraint alerts_delivery_check check (delivery in ('pending', 'delivered', 'failed', 'none'))
);
insert into alerts_new (id, budget_id, budget_name, split_value, period_start, period_end, kind, threshold,
    spent_nanos, limit_nanos, forecast_nanos, fired_us, delivery, webhook, attempts, next_attempt_us,
    lease_until_us, acked_by, acked_us)
select id, budget_id, budget_name, split_value, period_start, period_end, kind, threshold,
    spent_nanos, limit_nanos, forecast_nanos, fired_us, delivery, webhook, attempts, next_attempt_us,
    lease_until_us, acked_by, acked_us
from alerts;
create table alert_attempts_new (
    alert_id bigint not null references alerts_new (id),
    attempt integer not null,
    at_us bigint not null,
    status integer,
    error text,
    duration_ms bigint not null,
    constraint alert_attempts_pk primary key (alert_id, attempt)
);
insert into alert_attempts_new (alert_id, attempt, at_us, status, error, duration_ms)
select alert_id, attempt, at_us, status, error, duration_ms from alert_attempts;
drop table alert_attempts;
drop table alerts;
alter table alerts_new rename to alerts;
alter table alert_attempts_new rename to alert_attempts;
create index alerts_fired on alerts (fired_us);
create index alerts_due on alerts (delivery, next_attempt_us);
