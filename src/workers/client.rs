//! The gateway's side: a [`Backend`] whose connections are job worker processes.
//!
//! `connect()` starts a worker (`python -m iris_pgwire.worker`, the gateway's own
//! interpreter and environment) with one end of a socket pair as its fd 3; each
//! `Connection` call is one request frame and one reply. The pool hands these
//! connections to sessions as it hands out any other, so a transaction pins its worker
//! and autocommit statements take any free one.
//!
//! A worker that dies fails the call in progress with 08006 (the session's lease is then
//! dropped as broken, and the next checkout starts a fresh worker). Workers are started
//! from one long-lived thread that asks the kernel to SIGTERM them when it ends
//! (PR_SET_PDEATHSIG belongs to the forking *thread*), so no worker outlives the gateway.

use std::collections::BTreeMap;
use std::io::{BufReader, BufWriter, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{Buf, BytesMut};

use super::codec::{read_frame, rep, req, Body, Frame};
use crate::backend::{Backend, Column, Connection, Cursor, Fetched, FirstBatch, InsertPlan, Ran, RowPlan};
use crate::copy::{RowBatch, RowWriter};
use crate::error::{sqlstate, PgError, PgResult};
use crate::protocol::backend::{begin_copy_data, finish_copy_data};
use crate::types::{Format, Param};

/// The fd a worker finds its socket on.
pub const WORKER_FD: i32 = 3;
/// How long a new worker may take to import its backend and report ready.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a stopping worker may take to roll back and exit before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(3);

/// How to start a worker.
#[derive(Debug, Clone)]
pub struct WorkerCommand {
    pub program: String,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
}

/// One live worker as `jobs()` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct JobInfo {
    pub pid: u32,
    pub busy: bool,
    pub started: Instant,
}

/// The live workers and their children (for reaping and for stopping them all).
#[derive(Default)]
pub struct Registry {
    jobs: Mutex<BTreeMap<u32, Arc<Link>>>,
}

impl Registry {
    pub fn jobs(&self) -> Vec<JobInfo> {
        self.jobs
            .lock()
            .unwrap()
            .values()
            .filter(|l| !l.dead.load(Ordering::Relaxed))
            .map(|l| JobInfo { pid: l.pid, busy: l.busy(), started: l.started })
            .collect()
    }

    /// Stop every worker (gateway shutdown): each rolls back and exits, or is killed.
    pub fn stop_all(&self) {
        let links: Vec<Arc<Link>> = std::mem::take(&mut *self.jobs.lock().unwrap()).into_values().collect();
        for link in &links {
            link.signal(libc::SIGTERM);
        }
        for link in links {
            link.reap(STOP_GRACE);
        }
    }
}

type SpawnReply = mpsc::Sender<std::io::Result<(Child, UnixStream)>>;

/// Workers start from this thread: PR_SET_PDEATHSIG fires when it ends.
struct Spawner {
    tx: Mutex<mpsc::Sender<SpawnReply>>,
}

impl Spawner {
    fn start(command: WorkerCommand) -> Spawner {
        let (tx, rx) = mpsc::channel::<SpawnReply>();
        std::thread::Builder::new()
            .name("iris-pgwire-jobs".into())
            .spawn(move || {
                for reply in rx {
                    let _ = reply.send(spawn(&command));
                }
            })
            .expect("cannot start the job spawner thread");
        Spawner { tx: Mutex::new(tx) }
    }

    fn spawn(&self) -> std::io::Result<(Child, UnixStream)> {
        let (tx, rx) = mpsc::channel();
        self.tx.lock().unwrap().send(tx).map_err(|_| std::io::Error::other("the job spawner has stopped"))?;
        rx.recv().map_err(|_| std::io::Error::other("the job spawner has stopped"))?
    }
}

fn spawn(command: &WorkerCommand) -> std::io::Result<(Child, UnixStream)> {
    let (ours, theirs) = UnixStream::pair()?;
    let fd = theirs.as_raw_fd();
    let parent = std::process::id() as libc::pid_t;
    let mut cmd = Command::new(&command.program);
    cmd.args(&command.args).envs(command.env.iter().cloned()).stdin(Stdio::null());
    // Between fork and exec: only async-signal-safe calls.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM as libc::c_ulong, 0, 0, 0) != 0
                || libc::getppid() != parent
            {
                return Err(std::io::Error::last_os_error());
            }
            if fd == WORKER_FD {
                let flags = libc::fcntl(fd, libc::F_GETFD);
                libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC);
            } else if libc::dup2(fd, WORKER_FD) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd.spawn()?;
    drop(theirs);
    Ok((child, ours))
}

/// A backend running every connection on a worker process of its own.
pub struct WorkerBackend {
    /// The backend in this process: catalog snapshots and cancelling jobs.
    local: Arc<dyn Backend>,
    spawner: Spawner,
    registry: Arc<Registry>,
}

impl WorkerBackend {
    pub fn new(local: Arc<dyn Backend>, command: WorkerCommand) -> WorkerBackend {
        WorkerBackend { local, spawner: Spawner::start(command), registry: Arc::new(Registry::default()) }
    }

    pub fn registry(&self) -> Arc<Registry> {
        self.registry.clone()
    }
}

impl Drop for WorkerBackend {
    fn drop(&mut self) {
        self.registry.stop_all();
    }
}

impl Backend for WorkerBackend {
    fn connect(&self) -> PgResult<Box<dyn Connection>> {
        let failed = |what: String| PgError::new(sqlstate::CONNECTION_FAILURE, what);
        let (child, stream) =
            self.spawner.spawn().map_err(|e| failed(format!("cannot start an IRIS job worker: {e}")))?;
        let pid = child.id();
        let link = Arc::new(Link::new(pid, child, stream).map_err(|e| failed(format!("IRIS job worker: {e}")))?);
        // The worker opens its backend connection, then says hello (or why it could not).
        let hello = {
            let mut io = link.io.lock().unwrap();
            let io = &mut *io;
            let _ = io.stream.set_read_timeout(Some(START_TIMEOUT));
            let tag = read_frame(&mut io.reader, &mut io.body);
            let _ = io.stream.set_read_timeout(None);
            match tag {
                Ok(Some(rep::HELLO)) => Ok(()),
                Ok(Some(rep::ERROR)) => Err(Body::new(&io.body).error()?),
                Ok(_) => Err(failed(format!("IRIS job worker pid {pid} exited before it was ready"))),
                Err(e) => Err(failed(format!("IRIS job worker pid {pid} did not start: {e}"))),
            }
        };
        if let Err(e) = hello {
            link.signal(libc::SIGTERM);
            link.reap(STOP_GRACE);
            return Err(e);
        }
        let mut jobs = self.registry.jobs.lock().unwrap();
        jobs.insert(pid, link.clone());
        log::info!("started IRIS job worker pid {pid} ({} running)", jobs.len());
        drop(jobs);
        Ok(Box::new(WorkerConn { link, registry: self.registry.clone(), local: self.local.clone() }))
    }

    fn catalog_snapshot(&self) -> PgResult<crate::catalog::Snapshot> {
        self.local.catalog_snapshot()
    }

    fn notify_queue(&self) -> bool {
        self.local.notify_queue()
    }

    /// Notifications are taken in the gateway's own process (its own IRIS job).
    fn connect_aside(&self) -> PgResult<Box<dyn Connection>> {
        self.local.connect()
    }

    fn thread_started(&self) {
        self.local.thread_started()
    }

    fn thread_stopping(&self) {
        self.local.thread_stopping()
    }
}

struct Io {
    stream: UnixStream,
    reader: BufReader<UnixStream>,
    writer: BufWriter<UnixStream>,
    body: Vec<u8>,
}

/// One worker process and the socket to it.
struct Link {
    pid: u32,
    started: Instant,
    io: Mutex<Io>,
    child: Mutex<Option<Child>>,
    in_flight: AtomicBool,
    in_txn: AtomicBool,
    /// A cancel was sent for the call in flight: its error is the cancel's (57014).
    cancelled: AtomicBool,
    dead: AtomicBool,
}

impl Link {
    fn new(pid: u32, child: Child, stream: UnixStream) -> std::io::Result<Link> {
        let io = Io {
            reader: BufReader::with_capacity(64 * 1024, stream.try_clone()?),
            writer: BufWriter::with_capacity(16 * 1024, stream.try_clone()?),
            stream,
            body: Vec::new(),
        };
        Ok(Link {
            pid,
            started: Instant::now(),
            io: Mutex::new(io),
            child: Mutex::new(Some(child)),
            in_flight: AtomicBool::new(false),
            in_txn: AtomicBool::new(false),
            cancelled: AtomicBool::new(false),
            dead: AtomicBool::new(false),
        })
    }

    fn busy(&self) -> bool {
        self.in_flight.load(Ordering::Relaxed) || self.in_txn.load(Ordering::Relaxed)
    }

    /// Send `frame`, read the reply and hand its tag and body to `then`.
    fn call<R>(&self, frame: &mut Frame, then: impl FnOnce(u8, &mut Body<'_>) -> PgResult<R>) -> PgResult<R> {
        if self.dead.load(Ordering::Relaxed) {
            return Err(self.gone());
        }
        let mut io = self.io.lock().unwrap();
        let io = &mut *io;
        self.cancelled.store(false, Ordering::Relaxed);
        self.in_flight.store(true, Ordering::Relaxed);
        let sent = frame.send(&mut io.writer).and_then(|_| io.writer.flush());
        let tag = sent.and_then(|_| read_frame(&mut io.reader, &mut io.body));
        self.in_flight.store(false, Ordering::Relaxed);
        match tag {
            Ok(Some(rep::ERROR)) => {
                let e = Body::new(&io.body).error()?;
                if !self.cancelled.swap(false, Ordering::Relaxed) {
                    return Err(e);
                }
                // The worker cannot tell a cancelled statement's error from another one.
                let detail = e.detail.map_or(e.message.clone(), |d| format!("{}: {d}", e.message));
                Err(PgError::new(sqlstate::QUERY_CANCELED, "canceling statement due to user request")
                    .with_detail(detail))
            }
            Ok(Some(tag)) => then(tag, &mut Body::new(&io.body)),
            Ok(None) => Err(self.died("it closed its socket".into())),
            Err(e) => Err(self.died(e.to_string())),
        }
    }

    fn gone(&self) -> PgError {
        PgError::new(
            sqlstate::CONNECTION_FAILURE,
            format!("the IRIS job serving this session (worker pid {}) has ended", self.pid),
        )
        .with_detail("Its open transaction, if any, was rolled back; other sessions are unaffected.")
    }

    /// The worker went away in the middle of a call: say what happened, once.
    fn died(&self, why: String) -> PgError {
        if !self.dead.swap(true, Ordering::Relaxed) {
            let status = self.reap(Duration::from_millis(500));
            log::warn!(
                "IRIS job worker pid {} ended while serving a session ({}; {why}): that session's transaction \
                 is rolled back and it gets 08006; a new worker replaces it on the next checkout",
                self.pid,
                describe_exit(status)
            );
        }
        self.gone()
    }

    fn signal(&self, sig: libc::c_int) {
        if self.child.lock().unwrap().is_some() {
            unsafe { libc::kill(self.pid as libc::pid_t, sig) };
        }
    }

    /// Wait up to `grace` for the worker to exit, then kill it; returns its exit status.
    fn reap(&self, grace: Duration) -> Option<ExitStatus> {
        let mut child = self.child.lock().unwrap().take()?;
        let deadline = Instant::now() + grace;
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
                _ => {
                    let _ = child.kill();
                    return child.wait().ok();
                }
            }
        }
    }

    /// Orderly stop: ask the worker to close its connection (rolling back) and exit.
    fn stop(&self) {
        if !self.dead.swap(true, Ordering::Relaxed) {
            if let Ok(mut io) = self.io.try_lock() {
                let io = &mut *io;
                let _ = Frame::new(req::STOP).send(&mut io.writer).and_then(|_| io.writer.flush());
                let _ = io.stream.shutdown(std::net::Shutdown::Write);
            } else {
                self.signal(libc::SIGTERM);
            }
        }
        if let Some(status) = self.reap(STOP_GRACE) {
            log::debug!("IRIS job worker pid {} stopped ({})", self.pid, describe_exit(Some(status)));
        }
    }
}

fn describe_exit(status: Option<ExitStatus>) -> String {
    match status {
        None => "exit status unknown".into(),
        Some(s) => match (s.code(), s.signal()) {
            (Some(code), _) => format!("exit code {code}"),
            (_, Some(sig)) => format!("killed by signal {sig}"),
            _ => s.to_string(),
        },
    }
}

struct WorkerConn {
    link: Arc<Link>,
    registry: Arc<Registry>,
    local: Arc<dyn Backend>,
}

fn expect_ok(tag: u8, _: &mut Body<'_>) -> PgResult<()> {
    match tag {
        rep::OK => Ok(()),
        other => Err(unexpected(other)),
    }
}

fn unexpected(tag: u8) -> PgError {
    PgError::internal(format!("IRIS job worker: unexpected reply {:?}", tag as char))
}

impl WorkerConn {
    fn simple(&self, tag: u8) -> PgResult<()> {
        self.link.call(&mut Frame::new(tag), expect_ok)
    }
}

impl Connection for WorkerConn {
    fn describe(&self, sql: &str) -> PgResult<Option<Vec<Column>>> {
        let mut f = Frame::new(req::DESCRIBE);
        f.str(sql);
        self.link.call(&mut f, |tag, b| match tag {
            rep::DESCRIBED => b.columns(),
            other => Err(unexpected(other)),
        })
    }

    fn run(&self, sql: &str, params: &[Param], first: Option<&FirstBatch<'_>>, out: &mut BytesMut) -> PgResult<Ran> {
        let mut f = Frame::new(req::RUN);
        f.str(sql).u32(params.len() as u32);
        for p in params {
            f.param(p)?;
        }
        match first {
            None => f.u8(0),
            Some(first) => {
                f.u8(1).columns(Some(first.expect)).plan(first.plan).u32(first.rows as u32).u8(first.typed as u8)
            }
        };
        self.link.call(&mut f, |tag, b| {
            if tag != rep::RAN {
                return Err(unexpected(tag));
            }
            let columns = b.columns()?;
            let rowcount = b.i64()?;
            let fetched = if b.u8()? != 0 { Some(b.fetched()?) } else { None };
            let id = b.u32()?;
            out.extend_from_slice(b.tail());
            let cursor = (id != 0).then(|| Box::new(WorkerCursor { link: self.link.clone(), id }) as Box<dyn Cursor>);
            Ok(Ran { columns, rowcount, fetched, cursor })
        })
    }

    fn begin(&self) -> PgResult<()> {
        self.simple(req::BEGIN)?;
        self.link.in_txn.store(true, Ordering::Relaxed);
        Ok(())
    }

    fn commit(&self) -> PgResult<()> {
        self.link.in_txn.store(false, Ordering::Relaxed);
        self.simple(req::COMMIT)
    }

    fn rollback(&self) -> PgResult<()> {
        self.link.in_txn.store(false, Ordering::Relaxed);
        self.simple(req::ROLLBACK)
    }

    fn reset(&self) -> PgResult<()> {
        self.link.in_txn.store(false, Ordering::Relaxed);
        self.simple(req::RESET)
    }

    fn set_statement_timeout(&self, ms: i64) -> PgResult<()> {
        let mut f = Frame::new(req::STATEMENT_TIMEOUT);
        f.i64(ms);
        self.link.call(&mut f, expect_ok)
    }

    fn set_lock_timeout(&self, ms: i64) -> PgResult<()> {
        let mut f = Frame::new(req::LOCK_TIMEOUT);
        f.i64(ms);
        self.link.call(&mut f, expect_ok)
    }

    /// Stop the worker's statement from this process, by its job's process id
    /// (embedded: `$SYSTEM.SQL.CancelQuery(pid)`); nothing else is touched.
    fn cancel(&self) -> PgResult<()> {
        if !self.link.in_flight.load(Ordering::Relaxed) {
            return Ok(());
        }
        self.link.cancelled.store(true, Ordering::Relaxed);
        self.local.cancel_job(self.link.pid)
    }

    fn insert_batch(&self, plan: &InsertPlan, batch: &RowBatch) -> PgResult<u64> {
        let mut f = Frame::new(req::INSERT);
        f.insert_plan(plan, batch);
        self.link.call(&mut f, |tag, b| match tag {
            rep::COUNT => Ok(b.i64()?.max(0) as u64),
            other => Err(unexpected(other)),
        })
    }

    fn is_alive(&self) -> bool {
        !self.link.dead.load(Ordering::Relaxed)
            && self.link.child.lock().unwrap().as_mut().is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    fn close(&self) {
        self.registry.jobs.lock().unwrap().remove(&self.link.pid);
        self.link.stop();
    }
}

struct WorkerCursor {
    link: Arc<Link>,
    id: u32,
}

impl WorkerCursor {
    fn fetch_rows(&self, n: usize, plan: &RowPlan, out: &mut BytesMut) -> PgResult<Fetched> {
        let mut f = Frame::new(req::FETCH);
        f.u32(self.id).u32(n as u32).plan(plan);
        self.link.call(&mut f, |tag, b| {
            if tag != rep::FETCHED {
                return Err(unexpected(tag));
            }
            let fetched = b.fetched()?;
            out.extend_from_slice(b.tail());
            Ok(fetched)
        })
    }
}

impl Cursor for WorkerCursor {
    fn fetch(&self, n: usize, plan: &RowPlan, out: &mut BytesMut) -> PgResult<Fetched> {
        self.fetch_rows(n, plan, out)
    }

    /// COPY TO: the worker encodes DataRows in the COPY format's value encoding; here
    /// each row's values are re-framed as one CopyData message (escaped for text/CSV).
    fn fetch_copy(&self, n: usize, plan: &RowPlan, writer: &mut RowWriter, out: &mut BytesMut) -> PgResult<Fetched> {
        let format = if writer.binary() { Format::Binary } else { Format::Text };
        let rows_plan = RowPlan {
            types: plan.types.clone(),
            typmods: plan.typmods.clone(),
            formats: vec![format; plan.types.len()],
            ctx: plan.ctx.clone(),
        };
        let mut rows = BytesMut::new();
        let fetched = self.fetch_rows(n, &rows_plan, &mut rows)?;
        let mut rows = rows.freeze();
        while rows.has_remaining() {
            // DataRow: 'D', length, column count, then (length, bytes) per column.
            rows.advance(5);
            let ncols = rows.get_i16() as usize;
            let start = begin_copy_data(out);
            writer.begin_row(out);
            for col in 0..ncols {
                let len = rows.get_i32();
                if len < 0 {
                    writer.null(col, out);
                    continue;
                }
                let value = rows.split_to(len as usize);
                writer.value(col, out, |buf| {
                    buf.extend_from_slice(&value);
                    Ok(())
                })?;
            }
            writer.end_row(out);
            finish_copy_data(out, start);
        }
        Ok(fetched)
    }

    fn close(&self) {
        let mut f = Frame::new(req::CLOSE_CURSOR);
        f.u32(self.id);
        if let Err(e) = self.link.call(&mut f, expect_ok) {
            log::debug!("closing a cursor on IRIS job worker pid {}: {e}", self.link.pid);
        }
    }
}
