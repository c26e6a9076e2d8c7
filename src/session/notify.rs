//! LISTEN / UNLISTEN / NOTIFY / pg_notify() in a session: what a statement queues for
//! commit, and when notifications reach the client (src/notify.rs has the hub).

use super::{Done, Session, Tx};
use crate::error::PgResult;
use crate::notify::ListenOp;
use crate::protocol::backend as be;
use crate::translate::{Action, FnArg};
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

    fn fn_arg(&self, arg: &FnArg, params: &[Param]) -> Option<String> {
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
