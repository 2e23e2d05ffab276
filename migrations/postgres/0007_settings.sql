-- Settings admins change at run time, one JSON value per name
-- (e.g. `otlp_mapping`: where OpenTelemetry spans' tags and task ids come from).
create table settings (
    name text primary key,
    value text not null,
    updated_us bigint not null
);
