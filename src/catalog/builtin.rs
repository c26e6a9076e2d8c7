//! The rows every catalog has, whatever the backend: schemas, types (from the type
//! registry, vector included), access methods, the database, roles, settings.

use rusqlite::{Connection, Result};

use super::snapshot::{insert, BOOTSTRAP_USER, DATABASE_OID, INFORMATION_SCHEMA_NS, NULL, PG_CATALOG_NS, PUBLIC_NS};
use crate::types::{self, Kind, PgType};

fn category(t: &PgType) -> &'static str {
    if t.oid == types::VOID.oid {
        return "P";
    }
    match t.kind {
        Kind::Array => "A",
        Kind::Bool => "B",
        Kind::Int2 | Kind::Int4 | Kind::Int8 | Kind::Float4 | Kind::Float8 | Kind::Numeric | Kind::Oid => "N",
        Kind::Text | Kind::Unknown => "S",
        Kind::Date | Kind::Time | Kind::Timestamp | Kind::TimestampTz => "D",
        Kind::TimeTz => "D",
        Kind::Interval => "T",
        Kind::Vector => "U",
        _ => "U",
    }
}

/// The procedures clients look up by name (pg_proc), with their result types.
pub const PROCS: &[(i64, &str, u32)] = &[
    (1081, "format_type", 25),
    (1716, "pg_get_expr", 25),
    (1643, "pg_get_indexdef", 25),
    (1387, "pg_get_constraintdef", 25),
    (1641, "pg_get_viewdef", 25),
    (2079, "pg_table_is_visible", 16),
    (1403, "current_schemas", 1003),
    (1402, "current_schema", 19),
    (861, "current_database", 19),
    (1215, "obj_description", 25),
    (1216, "col_description", 25),
    (1922, "has_table_privilege", 16),
    (1642, "pg_get_userbyid", 19),
    (395, "array_to_string", 25),
    (2331, "unnest", 2283),
    (1191, "generate_subscripts", 23),
    (1067, "generate_series", 23),
    (89, "version", 25),
    (2026, "pg_backend_pid", 23),
];

/// A type's input, output, receive and send functions as (oid, name, result type):
/// PostgreSQL's, or for an extension's type (pgvector) `vector_in` .. with OIDs like
/// user objects.
fn io_procs(t: &PgType) -> [(i64, String, i64); 4] {
    if let Some(procs) = super::io_procs::of(t) {
        return procs.map(|(oid, name)| (oid, name.to_string(), 0));
    }
    let ty = t.oid as i64;
    let result = [ty, super::io_procs::CSTRING, ty, types::BYTEA.oid as i64];
    let suffixes = ["in", "out", "recv", "send"];
    std::array::from_fn(|i| {
        let name = format!("{}_{}", t.name, suffixes[i]);
        (super::snapshot::hash_oid(&format!("function {name}")), name, result[i])
    })
}

/// Every pg_proc row: the functions clients look up by name, and the types' I/O
/// functions, as (oid, name, result type).
pub fn procs() -> Vec<(i64, String, i64)> {
    let mut all: Vec<(i64, String, i64)> =
        PROCS.iter().map(|(oid, name, ret)| (*oid, name.to_string(), *ret as i64)).collect();
    all.extend(super::io_procs::all().into_iter().map(|(oid, name, ret)| (oid, name.to_string(), ret)));
    for t in types::all_types() {
        if super::io_procs::of(t).is_none() {
            all.extend(io_procs(t));
        }
    }
    all
}

/// pg_class and pg_attribute rows of the catalog's own relations (`\\d pg_class`,
/// tools browsing pg_catalog); `facts` learns their names for regclass.
pub fn fill_own_relations(db: &Connection, facts: &mut super::snapshot::Facts) -> Result<()> {
    for (oid, schema, name, kind, cols) in super::relations::own_relations() {
        let ns = if schema == "pg_catalog" { PG_CATALOG_NS } else { INFORMATION_SCHEMA_NS };
        facts.relations.insert(oid, (schema.to_string(), name.to_string()));
        facts.relation_oids.insert((schema.to_string(), name.to_string()), oid);
        let class = super::snapshot::Class {
            oid,
            name,
            namespace: ns,
            am: if kind == "r" { 2 } else { 0 },
            pages: 0,
            tuples: -1.0,
            kind,
            columns: cols.len(),
            has_index: false,
            has_triggers: false,
            replica_identity: "n",
        };
        super::snapshot::insert_class(db, &class)?;
        for (i, (col, ty)) in cols.iter().enumerate() {
            let t = match *ty {
                "char" => &types::CHAR,
                "_char" => &types::CHAR_ARRAY,
                "pg_node_tree" => &types::TEXT,
                t => types::by_name(t).unwrap_or(&types::TEXT),
            };
            super::snapshot::insert_attribute(db, oid, col, t, i, super::snapshot::storage(t))?;
        }
    }
    Ok(())
}

pub fn fill(db: &Connection, settings: &[(String, String)]) -> Result<()> {
    for (oid, name, owner) in [
        (PG_CATALOG_NS, "pg_catalog", BOOTSTRAP_USER),
        (99, "pg_toast", BOOTSTRAP_USER),
        (INFORMATION_SCHEMA_NS, "information_schema", BOOTSTRAP_USER),
    ] {
        insert(db, "pg_namespace", &[&oid, &name, &owner, &NULL])?;
    }
    // PostgreSQL's own descriptions of its schemas and of the postgres database.
    for (oid, text) in [
        (2200, "standard public schema"),
        (PG_CATALOG_NS, "system catalog schema"),
        (99, "reserved schema for TOAST tables"),
    ] {
        insert(db, "pg_description", &[&oid, &2615, &0, &text])?;
    }
    for (oid, text) in [
        (DATABASE_OID, "default administrative connection database"),
        (1, "default template for new databases"),
        (4, "unmodifiable empty database"),
    ] {
        insert(db, "pg_shdescription", &[&oid, &1262, &text])?;
    }
    for t in types::all_types() {
        let ns = if t.namespace() == "public" { 2200 } else { PG_CATALOG_NS };
        let array = t.kind == Kind::Array;
        let [input, output, recv, send] = io_procs(t).map(|(oid, _, _)| oid);
        let collation: i64 = if t.kind == Kind::Text && t.name != "char" { 100 } else { 0 };
        let typtype = if matches!(t.name, "unknown" | "void") { "p" } else { "b" };
        let align = if t.typlen == 8 {
            "d"
        } else if t.typlen == 1 {
            "c"
        } else {
            "i"
        };
        insert(
            db,
            "pg_type",
            &[
                &(t.oid as i64),
                &t.name,
                &ns,
                &BOOTSTRAP_USER,
                &(t.typlen as i64),
                &(t.typlen > 0 && t.typlen <= 8),
                &typtype,
                &category(t),
                &false,
                &true,
                &",",
                &0,
                &if array { "array_subscript_handler" } else { "-" },
                &(t.elem_oid as i64),
                &(t.array_oid as i64),
                &input,
                &output,
                &recv,
                &send,
                &"-",
                &"-",
                &"-",
                &align,
                &super::snapshot::storage(t),
                &false,
                &0,
                &-1,
                &0,
                &collation,
                &NULL,
                &NULL,
                &NULL,
            ],
        )?;
    }
    for (oid, name, handler, kind) in [
        (2, "heap", "heap_tableam_handler", "t"),
        (403, "btree", "bthandler", "i"),
        (405, "hash", "hashhandler", "i"),
        (783, "gist", "gisthandler", "i"),
        (2742, "gin", "ginhandler", "i"),
        (3580, "brin", "brinhandler", "i"),
    ] {
        insert(db, "pg_am", &[&oid, &name, &handler, &kind])?;
    }
    for (oid, name, template, acl) in [
        (DATABASE_OID, "postgres", false, None),
        (1, "template1", true, Some("{=c/postgres,postgres=CTc/postgres}")),
        (4, "template0", true, Some("{=c/postgres,postgres=CTc/postgres}")),
    ] {
        insert(
            db,
            "pg_database",
            &[
                &oid,
                &name,
                &BOOTSTRAP_USER,
                &6,
                &"c",
                &template,
                &(name != "template0"),
                &-1,
                &0,
                &0,
                &1663,
                &"C",
                &"C",
                &NULL,
                &NULL,
                &acl,
            ],
        )?;
    }
    insert(
        db,
        "pg_authid",
        &[&BOOTSTRAP_USER, &"postgres", &true, &true, &true, &true, &true, &true, &true, &-1, &NULL, &NULL],
    )?;
    insert(
        db,
        "pg_authid",
        &[&6171, &"pg_database_owner", &false, &true, &false, &false, &false, &false, &false, &-1, &NULL, &NULL],
    )?;
    for (oid, name, provider) in [(100, "default", "d"), (950, "C", "c"), (951, "POSIX", "c")] {
        let cc = if provider == "d" { None } else { Some(name) };
        insert(
            db,
            "pg_collation",
            &[&oid, &name, &PG_CATALOG_NS, &BOOTSTRAP_USER, &provider, &true, &-1, &cc, &cc, &NULL, &NULL],
        )?;
    }
    for (oid, name) in [(1663, "pg_default"), (1664, "pg_global")] {
        insert(db, "pg_tablespace", &[&oid, &name, &BOOTSTRAP_USER, &NULL, &NULL])?;
    }
    for (oid, name) in [(12, "internal"), (13, "c"), (14, "sql"), (13576, "plpgsql")] {
        insert(
            db,
            "pg_language",
            &[&oid, &name, &BOOTSTRAP_USER, &(oid > 14), &(oid != 12 && oid != 13), &0, &0, &0, &NULL],
        )?;
    }
    insert(db, "pg_extension", &[&13577, &"plpgsql", &BOOTSTRAP_USER, &PG_CATALOG_NS, &false, &"1.0", &NULL, &NULL])?;
    // pgvector, built in (translate/statements/utility.rs BUILT_IN_EXTENSIONS): its types live in public.
    insert(db, "pg_extension", &[&13003, &"vector", &BOOTSTRAP_USER, &PUBLIC_NS, &true, &"0.8.0", &NULL, &NULL])?;
    for (oid, name, ret) in procs() {
        let retset = name == "unnest" || name.starts_with("generate");
        insert(
            db,
            "pg_proc",
            &[
                &oid,
                &name,
                &PG_CATALOG_NS,
                &BOOTSTRAP_USER,
                &12,
                &1.0,
                &0.0,
                &0,
                &"-",
                &"f",
                &false,
                &false,
                &true,
                &retset,
                &"s",
                &"s",
                &0,
                &0,
                &ret,
                &"",
                &NULL,
                &NULL,
                &NULL,
                &NULL,
                &NULL,
                &name,
                &NULL,
                &NULL,
                &NULL,
                &NULL,
            ],
        )?;
    }
    for (name, value) in settings {
        insert(
            db,
            "pg_settings",
            &[
                name, value, &NULL, &"", &"", &NULL, &"user", &"string", &"default", &NULL, &NULL, &NULL, value, value,
                &NULL, &NULL, &false,
            ],
        )?;
    }
    Ok(())
}
