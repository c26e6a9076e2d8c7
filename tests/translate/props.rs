//! Property tests: translation never panics, and whatever it produces parses again.

use proptest::prelude::*;

use super::{reparse, target_from};
use _core::translate::{translate, Action};

/// SQL-ish fragments, so generated inputs often parse and reach the rewrite families.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("SELECT".to_string()),
        Just("*".into()),
        Just("FROM t".into()),
        Just("WHERE".into()),
        Just("a".into()),
        Just("b".into()),
        Just("=".into()),
        Just("$1".into()),
        Just("$2".into()),
        Just("'x'".into()),
        Just("1".into()),
        Just("true".into()),
        Just("AND".into()),
        Just("OR".into()),
        Just("NOT".into()),
        Just("LIMIT".into()),
        Just("OFFSET".into()),
        Just("ORDER BY".into()),
        Just("ILIKE".into()),
        Just("LIKE".into()),
        Just("::int".into()),
        Just("::text".into()),
        Just("now()".into()),
        Just("(".into()),
        Just(")".into()),
        Just(",".into()),
        Just("IS TRUE".into()),
        Just("<=>".into()),
        Just("<->".into()),
        Just("'[1,2]'".into()),
        Just("INSERT INTO t (a) VALUES".into()),
        Just("RETURNING a".into()),
        Just("ON CONFLICT (a) DO NOTHING".into()),
        Just("GROUP BY".into()),
        Just("CASE WHEN".into()),
        Just("THEN".into()),
        Just("ELSE".into()),
        Just("END".into()),
        Just("UNION".into()),
        Just("DESC".into()),
        Just("NULL".into()),
        Just("IS NULL".into()),
        Just("coalesce(".into()),
        Just("extract(year from".into()),
        Just("E'\\n'".into()),
        Just(";".into()),
        Just("/".into()),
        Just("1.50".into()),
        Just("-123456789012345678901.5".into()),
        Just("sum(".into()),
        Just("avg(".into()),
        Just("UPDATE t SET a =".into()),
        Just("%".into()),
        Just("::numeric(5,2)".into()),
        Just("CREATE TABLE t (a numeric(5,2), b".into()),
        Just("ALTER TABLE t ADD COLUMN c numeric(3)".into()),
        "[a-z_]{1,8}".prop_map(|s| s),
        "[0-9]{1,4}".prop_map(|s| s),
    ]
}

fn check(sql: &str) {
    for spec in ["sqlite", "iris 2024.1", "iris 2025.1", "iris 2025.1 noexact"] {
        if let Ok(ts) = translate(sql, &target_from(spec)) {
            for t in ts {
                if let Action::Execute { statements, .. } = t.action {
                    for s in statements {
                        // Every `?` maps to a client parameter below param_count.
                        assert!(s.params.iter().all(|p| *p < t.param_count), "{sql} -> {}", s.sql);
                        if let Err(e) = reparse(&s.sql) {
                            panic!("{spec}: output does not re-parse: {e}\n  input: {sql}\n  output: {}", s.sql);
                        }
                    }
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,200}") {
        for spec in ["sqlite", "iris 2024.1"] {
            let _ = translate(&s, &target_from(spec));
        }
    }

    #[test]
    fn sql_like_input_never_panics_and_output_reparses(parts in proptest::collection::vec(fragment(), 1..24)) {
        check(&parts.join(" "));
    }

    #[test]
    fn select_shapes_reparse(
        cols in proptest::collection::vec("[a-c]", 1..4),
        cond in prop_oneof![Just("a = $1"), Just("b ILIKE $2"), Just("flag"), Just("NOT flag AND a > 1"), Just("a IS TRUE"), Just("name = 'Bob'")],
        limit in proptest::option::of(0u32..100),
        offset in proptest::option::of(0u32..100),
        desc in any::<bool>(),
    ) {
        let mut sql = format!("SELECT {} FROM t WHERE {cond} ORDER BY a{}", cols.join(", "), if desc { " DESC" } else { "" });
        if let Some(l) = limit { sql.push_str(&format!(" LIMIT {l}")); }
        if let Some(o) = offset { sql.push_str(&format!(" OFFSET {o}")); }
        check(&sql);
    }
}
