//! Print translations: `cargo run --example translate -- [--target sqlite|iris] [--iris-version V] SQL...`
use _core::translate::{translate, Action, IrisOptions, Target};

fn main() {
    let mut target = Target::Sqlite;
    let mut version = (2025, 1);
    let mut args = std::env::args().skip(1).peekable();
    let mut sqls = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--target" => {
                target = match args.next().as_deref() {
                    Some("iris") => Target::Iris(IrisOptions::with_version(version)),
                    _ => Target::Sqlite,
                }
            }
            "--iris-version" => {
                version = IrisOptions::parse_version(&args.next().unwrap_or_default()).unwrap_or((2025, 1));
                if let Target::Iris(o) = &mut target {
                    o.version = version;
                }
            }
            _ => sqls.push(a),
        }
    }
    for sql in sqls {
        match translate(&sql, &target) {
            Ok(ts) => {
                for t in ts {
                    match &t.action {
                        Action::Execute { statements, returns_rows, rowcount } => {
                            for s in statements {
                                println!("{}\t{:?}", s.sql, s.params);
                            }
                            println!(
                                "  -- tag={:?} rows={returns_rows} count={rowcount:?} params={}",
                                t.tag, t.param_count
                            );
                        }
                        other => println!("{other:?}  -- tag={:?}", t.tag),
                    }
                }
            }
            Err(e) => println!("ERROR {} {} (hint: {})", e.code, e.message, e.hint.unwrap_or_default()),
        }
    }
}
