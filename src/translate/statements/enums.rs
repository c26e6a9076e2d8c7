//! Enum types: `CREATE TYPE name AS ENUM (..)`, `DROP TYPE`, `ALTER TYPE .. ADD VALUE` /
//! `RENAME VALUE`, on both targets.
//!
//! Neither backend has enum types, so the gateway keeps their definitions in a table of
//! its own in the backend, `pgwire_enum` (one row per label, with PostgreSQL's
//! enumsortorder), which the catalog snapshots read back as pg_type and pg_enum rows.
//! The sqlite backend creates it at start with its other own tables; on IRIS the first
//! enum statement creates it (`CREATE TABLE IF NOT EXISTS`). Columns of an enum type hold
//! the label as text (docs/translation.md, "Enum types"). Existence checks run in the
//! backend, in the statement's transaction: sqlite as `pgw_check` guards, IRIS as guard
//! statements (`TargetSql::guard`).

use std::borrow::Cow;

use sqlparser::ast::{self, AlterTypeAddValuePosition, AlterTypeOperation, ObjectName, ObjectType, Statement};

use crate::error::{sqlstate, PgError, PgResult};
use crate::translate::ast_util::refuse;
use crate::translate::{Guard, Output, Target};

/// The gateway's table of enum labels, in both backends.
pub const TABLE: &str = "pgwire_enum";

/// PostgreSQL's NAMEDATALEN - 1: the longest label, in bytes.
const MAX_LABEL: usize = 63;

/// IRIS: the table, made on first use. Labels compare exactly (`%EXACT`), as PostgreSQL's do.
const IRIS_CREATE: &str = "CREATE TABLE IF NOT EXISTS pgwire_enum (type_schema VARCHAR(128) NOT NULL, \
     type_name VARCHAR(128) NOT NULL, label VARCHAR(64) COLLATE %EXACT NOT NULL, sort_order DOUBLE NOT NULL, \
     PRIMARY KEY (type_schema, type_name, label))";

/// `CREATE TYPE .. AS ENUM`, `DROP TYPE`, `ALTER TYPE` for either target; None for other
/// statements.
pub fn translate(stmt: &Statement, target: &Target) -> PgResult<Option<Output>> {
    let mut out = Statements::new(target);
    match stmt {
        Statement::CreateType { name, representation } => {
            let Some(ast::UserDefinedTypeRepresentation::Enum { labels }) = representation else {
                return Err(refuse(
                    "CREATE TYPE other than AS ENUM",
                    "enum types are offered; composite, range and base types are not",
                ));
            };
            let (schema, type_name) = qualified(name)?;
            let labels: Vec<&str> = labels.iter().map(|l| l.value.as_str()).collect();
            for (i, l) in labels.iter().enumerate() {
                check_label(l)?;
                if labels[..i].contains(l) {
                    return Err(PgError::new(
                        sqlstate::DUPLICATE_OBJECT,
                        format!("enum label \"{l}\" used more than once"),
                    ));
                }
            }
            out.schema_exists(&schema);
            out.guard(
                &type_exists(&schema, &type_name),
                sqlstate::DUPLICATE_OBJECT,
                format!("type \"{type_name}\" already exists"),
            );
            for (i, l) in labels.iter().enumerate() {
                out.push(format!(
                    "INSERT INTO {TABLE} (type_schema, type_name, label, sort_order) VALUES ({}, {}, {}, {})",
                    quoted(&schema),
                    quoted(&type_name),
                    quoted(l),
                    i + 1
                ));
            }
            crate::types::enums::register(&schema, &type_name);
        }
        Statement::Drop { object_type: ObjectType::Type, if_exists, names, cascade, .. } => {
            if *cascade {
                return Err(refuse(
                    "DROP TYPE .. CASCADE",
                    "drop or alter the columns of the type first, then DROP TYPE without CASCADE",
                ));
            }
            for n in names {
                let (schema, type_name) = qualified(n)?;
                let exists = type_exists(&schema, &type_name);
                if !if_exists {
                    out.guard_not(&exists, sqlstate::UNDEFINED_OBJECT, format!("type \"{type_name}\" does not exist"));
                }
                out.guard(
                    &out.used_by_columns(&schema, &type_name),
                    sqlstate::DEPENDENT_OBJECTS_STILL_EXIST,
                    format!("cannot drop type {type_name} because other objects depend on it"),
                );
                out.push(format!("DELETE FROM {TABLE} WHERE {}", of_type(&schema, &type_name)));
            }
        }
        Statement::AlterType(at) => {
            let (schema, type_name) = qualified(&at.name)?;
            out.guard_not(
                &type_exists(&schema, &type_name),
                sqlstate::UNDEFINED_OBJECT,
                format!("type \"{type_name}\" does not exist"),
            );
            match &at.operation {
                AlterTypeOperation::AddValue(add) => out.add_value(&schema, &type_name, add)?,
                AlterTypeOperation::RenameValue(r) => {
                    let (from, to) = (r.from.value.as_str(), r.to.value.as_str());
                    check_label(to)?;
                    out.guard_not(
                        &label_exists(&schema, &type_name, from),
                        sqlstate::INVALID_PARAMETER_VALUE,
                        format!("\"{from}\" is not an existing enum label"),
                    );
                    out.guard(
                        &label_exists(&schema, &type_name, to),
                        sqlstate::DUPLICATE_OBJECT,
                        format!("enum label \"{to}\" already exists"),
                    );
                    // Stored values are the labels' text, not OIDs: renaming one would
                    // leave the rows holding the old text.
                    out.guard(
                        &out.used_by_columns(&schema, &type_name),
                        sqlstate::FEATURE_NOT_SUPPORTED,
                        format!(
                            "ALTER TYPE {type_name} RENAME VALUE is not supported by this backend while columns \
                             have the type: their rows hold the labels' text"
                        ),
                    );
                    out.push(format!(
                        "UPDATE {TABLE} SET label = {} WHERE {} AND label = {}",
                        quoted(to),
                        of_type(&schema, &type_name),
                        quoted(from)
                    ));
                }
                AlterTypeOperation::Rename(_) => {
                    return Err(refuse(
                        "ALTER TYPE .. RENAME TO",
                        "columns record their enum type by name: create a new type and move the columns",
                    ))
                }
            }
        }
        _ => return Ok(None),
    }
    Ok(Some(out.finish()))
}

/// IRIS: DDL whose columns have the enum types `types` runs after this (the types exist,
/// else 42704), then `then`.
pub fn iris_with_types(types: &[(String, String)], then: Vec<String>) -> Output {
    let mut out = Statements::new(&Target::Iris(Default::default()));
    for (schema, name) in types {
        out.guard_not(
            &type_exists(schema, name),
            sqlstate::UNDEFINED_OBJECT,
            format!("type \"{name}\" does not exist"),
        );
    }
    out.statements.extend(then);
    out.finish()
}

/// The IRIS column type of an enum: its longest label.
pub const IRIS_COLUMN_TYPE: &str = "VARCHAR(64)";

/// What a statement becomes: guards and statements for one target.
struct Statements {
    iris: bool,
    statements: Vec<String>,
    guards: Vec<(usize, Guard)>,
}

impl Statements {
    fn new(target: &Target) -> Self {
        let iris = matches!(target, Target::Iris(_));
        Statements { iris, statements: if iris { vec![IRIS_CREATE.to_string()] } else { vec![] }, guards: vec![] }
    }

    fn push(&mut self, sql: String) {
        self.statements.push(sql);
    }

    /// Fail with `state` when `condition` (an SQL boolean) holds.
    fn guard(&mut self, condition: &str, state: &'static str, message: String) {
        if self.iris {
            self.guards.push((self.statements.len(), Guard { sqlstate: state, message: Cow::Owned(message) }));
            self.statements.push(format!("SELECT CASE WHEN {condition} THEN 1 ELSE 0 END"));
        } else {
            self.statements.push(format!(
                "SELECT pgw_check(NOT ({condition}), {}, {})",
                quoted(state),
                quoted(&message)
            ));
        }
    }

    /// Fail with `state` unless `condition` holds.
    fn guard_not(&mut self, condition: &str, state: &'static str, message: String) {
        if self.iris {
            self.guard(&format!("NOT ({condition})"), state, message)
        } else {
            self.statements.push(format!("SELECT pgw_check({condition}, {}, {})", quoted(state), quoted(&message)));
        }
    }

    /// sqlite: a schema other than public must exist (IRIS makes schemas with their tables).
    fn schema_exists(&mut self, schema: &str) {
        if !self.iris && schema != "public" {
            self.guard_not(
                &format!("EXISTS (SELECT 1 FROM pgwire_schema WHERE name = {})", quoted(schema)),
                sqlstate::INVALID_SCHEMA_NAME,
                format!("schema \"{schema}\" does not exist"),
            );
        }
    }

    /// Some table column has the type: sqlite by its declared type (written as the type's
    /// name), IRIS by the description the gateway's DDL recorded (`pgtype:<name>`).
    fn used_by_columns(&self, schema: &str, name: &str) -> String {
        let key = crate::types::enums::key(schema, name);
        if self.iris {
            format!(
                "EXISTS (SELECT 1 FROM INFORMATION_SCHEMA.COLUMNS WHERE DESCRIPTION = {})",
                quoted(&format!("{}{key}", crate::translate::DESCRIPTION_PREFIX))
            )
        } else {
            format!(
                "EXISTS (SELECT 1 FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' \
                 AND lower(p.type) IN ({}, {}))",
                quoted(&key),
                quoted(&format!("\"{key}\""))
            )
        }
    }

    /// `ADD VALUE [IF NOT EXISTS] 'x' [BEFORE | AFTER 'y']`: the label's sort order is past
    /// the last one, or halfway to the neighbour, as PostgreSQL numbers them.
    fn add_value(&mut self, schema: &str, type_name: &str, add: &ast::AlterTypeAddValue) -> PgResult<()> {
        let label = add.value.value.as_str();
        check_label(label)?;
        let exists = label_exists(schema, type_name, label);
        if !add.if_not_exists {
            self.guard(&exists, sqlstate::DUPLICATE_OBJECT, format!("enum label \"{label}\" already exists"));
        }
        let this = of_type(schema, type_name);
        let order = |l: &str| format!("(SELECT sort_order FROM {TABLE} WHERE {this} AND label = {})", quoted(l));
        let sort_order = match &add.position {
            None => format!("(SELECT MAX(sort_order) + 1 FROM {TABLE} WHERE {this})"),
            Some(AlterTypeAddValuePosition::Before(n) | AlterTypeAddValuePosition::After(n)) => {
                let neighbour = n.value.as_str();
                self.guard_not(
                    &label_exists(schema, type_name, neighbour),
                    sqlstate::INVALID_PARAMETER_VALUE,
                    format!("\"{neighbour}\" is not an existing enum label"),
                );
                let at = order(neighbour);
                match &add.position {
                    Some(AlterTypeAddValuePosition::Before(_)) => format!(
                        "((SELECT COALESCE(MAX(sort_order), {at} - 2) FROM {TABLE} WHERE {this} AND sort_order < {at}) \
                         + {at}) / 2"
                    ),
                    _ => format!(
                        "({at} + (SELECT COALESCE(MIN(sort_order), {at} + 2) FROM {TABLE} WHERE {this} AND \
                         sort_order > {at})) / 2"
                    ),
                }
            }
        };
        self.push(format!(
            "INSERT INTO {TABLE} (type_schema, type_name, label, sort_order) SELECT {}, {}, {}, {sort_order} \
             WHERE NOT {exists}",
            quoted(schema),
            quoted(type_name),
            quoted(label),
        ));
        Ok(())
    }

    fn finish(self) -> Output {
        Output { guards: self.guards, ..Output::commands(self.statements) }
    }
}

/// (schema, name) of a type name: `status`, `public.status`, `"s"."Status"`.
pub fn qualified(n: &ObjectName) -> PgResult<(String, String)> {
    let parts: Vec<String> =
        n.0.iter()
            .map(|p| match p.as_ident() {
                Some(i) if i.quote_style.is_some() => i.value.clone(),
                Some(i) => i.value.to_ascii_lowercase(),
                None => p.to_string(),
            })
            .collect();
    match parts.as_slice() {
        [name] => Ok(("public".into(), name.clone())),
        [schema, name] => Ok((schema.clone(), name.clone())),
        _ => Err(PgError::new(sqlstate::SYNTAX_ERROR, format!("improper qualified name (too many dotted names): {n}"))),
    }
}

fn check_label(l: &str) -> PgResult<()> {
    if l.len() > MAX_LABEL {
        return Err(PgError::new(sqlstate::INVALID_PARAMETER_VALUE, format!("invalid enum label \"{l}\""))
            .with_detail(format!("Labels must be {MAX_LABEL} bytes or less.")));
    }
    Ok(())
}

fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn of_type(schema: &str, name: &str) -> String {
    format!("type_schema = {} AND type_name = {}", quoted(schema), quoted(name))
}

fn type_exists(schema: &str, name: &str) -> String {
    format!("EXISTS (SELECT 1 FROM {TABLE} WHERE {})", of_type(schema, name))
}

fn label_exists(schema: &str, name: &str, label: &str) -> String {
    format!("EXISTS (SELECT 1 FROM {TABLE} WHERE {} AND label = {})", of_type(schema, name), quoted(label))
}
