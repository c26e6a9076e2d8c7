//! OpenTelemetry statement spans (`--otel-endpoint`). A session hands each finished
//! statement to a bounded queue as a `SpanRecord`; the exporter of the `otel` extra
//! (python/iris_pgwire/otel.py: the OpenTelemetry SDK and its OTLP/HTTP exporter) drains
//! it in batches on a thread of its own, so a session never waits for tracing: when the
//! queue is full the span is dropped and counted. With tracing off (the default) there is
//! no queue, and a statement's only cost is the check that its session opened no span.
//!
//! The trace context is W3C `traceparent`, from (first found wins) a sqlcommenter comment
//! in the statement (`/*traceparent='00-..'*/`), the session setting
//! `iris_pgwire.traceparent`, or `application_name` (`traceparent=00-..`, or a bare one).

use std::net::SocketAddr;
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TryRecvError, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The session setting that carries a trace context to the statements after it.
pub const SETTING: &str = "iris_pgwire.traceparent";

/// Spans waiting for the exporter at most; a burst beyond it is dropped (and counted).
const QUEUE: usize = 16_384;

/// One finished statement, as the exporter turns it into a span.
pub struct SpanRecord {
    /// The command tag's first word (SELECT, INSERT, ..), or the statement's first keyword.
    pub name: String,
    pub start_unix_ns: u64,
    pub end_unix_ns: u64,
    /// The client's W3C trace context (checked with `valid_traceparent`), if it passed one.
    pub traceparent: Option<String>,
    /// The statement text as the client sent it: parameter values are never part of it.
    pub statement: Arc<String>,
    pub user: String,
    pub database: String,
    /// The session's pid (BackendKeyData, pg_stat_activity.pid).
    pub session_id: i32,
    pub client: SocketAddr,
    /// The row count of the command tag (SELECT n, INSERT 0 n, UPDATE n, ..).
    pub rows: Option<u64>,
    /// SQLSTATE and message of a statement that failed.
    pub error: Option<(String, String)>,
}

/// The queue between sessions and the exporter thread.
pub struct Spans {
    tx: SyncSender<SpanRecord>,
    rx: Mutex<Receiver<SpanRecord>>,
    /// `db.system` of every span: the engine that runs the statements.
    pub db_system: &'static str,
}

impl Spans {
    pub fn new(db_system: &'static str) -> Spans {
        let (tx, rx) = sync_channel(QUEUE);
        Spans { tx, rx: Mutex::new(rx), db_system }
    }

    /// Queue a span without waiting; false when the queue is full (the span is dropped).
    pub fn send(&self, span: SpanRecord) -> bool {
        !matches!(self.tx.try_send(span), Err(TrySendError::Full(_)))
    }

    /// Up to `max` spans, waiting at most `wait` for the first (the exporter's thread).
    pub fn take(&self, max: usize, wait: Duration) -> Vec<SpanRecord> {
        let rx = self.rx.lock().unwrap();
        let mut batch = Vec::new();
        match rx.recv_timeout(wait) {
            Ok(span) => batch.push(span),
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return batch,
        }
        while batch.len() < max {
            match rx.try_recv() {
                Ok(span) => batch.push(span),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        batch
    }
}

/// A W3C traceparent of version 00: `00-<32 hex trace id>-<16 hex parent span id>-<2 hex
/// flags>`, lower-case hex, neither id all zeros.
pub fn valid_traceparent(s: &str) -> bool {
    let b = s.as_bytes();
    let hex = |r: std::ops::Range<usize>| b[r].iter().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c));
    let nonzero = |r: std::ops::Range<usize>| b[r].iter().any(|&c| c != b'0');
    b.len() == 55
        && b.starts_with(b"00-")
        && b[35] == b'-'
        && b[52] == b'-'
        && hex(3..35)
        && hex(36..52)
        && hex(53..55)
        && nonzero(3..35)
        && nonzero(36..52)
}

/// The traceparent a text carries: `traceparent=00-..` or `traceparent='00-..'`
/// (sqlcommenter's form, in a SQL comment or in application_name), or the whole text
/// being one. None when absent or malformed.
pub fn find_traceparent(text: &str) -> Option<&str> {
    let text = text.trim();
    if valid_traceparent(text) {
        return Some(text);
    }
    let at = text.find("traceparent=")? + "traceparent=".len();
    let rest = text[at..].strip_prefix('\'').unwrap_or(&text[at..]);
    let candidate = rest.get(..55)?;
    valid_traceparent(candidate).then_some(candidate)
}

/// A span's name when the statement failed before a command tag: its first keyword,
/// upper-cased (comments and whitespace skipped).
pub fn first_keyword(sql: &str) -> String {
    let mut s = sql;
    loop {
        s = s.trim_start();
        if let Some(rest) = s.strip_prefix("--") {
            s = rest.split_once('\n').map_or("", |(_, r)| r);
        } else if let Some(rest) = s.strip_prefix("/*") {
            s = rest.split_once("*/").map_or("", |(_, r)| r);
        } else {
            break;
        }
    }
    let word: String = s.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    if word.is_empty() {
        "statement".into()
    } else {
        word.to_ascii_uppercase()
    }
}

/// The row count at the end of a command tag (`SELECT 3`, `INSERT 0 1`, `COPY 5`).
pub fn tag_rows(tag: &str) -> Option<u64> {
    let (_, last) = tag.rsplit_once(' ')?;
    last.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TP: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn traceparents_in_their_places() {
        assert!(valid_traceparent(TP));
        assert_eq!(find_traceparent(TP), Some(TP));
        assert_eq!(find_traceparent(&format!("select 1 /*traceparent='{TP}'*/")), Some(TP));
        assert_eq!(find_traceparent(&format!("/*action='x',traceparent='{TP}'*/ select 1")), Some(TP));
        assert_eq!(find_traceparent(&format!("myapp traceparent={TP}")), Some(TP));
        // Malformed: wrong version, upper case, zero ids, short.
        for bad in [
            TP.replacen("00-", "01-", 1),
            TP.to_ascii_uppercase(),
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01".into(),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01".into(),
            TP[..50].to_string(),
        ] {
            assert!(!valid_traceparent(&bad), "{bad}");
            assert_eq!(find_traceparent(&format!("traceparent={bad}")), None, "{bad}");
        }
        assert_eq!(find_traceparent("psql"), None);
    }

    #[test]
    fn span_names_and_rows() {
        assert_eq!(first_keyword("  -- hi\n/* c */ select 1"), "SELECT");
        assert_eq!(first_keyword("(values (1))"), "statement");
        assert_eq!(tag_rows("INSERT 0 3"), Some(3));
        assert_eq!(tag_rows("SELECT 0"), Some(0));
        assert_eq!(tag_rows("CREATE TABLE"), None);
        assert_eq!(tag_rows("BEGIN"), None);
    }

    #[test]
    fn a_full_queue_drops_instead_of_waiting() {
        let spans = Spans::new("sqlite");
        let record = || SpanRecord {
            name: "SELECT".into(),
            start_unix_ns: 1,
            end_unix_ns: 2,
            traceparent: None,
            statement: Arc::new("select 1".into()),
            user: "u".into(),
            database: "d".into(),
            session_id: 1,
            client: "127.0.0.1:1".parse().unwrap(),
            rows: Some(1),
            error: None,
        };
        for _ in 0..QUEUE {
            assert!(spans.send(record()));
        }
        assert!(!spans.send(record()));
        assert_eq!(spans.take(10, Duration::from_millis(1)).len(), 10);
        assert!(spans.send(record()));
    }
}
