//! iris-pgwire core: a PostgreSQL wire-protocol server that executes through Python backends.

pub mod catalog;
pub mod config;
pub mod error;
pub mod pool;
pub mod protocol;
pub mod python;
pub mod server;
pub mod session;
pub mod settings;
pub mod translate;
pub mod types;
