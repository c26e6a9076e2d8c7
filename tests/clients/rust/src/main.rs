//! tokio-postgres with its defaults: every query a prepared statement with binary results,
//! simple_query for text, typed parameters, transactions, copy_in. Prints each step's value
//! or error as one JSON line (tests/clients/harness.py).
use std::future::Future;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use futures_util::SinkExt;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};
use uuid::Uuid;

type R = Result<Value, Box<dyn std::error::Error>>;

async fn step<F: Future<Output = R>>(out: &mut Map<String, Value>, name: &str, f: F) {
    let r = match f.await {
        Ok(v) => json!({"ok": true, "value": v}),
        Err(e) => {
            let state = e.downcast_ref::<tokio_postgres::Error>().and_then(|e| e.code()).map(|c| c.code().to_string());
            json!({"ok": false, "error": format!("{e:?}"), "sqlstate": state})
        }
    };
    out.insert(name.to_string(), r);
}

fn hex(b: &[u8]) -> String {
    format!("\\x{}", b.iter().map(|x| format!("{x:02x}")).collect::<String>())
}

async fn types_binary(c: &Client, table: &str) -> R {
    let row = c.query_one(&format!("select * from {table}"), &[]).await?;
    Ok(json!([
        row.try_get::<_, i32>(0)?,
        row.try_get::<_, bool>(1)?,
        row.try_get::<_, i16>(2)?,
        row.try_get::<_, i32>(3)?,
        row.try_get::<_, i64>(4)?,
        row.try_get::<_, f32>(5)?,
        row.try_get::<_, f64>(6)?,
        row.try_get::<_, Decimal>(7)?.to_string(),
        row.try_get::<_, String>(8)?,
        row.try_get::<_, String>(9)?,
        hex(&row.try_get::<_, Vec<u8>>(10)?),
        row.try_get::<_, NaiveDate>(11)?.to_string(),
        row.try_get::<_, NaiveTime>(12)?.to_string(),
        row.try_get::<_, NaiveDateTime>(13)?.to_string(),
        row.try_get::<_, DateTime<Utc>>(14)?.to_rfc3339(),
        row.try_get::<_, Uuid>(15)?.to_string(),
        row.try_get::<_, Value>(16)?,
    ]))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let table = a[4].clone();
    let mut conf: tokio_postgres::Config =
        format!("host={} port={} user={} dbname={} connect_timeout=10", a[0], a[1], a[2], a[3])
            .parse()
            .expect("config");
    conf.password(&a[5]);
    let mut out = Map::new();
    let client = match conf.connect(NoTls).await {
        Ok((client, connection)) => {
            tokio::spawn(connection);
            client
        }
        Err(e) => {
            out.insert("connect".into(), json!({"ok": false, "error": e.to_string()}));
            println!("{}", Value::Object(out));
            return;
        }
    };
    let c = &client;
    let t = table.as_str();
    step(&mut out, "connect", async { Ok(json!(c.query_one("select 1", &[]).await?.try_get::<_, i32>(0)?)) }).await;
    step(&mut out, "params", async {
        let r = c
            .query_one(
                "select $1::int + $2::int, $3 || 'x', $4::text is null",
                &[&40i32, &2i32, &"it's", &None::<&str>],
            )
            .await?;
        Ok(json!([r.try_get::<_, i32>(0)?, r.try_get::<_, String>(1)?, r.try_get::<_, bool>(2)?]))
    })
    .await;
    step(&mut out, "types_insert", async {
        c.batch_execute(&format!(
            "create table {t} (id int4 primary key, b bool, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8, \
             n numeric(12,3), s text, v varchar(10), by bytea, d date, tm time, ts timestamp, tz timestamptz, \
             u uuid, j jsonb)"
        ))
        .await?;
        let d = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        let tm = NaiveTime::from_hms_milli_opt(13, 14, 15, 500).unwrap();
        let n = c
            .execute(
                &format!("insert into {t} values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"),
                &[
                    &1i32,
                    &true,
                    &i16::MIN,
                    &i32::MAX,
                    &i64::MIN,
                    &1.5f32,
                    &-2.25e-300f64,
                    &"12345.678".parse::<Decimal>()?,
                    &"héllo ☃ 'quoted'",
                    &"varchar",
                    &vec![0u8, 255, 16, 39],
                    &d,
                    &tm,
                    &d.and_time(tm),
                    &d.and_time(tm).and_utc(),
                    &Uuid::parse_str("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")?,
                    &json!({"a": [1, 2, null], "k": "v"}),
                ],
            )
            .await?;
        Ok(json!(n))
    })
    .await;
    step(&mut out, "types_binary", types_binary(c, t)).await;
    step(&mut out, "types_text", async {
        let mut rows = vec![];
        for m in c.simple_query(&format!("select * from {t}")).await? {
            if let SimpleQueryMessage::Row(r) = m {
                rows.push((0..r.len()).map(|i| r.get(i).map(str::to_owned)).collect::<Vec<_>>());
            }
        }
        Ok(json!(rows))
    })
    .await;
    let mut client = client;
    step(&mut out, "transaction_rollback", async {
        let tx = client.transaction().await?;
        tx.execute(&format!("insert into {t} (id) values (2)"), &[]).await?;
        tx.rollback().await?;
        let tx = client.transaction().await?;
        tx.execute(&format!("insert into {t} (id) values (3)"), &[]).await?;
        tx.commit().await?;
        let ids = client
            .query(&format!("select id from {t} order by id"), &[])
            .await?
            .iter()
            .map(|r| r.try_get::<_, i32>(0))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(json!(ids))
    })
    .await;
    let c = &client;
    step(&mut out, "error", async {
        let e = c.query(&format!("select * from {t}_missing"), &[]).await.err().ok_or("no error")?;
        let after: i32 = c.query_one("select 2", &[]).await?.try_get(0)?;
        Ok(json!({"sqlstate": e.code().map(|s| s.code()), "after": after}))
    })
    .await;
    step(&mut out, "prepared_reuse", async {
        let st = c.prepare("select $1::int * 2 as v").await?;
        let mut v = vec![json!(st.params().iter().map(|p| p.oid()).collect::<Vec<_>>())];
        for i in 0..6i32 {
            v.push(json!(c.query_one(&st, &[&i]).await?.try_get::<_, i32>(0)?));
        }
        Ok(json!(v))
    })
    .await;
    step(&mut out, "columns", async {
        let st = c.prepare("select 1::int4 as a, 'x'::text as b, 1.5::numeric(5,2) as c").await?;
        Ok(json!(st.columns().iter().map(|col| json!([col.name(), col.type_().oid()])).collect::<Vec<_>>()))
    })
    .await;
    step(&mut out, "copy_in", async {
        c.batch_execute(&format!("create table {t}_copy (id int4, name text)")).await?;
        let sink = c.copy_in(&format!("copy {t}_copy from stdin")).await?;
        futures_util::pin_mut!(sink);
        sink.send(bytes::Bytes::from_static(b"1\tone\n2\ttwo\n")).await?;
        Ok(json!(sink.finish().await?))
    })
    .await;
    println!("{}", Value::Object(out));
}
