//! Replays the fuzz corpus (fuzz/corpus/<target>/) through the fuzz targets' entry points,
//! plus a fixed-seed set of mutations of each file, so `cargo test` keeps what fuzzing
//! found without a nightly toolchain. A crash here is a panic in the decoder or auth path.

use std::path::Path;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

const MUTATIONS_PER_FILE: usize = 300;

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir).expect("corpus directory").map(|e| e.unwrap().path()).collect();
    files.sort();
    let inputs: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert!(!inputs.is_empty(), "empty corpus {}", dir.display());
    inputs
}

/// Flip, insert, delete and truncate bytes, as a fuzzer's simplest mutators do.
fn mutate(rng: &mut StdRng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..rng.random_range(1..=4) {
        let at = if out.is_empty() { 0 } else { rng.random_range(0..out.len()) };
        match rng.random_range(0..5) {
            0 if !out.is_empty() => out[at] ^= 1 << rng.random_range(0..8),
            1 => out.insert(at, rng.random()),
            2 if !out.is_empty() => {
                out.remove(at);
            }
            3 => out.truncate(at),
            _ if !out.is_empty() => out[at] = [0x00, 0xff, 0x7f, 0x80, b','][rng.random_range(0..5)],
            _ => {}
        }
    }
    out
}

fn replay(target: &str, run: fn(&[u8])) {
    let mut rng = StdRng::seed_from_u64(20261202);
    for input in corpus(target) {
        run(&input);
        for _ in 0..MUTATIONS_PER_FILE {
            run(&mutate(&mut rng, &input));
        }
    }
}

#[test]
fn frames_corpus() {
    replay("frames", _core::fuzzing::frames);
}

#[test]
fn startup_auth_corpus() {
    replay("startup_auth", _core::fuzzing::startup_auth);
}
