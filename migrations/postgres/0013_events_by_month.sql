-- Calls partitioned by month (issue 18), so that retention drops a whole
-- month at once instead of deleting its rows one by one.
--
-- A partitioned table's unique keys must include the partition key, so a
-- call's id can no longer be unique in `events` itself: `event_ids` keeps
-- every stored id (with its call's time, for retention), and ingest inserts
-- there first; only ids new there go on to `events`.
--
-- Partitions are named events_yYYYYmMM and hold [month start, next month
-- start) in microseconds since 1970 (UTC). This migration makes one for every
-- month that has calls and for the current and next three months; ingest
-- makes any other month's before it stores a call in it
-- (`store::impls::partitions`).

create sequence events_month_seq;
select setval('events_month_seq', coalesce((select max(seq) from events), 0) + 1, false);

create table events_by_month (
    seq bigint not null default nextval('events_month_seq'),
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
    tagset_id bigint not null references tagsets (id),
    received_us bigint not null,
    usage_note text,
    constraint events_by_month_cost_source_check check (cost_source in ('caller', 'catalog', 'unpriced')),
    primary key (ts_us, seq)
) partition by range (ts_us);

do $$
declare
    this_month timestamp := date_trunc('month', now() at time zone 'UTC');
    first_month timestamp;
    last_month timestamp;
    m timestamp;
begin
    select date_trunc('month', to_timestamp(min(ts_us) / 1000000.0) at time zone 'UTC'),
           date_trunc('month', to_timestamp(max(ts_us) / 1000000.0) at time zone 'UTC')
      into first_month, last_month from events;
    first_month := least(coalesce(first_month, this_month), this_month);
    last_month := greatest(coalesce(last_month, this_month), this_month + interval '3 months');
    for m in select generate_series(first_month, last_month, interval '1 month')
    loop
        -- Only months with calls, and the months ahead.
        if m >= date_trunc('month', now() at time zone 'UTC')
           or exists (select 1 from events
                      where ts_us >= (extract(epoch from m) * 1000000)::bigint
                        and ts_us < (extract(epoch from m + interval '1 month') * 1000000)::bigint) then
            execute format(
                'create table %I partition of events_by_month for values from (%s) to (%s)',
                'events_y' || to_char(m, 'YYYY') || 'm' || to_char(m, 'MM'),
                (extract(epoch from m) * 1000000)::bigint,
                (extract(epoch from m + interval '1 month') * 1000000)::bigint
            );
        end if;
    end loop;
end $$;

insert into events_by_month (seq, id, ts_us, model, provider, input_tokens, output_tokens, cache_read_tokens,
    cache_write_tokens, reasoning_tokens, cost_nanos, cost_source, task_id, tagset_id, received_us, usage_note)
select seq, id, ts_us, model, provider, input_tokens, output_tokens, cache_read_tokens,
    cache_write_tokens, reasoning_tokens, cost_nanos, cost_source, task_id, tagset_id, received_us, usage_note
from events;

create table event_ids (
    id text primary key,
    ts_us bigint not null
);
insert into event_ids (id, ts_us) select id, ts_us from events;
create index event_ids_ts on event_ids (ts_us);

drop table events;
alter table events_by_month rename to events;
alter sequence events_month_seq owned by events.seq;
create index events_task on events (task_id, ts_us) where task_id is not null;
create index events_tagset on events (tagset_id);
create index events_unpriced on events (model, seq) where cost_source = 'unpriced';
