//! Job workers: the backend's connections on processes of their own.
//!
//! Embedded Python is one IRIS job per OS process: one transaction, one GIL. So the
//! embedded backend runs each connection on a worker process (`--iris-jobs N`) that
//! imports `iris` itself. `client.rs` is the gateway's side, a [`Backend`] like any
//! other, so the pool hands workers to sessions as it hands out connections; `serve.rs`
//! is the worker's loop around the same Python connection the gateway would use;
//! `codec.rs` the frames between them.
//!
//! [`Backend`]: crate::backend::Backend

pub mod client;
pub mod codec;
pub mod serve;

pub use client::{Registry, WorkerBackend, WorkerCommand, WORKER_FD};
