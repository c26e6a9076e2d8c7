//! Startup and authentication: startup packet, SCRAM exchange, users and hba parsers.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| _core::fuzzing::startup_auth(data));
