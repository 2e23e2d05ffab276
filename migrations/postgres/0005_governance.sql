-- Governance: the price catalog and the tag taxonomy kept in the database
-- (so every process prices and normalises alike), background jobs with
-- their progress, and the audit log.

-- One row per model; its price versions (domain::pricing::PriceVersion) as JSON.
create table price_models (
    model text primary key,
    provider text not null,
    aliases text not null,
    prices text not null,
    updated_us bigint not null
);

-- One row per tag key; its rule (domain::taxonomy::KeyRule) as JSON.
create table taxonomy_keys (
    key text primary key,
    rule text not null,
    updated_us bigint not null
);

-- Bumped in the same transaction as a change to the catalog or the
-- taxonomy; each process reloads what it caches when a revision moves.
create table config_revisions (
    name text primary key,
    revision bigint not null
);
insert into config_revisions (name, revision) values ('prices', 0), ('taxonomy', 0);

-- Work that runs in the background (applying the taxonomy to stored events,
-- repricing unpriced events), with progress any process can show.
create table jobs (
    id text primary key,
    kind text not null,
    params text not null,
    state text not null,
    done bigint not null,
    total bigint not null,
    detail text not null,
    created_by text not null,
    created_us bigint not null,
    heartbeat_us bigint not null,
    finished_us bigint,
    constraint jobs_state_check check (state in ('running', 'done', 'failed', 'interrupted'))
);
create index jobs_created on jobs (created_us);

-- Append-only: Bursar never updates or deletes a row.
create table audit_log (
    id bigint generated always as identity primary key,
    at_us bigint not null,
    actor text not null,
    action text not null,
    target text not null,
    before_json text,
    after_json text
);
create index audit_log_at on audit_log (at_us);

-- Calls by tag set, for moving a renamed tag set's calls (and for finding
-- the tag sets calls carry) without scanning every call. The rollups need
-- no such index: a move touches their rows by primary key.
create index events_tagset on events (tagset_id);

-- Unpriced events by model, for the price catalog page and repricing.
create index events_unpriced on events (model, seq) where cost_source = 'unpriced';
