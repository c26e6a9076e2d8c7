//! Statements the gateway parses itself, for either target: COPY, VACUUM and cursor
//! commands (DECLARE / FETCH / MOVE / CLOSE, PREPARE), and the command tags and session
//! actions of utility statements.

pub mod copy;
pub mod cursors;
pub mod utility;
