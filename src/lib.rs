//! iris-pgwire core: a PostgreSQL wire-protocol server that executes through Python backends.
//!
//! Only the translator (and its error type) is public, for the golden translation tests and
//! the translation benchmark; everything else is private to the extension, so the compiler
//! reports what nothing uses.

mod backend;
mod bounded_map;
mod config;
pub mod error;
mod pool;
mod protocol;
mod python;
mod server;
mod session;
mod settings;
pub mod translate;
mod types;
