//! A backend's schema as `catalog_snapshot()` returns it (python/iris_pgwire/backends),
//! and its rows in the catalog relations, with stable OIDs.

use std::collections::HashMap;

use pyo3::prelude::*;
use rusqlite::{params_from_iter, Connection, ToSql};

use crate::types::{self, PgType};

#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub schemas: Vec<String>,
    pub relations: Vec<Relation>,
    /// User enum types (the gateway's `CREATE TYPE .. AS ENUM`, kept by the backend).
    pub enums: Vec<EnumType>,
}

#[derive(Debug, Clone, Default)]
pub struct EnumType {
    pub schema: String,
    pub name: String,
    /// Labels with their sort order (pg_enum.enumsortorder), in that order.
    pub labels: Vec<(String, f64)>,
}

#[derive(Debug, Clone, Default)]
pub struct Relation {
    pub schema: String,
    pub name: String,
    /// 'r' table, 'v' view, 'S' sequence.
    pub kind: String,
    pub comment: Option<String>,
    /// A view's SELECT.
    pub definition: Option<String>,
    pub columns: Vec<Column>,
    pub constraints: Vec<Constraint>,
    pub indexes: Vec<Index>,
}

#[derive(Debug, Clone, Default)]
pub struct Column {
    pub name: String,
    /// PostgreSQL spelling: `integer`, `varchar(40)`, `numeric(12,2)`, `vector(3)`.
    pub type_name: String,
    pub not_null: bool,
    /// PostgreSQL expression text, as pg_get_expr shows it.
    pub default: Option<String>,
    pub comment: Option<String>,
    /// IRIS: `type_name` is the type the gateway's DDL recorded (`%DESCRIPTION`), not one
    /// mapped from the IRIS column's.
    pub declared: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Constraint {
    pub name: String,
    /// 'p', 'u' or 'f'.
    pub kind: String,
    pub columns: Vec<String>,
    pub ref_schema: Option<String>,
    pub ref_table: Option<String>,
    pub ref_columns: Vec<String>,
    /// PostgreSQL action letters: a (no action), r, c, n, d.
    pub on_update: String,
    pub on_delete: String,
}

#[derive(Debug, Clone, Default)]
pub struct Index {
    pub name: String,
    pub columns: Vec<String>,
    pub unique: bool,
    pub primary: bool,
    /// `btree`, `hnsw`.
    pub method: String,
}

fn get<'py, T: FromPyObjectOwned<'py>>(d: &Bound<'py, PyAny>, key: &str) -> PyResult<T> {
    d.get_item(key)?.extract::<T>().map_err(Into::into)
}

fn opt<'py, T: FromPyObjectOwned<'py>>(d: &Bound<'py, PyAny>, key: &str) -> PyResult<Option<T>> {
    match d.get_item(key) {
        Ok(v) if v.is_none() => Ok(None),
        Ok(v) => Ok(Some(v.extract::<T>().map_err(Into::into)?)),
        Err(_) => Ok(None),
    }
}

fn list<'py, T>(d: &Bound<'py, PyAny>, key: &str, f: impl Fn(&Bound<'py, PyAny>) -> PyResult<T>) -> PyResult<Vec<T>> {
    match d.get_item(key) {
        Ok(v) if !v.is_none() => v.try_iter()?.map(|i| f(&i?)).collect(),
        _ => Ok(Vec::new()),
    }
}

impl Snapshot {
    /// Read the dict a backend's `catalog_snapshot()` returns.
    pub fn from_py(d: &Bound<'_, PyAny>) -> PyResult<Snapshot> {
        let relations = list(d, "relations", |r| {
            Ok(Relation {
                schema: get(r, "schema")?,
                name: get(r, "name")?,
                kind: opt(r, "kind")?.unwrap_or_else(|| "r".into()),
                comment: opt(r, "comment")?,
                definition: opt(r, "definition")?,
                columns: list(r, "columns", |c| {
                    Ok(Column {
                        name: get(c, "name")?,
                        type_name: get(c, "type")?,
                        not_null: opt(c, "not_null")?.unwrap_or(false),
                        default: opt(c, "default")?,
                        comment: opt(c, "comment")?,
                        declared: opt(c, "declared")?.unwrap_or(false),
                    })
                })?,
                constraints: list(r, "constraints", |c| {
                    Ok(Constraint {
                        name: get(c, "name")?,
                        kind: get(c, "kind")?,
                        columns: get(c, "columns")?,
                        ref_schema: opt(c, "ref_schema")?,
                        ref_table: opt(c, "ref_table")?,
                        ref_columns: opt(c, "ref_columns")?.unwrap_or_default(),
                        on_update: opt(c, "on_update")?.unwrap_or_else(|| "a".into()),
                        on_delete: opt(c, "on_delete")?.unwrap_or_else(|| "a".into()),
                    })
                })?,
                indexes: list(r, "indexes", |i| {
                    Ok(Index {
                        name: get(i, "name")?,
                        columns: get(i, "columns")?,
                        unique: opt(i, "unique")?.unwrap_or(false),
                        primary: opt(i, "primary")?.unwrap_or(false),
                        method: opt(i, "method")?.unwrap_or_else(|| "btree".into()),
                    })
                })?,
            })
        })?;
        let mut enums = list(d, "enums", |e| {
            Ok(EnumType {
                schema: get(e, "schema")?,
                name: get(e, "name")?,
                labels: get::<Vec<(String, f64)>>(e, "labels")?,
            })
        })?;
        for e in &mut enums {
            e.labels.sort_by(|a, b| a.1.total_cmp(&b.1));
        }
        let mut schemas: Vec<String> = list(d, "schemas", |s| s.extract::<String>().map_err(Into::into))?;
        for r in &relations {
            if !schemas.contains(&r.schema) {
                schemas.push(r.schema.clone());
            }
        }
        if !schemas.iter().any(|s| s == "public") {
            schemas.insert(0, "public".into());
        }
        for e in &enums {
            if !schemas.contains(&e.schema) {
                schemas.push(e.schema.clone());
            }
        }
        Ok(Snapshot { schemas, relations, enums })
    }
}

pub const PG_CATALOG_NS: i64 = 11;
pub const PUBLIC_NS: i64 = 2200;
pub const INFORMATION_SCHEMA_NS: i64 = 13000;
pub const PG_CLASS_OID: i64 = 1259;
pub const BOOTSTRAP_USER: i64 = 10;
pub const DATABASE_OID: i64 = 5;
const FIRST_USER_OID: u32 = 16384;

/// What differs between pg_class rows; the other columns are PostgreSQL's defaults.
pub struct Class<'a> {
    pub oid: i64,
    pub name: &'a str,
    pub namespace: i64,
    pub am: i64,
    pub pages: i64,
    pub tuples: f64,
    pub kind: &'a str,
    pub columns: usize,
    pub has_index: bool,
    pub has_triggers: bool,
    /// relreplident: `d` default, `n` nothing (system relations, indexes).
    pub replica_identity: &'a str,
}

pub fn insert_class(db: &Connection, c: &Class) -> rusqlite::Result<()> {
    insert(
        db,
        "pg_class",
        &[
            &c.oid,
            &c.name,
            &c.namespace,
            &0,
            &0,
            &BOOTSTRAP_USER,
            &c.am,
            &c.oid,
            &0,
            &c.pages,
            &c.tuples,
            &0,
            &0,
            &c.has_index,
            &false,
            &"p",
            &c.kind,
            &(c.columns as i64),
            &0,
            &(c.kind == "v"),
            &c.has_triggers,
            &false,
            &false,
            &false,
            &true,
            &c.replica_identity,
            &false,
            &0,
            &0,
            &0,
            &NULL,
            &NULL,
            &NULL,
        ],
    )
}

/// A pg_attribute row of a column without typmod, default or NOT NULL (an index's
/// columns, the catalog's own relations' columns); `i` counts from 0.
pub fn insert_attribute(
    db: &Connection,
    relid: i64,
    name: &str,
    t: &PgType,
    i: usize,
    storage: &str,
) -> rusqlite::Result<()> {
    insert(
        db,
        "pg_attribute",
        &[
            &relid,
            &name,
            &(t.oid as i64),
            &-1,
            &(t.typlen as i64),
            &(i as i64 + 1),
            &0,
            &-1,
            &-1,
            &(t.typlen > 0),
            &"i",
            &storage,
            &"",
            &false,
            &false,
            &false,
            &"",
            &"",
            &false,
            &true,
            &0,
            &0,
            &NULL,
            &NULL,
            &NULL,
            &NULL,
        ],
    )
}

/// The OID a hash of `key` gives, in the user objects' range.
pub fn hash_oid(key: &str) -> i64 {
    let mut h: u32 = 0x811c9dc5;
    for b in key.bytes() {
        h = (h ^ b as u32).wrapping_mul(0x0100_0193);
    }
    let span = (i32::MAX as u32) - FIRST_USER_OID;
    (FIRST_USER_OID + h % span) as i64
}

/// Stable OIDs: a hash of what the object is, so an object keeps its OID across
/// snapshots (clients cache them between two queries of one `\d`).
pub struct Oids {
    used: HashMap<i64, String>,
}

impl Oids {
    fn new() -> Self {
        Oids { used: HashMap::new() }
    }

    pub fn of(&mut self, key: &str) -> i64 {
        let mut oid = hash_oid(key);
        while let Some(k) = self.used.get(&oid) {
            if k == key {
                return oid;
            }
            oid += 1;
        }
        self.used.insert(oid, key.to_string());
        oid
    }
}

/// What the SQL functions need to know about the snapshot (pg_get_*, regclass, ...).
#[derive(Default)]
pub struct Facts {
    /// relation oid -> (schema, name)
    pub relations: HashMap<i64, (String, String)>,
    pub relation_oids: HashMap<(String, String), i64>,
    pub namespaces: HashMap<i64, String>,
    pub index_defs: HashMap<i64, (String, Vec<String>)>,
    pub constraint_defs: HashMap<i64, String>,
    pub view_defs: HashMap<i64, String>,
    pub descriptions: HashMap<(i64, i64), String>,
    pub procs: HashMap<i64, String>,
    /// Relations some foreign key references.
    pub referenced: std::collections::HashSet<i64>,
    /// The DDL generation of the snapshot: its rows' xmin and txid_current().
    pub generation: u64,
}

impl Facts {
    /// Name of a relation as regclass prints it: qualified when not on the search path.
    pub fn regclass_name(&self, oid: i64) -> Option<String> {
        self.relations.get(&oid).map(|(s, n)| qualified(s, n))
    }

    pub fn regclass_oid(&self, text: &str) -> Option<i64> {
        let parts = split_qualified(text);
        let (schema, name) = match parts.as_slice() {
            [n] => (None, n.clone()),
            [s, n] => (Some(s.clone()), n.clone()),
            [_, s, n] => (Some(s.clone()), n.clone()),
            _ => return None,
        };
        match schema {
            Some(s) => self.relation_oids.get(&(s, name)).copied(),
            None => ["public", "pg_catalog"]
                .iter()
                .find_map(|s| self.relation_oids.get(&(s.to_string(), name.clone())).copied()),
        }
    }
}

/// `schema.name` split on dots outside double quotes, unquoted and lower-cased as
/// PostgreSQL reads identifiers.
pub fn split_qualified(text: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut quoted = false;
    let mut was_quoted = false;
    let mut chars = text.trim().chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                parts.last_mut().unwrap().push('"');
            }
            '"' => {
                quoted = !quoted;
                was_quoted = true;
            }
            '.' if !quoted => {
                parts.push(String::new());
                was_quoted = false;
            }
            c if quoted || was_quoted => parts.last_mut().unwrap().push(c),
            c => parts.last_mut().unwrap().extend(c.to_lowercase()),
        }
    }
    parts
}

/// An identifier as PostgreSQL's quote_ident writes it.
pub fn quote_ident(s: &str) -> String {
    let plain = s.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !crate::catalog::functions::is_reserved_word(s);
    if plain {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('"', "\"\""))
    }
}

pub fn qualified(schema: &str, name: &str) -> String {
    if schema == "public" || schema == "pg_catalog" {
        quote_ident(name)
    } else {
        format!("{}.{}", quote_ident(schema), quote_ident(name))
    }
}

/// One row of a catalog table, its values in column order.
pub fn insert(db: &Connection, table: &str, values: &[&dyn ToSql]) -> rusqlite::Result<()> {
    let marks = vec!["?"; values.len()].join(", ");
    db.prepare_cached(&format!("INSERT INTO {table} VALUES ({marks})"))?.execute(params_from_iter(values.iter()))?;
    Ok(())
}

pub type Null = Option<i64>;
pub const NULL: Null = None;

fn namespace_oid(oids: &mut Oids, schema: &str) -> i64 {
    match schema {
        "pg_catalog" => PG_CATALOG_NS,
        "public" => PUBLIC_NS,
        "information_schema" => INFORMATION_SCHEMA_NS,
        s => oids.of(&format!("namespace {s}")),
    }
}

fn column_type(type_name: &str) -> (&'static PgType, i64) {
    let t = types::by_name(type_name).unwrap_or(&types::TEXT);
    (t, types::column_typmod(type_name, t) as i64)
}

/// pg_type.typstorage: plain for fixed-size types, main for numeric, extended otherwise.
pub fn storage(t: &PgType) -> &'static str {
    match (t.typlen > 0, t.kind) {
        (true, _) => "p",
        (false, types::Kind::Numeric) => "m",
        _ => "x",
    }
}

fn fk_action_sql(a: &str) -> Option<&'static str> {
    match a {
        "r" => Some("RESTRICT"),
        "c" => Some("CASCADE"),
        "n" => Some("SET NULL"),
        "d" => Some("SET DEFAULT"),
        _ => None,
    }
}

/// Insert the snapshot's rows; the built-in rows are in `builtin.rs`.
pub fn fill(db: &Connection, snap: &Snapshot) -> rusqlite::Result<Facts> {
    let mut oids = Oids::new();
    let mut facts = Facts::default();
    facts.descriptions.insert((PUBLIC_NS, 0), "standard public schema".into());
    for s in &snap.schemas {
        let oid = namespace_oid(&mut oids, s);
        facts.namespaces.insert(oid, s.clone());
        if s != "pg_catalog" && s != "information_schema" {
            let owner = if s == "public" { 6171 } else { BOOTSTRAP_USER };
            insert(db, "pg_namespace", &[&oid, s, &owner, &NULL])?;
        }
    }
    // Enum types before the columns that have them.
    for e in &snap.enums {
        let ty = types::enums::register(&e.schema, &e.name);
        let ns = namespace_oid(&mut oids, &e.schema);
        super::builtin::insert_type(db, ty, &e.name, ns, "e", "E")?;
        if let Some(array) = ty.array() {
            super::builtin::insert_type(db, array, &format!("_{}", e.name), ns, "b", "A")?;
        }
        for (label, order) in &e.labels {
            let oid = oids.of(&format!("enum {}.{} {label}", e.schema, e.name));
            insert(db, "pg_enum", &[&oid, &(ty.oid as i64), order, label])?;
        }
    }
    // Relation OIDs first: foreign keys point at relations listed later.
    for r in &snap.relations {
        let oid = oids.of(&format!("relation {}.{}", r.schema, r.name));
        facts.relations.insert(oid, (r.schema.clone(), r.name.clone()));
        facts.relation_oids.insert((r.schema.clone(), r.name.clone()), oid);
    }
    for r in &snap.relations {
        for k in r.constraints.iter().filter(|k| k.kind == "f") {
            let target =
                (k.ref_schema.clone().unwrap_or_else(|| r.schema.clone()), k.ref_table.clone().unwrap_or_default());
            if let Some(oid) = facts.relation_oids.get(&target) {
                facts.referenced.insert(*oid);
            }
        }
    }
    for r in &snap.relations {
        fill_relation(db, r, &mut oids, &mut facts)?;
    }
    Ok(facts)
}

fn attnum_of(r: &Relation, col: &str) -> i64 {
    r.columns.iter().position(|c| c.name == col).map_or(0, |i| i as i64 + 1)
}

fn fill_relation(db: &Connection, r: &Relation, oids: &mut Oids, facts: &mut Facts) -> rusqlite::Result<()> {
    let oid = facts.relation_oids[&(r.schema.clone(), r.name.clone())];
    let ns = namespace_oid(oids, &r.schema);
    let kind = r.kind.as_str();
    let am: i64 = if kind == "r" { 2 } else { 0 };
    let has_index = !r.indexes.is_empty();
    // PostgreSQL implements foreign keys with triggers on both tables (psql shows
    // foreign keys only for tables with relhastriggers).
    let has_triggers = r.constraints.iter().any(|k| k.kind == "f") || facts.referenced.contains(&oid);
    let class = Class {
        oid,
        name: &r.name,
        namespace: ns,
        am,
        pages: 0,
        tuples: -1.0,
        kind,
        columns: r.columns.len(),
        has_index,
        has_triggers,
        replica_identity: "d",
    };
    insert_class(db, &class)?;
    if let Some(c) = &r.comment {
        facts.descriptions.insert((oid, 0), c.clone());
        insert(db, "pg_description", &[&oid, &PG_CLASS_OID, &0, c])?;
    }
    if let Some(d) = &r.definition {
        facts.view_defs.insert(oid, d.clone());
    }
    for (i, c) in r.columns.iter().enumerate() {
        let attnum = i as i64 + 1;
        let (t, typmod) = column_type(&c.type_name);
        let collation: i64 = if t.kind == types::Kind::Text { 100 } else { 0 };
        insert(
            db,
            "pg_attribute",
            &[
                &oid,
                &c.name,
                &(t.oid as i64),
                &-1,
                &(t.typlen as i64),
                &attnum,
                &0,
                &-1,
                &typmod,
                &(t.typlen > 0),
                &"i",
                &storage(t),
                &"",
                &c.not_null,
                &c.default.is_some(),
                &false,
                &"",
                &"",
                &false,
                &true,
                &0,
                &collation,
                &NULL,
                &NULL,
                &NULL,
                &NULL,
            ],
        )?;
        if let Some(d) = &c.default {
            let def_oid = oids.of(&format!("attrdef {}.{}.{}", r.schema, r.name, c.name));
            insert(db, "pg_attrdef", &[&def_oid, &oid, &attnum, d])?;
        }
        if let Some(text) = &c.comment {
            facts.descriptions.insert((oid, attnum), text.clone());
            insert(db, "pg_description", &[&oid, &PG_CLASS_OID, &attnum, text])?;
        }
    }
    if kind == "S" {
        insert(db, "pg_sequence", &[&oid, &20, &1, &1, &i64::MAX, &1, &1, &false])?;
    }
    let key = |cols: &[String]| cols.iter().map(|c| attnum_of(r, c).to_string()).collect::<Vec<_>>();
    let mut index_oids = HashMap::new();
    for ix in &r.indexes {
        let ix_oid = oids.of(&format!("relation {}.{}", r.schema, ix.name));
        index_oids.insert(ix.name.clone(), ix_oid);
        facts.relations.insert(ix_oid, (r.schema.clone(), ix.name.clone()));
        facts.relation_oids.insert((r.schema.clone(), ix.name.clone()), ix_oid);
        let am: i64 = if ix.method == "btree" { 403 } else { oids.of(&format!("am {}", ix.method)) };
        // relpages and reltuples as CREATE INDEX leaves them (a B-tree's metapage, no
        // rows counted); pgjdbc's getIndexInfo reports them.
        let class = Class {
            oid: ix_oid,
            name: &ix.name,
            namespace: ns,
            am,
            pages: 1,
            tuples: 0.0,
            kind: "i",
            columns: ix.columns.len(),
            has_index: false,
            has_triggers: false,
            replica_identity: "n",
        };
        insert_class(db, &class)?;
        let indkey = key(&ix.columns).join(" ");
        let zeros = vec!["0"; ix.columns.len()].join(" ");
        let n = ix.columns.len() as i64;
        insert(
            db,
            "pg_index",
            &[
                &ix_oid,
                &oid,
                &n,
                &n,
                &ix.unique,
                &false,
                &ix.primary,
                &false,
                &true,
                &false,
                &true,
                &false,
                &true,
                &true,
                &false,
                &indkey,
                &zeros,
                &zeros,
                &zeros,
                &NULL,
                &NULL,
            ],
        )?;
        let cols: Vec<String> = ix.columns.iter().map(|c| quote_ident(c)).collect();
        let def = format!(
            "CREATE {}INDEX {} ON {}.{} USING {} ({})",
            if ix.unique { "UNIQUE " } else { "" },
            quote_ident(&ix.name),
            quote_ident(&r.schema),
            quote_ident(&r.name),
            ix.method,
            cols.join(", ")
        );
        facts.index_defs.insert(ix_oid, (def, ix.columns.clone()));
        for (i, c) in ix.columns.iter().enumerate() {
            let (t, _) = column_type(&r.columns.iter().find(|x| &x.name == c).map_or("text", |x| &x.type_name));
            insert_attribute(db, ix_oid, c, t, i, "p")?;
        }
    }
    for k in &r.constraints {
        let k_oid = oids.of(&format!("constraint {}.{}.{}", r.schema, r.name, k.name));
        let conkey = format!("{{{}}}", key(&k.columns).join(","));
        let cols: Vec<String> = k.columns.iter().map(|c| quote_ident(c)).collect();
        let (def, confrelid, confkey, conindid) = match k.kind.as_str() {
            "f" => {
                let rs = k.ref_schema.clone().unwrap_or_else(|| r.schema.clone());
                let rt = k.ref_table.clone().unwrap_or_default();
                let ref_oid = facts.relation_oids.get(&(rs.clone(), rt.clone())).copied().unwrap_or(0);
                let ref_cols: Vec<String> = k.ref_columns.iter().map(|c| quote_ident(c)).collect();
                let mut def = format!(
                    "FOREIGN KEY ({}) REFERENCES {}({})",
                    cols.join(", "),
                    qualified(&rs, &rt),
                    ref_cols.join(", ")
                );
                if let Some(a) = fk_action_sql(&k.on_update) {
                    def.push_str(&format!(" ON UPDATE {a}"));
                }
                if let Some(a) = fk_action_sql(&k.on_delete) {
                    def.push_str(&format!(" ON DELETE {a}"));
                }
                // The referenced relation's attnums are resolved by name in the engine.
                (def, ref_oid, Some(k.ref_columns.clone()), 0)
            }
            "p" => {
                (format!("PRIMARY KEY ({})", cols.join(", ")), 0, None, index_oids.get(&k.name).copied().unwrap_or(0))
            }
            _ => (format!("UNIQUE ({})", cols.join(", ")), 0, None, index_oids.get(&k.name).copied().unwrap_or(0)),
        };
        facts.constraint_defs.insert(k_oid, def);
        let confkey_text: Option<String> = confkey.map(|names| format!("{{{}}}", names.join(",")));
        let (upd, del) = if k.kind == "f" { (k.on_update.as_str(), k.on_delete.as_str()) } else { (" ", " ") };
        insert(
            db,
            "pg_constraint",
            &[
                &k_oid,
                &k.name,
                &ns,
                &k.kind,
                &false,
                &false,
                &true,
                &oid,
                &0,
                &conindid,
                &0,
                &confrelid,
                &upd,
                &del,
                &if k.kind == "f" { "s" } else { " " },
                &true,
                &0,
                &true,
                &conkey,
                &confkey_text,
                &NULL,
                &NULL,
                &NULL,
                &NULL,
                &NULL,
                &NULL,
            ],
        )?;
    }
    Ok(())
}

/// Foreign keys name their referenced columns; turn them into attnums now that every
/// relation's attributes are in (and point conindid at the referenced key's index).
pub fn resolve_foreign_keys(db: &Connection) -> rusqlite::Result<()> {
    let mut stmt = db.prepare("SELECT oid, confrelid, confkey FROM pg_constraint WHERE contype = 'f'")?;
    let rows: Vec<(i64, i64, Option<String>)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<_, _>>()?;
    for (oid, relid, names) in rows {
        let names = super::arrays::elements(names.as_deref().unwrap_or("{}"));
        let mut nums = Vec::new();
        for n in names.into_iter().flatten() {
            let num: Option<i64> = db
                .query_row("SELECT attnum FROM pg_attribute WHERE attrelid = ? AND attname = ?", (relid, &n), |r| {
                    r.get(0)
                })
                .ok();
            nums.push(num.unwrap_or(0).to_string());
        }
        let confkey = format!("{{{}}}", nums.join(","));
        let conkey_sorted = {
            let mut v = nums.clone();
            v.sort();
            v.join(" ")
        };
        let indid: i64 = db
            .query_row(
                "SELECT indexrelid FROM pg_index WHERE indrelid = ? AND indisunique AND indkey = ?",
                (relid, &conkey_sorted),
                |r| r.get(0),
            )
            .or_else(|_| {
                db.query_row(
                    "SELECT indexrelid FROM pg_index WHERE indrelid = ? AND indisunique AND indkey = ?",
                    (relid, nums.join(" ")),
                    |r| r.get(0),
                )
            })
            .unwrap_or(0);
        db.execute("UPDATE pg_constraint SET confkey = ?, conindid = ? WHERE oid = ?", (confkey, indid, oid))?;
    }
    Ok(())
}
