-- The retired calls' share of each budget counter (issue 18): when old
-- calls retire (BURSAR_RETAIN_CALLS_DAYS), what they added to a counter the
-- hourly rollups cannot recount (a split by task or user, a period starting
-- off the hour) is kept here, in the same transaction as their delete. A
-- recount then adds this share to the calls still stored, so no budget holds
-- the retention edge back. Rows go when the budget's scope, split, period or
-- time zone change (the share no longer applies), or the budget is deleted.
create table budget_retired (
    budget_id text not null references budgets (id) on delete cascade,
    split_value text not null,
    -- Unix seconds, as in budget_spend.
    period_start bigint not null,
    spent_nanos bigint not null,
    calls bigint not null,
    constraint budget_retired_pk primary key (budget_id, split_value, period_start)
);
