//! The pg_catalog relations the catalog engine holds, with PostgreSQL 15's column
//! names and types (the columns clients read; see docs/catalog.md).
//!
//! Each column is declared in SQLite as `"<pg type> <affinity>"`: SQLite takes the
//! affinity from the last word (so a `name` stays text and an `oid` an integer), and
//! the session reads the PostgreSQL type back from the declared type of result columns.

/// (relation, columns as (name, PostgreSQL type)).
pub type Relation = (&'static str, &'static [(&'static str, &'static str)]);

macro_rules! rel {
    ($name:literal: $($col:literal $ty:literal),* $(,)?) => {
        ($name, &[$(($col, $ty)),*])
    };
}

pub const RELATIONS: &[Relation] = &[
    rel!("pg_namespace": "oid" "oid", "nspname" "name", "nspowner" "oid", "nspacl" "_aclitem"),
    rel!("pg_class": "oid" "oid", "relname" "name", "relnamespace" "oid", "reltype" "oid", "reloftype" "oid",
        "relowner" "oid", "relam" "oid", "relfilenode" "oid", "reltablespace" "oid", "relpages" "int4",
        "reltuples" "float4", "relallvisible" "int4", "reltoastrelid" "oid", "relhasindex" "bool",
        "relisshared" "bool", "relpersistence" "char", "relkind" "char", "relnatts" "int2", "relchecks" "int2",
        "relhasrules" "bool", "relhastriggers" "bool", "relhassubclass" "bool", "relrowsecurity" "bool",
        "relforcerowsecurity" "bool", "relispopulated" "bool", "relreplident" "char", "relispartition" "bool",
        "relrewrite" "oid", "relfrozenxid" "xid", "relminmxid" "xid", "relacl" "_aclitem", "reloptions" "_text",
        "relpartbound" "pg_node_tree"),
    rel!("pg_attribute": "attrelid" "oid", "attname" "name", "atttypid" "oid", "attstattarget" "int4",
        "attlen" "int2", "attnum" "int2", "attndims" "int4", "attcacheoff" "int4", "atttypmod" "int4",
        "attbyval" "bool", "attalign" "char", "attstorage" "char", "attcompression" "char", "attnotnull" "bool",
        "atthasdef" "bool", "atthasmissing" "bool", "attidentity" "char", "attgenerated" "char",
        "attisdropped" "bool", "attislocal" "bool", "attinhcount" "int4", "attcollation" "oid",
        "attacl" "_aclitem", "attoptions" "_text", "attfdwoptions" "_text", "attmissingval" "text"),
    rel!("pg_type": "oid" "oid", "typname" "name", "typnamespace" "oid", "typowner" "oid", "typlen" "int2",
        "typbyval" "bool", "typtype" "char", "typcategory" "char", "typispreferred" "bool", "typisdefined" "bool",
        "typdelim" "char", "typrelid" "oid", "typsubscript" "regproc", "typelem" "oid", "typarray" "oid",
        "typinput" "regproc", "typoutput" "regproc", "typreceive" "regproc", "typsend" "regproc",
        "typmodin" "regproc", "typmodout" "regproc", "typanalyze" "regproc", "typalign" "char",
        "typstorage" "char", "typnotnull" "bool", "typbasetype" "oid", "typtypmod" "int4", "typndims" "int4",
        "typcollation" "oid", "typdefaultbin" "pg_node_tree", "typdefault" "text", "typacl" "_aclitem"),
    rel!("pg_index": "indexrelid" "oid", "indrelid" "oid", "indnatts" "int2", "indnkeyatts" "int2",
        "indisunique" "bool", "indnullsnotdistinct" "bool", "indisprimary" "bool", "indisexclusion" "bool",
        "indimmediate" "bool", "indisclustered" "bool", "indisvalid" "bool", "indcheckxmin" "bool",
        "indisready" "bool", "indislive" "bool", "indisreplident" "bool", "indkey" "int2vector",
        "indcollation" "oidvector", "indclass" "oidvector", "indoption" "int2vector", "indexprs" "pg_node_tree",
        "indpred" "pg_node_tree"),
    rel!("pg_constraint": "oid" "oid", "conname" "name", "connamespace" "oid", "contype" "char",
        "condeferrable" "bool", "condeferred" "bool", "convalidated" "bool", "conrelid" "oid", "contypid" "oid",
        "conindid" "oid", "conparentid" "oid", "confrelid" "oid", "confupdtype" "char", "confdeltype" "char",
        "confmatchtype" "char", "conislocal" "bool", "coninhcount" "int4", "connoinherit" "bool",
        "conkey" "_int2", "confkey" "_int2", "conpfeqop" "_oid", "conppeqop" "_oid", "conffeqop" "_oid",
        "confdelsetcols" "_int2", "conexclop" "_oid", "conbin" "pg_node_tree"),
    rel!("pg_attrdef": "oid" "oid", "adrelid" "oid", "adnum" "int2", "adbin" "pg_node_tree"),
    rel!("pg_description": "objoid" "oid", "classoid" "oid", "objsubid" "int4", "description" "text"),
    rel!("pg_shdescription": "objoid" "oid", "classoid" "oid", "description" "text"),
    rel!("pg_proc": "oid" "oid", "proname" "name", "pronamespace" "oid", "proowner" "oid", "prolang" "oid",
        "procost" "float4", "prorows" "float4", "provariadic" "oid", "prosupport" "regproc", "prokind" "char",
        "prosecdef" "bool", "proleakproof" "bool", "proisstrict" "bool", "proretset" "bool",
        "provolatile" "char", "proparallel" "char", "pronargs" "int2", "pronargdefaults" "int2",
        "prorettype" "oid", "proargtypes" "oidvector", "proallargtypes" "_oid", "proargmodes" "_char",
        "proargnames" "_text", "proargdefaults" "pg_node_tree", "protrftypes" "_oid", "prosrc" "text",
        "probin" "text", "prosqlbody" "pg_node_tree", "proconfig" "_text", "proacl" "_aclitem"),
    rel!("pg_am": "oid" "oid", "amname" "name", "amhandler" "regproc", "amtype" "char"),
    rel!("pg_database": "oid" "oid", "datname" "name", "datdba" "oid", "encoding" "int4",
        "datlocprovider" "char", "datistemplate" "bool", "datallowconn" "bool", "datconnlimit" "int4",
        "datfrozenxid" "xid", "datminmxid" "xid", "dattablespace" "oid", "datcollate" "text", "datctype" "text",
        "daticulocale" "text", "datcollversion" "text", "datacl" "_aclitem"),
    rel!("pg_authid": "oid" "oid", "rolname" "name", "rolsuper" "bool", "rolinherit" "bool",
        "rolcreaterole" "bool", "rolcreatedb" "bool", "rolcanlogin" "bool", "rolreplication" "bool",
        "rolbypassrls" "bool", "rolconnlimit" "int4", "rolpassword" "text", "rolvaliduntil" "timestamptz"),
    rel!("pg_auth_members": "roleid" "oid", "member" "oid", "grantor" "oid", "admin_option" "bool"),
    rel!("pg_settings": "name" "text", "setting" "text", "unit" "text", "category" "text", "short_desc" "text",
        "extra_desc" "text", "context" "text", "vartype" "text", "source" "text", "min_val" "text",
        "max_val" "text", "enumvals" "_text", "boot_val" "text", "reset_val" "text", "sourcefile" "text",
        "sourceline" "int4", "pending_restart" "bool"),
    rel!("pg_extension": "oid" "oid", "extname" "name", "extowner" "oid", "extnamespace" "oid",
        "extrelocatable" "bool", "extversion" "text", "extconfig" "_oid", "extcondition" "_text"),
    rel!("pg_collation": "oid" "oid", "collname" "name", "collnamespace" "oid", "collowner" "oid",
        "collprovider" "char", "collisdeterministic" "bool", "collencoding" "int4", "collcollate" "text",
        "collctype" "text", "colliculocale" "text", "collversion" "text"),
    rel!("pg_inherits": "inhrelid" "oid", "inhparent" "oid", "inhseqno" "int4", "inhdetachpending" "bool"),
    rel!("pg_sequence": "seqrelid" "oid", "seqtypid" "oid", "seqstart" "int8", "seqincrement" "int8",
        "seqmax" "int8", "seqmin" "int8", "seqcache" "int8", "seqcycle" "bool"),
    rel!("pg_enum": "oid" "oid", "enumtypid" "oid", "enumsortorder" "float4", "enumlabel" "name"),
    rel!("pg_range": "rngtypid" "oid", "rngsubtype" "oid", "rngmultitypid" "oid", "rngcollation" "oid",
        "rngsubopc" "oid", "rngcanonical" "regproc", "rngsubdiff" "regproc"),
    rel!("pg_tablespace": "oid" "oid", "spcname" "name", "spcowner" "oid", "spcacl" "_aclitem",
        "spcoptions" "_text"),
    rel!("pg_stat_activity": "datid" "oid", "datname" "name", "pid" "int4", "leader_pid" "int4",
        "usesysid" "oid", "usename" "name", "application_name" "text", "client_addr" "text",
        "client_hostname" "text", "client_port" "int4", "backend_start" "timestamptz",
        "xact_start" "timestamptz", "query_start" "timestamptz", "state_change" "timestamptz",
        "wait_event_type" "text", "wait_event" "text", "state" "text", "backend_xid" "xid",
        "backend_xmin" "xid", "query_id" "int8", "query" "text", "backend_type" "text"),
    rel!("pg_locks": "locktype" "text", "database" "oid", "relation" "oid", "page" "int4", "tuple" "int2",
        "virtualxid" "text", "transactionid" "xid", "classid" "oid", "objid" "oid", "objsubid" "int2",
        "virtualtransaction" "text", "pid" "int4", "mode" "text", "granted" "bool", "fastpath" "bool",
        "waitstart" "timestamptz"),
    rel!("pg_language": "oid" "oid", "lanname" "name", "lanowner" "oid", "lanispl" "bool",
        "lanpltrusted" "bool", "lanplcallfoid" "oid", "laninline" "oid", "lanvalidator" "oid",
        "lanacl" "_aclitem"),
    // The session's SQL-level cursors, filled for each query that reads them (psycopg
    // looks a named cursor up here before closing it).
    rel!("pg_cursors": "name" "text", "statement" "text", "is_holdable" "bool", "is_binary" "bool",
        "is_scrollable" "bool", "creation_time" "timestamptz"),
    // Relations no snapshot fills (no backend has them), present so clients' joins run.
    rel!("pg_trigger": "oid" "oid", "tgrelid" "oid", "tgparentid" "oid", "tgname" "name", "tgfoid" "oid",
        "tgtype" "int2", "tgenabled" "char", "tgisinternal" "bool", "tgconstrrelid" "oid",
        "tgconstrindid" "oid", "tgconstraint" "oid", "tgdeferrable" "bool", "tginitdeferred" "bool",
        "tgnargs" "int2", "tgattr" "int2vector", "tgargs" "bytea", "tgqual" "pg_node_tree",
        "tgoldtable" "name", "tgnewtable" "name"),
    rel!("pg_policy": "oid" "oid", "polname" "name", "polrelid" "oid", "polcmd" "char",
        "polpermissive" "bool", "polroles" "_oid", "polqual" "pg_node_tree", "polwithcheck" "pg_node_tree"),
    rel!("pg_rewrite": "oid" "oid", "rulename" "name", "ev_class" "oid", "ev_type" "char",
        "ev_enabled" "char", "is_instead" "bool", "ev_qual" "pg_node_tree", "ev_action" "pg_node_tree"),
    rel!("pg_depend": "classid" "oid", "objid" "oid", "objsubid" "int4", "refclassid" "oid",
        "refobjid" "oid", "refobjsubid" "int4", "deptype" "char"),
    rel!("pg_statistic_ext": "oid" "oid", "stxrelid" "oid", "stxname" "name", "stxnamespace" "oid",
        "stxowner" "oid", "stxstattarget" "int4", "stxkeys" "int2vector", "stxkind" "_char",
        "stxexprs" "pg_node_tree"),
    rel!("pg_publication": "oid" "oid", "pubname" "name", "pubowner" "oid", "puballtables" "bool",
        "pubinsert" "bool", "pubupdate" "bool", "pubdelete" "bool", "pubtruncate" "bool", "pubviaroot" "bool"),
    rel!("pg_publication_namespace": "oid" "oid", "pnpubid" "oid", "pnnspid" "oid"),
    rel!("pg_publication_rel": "oid" "oid", "prpubid" "oid", "prrelid" "oid", "prqual" "pg_node_tree",
        "prattrs" "int2vector"),
    rel!("pg_partitioned_table": "partrelid" "oid", "partstrat" "char", "partnatts" "int2",
        "partdefid" "oid", "partattrs" "int2vector", "partclass" "oidvector", "partcollation" "oidvector",
        "partexprs" "pg_node_tree"),
    rel!("pg_foreign_table": "ftrelid" "oid", "ftserver" "oid", "ftoptions" "_text"),
    rel!("pg_foreign_server": "oid" "oid", "srvname" "name", "srvowner" "oid", "srvfdw" "oid",
        "srvtype" "text", "srvversion" "text", "srvacl" "_aclitem", "srvoptions" "_text"),
    rel!("pg_foreign_data_wrapper": "oid" "oid", "fdwname" "name", "fdwowner" "oid", "fdwhandler" "oid",
        "fdwvalidator" "oid", "fdwacl" "_aclitem", "fdwoptions" "_text"),
    rel!("pg_event_trigger": "oid" "oid", "evtname" "name", "evtevent" "name", "evtowner" "oid",
        "evtfoid" "oid", "evtenabled" "char", "evttags" "_text"),
    rel!("pg_operator": "oid" "oid", "oprname" "name", "oprnamespace" "oid", "oprowner" "oid",
        "oprkind" "char", "oprcanmerge" "bool", "oprcanhash" "bool", "oprleft" "oid", "oprright" "oid",
        "oprresult" "oid", "oprcom" "oid", "oprnegate" "oid", "oprcode" "regproc", "oprrest" "regproc",
        "oprjoin" "regproc"),
    rel!("pg_opclass": "oid" "oid", "opcmethod" "oid", "opcname" "name", "opcnamespace" "oid",
        "opcowner" "oid", "opcfamily" "oid", "opcintype" "oid", "opcdefault" "bool", "opckeytype" "oid"),
    rel!("pg_cast": "oid" "oid", "castsource" "oid", "casttarget" "oid", "castfunc" "oid",
        "castcontext" "char", "castmethod" "char"),
    rel!("pg_conversion": "oid" "oid", "conname" "name", "connamespace" "oid", "conowner" "oid",
        "conforencoding" "int4", "contoencoding" "int4", "conproc" "regproc", "condefault" "bool"),
    rel!("pg_aggregate": "aggfnoid" "regproc", "aggkind" "char", "aggnumdirectargs" "int2",
        "aggtransfn" "regproc", "aggfinalfn" "regproc", "aggtranstype" "oid", "agginitval" "text"),
    rel!("pg_prepared_xacts": "transaction" "xid", "gid" "text", "prepared" "timestamptz", "owner" "name",
        "database" "name"),
    rel!("pg_user_mappings": "umid" "oid", "srvid" "oid", "srvname" "name", "umuser" "oid",
        "usename" "name", "umoptions" "_text"),
    rel!("pg_stat_user_tables": "relid" "oid", "schemaname" "name", "relname" "name", "seq_scan" "int8",
        "seq_tup_read" "int8", "idx_scan" "int8", "idx_tup_fetch" "int8", "n_tup_ins" "int8",
        "n_tup_upd" "int8", "n_tup_del" "int8", "n_live_tup" "int8", "n_dead_tup" "int8",
        "last_vacuum" "timestamptz", "last_autovacuum" "timestamptz", "last_analyze" "timestamptz",
        "last_autoanalyze" "timestamptz"),
    rel!("pg_stat_database": "datid" "oid", "datname" "name", "numbackends" "int4", "xact_commit" "int8",
        "xact_rollback" "int8", "blks_read" "int8", "blks_hit" "int8", "tup_returned" "int8",
        "tup_fetched" "int8", "tup_inserted" "int8", "tup_updated" "int8", "tup_deleted" "int8"),
    rel!("pg_timezone_names": "name" "text", "abbrev" "text", "utc_offset" "text", "is_dst" "bool"),
    rel!("pg_timezone_abbrevs": "abbrev" "text", "utc_offset" "text", "is_dst" "bool"),
    rel!("pg_db_role_setting": "setdatabase" "oid", "setrole" "oid", "setconfig" "_text"),
];

/// SQLite affinity of a PostgreSQL column type (the last word of the declared type).
pub fn affinity(pg_type: &str) -> &'static str {
    match pg_type {
        "bool" | "int2" | "int4" | "int8" | "oid" | "xid" | "regproc" | "regclass" | "regtype" => "int",
        "float4" | "float8" => "real",
        _ => "text",
    }
}

/// The PostgreSQL type of a declared catalog column type (`"oid int"` -> `oid`).
pub fn pg_type_of_decl(decl: &str) -> &str {
    decl.rsplit_once(' ').map_or(decl, |(t, _)| t)
}

pub fn create_table_sql((name, cols): &Relation) -> String {
    let cols: Vec<String> = cols.iter().map(|(c, t)| format!("\"{c}\" {t} {}", affinity(t))).collect();
    format!("CREATE TABLE {name} ({})", cols.join(", "))
}

pub fn is_relation(name: &str) -> bool {
    RELATIONS.iter().any(|(n, _)| *n == name) || super::views::is_view(name)
}

/// The catalog's own relations as pg_class shows them: (oid, schema, name, relkind,
/// columns). PostgreSQL's OIDs for the common ones, the rest numbered below 16384.
pub fn own_relations() -> Vec<(i64, &'static str, &'static str, &'static str, &'static [(&'static str, &'static str)])>
{
    let known = |name: &str| match name {
        "pg_class" => Some(1259),
        "pg_type" => Some(1247),
        "pg_attribute" => Some(1249),
        "pg_proc" => Some(1255),
        "pg_namespace" => Some(2615),
        "pg_constraint" => Some(2606),
        "pg_index" => Some(2610),
        "pg_database" => Some(1262),
        "pg_description" => Some(2609),
        "pg_attrdef" => Some(2604),
        "pg_am" => Some(2601),
        "pg_authid" => Some(1260),
        "pg_roles" => Some(12001),
        _ => None,
    };
    let mut out = Vec::new();
    for (i, (name, cols)) in RELATIONS.iter().enumerate() {
        out.push((known(name).unwrap_or(12100 + i as i64), "pg_catalog", *name, "r", *cols));
    }
    for (i, v) in super::views::VIEWS.iter().enumerate() {
        let (schema, name) = match v.name.split_once('.') {
            Some((s, n)) => (s, n),
            None => ("pg_catalog", v.name),
        };
        out.push((known(name).unwrap_or(12300 + i as i64), schema, name, "v", v.columns));
    }
    out
}
