//! The socket side of a session: buffered reads of whole frames, buffered writes.

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::error::{sqlstate, PgError, PgResult, Severity};
use crate::protocol::backend as be;
use crate::protocol::frontend::{split_frame, split_startup};
use crate::tls::{Stream, TlsInfo};

/// Flush the output buffer once it holds this much, even mid-result.
pub(super) const FLUSH_THRESHOLD: usize = 64 * 1024;

/// The socket side of a session: buffered reads and writes of whole frames.
pub struct Conn {
    pub(super) stream: Stream,
    /// Set once the connection is encrypted.
    pub(super) tls: Option<TlsInfo>,
    pub(super) rbuf: BytesMut,
    pub out: BytesMut,
    pub(super) max_message: usize,
    /// Bytes read and written since the metrics last took them (`Session::account`).
    pub(super) received: u64,
    pub(super) sent: u64,
}

/// Why reading a message failed.
pub(super) enum ReadError {
    /// The socket failed or closed mid-message: nothing can be sent back.
    Io,
    /// The bytes were not a valid message: report and close.
    Protocol(PgError),
}

impl Conn {
    pub(super) fn new(stream: TcpStream, max_message: usize) -> Self {
        Conn {
            stream: Stream::Plain(stream),
            tls: None,
            rbuf: BytesMut::new(),
            out: BytesMut::new(),
            max_message,
            received: 0,
            sent: 0,
        }
    }

    /// Read more bytes; Ok(false) on a clean EOF.
    pub(super) async fn fill(&mut self) -> Result<bool, ReadError> {
        if self.rbuf.is_empty() {
            // Between messages an idle session holds no buffers (thousands of idle
            // clients cost a few KB each): wait for data, then allocate.
            self.rbuf = BytesMut::new();
            if self.out.is_empty() {
                self.out = BytesMut::new();
            }
            self.stream.readable().await.map_err(|_| ReadError::Io)?;
        }
        if self.rbuf.capacity() - self.rbuf.len() < 4096 {
            self.rbuf.reserve(8192);
        }
        match self.stream.read_buf(&mut self.rbuf).await {
            Ok(0) => Ok(false),
            Ok(n) => {
                self.received += n as u64;
                Ok(true)
            }
            Err(_) => Err(ReadError::Io),
        }
    }

    pub async fn read_startup(&mut self, max_body: usize) -> PgResult<Option<Bytes>> {
        loop {
            if let Some(frame) = split_startup(&mut self.rbuf, max_body)? {
                return Ok(Some(frame));
            }
            match self.fill().await {
                Ok(true) => {}
                Ok(false) | Err(ReadError::Io) => {
                    if self.rbuf.is_empty() {
                        return Ok(None);
                    }
                    return Err(PgError::protocol("incomplete startup packet"));
                }
                Err(ReadError::Protocol(e)) => return Err(e),
            }
        }
    }

    pub(super) async fn read_message(&mut self) -> Result<Option<(u8, Bytes)>, ReadError> {
        loop {
            if let Some(frame) = split_frame(&mut self.rbuf, self.max_message).map_err(ReadError::Protocol)? {
                return Ok(Some(frame));
            }
            if !self.fill().await? {
                return if self.rbuf.is_empty() { Ok(None) } else { Err(ReadError::Io) };
            }
        }
    }

    /// The client's next message, already buffered, is Sync (a pipelined Parse/Bind/
    /// Execute/Sync): a lone statement before it needs no transaction of its own.
    pub(super) fn sync_is_next(&self) -> bool {
        self.rbuf.first() == Some(&b'S') && self.rbuf.len() >= 5
    }

    pub async fn flush(&mut self) -> std::io::Result<()> {
        if !self.out.is_empty() {
            self.stream.write_all(&self.out).await?;
            self.sent += self.out.len() as u64;
            self.out.clear();
            // TLS buffers records until flushed.
            self.stream.flush().await?;
        }
        Ok(())
    }

    pub async fn write_raw(&mut self, bytes: &[u8]) -> PgResult<()> {
        self.flush().await.map_err(|_| PgError::new(sqlstate::CONNECTION_FAILURE, "write failed"))?;
        let write = async {
            self.stream.write_all(bytes).await?;
            self.stream.flush().await
        };
        write.await.map_err(|_| PgError::new(sqlstate::CONNECTION_FAILURE, "write failed"))
    }

    /// Send a FATAL error and give up on the connection.
    pub(super) async fn fatal(&mut self, err: &PgError) {
        let mut err = err.clone();
        err.severity = Severity::Fatal;
        be::error_response(&mut self.out, &err);
        let _ = self.flush().await;
    }
}
