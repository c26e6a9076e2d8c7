//! Entry points shared by the cargo-fuzz targets (fuzz/) and the corpus replay test
//! (tests/fuzz_corpus.rs): each takes arbitrary bytes and must never panic.

use bytes::BytesMut;

use crate::auth::hba::Hba;
use crate::auth::scram::{Exchange, Verifier, MECHANISM, MECHANISM_PLUS};
use crate::auth::users::Users;
use crate::protocol::frontend::{parse_startup, split_frame, split_startup, Message, MAX_STARTUP_PACKET};

const MAX: usize = 1 << 20;

/// The frame decoder: a startup packet, then typed messages, as a connection reads them.
pub fn frames(data: &[u8]) {
    let mut buf = BytesMut::from(data);
    match split_startup(&mut buf, MAX_STARTUP_PACKET) {
        Ok(Some(body)) => {
            let _ = parse_startup(&body);
        }
        Ok(None) | Err(_) => return,
    }
    while let Ok(Some((tag, body))) = split_frame(&mut buf, MAX) {
        let _ = Message::parse(tag, body);
    }
}

/// The startup and authentication path: the startup packet, then a SCRAM exchange
/// (mechanism choice, client-first, client-final) with the rest, split at NUL bytes,
/// with and without TLS channel binding; the users and hba file parsers get the same bytes.
pub fn startup_auth(data: &[u8]) {
    let mut buf = BytesMut::from(data);
    if let Ok(Some(body)) = split_startup(&mut buf, MAX_STARTUP_PACKET) {
        let _ = parse_startup(&body);
    }
    let rest = &buf[..];
    let mut parts = rest.splitn(3, |b| *b == 0);
    let (first, last) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
    let selector = rest.first().copied().unwrap_or(0);
    let mechanism = if selector & 1 == 0 { MECHANISM } else { MECHANISM_PLUS };
    let binding = (selector & 2 == 0).then(|| vec![selector; 32]);
    // Few iterations: the fuzzer explores messages, not PBKDF2.
    let verifier = Verifier::from_password("pencil", b"salt", 1);
    let mut exchange = Exchange::new(verifier, binding);
    if exchange.first(mechanism, first).is_ok() {
        let _ = exchange.finish(last);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Users::parse(text);
        if let Ok(hba) = Hba::parse(text) {
            let _ = hba.decide("127.0.0.1".parse().expect("address"), selector & 4 == 0, "db", "user");
        }
    }
}
