-- Reservations against hard caps (issue 18): a pre-call check with
-- `"reserve": true` holds the call's estimated cost against every cap
-- counter it matches until the call with that id is ingested (which deletes
-- the hold in the ingest transaction) or the hold expires. A counter's load
-- is its committed spend plus the holds on it that have not expired.
-- Expired holds are kept a day so the budget page can show them, then pruned.
create table cap_reservations (
    reservation_id text not null,
    budget_id text not null,
    split_value text not null,
    period_start bigint not null,
    amount_nanos bigint not null,
    reserved_us bigint not null,
    expires_us bigint not null,
    primary key (reservation_id, budget_id, split_value, period_start)
);
create index cap_reservations_counter on cap_reservations (budget_id, split_value, period_start, expires_us);
create index cap_reservations_expires on cap_reservations (expires_us);
