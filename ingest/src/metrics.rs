//! The process's metrics, rendered by `GET /metrics` as Prometheus text
//! (format 0.0.4): ingest counters by outcome, ingest, OTLP and check latency
//! histograms, OTLP spans ignored, alert deliveries and failures, and the
//! database pools. The ingest service counts its own requests here; the
//! server adds the check's latency and alert deliveries. Labels carry only
//! fixed words (an outcome, a route, a pool), never a tag value, so
//! cardinality stays bounded.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Latency bucket bounds, in seconds.
const BOUNDS: [f64; 14] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// A latency histogram with fixed buckets.
#[derive(Default)]
pub struct Histogram {
    counts: [AtomicU64; BOUNDS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        if let Some(i) = BOUNDS.iter().position(|b| secs <= *b) {
            self.counts[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(d.as_micros() as u64, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str, labels: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (i, b) in BOUNDS.iter().enumerate() {
            cumulative += self.counts[i].load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{b}\"}} {cumulative}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {count}");
        let braces = if labels.is_empty() { String::new() } else { format!("{{{labels}}}") };
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum{braces} {sum}\n{name}_count{braces} {count}");
    }
}

/// Every counter and histogram of the process.
#[derive(Default)]
pub struct Metrics {
    pub ingest_requests: AtomicU64,
    pub events_accepted: AtomicU64,
    pub events_duplicate: AtomicU64,
    pub events_rejected: AtomicU64,
    pub events_unpriced: AtomicU64,
    pub requests_refused: AtomicU64,
    pub otlp_spans_ignored: AtomicU64,
    pub ingest_latency: Histogram,
    pub otlp_latency: Histogram,
    pub check_latency: Histogram,
    pub alerts_delivered: AtomicU64,
    pub alert_delivery_failures: AtomicU64,
}

/// One database pool's connections.
pub struct PoolStat {
    pub name: &'static str,
    pub size: u32,
    pub idle: usize,
}

fn counter(out: &mut String, name: &str, help: &str, samples: &[(&str, u64)]) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
    for (labels, v) in samples {
        if labels.is_empty() {
            let _ = writeln!(out, "{name} {v}");
        } else {
            let _ = writeln!(out, "{name}{{{labels}}} {v}");
        }
    }
}

impl Metrics {
    /// Counts what one ingest request did.
    pub fn record_ingest(&self, report: &crate::IngestReport) {
        self.ingest_requests.fetch_add(1, Ordering::Relaxed);
        self.events_accepted.fetch_add(report.accepted as u64, Ordering::Relaxed);
        self.events_duplicate.fetch_add(report.duplicates as u64, Ordering::Relaxed);
        self.events_rejected.fetch_add(report.rejected.len() as u64, Ordering::Relaxed);
        self.events_unpriced.fetch_add(report.unpriced as u64, Ordering::Relaxed);
    }

    /// The exposition text.
    pub fn render(&self, pools: &[PoolStat]) -> String {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let mut out = String::with_capacity(4096);
        counter(
            &mut out,
            "bursar_ingest_requests_total",
            "Ingest requests answered (REST and OTLP).",
            &[("", g(&self.ingest_requests))],
        );
        counter(
            &mut out,
            "bursar_ingest_events_total",
            "Events by outcome: accepted (stored), duplicate (already stored), rejected (invalid), unpriced (accepted without a price).",
            &[
                ("result=\"accepted\"", g(&self.events_accepted)),
                ("result=\"duplicate\"", g(&self.events_duplicate)),
                ("result=\"rejected\"", g(&self.events_rejected)),
                ("result=\"unpriced\"", g(&self.events_unpriced)),
            ],
        );
        counter(
            &mut out,
            "bursar_ingest_requests_refused_total",
            "Ingest requests refused whole (bad body, too large, overloaded).",
            &[("", g(&self.requests_refused))],
        );
        counter(
            &mut out,
            "bursar_otlp_spans_ignored_total",
            "OTLP spans without GenAI attributes.",
            &[("", g(&self.otlp_spans_ignored))],
        );
        self.ingest_latency.render(
            &mut out,
            "bursar_ingest_duration_seconds",
            "Time to answer an ingest request.",
            "route=\"events\"",
        );
        self.otlp_latency.render(
            &mut out,
            "bursar_otlp_duration_seconds",
            "Time to answer an OTLP export.",
            "route=\"otlp_traces\"",
        );
        self.check_latency.render(
            &mut out,
            "bursar_check_duration_seconds",
            "Time to answer a pre-call cap check.",
            "",
        );
        counter(
            &mut out,
            "bursar_alert_deliveries_total",
            "Webhook delivery attempts by outcome.",
            &[
                ("result=\"delivered\"", g(&self.alerts_delivered)),
                ("result=\"failed\"", g(&self.alert_delivery_failures)),
            ],
        );
        let _ = writeln!(out, "# HELP bursar_db_pool_connections Database connections by pool and state.\n# TYPE bursar_db_pool_connections gauge");
        for p in pools {
            let busy = (p.size as usize).saturating_sub(p.idle);
            let _ = writeln!(out, "bursar_db_pool_connections{{pool=\"{}\",state=\"idle\"}} {}", p.name, p.idle);
            let _ = writeln!(out, "bursar_db_pool_connections{{pool=\"{}\",state=\"busy\"}} {busy}", p.name);
        }
        out
    }
}
