-- How a call's token counts were read when its sender's convention differed from
-- Bursar's (domain::conventions::UsageNote, e.g. `openlit/input_excludes_cache`);
-- null when they were taken as sent.
alter table events add column usage_note text;
