//! The frame decoder: startup packet, then typed messages (see src/fuzzing.rs).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| _core::fuzzing::frames(data));
