//! Database-qualified names: `"db"."schema"."table"`, and `"db"."schema"` in CREATE / DROP
//! SCHEMA, as dbt writes every relation. The gateway serves one database, the one the
//! session names, so the qualifier is dropped before either target sees the name (neither
//! SQLite nor IRIS has a catalog level above the schema).

use std::ops::ControlFlow;

use sqlparser::ast::{ObjectName, ObjectType, SchemaName, Statement, VisitMut, VisitorMut};

pub fn strip(stmt: &mut Statement) {
    struct V;
    impl VisitorMut for V {
        type Break = ();
        fn pre_visit_relation(&mut self, name: &mut ObjectName) -> ControlFlow<()> {
            if name.0.len() == 3 {
                name.0.remove(0);
            }
            ControlFlow::Continue(())
        }
    }
    let _ = stmt.visit(&mut V);
    // DROP's names are not visited as relations (dbt: `drop view if exists "d"."s"."v" cascade`).
    if let Statement::Drop { object_type: ObjectType::Table | ObjectType::View | ObjectType::Index, names, .. } = stmt {
        for n in names.iter_mut().filter(|n| n.0.len() == 3) {
            n.0.remove(0);
        }
    }
    let schemas: Vec<&mut ObjectName> = match stmt {
        Statement::CreateSchema {
            schema_name: SchemaName::Simple(n) | SchemaName::NamedAuthorization(n, _), ..
        } => {
            vec![n]
        }
        Statement::Drop { object_type: ObjectType::Schema, names, .. } => names.iter_mut().collect(),
        _ => vec![],
    };
    for n in schemas {
        if n.0.len() == 2 {
            n.0.remove(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::parser::Parser;

    fn stripped(sql: &str) -> String {
        let mut stmt = Parser::parse_sql(&PostgreSqlDialect {}, sql).unwrap().remove(0);
        super::strip(&mut stmt);
        stmt.to_string()
    }

    #[test]
    fn database_qualifiers_are_dropped() {
        assert_eq!(
            stripped(r#"insert into "d"."s"."books" (id) select id from "d"."s"."raw""#),
            r#"INSERT INTO "s"."books" (id) SELECT id FROM "s"."raw""#
        );
        assert_eq!(stripped(r#"create schema if not exists "d"."s""#), r#"CREATE SCHEMA IF NOT EXISTS "s""#);
        assert_eq!(stripped(r#"drop schema if exists "d"."s" cascade"#), r#"DROP SCHEMA IF EXISTS "s" CASCADE"#);
        assert_eq!(
            stripped(r#"alter table "d"."s"."t" rename to "t__dbt_backup""#),
            r#"ALTER TABLE "s"."t" RENAME TO "t__dbt_backup""#
        );
        assert_eq!(stripped("select s.t.c from s.t"), "SELECT s.t.c FROM s.t");
        assert_eq!(
            stripped(r#"drop view if exists "d"."s"."v__dbt_backup" cascade"#),
            r#"DROP VIEW IF EXISTS "s"."v__dbt_backup" CASCADE"#
        );
    }
}
