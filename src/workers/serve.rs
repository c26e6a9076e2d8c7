//! The job worker's loop: one backend connection, requests in, encoded rows out.
//!
//! `python -m iris_pgwire.worker` builds the configured Python backend in its own
//! process (for embedded: its own IRIS job) and hands it here. Each request runs on
//! the backend's connection exactly as in the gateway (`python/backend.rs`), rows are
//! encoded into DataRow bytes here, and the reply carries those bytes back: the
//! gateway copies them to the client without looking inside.

use std::collections::HashMap;
use std::io::{BufReader, BufWriter, Write};
use std::os::unix::net::UnixStream;

use bytes::BytesMut;

use super::codec::{read_frame, rep, req, Body, Frame};
use crate::backend::{Backend, Connection, Cursor, FirstBatch, RowPlan};
use crate::error::{PgError, PgResult};

/// Serve the gateway on `stream` until it closes it (or asks the worker to stop).
pub fn serve(backend: &dyn Backend, stream: UnixStream) -> std::io::Result<()> {
    let mut reader = BufReader::with_capacity(64 * 1024, stream.try_clone()?);
    let mut writer = BufWriter::with_capacity(64 * 1024, stream);
    let conn = match backend.connect() {
        Ok(conn) => conn,
        Err(e) => {
            Frame::new(rep::ERROR).error(&e).send(&mut writer)?;
            return writer.flush();
        }
    };
    Frame::new(rep::HELLO).u32(std::process::id()).send(&mut writer)?;
    writer.flush()?;
    let mut worker = Worker { conn, cursors: HashMap::new(), next_cursor: 1, out: BytesMut::new() };
    let mut body = Vec::new();
    while let Some(tag) = read_frame(&mut reader, &mut body)? {
        if tag == req::STOP {
            break;
        }
        let mut reply = match worker.handle(tag, &mut Body::new(&body)) {
            Ok(reply) => reply,
            Err(e) => {
                let mut f = Frame::new(rep::ERROR);
                f.error(&e);
                f
            }
        };
        reply.send(&mut writer)?;
        writer.flush()?;
    }
    worker.close();
    Ok(())
}

struct Worker {
    conn: Box<dyn Connection>,
    cursors: HashMap<u32, Box<dyn Cursor>>,
    next_cursor: u32,
    /// Rows are encoded here, then copied into the reply frame.
    out: BytesMut,
}

impl Worker {
    fn handle(&mut self, tag: u8, b: &mut Body<'_>) -> PgResult<Frame> {
        self.out.clear();
        match tag {
            req::DESCRIBE => {
                let cols = self.conn.describe(b.str()?)?;
                let mut f = Frame::new(rep::DESCRIBED);
                f.columns(cols.as_deref());
                Ok(f)
            }
            req::RUN => self.run(b),
            req::FETCH => {
                let id = b.u32()?;
                let n = b.u32()? as usize;
                let plan = b.plan()?;
                let cursor = self.cursors.get(&id).ok_or_else(|| PgError::internal("worker: no such cursor"))?;
                let fetched = cursor.fetch(n, &plan, &mut self.out)?;
                if fetched.done {
                    self.cursors.remove(&id);
                }
                let mut f = Frame::new(rep::FETCHED);
                f.fetched(fetched).tail(&self.out);
                Ok(f)
            }
            req::CLOSE_CURSOR => {
                if let Some(c) = self.cursors.remove(&b.u32()?) {
                    c.close();
                }
                Ok(Frame::new(rep::OK))
            }
            req::RESET => {
                // The pool hands the job to another session: nothing of the last one stays.
                for (_, c) in self.cursors.drain() {
                    c.close();
                }
                self.conn.reset().map(|_| Frame::new(rep::OK))
            }
            req::BEGIN => self.conn.begin().map(|_| Frame::new(rep::OK)),
            req::COMMIT => self.conn.commit().map(|_| Frame::new(rep::OK)),
            req::ROLLBACK => self.conn.rollback().map(|_| Frame::new(rep::OK)),
            req::STATEMENT_TIMEOUT => self.conn.set_statement_timeout(b.i64()?).map(|_| Frame::new(rep::OK)),
            req::LOCK_TIMEOUT => self.conn.set_lock_timeout(b.i64()?).map(|_| Frame::new(rep::OK)),
            req::INSERT => {
                let (plan, batch) = b.insert_plan()?;
                let n = self.conn.insert_batch(&plan, &batch)?;
                let mut f = Frame::new(rep::COUNT);
                f.i64(n as i64);
                Ok(f)
            }
            other => Err(PgError::internal(format!("worker: unknown request {:?}", other as char))),
        }
    }

    fn run(&mut self, b: &mut Body<'_>) -> PgResult<Frame> {
        let sql = b.str()?;
        let params = b.params()?;
        let first = match b.u8()? {
            0 => None,
            _ => {
                let expect = b.columns()?.unwrap_or_default();
                let plan: RowPlan = b.plan()?;
                let rows = b.u32()? as usize;
                let typed = b.u8()? != 0;
                Some((expect, plan, rows, typed))
            }
        };
        let first =
            first.as_ref().map(|(expect, plan, rows, typed)| FirstBatch { expect, plan, rows: *rows, typed: *typed });
        let ran = self.conn.run(sql, &params, first.as_ref(), &mut self.out)?;
        let cursor_id = ran.cursor.map(|c| {
            let id = self.next_cursor;
            self.next_cursor = self.next_cursor.wrapping_add(1).max(1);
            self.cursors.insert(id, c);
            id
        });
        let mut f = Frame::new(rep::RAN);
        f.columns(ran.columns.as_deref()).i64(ran.rowcount);
        match ran.fetched {
            None => f.u8(0),
            Some(fetched) => f.u8(1).fetched(fetched),
        };
        f.u32(cursor_id.unwrap_or(0)).tail(&self.out);
        Ok(f)
    }

    fn close(self) {
        for (_, c) in self.cursors {
            c.close();
        }
        self.conn.close();
    }
}
