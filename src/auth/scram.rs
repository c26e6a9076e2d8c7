//! SCRAM-SHA-256 and SCRAM-SHA-256-PLUS, server side (RFC 5802, RFC 7677), as
//! PostgreSQL speaks it: the user name comes from the startup packet (the SCRAM
//! `n=` attribute is ignored), no authzid, `tls-server-end-point` channel binding.
//!
//! The exchange is pure (no I/O): `first()` takes the client-first-message and
//! returns the server-first-message, `finish()` takes the client-final-message and
//! returns the server-final-message when the proof is right.

use std::borrow::Cow;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

pub const MECHANISM: &str = "SCRAM-SHA-256";
pub const MECHANISM_PLUS: &str = "SCRAM-SHA-256-PLUS";
/// PostgreSQL's default iteration count (scram_iterations).
pub const DEFAULT_ITERATIONS: u32 = 4096;
const NONCE_BYTES: usize = 18;
/// PostgreSQL's SCRAM_DEFAULT_SALT_LEN.
pub const SALT_BYTES: usize = 16;

/// A stored verifier: `SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>` (pg_authid's format).
#[derive(Clone, PartialEq, Eq)]
pub struct Verifier {
    pub iterations: u32,
    pub salt: Vec<u8>,
    pub stored_key: [u8; 32],
    pub server_key: [u8; 32],
}

impl std::fmt::Debug for Verifier {
    // Verifiers are secrets (a stolen one allows impersonating the server): never print them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Verifier(..)")
    }
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// Equality that takes the same time wherever the first difference is.
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The password SCRAM derives keys from: SASLprep (RFC 4013) normalised, as PostgreSQL
/// and libpq do. A password SASLprep refuses (not UTF-8, prohibited or unassigned
/// characters, bad bidirectional text) is used as given, as PostgreSQL does, so such
/// passwords still work with clients that send them unnormalised.
pub fn prepared_password(password: &[u8]) -> Cow<'_, [u8]> {
    match std::str::from_utf8(password).map(stringprep::saslprep) {
        Ok(Ok(Cow::Owned(prepared))) => Cow::Owned(prepared.into_bytes()),
        _ => Cow::Borrowed(password),
    }
}

impl Verifier {
    /// Derive a verifier from a password (SASLprep, then PBKDF2-HMAC-SHA-256, as PostgreSQL does).
    pub fn from_password(password: &str, salt: &[u8], iterations: u32) -> Verifier {
        Verifier::from_password_bytes(password.as_bytes(), salt, iterations)
    }

    /// The same for a password as the client sent it, which need not be UTF-8.
    pub fn from_password_bytes(password: &[u8], salt: &[u8], iterations: u32) -> Verifier {
        let salted = pbkdf2::pbkdf2_hmac_array::<Sha256, 32>(&prepared_password(password), salt, iterations);
        let client_key = hmac(&salted, b"Client Key");
        Verifier {
            iterations,
            salt: salt.to_vec(),
            stored_key: sha256(&client_key),
            server_key: hmac(&salted, b"Server Key"),
        }
    }

    /// A verifier no password matches, for unknown users: the exchange then runs the
    /// same path and fails at the proof. The salt is derived from the name and a
    /// per-process secret, so repeated probes for one name see one salt, as for a real user.
    pub fn dummy(user: &str, secret: &[u8]) -> Verifier {
        let salt = hmac(secret, user.as_bytes())[..16].to_vec();
        Verifier { iterations: DEFAULT_ITERATIONS, salt, stored_key: rand::random(), server_key: rand::random() }
    }

    pub fn parse(text: &str) -> Option<Verifier> {
        let rest = text.strip_prefix("SCRAM-SHA-256$")?;
        let (iter_salt, keys) = rest.split_once('$')?;
        let (iter, salt) = iter_salt.split_once(':')?;
        let (stored, server) = keys.split_once(':')?;
        let iterations: u32 = iter.parse().ok().filter(|&n| n > 0)?;
        let key = |s: &str| -> Option<[u8; 32]> { B64.decode(s).ok()?.try_into().ok() };
        Some(Verifier { iterations, salt: B64.decode(salt).ok()?, stored_key: key(stored)?, server_key: key(server)? })
    }

    /// pg_authid's text form (the users file's).
    pub fn encode(&self) -> String {
        format!(
            "SCRAM-SHA-256${}:{}${}:{}",
            self.iterations,
            B64.encode(&self.salt),
            B64.encode(self.stored_key),
            B64.encode(self.server_key)
        )
    }

    /// Does `password` match? (clear-text `password` method against a users-file entry)
    pub fn matches(&self, password: &[u8]) -> bool {
        let other = Verifier::from_password_bytes(password, &self.salt, self.iterations);
        ct_eq(&other.stored_key, &self.stored_key) & ct_eq(&other.server_key, &self.server_key)
    }
}

/// Why an exchange failed: a malformed message (08P01) or a wrong proof (28P01).
#[derive(Debug, PartialEq, Eq)]
pub enum ScramError {
    Malformed(String),
    /// Channel-binding misuse, worded as PostgreSQL does (08P01 too).
    Binding(String),
    WrongProof,
}

/// The server's half of one exchange.
pub struct Exchange {
    verifier: Verifier,
    /// The channel-binding data of this connection (the TLS server certificate's hash), if TLS.
    binding: Option<Vec<u8>>,
    state: State,
}

enum State {
    Start,
    SentFirst { gs2_header: String, client_first_bare: String, server_first: String, nonce: String, plus: bool },
    Done,
}

/// Split a SCRAM message into its `k=v` attributes, in order.
fn attributes(msg: &str) -> Result<Vec<(char, &str)>, ScramError> {
    msg.split(',')
        .map(|part| {
            let mut chars = part.chars();
            match (chars.next(), chars.next()) {
                (Some(k), Some('=')) if k.is_ascii_alphabetic() => Ok((k, &part[2..])),
                _ => Err(ScramError::Malformed(format!("malformed SCRAM message: attribute expected, got \"{part}\""))),
            }
        })
        .collect()
}

fn printable_nonce(nonce: &str) -> bool {
    !nonce.is_empty() && nonce.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b',')
}

impl Exchange {
    pub fn new(verifier: Verifier, binding: Option<Vec<u8>>) -> Exchange {
        Exchange { verifier, binding, state: State::Start }
    }

    /// The mechanisms to offer: -PLUS first when this connection can bind to TLS.
    pub fn mechanisms(tls: bool) -> &'static [&'static str] {
        if tls {
            &[MECHANISM_PLUS, MECHANISM]
        } else {
            &[MECHANISM]
        }
    }

    /// client-first-message -> server-first-message.
    pub fn first(&mut self, mechanism: &str, msg: &[u8]) -> Result<String, ScramError> {
        let plus = match mechanism {
            MECHANISM => false,
            MECHANISM_PLUS if self.binding.is_some() => true,
            _ => {
                return Err(ScramError::Malformed(
                    "client selected an invalid SASL authentication mechanism".to_string(),
                ))
            }
        };
        let msg = std::str::from_utf8(msg).map_err(|_| ScramError::Malformed("malformed SCRAM message".into()))?;
        // gs2-header: cbind-flag "," [authzid] ","
        let mut parts = msg.splitn(3, ',');
        let (flag, authzid, bare) = match (parts.next(), parts.next(), parts.next()) {
            (Some(f), Some(a), Some(b)) => (f, a, b),
            _ => return Err(ScramError::Malformed("malformed SCRAM message: invalid GS2 header".into())),
        };
        match (flag, plus) {
            ("p=tls-server-end-point", true) => {}
            ("n", false) => {}
            // The client could bind but believes the server cannot: a downgrade if we offered -PLUS.
            ("y", false) if self.binding.is_none() => {}
            ("y", false) => {
                return Err(ScramError::Binding(
                    "SCRAM channel binding negotiation error: the client supports SCRAM channel binding but thinks the server does not; however, this server does support channel binding".into(),
                ))
            }
            (f, false) if f.starts_with("p=") => {
                return Err(ScramError::Binding(
                    "channel binding was requested, but the client selected a SCRAM mechanism without channel binding".into(),
                ))
            }
            (f, true) if f.starts_with("p=") => {
                return Err(ScramError::Binding(format!(
                    "unsupported SCRAM channel-binding type \"{}\"",
                    &f[2..]
                )))
            }
            (_, true) => {
                return Err(ScramError::Binding(
                    "the client selected SCRAM-SHA-256-PLUS but did not send channel binding data".into(),
                ))
            }
            _ => return Err(ScramError::Malformed("malformed SCRAM message: unexpected channel-binding flag".into())),
        }
        if !authzid.is_empty() {
            return Err(ScramError::Malformed("client uses authorization identity, but it is not supported".into()));
        }
        let attrs = attributes(bare)?;
        let nonce = match attrs.as_slice() {
            [('n', _), ('r', nonce), ..] if printable_nonce(nonce) => nonce.to_string(),
            [('m', _), ..] => {
                return Err(ScramError::Malformed("client requires an unsupported SCRAM extension".into()))
            }
            _ => return Err(ScramError::Malformed("malformed SCRAM message: user name and nonce expected".into())),
        };
        let server_nonce = B64.encode(rand::random::<[u8; NONCE_BYTES]>());
        self.sent_first(flag, authzid, bare, format!("{nonce}{server_nonce}"), plus)
    }

    fn sent_first(
        &mut self,
        flag: &str,
        authzid: &str,
        bare: &str,
        nonce: String,
        plus: bool,
    ) -> Result<String, ScramError> {
        let server_first = format!("r={nonce},s={},i={}", B64.encode(&self.verifier.salt), self.verifier.iterations);
        self.state = State::SentFirst {
            gs2_header: format!("{flag},{authzid},"),
            client_first_bare: bare.to_string(),
            server_first: server_first.clone(),
            nonce,
            plus,
        };
        Ok(server_first)
    }

    /// client-final-message -> server-final-message (`v=<signature>`), if the proof is right.
    pub fn finish(&mut self, msg: &[u8]) -> Result<String, ScramError> {
        let State::SentFirst { gs2_header, client_first_bare, server_first, nonce, plus } =
            std::mem::replace(&mut self.state, State::Done)
        else {
            return Err(ScramError::Malformed("malformed SCRAM message: unexpected message".into()));
        };
        let msg = std::str::from_utf8(msg).map_err(|_| ScramError::Malformed("malformed SCRAM message".into()))?;
        let (without_proof, proof) = msg
            .rsplit_once(",p=")
            .ok_or_else(|| ScramError::Malformed("malformed SCRAM message: proof expected".into()))?;
        let attrs = attributes(without_proof)?;
        let (cbind, client_nonce) = match attrs.as_slice() {
            [('c', c), ('r', r), ..] => (*c, *r),
            _ => {
                return Err(ScramError::Malformed("malformed SCRAM message: channel binding and nonce expected".into()))
            }
        };
        let mut expected = gs2_header.into_bytes();
        if plus {
            expected.extend_from_slice(self.binding.as_deref().unwrap_or_default());
        }
        let cbind = B64
            .decode(cbind)
            .map_err(|_| ScramError::Malformed("malformed SCRAM message: invalid channel binding".into()))?;
        if !ct_eq(&cbind, &expected) {
            return Err(ScramError::Binding("SCRAM channel binding check failed".into()));
        }
        if client_nonce != nonce {
            return Err(ScramError::Malformed("malformed SCRAM message: nonce does not match".into()));
        }
        let proof: [u8; 32] = B64
            .decode(proof)
            .ok()
            .and_then(|p| p.try_into().ok())
            .ok_or_else(|| ScramError::Malformed("malformed SCRAM proof".into()))?;
        let auth_message = format!("{client_first_bare},{server_first},{without_proof}");
        let signature = hmac(&self.verifier.stored_key, auth_message.as_bytes());
        let client_key: Vec<u8> = proof.iter().zip(signature).map(|(p, s)| p ^ s).collect();
        if !ct_eq(&sha256(&client_key), &self.verifier.stored_key) {
            return Err(ScramError::WrongProof);
        }
        let server_signature = hmac(&self.verifier.server_key, auth_message.as_bytes());
        Ok(format!("v={}", B64.encode(server_signature)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client per RFC 5802, to drive the server in tests.
    fn client_final(password: &str, client_first_bare: &str, server_first: &str, cbind: &[u8]) -> (String, [u8; 32]) {
        let attrs = attributes(server_first).unwrap();
        let nonce = attrs[0].1;
        let salt = B64.decode(attrs[1].1).unwrap();
        let iter: u32 = attrs[2].1.parse().unwrap();
        let salted = pbkdf2::pbkdf2_hmac_array::<Sha256, 32>(password.as_bytes(), &salt, iter);
        let client_key = hmac(&salted, b"Client Key");
        let without_proof = format!("c={},r={nonce}", B64.encode(cbind));
        let auth = format!("{client_first_bare},{server_first},{without_proof}");
        let sig = hmac(&sha256(&client_key), auth.as_bytes());
        let proof: Vec<u8> = client_key.iter().zip(sig).map(|(a, b)| a ^ b).collect();
        let server_sig = hmac(&hmac(&salted, b"Server Key"), auth.as_bytes());
        (format!("{without_proof},p={}", B64.encode(proof)), server_sig)
    }

    /// RFC 7677's example exchange (user "user", password "pencil").
    #[test]
    fn rfc7677_example() {
        let stored = "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=";
        let v = Verifier::parse(stored).unwrap();
        assert_eq!(v.encode(), stored);
        assert_eq!(Verifier::from_password("pencil", &v.salt, 4096), v);
        assert!(v.matches(b"pencil") && !v.matches(b"Pencil"));
        let mut ex = Exchange::new(v, None);
        let bare = "n=user,r=rOprNGfwEbeRWgbNEkqO";
        let first = ex.sent_first("n", "", bare, "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0".into(), false);
        assert_eq!(
            first.unwrap(),
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
        );
        let fin = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
        assert_eq!(ex.finish(fin.as_bytes()).unwrap(), "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
        for bad in ["", "md5abc", "SCRAM-SHA-256$0:AA==$AA==:AA==", "SCRAM-SHA-256$4096:AA==$AA==:AA=="] {
            assert!(Verifier::parse(bad).is_none(), "{bad}");
        }
    }

    fn run(
        password: &str,
        mechanism: &str,
        flag: &str,
        binding: Option<Vec<u8>>,
        client_cb: &[u8],
    ) -> Result<(), ScramError> {
        let v = Verifier::from_password("pencil", b"0123456789abcdef", 4096);
        let mut ex = Exchange::new(v, binding);
        let bare = "n=,r=rOprNGfwEbeRWgbNEkqO";
        let first = ex.first(mechanism, format!("{flag},,{bare}").as_bytes())?;
        assert!(first.starts_with("r=rOprNGfwEbeRWgbNEkqO") && first.contains(",i=4096"));
        let mut cb = format!("{flag},,").into_bytes();
        cb.extend_from_slice(client_cb);
        let (fin, server_sig) = client_final(password, bare, &first, &cb);
        let v = ex.finish(fin.as_bytes())?;
        assert_eq!(v, format!("v={}", B64.encode(server_sig)));
        Ok(())
    }

    #[test]
    fn exchange_accepts_right_password_and_refuses_wrong() {
        assert_eq!(run("pencil", MECHANISM, "n", None, b""), Ok(()));
        assert_eq!(run("pencil", MECHANISM, "y", None, b""), Ok(()));
        assert_eq!(run("pen", MECHANISM, "n", None, b""), Err(ScramError::WrongProof));
    }

    #[test]
    fn channel_binding() {
        let hash = vec![7u8; 32];
        let plus = |cb: &[u8]| run("pencil", MECHANISM_PLUS, "p=tls-server-end-point", Some(hash.clone()), cb);
        assert_eq!(plus(&hash), Ok(()));
        assert!(matches!(plus(&[8u8; 32]), Err(ScramError::Binding(_))));
        // Downgrade: the client could bind, thinks we cannot, but we offered -PLUS.
        assert!(matches!(run("pencil", MECHANISM, "y", Some(hash.clone()), b""), Err(ScramError::Binding(_))));
        assert!(matches!(
            run("pencil", MECHANISM_PLUS, "p=tls-server-end-point", None, b""),
            Err(ScramError::Malformed(_))
        ));
        assert!(matches!(run("pencil", MECHANISM_PLUS, "p=tls-unique", Some(hash), b""), Err(ScramError::Binding(_))));
    }

    #[test]
    fn tampered_and_malformed_messages() {
        let v = Verifier::from_password("pencil", b"salt", 4096);
        let mut ex = Exchange::new(v.clone(), None);
        let first = ex.first(MECHANISM, b"n,,n=,r=abc").unwrap();
        let (fin, _) = client_final("pencil", "n=,r=abc", &first, b"n,,");
        let mut tampered = fin.clone().into_bytes();
        let last = tampered.len() - 3;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(ex.finish(&tampered), Err(ScramError::WrongProof));
        for bad in [&b""[..], b"n", b"n,,", b"n,a=x,n=,r=abc", b"n,,r=abc", b"x,,n=,r=abc", b"n,,n=,r=", b"\xff"] {
            let mut ex = Exchange::new(v.clone(), None);
            assert!(ex.first(MECHANISM, bad).is_err(), "{bad:?}");
        }
        let mut ex = Exchange::new(v.clone(), None);
        ex.first(MECHANISM, b"n,,n=,r=abc").unwrap();
        assert!(matches!(ex.finish(b"c=biws,r=other,p=AAAA"), Err(ScramError::Malformed(_))));
        assert!(Exchange::new(v, None).finish(b"c=biws").is_err());
    }

    #[test]
    fn saslprep_normalises_and_falls_back_to_the_raw_password() {
        // RFC 4013 section 3's examples: soft hyphen mapped to nothing, NFKC.
        let prep = |p: &str| String::from_utf8(prepared_password(p.as_bytes()).into_owned()).unwrap();
        assert_eq!(prep("I\u{ad}X"), "IX");
        assert_eq!(prep("\u{aa}"), "a");
        assert_eq!(prep("\u{2168}"), "IX");
        // Non-ASCII spaces become U+0020.
        assert_eq!(prep("a\u{a0}b"), "a b");
        // Prohibited (private use, control), bad bidi or not UTF-8: the password as given.
        for raw in ["ab\u{e000}", "a\u{7}", "\u{627}1"] {
            assert_eq!(prep(raw), raw);
        }
        assert_eq!(prepared_password(b"caf\xe9"), &b"caf\xe9"[..]);
        let salt = b"0123456789abcdef";
        assert_eq!(Verifier::from_password("\u{2168}", salt, 4096), Verifier::from_password("IX", salt, 4096));
        assert!(Verifier::from_password("IX", salt, 4096).matches("I\u{ad}X".as_bytes()));
        assert!(Verifier::from_password_bytes(b"caf\xe9", salt, 4096).matches(b"caf\xe9"));
    }

    #[test]
    fn dummy_verifier_salt_is_stable_per_name() {
        let (a, b) = (Verifier::dummy("eve", b"k"), Verifier::dummy("eve", b"k"));
        assert_eq!(a.salt, b.salt);
        assert_ne!(a.salt, Verifier::dummy("mallory", b"k").salt);
    }
}
