-- Per-process leases on hard caps (issue 18): a slice of a cap counter's
-- room (limit minus spend, live reservations and other processes' live
-- leases) granted by the database to one process, which then answers plain
-- checks from memory until the slice is used up or the lease expires. The
-- room the leases take is what concurrent processes can overshoot by, at
-- most. Used on Postgres, where many processes share the counters.
create table cap_leases (
    holder text not null,
    budget_id text not null,
    split_value text not null,
    period_start bigint not null,
    amount_nanos bigint not null,
    expires_us bigint not null,
    primary key (budget_id, split_value, period_start, holder)
);
create index cap_leases_expires on cap_leases (expires_us);
