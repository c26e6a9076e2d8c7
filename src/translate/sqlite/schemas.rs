//! Schemas on the sqlite backend.
//!
//! SQLite has one namespace per database, and a foreign key cannot reference a table of
//! another (ATTACHed) database, so the objects of schema `s` live in the main database
//! under the names `"s.t"`; the backend's `pgwire_schema` table lists the schemas that
//! CREATE SCHEMA made, and its catalog snapshot splits the names back into namespace and
//! relation. `public` (and no qualifier) is the database's own names, as before.

use std::ops::ControlFlow;

use sqlparser::ast::{
    self, Expr, Ident, ObjectName, ObjectNamePart, ObjectType, Query, SelectItem, SetExpr, Statement, TableConstraint,
    VisitMut, VisitorMut,
};

use crate::error::{sqlstate, PgResult};
use crate::translate::ast_util::refuse;
use crate::translate::Output;

/// Qualifiers that are not a sqlite schema: the database's own names, and the catalog.
fn is_schema(part: &Ident) -> bool {
    let folded = fold(part);
    !matches!(folded.as_str(), "public" | "pg_catalog" | "information_schema")
}

/// An identifier as PostgreSQL resolves it: unquoted names fold to lower case.
fn fold(i: &Ident) -> String {
    if i.quote_style.is_some() {
        i.value.clone()
    } else {
        i.value.to_lowercase()
    }
}

fn stored_ident(schema: &str, name: &str) -> Ident {
    Ident::with_quote('"', format!("{schema}.{name}"))
}

fn parts(n: &ObjectName) -> Option<Vec<Ident>> {
    n.0.iter().map(|p| p.as_ident().cloned()).collect()
}

fn one(n: &ObjectName) -> Option<Ident> {
    parts(n).and_then(|p| <[Ident; 1]>::try_from(p).ok()).map(|[i]| i)
}

fn two(n: &ObjectName) -> Option<(Ident, Ident)> {
    parts(n).and_then(|p| <[Ident; 2]>::try_from(p).ok()).map(|[a, b]| (a, b))
}

/// `s.t` -> `"s.t"`, returning the schema; `public.t` -> `t`. Other names are left alone.
fn flatten(n: &mut ObjectName) -> Option<String> {
    let (schema, name) = two(n)?;
    if fold(&schema) == "public" {
        n.0.remove(0);
        return None;
    }
    if !is_schema(&schema) {
        return None;
    }
    let s = fold(&schema);
    let flat = stored_ident(&s, &fold(&name));
    n.0 = vec![ObjectNamePart::Identifier(flat)];
    Some(s)
}

/// A relation's name as the sqlite backend stores it (`s.t` -> `"s.t"`, `public.t` -> `t`).
pub fn stored(n: &ObjectName) -> ObjectName {
    let mut n = n.clone();
    flatten(&mut n);
    n
}

/// `name` in the schema of `table` (an index or a renamed table stays in its schema).
fn in_schema_of(table: &ObjectName, name: &mut ObjectName) {
    let (Some((schema, _)), Some(plain)) = (two(table), one(name)) else {
        return;
    };
    if is_schema(&schema) {
        let flat = stored_ident(&fold(&schema), &fold(&plain));
        name.0 = vec![ObjectNamePart::Identifier(flat)];
    }
}

fn foreign_keys(ct: &mut ast::CreateTable) {
    for col in &mut ct.columns {
        for o in &mut col.options {
            if let ast::ColumnOption::ForeignKey(fk) = &mut o.option {
                flatten(&mut fk.foreign_table);
            }
        }
    }
    for c in &mut ct.constraints {
        if let TableConstraint::ForeignKey(fk) = c {
            flatten(&mut fk.foreign_table);
        }
    }
}

fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A statement the backend runs first: fails with `state` unless `condition` holds.
fn check(condition: String, state: &str, message: String) -> String {
    format!("SELECT pgw_check({condition}, {}, {})", quoted(state), quoted(&message))
}

fn schema_exists(schema: &str) -> String {
    format!("EXISTS (SELECT 1 FROM pgwire_schema WHERE name = {})", quoted(schema))
}

fn require_schema(schema: &str) -> String {
    check(schema_exists(schema), sqlstate::INVALID_SCHEMA_NAME, format!("schema \"{schema}\" does not exist"))
}

/// Rewrite the schema-qualified names of `stmt` to their stored names. Returns the
/// statements that must run before it (the schema a CREATE puts an object in exists).
pub fn qualify(stmt: &mut Statement) -> Vec<String> {
    let mut first = Vec::new();
    match stmt {
        Statement::CreateTable(ct) => {
            foreign_keys(ct);
            if let Some(s) = flatten(&mut ct.name) {
                first.push(require_schema(&s));
            }
        }
        Statement::CreateView(cv) => {
            if let Some(s) = flatten(&mut cv.name) {
                first.push(require_schema(&s));
            }
        }
        Statement::CreateIndex(ci) => {
            if let Some(n) = ci.name.as_mut() {
                in_schema_of(&ci.table_name, n);
            }
        }
        Statement::AlterTable(at) => {
            for op in &mut at.operations {
                match op {
                    ast::AlterTableOperation::RenameTable {
                        table_name: ast::RenameTableNameKind::To(n) | ast::RenameTableNameKind::As(n),
                    } => in_schema_of(&at.name, n),
                    ast::AlterTableOperation::AddConstraint { constraint: TableConstraint::ForeignKey(fk), .. } => {
                        flatten(&mut fk.foreign_table);
                    }
                    _ => {}
                }
            }
        }
        Statement::Drop { object_type: ObjectType::Table | ObjectType::View | ObjectType::Index, names, .. } => {
            names.iter_mut().for_each(|n| {
                flatten(n);
            });
        }
        Statement::Comment { object_type, object_name, .. } => {
            if !matches!(object_type, ast::CommentObject::Column) {
                flatten(object_name);
            } else if object_name.0.len() == 3 {
                let column = object_name.0.pop().expect("three parts");
                flatten(object_name);
                object_name.0.push(column);
            }
        }
        _ => {}
    }
    let _ = stmt.visit(&mut Names);
    first
}

/// Relations, `s.t.column` references and `s.t.*` anywhere in a statement.
struct Names;

impl VisitorMut for Names {
    type Break = ();

    fn pre_visit_relation(&mut self, n: &mut ObjectName) -> ControlFlow<()> {
        flatten(n);
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
        if let Expr::CompoundIdentifier(ids) = e {
            if ids.len() == 3 && is_schema(&ids[0]) {
                let flat = stored_ident(&fold(&ids[0]), &fold(&ids[1]));
                ids.splice(0..2, [flat]);
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_query(&mut self, q: &mut Query) -> ControlFlow<()> {
        wildcards(&mut q.body);
        ControlFlow::Continue(())
    }
}

fn wildcards(body: &mut SetExpr) {
    match body {
        SetExpr::Select(select) => {
            for item in &mut select.projection {
                if let SelectItem::QualifiedWildcard(ast::SelectItemQualifiedWildcardKind::ObjectName(n), _) = item {
                    flatten(n);
                }
            }
        }
        SetExpr::SetOperation { left, right, .. } => {
            wildcards(left);
            wildcards(right);
        }
        _ => {}
    }
}

/// `CREATE SCHEMA [IF NOT EXISTS] s`: a row of `pgwire_schema`.
pub fn create_schema(name: &ast::SchemaName, if_not_exists: bool) -> PgResult<Output> {
    let ast::SchemaName::Simple(n) = name else {
        return Err(refuse("CREATE SCHEMA .. AUTHORIZATION", "the sqlite backend has no roles: CREATE SCHEMA name"));
    };
    let Some(schema) = one(n).map(|i| fold(&i)) else {
        return Err(refuse(&format!("CREATE SCHEMA {n}"), "name the schema with one identifier"));
    };
    let schema = schema.as_str();
    let exists = format!("schema \"{schema}\" already exists");
    if matches!(schema, "public" | "pg_catalog" | "information_schema") {
        if if_not_exists {
            return Ok(Output::nothing());
        }
        return Err(crate::error::PgError::new(sqlstate::DUPLICATE_SCHEMA, exists));
    }
    if schema.starts_with("pg_") {
        return Err(crate::error::PgError::new(
            sqlstate::RESERVED_NAME,
            format!("unacceptable schema name \"{schema}\""),
        )
        .with_detail("The prefix \"pg_\" is reserved for system schemas."));
    }
    let insert = format!("INSERT OR IGNORE INTO pgwire_schema (name) VALUES ({})", quoted(schema));
    let mut statements = vec![];
    if !if_not_exists {
        statements.push(check(format!("NOT {}", schema_exists(schema)), sqlstate::DUPLICATE_SCHEMA, exists));
    }
    statements.push(insert);
    Ok(Output::commands(statements))
}

/// `DROP SCHEMA [IF EXISTS] s, ..` (RESTRICT: the schema must be empty).
pub fn drop_schema(names: &[ObjectName], if_exists: bool) -> PgResult<Output> {
    let mut statements = vec![];
    for n in names {
        let Some(schema) = one(n).map(|i| fold(&i)) else {
            return Err(refuse(&format!("DROP SCHEMA {n}"), "name the schema with one identifier"));
        };
        if !if_exists {
            statements.push(require_schema(&schema));
        }
        let prefix = quoted(&format!("{schema}."));
        let objects = format!(
            "NOT EXISTS (SELECT 1 FROM sqlite_master WHERE substr(name, 1, length({prefix})) = {prefix} \
             AND {})",
            schema_exists(&schema)
        );
        let message = format!("cannot drop schema {schema} because other objects depend on it");
        statements.push(check(objects, sqlstate::DEPENDENT_OBJECTS_STILL_EXIST, message));
        statements.push(format!("DELETE FROM pgwire_schema WHERE name = {}", quoted(&schema)));
    }
    Ok(Output::commands(statements))
}
