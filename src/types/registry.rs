//! The registry: every PostgreSQL type the gateway speaks, with its pg_type facts.
//!
//! Codecs dispatch on [`Kind`], never on raw OIDs, because pgvector's `vector` has no
//! fixed OID in PostgreSQL: the gateway gives it one of its own ([`DEFAULT_VECTOR_OID`]).

pub type Oid = u32;

/// What a type's values are, for codec dispatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Bool,
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    Numeric,
    /// text, varchar, bpchar, name: UTF-8 text in both formats.
    Text,
    Bytea,
    Date,
    Time,
    TimeTz,
    Timestamp,
    TimestampTz,
    Interval,
    Uuid,
    Json,
    Jsonb,
    /// oid, regclass, regtype: unsigned 32-bit numbers.
    Oid,
    Vector,
    /// Pseudo-types whose values travel as text: `unknown` (untyped literals) and `void`
    /// (what `pg_notify()` returns: an empty value in both formats). Neither has an array.
    Unknown,
    /// A one-dimensional array; `elem_oid` names the element type.
    Array,
}

/// One entry of the registry.
#[derive(Debug, PartialEq, Eq)]
pub struct PgType {
    pub oid: Oid,
    pub name: &'static str,
    /// pg_type.typlen: fixed size in bytes, or -1 for varlena (-2 for unknown's C string).
    pub typlen: i16,
    /// OID of the one-dimensional array of this type (0 for array types themselves).
    pub array_oid: Oid,
    /// For array types, the element type's OID (0 otherwise).
    pub elem_oid: Oid,
    pub kind: Kind,
}

impl PgType {
    /// pg_namespace of the type: extension types (pgvector's, and arrays of them) live
    /// in `public` where `CREATE EXTENSION vector` puts them; built-ins in `pg_catalog`.
    pub fn namespace(&self) -> &'static str {
        let vector = |t: &PgType| t.kind == Kind::Vector;
        if vector(self) || self.element().is_some_and(vector) {
            "public"
        } else {
            "pg_catalog"
        }
    }

    /// The element type of an array type.
    pub fn element(&self) -> Option<&'static PgType> {
        if self.kind == Kind::Array {
            by_oid(self.elem_oid)
        } else {
            None
        }
    }

    /// The array type whose elements are of this type.
    pub fn array(&self) -> Option<&'static PgType> {
        if self.array_oid == 0 {
            None
        } else {
            by_oid(self.array_oid)
        }
    }
}

macro_rules! registry {
    ($( $ident:ident = ($oid:expr, $name:expr, $len:expr, $arr:expr, $elem:expr, $kind:ident); )*) => {
        $( pub const $ident: PgType = PgType {
            oid: $oid, name: $name, typlen: $len, array_oid: $arr, elem_oid: $elem, kind: Kind::$kind,
        }; )*
        static BUILTIN: &[&PgType] = &[ $( &$ident, )* ];
    };
}

registry! {
    BOOL = (16, "bool", 1, 1000, 0, Bool);
    BYTEA = (17, "bytea", -1, 1001, 0, Bytea);
    NAME = (19, "name", 64, 1003, 0, Text);
    INT8 = (20, "int8", 8, 1016, 0, Int8);
    INT2 = (21, "int2", 2, 1005, 0, Int2);
    INT4 = (23, "int4", 4, 1007, 0, Int4);
    TEXT = (25, "text", -1, 1009, 0, Text);
    OID = (26, "oid", 4, 1028, 0, Oid);
    JSON = (114, "json", -1, 199, 0, Json);
    FLOAT4 = (700, "float4", 4, 1021, 0, Float4);
    FLOAT8 = (701, "float8", 8, 1022, 0, Float8);
    UNKNOWN = (705, "unknown", -2, 0, 0, Unknown);
    VOID = (2278, "void", 4, 0, 0, Unknown);
    BPCHAR = (1042, "bpchar", -1, 1014, 0, Text);
    VARCHAR = (1043, "varchar", -1, 1015, 0, Text);
    DATE = (1082, "date", 4, 1182, 0, Date);
    TIME = (1083, "time", 8, 1183, 0, Time);
    TIMESTAMP = (1114, "timestamp", 8, 1115, 0, Timestamp);
    TIMESTAMPTZ = (1184, "timestamptz", 8, 1185, 0, TimestampTz);
    INTERVAL = (1186, "interval", 16, 1187, 0, Interval);
    TIMETZ = (1266, "timetz", 12, 1270, 0, TimeTz);
    NUMERIC = (1700, "numeric", -1, 1231, 0, Numeric);
    REGCLASS = (2205, "regclass", 4, 2210, 0, Oid);
    REGTYPE = (2206, "regtype", 4, 2211, 0, Oid);
    UUID = (2950, "uuid", 16, 2951, 0, Uuid);
    JSONB = (3802, "jsonb", -1, 3807, 0, Jsonb);
    // Catalog column types (pg_catalog relations): text-like in both formats here.
    CHAR = (18, "char", 1, 1002, 0, Text);
    INT2VECTOR = (22, "int2vector", -1, 1006, 0, Text);
    REGPROC = (24, "regproc", 4, 1008, 0, Text);
    XID = (28, "xid", 4, 1011, 0, Oid);
    OIDVECTOR = (30, "oidvector", -1, 1013, 0, Text);
    ACLITEM = (1033, "aclitem", 12, 1034, 0, Text);
    REGNAMESPACE = (4089, "regnamespace", 4, 4090, 0, Oid);
    REGROLE = (4096, "regrole", 4, 4097, 0, Oid);
    // Bit strings: no backend stores them; listed so that clients which look the type up
    // find it (pgvector-python's register_vector fetches `bit`). Values travel as text ('0101').
    BIT = (1560, "bit", -1, 1561, 0, Text);
    VARBIT = (1562, "varbit", -1, 1563, 0, Text);

    BOOL_ARRAY = (1000, "_bool", -1, 0, 16, Array);
    BYTEA_ARRAY = (1001, "_bytea", -1, 0, 17, Array);
    NAME_ARRAY = (1003, "_name", -1, 0, 19, Array);
    INT8_ARRAY = (1016, "_int8", -1, 0, 20, Array);
    INT2_ARRAY = (1005, "_int2", -1, 0, 21, Array);
    INT4_ARRAY = (1007, "_int4", -1, 0, 23, Array);
    TEXT_ARRAY = (1009, "_text", -1, 0, 25, Array);
    OID_ARRAY = (1028, "_oid", -1, 0, 26, Array);
    JSON_ARRAY = (199, "_json", -1, 0, 114, Array);
    FLOAT4_ARRAY = (1021, "_float4", -1, 0, 700, Array);
    BIT_ARRAY = (1561, "_bit", -1, 0, 1560, Array);
    VARBIT_ARRAY = (1563, "_varbit", -1, 0, 1562, Array);
    FLOAT8_ARRAY = (1022, "_float8", -1, 0, 701, Array);
    BPCHAR_ARRAY = (1014, "_bpchar", -1, 0, 1042, Array);
    VARCHAR_ARRAY = (1015, "_varchar", -1, 0, 1043, Array);
    DATE_ARRAY = (1182, "_date", -1, 0, 1082, Array);
    TIME_ARRAY = (1183, "_time", -1, 0, 1083, Array);
    TIMESTAMP_ARRAY = (1115, "_timestamp", -1, 0, 1114, Array);
    TIMESTAMPTZ_ARRAY = (1185, "_timestamptz", -1, 0, 1184, Array);
    INTERVAL_ARRAY = (1187, "_interval", -1, 0, 1186, Array);
    TIMETZ_ARRAY = (1270, "_timetz", -1, 0, 1266, Array);
    NUMERIC_ARRAY = (1231, "_numeric", -1, 0, 1700, Array);
    REGCLASS_ARRAY = (2210, "_regclass", -1, 0, 2205, Array);
    REGTYPE_ARRAY = (2211, "_regtype", -1, 0, 2206, Array);
    UUID_ARRAY = (2951, "_uuid", -1, 0, 2950, Array);
    JSONB_ARRAY = (3807, "_jsonb", -1, 0, 3802, Array);
    CHAR_ARRAY = (1002, "_char", -1, 0, 18, Array);
    INT2VECTOR_ARRAY = (1006, "_int2vector", -1, 0, 22, Array);
    REGPROC_ARRAY = (1008, "_regproc", -1, 0, 24, Array);
    XID_ARRAY = (1011, "_xid", -1, 0, 28, Array);
    OIDVECTOR_ARRAY = (1013, "_oidvector", -1, 0, 30, Array);
    ACLITEM_ARRAY = (1034, "_aclitem", -1, 0, 1033, Array);
    REGNAMESPACE_ARRAY = (4090, "_regnamespace", -1, 0, 4089, Array);
    REGROLE_ARRAY = (4097, "_regrole", -1, 0, 4096, Array);
}

/// Default OIDs of pgvector's `vector` and `_vector`. Real pgvector gets OIDs at
/// CREATE EXTENSION time (>= 16384); these sit in the 12000..16383 band that initdb
/// uses and user objects never get, so they cannot collide with synthetic table OIDs.
pub const DEFAULT_VECTOR_OID: Oid = 13001;
pub const DEFAULT_VECTOR_ARRAY_OID: Oid = 13002;

struct VectorTypes {
    vector: PgType,
    array: PgType,
}

const fn vector_types(oid: Oid, array_oid: Oid) -> VectorTypes {
    VectorTypes {
        vector: PgType { oid, name: "vector", typlen: -1, array_oid, elem_oid: 0, kind: Kind::Vector },
        array: PgType { oid: array_oid, name: "_vector", typlen: -1, array_oid: 0, elem_oid: oid, kind: Kind::Array },
    }
}

static VECTOR: VectorTypes = vector_types(DEFAULT_VECTOR_OID, DEFAULT_VECTOR_ARRAY_OID);

fn vectors() -> &'static VectorTypes {
    &VECTOR
}

/// pgvector's `vector` type with its configured OID.
pub fn vector() -> &'static PgType {
    &vectors().vector
}

/// Every registered type (scalars, arrays, vector), for the catalog's pg_type.
pub fn all_types() -> Vec<&'static PgType> {
    let v = vectors();
    let mut all: Vec<&'static PgType> = BUILTIN.to_vec();
    all.push(&v.vector);
    all.push(&v.array);
    all
}

pub fn by_oid(oid: Oid) -> Option<&'static PgType> {
    if let Some(t) = BUILTIN.iter().copied().find(|t| t.oid == oid) {
        return Some(t);
    }
    let v = vectors();
    [&v.vector, &v.array].into_iter().find(|t| t.oid == oid)
}

/// Resolve a type by its canonical name or a common SQL spelling: `integer`,
/// `varchar(20)`, `timestamp(3) with time zone`, `int4[]`, `_text`, `vector(3)`.
pub fn by_name(name: &str) -> Option<&'static PgType> {
    let lower = name.trim().to_ascii_lowercase();
    let mut base = strip_typmods(&lower);
    let mut array = false;
    while let Some(b) = base.strip_suffix("[]") {
        array = true;
        base = b.trim_end().to_string();
    }
    let base = base.strip_prefix("pg_catalog.").unwrap_or(&base).to_string();
    if !array {
        if let Some(elem) = base.strip_prefix('_') {
            if let Some(t) = scalar_by_name(elem) {
                return t.array();
            }
        }
    }
    let t = scalar_by_name(&base)?;
    if array {
        t.array()
    } else {
        Some(t)
    }
}

/// PostgreSQL's type modifier for a type name resolved to `ty`, as RowDescription
/// carries it: `varchar(n)`/`char(n)` n + 4, `numeric(p, s)` ((p << 16) | (s & 0x7ff)) + 4
/// (PostgreSQL 15 takes scales -1000..=1000, outside 0..p too), the fraction digits of
/// `time(p)`/`timetz(p)`/`timestamp(p)`/`timestamptz(p)` (over 6 is 6, as PostgreSQL
/// reduces it with a warning), the element's modifier for arrays (`varchar(10)[]`), -1
/// when the name has none.
pub fn typmod_of(name: &str, ty: &PgType) -> i32 {
    let args = match name.split_once('(').and_then(|(_, rest)| rest.split_once(')')) {
        Some((args, _)) => args,
        None => return -1,
    };
    let nums: Vec<i32> = args.split(',').filter_map(|a| a.trim().parse().ok()).collect();
    match (ty.element().unwrap_or(ty).oid, nums.as_slice()) {
        (1042 | 1043, [n]) if *n > 0 => n + 4,
        (1700, [p]) if (1..=1000).contains(p) => (p << 16) + 4,
        (1700, [p, s]) if (1..=1000).contains(p) && (-1000..=1000).contains(s) => ((p << 16) | (s & 0x7ff)) + 4,
        (1083 | 1266 | 1114 | 1184, [p]) if *p >= 0 => (*p).min(MAX_TIME_PRECISION),
        _ => -1,
    }
}

/// The most fraction digits time and timestamp types keep (MAX_TIME_PRECISION).
pub const MAX_TIME_PRECISION: i32 = 6;

/// Precision and scale of a numeric type modifier (PostgreSQL 15's numeric_typmod_scale:
/// the scale is the low 11 bits, signed).
pub fn numeric_typmod(typmod: i32) -> Option<(i32, i32)> {
    (typmod >= 4).then(|| {
        let m = typmod - 4;
        ((m >> 16) & 0xffff, ((m & 0x7ff) ^ 1024) - 1024)
    })
}

/// The fraction digits a time or timestamp type modifier keeps, when it cuts any
/// (0..=5; 6 and -1 keep every microsecond).
pub fn time_precision(ty: &PgType, typmod: i32) -> Option<u32> {
    matches!(ty.kind, Kind::Time | Kind::TimeTz | Kind::Timestamp | Kind::TimestampTz)
        .then_some(typmod)
        .filter(|m| (0..MAX_TIME_PRECISION).contains(m))
        .map(|m| m as u32)
}

/// The type modifier of a column declared `name` (resolved to `ty`): `typmod_of`, and
/// pgvector's dimension for `vector(n)`.
pub fn column_typmod(name: &str, ty: &PgType) -> i32 {
    match (ty.kind, name.split_once('(')) {
        (Kind::Vector, Some((_, rest))) => rest.trim_end_matches(')').trim().parse().unwrap_or(-1),
        _ => typmod_of(name, ty),
    }
}

/// Remove "(...)" typmods wherever they are and collapse whitespace.
fn strip_typmods(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn scalar_by_name(base: &str) -> Option<&'static PgType> {
    let canonical = match base {
        "boolean" => "bool",
        "smallint" | "smallserial" | "serial2" => "int2",
        "integer" | "int" | "serial" | "serial4" => "int4",
        "bigint" | "bigserial" | "serial8" => "int8",
        "real" => "float4",
        "double precision" | "double" | "float" => "float8",
        "decimal" => "numeric",
        "character varying" | "char varying" => "varchar",
        "character" | "char" => "bpchar",
        "timestamp without time zone" => "timestamp",
        "timestamp with time zone" => "timestamptz",
        "time without time zone" => "time",
        "time with time zone" => "timetz",
        other => other,
    };
    if canonical == "vector" {
        return Some(vector());
    }
    BUILTIN.iter().copied().find(|t| t.name == canonical && t.kind != Kind::Array)
}

/// format_type(oid, typmod): `character varying(40)`, `integer[]`, `numeric(12,2)`.
pub fn format_type(oid: i64, typmod: Option<i64>) -> Option<String> {
    let t = by_oid(u32::try_from(oid).ok()?)?;
    if let Some(e) = t.element() {
        return Some(format!("{}[]", format_type(e.oid as i64, typmod)?));
    }
    let m = typmod.unwrap_or(-1);
    let base = match t.name {
        "int2" => "smallint",
        "int4" => "integer",
        "int8" => "bigint",
        "float4" => "real",
        "float8" => "double precision",
        "bool" => "boolean",
        "varchar" => "character varying",
        "bpchar" => "character",
        "timestamp" => "timestamp without time zone",
        "timestamptz" => "timestamp with time zone",
        "time" => "time without time zone",
        "timetz" => "time with time zone",
        "char" => "\"char\"",
        other => other,
    };
    Some(match (t.name, m) {
        ("varchar" | "bpchar", m) if m >= 4 => format!("{base}({})", m - 4),
        ("numeric", m) => match numeric_typmod(m as i32) {
            Some((p, s)) => format!("numeric({p},{s})"),
            None => base.to_string(),
        },
        // `time(3) without time zone`, `timestamp(0) with time zone`.
        ("time" | "timetz" | "timestamp" | "timestamptz", m) if m >= 0 => match base.split_once(' ') {
            Some((head, zone)) => format!("{head}({m}) {zone}"),
            None => format!("{base}({m})"),
        },
        ("vector", m) if m > 0 => format!("vector({m})"),
        _ => base.to_string(),
    })
}

/// regtype input of a type name (`integer`, `pg_catalog."text"`): the built-in types by
/// any of their names; None for names no built-in type has.
pub fn regtype_input(t: &str) -> Option<&'static PgType> {
    let t = t.trim();
    let t = ["pg_catalog.", "\"pg_catalog\"."].iter().find_map(|p| t.strip_prefix(p)).unwrap_or(t);
    match t.strip_prefix('"').and_then(|q| q.strip_suffix('"')) {
        // Quoted: case-sensitive, and the built-in names are lower case.
        Some(quoted) if quoted.chars().any(|c| c.is_ascii_uppercase()) => None,
        Some(quoted) => by_name(&quoted.replace("\"\"", "\"")),
        None => by_name(t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases() {
        assert_eq!(by_name("integer").unwrap().oid, 23);
        assert_eq!(by_name("VARCHAR(20)").unwrap().oid, 1043);
        assert_eq!(by_name("timestamp(3) with time zone").unwrap().oid, 1184);
        assert_eq!(by_name("numeric(10, 2)").unwrap().oid, 1700);
        assert_eq!(by_name("int4[]").unwrap().oid, 1007);
        assert_eq!(by_name("character varying(5)[]").unwrap().oid, 1015);
        assert_eq!(by_name("_text").unwrap().oid, 1009);
        assert_eq!(by_name("double precision").unwrap().oid, 701);
        assert_eq!(by_name("vector(3)").unwrap().kind, Kind::Vector);
        assert_eq!(by_name("vector[]").unwrap().kind, Kind::Array);
        assert!(by_name("no_such_type").is_none());
        assert_eq!(by_name("vector[]").unwrap().namespace(), "public");
        assert_eq!(by_name("int4[]").unwrap().namespace(), "pg_catalog");
    }

    #[test]
    fn every_scalar_has_its_array_and_back() {
        for t in all_types() {
            if t.kind == Kind::Array {
                let e = t.element().expect("element registered");
                assert_eq!(e.array_oid, t.oid, "{}", t.name);
                assert_eq!(t.name, format!("_{}", e.name));
            } else if t.kind != Kind::Unknown {
                assert_eq!(t.array().expect("array registered").elem_oid, t.oid, "{}", t.name);
            }
            assert_eq!(by_oid(t.oid), Some(t));
        }
        let mut oids: Vec<Oid> = all_types().iter().map(|t| t.oid).collect();
        oids.sort();
        oids.dedup();
        assert_eq!(oids.len(), all_types().len(), "OIDs are unique");
    }

    #[test]
    fn vector_oid_refuses_builtin() {}
}
