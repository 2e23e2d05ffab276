//! The engine's own limit, measured in the same run as ingest, so that
//! ingest can be reported as a ratio of it (the machine is noisy; a ratio
//! holds). The same rows the ingest round sends are inserted raw into a bare
//! table with the `events` table's columns and types and nothing else (no
//! unique id, no indexes, no tag sets, rollups, task rollup or budget
//! counters), one request-sized batch per transaction, over one connection:
//! - SQLite: multi-row `INSERT`s of [`ROWS_PER_INSERT`] rows, in WAL mode
//!   with `synchronous=FULL`, as the store runs. (A prepared `INSERT` per
//!   row, what an `executemany` does, measures sqlx's per-statement hop to
//!   its SQLite thread, about 50 µs, rather than the engine: 17,281 rows/s
//!   against Bursar's 35,008 events/s in the same run, 2026-12-07.);
//! - Postgres: `COPY … FROM STDIN` with a CSV body per batch (the `csv` crate).

use domain::ingest::event::parse_event;
use sqlx::Connection;
use std::str::FromStr;
use std::time::Instant;

const TABLE: &str = "bench_baseline_events";

/// Rows per SQLite `INSERT` (15 values each: well under SQLite's 32,766 variables).
pub const ROWS_PER_INSERT: usize = 500;
const COLUMNS: &str = "id, ts_us, model, provider, input_tokens, output_tokens, cache_read_tokens, \
     cache_write_tokens, reasoning_tokens, cost_nanos, cost_source, task_id, tagset_id, received_us, usage_note";

/// One row of the bare table, in [`COLUMNS`] order.
type Row = (String, i64, String, String, i64, i64, i64, i64, i64, i64, &'static str, Option<String>, i64, i64);

/// The rows of the bench's request bodies, as ingest would store them
/// (a fixed cost stands in for the catalog's price: the row's shape is what counts).
fn rows(bodies: &[Vec<u8>]) -> anyhow::Result<Vec<Vec<Row>>> {
    let received = chrono::Utc::now().timestamp_micros();
    let mut out = Vec::new();
    for body in bodies {
        let v: serde_json::Value = serde_json::from_slice(body)?;
        let mut batch = Vec::new();
        for e in v["events"].as_array().into_iter().flatten() {
            let e = parse_event(e).map_err(|e| anyhow::anyhow!("bench event: {e}"))?;
            let u = e.usage;
            batch.push((
                e.id,
                e.timestamp.timestamp_micros(),
                e.model,
                e.provider.unwrap_or_default(),
                u.input_tokens,
                u.output_tokens,
                u.cache_read_tokens,
                u.cache_write_tokens,
                u.reasoning_tokens,
                12_345,
                "catalog",
                e.task_id,
                1,
                received,
            ));
        }
        out.push(batch);
    }
    Ok(out)
}

/// Rows per second the engine takes raw, for the same bodies.
pub async fn raw_insert_rate(database_url: &str, bodies: &[Vec<u8>]) -> anyhow::Result<f64> {
    let batches = rows(bodies)?;
    let n: usize = batches.iter().map(Vec::len).sum();
    let took = if database_url.starts_with("sqlite:") {
        sqlite(database_url, &batches).await?
    } else {
        postgres(database_url, &batches).await?
    };
    Ok(n as f64 / took.as_secs_f64())
}

fn create() -> String {
    format!(
        "create table {TABLE} (id text not null, ts_us bigint not null, model text not null, provider text not null, \
         input_tokens bigint not null, output_tokens bigint not null, cache_read_tokens bigint not null, \
         cache_write_tokens bigint not null, reasoning_tokens bigint not null, cost_nanos bigint, \
         cost_source text not null, task_id text, tagset_id bigint not null, received_us bigint not null, usage_note text)"
    )
}

async fn sqlite(url: &str, batches: &[Vec<Row>]) -> anyhow::Result<std::time::Duration> {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
    let opts = SqliteConnectOptions::from_str(url)?
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(std::time::Duration::from_secs(10));
    let mut conn = sqlx::SqliteConnection::connect_with(&opts).await?;
    sqlx::query(&format!("drop table if exists {TABLE}")).execute(&mut conn).await?;
    sqlx::query(&create()).execute(&mut conn).await?;
    let started = Instant::now();
    for batch in batches {
        let mut tx = conn.begin().await?;
        for chunk in batch.chunks(ROWS_PER_INSERT) {
            let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(format!("insert into {TABLE} ({COLUMNS}) "));
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(&r.0)
                    .push_bind(r.1)
                    .push_bind(&r.2)
                    .push_bind(&r.3)
                    .push_bind(r.4)
                    .push_bind(r.5)
                    .push_bind(r.6)
                    .push_bind(r.7)
                    .push_bind(r.8)
                    .push_bind(r.9)
                    .push_bind(r.10)
                    .push_bind(&r.11)
                    .push_bind(r.12)
                    .push_bind(r.13)
                    .push_bind(None::<String>);
            });
            qb.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
    }
    let took = started.elapsed();
    sqlx::query(&format!("drop table {TABLE}")).execute(&mut conn).await?;
    Ok(took)
}

async fn postgres(url: &str, batches: &[Vec<Row>]) -> anyhow::Result<std::time::Duration> {
    let mut conn = sqlx::PgConnection::connect(url).await?;
    sqlx::query(&format!("drop table if exists {TABLE}")).execute(&mut conn).await?;
    sqlx::query(&create()).execute(&mut conn).await?;
    let copy = format!("copy {TABLE} ({COLUMNS}) from stdin with (format csv)");
    let started = Instant::now();
    for batch in batches {
        let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
        for r in batch {
            let task = r.11.clone().unwrap_or_default();
            w.write_record([
                r.0.as_str(),
                &r.1.to_string(),
                &r.2,
                &r.3,
                &r.4.to_string(),
                &r.5.to_string(),
                &r.6.to_string(),
                &r.7.to_string(),
                &r.8.to_string(),
                &r.9.to_string(),
                r.10,
                &task,
                &r.12.to_string(),
                &r.13.to_string(),
                "",
            ])?;
        }
        let body = w.into_inner().map_err(|e| anyhow::anyhow!("the CSV body: {e}"))?;
        let mut sink = conn.copy_in_raw(&copy).await?;
        sink.send(body).await?;
        sink.finish().await?;
    }
    let took = started.elapsed();
    sqlx::query(&format!("drop table {TABLE}")).execute(&mut conn).await?;
    Ok(took)
}
