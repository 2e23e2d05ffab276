-- Sign-in throttling per client address as well as per email (the address
-- Bursar saw, or the one BURSAR_CLIENT_IP_HEADER names); '' for rows from before.
alter table login_failures add column client text not null default '';
create index login_failures_client_at on login_failures (client, at_us);
create index login_failures_at on login_failures (at_us);
-- When a person's password last changed (by themselves or an admin's reset):
-- sessions signed in before it are signed out.
alter table users add column password_changed_us bigint;
-- The tag values an ingest key may write and check, as JSON {"team": ["search"]};
-- null for a key without restrictions.
alter table api_keys add column tag_limits text;
