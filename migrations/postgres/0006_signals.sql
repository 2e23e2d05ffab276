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
alter table alerts drop constraint alerts_kind_check;
alter table alerts add constraint alerts_kind_check check (kind in ('threshold', 'forecast', 'cap', 'signal', 'anomaly'));
alter table alerts add column message text;
