-- Who made each API key (an email, or "cli"), for the API keys page.
alter table api_keys add column created_by text not null default '';
