-- case: table list
-- source: public/app/plugins/datasource/grafana-postgresql-datasource/postgresMetaQuery.ts (buildTableQuery)
-- compare: rows
SELECT quote_ident(table_name) AS "table" FROM information_schema.tables
WHERE quote_ident(table_schema) NOT IN ('information_schema', 'pg_catalog', '_timescaledb_cache', '_timescaledb_catalog',
                                        '_timescaledb_internal', '_timescaledb_config', 'timescaledb_information',
                                        'timescaledb_experimental')
  AND table_type = 'BASE TABLE' AND quote_ident(table_schema) IN (SELECT CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
                                                                  FROM generate_series(1, array_upper(string_to_array(current_setting('search_path'), ','), 1)) AS i,
                                                                       string_to_array(current_setting('search_path'), ',') s)
ORDER BY 1

-- case: column list
-- source: public/app/plugins/datasource/grafana-postgresql-datasource/postgresMetaQuery.ts (buildColumnQuery)
-- compare: rows
SELECT quote_ident(column_name) AS "column", data_type AS "type"
FROM information_schema.columns
WHERE quote_ident(table_name) = 'emp'
ORDER BY column_name

-- case: schema list
-- source: public/app/plugins/datasource/grafana-postgresql-datasource/postgresMetaQuery.ts (schema query)
-- compare: rows
SELECT schema_name FROM information_schema.schemata
WHERE schema_name NOT LIKE 'pg_%' AND schema_name NOT LIKE '\_%' AND schema_name <> 'information_schema'
ORDER BY schema_name

-- case: version
-- source: pkg/tsdb/grafana-postgresql-datasource/postgres.go (version check via current_setting)
SELECT current_setting('server_version_num')::int / 100 AS version
