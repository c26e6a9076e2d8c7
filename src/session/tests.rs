//! The session state machine over the scripted memory backend (no Python): which
//! backend calls a statement costs, and when transactions are opened.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use crate::backend::memory::{MemoryBackend, Script};
use crate::backend::Column;
use crate::config::Config;
use crate::server::Server;
use crate::translate::{translate, Action, Target};
use crate::types;

/// The SQL the memory backend receives for a client statement.
fn backend_sql(sql: &str) -> String {
    match &translate(sql, &Target::Sqlite).unwrap()[0].action {
        Action::Execute { statements, .. } => statements.last().unwrap().sql.clone(),
        other => panic!("not a backend statement: {other:?}"),
    }
}

fn start(backend: &MemoryBackend) -> Server {
    let config = Config { port: 0, ..Config::default() };
    Server::start(config, Arc::new(backend.clone())).unwrap()
}

struct Client {
    stream: TcpStream,
    pending: Vec<u8>,
}

type Messages = Vec<(u8, Vec<u8>)>;

impl Client {
    fn connect(server: &Server) -> Client {
        let stream = TcpStream::connect(server.local_addr).unwrap();
        let mut client = Client { stream, pending: Vec::new() };
        let body = b"\x00\x03\x00\x00user\0test\0database\0test\0\0";
        let mut startup = ((body.len() + 4) as u32).to_be_bytes().to_vec();
        startup.extend_from_slice(body);
        client.stream.write_all(&startup).unwrap();
        client.read_until_ready();
        client
    }

    fn push(&mut self, tag: u8, body: &[u8]) -> &mut Self {
        self.pending.push(tag);
        self.pending.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
        self.pending.extend_from_slice(body);
        self
    }

    fn parse(&mut self, name: &str, sql: &str) -> &mut Self {
        let body = [name.as_bytes(), b"\0", sql.as_bytes(), b"\0\0\0"].concat();
        self.push(b'P', &body)
    }

    fn bind(&mut self, portal: &str, statement: &str) -> &mut Self {
        let body = [portal.as_bytes(), b"\0", statement.as_bytes(), b"\0", &[0, 0, 0, 0, 0, 0]].concat();
        self.push(b'B', &body)
    }

    fn describe_portal(&mut self, portal: &str) -> &mut Self {
        self.push(b'D', &[b"P", portal.as_bytes(), b"\0"].concat())
    }

    fn execute(&mut self, portal: &str, max_rows: i32) -> &mut Self {
        self.push(b'E', &[portal.as_bytes(), b"\0", &max_rows.to_be_bytes()].concat())
    }

    fn query(&mut self, sql: &str) -> Messages {
        self.push(b'Q', &[sql.as_bytes(), b"\0"].concat());
        self.send()
    }

    fn sync(&mut self) -> Messages {
        self.push(b'S', b"");
        self.send()
    }

    fn send(&mut self) -> Messages {
        let bytes = std::mem::take(&mut self.pending);
        self.stream.write_all(&bytes).unwrap();
        self.read_until_ready()
    }

    fn read_until_ready(&mut self) -> Messages {
        let mut messages = Vec::new();
        loop {
            let mut head = [0u8; 5];
            self.stream.read_exact(&mut head).unwrap();
            let len = u32::from_be_bytes(head[1..5].try_into().unwrap()) as usize - 4;
            let mut body = vec![0; len];
            self.stream.read_exact(&mut body).unwrap();
            messages.push((head[0], body));
            if head[0] == b'Z' {
                return messages;
            }
        }
    }
}

fn tags(messages: &Messages) -> String {
    messages.iter().map(|(t, _)| *t as char).collect()
}

/// Column count of a RowDescription ('T') or DataRow ('D').
fn width(body: &[u8]) -> i16 {
    i16::from_be_bytes([body[0], body[1]])
}

fn int_column(name: &str) -> Column {
    Column::new(name, Some(&types::INT4))
}

fn rows(n: usize) -> Script {
    Script::Rows(vec![int_column("a")], (0..n).map(|i| vec![Some(i.to_string())]).collect())
}

#[test]
fn a_repeated_simple_select_is_one_backend_call() {
    let backend = MemoryBackend::default();
    backend.script(&backend_sql("SELECT a FROM t"), rows(3));
    let mut server = start(&backend);
    let mut client = Client::connect(&server);
    assert_eq!(tags(&client.query("SELECT a FROM t")), "TDDDCZ");
    backend.take_log();
    assert_eq!(tags(&client.query("SELECT a FROM t")), "TDDDCZ");
    assert_eq!(backend.take_log(), vec![format!("run {}", backend_sql("SELECT a FROM t"))]);
    server.stop();
}

#[test]
fn a_prepared_read_is_described_once_and_runs_without_a_transaction() {
    let backend = MemoryBackend::default();
    let sql = backend_sql("SELECT a FROM t");
    backend.script(&sql, rows(2));
    let mut server = start(&backend);
    let mut client = Client::connect(&server);
    for round in 0..3 {
        let reply = client.parse("", "SELECT a FROM t").bind("", "").describe_portal("").execute("", 0).sync();
        assert_eq!(tags(&reply), "12TDDCZ");
        let run = format!("run {sql}");
        let expected = if round == 0 { vec![format!("describe {sql}"), run] } else { vec![run] };
        assert_eq!(backend.take_log(), expected, "round {round}: no begin/commit, no describe after the first Parse");
    }
    server.stop();
}

#[test]
fn a_second_execute_before_sync_opens_the_implicit_transaction() {
    let backend = MemoryBackend::default();
    let read = backend_sql("SELECT a FROM t");
    let write = backend_sql("UPDATE t SET a = 1");
    backend.script(&read, rows(1));
    backend.script(&write, Script::Command(4));
    let mut server = start(&backend);
    let mut client = Client::connect(&server);
    client.parse("r", "SELECT a FROM t").parse("w", "UPDATE t SET a = 1").sync();
    client.bind("", "r").execute("", 0).bind("", "w").execute("", 0);
    backend.take_log();
    let reply = client.sync();
    assert_eq!(tags(&reply), "2DC2CZ");
    assert_eq!(
        backend.take_log(),
        vec![format!("run {read}"), "begin".into(), format!("run {write}"), "commit".into()]
    );
    server.stop();
}

#[test]
fn a_write_autocommits_only_when_sync_follows() {
    let backend = MemoryBackend::default();
    let write = backend_sql("UPDATE t SET a = 1");
    backend.script(&write, Script::Command(4));
    let mut server = start(&backend);
    let mut client = Client::connect(&server);
    client.parse("w", "UPDATE t SET a = 1").sync();
    backend.take_log();
    client.bind("", "w").execute("", 0).sync();
    assert_eq!(backend.take_log(), vec![format!("run {write}")]);
    // With a Flush first, more may follow before Sync: the write runs in a transaction.
    client.bind("", "w").execute("", 0).push(b'H', b"");
    client.stream.write_all(&std::mem::take(&mut client.pending)).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    client.sync();
    assert_eq!(backend.take_log(), vec!["begin".to_string(), format!("run {write}"), "commit".into()]);
    server.stop();
}

#[test]
fn a_suspended_portal_is_closed_on_the_backend_at_sync() {
    let backend = MemoryBackend::default();
    backend.script(&backend_sql("SELECT a FROM t"), rows(5));
    let mut server = start(&backend);
    let mut client = Client::connect(&server);
    let reply = client.parse("", "SELECT a FROM t").bind("", "").execute("", 2).sync();
    assert_eq!(tags(&reply), "12DDsZ");
    assert!(backend.take_log().contains(&"close cursor".to_string()));
    server.stop();
}

#[test]
fn show_all_is_described_and_executed_alike() {
    let backend = MemoryBackend::default();
    let mut server = start(&backend);
    let mut client = Client::connect(&server);
    let reply = client.parse("", "SHOW ALL").bind("", "").describe_portal("").execute("", 0).sync();
    let described = reply.iter().find(|(t, _)| *t == b'T').map(|(_, b)| width(b)).unwrap();
    let row = reply.iter().find(|(t, _)| *t == b'D').map(|(_, b)| width(b)).unwrap();
    assert_eq!((described, row), (3, 3));
    server.stop();
}

#[test]
fn ddl_makes_prepared_statements_describe_again() {
    let backend = MemoryBackend::default();
    let sql = backend_sql("SELECT a FROM t");
    backend.script(&sql, rows(1));
    backend.script(&backend_sql("CREATE TABLE u (a int)"), Script::Command(0));
    let mut server = start(&backend);
    let mut client = Client::connect(&server);
    client.parse("", "SELECT a FROM t").sync();
    client.parse("", "SELECT a FROM t").sync();
    assert_eq!(backend.take_log().iter().filter(|c| c.starts_with("describe")).count(), 1);
    client.query("CREATE TABLE u (a int)");
    client.parse("", "SELECT a FROM t").sync();
    assert_eq!(backend.take_log().iter().filter(|c| c.starts_with("describe")).count(), 1);
    server.stop();
}

#[test]
fn an_error_mid_batch_rolls_back_and_skips_to_sync() {
    let backend = MemoryBackend::default();
    let write = backend_sql("UPDATE t SET a = 1");
    let bad = backend_sql("UPDATE t SET a = 2");
    backend.script(&write, Script::Command(1));
    backend.script(&bad, Script::Error(crate::error::PgError::new("23505", "duplicate key")));
    let mut server = start(&backend);
    let mut client = Client::connect(&server);
    client.parse("w", "UPDATE t SET a = 1").parse("x", "UPDATE t SET a = 2").sync();
    backend.take_log();
    let reply = client.bind("", "w").execute("", 0).bind("", "x").execute("", 0).bind("", "w").execute("", 0).sync();
    assert_eq!(tags(&reply), "2C2EZ", "messages after the error are skipped until Sync");
    assert_eq!(
        backend.take_log(),
        vec!["begin".to_string(), format!("run {write}"), format!("run {bad}"), "rollback".into()]
    );
    server.stop();
}

#[test]
fn a_pipelined_batch_is_answered_at_sync_not_per_statement() {
    let backend = MemoryBackend::default();
    let write = backend_sql("UPDATE t SET a = 1");
    backend.script(&write, Script::Command(1));
    let mut server = start(&backend);
    let mut client = Client::connect(&server);
    client.parse("w", "UPDATE t SET a = 1").sync();
    const N: usize = 50;
    for _ in 0..N {
        client.bind("", "w").execute("", 0);
    }
    client.stream.write_all(&std::mem::take(&mut client.pending)).unwrap();
    // Every statement has run (or is running): the answers wait in the output buffer.
    client.stream.set_read_timeout(Some(std::time::Duration::from_millis(300))).unwrap();
    let mut byte = [0u8; 1];
    let early = client.stream.peek(&mut byte);
    assert!(early.is_err(), "the server wrote before Sync: {early:?}");
    client.stream.set_read_timeout(None).unwrap();
    let reply = client.sync();
    assert_eq!(tags(&reply), format!("{}Z", "2C".repeat(N)));
    let log = backend.take_log();
    assert_eq!(log.iter().filter(|c| **c == format!("run {write}")).count(), N);
    assert_eq!((log.first().map(String::as_str), log.last().map(String::as_str)), (Some("begin"), Some("commit")));
    server.stop();
}

#[test]
fn a_cursor_fetches_from_the_open_result_in_steps() {
    let backend = MemoryBackend::default();
    let sql = backend_sql("SELECT a FROM t");
    backend.script(&sql, rows(5));
    let mut server = start(&backend);
    let mut client = Client::connect(&server);
    client.query("BEGIN");
    assert_eq!(tags(&client.query("DECLARE c CURSOR FOR SELECT a FROM t")), "CZ");
    let log = backend.take_log();
    assert!(log.contains(&format!("run {sql}")) && !log.iter().any(|c| c.starts_with("fetch")), "{log:?}");
    assert_eq!(tags(&client.query("FETCH 2 FROM c")), "TDDCZ");
    assert_eq!(backend.take_log(), vec!["fetch 2".to_string()], "the statement is not run again");
    assert_eq!(tags(&client.query("FETCH ALL FROM c")), "TDDDCZ");
    assert_eq!(tags(&client.query("COMMIT")), "CZ");
    let reply = client.query("FETCH 1 FROM c");
    assert_eq!(tags(&reply), "EZ", "the cursor closed with its transaction");
    server.stop();
}

#[test]
fn cursors_close_before_commit_unless_held() {
    let backend = MemoryBackend::default();
    backend.script(&backend_sql("SELECT a FROM t"), rows(3));
    let mut server = start(&backend);
    let mut client = Client::connect(&server);
    client.query("BEGIN");
    client.query("DECLARE c CURSOR FOR SELECT a FROM t");
    client.query("DECLARE h CURSOR WITH HOLD FOR SELECT a FROM t");
    backend.take_log();
    client.query("COMMIT");
    assert_eq!(backend.take_log(), vec!["close cursor".to_string(), "commit".into()], "only c closes");
    assert_eq!(tags(&client.query("FETCH ALL FROM h")), "TDDDCZ", "h reads on after COMMIT");
    assert_eq!(tags(&client.query("FETCH ALL FROM c")), "EZ");
    server.stop();
}
