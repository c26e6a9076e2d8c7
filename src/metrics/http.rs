//! `--metrics-port`: a small HTTP/1.1 listener with two pages. `/metrics` is the
//! Prometheus exposition (mod.rs); `/healthz` answers 200 when a backend connection
//! runs `SELECT 1`, 503 otherwise (load balancers, the IRIS Service class's Status).
//! One request per connection; anything else is 404 / 405.

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::server::ServerCtx;

/// How long /healthz waits for a backend connection and its SELECT 1.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(5);
/// A request line and headers larger than this are refused.
const MAX_REQUEST: usize = 8192;

pub async fn serve(listener: TcpListener, ctx: Arc<ServerCtx>) {
    let mut shutdown = ctx.shutdown_signal();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(answer(stream, ctx.clone()));
                }
                Err(e) => {
                    log::warn!("metrics listener: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = shutdown.changed() => return,
        }
    }
}

async fn answer(mut stream: TcpStream, ctx: Arc<ServerCtx>) {
    let mut buf = Vec::with_capacity(512);
    let request = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if buf.windows(4).any(|w| w == b"\r\n\r\n") || buf.len() > MAX_REQUEST {
                return true;
            }
            match stream.read_buf(&mut buf).await {
                Ok(0) | Err(_) => return false,
                Ok(_) => {}
            }
        }
    })
    .await;
    if !matches!(request, Ok(true)) {
        return;
    }
    let line = buf.split(|&b| b == b'\r').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut parts = line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    let (status, content_type, body) = match (method, path) {
        ("GET" | "HEAD", "/metrics") => {
            ("200 OK", prometheus_client::encoding::prometheus_text::CONTENT_TYPE, ctx.metrics_text())
        }
        ("GET" | "HEAD", "/healthz") => match health(&ctx).await {
            Ok(()) => ("200 OK", "text/plain; charset=utf-8", "ok\n".to_string()),
            Err(e) => ("503 Service Unavailable", "text/plain; charset=utf-8", format!("{e}\n")),
        },
        (_, "/metrics" | "/healthz") => ("405 Method Not Allowed", "text/plain", "GET only\n".into()),
        _ => ("404 Not Found", "text/plain", "see /metrics and /healthz\n".into()),
    };
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    if method != "HEAD" {
        out.push_str(&body);
    }
    let _ = stream.write_all(out.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// A backend connection from the pool runs SELECT 1.
async fn health(ctx: &ServerCtx) -> Result<(), String> {
    let check = async {
        let lease = ctx.pool.acquire().await.map_err(|e| e.message)?;
        let conn = lease.conn();
        tokio::task::spawn_blocking(move || {
            let mut out = BytesMut::new();
            let ran = conn.run("SELECT 1", &[], None, &mut out).map_err(|e| e.message)?;
            if let Some(cursor) = ran.cursor {
                cursor.close();
            }
            drop(lease);
            Ok(())
        })
        .await
        .map_err(|e| e.to_string())?
    };
    match tokio::time::timeout(HEALTH_TIMEOUT, check).await {
        Ok(result) => result,
        Err(_) => Err(format!("no backend connection answered within {HEALTH_TIMEOUT:?}")),
    }
}
