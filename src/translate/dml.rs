//! INSERT/UPDATE/DELETE extensions IRIS lacks: multi-row VALUES, RETURNING, ON CONFLICT.
//!
//! Each emulation is a short statement sequence the session runs in one transaction;
//! what cannot be reproduced exactly is refused with 0A000.

use sqlparser::ast::{
    self, ConflictTarget, Expr, Insert, OnConflictAction, OnInsert, SetExpr, Statement, VisitMut, VisitorMut,
};

use super::ast_util::*;
use super::{IrisOptions, Output, RowCount};
use crate::error::PgResult;

fn table_name(ins: &Insert) -> PgResult<ast::ObjectName> {
    match &ins.table {
        ast::TableObject::TableName(n) => {
            let mut n = n.clone();
            strip_public(&mut n);
            Ok(n)
        }
        _ => Err(refuse("INSERT INTO a table function", "insert into a table")),
    }
}

/// The VALUES rows of a plain `INSERT .. VALUES`, or None for `INSERT .. SELECT`.
pub fn value_rows(ins: &Insert) -> Option<Vec<Vec<Expr>>> {
    let src = ins.source.as_ref()?;
    if src.with.is_some() || src.order_by.is_some() || src.limit_clause.is_some() {
        return None;
    }
    match src.body.as_ref() {
        SetExpr::Values(v) => Some(v.rows.iter().map(|r| r.content.clone()).collect()),
        _ => None,
    }
}

/// The DEFAULT keyword as a VALUES item.
pub fn is_default(e: &Expr) -> bool {
    matches!(e, Expr::Identifier(i) if i.quote_style.is_none() && i.value.eq_ignore_ascii_case("default"))
}

/// An INSERT of one VALUES row. IRIS documents `DEFAULT VALUES` and column defaults, not
/// the DEFAULT keyword inside VALUES: a DEFAULT item leaves its column out of the list
/// (all of them: `INSERT INTO t DEFAULT VALUES`).
pub fn one_row(ins: &Insert, row: Vec<Expr>) -> PgResult<Insert> {
    let mut one = ins.clone();
    let defaults: Vec<bool> = row.iter().map(is_default).collect();
    let mut row = row;
    if defaults.contains(&true) {
        if ins.columns.len() != row.len() {
            return Err(refuse(
                "DEFAULT in VALUES without a column list",
                "list the inserted columns: INSERT INTO t (a, b) VALUES (DEFAULT, ..)",
            ));
        }
        one.columns = ins.columns.iter().zip(&defaults).filter(|(_, d)| !**d).map(|(c, _)| c.clone()).collect();
        row = row.into_iter().zip(&defaults).filter(|(_, d)| !**d).map(|(e, _)| e).collect();
        if row.is_empty() {
            one.source = None;
            return Ok(one);
        }
    }
    if let Some(src) = &mut one.source {
        if let SetExpr::Values(v) = src.body.as_mut() {
            v.rows.truncate(1);
            if let Some(first) = v.rows.first_mut() {
                first.content = row;
            }
        }
    }
    Ok(one)
}

/// One INSERT per VALUES row (IRIS has no multi-row VALUES).
pub fn per_row(ins: &Insert, rows: Vec<Vec<Expr>>) -> PgResult<Vec<String>> {
    rows.into_iter().map(|r| Ok(Statement::Insert(one_row(ins, r)?).to_string())).collect()
}

/// A value stored into a column whose text IRIS would keep as it is: a parameter or literal
/// into a vector column becomes `TO_VECTOR(x, DOUBLE)`, a bytea hex literal (`'\x0102'`) its
/// bytes (as `::bytea` does, functions.rs). Columns the gateway does not know are left alone.
fn stored_value(table: &str, column: &str, e: &mut Expr, opts: &IrisOptions) -> PgResult<()> {
    match opts.columns.column_type(table, column) {
        Some(t) if t.starts_with("vector") => super::vectors::stored_value(e),
        Some("bytea") if matches!(e, Expr::Value(v) if matches!(&v.value, ast::Value::SingleQuotedString(s) if s.starts_with("\\x"))) =>
        {
            *e = super::functions::cast_to(take(e), &ast::DataType::Bytea, opts)?;
        }
        _ => {}
    }
    Ok(())
}

/// `stored_value` for each VALUES item, by the column list or (without one) the table's
/// columns in order.
fn stored_values(ins: &mut Insert, opts: &IrisOptions) -> PgResult<()> {
    let ast::TableObject::TableName(n) = &ins.table else { return Ok(()) };
    let table = last_name(n);
    let names: Vec<String> = if ins.columns.is_empty() {
        opts.columns.column_names(&table)
    } else {
        ins.columns.iter().map(last_name).collect()
    };
    if let Some(SetExpr::Values(v)) = ins.source.as_deref_mut().map(|q| q.body.as_mut()) {
        for row in &mut v.rows {
            for (e, col) in row.content.iter_mut().zip(&names) {
                stored_value(&table, col, e, opts)?;
            }
        }
    }
    Ok(())
}

fn last_name(n: &ast::ObjectName) -> String {
    n.0.last().and_then(|p| p.as_ident()).map(|i| i.value.clone()).unwrap_or_else(|| n.to_string())
}

/// How a target names the row id and the id of the row just inserted.
pub struct RowIds {
    pub row_id: &'static str,
    pub last: &'static str,
}

/// IRIS: the RowID (which an IDENTITY column is) and LAST_IDENTITY().
pub const IRIS_IDS: RowIds = RowIds { row_id: "%ID", last: "LAST_IDENTITY()" };

/// `INSERT .. VALUES (..), (..) RETURNING items` one row at a time: each INSERT, the id
/// of each row but the last captured right after it, then one SELECT of the RETURNING
/// items of those rows, in VALUES order (ids grow with each insert). The session runs the
/// statements in one transaction: a failing row leaves none of them.
pub fn returning_rows(ins: &Insert, rows: Vec<Vec<Expr>>, items: &[ast::SelectItem], ids: &RowIds) -> PgResult<Output> {
    let table = table_name(ins)?;
    let list = items.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ");
    let n = rows.len();
    let mut statements = Vec::with_capacity(2 * n);
    let mut captures = Vec::new();
    for (k, stmt) in per_row(ins, rows)?.into_iter().enumerate() {
        statements.push(stmt);
        if k + 1 < n {
            captures.push(statements.len());
            statements.push(format!("SELECT {}", ids.last));
        }
    }
    let (row_id, last) = (ids.row_id, ids.last);
    statements.push(if n == 1 {
        format!("SELECT {list} FROM {table} WHERE {row_id} = {last}")
    } else {
        let ids = (0..n - 1).map(|k| format!("$c{k}")).collect::<Vec<_>>().join(", ");
        format!("SELECT {list} FROM {table} WHERE {row_id} IN ({ids}, {last}) ORDER BY {row_id}")
    });
    Ok(Output { statements, returns_rows: true, rowcount: RowCount::Last, captures })
}

pub fn insert(mut ins: Insert, opts: &IrisOptions) -> PgResult<Output> {
    if ins.overriding.is_some() {
        return Err(refuse("INSERT .. OVERRIDING", "insert the identity value directly"));
    }
    if let ast::TableObject::TableName(n) = &mut ins.table {
        strip_public(n);
    }
    if !opts.columns.is_empty() {
        stored_values(&mut ins, opts)?;
    }
    let rows = value_rows(&ins);
    let on = ins.on.take();
    let returning = ins.returning.take();
    let has_default = rows.as_ref().is_some_and(|rs| rs.iter().flatten().any(is_default));
    match (on, returning) {
        (Some(_), Some(_)) => Err(refuse("INSERT .. ON CONFLICT .. RETURNING", "run the upsert, then SELECT the row")),
        (None, None) => match rows {
            Some(rows) if rows.len() > 1 || has_default => Ok(Output {
                statements: per_row(&ins, rows)?,
                returns_rows: false,
                rowcount: RowCount::Sum,
                captures: vec![],
            }),
            _ => Ok(Output::one(Statement::Insert(ins).to_string(), false)),
        },
        (None, Some(items)) => {
            let Some(rows) = rows else {
                return Err(refuse(
                    "RETURNING on an INSERT of a SELECT",
                    "insert VALUES rows, or SELECT the new rows afterwards in the same transaction",
                ));
            };
            returning_rows(&ins, rows, &items, &IRIS_IDS)
        }
        (Some(OnInsert::OnConflict(_)), None) if has_default => {
            Err(refuse("DEFAULT in VALUES with ON CONFLICT", "leave the defaulted columns out of the column list"))
        }
        (Some(OnInsert::OnConflict(oc)), None) => on_conflict(ins, rows, oc),
        (Some(_), None) => Err(refuse("ON DUPLICATE KEY UPDATE", "use ON CONFLICT (..) DO UPDATE")),
    }
}

fn on_conflict(ins: Insert, rows: Option<Vec<Vec<Expr>>>, oc: ast::OnConflict) -> PgResult<Output> {
    let keys = match &oc.conflict_target {
        Some(ConflictTarget::Columns { predicate: Some(_), .. }) => {
            return Err(refuse(
                "ON CONFLICT (..) WHERE (partial unique index)",
                "name the columns of a full unique index",
            ))
        }
        Some(ConflictTarget::Columns { columns, .. }) if !columns.is_empty() => columns.clone(),
        Some(ConflictTarget::OnConstraint(_)) => {
            return Err(refuse("ON CONFLICT ON CONSTRAINT", "name the conflict columns: ON CONFLICT (col, ..)"))
        }
        _ => {
            return Err(refuse(
                "ON CONFLICT without a conflict target",
                "name the unique columns: ON CONFLICT (col, ..) DO NOTHING",
            ))
        }
    };
    let Some(rows) = rows else {
        return Err(refuse("INSERT .. SELECT .. ON CONFLICT", "insert VALUES rows"));
    };
    if ins.columns.is_empty() {
        return Err(refuse("ON CONFLICT without an INSERT column list", "list the inserted columns"));
    }
    if ins.table_alias.is_some() {
        return Err(refuse("INSERT INTO .. AS alias .. ON CONFLICT", "drop the alias"));
    }
    let table = table_name(&ins)?;
    let cols: Vec<String> = ins
        .columns
        .iter()
        .map(|c| match c.0.last() {
            Some(ast::ObjectNamePart::Identifier(i)) => i.value.to_ascii_lowercase(),
            _ => c.to_string().to_ascii_lowercase(),
        })
        .collect();
    let col_list = ins.columns.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(", ");
    let key_pos = keys
        .iter()
        .map(|k| {
            cols.iter().position(|c| *c == k.value.to_ascii_lowercase()).ok_or_else(|| {
                refuse(
                    &format!("ON CONFLICT column {k} that is not inserted"),
                    "insert a value for every conflict column",
                )
            })
        })
        .collect::<PgResult<Vec<_>>>()?;
    let matches_row = |row: &[Expr]| {
        keys.iter().zip(&key_pos).map(|(k, &p)| format!("{k} = {}", row[p])).collect::<Vec<_>>().join(" AND ")
    };
    let insert_if_absent = |row: &[Expr]| {
        let values = row.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(", ");
        format!(
            "INSERT INTO {table} ({col_list}) SELECT {values} WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE {})",
            matches_row(row)
        )
    };
    match oc.action {
        OnConflictAction::DoNothing => Ok(Output {
            statements: rows.iter().map(|r| insert_if_absent(r)).collect(),
            returns_rows: false,
            rowcount: RowCount::Sum,
            captures: vec![],
        }),
        OnConflictAction::DoUpdate(du) => {
            if rows.len() != 1 {
                return Err(refuse("ON CONFLICT DO UPDATE with several VALUES rows", "upsert one row per statement"));
            }
            let row = &rows[0];
            if row.iter().any(|v| !repeatable(v)) {
                return Err(refuse(
                    "ON CONFLICT DO UPDATE with volatile values (functions, subqueries)",
                    "compute the values in the client and pass them as parameters",
                ));
            }
            let mut sets = Vec::new();
            for a in du.assignments {
                let target = a.target.to_string().trim_matches('"').to_ascii_lowercase();
                if keys.iter().any(|k| k.value.to_ascii_lowercase() == target) {
                    return Err(refuse(
                        "ON CONFLICT DO UPDATE that changes a conflict column",
                        "update the other columns only",
                    ));
                }
                let mut v = a.value;
                excluded(&mut v, &cols, row)?;
                sets.push(format!("{} = {v}", a.target));
            }
            let mut cond = matches_row(row);
            if let Some(mut w) = du.selection {
                excluded(&mut w, &cols, row)?;
                cond = format!("{cond} AND ({w})");
            }
            Ok(Output {
                statements: vec![format!("UPDATE {table} SET {} WHERE {cond}", sets.join(", ")), insert_if_absent(row)],
                returns_rows: false,
                rowcount: RowCount::Sum,
                captures: vec![],
            })
        }
    }
}

/// Values that give the same result when evaluated twice (no functions or subqueries).
fn repeatable(e: &Expr) -> bool {
    struct V(bool);
    impl sqlparser::ast::Visitor for V {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &Expr) -> std::ops::ControlFlow<()> {
            match e {
                Expr::Function(f)
                    if !matches!(f.name.to_string().as_str(), "TO_VECTOR" | "LOWER" | "UPPER" | "COALESCE") =>
                {
                    self.0 = false
                }
                Expr::Subquery(_) | Expr::Exists { .. } => self.0 = false,
                _ => {}
            }
            std::ops::ControlFlow::Continue(())
        }
    }
    let mut v = V(true);
    let _ = sqlparser::ast::Visit::visit(e, &mut v);
    v.0
}

/// Replace `EXCLUDED.col` by the value the row proposed for `col`.
fn excluded(e: &mut Expr, cols: &[String], row: &[Expr]) -> PgResult<()> {
    struct V<'a> {
        cols: &'a [String],
        row: &'a [Expr],
        missing: Option<String>,
    }
    impl VisitorMut for V<'_> {
        type Break = ();
        fn post_visit_expr(&mut self, e: &mut Expr) -> std::ops::ControlFlow<()> {
            if let Expr::CompoundIdentifier(parts) = e {
                if parts.len() == 2 && parts[0].value.eq_ignore_ascii_case("excluded") {
                    let col = parts[1].value.to_ascii_lowercase();
                    match self.cols.iter().position(|c| *c == col) {
                        Some(p) => *e = nested(self.row[p].clone()),
                        None => self.missing = Some(col),
                    }
                }
            }
            std::ops::ControlFlow::Continue(())
        }
    }
    let mut v = V { cols, row, missing: None };
    let _ = e.visit(&mut v);
    match v.missing {
        Some(c) => {
            Err(refuse(&format!("EXCLUDED.{c} for a column that is not inserted"), "insert a value for that column"))
        }
        None => Ok(()),
    }
}

pub fn update(mut u: ast::Update, opts: &IrisOptions) -> PgResult<Output> {
    if !opts.columns.is_empty() {
        if let ast::TableFactor::Table { name, .. } = &u.table.relation {
            let table = last_name(name);
            for a in &mut u.assignments {
                if let ast::AssignmentTarget::ColumnName(c) = &a.target {
                    stored_value(&table, &last_name(c), &mut a.value, opts)?;
                }
            }
        }
    }
    if u.returning.is_some() {
        return Err(refuse("UPDATE .. RETURNING", "SELECT the rows in the same transaction, then UPDATE them by key"));
    }
    Ok(Output::one(Statement::Update(u).to_string(), false))
}

pub fn delete(d: ast::Delete) -> PgResult<Output> {
    if d.returning.is_some() {
        return Err(refuse("DELETE .. RETURNING", "SELECT the rows in the same transaction, then DELETE them by key"));
    }
    if d.using.is_some() {
        return Err(refuse("DELETE .. USING", "use WHERE .. IN (SELECT ..)"));
    }
    Ok(Output::one(Statement::Delete(d).to_string(), false))
}
