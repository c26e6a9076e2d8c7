//! iris-pgwire core: a PostgreSQL wire-protocol server that executes through Python backends.
//!
//! Only the translator (and its error type) and the fuzzing entry points are public, for the
//! golden translation tests, the translation benchmark and the fuzz targets; everything else is private to the extension, so the compiler
//! reports what nothing uses.

mod activity;
mod auth;
mod backend;
mod bounded_map;
mod cancel;
mod catalog;
mod config;
mod copy;
pub mod error;
/// Entry points of the fuzz targets (fuzz/) and the corpus replay test.
pub mod fuzzing;
mod metrics;
mod notify;
mod notify_queue;
mod otel;
mod pool;
mod protocol;
mod python;
mod server;
mod session;
mod session_defaults;
mod settings;
mod shutdown;
mod tls;
pub mod translate;
mod types;
mod workers;
