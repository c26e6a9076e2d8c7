//! sqlx (PostgreSQL driver, tokio runtime) with its defaults: queries go through its statement
//! cache (extended protocol, binary results), raw_sql through the simple protocol (text
//! results, decoded by the same types), typed binds, transactions. Prints each step's value or
//! error as one JSON line (tests/clients/harness.py).
use std::future::Future;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use sqlx::postgres::{PgConnectOptions, PgRow};
use sqlx::{AssertSqlSafe, Column, Connection, Executor, PgConnection, Row, SqlSafeStr, Statement, TypeInfo};
use uuid::Uuid;

type R = Result<Value, Box<dyn std::error::Error>>;

async fn step<F: Future<Output = R>>(out: &mut Map<String, Value>, name: &str, f: F) {
    let r = match f.await {
        Ok(v) => json!({"ok": true, "value": v}),
        Err(e) => {
            let state = e
                .downcast_ref::<sqlx::Error>()
                .and_then(|e| e.as_database_error())
                .and_then(|d| d.code())
                .map(|c| c.to_string());
            json!({"ok": false, "error": format!("{e:?}"), "sqlstate": state})
        }
    };
    out.insert(name.to_string(), r);
}

fn hex(b: &[u8]) -> String {
    format!("\\x{}", b.iter().map(|x| format!("{x:02x}")).collect::<String>())
}

/// The types table's row through sqlx's decoders, whichever format the server sent it in.
fn types_row(row: &PgRow) -> R {
    Ok(json!([
        row.try_get::<i32, _>(0)?,
        row.try_get::<bool, _>(1)?,
        row.try_get::<i16, _>(2)?,
        row.try_get::<i32, _>(3)?,
        row.try_get::<i64, _>(4)?,
        row.try_get::<f32, _>(5)?,
        row.try_get::<f64, _>(6)?,
        row.try_get::<Decimal, _>(7)?.to_string(),
        row.try_get::<String, _>(8)?,
        row.try_get::<String, _>(9)?,
        hex(&row.try_get::<Vec<u8>, _>(10)?),
        row.try_get::<NaiveDate, _>(11)?.to_string(),
        row.try_get::<NaiveTime, _>(12)?.to_string(),
        row.try_get::<NaiveDateTime, _>(13)?.to_string(),
        row.try_get::<DateTime<Utc>, _>(14)?.to_rfc3339(),
        row.try_get::<Uuid, _>(15)?.to_string(),
        row.try_get::<Value, _>(16)?,
    ]))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let (table, password) = (a[4].clone(), a.get(5).cloned().unwrap_or_default());
    let opts = PgConnectOptions::new()
        .host(&a[0])
        .port(a[1].parse().expect("port"))
        .username(&a[2])
        .password(&password)
        .database(&a[3]);
    let mut out = Map::new();
    let mut conn = match PgConnection::connect_with(&opts).await {
        Ok(conn) => conn,
        Err(e) => {
            out.insert("connect".into(), json!({"ok": false, "error": e.to_string()}));
            println!("{}", Value::Object(out));
            return;
        }
    };
    let c = &mut conn;
    let t = table.as_str();
    step(&mut out, "connect", async { Ok(json!(sqlx::query_scalar::<_, i32>("select 1").fetch_one(&mut *c).await?)) })
        .await;
    step(&mut out, "params", async {
        let r = sqlx::query("select $1::int + $2::int, $3 || 'x', $4::text is null")
            .bind(40i32)
            .bind(2i32)
            .bind("it's")
            .bind(None::<&str>)
            .fetch_one(&mut *c)
            .await?;
        Ok(json!([r.try_get::<i32, _>(0)?, r.try_get::<String, _>(1)?, r.try_get::<bool, _>(2)?]))
    })
    .await;
    step(&mut out, "types_insert", async {
        sqlx::raw_sql(AssertSqlSafe(format!(
            "create table {t} (id int4 primary key, b bool, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8, \
             n numeric(12,3), s text, v varchar(10), by bytea, d date, tm time, ts timestamp, tz timestamptz, \
             u uuid, j jsonb)"
        )))
        .execute(&mut *c)
        .await?;
        let d = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        let tm = NaiveTime::from_hms_milli_opt(13, 14, 15, 500).unwrap();
        let sql = format!(
            "insert into {t} values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
        );
        let n = sqlx::query(AssertSqlSafe(sql))
            .bind(1i32)
            .bind(true)
            .bind(i16::MIN)
            .bind(i32::MAX)
            .bind(i64::MIN)
            .bind(1.5f32)
            .bind(-2.25e-300f64)
            .bind("12345.678".parse::<Decimal>()?)
            .bind("héllo ☃ 'quoted'")
            .bind("varchar")
            .bind(vec![0u8, 255, 16, 39])
            .bind(d)
            .bind(tm)
            .bind(d.and_time(tm))
            .bind(d.and_time(tm).and_utc())
            .bind(Uuid::parse_str("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")?)
            .bind(json!({"a": [1, 2, null], "k": "v"}))
            .execute(&mut *c)
            .await?;
        Ok(json!(n.rows_affected()))
    })
    .await;
    step(&mut out, "types_binary", async {
        types_row(&sqlx::query(AssertSqlSafe(format!("select * from {t}"))).fetch_one(&mut *c).await?)
    })
    .await;
    step(&mut out, "types_text", async {
        types_row(&sqlx::raw_sql(AssertSqlSafe(format!("select * from {t}"))).fetch_one(&mut *c).await?)
    })
    .await;
    step(&mut out, "transaction_rollback", async {
        let mut tx = c.begin().await?;
        sqlx::query(AssertSqlSafe(format!("insert into {t} (id) values (2)"))).execute(&mut *tx).await?;
        tx.rollback().await?;
        let mut tx = c.begin().await?;
        sqlx::query(AssertSqlSafe(format!("insert into {t} (id) values (3)"))).execute(&mut *tx).await?;
        tx.commit().await?;
        let ids: Vec<i32> =
            sqlx::query_scalar(AssertSqlSafe(format!("select id from {t} order by id"))).fetch_all(&mut *c).await?;
        Ok(json!(ids))
    })
    .await;
    step(&mut out, "error", async {
        let e = sqlx::query(AssertSqlSafe(format!("select * from {t}_missing")))
            .fetch_all(&mut *c)
            .await
            .err()
            .ok_or("no error")?;
        let code = e.as_database_error().and_then(|d| d.code()).map(|s| s.to_string());
        let after: i32 = sqlx::query_scalar("select 2").fetch_one(&mut *c).await?;
        Ok(json!({"sqlstate": code, "after": after}))
    })
    .await;
    step(&mut out, "error_in_transaction", async {
        let mut tx = c.begin().await?;
        let first = sqlx::query("select 1/0").execute(&mut *tx).await.err().ok_or("no error")?;
        let second = sqlx::query("select 1").execute(&mut *tx).await.err().ok_or("no error")?;
        tx.rollback().await?;
        let code = |e: &sqlx::Error| e.as_database_error().and_then(|d| d.code()).map(|s| s.to_string());
        Ok(json!([code(&first), code(&second)]))
    })
    .await;
    step(&mut out, "prepared_reuse", async {
        let st = (&mut *c).prepare("select $1::int * 2 as v".into_sql_str()).await?;
        let params = match st.parameters() {
            Some(sqlx::Either::Left(types)) => types.iter().map(|p| p.name().to_string()).collect::<Vec<_>>(),
            _ => vec![],
        };
        let mut v = vec![json!(params)];
        for i in 0..6i32 {
            v.push(json!(st.query_scalar::<i32>().bind(i).fetch_one(&mut *c).await?));
        }
        Ok(json!(v))
    })
    .await;
    step(&mut out, "columns", async {
        let st =
            (&mut *c).prepare("select 1::int4 as a, 'x'::text as b, 1.5::numeric(5,2) as c".into_sql_str()).await?;
        Ok(json!(st.columns().iter().map(|col| json!([col.name(), col.type_info().name()])).collect::<Vec<_>>()))
    })
    .await;
    println!("{}", Value::Object(out));
}
