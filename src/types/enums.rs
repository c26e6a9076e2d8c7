//! User-defined enum types (`CREATE TYPE status AS ENUM (..)`): registered while the
//! gateway runs, beside the built-in registry.
//!
//! Their values are labels, text in both wire formats (PostgreSQL's enum_send/enum_recv
//! send the label's bytes), so each enum is a [`Kind::Text`] type with an OID of its own:
//! a hash of its qualified name, stable across snapshots and gateway restarts (the same
//! hash the catalog gives user relations), and an array type `_name`. An enum is
//! registered when the gateway translates its CREATE TYPE and when a catalog snapshot
//! lists it; the labels themselves live in the backend (docs/translation.md, "Enum types").
//! The set only grows: a dropped enum's OID is never given to another type (its name
//! still hashes to it), and a process holds a handful of enums, not thousands.

use std::collections::HashMap;
use std::sync::RwLock;

use super::{Kind, Oid, PgType};

struct Registered {
    /// By the name a column's type is written with: `status`, `s.status` (lower case).
    by_name: HashMap<String, &'static PgType>,
    /// Enum and array types by OID, with their schema.
    by_oid: HashMap<Oid, (&'static PgType, &'static str)>,
}

static ENUMS: RwLock<Option<Registered>> = RwLock::new(None);

/// The name an enum is looked up by: `public.` and quotes dropped, lower case.
pub fn key(schema: &str, name: &str) -> String {
    if schema == "public" {
        name.to_ascii_lowercase()
    } else {
        format!("{}.{}", schema.to_ascii_lowercase(), name.to_ascii_lowercase())
    }
}

/// `"public"."Status"`, `public.status`, `s.status` -> the lookup key.
fn normalise(name: &str) -> String {
    let n = name.trim().replace('"', "").to_ascii_lowercase();
    match n.strip_prefix("public.") {
        Some(rest) => rest.to_string(),
        None => n,
    }
}

/// The stable OID of the enum `schema.name` (and of its array type, `schema._name`).
pub fn oid_of(schema: &str, name: &str) -> Oid {
    crate::catalog::snapshot::hash_oid(&format!("type {schema}.{name}")) as Oid
}

/// Register the enum `schema.name` (idempotent) and return its type.
pub fn register(schema: &str, name: &str) -> &'static PgType {
    let k = key(schema, name);
    if let Some(t) = lookup(&k) {
        return t;
    }
    let mut guard = ENUMS.write().unwrap_or_else(|p| p.into_inner());
    let reg = guard.get_or_insert_with(|| Registered { by_name: HashMap::new(), by_oid: HashMap::new() });
    if let Some(t) = reg.by_name.get(&k) {
        return t;
    }
    let oid = oid_of(schema, name);
    let array_oid = oid_of(schema, &format!("_{name}"));
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let schema: &'static str = leak(schema.to_string());
    let scalar: &'static PgType =
        Box::leak(Box::new(PgType { oid, name: leak(k.clone()), typlen: 4, array_oid, elem_oid: 0, kind: Kind::Text }));
    let array: &'static PgType = Box::leak(Box::new(PgType {
        oid: array_oid,
        name: leak(format!("_{k}")),
        typlen: -1,
        array_oid: 0,
        elem_oid: oid,
        kind: Kind::Array,
    }));
    reg.by_name.insert(k, scalar);
    reg.by_oid.insert(oid, (scalar, schema));
    reg.by_oid.insert(array_oid, (array, schema));
    scalar
}

fn lookup(k: &str) -> Option<&'static PgType> {
    ENUMS.read().unwrap_or_else(|p| p.into_inner()).as_ref()?.by_name.get(k).copied()
}

/// A registered enum by the name a column or cast writes (`status`, `public.status`).
pub fn by_name(name: &str) -> Option<&'static PgType> {
    lookup(&normalise(name))
}

/// A registered enum or enum array type by OID.
pub fn by_oid(oid: Oid) -> Option<&'static PgType> {
    ENUMS.read().unwrap_or_else(|p| p.into_inner()).as_ref()?.by_oid.get(&oid).map(|(t, _)| *t)
}

/// The schema of a registered enum (or enum array) type.
pub fn schema_of(oid: Oid) -> Option<&'static str> {
    ENUMS.read().unwrap_or_else(|p| p.into_inner()).as_ref()?.by_oid.get(&oid).map(|(_, s)| *s)
}

/// The type is a user enum (not its array).
pub fn is_enum(t: &PgType) -> bool {
    t.kind == Kind::Text && schema_of(t.oid).is_some()
}

/// The built-in type whose codec an enum (or enum array) uses: text (text[]). Job workers
/// (src/workers) are other processes, which know no enums: rows are encoded for them by
/// this type, the same bytes.
pub fn codec_type(t: &'static PgType) -> &'static PgType {
    if is_enum(t) {
        &super::TEXT
    } else if t.kind == Kind::Array && super::by_oid(t.elem_oid).is_some_and(is_enum) {
        &super::TEXT_ARRAY
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_enums_resolve_by_every_spelling() {
        let t = register("public", "mood_for_test");
        assert_eq!(by_name("\"public\".\"mood_for_test\"").map(|t| t.oid), Some(t.oid));
        assert_eq!(super::super::by_name("mood_for_test").map(|t| t.oid), Some(t.oid));
        let arr = super::super::by_name("mood_for_test[]").unwrap();
        assert_eq!(arr.elem_oid, t.oid);
        assert_eq!(super::super::by_oid(t.array_oid).map(|a| a.oid), Some(arr.oid));
        assert!(is_enum(t) && !is_enum(arr));
        let other = register("s", "mood_for_test");
        assert_ne!(other.oid, t.oid);
        assert_eq!(other.name, "s.mood_for_test");
        assert_eq!(register("public", "mood_for_test").oid, t.oid, "idempotent");
    }
}
