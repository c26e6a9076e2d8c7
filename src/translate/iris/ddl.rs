//! DDL on IRIS: column type mapping (declared types recorded as in declared.rs),
//! SERIAL/IDENTITY, IF [NOT] EXISTS, DROP, TRUNCATE, CREATE INDEX (HNSW in vectors.rs) and
//! ALTER TABLE.

use sqlparser::ast::{
    self, ColumnOption, ColumnOptionDef, DataType, Expr, IndexType, ObjectType, Statement, TableConstraint,
};

use crate::error::PgResult;
use crate::translate::ast_util::*;
use crate::translate::pgtype::{kind, PgKind};
use crate::translate::{IrisOptions, Output};

/// The IRIS column type for a PostgreSQL column type.
pub fn column_type(ty: &DataType, opts: &IrisOptions) -> PgResult<DataType> {
    let k = kind(ty);
    let custom = |s: String| Ok(DataType::Custom(name(&s), vec![]));
    match k {
        PgKind::Vector(Some(n)) => custom(format!("VECTOR(DOUBLE, {n})")),
        PgKind::Bytea => custom(format!("VARBINARY({})", opts.default_varchar_length)),
        PgKind::Numeric(None) => custom("NUMERIC(38,18)".into()),
        // %Library.UniqueIdentifier: described as GUID (ODBC -11), so the column reads back
        // as uuid (docs/iris.md; verify the DDL name on a real instance).
        PgKind::Uuid => custom("UNIQUEIDENTIFIER".into()),
        other => super::functions::cast_type(&other, opts),
    }
}

/// Identity column DDL (verify: `INTEGER IDENTITY` vs `IDENTITY` as the type).
fn identity_type(int_type: &str) -> DataType {
    DataType::Custom(name(&format!("{int_type} IDENTITY")), vec![])
}

fn is_string(k: &PgKind) -> bool {
    matches!(k, PgKind::Text | PgKind::Varchar(_) | PgKind::Char(_))
}

pub fn create_table(mut ct: ast::CreateTable, opts: &IrisOptions) -> PgResult<Output> {
    strip_public(&mut ct.name);
    for col in &mut ct.columns {
        for o in &mut col.options {
            if let ColumnOption::ForeignKey(fk) = &mut o.option {
                iris_foreign_key(fk);
            }
        }
    }
    for c in &mut ct.constraints {
        if let TableConstraint::ForeignKey(fk) = c {
            iris_foreign_key(fk);
        }
    }
    ct.unlogged = false;
    // Storage parameters (WITH (fillfactor = ..)) tune PostgreSQL's heap; results are unaffected.
    if matches!(ct.table_options, ast::CreateTableOptions::With(_)) {
        ct.table_options = ast::CreateTableOptions::None;
    }
    if ct.on_commit.is_some() || ct.temporary {
        return Err(refuse("temporary tables", "create a regular table and drop it when done"));
    }
    if ct.like.is_some() || ct.clone.is_some() {
        return Err(refuse("CREATE TABLE .. LIKE", "list the columns"));
    }
    if ct.constraints.iter().any(|c| matches!(c, TableConstraint::Check(_))) {
        check_constraints(opts)?;
        ct.constraints.retain(|c| !matches!(c, TableConstraint::Check(_)));
    }
    for col in &mut ct.columns {
        let k = kind(&col.data_type);
        let identity = is_identity(&col.options);
        if let ColumnOption::Generated { generation_expr: Some(_), .. } = col
            .options
            .iter()
            .map(|o| &o.option)
            .find(|o| matches!(o, ColumnOption::Generated { .. }))
            .unwrap_or(&ColumnOption::Null)
        {
            return Err(refuse("generated columns", "compute the value in the application or a view"));
        }
        if let PgKind::Serial(int) = k {
            col.data_type = identity_type(int);
        } else if identity {
            let int = match k {
                PgKind::Int2 => "SMALLINT",
                PgKind::Int4 => "INTEGER",
                _ => "BIGINT",
            };
            col.data_type = identity_type(int);
            col.options.retain(|o| !matches!(o.option, ColumnOption::Generated { .. }));
        } else {
            col.data_type = column_type(&col.data_type, opts)?;
        }
        column_options(&mut col.options, opts)?;
        if opts.exact_strings
            && is_string(&k)
            && !col.options.iter().any(|o| matches!(o.option, ColumnOption::Collation(_)))
        {
            col.options.insert(0, ColumnOptionDef { name: None, option: ColumnOption::Collation(name("%EXACT")) });
        }
        record_type(&k, &mut col.options);
    }
    Ok(Output::one(Statement::CreateTable(ct).to_string(), false))
}

/// A column whose IRIS stand-in reads back as another type keeps its PostgreSQL type in
/// its description, right after the type (`VARCHAR(65535) %DESCRIPTION 'pgtype:jsonb'`):
/// see declared.rs.
fn record_type(k: &PgKind, options: &mut Vec<ColumnOptionDef>) {
    if let Some(t) = super::declared::recorded_type(k) {
        options.insert(0, super::declared::description_option(&t));
    }
}

/// IRIS has no CHECK constraints. Refused unless the gateway was started with
/// `--iris-unenforced-checks`: then they are left out (the session sends a NOTICE saying so).
fn check_constraints(opts: &IrisOptions) -> PgResult<()> {
    if opts.unenforced_checks {
        return Ok(());
    }
    Err(refuse(
        "CHECK constraints",
        "IRIS has no CHECK constraints: validate in the application, or start the gateway with \
         --iris-unenforced-checks to create the table without them (a NOTICE names what is not enforced)",
    ))
}

/// The statement declares CHECK constraints the IRIS target leaves out (for the NOTICE).
pub fn has_check(stmt: &Statement) -> bool {
    let column = |c: &ast::ColumnDef| c.options.iter().any(|o| matches!(o.option, ColumnOption::Check(_)));
    match stmt {
        Statement::CreateTable(ct) => {
            ct.constraints.iter().any(|c| matches!(c, TableConstraint::Check(_))) || ct.columns.iter().any(column)
        }
        Statement::AlterTable(at) => at.operations.iter().any(|op| match op {
            ast::AlterTableOperation::AddConstraint { constraint, .. } => {
                matches!(constraint, TableConstraint::Check(_))
            }
            ast::AlterTableOperation::AddColumn { column_def, .. } => column(column_def),
            _ => false,
        }),
        _ => false,
    }
}

fn column_options(options: &mut Vec<ColumnOptionDef>, opts: &IrisOptions) -> PgResult<()> {
    if options.iter().any(|o| matches!(o.option, ColumnOption::Check(_))) {
        check_constraints(opts)?;
        options.retain(|o| !matches!(o.option, ColumnOption::Check(_)));
    }
    for o in options.iter_mut() {
        match &mut o.option {
            ColumnOption::Default(Expr::Function(f)) if func_name(f).as_deref() == Some("nextval") => {
                return Err(refuse("DEFAULT nextval(..)", "declare the column SERIAL (IDENTITY)"))
            }
            ColumnOption::Collation(c) => {
                let n = c.to_string().trim_matches('"').to_ascii_uppercase();
                if n == "C" || n == "POSIX" {
                    *c = name("%EXACT");
                } else {
                    return Err(refuse(&format!("COLLATE {c}"), "IRIS collations are %EXACT or %SQLUPPER"));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

pub fn drop(stmt: Statement) -> PgResult<Output> {
    let Statement::Drop { object_type, if_exists, names, cascade, restrict, .. } = stmt else {
        return Err(refuse("this DROP", "see docs/translation.md"));
    };
    if !matches!(object_type, ObjectType::Table | ObjectType::View | ObjectType::Index | ObjectType::Schema) {
        return Err(refuse(&format!("DROP {object_type}"), "IRIS objects here are tables, views, indexes and schemas"));
    }
    let suffix = if cascade {
        " CASCADE"
    } else if restrict {
        " RESTRICT"
    } else {
        ""
    };
    let statements = names
        .into_iter()
        .map(|mut n| {
            strip_public(&mut n);
            format!("DROP {object_type} {}{n}{suffix}", if if_exists { "IF EXISTS " } else { "" })
        })
        .collect();
    Ok(Output::commands(statements))
}

/// PostgreSQL TRUNCATE keeps identity counters unless RESTART IDENTITY; IRIS TRUNCATE TABLE
/// resets them (verify), so the default becomes DELETE.
pub fn truncate(t: ast::Truncate) -> PgResult<Output> {
    if matches!(t.cascade, Some(ast::CascadeOption::Cascade)) {
        return Err(refuse("TRUNCATE .. CASCADE", "truncate the referencing tables first"));
    }
    let restart = matches!(t.identity, Some(ast::TruncateIdentityOption::Restart));
    let statements = t
        .table_names
        .into_iter()
        .map(|mut target| {
            strip_public(&mut target.name);
            if restart {
                format!("TRUNCATE TABLE {}", target.name)
            } else {
                format!("DELETE FROM {}", target.name)
            }
        })
        .collect();
    Ok(Output::commands(statements))
}

pub fn create_index(mut ci: ast::CreateIndex) -> PgResult<Output> {
    strip_public(&mut ci.table_name);
    ci.concurrently = false;
    if matches!(&ci.using, Some(IndexType::Custom(i)) if i.value.eq_ignore_ascii_case("hnsw")) {
        return Ok(Output::one(super::vectors::hnsw_index(&ci)?, false));
    }
    match &ci.using {
        None | Some(IndexType::BTree) => ci.using = None,
        Some(other) => {
            return Err(refuse(&format!("index method {other}"), "IRIS builds standard (B-tree) and HNSW indexes"))
        }
    }
    if ci.predicate.is_some() {
        return Err(refuse("partial indexes (CREATE INDEX .. WHERE)", "index the whole column"));
    }
    if !ci.include.is_empty() || !ci.with.is_empty() || ci.nulls_distinct.is_some() {
        return Err(refuse("CREATE INDEX .. INCLUDE / WITH / NULLS DISTINCT", "create a plain index"));
    }
    for c in &mut ci.columns {
        if !matches!(c.column.expr, Expr::Identifier(_)) {
            return Err(refuse("expression indexes", "index plain columns"));
        }
        if !drop_pattern_ops(c) {
            return Err(refuse("index operator classes", "create a plain index"));
        }
        c.column.options = Default::default();
    }
    if ci.name.is_none() {
        let cols: Vec<String> =
            ci.columns.iter().map(|c| c.column.expr.to_string().trim_matches('"').to_string()).collect();
        ci.name = Some(name(&format!("{}_{}_idx", ci.table_name.to_string().replace('.', "_"), cols.join("_"))));
    }
    Ok(Output::one(Statement::CreateIndex(ci).to_string(), false))
}

/// Indexes IRIS cannot build and whose absence changes no query's rows: none is made, and
/// the NOTICE returned here tells the client (`DROP INDEX` of the name then finds nothing:
/// use IF EXISTS). A UNIQUE one changes what may be inserted, so it stays refused.
/// - `USING gin (col [jsonb_ops | jsonb_path_ops])` (LangChain's PGVector, on its metadata):
///   IRIS has no GIN, and a plain index on a JSON text column would meet IRIS's subscript
///   length limit with long documents;
/// - an expression index (LlamaIndex's `((metadata_ ->> 'ref_doc_id'))`): IRIS indexes
///   columns only.
pub fn index_left_out(ci: &ast::CreateIndex) -> Option<&'static str> {
    if ci.unique || ci.predicate.is_some() {
        return None;
    }
    if jsonb_gin_index(ci) {
        return Some("IRIS has no GIN indexes: no index was made (queries return the same rows without it)");
    }
    let plain_method = matches!(ci.using, None | Some(IndexType::BTree));
    if plain_method && ci.columns.iter().any(|c| !matches!(c.column.expr, Expr::Identifier(_))) {
        return Some("IRIS has no expression indexes: no index was made (queries return the same rows without it)");
    }
    None
}

fn jsonb_gin_index(ci: &ast::CreateIndex) -> bool {
    matches!(ci.using, Some(IndexType::GIN))
        && ci.predicate.is_none()
        && ci.columns.iter().all(|c| {
            matches!(c.column.expr, Expr::Identifier(_))
                && c.operator_class.as_ref().is_none_or(|o| {
                    let o = o.to_string().to_ascii_lowercase();
                    o == "jsonb_ops" || o == "jsonb_path_ops"
                })
        })
}

/// A foreign key as IRIS takes it: `REFERENCES public.t` (Drizzle writes every key so) names
/// IRIS's default schema; IRIS checks keys at once, so `DEFERRABLE [INITIALLY DEFERRED]`
/// (Django's keys) is left out, with a NOTICE (`deferrable_keys`): a transaction that
/// inserts a child before its parent fails with 23503 where PostgreSQL waits for COMMIT.
fn iris_foreign_key(fk: &mut ast::ForeignKeyConstraint) {
    strip_public(&mut fk.foreign_table);
    fk.characteristics = None;
}

/// The statement declares a DEFERRABLE foreign key (see `iris_foreign_key`).
pub fn deferrable_keys(stmt: &Statement) -> bool {
    let deferrable =
        |fk: &ast::ForeignKeyConstraint| fk.characteristics.as_ref().is_some_and(|c| c.deferrable == Some(true));
    match stmt {
        Statement::CreateTable(ct) => {
            ct.columns.iter().flat_map(|c| &c.options).any(|o| matches!(&o.option, ColumnOption::ForeignKey(fk) if deferrable(fk)))
                || ct.constraints.iter().any(|c| matches!(c, TableConstraint::ForeignKey(fk) if deferrable(fk)))
        }
        Statement::AlterTable(at) => at.operations.iter().any(|op| {
            matches!(op, ast::AlterTableOperation::AddConstraint { constraint: TableConstraint::ForeignKey(fk), .. } if deferrable(fk))
        }),
        _ => false,
    }
}

pub fn alter_table(mut at: ast::AlterTable, opts: &IrisOptions) -> PgResult<Output> {
    strip_public(&mut at.name);
    let mut statements = Vec::new();
    for op in std::mem::take(&mut at.operations) {
        let op = match op {
            ast::AlterTableOperation::AddColumn { mut column_def, column_keyword, if_not_exists, column_position } => {
                let k = kind(&column_def.data_type);
                if if_not_exists {
                    return Err(refuse(
                        "ADD COLUMN IF NOT EXISTS",
                        "check INFORMATION_SCHEMA.COLUMNS first, then ADD COLUMN",
                    ));
                }
                if matches!(k, PgKind::Serial(_)) {
                    return Err(refuse("ADD COLUMN .. SERIAL", "add an INTEGER column and fill it"));
                }
                column_def.data_type = column_type(&column_def.data_type, opts)?;
                column_options(&mut column_def.options, opts)?;
                if opts.exact_strings && is_string(&k) {
                    column_def
                        .options
                        .insert(0, ColumnOptionDef { name: None, option: ColumnOption::Collation(name("%EXACT")) });
                }
                record_type(&k, &mut column_def.options);
                ast::AlterTableOperation::AddColumn { column_def, column_keyword, if_not_exists, column_position }
            }
            ast::AlterTableOperation::AddConstraint { mut constraint, not_valid } => {
                if let TableConstraint::ForeignKey(fk) = &mut constraint {
                    iris_foreign_key(fk);
                }
                ast::AlterTableOperation::AddConstraint { constraint, not_valid }
            }
            op @ (ast::AlterTableOperation::DropColumn { .. } | ast::AlterTableOperation::DropConstraint { .. }) => op,
            ast::AlterTableOperation::AlterColumn { column_name, op } => {
                statements.push(alter_column(&at.name, &column_name, op, opts)?);
                continue;
            }
            ast::AlterTableOperation::RenameColumn { old_column_name, new_column_name } => {
                // IRIS: ALTER [COLUMN] field RENAME newfieldname.
                statements
                    .push(format!("ALTER TABLE {} ALTER COLUMN {old_column_name} RENAME {new_column_name}", at.name));
                continue;
            }
            ast::AlterTableOperation::RenameTable {
                table_name: ast::RenameTableNameKind::To(new) | ast::RenameTableNameKind::As(new),
            } => {
                statements.extend(rename_table(&at.name, &new, opts)?);
                continue;
            }
            other => {
                return Err(refuse(
                    &format!("ALTER TABLE {other}"),
                    "IRIS supports ADD/DROP/ALTER/RENAME COLUMN, RENAME TO and constraints here",
                ))
            }
        };
        if let ast::AlterTableOperation::AddConstraint { constraint: TableConstraint::Check(_), .. } = &op {
            check_constraints(opts)?;
            continue;
        }
        let mut one = at.clone();
        one.operations = vec![op];
        statements.push(Statement::AlterTable(one).to_string());
    }
    Ok(Output::commands(statements))
}

/// `ALTER COLUMN` in IRIS's spellings (RSQL_altertable: `ALTER COLUMN f NULL | NOT NULL |
/// datatype | DEFAULT spec | DROP DEFAULT`).
fn alter_column(
    table: &ast::ObjectName,
    column: &ast::Ident,
    op: ast::AlterColumnOperation,
    opts: &IrisOptions,
) -> PgResult<String> {
    use ast::AlterColumnOperation as Op;
    let head = format!("ALTER TABLE {table} ALTER COLUMN {column}");
    Ok(match op {
        Op::SetNotNull => format!("{head} NOT NULL"),
        Op::DropNotNull => format!("{head} NULL"),
        Op::DropDefault => format!("{head} DROP DEFAULT"),
        Op::SetDefault { value: Expr::Function(f) } if func_name(&f).as_deref() == Some("nextval") => {
            return Err(refuse("SET DEFAULT nextval(..)", "declare the column SERIAL (IDENTITY) when creating it"))
        }
        Op::SetDefault { value } => format!("{head} DEFAULT {value}"),
        Op::SetDataType { using: Some(_), .. } => {
            return Err(refuse(
                "ALTER COLUMN .. TYPE .. USING",
                "add a column of the new type, UPDATE it from the old one, then drop the old one",
            ))
        }
        Op::SetDataType { data_type, using: None, .. } => {
            let k = kind(&data_type);
            let table_name = table.0.last().and_then(|p| p.as_ident()).map(|i| i.value.as_str()).unwrap_or_default();
            // The declared type lives in the column's description, which ALTER TABLE cannot
            // change (iris-facts): neither a type that needs one nor a column that has one.
            if super::declared::recorded_type(&k).is_some()
                || opts.columns.is_declared(table_name, &column.value)
                || matches!(k, PgKind::Serial(_))
            {
                return Err(refuse(
                    &format!("ALTER COLUMN .. TYPE {data_type} here"),
                    "IRIS keeps a column's PostgreSQL type in its description, which ALTER TABLE cannot change: \
                     add a column of the new type, UPDATE it from the old one, then drop the old one",
                ));
            }
            format!("{head} {}", column_type(&data_type, opts)?)
        }
        other => return Err(refuse(&format!("ALTER COLUMN .. {other}"), "see docs/translation.md")),
    })
}

/// `RENAME TO`: IRIS's `ALTER TABLE t RENAME newtable` (the new name in the table's schema).
/// IRIS renames no view (ALTER VIEW only redefines one): a view the gateway knows is made
/// again under the new name from its definition, and the old one dropped (the session runs
/// both in one transaction).
fn rename_table(table: &ast::ObjectName, new: &ast::ObjectName, opts: &IrisOptions) -> PgResult<Vec<String>> {
    let Some(new) = new.0.last() else {
        return Err(refuse("RENAME TO without a name", "name the table"));
    };
    let mut renamed = table.clone();
    if let Some(last) = renamed.0.last_mut() {
        *last = new.clone();
    }
    let old = table.0.last().and_then(|p| p.as_ident()).map(|i| i.value.as_str()).unwrap_or_default();
    let mut statements = match opts.columns.view(old) {
        None => return Ok(vec![format!("ALTER TABLE {table} RENAME {new}")]),
        Some(super::declared::ViewDefinition::Iris(query)) => vec![format!("CREATE VIEW {renamed} AS {query}")],
        Some(super::declared::ViewDefinition::Created(stmt)) => {
            let Statement::CreateView(mut cv) = stmt.as_ref().clone() else {
                return Err(crate::error::PgError::internal("a view definition that is no CREATE VIEW"));
            };
            (cv.name, cv.or_replace, cv.if_not_exists) = (renamed, false, false);
            super::translate(Statement::CreateView(cv), opts)?.statements
        }
    };
    statements.push(format!("DROP VIEW {table}"));
    Ok(statements)
}
