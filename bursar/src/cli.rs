//! The command line: `serve` (the default), `migrate`, `keys create`, `users create`, `demo` and `bench`.

use crate::tools::demo;
use anyhow::Context;
use clap::{Parser, Subcommand};
use server::{http, keys, AppState, Config};
use std::sync::Arc;
use store::Store;

/// Bursar: governs LLM spend. Configure with BURSAR_DATABASE_URL (default
/// sqlite:./data/bursar.db) and LEPTOS_SITE_ADDR (default 127.0.0.1:3000).
#[derive(Parser, Debug)]
#[command(name = "bursar", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What to do.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server (what `bursar` does with no subcommand).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Manage API keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Manage people who sign in to the dashboard.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Fill the store with a demo organisation's 90 days of LLM traffic.
    Demo(DemoArgs),
    /// Measure ingest throughput and query latency on a fresh store (use a release build).
    Bench(crate::tools::bench::BenchArgs),
}

/// Options of `serve`.
#[derive(clap::Args, Debug, Default)]
pub struct ServeArgs {
    /// Load the demo organisation first if the store holds no events, and
    /// print a demo API key.
    #[arg(long)]
    pub demo_if_empty: bool,
}

/// Options of `demo`.
#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Days of history, ending today.
    #[arg(long, default_value_t = 90)]
    pub days: u32,
    /// Random seed; the same seed gives the same organisation.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Scale the traffic (1.0 is about 2,000 calls a day).
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
}

/// `users` subcommands.
#[derive(Subcommand, Debug)]
pub enum UsersCommand {
    /// Create a person; the password is read from standard input.
    Create {
        /// Their email, which they sign in with.
        #[arg(long)]
        email: String,
        /// viewer (finance: reads everything), lead (also edits their teams' budgets) or admin.
        #[arg(long)]
        role: String,
        /// For a lead: comma list of the teams they answer for.
        #[arg(long, default_value = "")]
        teams: String,
        /// Read the password from standard input (the first line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

/// `keys` subcommands.
#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Create a key and print it (the last line of stdout holds only the key).
    Create {
        /// A name to recognise the key by.
        #[arg(long)]
        name: String,
        /// Comma list of scopes: ingest, read, admin.
        #[arg(long, default_value = "ingest")]
        scopes: String,
        /// Bind the key to tag values, e.g. `team=search,team=search-infra`:
        /// calls it sends and checks it asks must carry one of them.
        #[arg(long, default_value = "")]
        tags: String,
    },
}

/// Opens the configured store, migrating it unless told not to.
async fn open(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let store = store::connect(&config.database_url)
        .await
        .with_context(|| format!("cannot open the database {}", redact(&config.database_url)))?;
    if config.run_migrations {
        store.migrate().await.context("migrations failed; start-up aborted")?;
    }
    Ok(store)
}

use server::config::redact_url as redact;

fn leptos_options() -> anyhow::Result<leptos::prelude::LeptosOptions> {
    Ok(leptos::prelude::get_configuration(None).context("reading the LEPTOS_* settings")?.leptos_options)
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::from_env()?;
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(args) => serve(config, args).await,
        Command::Migrate => {
            let mut c = config;
            c.run_migrations = true;
            open(&c).await?;
            println!("migrations applied to {}", redact(&c.database_url));
            Ok(())
        }
        Command::Keys { command: KeysCommand::Create { name, scopes, tags } } => {
            let scopes = keys::parse_scopes(&scopes).map_err(anyhow::Error::msg).context("--scopes")?;
            let limits =
                domain::ingest::key_limits::TagLimits::parse(&tags).map_err(anyhow::Error::msg).context("--tags")?;
            let store = open(&config).await?;
            let (record, secret) =
                accounts::keys::create_restricted(&store, &name, &scopes, Some(limits), "cli").await?;
            eprintln!(
                "created key {:?} ({}) with scopes {}; it is shown once:",
                name,
                record.prefix,
                record.scopes.join(",")
            );
            println!("{}", secret.expose());
            Ok(())
        }
        Command::Bench(args) => crate::tools::bench::run(args, config).await,
        Command::Users { command: UsersCommand::Create { email, role, teams, password_stdin: _ } } => {
            let mut password = String::new();
            std::io::stdin().read_line(&mut password).context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\n', '\r']);
            let store = open(&config).await?;
            let new = accounts::NewAccount { email: &email, password, role: &role, teams: &teams };
            let person = accounts::create_account_by(&store, new, "cli").await?;
            println!("created {} ({}{})", person.email, person.role, lead_teams(&person.teams));
            Ok(())
        }
        Command::Demo(args) => {
            let store = open(&config).await?;
            let state = AppState::new(leptos_options()?, store, config).await?;
            let summary = demo::load(&state, args.days, args.seed, args.scale).await?;
            println!("{summary}");
            demo_people(&state.store).await?;
            Ok(())
        }
    }
}

fn lead_teams(teams: &[String]) -> String {
    if teams.is_empty() {
        String::new()
    } else {
        format!(" of {}", teams.join(", "))
    }
}

/// The demo organisation's people, one per role, with their passwords printed.
async fn demo_people(store: &Arc<dyn Store>) -> anyhow::Result<()> {
    if store.count_users().await? > 0 {
        return Ok(());
    }
    let people = [
        ("admin@demo.bursar.dev", "admin", ""),
        ("lead@demo.bursar.dev", "lead", "platform,data"),
        ("finance@demo.bursar.dev", "viewer", ""),
    ];
    eprintln!("demo people (sign in at /login):");
    for (email, role, teams) in people {
        let password = format!("demo-{role}-{:08x}", rand::random::<u32>());
        accounts::create_account_by(store, accounts::NewAccount { email, password: &password, role, teams }, "demo")
            .await?;
        eprintln!(
            "  {email:<26} {password:<22} {role}{}",
            if teams.is_empty() { String::new() } else { format!(" of {teams}") }
        );
    }
    Ok(())
}

async fn serve(config: Config, args: ServeArgs) -> anyhow::Result<()> {
    let options = leptos_options()?;
    let addr = options.site_addr;
    let store = open(&config).await?;
    let retain_days = config.retain_calls_days;
    let state = AppState::new(options, store.clone(), config).await?;
    if args.demo_if_empty && !store.ever_stored().await? {
        eprintln!("the store is empty: loading the demo organisation (about a minute)…");
        let summary = demo::load(&state, 90, 42, 1.0).await?;
        eprintln!("{summary}");
        let (_, secret) =
            accounts::keys::create_audited(&store, "demo", &[keys::Scope::Ingest, keys::Scope::Read], "demo").await?;
        eprintln!("demo API key (ingest, read), shown once:\n  {}", secret.expose());
        demo_people(&store).await?;
    }
    if store.count_users().await? == 0 {
        let token = accounts::issue_setup_token(&store).await?;
        eprintln!("no one can sign in yet: create the first admin at\n  http://{addr}/setup?token={token}");
    }
    tokio::spawn(server::jobs::housekeeping::run(store.clone()));
    tokio::spawn(server::jobs::retention::run(store.clone(), retain_days));
    server::jobs::alerts::spawn(&state);
    server::jobs::bills::spawn(&state);
    state.catalog_service.spawn_refresh();
    match state.catalog_service.interrupt_stale_jobs().await {
        Ok(n) if n > 0 => tracing::warn!(jobs = n, "background jobs whose process stopped are marked interrupted"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "could not check for interrupted jobs"),
    }
    let listener = server::http::web::listen(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
    tracing::info!("Bursar is serving on http://{addr}");
    let app = http::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
