//! PostgreSQL errors as the gateway reports them: SQLSTATE, severity, message, detail, hint.

use std::fmt;

/// SQLSTATE codes the gateway raises itself (Appendix A of the PostgreSQL manual).
pub mod sqlstate {
    pub const SUCCESSFUL_COMPLETION: &str = "00000";
    pub const CONNECTION_EXCEPTION: &str = "08000";
    pub const CONNECTION_FAILURE: &str = "08006";
    pub const PROTOCOL_VIOLATION: &str = "08P01";
    pub const FEATURE_NOT_SUPPORTED: &str = "0A000";
    pub const INVALID_TEXT_REPRESENTATION: &str = "22P02";
    pub const NUMERIC_VALUE_OUT_OF_RANGE: &str = "22003";
    pub const INVALID_DATETIME_FORMAT: &str = "22007";
    pub const DATETIME_FIELD_OVERFLOW: &str = "22008";
    pub const INVALID_PARAMETER_VALUE: &str = "22023";
    pub const CHARACTER_NOT_IN_REPERTOIRE: &str = "22021";
    pub const INVALID_BINARY_REPRESENTATION: &str = "22P03";
    pub const BAD_COPY_FILE_FORMAT: &str = "22P04";
    pub const NOT_NULL_VIOLATION: &str = "23502";
    pub const FOREIGN_KEY_VIOLATION: &str = "23503";
    pub const UNIQUE_VIOLATION: &str = "23505";
    pub const CHECK_VIOLATION: &str = "23514";
    pub const INTEGRITY_CONSTRAINT_VIOLATION: &str = "23000";
    pub const ACTIVE_SQL_TRANSACTION: &str = "25001";
    pub const NO_ACTIVE_SQL_TRANSACTION: &str = "25P01";
    pub const IN_FAILED_SQL_TRANSACTION: &str = "25P02";
    pub const IDLE_IN_TRANSACTION_SESSION_TIMEOUT: &str = "25P03";
    pub const INVALID_SQL_STATEMENT_NAME: &str = "26000";
    pub const INVALID_CURSOR_NAME: &str = "34000";
    pub const INVALID_AUTHORIZATION_SPECIFICATION: &str = "28000";
    pub const INVALID_PASSWORD: &str = "28P01";
    pub const SERIALIZATION_FAILURE: &str = "40001";
    pub const SYNTAX_ERROR: &str = "42601";
    pub const INSUFFICIENT_PRIVILEGE: &str = "42501";
    pub const UNDEFINED_COLUMN: &str = "42703";
    pub const INVALID_COLUMN_REFERENCE: &str = "42P10";
    pub const UNDEFINED_FUNCTION: &str = "42883";
    pub const UNDEFINED_TABLE: &str = "42P01";
    pub const UNDEFINED_OBJECT: &str = "42704";
    pub const INVALID_CATALOG_NAME: &str = "3D000";
    pub const CONFIG_FILE_ERROR: &str = "F0000";
    pub const INVALID_SCHEMA_NAME: &str = "3F000";
    pub const DUPLICATE_SCHEMA: &str = "42P06";
    pub const RESERVED_NAME: &str = "42939";
    pub const DEPENDENT_OBJECTS_STILL_EXIST: &str = "2BP01";
    pub const DUPLICATE_TABLE: &str = "42P07";
    pub const DUPLICATE_PREPARED_STATEMENT: &str = "42P05";
    pub const DUPLICATE_CURSOR: &str = "42P03";
    pub const DATATYPE_MISMATCH: &str = "42804";
    pub const INDETERMINATE_DATATYPE: &str = "42P18";
    pub const PROGRAM_LIMIT_EXCEEDED: &str = "54000";
    pub const TOO_MANY_CONNECTIONS: &str = "53300";
    pub const LOCK_NOT_AVAILABLE: &str = "55P03";
    pub const OBJECT_NOT_IN_PREREQUISITE_STATE: &str = "55000";
    pub const CANT_CHANGE_RUNTIME_PARAM: &str = "55P02";
    pub const QUERY_CANCELED: &str = "57014";
    pub const ADMIN_SHUTDOWN: &str = "57P01";
    pub const INTERNAL_ERROR: &str = "XX000";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Fatal,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "ERROR",
            Severity::Fatal => "FATAL",
        }
    }
}

/// An error destined for the client as an ErrorResponse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgError {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
    /// 1-based character position in the query text, when known.
    pub position: Option<u32>,
    /// Where the error happened (ErrorResponse field W), e.g. `COPY t, line 3`.
    pub context: Option<String>,
    /// The PostgreSQL source file and routine that raise this error (fields F and R), for
    /// errors clients recognise by them: asyncpg re-prepares silently on 0A000 only when
    /// the routine is `RevalidateCachedQuery`.
    pub source: Option<(&'static str, &'static str)>,
}

impl PgError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        PgError {
            severity: Severity::Error,
            code,
            message: message.into(),
            detail: None,
            hint: None,
            position: None,
            context: None,
            source: None,
        }
    }

    pub fn fatal(code: &'static str, message: impl Into<String>) -> Self {
        PgError { severity: Severity::Fatal, ..PgError::new(code, message) }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_context(mut self, context: impl Into<String>) -> Self {
        self.context = Some(context.into());
        self
    }

    pub fn with_source(mut self, file: &'static str, routine: &'static str) -> Self {
        self.source = Some((file, routine));
        self
    }

    /// A prepared statement's result columns changed under it (DDL), as PostgreSQL's
    /// plan cache reports it.
    pub fn cached_plan_changed() -> Self {
        PgError::unsupported("cached plan must not change result type")
            .with_source("plancache.c", "RevalidateCachedQuery")
    }

    pub fn protocol(message: impl Into<String>) -> Self {
        PgError::new(sqlstate::PROTOCOL_VIOLATION, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        PgError::new(sqlstate::INTERNAL_ERROR, message)
    }

    pub fn unsupported(message: impl Into<String>) -> Self {
        PgError::new(sqlstate::FEATURE_NOT_SUPPORTED, message)
    }
}

impl PgError {
    /// The error with its position in `sql` (field P, from which libpq prints `LINE 1: ..`
    /// and a caret), for the undefined-name errors whose name the backends report but
    /// not where it is: the first identifier of `sql` (outside strings and comments)
    /// spelled like the name, or its first part for a qualified one. IRIS's own text for
    /// them (`Field 'WAT' not found ..`, the name upper-cased) becomes PostgreSQL's, with
    /// the name as the client wrote it; IRIS's text moves to the detail.
    pub fn located(mut self, sql: &str) -> Self {
        if self.position.is_some() {
            return self;
        }
        let Some((name, iris)) = undefined_name(self.code, &self.message) else { return self };
        // As PostgreSQL folds names (unquoted to lower case), else in any case: the
        // backends' messages do not always keep the case the client wrote.
        let Some(found) = find_identifier(sql, name, true).or_else(|| find_identifier(sql, name, false)) else {
            return self;
        };
        self.position = Some(found.position);
        if iris {
            let what = if self.code == sqlstate::UNDEFINED_TABLE { "relation" } else { "column" };
            let message = format!("{what} \"{}\" does not exist", found.name);
            let iris_text = std::mem::replace(&mut self.message, message);
            self.detail = Some(match self.detail.take() {
                Some(d) => format!("{iris_text} ({d})"),
                None => iris_text,
            });
        }
        self
    }
}

/// The name an undefined-table/column/function message names, and whether the message
/// is IRIS's: `relation "wat" does not exist`, `column "t.x" does not exist` (its first
/// part, where PostgreSQL points), `function foo(integer) does not exist`; IRIS's
/// `Table 'SQLUSER.WAT' not found` and `Field 'NOPE' not found ..` (the last part: the
/// schema is IRIS's, not the client's).
fn undefined_name<'m>(code: &str, message: &'m str) -> Option<(&'m str, bool)> {
    let name = match code {
        sqlstate::UNDEFINED_TABLE | sqlstate::UNDEFINED_COLUMN => match message.split('"').nth(1) {
            Some(quoted) => quoted.split('.').next().map(|n| (n, false)),
            None => message.split('\'').nth(1).and_then(|q| q.rsplit('.').next()).map(|n| (n, true)),
        },
        sqlstate::UNDEFINED_FUNCTION => {
            let rest = message.strip_prefix("function ").or_else(|| message.strip_prefix("no such function: "))?;
            rest.split(['(', ' ']).next().map(|n| (n, false))
        }
        _ => None,
    };
    name.filter(|(n, _)| !n.is_empty())
}

/// An identifier found in the statement text.
struct Found {
    /// 1-based character position.
    position: u32,
    /// The name it stands for: as quoted, or folded to lower case.
    name: String,
}

/// The first identifier in `sql` that names `name` (`folded`: as PostgreSQL reads it, an
/// unquoted one in lower case; else ignoring ASCII case), skipping string literals and
/// comments.
fn find_identifier(sql: &str, name: &str, folded: bool) -> Option<Found> {
    let same = |written: &str, quoted: bool| match (folded, quoted) {
        (true, true) => written == name,
        (true, false) => written.to_lowercase() == name,
        (false, _) => written.eq_ignore_ascii_case(name),
    };
    let chars: Vec<char> = sql.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            '\'' => i = skip_to(&chars, i + 1, '\''),
            '-' if next == Some('-') => i = skip_to(&chars, i, '\n'),
            '/' if next == Some('*') => {
                i += 2;
                while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                    i += 1;
                }
                i += 2;
            }
            '"' => {
                let end = skip_to(&chars, i + 1, '"');
                let quoted: String = chars[i + 1..end].iter().take_while(|&&c| c != '"').collect();
                if same(&quoted, true) {
                    return Some(Found { position: i as u32 + 1, name: quoted });
                }
                i = end;
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                if same(&word, false) {
                    return Some(Found { position: start as u32 + 1, name: word.to_lowercase() });
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// The index after the next `end` at or after `from` (or the end of the text).
fn skip_to(chars: &[char], from: usize, end: char) -> usize {
    chars[from.min(chars.len())..].iter().position(|&c| c == end).map_or(chars.len(), |p| from + p + 1)
}

impl fmt::Display for PgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.severity.as_str(), self.code, self.message)
    }
}

impl std::error::Error for PgError {}

pub type PgResult<T> = Result<T, PgError>;

/// SQLSTATEs are 5 ASCII characters; intern them so PgError can keep a `&'static str`.
pub fn intern_sqlstate(code: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static INTERNED: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    if code.len() != 5 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return sqlstate::INTERNAL_ERROR;
    }
    let mut set = INTERNED.get_or_init(Default::default).lock().unwrap();
    if let Some(s) = set.get(code) {
        return s;
    }
    let leaked: &'static str = Box::leak(code.to_owned().into_boxed_str());
    set.insert(leaked);
    leaked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(code: &'static str, message: &str, sql: &str) -> Option<u32> {
        PgError::new(code, message).located(sql).position
    }

    #[test]
    fn undefined_names_are_located_as_postgres_does() {
        // PostgreSQL 15's P field for these statements.
        assert_eq!(at("42P01", "relation \"wat\" does not exist", "select * from wat"), Some(15));
        assert_eq!(at("42P01", "relation \"wat\" does not exist", "select 'wat', x from WAT"), Some(22));
        assert_eq!(at("42P01", "relation \"WAT\" does not exist", "select * from wat"), Some(15));
        assert_eq!(at("42P01", "relation \"s.wat\" does not exist", "select * from s.wat"), Some(15));
        assert_eq!(at("42703", "column \"Nope\" does not exist", "select nope, \"Nope\" from t"), Some(14));
        assert_eq!(at("42703", "column \"nope\" does not exist", "-- nope\nselect /* nope */ nope"), Some(27));
        assert_eq!(at("42883", "function foo(integer) does not exist", "select foo(1)"), Some(8));
        assert_eq!(at("42883", "function foo does not exist", "select é, foo(1)"), Some(11));
        assert_eq!(at("42P01", "Table 'SQLUSER.WAT' not found", "select * from wat"), Some(15));
        assert_eq!(at("42703", "Field 'NOPE' not found in the applicable tables", "select 1 as x, nope"), Some(16));
        assert_eq!(at("42P01", "relation \"wat\" does not exist", "select 1"), None);
        // IRIS's text becomes PostgreSQL's, with the name as written.
        let e = PgError::new("42703", "Field 'WAT' not found in the applicable tables")
            .with_detail("IRIS SQLCODE -29")
            .located("select Wat from t");
        assert_eq!(e.message, "column \"wat\" does not exist");
        assert_eq!(e.detail.as_deref(), Some("Field 'WAT' not found in the applicable tables (IRIS SQLCODE -29)"));
        let e = PgError::new("42P01", "Table 'SQLUSER.WAT' not found").located("select * from \"Wat\"");
        assert_eq!((e.message.as_str(), e.position), ("relation \"Wat\" does not exist", Some(15)));
        assert_eq!(at("42601", "syntax error", "select * from wat"), None);
    }
}
