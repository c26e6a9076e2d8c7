//! pg_catalog views and information_schema views, materialized when a snapshot is
//! built (their rows only change with the snapshot), so every column has a declared
//! PostgreSQL type. information_schema's domains are given as their base types, which
//! is what PostgreSQL reports in RowDescription.

use super::relations::affinity;

pub struct View {
    /// `pg_roles`, or `information_schema.tables` (stored as `information_schema__tables`).
    pub name: &'static str,
    pub columns: &'static [(&'static str, &'static str)],
    /// SQLite SELECT over the base relations, one result column per entry of `columns`.
    pub select: &'static str,
}

pub const VIEWS: &[View] = &[
    View {
        name: "pg_roles",
        columns: &[
            ("rolname", "name"),
            ("rolsuper", "bool"),
            ("rolinherit", "bool"),
            ("rolcreaterole", "bool"),
            ("rolcreatedb", "bool"),
            ("rolcanlogin", "bool"),
            ("rolreplication", "bool"),
            ("rolconnlimit", "int4"),
            ("rolpassword", "text"),
            ("rolvaliduntil", "timestamptz"),
            ("rolbypassrls", "bool"),
            ("rolconfig", "_text"),
            ("oid", "oid"),
        ],
        select: "SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, \
                 rolconnlimit, '********', rolvaliduntil, rolbypassrls, NULL, oid FROM pg_authid",
    },
    View {
        name: "pg_user",
        columns: &[
            ("usename", "name"),
            ("usesysid", "oid"),
            ("usecreatedb", "bool"),
            ("usesuper", "bool"),
            ("userepl", "bool"),
            ("usebypassrls", "bool"),
            ("passwd", "text"),
            ("valuntil", "timestamptz"),
            ("useconfig", "_text"),
        ],
        select: "SELECT rolname, oid, rolcreatedb, rolsuper, rolreplication, rolbypassrls, '********', \
                 rolvaliduntil, NULL FROM pg_authid WHERE rolcanlogin",
    },
    View {
        name: "pg_tables",
        columns: &[
            ("schemaname", "name"),
            ("tablename", "name"),
            ("tableowner", "name"),
            ("tablespace", "name"),
            ("hasindexes", "bool"),
            ("hasrules", "bool"),
            ("hastriggers", "bool"),
            ("rowsecurity", "bool"),
        ],
        select: "SELECT n.nspname, c.relname, pgw_owner(), NULL, c.relhasindex, c.relhasrules, c.relhastriggers, \
                 c.relrowsecurity FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relkind IN ('r', 'p')",
    },
    // Block I/O counters: the gateway has none (0); the relations are real, and Sequelize's
    // describeTable joins pg_description through this view for column comments.
    View {
        name: "pg_statio_all_tables",
        columns: STATIO_COLUMNS,
        select: "SELECT c.oid, n.nspname, c.relname, 0, 0, 0, 0, 0, 0, 0, 0 FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'm')",
    },
    View {
        name: "pg_statio_user_tables",
        columns: STATIO_COLUMNS,
        select: "SELECT c.oid, n.nspname, c.relname, 0, 0, 0, 0, 0, 0, 0, 0 FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'm') \
                 AND n.nspname NOT IN ('pg_catalog', 'information_schema')",
    },
    View {
        name: "pg_views",
        columns: &[("schemaname", "name"), ("viewname", "name"), ("viewowner", "name"), ("definition", "text")],
        select: "SELECT n.nspname, c.relname, pgw_owner(), pg_get_viewdef(c.oid) FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'v'",
    },
    View {
        name: "pg_matviews",
        columns: &[
            ("schemaname", "name"),
            ("matviewname", "name"),
            ("matviewowner", "name"),
            ("tablespace", "name"),
            ("hasindexes", "bool"),
            ("ispopulated", "bool"),
            ("definition", "text"),
        ],
        select: "SELECT n.nspname, c.relname, pgw_owner(), NULL, c.relhasindex, c.relispopulated, \
                 pg_get_viewdef(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relkind = 'm'",
    },
    View {
        name: "pg_indexes",
        columns: &[
            ("schemaname", "name"),
            ("tablename", "name"),
            ("indexname", "name"),
            ("tablespace", "name"),
            ("indexdef", "text"),
        ],
        select: "SELECT n.nspname, c.relname, i.relname, NULL, pg_get_indexdef(i.oid) FROM pg_index x \
                 JOIN pg_class c ON c.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid \
                 JOIN pg_namespace n ON n.oid = c.relnamespace",
    },
    View {
        name: "pg_sequences",
        columns: &[
            ("schemaname", "name"),
            ("sequencename", "name"),
            ("sequenceowner", "name"),
            ("data_type", "regtype"),
            ("start_value", "int8"),
            ("min_value", "int8"),
            ("max_value", "int8"),
            ("increment_by", "int8"),
            ("cycle", "bool"),
            ("cache_size", "int8"),
            ("last_value", "int8"),
        ],
        select: "SELECT n.nspname, c.relname, pgw_owner(), s.seqtypid, s.seqstart, s.seqmin, s.seqmax, \
                 s.seqincrement, s.seqcycle, s.seqcache, NULL FROM pg_sequence s \
                 JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace",
    },
    View {
        name: "information_schema.schemata",
        columns: &[
            ("catalog_name", "name"),
            ("schema_name", "name"),
            ("schema_owner", "name"),
            ("default_character_set_catalog", "name"),
            ("default_character_set_schema", "name"),
            ("default_character_set_name", "name"),
            ("sql_path", "varchar"),
        ],
        select: "SELECT current_database(), nspname, pgw_owner(), NULL, NULL, NULL, NULL FROM pg_namespace",
    },
    View {
        name: "information_schema.tables",
        columns: &[
            ("table_catalog", "name"),
            ("table_schema", "name"),
            ("table_name", "name"),
            ("table_type", "varchar"),
            ("self_referencing_column_name", "name"),
            ("reference_generation", "varchar"),
            ("user_defined_type_catalog", "name"),
            ("user_defined_type_schema", "name"),
            ("user_defined_type_name", "name"),
            ("is_insertable_into", "varchar"),
            ("is_typed", "varchar"),
            ("commit_action", "varchar"),
        ],
        select: "SELECT current_database(), n.nspname, c.relname, \
                 CASE WHEN n.nspname LIKE 'pg\\_temp%' ESCAPE '\\' THEN 'LOCAL TEMPORARY' \
                      WHEN c.relkind IN ('r', 'p') THEN 'BASE TABLE' WHEN c.relkind = 'v' THEN 'VIEW' \
                      WHEN c.relkind = 'f' THEN 'FOREIGN' END, \
                 NULL, NULL, NULL, NULL, NULL, CASE WHEN c.relkind IN ('r', 'p') THEN 'YES' ELSE 'NO' END, 'NO', NULL \
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'f')",
    },
    View {
        name: "information_schema.views",
        columns: &[
            ("table_catalog", "name"),
            ("table_schema", "name"),
            ("table_name", "name"),
            ("view_definition", "varchar"),
            ("check_option", "varchar"),
            ("is_updatable", "varchar"),
            ("is_insertable_into", "varchar"),
            ("is_trigger_updatable", "varchar"),
            ("is_trigger_deletable", "varchar"),
            ("is_trigger_insertable_into", "varchar"),
        ],
        select: "SELECT current_database(), n.nspname, c.relname, pg_get_viewdef(c.oid), 'NONE', 'NO', 'NO', 'NO', \
                 'NO', 'NO' FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'v'",
    },
    View {
        name: "information_schema.columns",
        columns: &[
            ("table_catalog", "name"),
            ("table_schema", "name"),
            ("table_name", "name"),
            ("column_name", "name"),
            ("ordinal_position", "int4"),
            ("column_default", "varchar"),
            ("is_nullable", "varchar"),
            ("data_type", "varchar"),
            ("character_maximum_length", "int4"),
            ("character_octet_length", "int4"),
            ("numeric_precision", "int4"),
            ("numeric_precision_radix", "int4"),
            ("numeric_scale", "int4"),
            ("datetime_precision", "int4"),
            ("interval_type", "varchar"),
            ("interval_precision", "int4"),
            ("character_set_catalog", "name"),
            ("character_set_schema", "name"),
            ("character_set_name", "name"),
            ("collation_catalog", "name"),
            ("collation_schema", "name"),
            ("collation_name", "name"),
            ("domain_catalog", "name"),
            ("domain_schema", "name"),
            ("domain_name", "name"),
            ("udt_catalog", "name"),
            ("udt_schema", "name"),
            ("udt_name", "name"),
            ("scope_catalog", "name"),
            ("scope_schema", "name"),
            ("scope_name", "name"),
            ("maximum_cardinality", "int4"),
            ("dtd_identifier", "name"),
            ("is_self_referencing", "varchar"),
            ("is_identity", "varchar"),
            ("identity_generation", "varchar"),
            ("identity_start", "varchar"),
            ("identity_increment", "varchar"),
            ("identity_maximum", "varchar"),
            ("identity_minimum", "varchar"),
            ("identity_cycle", "varchar"),
            ("is_generated", "varchar"),
            ("generation_expression", "varchar"),
            ("is_updatable", "varchar"),
        ],
        select: "SELECT current_database(), n.nspname, c.relname, a.attname, a.attnum, d.adbin, \
                 CASE WHEN a.attnotnull THEN 'NO' ELSE 'YES' END, pgw_sql_type(a.atttypid, a.atttypmod), \
                 pgw_char_length(a.atttypid, a.atttypmod), pgw_octet_length(a.atttypid, a.atttypmod), \
                 pgw_numeric_precision(a.atttypid, a.atttypmod), pgw_numeric_radix(a.atttypid), \
                 pgw_numeric_scale(a.atttypid, a.atttypmod), pgw_datetime_precision(a.atttypid, a.atttypmod), \
                 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, current_database(), tn.nspname, \
                 t.typname, NULL, NULL, NULL, NULL, a.attnum, 'NO', 'NO', NULL, NULL, NULL, NULL, NULL, 'NO', \
                 'NEVER', NULL, CASE WHEN c.relkind IN ('r', 'p') THEN 'YES' ELSE 'NO' END \
                 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
                 JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid \
                 JOIN pg_namespace tn ON tn.oid = t.typnamespace \
                 LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
                 WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'f', 'm')",
    },
    View {
        name: "information_schema.table_constraints",
        columns: &[
            ("constraint_catalog", "name"),
            ("constraint_schema", "name"),
            ("constraint_name", "name"),
            ("table_catalog", "name"),
            ("table_schema", "name"),
            ("table_name", "name"),
            ("constraint_type", "varchar"),
            ("is_deferrable", "varchar"),
            ("initially_deferred", "varchar"),
            ("enforced", "varchar"),
            ("nulls_distinct", "varchar"),
        ],
        select: "SELECT current_database(), n.nspname, k.conname, current_database(), n.nspname, c.relname, \
                 CASE k.contype WHEN 'c' THEN 'CHECK' WHEN 'f' THEN 'FOREIGN KEY' WHEN 'p' THEN 'PRIMARY KEY' \
                 WHEN 'u' THEN 'UNIQUE' END, CASE WHEN k.condeferrable THEN 'YES' ELSE 'NO' END, \
                 CASE WHEN k.condeferred THEN 'YES' ELSE 'NO' END, 'YES', \
                 CASE WHEN k.contype = 'u' THEN 'YES' END \
                 FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid \
                 JOIN pg_namespace n ON n.oid = c.relnamespace WHERE k.contype IN ('c', 'f', 'p', 'u')",
    },
    View {
        name: "information_schema.key_column_usage",
        columns: &[
            ("constraint_catalog", "name"),
            ("constraint_schema", "name"),
            ("constraint_name", "name"),
            ("table_catalog", "name"),
            ("table_schema", "name"),
            ("table_name", "name"),
            ("column_name", "name"),
            ("ordinal_position", "int4"),
            ("position_in_unique_constraint", "int4"),
        ],
        select: "SELECT current_database(), n.nspname, k.conname, current_database(), n.nspname, c.relname, \
                 a.attname, j.key + 1, CASE WHEN k.contype = 'f' THEN j.key + 1 END \
                 FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid \
                 JOIN pg_namespace n ON n.oid = c.relnamespace, json_each(pgw_array_json(k.conkey)) j \
                 JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = j.value \
                 WHERE k.contype IN ('f', 'p', 'u')",
    },
    View {
        name: "information_schema.referential_constraints",
        columns: &[
            ("constraint_catalog", "name"),
            ("constraint_schema", "name"),
            ("constraint_name", "name"),
            ("unique_constraint_catalog", "name"),
            ("unique_constraint_schema", "name"),
            ("unique_constraint_name", "name"),
            ("match_option", "varchar"),
            ("update_rule", "varchar"),
            ("delete_rule", "varchar"),
        ],
        select: "SELECT current_database(), n.nspname, k.conname, current_database(), un.nspname, u.conname, \
                 'NONE', pgw_fk_rule(k.confupdtype), pgw_fk_rule(k.confdeltype) \
                 FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace \
                 LEFT JOIN pg_constraint u ON u.conindid = k.conindid AND u.contype IN ('p', 'u') \
                 AND u.conrelid = k.confrelid LEFT JOIN pg_namespace un ON un.oid = u.connamespace \
                 WHERE k.contype = 'f'",
    },
    View {
        name: "information_schema.constraint_column_usage",
        columns: &[
            ("table_catalog", "name"),
            ("table_schema", "name"),
            ("table_name", "name"),
            ("column_name", "name"),
            ("constraint_catalog", "name"),
            ("constraint_schema", "name"),
            ("constraint_name", "name"),
        ],
        select: "SELECT current_database(), n.nspname, c.relname, a.attname, current_database(), kn.nspname, \
                 k.conname FROM pg_constraint k JOIN pg_namespace kn ON kn.oid = k.connamespace, \
                 json_each(pgw_array_json(CASE WHEN k.contype = 'f' THEN k.confkey ELSE k.conkey END)) j \
                 JOIN pg_class c ON c.oid = CASE WHEN k.contype = 'f' THEN k.confrelid ELSE k.conrelid END \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = j.value \
                 WHERE k.contype IN ('f', 'p', 'u')",
    },
    View {
        name: "information_schema.routines",
        columns: &[
            ("specific_catalog", "name"),
            ("specific_schema", "name"),
            ("specific_name", "name"),
            ("routine_catalog", "name"),
            ("routine_schema", "name"),
            ("routine_name", "name"),
            ("routine_type", "varchar"),
            ("data_type", "varchar"),
            ("type_udt_name", "name"),
            ("routine_body", "varchar"),
            ("routine_definition", "varchar"),
            ("external_language", "varchar"),
            ("is_deterministic", "varchar"),
        ],
        select: "SELECT current_database(), n.nspname, p.proname || '_' || p.oid, current_database(), n.nspname, \
                 p.proname, CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, \
                 pgw_sql_type(p.prorettype, -1), t.typname, 'EXTERNAL', NULL, 'INTERNAL', \
                 CASE WHEN p.provolatile = 'i' THEN 'YES' ELSE 'NO' END \
                 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
                 LEFT JOIN pg_type t ON t.oid = p.prorettype",
    },
    View {
        name: "information_schema.sequences",
        columns: &[
            ("sequence_catalog", "name"),
            ("sequence_schema", "name"),
            ("sequence_name", "name"),
            ("data_type", "varchar"),
            ("numeric_precision", "int4"),
            ("numeric_precision_radix", "int4"),
            ("numeric_scale", "int4"),
            ("start_value", "varchar"),
            ("minimum_value", "varchar"),
            ("maximum_value", "varchar"),
            ("increment", "varchar"),
            ("cycle_option", "varchar"),
        ],
        select: "SELECT current_database(), n.nspname, c.relname, pgw_sql_type(s.seqtypid, -1), \
                 pgw_numeric_precision(s.seqtypid, -1), 2, 0, s.seqstart, s.seqmin, s.seqmax, s.seqincrement, \
                 CASE WHEN s.seqcycle THEN 'YES' ELSE 'NO' END FROM pg_sequence s \
                 JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace",
    },
];

/// The SQLite table a view is materialized in: `information_schema.x` -> `information_schema__x`.
/// The columns of pg_statio_all_tables / pg_statio_user_tables.
const STATIO_COLUMNS: &[(&str, &str)] = &[
    ("relid", "oid"),
    ("schemaname", "name"),
    ("relname", "name"),
    ("heap_blks_read", "int8"),
    ("heap_blks_hit", "int8"),
    ("idx_blks_read", "int8"),
    ("idx_blks_hit", "int8"),
    ("toast_blks_read", "int8"),
    ("toast_blks_hit", "int8"),
    ("tidx_blks_read", "int8"),
    ("tidx_blks_hit", "int8"),
];

pub fn stored_name(view: &str) -> String {
    view.replace('.', "__")
}

pub fn is_view(name: &str) -> bool {
    VIEWS.iter().any(|v| v.name == name)
}

/// `CREATE TABLE` and `INSERT .. SELECT` that materialize a view.
pub fn materialize_sql(v: &View) -> (String, String) {
    let table = stored_name(v.name);
    let cols: Vec<String> = v.columns.iter().map(|(c, t)| format!("\"{c}\" {t} {}", affinity(t))).collect();
    (format!("CREATE TABLE {table} ({})", cols.join(", ")), format!("INSERT INTO {table} {}", v.select))
}
