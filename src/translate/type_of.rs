//! pg_typeof(expr), answered from the gateway's own type inference (`projection`), not
//! by a backend (neither has the function, and neither knows PostgreSQL's types).
//!
//! A call becomes a parameter marker numbered after the client's own (`$n+1`, ..), and
//! the session binds it per execution, when parameter types are known
//! (session/type_of.rs): the type's OID, which the result column (typed regtype) prints
//! as its name, or under `::text` the name itself. Beside a call, `'integer'::regtype`
//! and regtype parameters are OIDs too, so such statements run on the backend.

use std::ops::ControlFlow;

use sqlparser::ast::{BinaryOperator, Expr, Statement, Value, VisitMut, VisitorMut};

use super::ast_util::{func_name, num, string_literal};
use super::pgtype::{kind, PgKind};
use crate::error::{sqlstate, PgError, PgResult};

/// One pg_typeof call the session answers.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeofArg {
    /// The argument, as the client wrote it (its type is what the call returns).
    pub expr: Expr,
    /// Bind the type's name (a cast of the call to text), else its OID.
    pub as_name: bool,
}

/// Replace every pg_typeof call in `stmt` with the marker `$(after + k)`; the calls'
/// arguments in marker order.
pub fn take(stmt: &mut Statement, after: usize) -> PgResult<Vec<TypeofArg>> {
    struct V {
        after: usize,
        args: Vec<TypeofArg>,
        error: Option<PgError>,
    }
    impl VisitorMut for V {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
            if let Expr::BinaryOp { left, op: BinaryOperator::Eq | BinaryOperator::NotEq, right } = e {
                // Which side is the literal compared with a pg_typeof call, and its name.
                let literal = match (typeof_arg(left).is_some(), typeof_arg(right).is_some()) {
                    (true, false) => string_literal(right).map(|n| (n.to_owned(), true)),
                    (false, true) => string_literal(left).map(|n| (n.to_owned(), false)),
                    _ => None,
                };
                if let Some((text, on_right)) = literal {
                    // PostgreSQL resolves `regtype = unknown` to oid's `=`: the literal is
                    // read by oid's input ('23'), a type name there is 22P02.
                    let Some(oid) = text.trim().parse::<u32>().ok() else {
                        self.error = Some(PgError::new(
                            sqlstate::INVALID_TEXT_REPRESENTATION,
                            format!("invalid input syntax for type oid: \"{text}\""),
                        ));
                        return ControlFlow::Break(());
                    };
                    *(if on_right { right } else { left }) = Box::new(num(oid));
                }
            }
            // Beside a call, a regtype parameter is already its OID (the parameter's input
            // reads the name) and a literal is read here, so the statement stays on the backend.
            if let Expr::Cast { expr, data_type, .. } = &*e {
                if matches!(kind(data_type), PgKind::Other(ref n) if n == "regtype") {
                    if matches!(&**expr, Expr::Value(v) if matches!(v.value, Value::Placeholder(_))) {
                        *e = (**expr).clone();
                        return ControlFlow::Continue(());
                    }
                    if let Some(name) = string_literal(expr).map(str::to_owned) {
                        match crate::types::regtype_input(&name) {
                            Some(t) => *e = num(t.oid),
                            None => {
                                self.error = Some(PgError::new(
                                    sqlstate::UNDEFINED_OBJECT,
                                    format!("type \"{name}\" does not exist"),
                                ));
                                return ControlFlow::Break(());
                            }
                        }
                        return ControlFlow::Continue(());
                    }
                }
            }
            let (arg, as_name) = match &*e {
                Expr::Cast { expr, data_type, .. } if typeof_arg(expr).is_some() => match kind(data_type) {
                    PgKind::Text | PgKind::Varchar(None) => (typeof_arg(expr), true),
                    PgKind::Other(n) if n == "name" => (typeof_arg(expr), true),
                    PgKind::Other(n) if n == "regtype" || n == "oid" => (typeof_arg(expr), false),
                    _ => return ControlFlow::Continue(()),
                },
                other => (typeof_arg(other), false),
            };
            if let Some(arg) = arg.cloned() {
                self.args.push(TypeofArg { expr: arg, as_name });
                let marker = format!("${}", self.after + self.args.len());
                *e = Expr::Value(Value::Placeholder(marker).into());
            }
            ControlFlow::Continue(())
        }
    }
    struct Any(bool);
    impl sqlparser::ast::Visitor for Any {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            self.0 |= typeof_arg(e).is_some();
            ControlFlow::Continue(())
        }
    }
    let mut any = Any(false);
    let _ = sqlparser::ast::Visit::visit(&*stmt, &mut any);
    if !any.0 {
        return Ok(Vec::new());
    }
    let mut v = V { after, args: Vec::new(), error: None };
    let _ = stmt.visit(&mut v);
    match v.error {
        Some(e) => Err(e),
        None => Ok(v.args),
    }
}

/// The argument of `pg_typeof(arg)`.
fn typeof_arg(e: &Expr) -> Option<&Expr> {
    let Expr::Function(f) = e else { return None };
    if func_name(f).as_deref() != Some("pg_typeof") {
        return None;
    }
    match super::projection::args(f).as_slice() {
        [arg] => Some(*arg),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::parser::Parser;

    fn rewrite(sql: &str, after: usize) -> (String, Vec<TypeofArg>) {
        let mut stmt = Parser::parse_sql(&PostgreSqlDialect {}, sql).unwrap().remove(0);
        let args = take(&mut stmt, after).unwrap();
        (stmt.to_string(), args)
    }

    #[test]
    fn calls_become_markers_after_the_clients() {
        let (sql, args) = rewrite("SELECT pg_typeof($1)::regtype = $2::regtype, pg_typeof(1.5)::text, $1", 2);
        assert_eq!(sql, "SELECT $3 = $2, $4, $1");
        let (sql, _) = rewrite("SELECT pg_typeof($1) = 'text'::regtype", 1);
        assert_eq!(sql, "SELECT $2 = 25");
        let (sql, _) = rewrite("SELECT 'text'::regtype", 0);
        assert_eq!(sql, "SELECT 'text'::regtype");
        assert_eq!(args.len(), 2);
        assert!(!args[0].as_name && args[1].as_name);
        let (sql, _) = rewrite("SELECT pg_typeof(a) = '23', 'integer'::regtype <> pg_typeof(b) FROM t", 0);
        assert_eq!(sql, "SELECT $1 = 23, 23 <> $2 FROM t");
        let mut stmt = Parser::parse_sql(&PostgreSqlDialect {}, "SELECT pg_typeof(1) = 'integer'").unwrap().remove(0);
        assert_eq!(take(&mut stmt, 0).unwrap_err().code, "22P02");
        let mut stmt =
            Parser::parse_sql(&PostgreSqlDialect {}, "SELECT pg_typeof(1) = 'nosuch'::regtype").unwrap().remove(0);
        assert_eq!(take(&mut stmt, 0).unwrap_err().code, "42704");
    }
}
