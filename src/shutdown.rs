//! Graceful shutdown (SIGTERM / SIGINT, `Server::stop`): the listener closes at once and
//! sessions waiting for their client end with FATAL 57P01 (their open transactions rolled
//! back). Statements still running may finish within `--shutdown-timeout`; then they are
//! interrupted like a CancelRequest would, and their sessions end the same way.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::cancel::Reason;
use crate::server::ServerCtx;

/// How long interrupted statements get to stop and their sessions to roll back.
const AFTER_CANCEL: Duration = Duration::from_secs(5);
const POLL: Duration = Duration::from_millis(20);

/// Wait for the sessions to end, interrupting what still runs after `timeout`.
pub async fn drain(ctx: Arc<ServerCtx>, timeout: Duration) {
    if wait_for_sessions(&ctx, timeout).await {
        return;
    }
    let running = ctx.live_sessions();
    log::info!("shutdown: {} session(s) still busy after {timeout:?}, cancelling their statements", running.len());
    for slot in running {
        // Not awaited: an interrupt repeats while the call runs, each on its own thread.
        tokio::task::spawn_blocking(move || slot.interrupt(Reason::Shutdown));
    }
    if !wait_for_sessions(&ctx, AFTER_CANCEL).await {
        log::warn!("shutdown: {} session(s) did not end; dropping them", ctx.live_sessions().len());
    }
}

/// True once no session is left, false if `within` passed first.
async fn wait_for_sessions(ctx: &ServerCtx, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if ctx.live_sessions().is_empty() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(POLL).await;
    }
}
