//! Translator timings: `cargo bench --bench translate` (std::time, no harness).
//!
//! Prints the cost of a cache hit and of translating a ~1 KB ORM-style query uncached,
//! for both targets. Targets from issue 5: < 5 µs per hit, < 200 µs per 1 KB translation.

use std::hint::black_box;
use std::time::{Duration, Instant};

use _core::translate::{translate, IrisOptions, Target, Translator};

/// A ~1 KB query shaped like ORM output: joins, casts, ILIKE, booleans, ORDER BY, LIMIT/OFFSET.
fn one_kb_query() -> String {
    let sql = "SELECT users.id AS users_id, users.name AS users_name, users.email AS users_email, \
        users.created_at AS users_created_at, addresses.id AS addresses_id, addresses.street AS addresses_street, \
        addresses.city AS addresses_city, addresses.zip AS addresses_zip, orders.id AS orders_id, \
        orders.total AS orders_total, orders.status AS orders_status \
        FROM public.users JOIN addresses ON addresses.user_id = users.id \
        LEFT OUTER JOIN orders ON orders.user_id = users.id AND orders.status <> 'Cancelled' \
        WHERE users.active AND users.name ILIKE $1::VARCHAR AND users.created_at >= $2::TIMESTAMP \
        AND orders.total BETWEEN $3::NUMERIC(10,2) AND $4::NUMERIC(10,2) AND addresses.city IN ($5, $6, $7, $8) \
        AND coalesce(users.deleted, false) IS FALSE AND extract(year FROM orders.created_at) = $9::INTEGER \
        AND lower(users.email) LIKE $10 AND users.country_code <> $13 AND users.id NOT IN (SELECT banned.user_id FROM banned WHERE banned.until > now()) \
        ORDER BY users.created_at DESC, users.id LIMIT $11::INTEGER OFFSET $12::INTEGER";
    assert!(sql.len() >= 1000, "query is {} bytes", sql.len());
    sql.to_string()
}

fn time<F: FnMut()>(iterations: u32, mut f: F) -> Duration {
    for _ in 0..iterations / 10 {
        f(); // warm up
    }
    let start = Instant::now();
    for _ in 0..iterations {
        f();
    }
    start.elapsed() / iterations
}

fn main() {
    let sql = one_kb_query();
    println!("query size: {} bytes", sql.len());
    for (label, target) in [
        ("iris 2025.1", Target::Iris(IrisOptions::default())),
        ("iris 2024.1", Target::Iris(IrisOptions::with_version((2024, 1)))),
        ("sqlite", Target::Sqlite),
    ] {
        let uncached = time(2_000, || {
            black_box(translate(black_box(&sql), &target).expect("translates"));
        });
        let translator = Translator::new(target, 1024);
        translator.translate(&sql).expect("translates");
        let hit = time(200_000, || {
            black_box(translator.translate(black_box(&sql)).expect("cached"));
        });
        println!(
            "{label:12} translate 1 KB: {:>8.1} µs (target < 200)   cache hit: {:>6.2} µs (target < 5)",
            uncached.as_secs_f64() * 1e6,
            hit.as_secs_f64() * 1e6
        );
    }
}
