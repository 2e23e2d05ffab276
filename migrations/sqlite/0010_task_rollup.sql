-- One row per task: what signals read instead of grouping raw calls per task
-- (issue 18). Kept in the ingest transaction like the hourly and daily
-- rollups; the tag set is the one of the task's first call. Existing calls
-- are summed once here.
create table task_rollup (
    task_id text primary key,
    first_us bigint not null,
    last_us bigint not null,
    tagset_id integer not null references tagsets (id),
    calls bigint not null,
    cost_nanos bigint not null,
    min_input bigint not null,
    max_input bigint not null
);
create index task_rollup_first on task_rollup (first_us);
create index task_rollup_tagset on task_rollup (tagset_id);

insert into task_rollup (task_id, first_us, last_us, tagset_id, calls, cost_nanos, min_input, max_input)
select e.task_id, min(e.ts_us), max(e.ts_us),
       (select f.tagset_id from events f where f.task_id = e.task_id order by f.ts_us, f.seq limit 1),
       count(*), coalesce(sum(e.cost_nanos), 0), min(e.input_tokens), max(e.input_tokens)
from events e where e.task_id is not null group by e.task_id;
