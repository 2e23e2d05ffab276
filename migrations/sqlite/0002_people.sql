-- People, their sessions, sign-in throttling and the one-time setup token.

create table users (
    id text primary key,
    email text not null,
    password_hash text not null,
    role text not null,
    teams text not null,
    created_us bigint not null,
    deactivated_us bigint,
    constraint users_email_unique unique (email),
    constraint users_role_check check (role in ('viewer', 'lead', 'admin'))
);

create table sessions (
    id text primary key,
    data text not null,
    expiry_us bigint not null
);
create index sessions_expiry on sessions (expiry_us);

create table login_failures (
    email text not null,
    at_us bigint not null
);
create index login_failures_email_at on login_failures (email, at_us);

create table setup_tokens (
    token_hash text primary key,
    created_us bigint not null,
    used_us bigint
);
