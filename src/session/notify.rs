//! LISTEN / UNLISTEN / NOTIFY / pg_notify() in a session: what a statement queues for
//! commit, and when notifications reach the client (src/notify.rs has the hub).

use std::sync::Arc;

use bytes::{Buf, BytesMut};

use super::{bind_target, Captured, Done, Session, Tx};
use crate::backend::RowPlan;
use crate::error::{PgError, PgResult};
use crate::notify::ListenOp;
use crate::protocol::backend as be;
use crate::translate::{Action, FnArg, TargetSql};
use crate::types::{self, Format, Param};

impl Session {
    /// LISTEN, UNLISTEN or NOTIFY: queued until the transaction commits.
    pub(super) fn notify_statement(&mut self, action: &Action) -> PgResult<Done> {
        let tag = match action {
            Action::Listen(c) => {
                self.notify.listen(ListenOp::Listen(c.clone()));
                "LISTEN"
            }
            Action::Unlisten(c) => {
                self.notify.listen(c.clone().map_or(ListenOp::UnlistenAll, ListenOp::Unlisten));
                "UNLISTEN"
            }
            Action::Notify { channel, payload } => {
                self.notify.notify(self.pid, channel, payload)?;
                "NOTIFY"
            }
            _ => unreachable!("not a notification statement"),
        };
        Ok(Done { tag: tag.into() })
    }

    /// `pg_notify(channel, payload)`: a NULL channel is an empty one, a NULL payload empty.
    pub(super) fn pg_notify(&mut self, channel: &FnArg, payload: &FnArg, params: &[Param]) -> PgResult<()> {
        let channel = self.fn_arg(channel, params).unwrap_or_default();
        let payload = self.fn_arg(payload, params).unwrap_or_default();
        self.notify.notify(self.pid, &channel, &payload)
    }

    /// A session function's argument as text (None: NULL).
    pub(super) fn fn_arg(&self, arg: &FnArg, params: &[Param]) -> Option<String> {
        match arg {
            FnArg::Text(t) => t.clone(),
            FnArg::Param(i) => match params.get(*i)? {
                Param::Null => None,
                Param::Text(s) => Some(s.clone()),
                p => {
                    let mut buf = bytes::BytesMut::new();
                    let ctx = self.settings.type_ctx();
                    types::encode(&p.as_value(), &types::TEXT, Format::Text, ctx, &mut buf).ok()?;
                    String::from_utf8(buf.to_vec()).ok()
                }
            },
        }
    }

    /// `SELECT pg_notify(a, b) FROM ..`: the backend gives (a, b) per row, as text; each row
    /// is a NOTIFY, and the client gets one void row per row, as from PostgreSQL.
    pub(super) async fn notify_rows(
        &mut self,
        name: &str,
        rows: &[TargetSql],
        params: &[Param],
        result_formats: &[i16],
        describe_rows: bool,
    ) -> PgResult<Done> {
        let target = rows.last().ok_or_else(|| PgError::internal("pg_notify over rows: no statement"))?;
        let (sql, bound) = bind_target(target, params, &Captured::default())?;
        let plan = Arc::new(RowPlan {
            types: vec![&types::TEXT; 2],
            typmods: vec![-1; 2],
            formats: vec![Format::Text; 2],
            ctx: self.settings.type_ctx().clone(),
        });
        let batch = self.ctx.config.fetch_batch_rows.max(1);
        let mut scratch = BytesMut::new();
        let ran = self.with_backend(move |b, _| b.run(&sql, &bound, None, &mut BytesMut::new())).await?;
        let mut count = 0usize;
        if let Some(cursor) = ran.cursor {
            let cursor: Arc<dyn crate::backend::Cursor> = Arc::from(cursor);
            loop {
                let (c, p) = (cursor.clone(), plan.clone());
                let fetched =
                    self.with_backend(move |_, _| c.fetch(batch, &p, &mut scratch).map(|f| (f, scratch))).await;
                let (fetched, filled) = match fetched {
                    Ok(ok) => ok,
                    Err(e) => {
                        super::close_cursor(cursor).await;
                        return Err(e);
                    }
                };
                scratch = filled;
                for (channel, payload) in text_pairs(&mut scratch)? {
                    self.notify.notify(self.pid, channel.as_deref().unwrap_or(""), payload.as_deref().unwrap_or(""))?;
                    count += 1;
                }
                if fetched.done {
                    break;
                }
            }
        }
        let void = vec![Some(String::new())];
        self.send_text_rows(&[(name.to_owned(), &types::VOID)], &vec![void; count], result_formats, describe_rows)?;
        Ok(Done { tag: format!("SELECT {count}") })
    }

    /// Before ReadyForQuery: outside a transaction block, what the statements since the
    /// last one queued takes effect (their implicit transaction committed), and the
    /// notifications waiting for this session go out before the ReadyForQuery.
    pub(super) fn notifications_before_ready(&mut self) {
        if self.tx != Tx::Idle {
            return;
        }
        if !self.notify.is_empty() {
            match self.notify.pre_commit(&self.ctx.notify) {
                Ok(()) => self.notify.commit(&self.ctx.notify),
                Err(e) => {
                    self.notify.rollback();
                    self.send_error(&e);
                }
            }
        }
        self.send_notifications();
    }

    /// Write every notification waiting in the inbox.
    pub(super) fn send_notifications(&mut self) {
        let Some(inbox) = self.notify.inbox() else { return };
        for n in inbox.drain() {
            be::notification_response(&mut self.conn.out, n.pid, &n.channel, &n.payload);
        }
    }
}

/// The two text columns of each DataRow in `buf` (emptied), None for NULL.
fn text_pairs(buf: &mut BytesMut) -> PgResult<Vec<(Option<String>, Option<String>)>> {
    let bad = || PgError::internal("pg_notify over rows: malformed row");
    let mut out = Vec::new();
    while buf.has_remaining() {
        if buf.remaining() < 7 || buf.get_u8() != b'D' {
            return Err(bad());
        }
        let _len = buf.get_i32();
        let columns = buf.get_i16();
        let mut values = Vec::with_capacity(2);
        for _ in 0..columns {
            let n = buf.get_i32();
            values.push(if n < 0 {
                None
            } else {
                let n = n as usize;
                if buf.remaining() < n {
                    return Err(bad());
                }
                Some(String::from_utf8_lossy(&buf.split_to(n)).into_owned())
            });
        }
        let [a, b]: [Option<String>; 2] = values.try_into().map_err(|_| bad())?;
        out.push((a, b));
    }
    Ok(out)
}
