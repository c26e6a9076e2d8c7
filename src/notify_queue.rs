//! NOTIFY from code inside IRIS: the gateway takes the notifications that IRIS code queued
//! (`iris_pgwire.notify()` / `##class(IrisPGWire.Notify).Send()`, python/iris_pgwire/iris_notify.py)
//! and publishes them on the hub, as if a session had sent them.
//!
//! The queue is a table the IRIS side writes in its own transaction, so a notification
//! leaves IRIS only if that transaction commits (PostgreSQL's NOTIFY semantics), and the
//! same code serves a gateway inside IRIS (embedded) and beside it (dbapi). Why a polled
//! table rather than IRIS connecting to the gateway as a client: see docs/iris.md.

use std::sync::Arc;
use std::time::Duration;

use crate::backend::Connection;
use crate::error::sqlstate;
use crate::notify::Notification;
use crate::server::ServerCtx;

/// Notifications taken per backend call; a full batch is followed by another at once.
const BATCH: usize = 500;

/// Poll every `every` until shutdown. Runs only for backends with a queue (the IRIS ones),
/// on a backend connection of its own (outside the pool: sessions never wait for it).
pub async fn poll(ctx: Arc<ServerCtx>, every: Duration) {
    let mut shutdown = ctx.shutdown_signal();
    let backend = ctx.pool.backend();
    let mut conn: Option<Box<dyn Connection>> = None;
    let mut failing = false;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => break,
        }
        loop {
            let taken = tokio::task::block_in_place(|| {
                let c = match conn.take() {
                    Some(c) => c,
                    None => backend.connect_aside()?,
                };
                let taken = c.take_notifications(BATCH);
                match &taken {
                    Err(e) if e.code == sqlstate::CONNECTION_FAILURE => c.close(),
                    _ => conn = Some(c),
                }
                taken
            });
            let taken = match taken {
                Ok(taken) => taken,
                Err(e) => {
                    // Logged once per run of failures: a stopped IRIS must not flood the log.
                    if !failing {
                        log::warn!("taking notifications from IRIS failed (retrying every {every:?}): {e}");
                    }
                    failing = true;
                    break;
                }
            };
            if failing {
                log::info!("taking notifications from IRIS works again");
                failing = false;
            }
            let full = taken.len() == BATCH;
            let taken: Vec<Arc<Notification>> = taken
                .into_iter()
                .filter(|(_, channel, payload)| crate::notify::check(channel, payload).is_ok())
                .map(|(pid, channel, payload)| Arc::new(Notification { pid, channel, payload }))
                .collect();
            ctx.notify.publish(&taken);
            if !full {
                break;
            }
        }
    }
    if let Some(c) = conn {
        tokio::task::block_in_place(|| c.close());
    }
}
