//! iris-pgwire core: a PostgreSQL wire-protocol server that executes through Python backends.

mod auth;
pub mod config;
pub mod error;
pub mod fuzzing;
pub mod pool;
pub mod protocol;
pub mod python;
pub mod server;
pub mod session;
pub mod settings;
mod tls;
pub mod translate;
pub mod types;
