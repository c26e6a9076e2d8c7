//! The input, output, receive and send functions of the built-in types (pg_type's
//! typinput .. typsend, which are regproc: OIDs of pg_proc rows), with PostgreSQL 15's
//! OIDs, read from a PostgreSQL 15 `pg_type`. Clients join them
//! (`JOIN pg_proc ON pg_proc.oid = pg_type.typinput`: ruby-pg's BasicTypeRegistry).

use crate::types::{Kind, PgType};

/// (typname, [in, out, recv, send] as (oid, proname)).
const BASE: &[(&str, [(i64, &str); 4])] = &[
    ("bool", [(1242, "boolin"), (1243, "boolout"), (2436, "boolrecv"), (2437, "boolsend")]),
    ("bytea", [(1244, "byteain"), (31, "byteaout"), (2412, "bytearecv"), (2413, "byteasend")]),
    ("name", [(34, "namein"), (35, "nameout"), (2422, "namerecv"), (2423, "namesend")]),
    ("int8", [(460, "int8in"), (461, "int8out"), (2408, "int8recv"), (2409, "int8send")]),
    ("int2", [(38, "int2in"), (39, "int2out"), (2404, "int2recv"), (2405, "int2send")]),
    ("int4", [(42, "int4in"), (43, "int4out"), (2406, "int4recv"), (2407, "int4send")]),
    ("text", [(46, "textin"), (47, "textout"), (2414, "textrecv"), (2415, "textsend")]),
    ("oid", [(1798, "oidin"), (1799, "oidout"), (2418, "oidrecv"), (2419, "oidsend")]),
    ("json", [(321, "json_in"), (322, "json_out"), (323, "json_recv"), (324, "json_send")]),
    ("float4", [(200, "float4in"), (201, "float4out"), (2424, "float4recv"), (2425, "float4send")]),
    ("float8", [(214, "float8in"), (215, "float8out"), (2426, "float8recv"), (2427, "float8send")]),
    ("unknown", [(109, "unknownin"), (110, "unknownout"), (2416, "unknownrecv"), (2417, "unknownsend")]),
    ("bpchar", [(1044, "bpcharin"), (1045, "bpcharout"), (2430, "bpcharrecv"), (2431, "bpcharsend")]),
    ("varchar", [(1046, "varcharin"), (1047, "varcharout"), (2432, "varcharrecv"), (2433, "varcharsend")]),
    ("date", [(1084, "date_in"), (1085, "date_out"), (2468, "date_recv"), (2469, "date_send")]),
    ("time", [(1143, "time_in"), (1144, "time_out"), (2470, "time_recv"), (2471, "time_send")]),
    (
        "timestamp",
        [(1312, "timestamp_in"), (1313, "timestamp_out"), (2474, "timestamp_recv"), (2475, "timestamp_send")],
    ),
    (
        "timestamptz",
        [(1150, "timestamptz_in"), (1151, "timestamptz_out"), (2476, "timestamptz_recv"), (2477, "timestamptz_send")],
    ),
    ("interval", [(1160, "interval_in"), (1161, "interval_out"), (2478, "interval_recv"), (2479, "interval_send")]),
    ("timetz", [(1350, "timetz_in"), (1351, "timetz_out"), (2472, "timetz_recv"), (2473, "timetz_send")]),
    ("numeric", [(1701, "numeric_in"), (1702, "numeric_out"), (2460, "numeric_recv"), (2461, "numeric_send")]),
    ("regclass", [(2218, "regclassin"), (2219, "regclassout"), (2452, "regclassrecv"), (2453, "regclasssend")]),
    ("regtype", [(2220, "regtypein"), (2221, "regtypeout"), (2454, "regtyperecv"), (2455, "regtypesend")]),
    ("uuid", [(2952, "uuid_in"), (2953, "uuid_out"), (2961, "uuid_recv"), (2962, "uuid_send")]),
    ("jsonb", [(3806, "jsonb_in"), (3804, "jsonb_out"), (3805, "jsonb_recv"), (3803, "jsonb_send")]),
    ("char", [(1245, "charin"), (33, "charout"), (2434, "charrecv"), (2435, "charsend")]),
    ("int2vector", [(40, "int2vectorin"), (41, "int2vectorout"), (2410, "int2vectorrecv"), (2411, "int2vectorsend")]),
    ("regproc", [(44, "regprocin"), (45, "regprocout"), (2444, "regprocrecv"), (2445, "regprocsend")]),
    ("xid", [(50, "xidin"), (51, "xidout"), (2440, "xidrecv"), (2441, "xidsend")]),
    ("oidvector", [(54, "oidvectorin"), (55, "oidvectorout"), (2420, "oidvectorrecv"), (2421, "oidvectorsend")]),
    ("aclitem", [(1031, "aclitemin"), (1032, "aclitemout"), (0, "-"), (0, "-")]),
    (
        "regnamespace",
        [(4084, "regnamespacein"), (4085, "regnamespaceout"), (4087, "regnamespacerecv"), (4088, "regnamespacesend")],
    ),
    ("regrole", [(4098, "regrolein"), (4092, "regroleout"), (4094, "regrolerecv"), (4095, "regrolesend")]),
];

const ARRAY: [(i64, &str); 4] = [(750, "array_in"), (751, "array_out"), (2400, "array_recv"), (2401, "array_send")];

/// Every user enum's functions (PostgreSQL's, over `anyenum`).
const ENUM: [(i64, &str); 4] = [(3504, "enum_in"), (3505, "enum_out"), (3532, "enum_recv"), (3533, "enum_send")];
const ANYENUM: i64 = 3500;

/// The I/O functions of `t`; None for a type PostgreSQL does not ship (pgvector's
/// `vector`, whose functions get OIDs like user objects).
pub fn of(t: &PgType) -> Option<[(i64, &'static str); 4]> {
    if t.kind == Kind::Array {
        return Some(ARRAY);
    }
    if crate::types::enums::is_enum(t) {
        return Some(ENUM);
    }
    BASE.iter().find(|(name, _)| *name == t.name).map(|(_, procs)| *procs)
}

pub const CSTRING: i64 = 2275;
const ANYARRAY: i64 = 2277;

/// Every function of the table once, as (oid, name, result type): input and receive
/// functions return their type, output functions cstring, send functions bytea.
pub fn all() -> Vec<(i64, &'static str, i64)> {
    let result = |ty: i64, pos: usize| [ty, CSTRING, ty, crate::types::BYTEA.oid as i64][pos];
    let mut out: Vec<(i64, &'static str, i64)> = BASE
        .iter()
        .flat_map(|(name, procs)| {
            let ty = crate::types::all_types().into_iter().find(|t| t.name == *name).map_or(0, |t| t.oid as i64);
            procs.iter().enumerate().map(move |(pos, (oid, proname))| (*oid, *proname, result(ty, pos)))
        })
        .chain(ARRAY.iter().enumerate().map(|(pos, (oid, proname))| (*oid, *proname, result(ANYARRAY, pos))))
        .chain(ENUM.iter().enumerate().map(|(pos, (oid, proname))| (*oid, *proname, result(ANYENUM, pos))))
        .collect();
    out.sort_unstable();
    out.dedup_by_key(|p| p.0);
    out
}
