//! Declared PostgreSQL types on IRIS.
//!
//! IRIS has no json, jsonb, real, vector, interval or character(n) column type: the DDL writes
//! stand-ins (VARCHAR, REAL, VECTOR, CHAR) that IRIS describes as other types (text,
//! float8, text, varchar). The gateway records the declared type in the column's
//! description (`%DESCRIPTION 'pgtype:jsonb'`, the one per-column text IRIS keeps; ALTER
//! TABLE cannot change it later), reads it back from INFORMATION_SCHEMA.COLUMNS.DESCRIPTION
//! in catalog snapshots (backends/iris_catalog.py), and types result columns that are plain
//! references to such a column with it (`result_types`). Tables created outside the
//! gateway have no such description and keep the stand-ins' types.

use std::collections::BTreeMap;

use sqlparser::ast::{self, Expr, SelectItem, SetExpr, Statement, TableFactor};

use crate::translate::pgtype::{kind, PgKind};
use crate::types::{self, Oid};

/// How a recorded description starts: `pgtype:<type>`, then optionally a newline and the
/// user's comment (docs/iris.md).
pub const DESCRIPTION_PREFIX: &str = "pgtype:";

/// The PostgreSQL type recorded for a column whose IRIS stand-in reads back as another
/// type; None for types IRIS describes as themselves.
pub fn recorded_type(k: &PgKind) -> Option<String> {
    Some(match k {
        PgKind::Json => "json".into(),
        PgKind::Jsonb => "jsonb".into(),
        // REAL is a double in IRIS (described as DOUBLE).
        PgKind::Float4 => "real".into(),
        PgKind::Vector(Some(n)) => format!("vector({n})"),
        // CHAR(n) is described as VARCHAR: no blank-padding, another type.
        PgKind::Char(n) => format!("character({})", n.unwrap_or(1)),
        // VARCHAR(65535) reads back as text; PostgreSQL's bare varchar is character varying.
        PgKind::Varchar(None) => "character varying".into(),
        // Stored as its canonical text in a VARCHAR (IRIS has no interval type).
        PgKind::Interval => "interval".into(),
        _ => return None,
    })
}

/// The `%DESCRIPTION` column option that records `pg_type`.
pub fn description_option(pg_type: &str) -> ast::ColumnOptionDef {
    use sqlparser::tokenizer::Token;
    ast::ColumnOptionDef {
        name: None,
        option: ast::ColumnOption::DialectSpecific(vec![
            Token::make_word("%DESCRIPTION", None),
            Token::SingleQuotedString(format!("{DESCRIPTION_PREFIX}{pg_type}")),
        ]),
    }
}

/// A column of a table the gateway knows on IRIS, with its PostgreSQL type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KnownColumn {
    /// Lower case.
    pub name: String,
    /// PostgreSQL spelling (`jsonb`, `vector(3)`, `text`).
    pub pg_type: String,
    /// The type was recorded by the gateway (a description), not mapped from IRIS's.
    pub declared: bool,
}

impl KnownColumn {
    pub fn new(name: &str, pg_type: &str, declared: bool) -> Self {
        KnownColumn { name: name.to_ascii_lowercase(), pg_type: pg_type.to_string(), declared }
    }

    fn is_vector(&self) -> bool {
        self.pg_type.starts_with("vector")
    }
}

/// The tables the gateway knows on IRIS (catalog snapshots, then its own DDL), by lower-case
/// name without the schema: their columns in order; and the views, with their definitions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct KnownColumns {
    tables: BTreeMap<String, Vec<KnownColumn>>,
    views: BTreeMap<String, ViewDefinition>,
    declared: bool,
}

/// How to make a view again (IRIS renames only tables: a view is renamed by creating it under
/// the new name and dropping the old one, ddl.rs).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ViewDefinition {
    /// Its CREATE VIEW through the gateway (PostgreSQL), translated again under the new name.
    Created(std::sync::Arc<Statement>),
    /// IRIS's own text of the query (INFORMATION_SCHEMA.VIEWS.VIEW_DEFINITION), run as it is.
    Iris(String),
}

/// A result column's declared type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredType {
    pub oid: Oid,
    pub typmod: i32,
    /// For a column of a `*`: the column's name, which the backend's must match.
    pub wildcard_column: Option<String>,
}

impl KnownColumns {
    pub fn new(tables: impl IntoIterator<Item = (String, Vec<KnownColumn>)>) -> Self {
        let tables: BTreeMap<String, Vec<KnownColumn>> =
            tables.into_iter().map(|(t, cols)| (t.to_ascii_lowercase(), cols)).collect();
        let declared = tables.values().flatten().any(|c| c.declared);
        KnownColumns { tables, views: BTreeMap::new(), declared }
    }

    /// With these views (name, IRIS's text of the query) from a catalog snapshot.
    pub fn with_views(mut self, views: impl IntoIterator<Item = (String, String)>) -> Self {
        self.views.extend(views.into_iter().map(|(n, d)| (n.to_ascii_lowercase(), ViewDefinition::Iris(d))));
        self
    }

    /// A known view's definition, by name (without the schema).
    pub fn view(&self, name: &str) -> Option<&ViewDefinition> {
        self.views.get(&name.trim_matches('"').to_ascii_lowercase())
    }

    /// `table.column` keys of vector columns (the golden tests' `vectors=` target spec).
    pub fn with_vectors(keys: &[&str]) -> Self {
        let mut tables: BTreeMap<String, Vec<KnownColumn>> = BTreeMap::new();
        for key in keys {
            if let Some((t, c)) = key.split_once('.') {
                tables.entry(t.to_string()).or_default().push(KnownColumn::new(c, "vector", false));
            }
        }
        Self::new(tables)
    }

    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    pub fn has_declared(&self) -> bool {
        self.declared
    }

    fn table(&self, name: &str) -> Option<&[KnownColumn]> {
        self.tables.get(&name.trim_matches('"').to_ascii_lowercase()).map(Vec::as_slice)
    }

    fn column(&self, table: &str, column: &str) -> Option<&KnownColumn> {
        self.table(table)?.iter().find(|c| c.name.eq_ignore_ascii_case(column))
    }

    pub fn is_vector(&self, table: &str, column: &str) -> bool {
        self.column(table, column).is_some_and(KnownColumn::is_vector)
    }

    /// The column's PostgreSQL type is recorded in its description (`%DESCRIPTION`).
    pub fn is_declared(&self, table: &str, column: &str) -> bool {
        self.column(table, column).is_some_and(|c| c.declared)
    }

    /// The PostgreSQL type of a known column (`bytea`, `vector(3)`, `jsonb`).
    pub fn column_type(&self, table: &str, column: &str) -> Option<&str> {
        self.column(table, column).map(|c| c.pg_type.as_str())
    }

    /// The table's columns in order (empty for a table the gateway does not know).
    pub fn column_names(&self, table: &str) -> Vec<String> {
        self.table(table).map(|cols| cols.iter().map(|c| c.name.clone()).collect()).unwrap_or_default()
    }

    /// The known columns after `sql` runs, when it is DDL that changes them; None otherwise
    /// (the golden tests' `ddl=` tables).
    pub fn after_ddl(&self, sql: &str) -> Option<KnownColumns> {
        let stmts = sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::PostgreSqlDialect {}, sql).ok()?;
        let after = self.after(stmts.iter().filter(|s| changes_columns(s)));
        (after != *self).then_some(after)
    }

    /// The known columns after these DDL statements (`changes_columns`). Applying a
    /// statement a second time changes nothing (a committed statement is applied again over
    /// a catalog snapshot that may already show it). A table created by the gateway gets
    /// its columns' PostgreSQL types, declared where the DDL records them.
    pub fn after<'a>(&self, stmts: impl IntoIterator<Item = &'a Statement>) -> KnownColumns {
        let mut known = self.clone();
        for stmt in stmts {
            apply(&mut known.tables, &mut known.views, stmt);
        }
        known.declared = known.tables.values().flatten().any(|c| c.declared);
        known
    }
}

/// DDL that changes which tables and columns exist or their types: CREATE TABLE, ALTER
/// TABLE (columns, types, renames), DROP TABLE.
pub fn changes_columns(stmt: &Statement) -> bool {
    match stmt {
        Statement::CreateTable(ct) => !ct.temporary,
        Statement::AlterTable(at) => at.operations.iter().any(|op| {
            matches!(
                op,
                ast::AlterTableOperation::AddColumn { .. }
                    | ast::AlterTableOperation::DropColumn { .. }
                    | ast::AlterTableOperation::RenameColumn { .. }
                    | ast::AlterTableOperation::RenameTable { .. }
                    | ast::AlterTableOperation::AlterColumn { op: ast::AlterColumnOperation::SetDataType { .. }, .. }
            )
        }),
        Statement::CreateView(cv) => !cv.materialized && !cv.temporary,
        Statement::Drop { object_type: ast::ObjectType::Table | ast::ObjectType::View, .. } => true,
        _ => false,
    }
}

fn table_key(n: &ast::ObjectName) -> Option<String> {
    n.0.last().and_then(|p| p.as_ident()).map(|i| i.value.to_ascii_lowercase())
}

fn known(c: &ast::ColumnDef) -> KnownColumn {
    let k = kind(&c.data_type);
    let recorded = recorded_type(&k);
    let pg_type = recorded.clone().unwrap_or_else(|| c.data_type.to_string().to_ascii_lowercase());
    KnownColumn::new(&c.name.value, &pg_type, recorded.is_some())
}

fn apply(
    tables: &mut BTreeMap<String, Vec<KnownColumn>>,
    views: &mut BTreeMap<String, ViewDefinition>,
    stmt: &Statement,
) {
    let has = |cols: &[KnownColumn], n: &str| cols.iter().any(|c| c.name.eq_ignore_ascii_case(n));
    match stmt {
        Statement::CreateView(cv) if !cv.materialized && !cv.temporary => {
            if let Some(v) = table_key(&cv.name) {
                if !(cv.if_not_exists && views.contains_key(&v)) {
                    views.insert(v, ViewDefinition::Created(std::sync::Arc::new(stmt.clone())));
                }
            }
        }
        Statement::Drop { object_type: ast::ObjectType::View, names, .. } => {
            for v in names.iter().filter_map(table_key) {
                views.remove(&v);
            }
        }
        Statement::CreateTable(ct) if !ct.temporary => {
            let Some(t) = table_key(&ct.name) else { return };
            if !(ct.if_not_exists && tables.contains_key(&t)) {
                tables.insert(t, ct.columns.iter().map(known).collect());
            }
        }
        Statement::AlterTable(at) => {
            let Some(mut t) = table_key(&at.name) else { return };
            for op in &at.operations {
                if let ast::AlterTableOperation::RenameTable {
                    table_name: ast::RenameTableNameKind::To(n) | ast::RenameTableNameKind::As(n),
                } = op
                {
                    let Some(new) = table_key(n) else { continue };
                    if let Some(cols) = tables.remove(&t) {
                        tables.insert(new.clone(), cols);
                    }
                    if let Some(view) = views.remove(&t) {
                        views.insert(new.clone(), view);
                    }
                    t = new;
                    continue;
                }
                let Some(cols) = tables.get_mut(&t) else { continue };
                match op {
                    ast::AlterTableOperation::AddColumn { column_def, .. } if !has(cols, &column_def.name.value) => {
                        cols.push(known(column_def))
                    }
                    ast::AlterTableOperation::DropColumn { column_names, .. } => {
                        cols.retain(|c| !column_names.iter().any(|n| n.value.eq_ignore_ascii_case(&c.name)))
                    }
                    ast::AlterTableOperation::RenameColumn { old_column_name, new_column_name }
                        if !has(cols, &new_column_name.value) =>
                    {
                        if let Some(c) = cols.iter_mut().find(|c| c.name.eq_ignore_ascii_case(&old_column_name.value)) {
                            c.name = new_column_name.value.to_ascii_lowercase();
                        }
                    }
                    ast::AlterTableOperation::AlterColumn {
                        column_name,
                        op: ast::AlterColumnOperation::SetDataType { data_type, .. },
                    } => {
                        if let Some(c) = cols.iter_mut().find(|c| c.name.eq_ignore_ascii_case(&column_name.value)) {
                            *c = known(&ast::ColumnDef {
                                name: column_name.clone(),
                                data_type: data_type.clone(),
                                options: vec![],
                            });
                        }
                    }
                    _ => {}
                }
            }
        }
        Statement::Drop { object_type: ast::ObjectType::Table, names, .. } => {
            for n in names {
                if let Some(t) = table_key(n) {
                    tables.remove(&t);
                }
            }
        }
        _ => {}
    }
}

fn declared_type(c: &KnownColumn, wildcard: bool) -> Option<DeclaredType> {
    if !c.declared {
        return None;
    }
    let ty = types::by_name(&c.pg_type)?;
    Some(DeclaredType {
        oid: ty.oid,
        typmod: types::column_typmod(&c.pg_type, ty),
        wildcard_column: wildcard.then(|| c.name.clone()),
    })
}

/// A relation in FROM: the name columns are qualified with, and its known columns (None:
/// a subquery, a function, a CTE or a table the gateway does not know).
struct Source<'a> {
    name: String,
    columns: Option<&'a [KnownColumn]>,
}

fn sources<'a>(from: &[ast::TableWithJoins], known: &'a KnownColumns, ctes: &[String]) -> Option<Vec<Source<'a>>> {
    let mut out = Vec::new();
    for t in from {
        for (i, relation) in std::iter::once(&t.relation).chain(t.joins.iter().map(|j| &j.relation)).enumerate() {
            // USING / NATURAL joins merge columns: `*` is no longer each table's columns.
            if i > 0 && merges_columns(&t.joins[i - 1].join_operator) {
                return None;
            }
            out.push(match relation {
                TableFactor::Table { name, alias, args: None, .. } => {
                    let table = name.0.last().and_then(|p| p.as_ident()).map(|i| i.value.to_ascii_lowercase())?;
                    let columns = if name.0.len() == 1 && ctes.contains(&table) { None } else { known.table(&table) };
                    Source { name: alias.as_ref().map_or(table, |a| a.name.value.to_ascii_lowercase()), columns }
                }
                TableFactor::Derived { alias, .. } | TableFactor::Function { alias, .. } => Source {
                    name: alias.as_ref().map(|a| a.name.value.to_ascii_lowercase()).unwrap_or_default(),
                    columns: None,
                },
                _ => Source { name: String::new(), columns: None },
            });
        }
    }
    Some(out)
}

/// The target of an INSERT.
fn named<'a>(n: &ast::ObjectName, known: &'a KnownColumns) -> Option<Source<'a>> {
    let t = n.0.last().and_then(|p| p.as_ident())?.value.to_ascii_lowercase();
    Some(Source { columns: known.table(&t), name: t })
}

fn merges_columns(op: &ast::JoinOperator) -> bool {
    use ast::JoinOperator as J;
    match op {
        J::Join(c)
        | J::Inner(c)
        | J::Left(c)
        | J::LeftOuter(c)
        | J::Right(c)
        | J::RightOuter(c)
        | J::FullOuter(c)
        | J::CrossJoin(c) => {
            matches!(
                c,
                ast::JoinConstraint::Using(_) | ast::JoinConstraint::UsingAlias(..) | ast::JoinConstraint::Natural
            )
        }
        _ => true,
    }
}

/// For each result column of a row-returning statement, the declared type of the table
/// column it plainly references (None for other columns); None when no column has one or
/// the columns cannot be matched to the tables (a `*` over a subquery, a set operation).
pub fn result_types(stmt: &Statement, known: &KnownColumns) -> Option<Vec<Option<DeclaredType>>> {
    if !known.has_declared() {
        return None;
    }
    let (items, from): (&[SelectItem], Vec<Source<'_>>) = match stmt {
        Statement::Query(q) => {
            let SetExpr::Select(s) = q.body.as_ref() else { return None };
            let ctes: Vec<String> = q
                .with
                .as_ref()
                .map(|w| w.cte_tables.iter().map(|c| c.alias.name.value.to_ascii_lowercase()).collect())
                .unwrap_or_default();
            (&s.projection, sources(&s.from, known, &ctes)?)
        }
        Statement::Insert(i) => match &i.table {
            ast::TableObject::TableName(n) => (i.returning.as_deref()?, vec![named(n, known)?]),
            _ => return None,
        },
        Statement::Update(u) => (u.returning.as_deref()?, sources(std::slice::from_ref(&u.table), known, &[])?),
        Statement::Delete(d) => {
            let from = match &d.from {
                ast::FromTable::WithFromKeyword(f) | ast::FromTable::WithoutKeyword(f) => f,
            };
            (d.returning.as_deref()?, sources(from, known, &[])?)
        }
        _ => return None,
    };
    let mut out = Vec::new();
    for item in items {
        match item {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                out.push(reference(e, &from).and_then(|c| declared_type(c, false)))
            }
            SelectItem::Wildcard(_) => {
                for s in &from {
                    out.extend(s.columns?.iter().map(|c| declared_type(c, true)));
                }
            }
            SelectItem::QualifiedWildcard(ast::SelectItemQualifiedWildcardKind::ObjectName(n), _) => {
                let q = n.0.last().and_then(|p| p.as_ident())?.value.to_ascii_lowercase();
                let s = from.iter().find(|s| s.name == q)?;
                out.extend(s.columns?.iter().map(|c| declared_type(c, true)));
            }
            // `expr AS (a, b)`: not PostgreSQL's.
            _ => return None,
        }
    }
    out.iter().any(Option::is_some).then_some(out)
}

/// The table column a select item is, when it is a plain (possibly qualified) reference.
fn reference<'a>(e: &Expr, from: &[Source<'a>]) -> Option<&'a KnownColumn> {
    let find =
        |s: &Source<'a>, c: &str| s.columns.and_then(|cols| cols.iter().find(|k| k.name.eq_ignore_ascii_case(c)));
    match e {
        Expr::Nested(inner) => reference(inner, from),
        Expr::Identifier(c) => {
            // Unqualified: the one relation that has the column (every relation must be known).
            if from.iter().any(|s| s.columns.is_none()) {
                return None;
            }
            let mut hits = from.iter().filter_map(|s| find(s, &c.value));
            let hit = hits.next()?;
            hits.next().is_none().then_some(hit)
        }
        Expr::CompoundIdentifier(parts) if parts.len() >= 2 => {
            let q = parts[parts.len() - 2].value.to_ascii_lowercase();
            let s = from.iter().find(|s| s.name == q)?;
            find(s, &parts[parts.len() - 1].value)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> KnownColumns {
        KnownColumns::default()
            .after_ddl("CREATE TABLE t (id int PRIMARY KEY, j jsonb, f real, v vector(3), s text)")
            .unwrap()
            .after_ddl("CREATE TABLE u (id int, j json)")
            .unwrap()
    }

    fn oids(sql: &str) -> Option<Vec<Option<Oid>>> {
        let stmt = sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::PostgreSqlDialect {}, sql).unwrap();
        result_types(&stmt[0], &known()).map(|v| v.into_iter().map(|d| d.map(|d| d.oid)).collect())
    }

    #[test]
    fn plain_references_get_the_declared_type() {
        let vector = types::vector().oid;
        assert_eq!(oids("SELECT id, j, f, v, s FROM t"), Some(vec![None, Some(3802), Some(700), Some(vector), None]));
        assert_eq!(oids("SELECT x.j AS doc, (f) FROM public.t x WHERE id = $1"), Some(vec![Some(3802), Some(700)]));
        assert_eq!(oids("SELECT * FROM t"), Some(vec![None, Some(3802), Some(700), Some(vector), None]));
        assert_eq!(oids("SELECT u.*, t.f FROM t JOIN u ON t.id = u.id"), Some(vec![None, Some(114), Some(700)]));
        assert_eq!(oids("INSERT INTO t (j) VALUES ($1) RETURNING id, j"), Some(vec![None, Some(3802)]));
    }

    #[test]
    fn ambiguous_or_computed_columns_are_left_to_the_backend() {
        assert_eq!(oids("SELECT j FROM t JOIN u ON t.id = u.id"), None, "j is in both tables");
        assert_eq!(oids("SELECT j::text, f + 1 FROM t"), None);
        assert_eq!(oids("SELECT * FROM (SELECT j FROM t) s"), None);
        assert_eq!(oids("WITH t AS (SELECT 1 AS j) SELECT j FROM t"), None, "a CTE hides the table");
        assert_eq!(oids("SELECT j FROM nowhere"), None);
    }

    #[test]
    fn ddl_keeps_the_known_columns_current() {
        let k = known().after_ddl("ALTER TABLE t ADD COLUMN g real").unwrap();
        assert_eq!(k.column("t", "g").map(|c| c.declared), Some(true));
        let k = k.after_ddl("ALTER TABLE t DROP COLUMN v").unwrap();
        assert!(!k.is_vector("t", "v"));
        let k = k.after_ddl("DROP TABLE t").unwrap();
        assert!(k.table("t").is_none());
        assert!(known().after_ddl("SELECT 1").is_none());
    }
}
