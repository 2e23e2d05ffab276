-- The invoice (issue 19): what providers billed, from FOCUS files, OpenAI's
-- Costs API and Anthropic's cost report, kept beside the calls so reconcile
-- can set one against the other. Matching to models happens when reconcile
-- reads, so a mapping rule added later applies to lines already imported.

-- One line of a bill. A re-import of a feed (source:issuer) replaces its
-- lines for the days it covers, in one transaction.
create table bill_lines (
    id integer primary key autoincrement,
    feed text not null,
    source text not null,
    -- UTC midnight of the charge day, in microseconds since 1970.
    day_us bigint not null,
    provider text not null,
    -- In nano-units (10^-9) of currency (ISO 4217).
    billed_nanos bigint not null,
    currency text not null,
    model text,
    token_class text,
    service_tier text,
    account text,
    description text not null,
    tokens bigint,
    -- FOCUS BillingPeriodStart (its first day, microseconds): a FOCUS file
    -- restates its feed by billing period; API polls restate by day.
    period_us bigint,
    import_id bigint not null
);
create index bill_lines_by_feed_day on bill_lines (feed, day_us);
create index bill_lines_by_day on bill_lines (day_us);
create index bill_lines_by_feed_period on bill_lines (feed, period_us);

-- Every import and connector run: what it read, or why it failed.
create table bill_imports (
    id integer primary key autoincrement,
    source text not null,
    -- upload (the API) or connector (a poll).
    trigger text not null,
    actor text not null,
    started_us bigint not null,
    finished_us bigint not null,
    ok boolean not null,
    lines bigint not null,
    first_day_us bigint,
    last_day_us bigint,
    -- The answer as JSON: totals, skipped rows; or the error.
    detail text not null
);
create index bill_imports_by_time on bill_imports (started_us);

-- Admins' rules for lines the default matching does not read.
create table bill_rules (
    id integer primary key autoincrement,
    source text,
    pattern text not null,
    provider text,
    model text,
    token_class text,
    created_by text not null,
    created_us bigint not null
);

-- True-up (issue 19): per provider and month, how the gap between the bill
-- and the recorded calls is shown on the invoice basis. Changes are audited.
create table bill_true_ups (
    provider text not null,
    -- UTC midnight of the month's first day, in microseconds since 1970.
    month_us bigint not null,
    -- uninstrumented or allocated.
    mode text not null,
    set_by text not null,
    set_us bigint not null,
    constraint bill_true_ups_pk primary key (provider, month_us)
);
