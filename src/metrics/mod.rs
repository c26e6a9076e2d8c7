//! Counters of what the gateway does, exposed in Prometheus text format on
//! `--metrics-port` (`http.rs`). Sessions count with relaxed atomic adds only: no lock,
//! no allocation per statement (errors, which are rare, take a small map's lock). Gauges
//! (sessions by state, backend connections) are read from the session registry and the
//! pools when scraped, so keeping them costs nothing between scrapes.

mod commands;
mod histogram;
pub mod http;

use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, NoLabelSet};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

pub use histogram::Histogram;

/// Where a statement's time went (`iris_pgwire_query_phase_seconds{phase}`).
#[derive(Clone, Copy)]
pub enum Phase {
    /// PostgreSQL SQL to the target's (a translation cache hit costs almost nothing).
    Translate = 0,
    /// Backend calls, less the row encoding inside them.
    Backend = 1,
    /// Rows to DataRow bytes.
    Encode = 2,
}
const PHASES: [&str; 3] = ["translate", "backend", "encode"];

pub struct Metrics {
    queries: [AtomicU64; commands::TAGS.len() + 1],
    errors: Mutex<BTreeMap<String, u64>>,
    pub query_duration: Histogram,
    phases: [Histogram; 3],
    pub pool_wait: Histogram,
    pub bytes_received: AtomicU64,
    pub bytes_sent: AtomicU64,
    pub copy_rows_in: AtomicU64,
    pub copy_rows_out: AtomicU64,
    pub auth_failures: AtomicU64,
    pub cancel_requests: AtomicU64,
    pub connections_accepted: AtomicU64,
    pub sessions_terminated: AtomicU64,
    /// Statement spans dropped because the exporter's queue was full (`--otel-endpoint`).
    pub spans_dropped: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            queries: std::array::from_fn(|_| AtomicU64::new(0)),
            errors: Mutex::default(),
            query_duration: Histogram::default(),
            phases: Default::default(),
            pool_wait: Histogram::default(),
            bytes_received: AtomicU64::new(0),
            bytes_sent: AtomicU64::new(0),
            copy_rows_in: AtomicU64::new(0),
            copy_rows_out: AtomicU64::new(0),
            auth_failures: AtomicU64::new(0),
            cancel_requests: AtomicU64::new(0),
            connections_accepted: AtomicU64::new(0),
            sessions_terminated: AtomicU64::new(0),
            spans_dropped: AtomicU64::new(0),
        }
    }
}

thread_local! {
    /// Nanoseconds spent encoding rows inside the backend call now running on this
    /// thread (backend calls run in place on the session's thread: `blocking`).
    static ENCODE_NS: Cell<u64> = const { Cell::new(0) };
}

/// Add row-encoding time of the current backend call (python/backend.rs).
pub fn add_encode_time(ns: u64) {
    ENCODE_NS.with(|c| c.set(c.get() + ns));
}

/// The encoding time added on this thread since the last call.
pub fn take_encode_time() -> u64 {
    ENCODE_NS.with(|c| c.replace(0))
}

fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

impl Metrics {
    /// A statement completed with this command tag.
    pub fn query_done(&self, tag: &str) {
        add(&self.queries[commands::index(tag)], 1);
    }

    /// An ErrorResponse with this SQLSTATE went to a client.
    pub fn error(&self, sqlstate: &str) {
        let mut errors = self.errors.lock().unwrap();
        match errors.get_mut(sqlstate) {
            Some(n) => *n += 1,
            None => {
                errors.insert(sqlstate.to_owned(), 1);
            }
        }
    }

    pub fn phase(&self, phase: Phase, ns: u64) {
        self.phases[phase as usize].observe_ns(ns);
    }

    pub fn add(&self, counter: &AtomicU64, n: u64) {
        add(counter, n);
    }

    /// Statements completed per command tag (the admin console's SHOW STATS).
    pub fn queries_by_command(&self) -> Vec<(&'static str, u64)> {
        let names = commands::TAGS.iter().copied().chain([commands::OTHER]);
        names.zip(&self.queries).map(|(n, c)| (n, c.load(Ordering::Relaxed))).filter(|(_, c)| *c > 0).collect()
    }

    pub fn errors_by_sqlstate(&self) -> Vec<(String, u64)> {
        self.errors.lock().unwrap().iter().map(|(k, v)| (k.clone(), *v)).collect()
    }

    /// The exposition (Prometheus text format 0.0.4) of these counters and the gauges.
    pub fn render(&self, gauges: &Gauges) -> String {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(Scrape(self.collect(gauges))));
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &registry);
        out
    }

    fn collect(&self, gauges: &Gauges) -> Vec<Family> {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let one = |v: u64| vec![(Vec::new(), Value::Count(v))];
        let hist = |h: &Histogram| Value::Histogram(h.snapshot());
        vec![
            Family::gauge(
                "iris_pgwire_client_connections",
                "client sessions by state",
                labelled("state", &gauges.clients),
            ),
            Family::gauge(
                "iris_pgwire_backend_connections",
                "backend connections by state",
                labelled("state", &gauges.backends),
            ),
            Family::counter(
                "iris_pgwire_queries",
                "statements completed, by command tag",
                self.queries_by_command()
                    .into_iter()
                    .map(|(t, n)| (vec![("command", t.to_owned())], Value::Count(n)))
                    .collect(),
            ),
            Family::counter(
                "iris_pgwire_errors",
                "errors sent to clients, by SQLSTATE",
                self.errors_by_sqlstate().into_iter().map(|(s, n)| (vec![("sqlstate", s)], Value::Count(n))).collect(),
            ),
            Family::histogram(
                "iris_pgwire_query_duration_seconds",
                "statement duration, from its message to its completion",
                vec![(Vec::new(), hist(&self.query_duration))],
            ),
            Family::histogram(
                "iris_pgwire_query_phase_seconds",
                "time of each statement spent translating, in the backend, and encoding rows",
                PHASES.iter().zip(&self.phases).map(|(p, h)| (vec![("phase", p.to_string())], hist(h))).collect(),
            ),
            Family::histogram(
                "iris_pgwire_pool_wait_seconds",
                "time sessions waited for a backend connection",
                vec![(Vec::new(), hist(&self.pool_wait))],
            ),
            Family::counter("iris_pgwire_received_bytes", "bytes read from clients", one(load(&self.bytes_received))),
            Family::counter("iris_pgwire_sent_bytes", "bytes written to clients", one(load(&self.bytes_sent))),
            Family::counter(
                "iris_pgwire_copy_rows",
                "rows moved by COPY, by direction (in: FROM STDIN, out: TO STDOUT)",
                vec![
                    (vec![("direction", "in".into())], Value::Count(load(&self.copy_rows_in))),
                    (vec![("direction", "out".into())], Value::Count(load(&self.copy_rows_out))),
                ],
            ),
            Family::counter("iris_pgwire_auth_failures", "failed authentications", one(load(&self.auth_failures))),
            Family::counter("iris_pgwire_cancel_requests", "CancelRequests received", one(load(&self.cancel_requests))),
            Family::counter(
                "iris_pgwire_connections_accepted",
                "TCP connections accepted",
                one(load(&self.connections_accepted)),
            ),
            Family::counter(
                "iris_pgwire_sessions_terminated",
                "sessions ended by pg_terminate_backend or KILL",
                one(load(&self.sessions_terminated)),
            ),
            Family::counter(
                "iris_pgwire_otel_spans_dropped",
                "statement spans dropped because the OpenTelemetry exporter fell behind",
                one(load(&self.spans_dropped)),
            ),
        ]
    }
}

/// Gauges read from the registry and the pools at scrape time.
#[derive(Default)]
pub struct Gauges {
    pub clients: Vec<(&'static str, u64)>,
    pub backends: Vec<(&'static str, u64)>,
}

fn labelled(name: &'static str, values: &[(&'static str, u64)]) -> Vec<(Labels, Value)> {
    values.iter().map(|(l, v)| (vec![(name, l.to_string())], Value::Count(*v))).collect()
}

type Labels = Vec<(&'static str, String)>;

#[derive(Debug)]
enum Value {
    Count(u64),
    Histogram((f64, u64, Vec<(f64, u64)>)),
}

#[derive(Debug)]
struct Family {
    name: &'static str,
    help: &'static str,
    kind: MetricType,
    series: Vec<(Labels, Value)>,
}

impl Family {
    fn counter(name: &'static str, help: &'static str, series: Vec<(Labels, Value)>) -> Family {
        Family { name, help, kind: MetricType::Counter, series }
    }
    fn gauge(name: &'static str, help: &'static str, series: Vec<(Labels, Value)>) -> Family {
        Family { name, help, kind: MetricType::Gauge, series }
    }
    fn histogram(name: &'static str, help: &'static str, series: Vec<(Labels, Value)>) -> Family {
        Family { name, help, kind: MetricType::Histogram, series }
    }
}

/// One scrape's values, handed to prometheus-client's encoder.
#[derive(Debug)]
struct Scrape(Vec<Family>);

impl Collector for Scrape {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        for family in &self.0 {
            let mut metric = encoder.encode_descriptor(family.name, family.help, None, family.kind)?;
            for (labels, value) in &family.series {
                let labels: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let series = metric.encode_family(&labels)?;
                match (value, family.kind) {
                    (Value::Count(v), MetricType::Gauge) => ConstGauge::new(*v as i64).encode(series)?,
                    (Value::Count(v), _) => ConstCounter::new(*v).encode(series)?,
                    (Value::Histogram((sum, count, buckets)), _) => {
                        let mut series = series;
                        series.encode_histogram::<NoLabelSet>(*sum, *count, buckets, None)?
                    }
                }
            }
        }
        Ok(())
    }
}

/// Time since `start`, in nanoseconds.
pub fn elapsed_ns(start: std::time::Instant) -> u64 {
    start.elapsed().as_nanos().min(u64::MAX as u128) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        m.query_done("INSERT 0 1");
        m.query_done("INSERT 0 3");
        m.error("42P01");
        m.query_duration.observe(Duration::from_millis(2));
        let text = m.render(&Gauges { clients: vec![("active", 2)], backends: vec![("idle", 1)] });
        assert!(text.contains("iris_pgwire_queries_total{command=\"INSERT\"} 2\n"), "{text}");
        assert!(text.contains("iris_pgwire_errors_total{sqlstate=\"42P01\"} 1\n"), "{text}");
        assert!(text.contains("iris_pgwire_client_connections{state=\"active\"} 2\n"), "{text}");
        assert!(text.contains("iris_pgwire_query_duration_seconds_bucket{le=\"0.0025\"} 1\n"), "{text}");
        assert!(text.contains("iris_pgwire_query_duration_seconds_count 1\n"), "{text}");
    }
}
