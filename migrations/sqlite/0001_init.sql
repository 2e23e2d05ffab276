-- Bursar's schema on SQLite. Money is integer nano-USD; times are integer
-- microseconds (events) or seconds (rollup buckets) since the Unix epoch, UTC.

create table tagsets (
    id integer primary key,
    tags_key text not null,
    constraint tagsets_key_unique unique (tags_key)
);

create table tagset_tags (
    tagset_id integer not null references tagsets (id),
    key text not null,
    value text not null,
    constraint tagset_tags_pk primary key (tagset_id, key)
);
create index tagset_tags_key_value on tagset_tags (key, value, tagset_id);

create table events (
    seq integer primary key,
    id text not null,
    ts_us bigint not null,
    model text not null,
    provider text not null,
    input_tokens bigint not null,
    output_tokens bigint not null,
    cache_read_tokens bigint not null,
    cache_write_tokens bigint not null,
    reasoning_tokens bigint not null,
    cost_nanos bigint,
    cost_source text not null,
    task_id text,
    tagset_id integer not null references tagsets (id),
    received_us bigint not null,
    constraint events_id_unique unique (id),
    constraint events_cost_source_check check (cost_source in ('caller', 'catalog', 'unpriced'))
);
create index events_ts on events (ts_us);
create index events_task on events (task_id, ts_us) where task_id is not null;

create table rollup_hour (
    bucket bigint not null,
    tagset_id integer not null references tagsets (id),
    model text not null,
    provider text not null,
    calls bigint not null,
    input_tokens bigint not null,
    output_tokens bigint not null,
    cache_read_tokens bigint not null,
    cache_write_tokens bigint not null,
    reasoning_tokens bigint not null,
    cost_nanos bigint not null,
    unpriced_calls bigint not null,
    constraint rollup_hour_pk primary key (bucket, tagset_id, model, provider)
);

create table rollup_day (
    bucket bigint not null,
    tagset_id integer not null references tagsets (id),
    model text not null,
    provider text not null,
    calls bigint not null,
    input_tokens bigint not null,
    output_tokens bigint not null,
    cache_read_tokens bigint not null,
    cache_write_tokens bigint not null,
    reasoning_tokens bigint not null,
    cost_nanos bigint not null,
    unpriced_calls bigint not null,
    constraint rollup_day_pk primary key (bucket, tagset_id, model, provider)
);

create table api_keys (
    id text primary key,
    name text not null,
    prefix text not null,
    key_hash text not null,
    scopes text not null,
    created_us bigint not null,
    last_used_us bigint,
    revoked_us bigint,
    constraint api_keys_hash_unique unique (key_hash)
);
