//! The users file (`--users-file`): one `name:verifier` a line, the verifier in
//! pg_authid's SCRAM format, so `SELECT rolname || ':' || rolpassword FROM pg_authid`
//! imports PostgreSQL's own. `#` starts a comment line; blank lines are skipped.

use std::collections::HashMap;

use super::scram::Verifier;

/// Debug shows names only: `Verifier`'s Debug hides the secrets.
#[derive(Default, Debug)]
pub struct Users {
    by_name: HashMap<String, Verifier>,
}

impl Users {
    pub fn parse(text: &str) -> Result<Users, String> {
        let mut by_name = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            // Names may not contain ':'; the verifier's own ':' come after the first one.
            let (name, verifier) =
                line.split_once(':').ok_or_else(|| format!("line {}: expected name:verifier", n + 1))?;
            let verifier = Verifier::parse(verifier).ok_or_else(|| {
                format!("line {}: the verifier of {name:?} is not SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>", n + 1)
            })?;
            by_name.insert(name.to_string(), verifier);
        }
        Ok(Users { by_name })
    }

    pub fn load(path: &str) -> Result<Users, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read users file {path}: {e}"))?;
        Users::parse(&text).map_err(|e| format!("users file {path}: {e}"))
    }

    pub fn get(&self, name: &str) -> Option<&Verifier> {
        self.by_name.get(name)
    }

    pub fn len(&self) -> usize {
        self.by_name.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_verifiers() {
        let v = Verifier::from_password("pw", b"salt", 4096).encode();
        let users = Users::parse(&format!("# comment\n\nalice:{v}\n  bob:{v}  \n")).unwrap();
        assert_eq!(users.len(), 2);
        assert!(users.get("alice").unwrap().matches(b"pw"));
        assert!(users.get("carol").is_none());
        assert!(Users::parse("alice").unwrap_err().contains("line 1"));
        assert!(Users::parse("alice:md5abcdef").unwrap_err().contains("SCRAM-SHA-256$"));
    }
}
