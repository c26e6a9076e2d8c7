//! Unit tests of the SQLite target: rendered SQL, parameter maps and refusals.

use crate::error::sqlstate;
use crate::translate::*;

fn one(sql: &str) -> (Vec<(String, Vec<usize>)>, Translated) {
    let mut t = translate(sql, &Target::Sqlite).unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    assert_eq!(t.len(), 1, "{sql}");
    let t = t.remove(0);
    let stmts = match &t.action {
        Action::Execute { statements, .. } => statements.iter().map(|s| (s.sql.clone(), s.params.clone())).collect(),
        _ => Vec::new(),
    };
    (stmts, t)
}

fn sql(input: &str) -> String {
    let (s, _) = one(input);
    assert_eq!(s.len(), 1, "{input}: {s:?}");
    s[0].0.clone()
}

fn refused(input: &str) -> PgError {
    let e = translate(input, &Target::Sqlite).expect_err(input);
    assert_eq!(e.code, sqlstate::FEATURE_NOT_SUPPORTED, "{input}: {e:?}");
    assert!(e.hint.is_some(), "{input}: refusal without hint");
    e
}

#[test]
fn params_become_question_marks_in_text_order() {
    let (s, t) = one("SELECT $2, $1, $2 FROM t WHERE a = $3");
    assert_eq!(s[0].0, "SELECT ?, ?, ? FROM t WHERE a = ?");
    assert_eq!(s[0].1, vec![1, 0, 1, 2]);
    assert_eq!(t.param_count, 3);
    assert_eq!(t.tag, Tag::Select);
}

#[test]
fn double_colon_casts() {
    assert_eq!(
        sql("SELECT $1::int, $2::text, 1::float8"),
        "SELECT CAST(? AS INTEGER), CAST(? AS TEXT), CAST(1 AS REAL)"
    );
    assert_eq!(sql("SELECT 'abcdef'::varchar(3)"), "SELECT substr(CAST('abcdef' AS TEXT), 1, 3)");
    assert_eq!(sql("SELECT 't'::boolean, 'off'::bool"), "SELECT true, false");
    // Date/time literals are written as parameters arrive (sqlite_datetime.rs); others cast.
    assert_eq!(sql("SELECT '2024-01-02 10:00'::date, $1::date"), "SELECT CAST('2024-01-02' AS TEXT), pg_date(?)");
    assert_eq!(sql("SELECT '2000-1-2 3:04+2'::timestamptz"), "SELECT CAST('2000-01-02 01:04:00+00:00' AS TEXT)");
    assert_eq!(sql("SELECT 'now'::timestamp"), "SELECT CAST('now' AS TEXT)");
    assert_eq!(translate("SELECT '2024-02-30'::date", &Target::Sqlite).unwrap_err().code, "22008");
    assert_eq!(sql("SELECT 'NaN'::float8, '-Infinity'::real, $1::float8"), "SELECT 'NaN', -9e999, pg_float(?)");
    // -NaN is NaN (psycopg quotes a NaN as 'NaN'::float8 and negates it so).
    assert_eq!(sql("SELECT -'NaN'::float8, -'NaN'::numeric, -('nan'::float4)"), "SELECT 'NaN', 'NaN', ('NaN')");
    assert_eq!(sql("SELECT '\\x0102'::bytea"), "SELECT X'0102'");
    assert_eq!(sql("SELECT CAST(x AS numeric(10,2)) FROM t"), "SELECT CAST(x AS NUMERIC) FROM t");
    let e = translate("SELECT 'maybe'::boolean", &Target::Sqlite).unwrap_err();
    assert_eq!(e.code, "22P02");
}

#[test]
fn create_table_keeps_pg_type_names() {
    assert_eq!(
        sql("CREATE TABLE IF NOT EXISTS public.t (id BIGINT, ok BOOLEAN, at TIMESTAMP, name VARCHAR(20), price NUMERIC(10,2))"),
        "CREATE TABLE IF NOT EXISTS t (id BIGINT CONSTRAINT pgw_integer_input_bigint CHECK (typeof(id) NOT IN ('text', 'blob')), ok BOOLEAN, at TIMESTAMP, name VARCHAR(20), price NUMERIC_TEXT(10,2) \
         COLLATE pg_numeric CONSTRAINT pgw_numeric_overflow_10_2 CHECK (pg_numeric_fits(price, 10, 2)))"
    );
    assert_eq!(
        sql("CREATE TABLE t (a timestamp with time zone, b character varying(5), c double precision, d timestamp without time zone)"),
        "CREATE TABLE t (a TIMESTAMPTZ, b VARCHAR(5), c DOUBLE PRECISION, d TIMESTAMP)"
    );
    // Time precisions stay: the columns report them and their values are rounded on the way out.
    assert_eq!(
        sql("CREATE TABLE t (a time(1), b timestamp(0) with time zone, c timetz(3), d timestamp(6))"),
        "CREATE TABLE t (a TIME(1), b TIMESTAMPTZ(0), c TIMETZ(3), d TIMESTAMP(6))"
    );
}

#[test]
fn serial_primary_key() {
    assert_eq!(
        sql("CREATE TABLE t (id SERIAL PRIMARY KEY, name TEXT NOT NULL)"),
        "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL)"
    );
    assert_eq!(
        sql("CREATE TABLE t (id BIGSERIAL NOT NULL, name TEXT, PRIMARY KEY (id))"),
        "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT)"
    );
    assert_eq!(
        sql("CREATE TABLE t (id INT GENERATED ALWAYS AS IDENTITY PRIMARY KEY)"),
        "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT)"
    );
    // TypeORM's DDL: quoted names, the key a named constraint.
    assert_eq!(
        sql(r#"CREATE TABLE "t" ("id" SERIAL NOT NULL, "n" text, CONSTRAINT "PK_1" PRIMARY KEY ("id"))"#),
        r#"CREATE TABLE "t" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "n" TEXT)"#
    );
    refused("CREATE TABLE t (id SERIAL, name TEXT)");
    refused("CREATE TABLE t (a INT, n SERIAL, PRIMARY KEY (a, n))");
}

#[test]
fn defaults_get_parentheses() {
    assert_eq!(
        sql("CREATE TABLE t (a TIMESTAMPTZ DEFAULT now(), b TEXT DEFAULT 'x'::text, c INT DEFAULT -1, d BOOLEAN DEFAULT false)"),
        "CREATE TABLE t (a TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP, b TEXT DEFAULT (CAST('x' AS TEXT)), c INT DEFAULT -1 CONSTRAINT pgw_integer_input_integer CHECK (typeof(c) NOT IN ('text', 'blob')), d BOOLEAN DEFAULT false)"
    );
    refused("CREATE TABLE t (a INT DEFAULT nextval('s'))");
}

#[test]
fn literals_and_time_functions() {
    assert_eq!(
        sql("SELECT true, false, now(), current_timestamp, current_date"),
        "SELECT true, false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_DATE"
    );
    assert_eq!(sql("SELECT E'a\\'b', $$c$$"), "SELECT 'a''b', 'c'");
}

#[test]
fn limit_and_offset() {
    assert_eq!(sql("SELECT * FROM t LIMIT ALL"), "SELECT * FROM t");
    assert_eq!(sql("SELECT * FROM t LIMIT ALL OFFSET 5"), "SELECT * FROM t LIMIT -1 OFFSET 5");
    assert_eq!(sql("SELECT * FROM t OFFSET $1"), "SELECT * FROM t LIMIT -1 OFFSET ?");
    assert_eq!(sql("SELECT * FROM t LIMIT $1 OFFSET $2"), "SELECT * FROM t LIMIT ? OFFSET ?");
    assert_eq!(sql("SELECT * FROM t OFFSET 2 ROWS FETCH FIRST 3 ROWS ONLY"), "SELECT * FROM t LIMIT 3 OFFSET 2");
    refused("SELECT * FROM t FETCH FIRST 3 ROWS WITH TIES");
}

#[test]
fn like_and_ilike() {
    assert_eq!(sql("SELECT * FROM t WHERE a ILIKE $1"), "SELECT * FROM t WHERE lower(a) LIKE lower(?) ESCAPE '\\'");
    assert_eq!(
        sql("SELECT * FROM t WHERE a NOT ILIKE 'x%'"),
        "SELECT * FROM t WHERE lower(a) NOT LIKE lower('x%') ESCAPE '\\'"
    );
    assert_eq!(sql("SELECT * FROM t WHERE a LIKE 'x\\_%'"), "SELECT * FROM t WHERE a LIKE 'x\\_%' ESCAPE '\\'");
    assert_eq!(sql("SELECT * FROM t WHERE a LIKE 'x!_%' ESCAPE '!'"), "SELECT * FROM t WHERE a LIKE 'x!_%' ESCAPE '!'");
}

#[test]
fn boolean_tests_and_concat() {
    assert_eq!(
        sql("SELECT a || b FROM t WHERE c IS TRUE AND d IS NOT FALSE"),
        "SELECT a || b FROM t WHERE c IS TRUE AND d IS NOT FALSE"
    );
    assert_eq!(
        sql("SELECT concat(a, 1, NULL)"),
        "SELECT (COALESCE(CAST(a AS TEXT), '') || COALESCE(CAST(1 AS TEXT), '') || COALESCE(CAST(NULL AS TEXT), ''))"
    );
}

#[test]
fn insert_returning_and_on_conflict_are_native() {
    let (s, t) =
        one("INSERT INTO public.t (a, b) VALUES ($1, $2) ON CONFLICT (a) DO UPDATE SET b = EXCLUDED.b RETURNING id");
    assert_eq!(s[0].0, "INSERT INTO t (a, b) VALUES (?, ?) ON CONFLICT(a) DO UPDATE SET b = EXCLUDED.b RETURNING id");
    assert!(matches!(t.action, Action::Execute { returns_rows: true, .. }));
    assert_eq!(t.tag, Tag::Insert);
    assert_eq!(
        sql("INSERT INTO t SELECT * FROM u ON CONFLICT DO NOTHING"),
        "INSERT INTO t SELECT * FROM u WHERE true ON CONFLICT DO NOTHING"
    );
    let (_, t) = one("INSERT INTO t VALUES (1), (2)");
    assert!(matches!(t.action, Action::Execute { returns_rows: false, .. }));
}

#[test]
fn drop_and_truncate() {
    let (s, _) = one("DROP TABLE IF EXISTS a, public.b;");
    assert_eq!(
        s.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(),
        ["DROP TABLE IF EXISTS a", "DROP TABLE IF EXISTS b"]
    );
    refused("DROP SEQUENCE a CASCADE");
    // DROP TABLE .. CASCADE: a guard that nothing depends on the table, then the DROP.
    assert_eq!(one("DROP TABLE a CASCADE").0.len(), 2);
    assert_eq!(sql("TRUNCATE t"), "DELETE FROM t");
    refused("TRUNCATE t RESTART IDENTITY");
}

#[test]
fn functions() {
    assert_eq!(
        sql("SELECT extract(year FROM ts), substring(a FROM 2 FOR 3), position('x' IN a) FROM t"),
        "SELECT CAST(strftime('%Y', ts) AS INTEGER), substr(a, 2, 3), instr(a, 'x') FROM t"
    );
    assert_eq!(sql("SELECT string_agg(a, ',') FROM t"), "SELECT group_concat(a, ',') FROM t");
    assert_eq!(sql("SELECT date_trunc('day', ts) FROM t"), "SELECT strftime('%Y-%m-%d 00:00:00', ts) FROM t");
    assert_eq!(sql("SELECT greatest(a, b)"), "SELECT max(coalesce(a, b), coalesce(b, a))");
    refused("SELECT date_trunc('week', ts) FROM t");
    refused("SELECT nextval('s')");
}

#[test]
fn transaction_statements() {
    let t = translate("BEGIN; SAVEPOINT s1; ROLLBACK TO SAVEPOINT s1; RELEASE SAVEPOINT s1; COMMIT", &Target::Sqlite)
        .unwrap();
    assert!(matches!(t[0].action, Action::Begin { .. }));
    assert!(matches!(&t[1].action, Action::Execute { statements, .. } if statements[0].sql == "SAVEPOINT s1"));
    assert!(
        matches!(&t[2].action, Action::Execute { statements, .. } if statements[0].sql == "ROLLBACK TO SAVEPOINT s1")
    );
    assert_eq!(t[2].tag, Tag::Fixed("ROLLBACK".into()));
    assert!(matches!(t[4].action, Action::Commit));
    let t = translate("BEGIN ISOLATION LEVEL SERIALIZABLE", &Target::Sqlite).unwrap();
    assert!(matches!(&t[0].action, Action::Begin { modes, .. } if modes.is_empty()));
}

#[test]
fn settings() {
    let t =
        translate("SET search_path TO public; SHOW timezone; RESET ALL; SET TIME ZONE 'UTC'", &Target::Sqlite).unwrap();
    assert_eq!(t[0].action, Action::Set { name: "search_path".into(), value: Some("public".into()), local: false });
    assert_eq!(t[1].action, Action::Show { name: "timezone".into() });
    assert_eq!(t[2].action, Action::Reset { name: "all".into() });
    assert_eq!(t[3].action, Action::Set { name: "timezone".into(), value: Some("UTC".into()), local: false });
    for reset in ["SET SESSION TIME ZONE DEFAULT", "SET TIME ZONE LOCAL"] {
        let t = translate(reset, &Target::Sqlite).unwrap();
        assert_eq!(t[0].action, Action::Set { name: "timezone".into(), value: None, local: false }, "{reset}");
    }
}

#[test]
fn refusals_name_the_construct() {
    refused("SELECT DISTINCT ON (a) a, b FROM t");
    refused("SELECT a[1] FROM t");
    refused("SELECT * FROM t WHERE a = ANY($1)");
}

#[test]
fn intervals_are_canonical_text_and_backend_functions() {
    assert_eq!(sql("SELECT '1d 3h'::interval, interval '2' hour"), "SELECT '1 day 03:00:00', '02:00:00'");
    assert_eq!(sql("SELECT now() - interval '1 day'"), "SELECT pg_interval_sub(CURRENT_TIMESTAMP, '1 day')");
    assert_eq!(sql("SELECT $1 + $2 * '1s'::interval"), "SELECT pg_interval_add(?, pg_interval_mul(?, '00:00:01'))");
    assert_eq!(
        sql("SELECT * FROM t WHERE d > $1::interval"),
        "SELECT * FROM t WHERE pg_interval_cmp(d, CAST(? AS TEXT)) > 0"
    );
    assert_eq!(sql("SELECT -'1 mon'::interval"), "SELECT pg_interval_mul('1 mon', -1)");
    assert_eq!(translate("SELECT 'wat'::interval", &Target::Sqlite).unwrap_err().code, "22007");
    refused("SELECT a::interval FROM t");
}

#[test]
fn pgvector_distances_are_backend_functions() {
    assert_eq!(sql("SELECT emb <-> '[1,2]' FROM t"), "SELECT pg_vector_l2_distance(emb, '[1,2]') FROM t");
    assert_eq!(sql("SELECT emb <=> $1 FROM t"), "SELECT pg_vector_cosine_distance(emb, ?) FROM t");
    assert_eq!(sql("SELECT emb <#> $1 FROM t"), "SELECT pg_vector_negative_inner_product(emb, ?) FROM t");
    assert_eq!(
        sql("CREATE INDEX ON t USING hnsw (emb vector_l2_ops) WITH (m = 4)"),
        "CREATE INDEX t_emb_idx ON t(emb)"
    );
}

#[test]
fn regular_expressions_and_series_run_in_python() {
    assert_eq!(sql("SELECT * FROM t WHERE a ~* 'x'"), "SELECT * FROM t WHERE pg_regex(a, 'x', 'i')");
    assert_eq!(sql("SELECT * FROM t WHERE a !~ 'x'"), "SELECT * FROM t WHERE NOT pg_regex(a, 'x', '')");
    assert!(sql("SELECT n FROM generate_series(1, 3) AS n").contains("json_each(pg_series_json(1, 3))"));
    assert_eq!(
        sql("SELECT regexp_matches(a, 'x', 'g') FROM t"),
        "SELECT pgw_srf.value FROM t, json_each(pg_regexp_matches_json(a, 'x', 'g')) AS pgw_srf"
    );
    assert!(refused("SELECT * FROM t WHERE regexp_matches(a, 'x', 'g') IS NULL").message.contains("regexp_matches"));
}

#[test]
fn set_returning_functions_in_a_select_list_run_in_lockstep() {
    assert_eq!(
        sql("SELECT unnest(ARRAY[1, 2]), generate_series(1, 3)"),
        "SELECT pgw_srf.value, pgw_srf1.value FROM json_each(pg_series_json(0, max(coalesce(json_array_length(\
         pg_array_json(pg_array(1, 2))), 0), coalesce(json_array_length(pg_series_json(1, 3)), 0)) - 1)) AS \
         pgw_srf_row LEFT JOIN json_each(pg_array_json(pg_array(1, 2))) AS pgw_srf ON pgw_srf.key = \
         pgw_srf_row.value LEFT JOIN json_each(pg_series_json(1, 3)) AS pgw_srf1 ON pgw_srf1.key = pgw_srf_row.value"
    );
}

#[test]
fn schemas_are_name_prefixes() {
    assert_eq!(sql("SELECT s.t.a, s.t.* FROM s.t"), "SELECT \"s.t\".a, \"s.t\".* FROM \"s.t\"");
    let (statements, _) = one("CREATE TABLE s.t (id INT REFERENCES public.u (id), v INT REFERENCES s.w)");
    assert!(statements[0].0.starts_with("SELECT pgw_check(EXISTS (SELECT 1 FROM pgwire_schema WHERE name = 's')"));
    assert!(statements[1].0.contains("\"s.t\" (id INT REFERENCES u (id)"), "{statements:?}");
    assert!(statements[1].0.contains("v INT REFERENCES \"s.w\""), "{statements:?}");
    assert_eq!(sql("CREATE INDEX i ON s.t (a)"), "CREATE INDEX \"s.i\" ON \"s.t\"(a)");
    assert!(refused("DROP SCHEMA s CASCADE").message.contains("CASCADE"));
}

#[test]
fn comments_and_empty() {
    assert!(translate("-- nothing\n;", &Target::Sqlite).unwrap().is_empty());
    assert_eq!(sql("/* c */ SELECT 1 -- trailing\n;"), "SELECT 1");
}
