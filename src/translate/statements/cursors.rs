//! SQL-level cursors and prepared statements: DECLARE / FETCH / MOVE / CLOSE and
//! PREPARE / EXECUTE. The session keeps the cursors and statements (src/session/cursors.rs,
//! src/session/prepare.rs); here the statement inside DECLARE or PREPARE is translated for
//! the target like any other query, and FETCH / MOVE are parsed (sqlparser knows no MOVE
//! and insists on FROM / IN).

use sqlparser::ast::{self, CloseCursor, Expr, Ident, Statement, UnaryOperator, Value};
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

use super::copy::bare;
use crate::error::{sqlstate, PgError, PgResult};
use crate::translate::ast_util::refuse;
use crate::translate::{translate_statement, Action, Target, Translated};
use crate::types::{self, Oid};

/// `DECLARE name [BINARY] [NO SCROLL] CURSOR [WITH | WITHOUT HOLD] FOR query`.
#[derive(Debug, Clone, PartialEq)]
pub struct DeclareCursor {
    pub name: String,
    /// The statement as the client wrote it (sqlparser's rendering), for pg_cursors.
    pub statement: String,
    pub hold: bool,
    pub binary: bool,
    pub query: Translated,
}

/// `PREPARE name [(types)] AS statement`.
#[derive(Debug, Clone, PartialEq)]
pub struct PrepareStatement {
    pub name: String,
    /// Declared parameter types (0 where the list is shorter than the parameters used).
    pub param_types: Vec<Oid>,
    pub statement: Translated,
    /// The statement's text, which keys its cached shape.
    pub text: String,
}

/// Where FETCH / MOVE goes. Cursors scan forward only (the backends' results do).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchDirection {
    /// The next n rows (NEXT, n, FORWARD n); None: all that remain.
    Forward(Option<u64>),
    /// BACKWARD, PRIOR, FIRST, LAST, ABSOLUTE, RELATIVE, a negative count.
    NotForward,
}

/// `FETCH` / `MOVE [direction] [FROM | IN] name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchCursor {
    pub name: String,
    pub direction: FetchDirection,
    /// MOVE: skip the rows instead of sending them.
    pub skip: bool,
}

/// A cursor or statement name as PostgreSQL folds it.
fn folded(ident: &Ident) -> String {
    match ident.quote_style {
        Some(_) => ident.value.clone(),
        None => ident.value.to_lowercase(),
    }
}

/// DECLARE, CLOSE, PREPARE and EXECUTE; None for any other statement.
pub fn translate(stmt: &Statement, target: &Target) -> PgResult<Option<Translated>> {
    Ok(Some(match stmt {
        Statement::Declare { stmts, .. } => {
            let [d] = stmts.as_slice() else { return Err(refuse("DECLARE of several names", "declare one cursor")) };
            let (Some(query), [name]) = (&d.for_query, d.names.as_slice()) else {
                return Err(refuse("DECLARE without a cursor", "DECLARE name CURSOR FOR query"));
            };
            if d.scroll == Some(true) {
                return Err(refuse("SCROLL cursors", "declare the cursor NO SCROLL and fetch forward"));
            }
            let inner = translate_statement(Statement::Query(query.clone()), target)?;
            if !matches!(inner.action, Action::Execute { returns_rows: true, .. }) {
                return Err(refuse(
                    "a cursor over the gateway's own answers (catalog or session functions)",
                    "run the query without a cursor",
                ));
            }
            let (param_count, param_types, param_probe, read_only) =
                (inner.param_count, inner.param_types.clone(), inner.param_probe.clone(), inner.read_only);
            let declare = DeclareCursor {
                name: folded(name),
                statement: stmt.to_string(),
                hold: d.hold == Some(true),
                binary: d.binary == Some(true),
                query: inner,
            };
            let mut t = bare(Action::Declare(Box::new(declare)), "DECLARE CURSOR");
            // Parameters of the query are the DECLARE's (psycopg binds them).
            (t.param_count, t.param_types, t.param_probe, t.read_only) =
                (param_count, param_types, param_probe, read_only);
            t
        }
        Statement::Close { cursor: CloseCursor::All } => bare(Action::CloseCursor(None), "CLOSE CURSOR ALL"),
        Statement::Close { cursor: CloseCursor::Specific { name } } => {
            bare(Action::CloseCursor(Some(folded(name))), "CLOSE CURSOR")
        }
        Statement::Prepare { name, data_types, statement } => {
            if !matches!(
                **statement,
                Statement::Query(_) | Statement::Insert(_) | Statement::Update(_) | Statement::Delete(_)
            ) {
                return Err(PgError::new(
                    sqlstate::SYNTAX_ERROR,
                    "syntax error: PREPARE takes SELECT, VALUES, INSERT, UPDATE or DELETE",
                ));
            }
            let param_types = data_types
                .iter()
                .map(|dt| {
                    types::by_name(&dt.to_string()).map(|t| t.oid).ok_or_else(|| {
                        PgError::new(sqlstate::UNDEFINED_OBJECT, format!("type \"{dt}\" does not exist"))
                    })
                })
                .collect::<PgResult<Vec<_>>>()?;
            let text = statement.to_string();
            let inner = translate_statement((**statement).clone(), target)?;
            bare(
                Action::Prepare(Box::new(PrepareStatement { name: folded(name), param_types, statement: inner, text })),
                "PREPARE",
            )
        }
        Statement::Execute { name: Some(name), parameters, immediate: false, into, using, .. }
            if into.is_empty() && using.is_empty() =>
        {
            let [part] = name.0.as_slice() else {
                return Err(PgError::new(sqlstate::SYNTAX_ERROR, format!("syntax error at or near \"{name}\"")));
            };
            let ident = part.as_ident().cloned().unwrap_or_else(|| Ident::new(part.to_string()));
            let args = parameters.iter().map(constant).collect::<PgResult<Vec<_>>>()?;
            bare(Action::ExecutePrepared { name: folded(&ident), args }, "EXECUTE")
        }
        _ => return Ok(None),
    }))
}

/// An EXECUTE argument in text form (None: NULL). PostgreSQL takes any expression; the
/// gateway takes constants, which is what clients interpolate.
fn constant(e: &Expr) -> PgResult<Option<String>> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::Null => Ok(None),
            Value::Number(n, _) => Ok(Some(n.clone())),
            Value::Boolean(b) => Ok(Some(b.to_string())),
            Value::SingleQuotedString(s)
            | Value::EscapedStringLiteral(s)
            | Value::DollarQuotedString(ast::DollarQuotedString { value: s, .. }) => Ok(Some(s.clone())),
            _ => Err(not_constant(e)),
        },
        Expr::UnaryOp { op: UnaryOperator::Minus, expr } => match constant(expr)? {
            Some(v) if !v.starts_with('-') => Ok(Some(format!("-{v}"))),
            _ => Err(not_constant(e)),
        },
        Expr::UnaryOp { op: UnaryOperator::Plus, expr } => constant(expr),
        // The value is converted to the parameter's type anyway.
        Expr::Cast { expr, .. } | Expr::Nested(expr) => constant(expr),
        _ => Err(not_constant(e)),
    }
}

fn not_constant(e: &Expr) -> PgError {
    refuse(&format!("EXECUTE argument `{e}` (an expression)"), "pass constants (literals) as arguments")
}

/// Does the statement at the parser's position start with FETCH or MOVE?
pub fn at_fetch(p: &Parser<'_>) -> bool {
    matches!(&p.peek_token_ref().token, Token::Word(w) if w.value.eq_ignore_ascii_case("fetch") || w.value.eq_ignore_ascii_case("move"))
}

/// Parse `FETCH | MOVE [direction] [FROM | IN] name` (the parser at FETCH / MOVE).
pub fn parse_fetch(p: &mut Parser<'_>) -> Result<FetchCursor, ParserError> {
    let skip = matches!(&p.next_token().token, Token::Word(w) if w.value.eq_ignore_ascii_case("move"));
    let word = |p: &Parser<'_>| match &p.peek_token_ref().token {
        Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
        _ => None,
    };
    // A count: n, -n, +n.
    let count = |p: &mut Parser<'_>| -> Result<Option<i64>, ParserError> {
        let negative = match p.peek_token_ref().token {
            Token::Minus => true,
            Token::Plus => false,
            Token::Number(..) => return number(p).map(Some),
            _ => return Ok(None),
        };
        p.next_token();
        let n = number(p)?;
        Ok(Some(if negative { -n } else { n }))
    };
    let forward = |n: i64| match n {
        n if n < 0 => FetchDirection::NotForward,
        n => FetchDirection::Forward(Some(n as u64)),
    };
    let direction = match word(p).as_deref() {
        Some("NEXT") => {
            p.next_token();
            FetchDirection::Forward(Some(1))
        }
        Some("ALL") => {
            p.next_token();
            FetchDirection::Forward(None)
        }
        Some("FORWARD") => {
            p.next_token();
            if word(p).as_deref() == Some("ALL") {
                p.next_token();
                FetchDirection::Forward(None)
            } else {
                count(p)?.map_or(FetchDirection::Forward(Some(1)), forward)
            }
        }
        Some("BACKWARD" | "PRIOR" | "FIRST" | "LAST" | "ABSOLUTE" | "RELATIVE") => {
            p.next_token();
            if word(p).as_deref() == Some("ALL") {
                p.next_token();
            } else {
                count(p)?;
            }
            FetchDirection::NotForward
        }
        _ => count(p)?.map_or(FetchDirection::Forward(Some(1)), forward),
    };
    if matches!(word(p).as_deref(), Some("FROM" | "IN")) {
        p.next_token();
    }
    let name = p.parse_identifier()?;
    Ok(FetchCursor { name: folded(&name), direction, skip })
}

fn number(p: &mut Parser<'_>) -> Result<i64, ParserError> {
    match p.next_token().token {
        Token::Number(n, _) => n.parse().map_err(|_| ParserError::ParserError(format!("invalid row count {n}"))),
        other => Err(ParserError::ParserError(format!("syntax error at or near \"{other}\""))),
    }
}

pub fn translate_fetch(f: FetchCursor) -> Translated {
    let tag = if f.skip { "MOVE" } else { "FETCH" };
    bare(Action::Fetch(f), tag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::translate::translate;

    fn action(sql: &str) -> Action {
        translate(sql, &Target::Sqlite).unwrap().remove(0).action
    }

    fn fetch(sql: &str) -> (String, FetchDirection, bool) {
        match action(sql) {
            Action::Fetch(f) => (f.name, f.direction, f.skip),
            other => panic!("{sql}: {other:?}"),
        }
    }

    #[test]
    fn fetch_and_move_forms() {
        use FetchDirection::*;
        assert_eq!(fetch("FETCH c"), ("c".into(), Forward(Some(1)), false));
        assert_eq!(fetch("fetch 5 C"), ("c".into(), Forward(Some(5)), false));
        assert_eq!(fetch("FETCH NEXT FROM c"), ("c".into(), Forward(Some(1)), false));
        assert_eq!(fetch("FETCH FORWARD 3 IN \"Cur\""), ("Cur".into(), Forward(Some(3)), false));
        assert_eq!(fetch("FETCH FORWARD FROM c"), ("c".into(), Forward(Some(1)), false));
        assert_eq!(fetch("FETCH ALL c"), ("c".into(), Forward(None), false));
        assert_eq!(fetch("MOVE FORWARD ALL IN c"), ("c".into(), Forward(None), true));
        assert_eq!(fetch("MOVE -1 FROM c"), ("c".into(), NotForward, true));
        assert_eq!(fetch("FETCH BACKWARD ALL FROM c"), ("c".into(), NotForward, false));
        assert_eq!(fetch("FETCH ABSOLUTE 3 FROM c"), ("c".into(), NotForward, false));
        assert!(translate("FETCH 1 FROM", &Target::Sqlite).is_err());
    }

    #[test]
    fn declare_translates_its_query() {
        let Action::Declare(d) = action("DECLARE c BINARY NO SCROLL CURSOR WITH HOLD FOR SELECT a FROM t LIMIT $1")
        else {
            panic!()
        };
        assert_eq!((d.name.as_str(), d.hold, d.binary), ("c", true, true));
        assert!(matches!(d.query.action, Action::Execute { returns_rows: true, .. }));
        assert_eq!(translate("DECLARE c CURSOR FOR SELECT $1::int", &Target::Sqlite).unwrap()[0].param_count, 1);
        assert!(translate("DECLARE c SCROLL CURSOR FOR SELECT 1", &Target::Sqlite).is_err());
    }

    #[test]
    fn prepare_and_execute() {
        let Action::Prepare(p) = action("PREPARE Ins (int, text) AS INSERT INTO t VALUES ($1, $2)") else { panic!() };
        assert_eq!((p.name.as_str(), p.param_types.as_slice()), ("ins", [types::INT4.oid, types::TEXT.oid].as_slice()));
        assert_eq!(translate("PREPARE p AS SELECT $1", &Target::Sqlite).unwrap()[0].param_count, 0);
        assert_eq!(
            action("EXECUTE ins (-1, 'it''s', NULL, 2.5::numeric, true)"),
            Action::ExecutePrepared {
                name: "ins".into(),
                args: vec![Some("-1".into()), Some("it's".into()), None, Some("2.5".into()), Some("true".into())],
            }
        );
        assert_eq!(translate("EXECUTE p (1 + 1)", &Target::Sqlite).unwrap_err().code, sqlstate::FEATURE_NOT_SUPPORTED);
        assert_eq!(
            translate("PREPARE p (nosuchtype) AS SELECT 1", &Target::Sqlite).unwrap_err().code,
            sqlstate::UNDEFINED_OBJECT
        );
    }
}
