//! INSERT/UPDATE/DELETE extensions IRIS lacks: multi-row VALUES, RETURNING, ON CONFLICT.
//!
//! Each emulation is a short statement sequence the session runs in one transaction;
//! what cannot be reproduced exactly is refused with 0A000.

use sqlparser::ast::{
    self, ConflictTarget, Expr, Insert, OnConflictAction, OnInsert, SetExpr, Statement, VisitMut, VisitorMut,
};

use super::ast_util::*;
use super::{Capture, Guard, IrisOptions, Output, RowCount};
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
        Some(t) if t.starts_with("vector") => super::iris::vectors::stored_value(e),
        Some("bytea") if matches!(e, Expr::Value(v) if matches!(&v.value, ast::Value::SingleQuotedString(s) if s.starts_with("\\x"))) =>
        {
            *e = super::iris::functions::cast_to(take(e), &ast::DataType::Bytea, opts)?;
        }
        // A date/time string literal in PostgreSQL's input forms ('2024-01-01 10:00:00.000
        // +00:00', Sequelize's bulkCreate): IRIS's canonical text, a timestamptz as UTC, as a
        // cast would give it (datetime_literals.rs); IRIS reads only its own forms.
        Some(t) => {
            let Expr::Value(v) = e else { return Ok(()) };
            let ast::Value::SingleQuotedString(text) = &v.value else { return Ok(()) };
            let kind = sqlparser::parser::Parser::new(&sqlparser::dialect::PostgreSqlDialect {})
                .try_with_sql(t)
                .and_then(|mut p| p.parse_data_type())
                .map(|dt| super::pgtype::kind(&dt));
            use super::pgtype::PgKind;
            if let Ok(kind @ (PgKind::Date | PgKind::Time | PgKind::Timestamp | PgKind::TimestampTz)) = kind {
                if let Some(canonical) = super::datetime_literals::iris_text(text, &kind)? {
                    *e = string(&canonical);
                }
            }
        }
        None => {}
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
            captures.push((statements.len(), Capture::One));
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
    Ok(Output { statements, returns_rows: true, rowcount: RowCount::Last, captures, guards: vec![], result_at: None })
}

/// SQLAlchemy's "insertmanyvalues" form of a multi-row INSERT .. RETURNING (the ORM's
/// add_all, LlamaIndex's add): `INSERT INTO t (a, b) SELECT p0::T, p1 FROM (VALUES ($1, $2,
/// 0), ..) AS imp_sen(p0, p1, sen_counter) [ORDER BY sen_counter] RETURNING ..`. IRIS has no
/// VALUES in FROM; the same rows, in the same order, are `INSERT INTO t (a, b) VALUES ($1::T,
/// $2), ..`: each select item with the VALUES row's values in place of its columns, rows
/// sorted by the ORDER BY column when it holds integer literals (else left as written, and
/// refused later). The multi-row INSERT (.. RETURNING) emulation takes it from there.
pub fn values_select_to_values(ins: &mut Insert) {
    let Some(src) = ins.source.as_mut() else { return };
    if src.with.is_some() || src.limit_clause.is_some() || src.fetch.is_some() || !src.locks.is_empty() {
        return;
    }
    let SetExpr::Select(sel) = src.body.as_ref() else { return };
    let grouped = !matches!(&sel.group_by, ast::GroupByExpr::Expressions(e, m) if e.is_empty() && m.is_empty());
    if sel.selection.is_some() || sel.having.is_some() || sel.distinct.is_some() || grouped {
        return;
    }
    let [from] = sel.from.as_slice() else { return };
    let ast::TableFactor::Derived { subquery, alias: Some(alias), lateral: false, .. } = &from.relation else {
        return;
    };
    let SetExpr::Values(values) = subquery.body.as_ref() else { return };
    if !from.joins.is_empty() || alias.columns.is_empty() || subquery.order_by.is_some() {
        return;
    }
    let names: Vec<String> = alias.columns.iter().map(|c| c.name.value.to_ascii_lowercase()).collect();
    let relation = alias.name.value.to_ascii_lowercase();
    let mut rows: Vec<&Vec<Expr>> = values.rows.iter().map(|r| &r.content).collect();
    if rows.iter().any(|r| r.len() != names.len()) {
        return;
    }
    if let Some(ob) = &src.order_by {
        let ast::OrderByKind::Expressions(items) = &ob.kind else { return };
        let [item] = items.as_slice() else { return };
        let Some(pos) = column_of(&item.expr, &relation, &names) else { return };
        let Some(keys) = rows.iter().map(|r| integer(&r[pos])).collect::<Option<Vec<i64>>>() else { return };
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.sort_by_key(|&i| keys[i]);
        if matches!(item.options.sort, Some(ast::OrderBySort::Desc)) {
            order.reverse();
        }
        rows = order.into_iter().map(|i| rows[i]).collect();
    }
    let mut items = Vec::new();
    for item in &sel.projection {
        match item {
            ast::SelectItem::UnnamedExpr(e) | ast::SelectItem::ExprWithAlias { expr: e, .. } => items.push(e),
            _ => return,
        }
    }
    let new_rows: Vec<Vec<Expr>> = rows
        .iter()
        .map(|row| {
            items
                .iter()
                .map(|e| {
                    let mut e = (*e).clone();
                    let _ = e.visit(&mut Substitute { relation: &relation, names: &names, row });
                    e
                })
                .collect()
        })
        .collect();
    let mut query = (**subquery).clone();
    if let SetExpr::Values(v) = query.body.as_mut() {
        v.rows.truncate(0);
        v.rows.extend(new_rows.into_iter().map(ast::Parens::with_empty_span));
    }
    **src = query;
}

/// Django's bulk_create (psycopg with client-side binding, Django's default): `INSERT INTO t
/// (a, b) SELECT * FROM UNNEST(('{..}')::T1[], ('{..}'::int2[])::T2[]) [RETURNING ..]`, one
/// array literal per column. IRIS has no arrays, but the rows are in the literals: `VALUES
/// ('e'::T1, ..), ..`, each element cast to the outer array cast's element type, shorter
/// arrays padded with NULLs as PostgreSQL's unnest does; the multi-row INSERT (.. RETURNING)
/// emulation takes it from there. Arrays given as parameters (or empty, or of several
/// dimensions) are left as written, and refused later (0A000).
pub fn unnest_select_to_values(ins: &mut Insert) {
    let Some(src) = ins.source.as_mut() else { return };
    if src.with.is_some() || src.order_by.is_some() || src.limit_clause.is_some() || src.fetch.is_some() {
        return;
    }
    let SetExpr::Select(sel) = src.body.as_ref() else { return };
    let grouped = !matches!(&sel.group_by, ast::GroupByExpr::Expressions(e, m) if e.is_empty() && m.is_empty());
    if sel.selection.is_some() || sel.having.is_some() || sel.distinct.is_some() || grouped {
        return;
    }
    if !matches!(sel.projection.as_slice(), [ast::SelectItem::Wildcard(_)]) {
        return;
    }
    let [from] = sel.from.as_slice() else { return };
    let ast::TableFactor::UNNEST { array_exprs, with_offset: false, with_ordinality: false, .. } = &from.relation
    else {
        return;
    };
    if !from.joins.is_empty() || ins.columns.len() != array_exprs.len() {
        return;
    }
    let Some(columns) = array_exprs.iter().map(array_literal).collect::<Option<Vec<_>>>() else { return };
    let n = columns.iter().map(|(items, _)| items.len()).max().unwrap_or(0);
    if n == 0 {
        return;
    }
    let rows = (0..n).map(|i| {
        let row = columns.iter().map(|(items, ty)| {
            let value = match items.get(i) {
                Some(Some(text)) => Expr::value(ast::Value::SingleQuotedString(text.clone())),
                _ => null(),
            };
            Expr::Cast { kind: ast::CastKind::DoubleColon, expr: Box::new(value), data_type: ty.clone(), format: None }
        });
        ast::Parens::with_empty_span(row.collect())
    });
    let values = ast::Values { explicit_row: false, value_keyword: false, rows: rows.collect() };
    src.body = Box::new(SetExpr::Values(values));
}

/// The elements of an array literal cast to an array type (`('{a,b}')::varchar[]`,
/// `('{1,2}'::int2[])::integer[]`), with the outermost cast's element type.
fn array_literal(e: &Expr) -> Option<(Vec<Option<String>>, ast::DataType)> {
    let mut elem = None;
    let mut e = e;
    loop {
        match e {
            Expr::Nested(inner) => e = inner,
            Expr::Cast { expr, data_type: ast::DataType::Array(def), format: None, .. } => {
                let inner = match def {
                    ast::ArrayElemTypeDef::SquareBracket(t, _)
                    | ast::ArrayElemTypeDef::AngleBracket(t)
                    | ast::ArrayElemTypeDef::Parenthesis(t)
                    | ast::ArrayElemTypeDef::Qualified(t, _) => t.as_ref().clone(),
                    _ => return None,
                };
                elem.get_or_insert(inner);
                e = expr;
            }
            Expr::Value(v) => {
                // psycopg writes E'..' when an element holds a backslash (JSON's quotes).
                let (ast::Value::SingleQuotedString(text) | ast::Value::EscapedStringLiteral(text)) = &v.value else {
                    return None;
                };
                return Some((crate::types::array::parse_text(text).ok()?, elem?));
            }
            _ => return None,
        }
    }
}

/// The position in `names` of a reference to a column of the VALUES relation.
fn column_of(e: &Expr, relation: &str, names: &[String]) -> Option<usize> {
    let name = match e {
        Expr::Identifier(i) => &i.value,
        Expr::CompoundIdentifier(parts) if parts.len() == 2 && parts[0].value.eq_ignore_ascii_case(relation) => {
            &parts[1].value
        }
        _ => return None,
    };
    names.iter().position(|n| n.eq_ignore_ascii_case(name))
}

fn integer(e: &Expr) -> Option<i64> {
    match e {
        Expr::Value(v) => match &v.value {
            ast::Value::Number(n, _) => n.parse().ok(),
            _ => None,
        },
        _ => None,
    }
}

/// Columns of the VALUES relation replaced by the row's values.
struct Substitute<'a> {
    relation: &'a str,
    names: &'a [String],
    row: &'a [Expr],
}

impl VisitorMut for Substitute<'_> {
    type Break = ();
    fn post_visit_expr(&mut self, e: &mut Expr) -> std::ops::ControlFlow<()> {
        if let Some(pos) = column_of(e, self.relation, self.names) {
            *e = nested(self.row[pos].clone());
        }
        std::ops::ControlFlow::Continue(())
    }
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
            Some(rows) if rows.len() > 1 || has_default => Ok(Output::summed(per_row(&ins, rows)?)),
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
        OnConflictAction::DoNothing => Ok(Output::summed(rows.iter().map(|r| insert_if_absent(r)).collect())),
        OnConflictAction::DoUpdate(du) => {
            if rows.iter().flatten().any(|v| !repeatable(v)) {
                return Err(refuse(
                    "ON CONFLICT DO UPDATE with volatile values (functions, subqueries)",
                    "compute the values in the client and pass them as parameters",
                ));
            }
            for a in &du.assignments {
                let target = a.target.to_string().trim_matches('"').to_ascii_lowercase();
                if keys.iter().any(|k| k.value.to_ascii_lowercase() == target) {
                    return Err(refuse(
                        "ON CONFLICT DO UPDATE that changes a conflict column",
                        "update the other columns only",
                    ));
                }
            }
            let (mut statements, mut guards) = (Vec::new(), Vec::new());
            if rows.len() > 1 {
                // PostgreSQL refuses to update one row twice in a statement (21000); row by
                // row the second would update what the first wrote, so that is checked first.
                guards.push((0, AFFECT_TWICE));
                statements.push(duplicate_keys(&rows, &key_pos));
            }
            for row in &rows {
                let mut sets = Vec::new();
                for a in &du.assignments {
                    let mut v = a.value.clone();
                    excluded(&mut v, &cols, row)?;
                    sets.push(format!("{} = {v}", a.target));
                }
                let mut cond = matches_row(row);
                if let Some(w) = &du.selection {
                    let mut w = w.clone();
                    excluded(&mut w, &cols, row)?;
                    cond = format!("{cond} AND ({w})");
                }
                statements.push(format!("UPDATE {table} SET {} WHERE {cond}", sets.join(", ")));
                statements.push(insert_if_absent(row));
            }
            Ok(Output { guards, ..Output::summed(statements) })
        }
    }
}

/// PostgreSQL's error for an upsert whose rows share a conflict key.
const AFFECT_TWICE: Guard = Guard {
    sqlstate: "21000",
    message: std::borrow::Cow::Borrowed("ON CONFLICT DO UPDATE command cannot affect row a second time"),
};

/// A statement giving 0 when no two VALUES rows have the same conflict key (NULLs never
/// conflict): by count for a one-column key (%EXACT: the gateway's string columns compare
/// exactly), pairwise for a key of several columns.
fn duplicate_keys(rows: &[Vec<Expr>], key_pos: &[usize]) -> String {
    if let [p] = key_pos {
        let values = rows
            .iter()
            .enumerate()
            .map(|(i, r)| if i == 0 { format!("SELECT {} AS k", r[*p]) } else { format!("SELECT {}", r[*p]) })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        return format!("SELECT COUNT(k) - COUNT(DISTINCT %EXACT(k)) FROM ({values}) AS d");
    }
    let mut pairs = Vec::new();
    for (i, a) in rows.iter().enumerate() {
        for b in &rows[i + 1..] {
            let same = key_pos.iter().map(|&p| format!("{} = {}", a[p], b[p])).collect::<Vec<_>>().join(" AND ");
            pairs.push(format!("({same})"));
        }
    }
    format!("SELECT CASE WHEN {} THEN 1 ELSE 0 END", pairs.join(" OR "))
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
    match u.returning.take() {
        Some(items) => update_returning(u, &items),
        None => Ok(Output::one(Statement::Update(u).to_string(), false)),
    }
}

/// `UPDATE t SET .. WHERE cond RETURNING items`, which IRIS lacks: the rows are read back
/// after the update (their new values, as RETURNING gives); see `by_row_ids`.
fn update_returning(mut u: ast::Update, items: &[ast::SelectItem]) -> PgResult<Output> {
    if u.from.is_some() {
        return Err(refuse("UPDATE .. FROM .. RETURNING", "UPDATE with a subquery in WHERE"));
    }
    let table = u.table.to_string();
    let cond = u.selection.take();
    Ok(by_row_ids(&table, cond, items, |filter| format!("{}{filter}", Statement::Update(u)), false))
}

/// UPDATE / DELETE .. RETURNING on IRIS, by RowID: the RowIDs of the rows that match `cond`,
/// captured as a list; `change` of those rows while they still match (its SQL with the
/// WHERE it is given: a row another transaction changed in between no longer counts, and a
/// count short of the list is 40001, never a silent difference); the `items` of those rows,
/// read after the change (UPDATE: the new values) or, `read_first`, in full before it
/// (DELETE: the rows are gone after). One transaction, like the other emulations; rows in
/// RowID order.
fn by_row_ids(
    table: &str,
    cond: Option<Expr>,
    items: &[ast::SelectItem],
    change: impl FnOnce(&str) -> String,
    read_first: bool,
) -> Output {
    let ids = IRIS_IDS.row_id;
    let (select_ids, still_matching) = match &cond {
        Some(c) => (format!("SELECT {ids} FROM {table} WHERE {c}"), format!(" AND ({c})")),
        None => (format!("SELECT {ids} FROM {table}"), String::new()),
    };
    let list = items.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ");
    let read = format!("SELECT {list} FROM {table} WHERE {ids} IN ($cl) ORDER BY {ids}");
    let change = change(&format!(" WHERE {ids} IN ($cl){still_matching}"));
    let (statements, result_at) = match read_first {
        true => (vec![select_ids, read, change], Some(1)),
        false => (vec![select_ids, change, read], None),
    };
    Output {
        statements,
        returns_rows: true,
        rowcount: RowCount::Last,
        captures: vec![(0, Capture::All)],
        guards: vec![],
        result_at,
    }
}

pub fn delete(mut d: ast::Delete) -> PgResult<Output> {
    if d.using.is_some() {
        return Err(refuse("DELETE .. USING", "use WHERE .. IN (SELECT ..)"));
    }
    match d.returning.take() {
        Some(items) => delete_returning(d, &items),
        None => Ok(Output::one(Statement::Delete(d).to_string(), false)),
    }
}

/// `DELETE FROM t WHERE cond RETURNING items`, which IRIS lacks: the rows are read in full
/// before anything is deleted; see `by_row_ids`.
fn delete_returning(mut d: ast::Delete, items: &[ast::SelectItem]) -> PgResult<Output> {
    let (ast::FromTable::WithFromKeyword(from) | ast::FromTable::WithoutKeyword(from)) = &d.from;
    let [table] = &from[..] else {
        return Err(refuse("DELETE from several tables .. RETURNING", "delete from one table"));
    };
    if !table.joins.is_empty() || !d.tables.is_empty() || d.limit.is_some() || !d.order_by.is_empty() {
        return Err(refuse("this DELETE .. RETURNING", "DELETE with a subquery in WHERE"));
    }
    let table = table.to_string();
    let cond = d.selection.take();
    Ok(by_row_ids(&table, cond, items, |filter| format!("{}{filter}", Statement::Delete(d)), true))
}
