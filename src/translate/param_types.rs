//! Parameter types for `$n` markers the client left unspecified (type 0 at Parse).
//!
//! Drivers such as asyncpg encode arguments by the types in ParameterDescription,
//! so `WHERE id = $1` must report id's type. A marker takes its type from
//! its context: a cast, a literal on the other side of an operator, LIMIT/OFFSET,
//! or a column (compared with it, assigned to it, inserted into it). Column
//! contexts are resolved by describing a *probe*: `SELECT <those columns> FROM
//! <the statement's tables>`, which every backend can describe without running.

use std::ops::ControlFlow;

use sqlparser::ast::{self, Expr, SetExpr, Statement, Visit, Visitor};

use super::projection::expr_type;
use crate::types::{self, Oid};

/// A SELECT whose columns give the types of some parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamProbe {
    /// PostgreSQL SQL of the probe (translated for the target before use).
    pub sql: String,
    /// (0-based parameter index, probe column index).
    pub columns: Vec<(usize, usize)>,
    /// The parameters stored into their column (INSERT values, UPDATE SET), which must be
    /// assignable to its type: a text parameter into an integer column is 42804.
    pub assigned: Vec<usize>,
}

/// Known parameter types (index = n - 1) and a probe for the column contexts.
pub fn infer(stmt: &Statement) -> (Vec<Option<Oid>>, Option<ParamProbe>) {
    let mut c = Collector::default();
    let _ = stmt.visit(&mut c);
    let first_assignment = c.column_contexts.len();
    statement_contexts(stmt, &mut c);
    let assigned = c.column_contexts[first_assignment..].iter().map(|(i, _)| *i).collect();
    let probe = probe_for(stmt, &c.column_contexts).map(|p| ParamProbe { assigned, ..p });
    (c.known, probe)
}

#[derive(Default)]
struct Collector {
    known: Vec<Option<Oid>>,
    /// (parameter index, column expression)
    column_contexts: Vec<(usize, Expr)>,
}

/// 0-based index of a `$n` marker, looking through parentheses.
fn placeholder(e: &Expr) -> Option<usize> {
    match e {
        Expr::Nested(inner) => placeholder(inner),
        _ => super::ast_util::placeholder(e).filter(|n| *n >= 1).map(|n| n - 1),
    }
}

fn is_column(e: &Expr) -> bool {
    matches!(e, Expr::Identifier(_) | Expr::CompoundIdentifier(_))
}

impl Collector {
    fn set_known(&mut self, idx: usize, oid: Oid) {
        if self.known.len() <= idx {
            self.known.resize(idx + 1, None);
        }
        if self.known[idx].is_none() {
            self.known[idx] = Some(oid);
        }
    }

    /// `idx` is used where `other` is: take `other`'s type.
    fn context(&mut self, idx: usize, other: &Expr) {
        if is_column(other) {
            self.column_contexts.push((idx, other.clone()));
        } else if let Some(oid) = expr_type(other) {
            self.set_known(idx, oid);
        }
    }
}

impl Visitor for Collector {
    type Break = ();

    fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
        match e {
            Expr::Cast { expr, data_type, .. } => {
                if let (Some(i), Some(t)) = (placeholder(expr), types::by_name(&data_type.to_string())) {
                    self.set_known(i, t.oid);
                }
            }
            // json -> key / ->> key: an unknown key is text, as PostgreSQL resolves it;
            // #> / #>> take a text[] path, never the document's type.
            Expr::BinaryOp { op: ast::BinaryOperator::Arrow | ast::BinaryOperator::LongArrow, right, .. } => {
                if let Some(i) = placeholder(right) {
                    self.set_known(i, types::TEXT.oid);
                }
            }
            Expr::BinaryOp { op: ast::BinaryOperator::HashArrow | ast::BinaryOperator::HashLongArrow, .. } => {}
            Expr::BinaryOp { left, right, .. } => {
                if let Some(i) = placeholder(left) {
                    self.context(i, right);
                }
                if let Some(i) = placeholder(right) {
                    self.context(i, left);
                }
            }
            Expr::Between { expr, low, high, .. } => {
                for bound in [low, high] {
                    if let Some(i) = placeholder(bound) {
                        self.context(i, expr);
                    }
                }
            }
            Expr::In { expr, target: ast::InTarget::List(list), .. } => {
                for item in list {
                    if let Some(i) = placeholder(item) {
                        self.context(i, expr);
                    }
                }
            }
            // generate_series(start, stop[, step]): one type for start and stop, as
            // PostgreSQL resolves the call (`generate_series(1, $1)`: $1 is int4).
            Expr::Function(f) if super::ast_util::func_name(f).as_deref() == Some("generate_series") => {
                let args = super::ast_util::plain_args(f).unwrap_or_default();
                let bounds = &args[..args.len().min(2)];
                if let Some(known) = bounds.iter().find(|a| placeholder(a).is_none()) {
                    for i in bounds.iter().filter_map(placeholder) {
                        self.context(i, known);
                    }
                }
            }
            Expr::Like { pattern, .. } | Expr::ILike { pattern, .. } => {
                if let Some(i) = placeholder(pattern) {
                    self.set_known(i, types::TEXT.oid);
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_query(&mut self, q: &ast::Query) -> ControlFlow<()> {
        if let Some(ast::LimitClause::LimitOffset { limit, offset, .. }) = &q.limit_clause {
            let exprs = limit.iter().chain(offset.as_ref().map(|o| &o.value));
            for e in exprs {
                if let Some(i) = placeholder(e) {
                    self.set_known(i, types::INT8.oid);
                }
            }
        }
        ControlFlow::Continue(())
    }
}

/// INSERT values and UPDATE assignments: the parameter takes the target column's type.
fn statement_contexts(stmt: &Statement, c: &mut Collector) {
    match stmt {
        Statement::Insert(ins) => {
            let Some(source) = &ins.source else { return };
            let SetExpr::Values(values) = source.body.as_ref() else { return };
            for row in &values.rows {
                for (pos, e) in row.iter().enumerate() {
                    let Some(i) = placeholder(e) else { continue };
                    let column = match ins.columns.get(pos) {
                        Some(name) => Expr::Identifier(
                            name.0
                                .last()
                                .and_then(|p| p.as_ident())
                                .cloned()
                                .unwrap_or_else(|| ast::Ident::new(name.to_string())),
                        ),
                        // No column list: the table's pos-th column, probed with `*`.
                        None if ins.columns.is_empty() => {
                            Expr::Value(ast::Value::Number(format!("#{pos}"), false).into())
                        }
                        None => continue,
                    };
                    c.column_contexts.push((i, column));
                }
            }
            assignments(
                ins.on.as_ref().and_then(|on| match on {
                    ast::OnInsert::OnConflict(oc) => match &oc.action {
                        ast::OnConflictAction::DoUpdate(u) => Some(u.assignments.as_slice()),
                        _ => None,
                    },
                    _ => None,
                }),
                c,
            );
        }
        Statement::Update(u) => assignments(Some(&u.assignments), c),
        _ => {}
    }
}

fn assignments(list: Option<&[ast::Assignment]>, c: &mut Collector) {
    for a in list.unwrap_or_default() {
        if let (Some(i), ast::AssignmentTarget::ColumnName(name)) = (placeholder(&a.value), &a.target) {
            if let Some(ident) = name.0.last().and_then(|p| p.as_ident()) {
                c.column_contexts.push((i, Expr::Identifier(ident.clone())));
            }
        }
    }
}

/// `SELECT <refs> FROM <the statement's tables>`: the types of column references.
/// `columns` pairs each reference's position with itself (no parameter involved).
pub fn column_probe(stmt: &Statement, refs: &[Expr]) -> Option<ParamProbe> {
    let contexts: Vec<(usize, Expr)> = refs.iter().cloned().enumerate().collect();
    probe_for(stmt, &contexts)
}

/// `SELECT <returning list> FROM <table> LIMIT 0`: describes the rows of
/// `INSERT/UPDATE/DELETE .. RETURNING` without running the statement.
pub fn returning_probe(stmt: &Statement) -> Option<String> {
    let (returning, table) = match stmt {
        Statement::Insert(i) => (i.returning.as_ref()?, i.table.to_string()),
        Statement::Update(u) => (u.returning.as_ref()?, u.table.relation.to_string()),
        Statement::Delete(d) => (
            d.returning.as_ref()?,
            match &d.from {
                ast::FromTable::WithFromKeyword(t) | ast::FromTable::WithoutKeyword(t) => {
                    t.first()?.relation.to_string()
                }
            },
        ),
        _ => return None,
    };
    let items: Vec<String> = returning.iter().map(|i| i.to_string()).collect();
    Some(format!("SELECT {} FROM {table} LIMIT 0", items.join(", ")))
}

/// `SELECT <contexts> FROM <the statement's tables>`.
fn probe_for(stmt: &Statement, contexts: &[(usize, Expr)]) -> Option<ParamProbe> {
    if contexts.is_empty() {
        return None;
    }
    let from = match stmt {
        Statement::Query(q) => match q.body.as_ref() {
            SetExpr::Select(s) if !s.from.is_empty() => join(&s.from),
            _ => return None,
        },
        Statement::Update(u) => {
            let mut tables = vec![u.table.to_string()];
            if let Some(ast::UpdateTableFromKind::AfterSet(f) | ast::UpdateTableFromKind::BeforeSet(f)) = &u.from {
                tables.push(join(f));
            }
            tables.join(", ")
        }
        Statement::Delete(d) => match &d.from {
            ast::FromTable::WithFromKeyword(t) | ast::FromTable::WithoutKeyword(t) => join(t),
        },
        Statement::Insert(ins) => ins.table.to_string(),
        _ => return None,
    };
    // Positional INSERT contexts (`#n`) select every column and pick by position.
    let positional = contexts.iter().any(|(_, e)| matches!(e, Expr::Value(v) if v.to_string().starts_with('#')));
    if positional {
        let columns = contexts
            .iter()
            .filter_map(|(i, e)| e.to_string().strip_prefix('#').and_then(|p| p.parse().ok()).map(|p| (*i, p)))
            .collect();
        return Some(ParamProbe { sql: format!("SELECT * FROM {from} LIMIT 0"), columns, assigned: Vec::new() });
    }
    let select: Vec<String> = contexts.iter().map(|(_, e)| e.to_string()).collect();
    Some(ParamProbe {
        sql: format!("SELECT {} FROM {from} LIMIT 0", select.join(", ")),
        columns: contexts.iter().enumerate().map(|(pos, (i, _))| (*i, pos)).collect(),
        assigned: Vec::new(),
    })
}

fn join(tables: &[ast::TableWithJoins]) -> String {
    tables.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::parser::Parser;

    fn run(sql: &str) -> (Vec<Option<Oid>>, Option<ParamProbe>) {
        infer(&Parser::parse_sql(&PostgreSqlDialect {}, sql).unwrap().remove(0))
    }

    #[test]
    fn literal_cast_and_limit_contexts() {
        let (known, probe) = run("select * from t where $1::int4 > 0 and 5 = $2 limit $3");
        assert_eq!(known, vec![Some(23), Some(23), Some(20)]);
        assert_eq!(probe, None);
    }

    #[test]
    fn column_contexts_become_a_probe() {
        let (_, probe) = run("select a from t join u on t.id = u.tid where t.x = $1 and $2 < u.y");
        let probe = probe.unwrap();
        assert_eq!(probe.sql, "SELECT t.x, u.y FROM t JOIN u ON t.id = u.tid LIMIT 0");
        assert_eq!(probe.columns, vec![(0, 0), (1, 1)]);
    }

    #[test]
    fn insert_and_update_targets() {
        let (_, probe) = run("insert into t (a, b) values ($1, $2)");
        assert_eq!(probe.unwrap().sql, "SELECT a, b FROM t LIMIT 0");
        let (_, probe) = run("insert into t values ($1, 'x', $2)");
        let probe = probe.unwrap();
        assert_eq!(probe.sql, "SELECT * FROM t LIMIT 0");
        assert_eq!(probe.columns, vec![(0, 0), (1, 2)]);
        let (_, probe) = run("update t set a = $1 where id = $2");
        assert_eq!(probe.unwrap().sql, "SELECT id, a FROM t LIMIT 0");
    }
}
