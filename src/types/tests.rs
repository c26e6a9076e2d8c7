//! Codec tests through the public entry points: byte literals are PostgreSQL 15's
//! own `*_send` output (SELECT date_send('2024-01-02'), ...), text literals its
//! `*_out` output with DateStyle ISO, IntervalStyle postgres, TimeZone UTC.

use bytes::BytesMut;
use proptest::prelude::*;

use super::*;

fn ctx() -> TypeCtx {
    TypeCtx::default()
}

fn enc(v: &Value<'_>, ty: &PgType, f: Format) -> Vec<u8> {
    let mut b = BytesMut::new();
    encode(v, ty, f, &ctx(), &mut b).unwrap_or_else(|e| panic!("{:?} as {}: {e}", v, ty.name));
    b.to_vec()
}

fn text(v: &Value<'_>, ty: &PgType) -> String {
    String::from_utf8(enc(v, ty, Format::Text)).unwrap()
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn dec(raw: &[u8], ty: &PgType, f: Format) -> PgResult<Param> {
    decode_param(Some(raw), ty.oid, f, &ctx())
}

/// value -> text and binary (checked against PostgreSQL) -> decoded back from both forms.
fn check(ty: &PgType, value: Value<'_>, want_text: &str, want_bin: &str) {
    assert_eq!(text(&value, ty), want_text, "text of {value:?} as {}", ty.name);
    assert_eq!(enc(&value, ty, Format::Binary), hex(want_bin), "binary of {value:?} as {}", ty.name);
    let from_text = dec(want_text.as_bytes(), ty, Format::Text).unwrap();
    let from_bin = dec(&hex(want_bin), ty, Format::Binary).unwrap();
    assert_eq!(from_text, from_bin, "{} text and binary decode alike", ty.name);
    assert_eq!(text(&from_bin.as_value(), ty), want_text, "{} re-encodes", ty.name);
}

#[test]
fn scalars_against_postgres_bytes() {
    check(&BOOL, Value::Bool(true), "t", "01");
    check(&INT2, Value::Int(-2), "-2", "fffe");
    check(&INT4, Value::Int(7), "7", "00000007");
    check(&INT8, Value::Int(-1), "-1", "ffffffffffffffff");
    check(&OID, Value::Int(4_294_967_295), "4294967295", "ffffffff");
    check(&FLOAT4, Value::Float(1.5), "1.5", "3fc00000");
    check(&FLOAT8, Value::Float(-0.1), "-0.1", "bfb999999999999a");
    check(&NUMERIC, Value::Decimal("-12345.678"), "-12345.678", "0003000140000003000109291a7c");
    check(&TEXT, Value::Text("héllo"), "héllo", "68c3a96c6c6f");
    check(&VARCHAR, Value::Text(""), "", "");
    check(&BYTEA, Value::Bytes(&[0, 0xff, 0x80]), "\\x00ff80", "00ff80");
    check(&DATE, Value::Date(8767), "2024-01-02", "0000223f");
    check(&DATE, Value::Date(i32::MIN), "-infinity", "80000000");
    check(&TIME, Value::Time(3_723_500_000), "01:02:03.5", "00000000ddf019e0");
    check(
        &TIMETZ,
        Value::TimeTz { micros: 3_723_000_000, offset: 19800 },
        "01:02:03+05:30",
        "00000000dde878c0ffffb2a8",
    );
    check(&TIMESTAMP, Value::Timestamp(0x0002_b0ec_8517_d580), "2024-01-02 03:04:05.123456", "0002b0ec8517d580");
    check(&TIMESTAMP, Value::Timestamp(i64::MAX), "infinity", "7fffffffffffffff");
    check(&TIMESTAMPTZ, Value::TimestampTz(0x0002_b0ea_d7f0_8d80), "2024-01-02 01:04:05.123456+00", "0002b0ead7f08d80");
    check(
        &INTERVAL,
        Value::Interval(Interval { months: 14, days: 3, micros: 14_706_789_000 }),
        "1 year 2 mons 3 days 04:05:06.789",
        "000000036c97ca88000000030000000e",
    );
    let u = uuid::parse("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11").unwrap();
    check(&UUID, Value::Uuid(u), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc999c0b4ef8bb6d6bb9bd380a11");
    check(&JSON, Value::Json("{\"a\":1}"), "{\"a\":1}", "7b2261223a317d");
    check(&JSONB, Value::Json("{\"a\":1}"), "{\"a\": 1}", "017b2261223a20317d");
    check(vector(), Value::Vector(vec![1.0, 2.0]), "[1,2]", "000200003f80000040000000");
}

#[test]
fn arrays_against_postgres_bytes() {
    let items = vec![Value::Text("a"), Value::Null, Value::Text("b c")];
    check(
        &TEXT_ARRAY,
        Value::Array(items),
        "{a,NULL,\"b c\"}",
        "00000001000000010000001900000003000000010000000161ffffffff00000003622063",
    );
    check(
        &NUMERIC_ARRAY,
        Value::Array(vec![Value::Decimal("1.5"), Value::Null]),
        "{1.5,NULL}",
        "0000000100000001000006a400000002000000010000000c000200000000000100011388ffffffff",
    );
    check(
        &DATE_ARRAY,
        Value::Array(vec![Value::Date(8767)]),
        "{2024-01-02}",
        "00000001000000000000043a0000000100000001000000040000223f",
    );
    check(&INT4_ARRAY, Value::Array(vec![]), "{}", "000000000000000000000017");
    check(
        &BYTEA_ARRAY,
        Value::Array(vec![Value::Bytes(&[1])]),
        "{\"\\\\x01\"}",
        "00000001000000000000001100000001000000010000000101",
    );
}

#[test]
fn coercions_from_dynamic_backends() {
    // sqlite hands back whatever it stored; the column type decides the wire form.
    assert_eq!(text(&Value::Int(5), &NUMERIC), "5");
    assert_eq!(text(&Value::Float(0.1), &NUMERIC), "0.1");
    assert_eq!(text(&Value::Text("42"), &INT4), "42");
    assert_eq!(text(&Value::Float(2.5), &INT4), "2");
    assert_eq!(text(&Value::Int(1), &BOOL), "t");
    assert_eq!(text(&Value::Text("yes"), &BOOL), "t");
    assert_eq!(text(&Value::Int(3), &FLOAT8), "3");
    assert_eq!(text(&Value::Bool(true), &TEXT), "true");
    assert_eq!(text(&Value::Float(1e20), &TEXT), "1e+20");
    assert_eq!(text(&Value::Text("2024-01-02 03:04:05"), &TIMESTAMP), "2024-01-02 03:04:05");
    assert_eq!(text(&Value::Text("2024-01-02T03:04:05+02:00"), &TIMESTAMPTZ), "2024-01-02 01:04:05+00");
    assert_eq!(text(&Value::Text("2024-01-02"), &DATE), "2024-01-02");
    assert_eq!(text(&Value::Timestamp(0), &DATE), "2000-01-01");
    assert_eq!(text(&Value::Text("{1,2,NULL}"), &INT4_ARRAY), "{1,2,NULL}");
    assert_eq!(enc(&Value::Text("{1,2}"), &INT8_ARRAY, Format::Binary)[12..16], [0, 0, 0, 2]);
    assert_eq!(text(&Value::Text("1,2,3"), vector()), "[1,2,3]");
    assert_eq!(text(&Value::Text("{\"b\":1,\"a\":[]}"), &JSONB), "{\"a\": [], \"b\": 1}");
    assert_eq!(text(&Value::Int(7), &JSON), "7");
    assert_eq!(text(&Value::Bytes(&[0x41]), &TEXT), "A");
    assert_eq!(text(&Value::Text("A"), &BYTEA), "\\x41");
    assert_eq!(text(&Value::Text("\\x0102"), &BYTEA), "\\x0102");
    assert_eq!(text(&Value::Text("a\\9"), &BYTEA), "\\x615c39");
    let mut b = BytesMut::new();
    let err =
        |v: Value<'_>, ty: &PgType| encode(&v, ty, Format::Binary, &ctx(), &mut BytesMut::new()).unwrap_err().code;
    assert_eq!(err(Value::Text("abc"), &INT4), "22P02");
    assert_eq!(err(Value::Int(70000), &INT2), "22003");
    assert_eq!(err(Value::Float(1e300), &FLOAT4), "22003");
    assert_eq!(err(Value::Text("2024-13-01"), &DATE), "22008");
    assert_eq!(err(Value::Text("nope"), &TIMESTAMP), "22007");
    assert_eq!(err(Value::Date(1), &INT4), "42804");
    assert_eq!(err(Value::Bytes(&[0xff]), &TEXT), "22021");
    assert_eq!(err(Value::Text("{\"a\":"), &JSONB), "22P02");
    assert!(encode(&Value::Null, &INT4, Format::Text, &ctx(), &mut b).is_err());
}

#[test]
fn session_time_zone() {
    let paris = TypeCtx { time_zone: TimeZone::parse("Europe/Paris").unwrap(), ..TypeCtx::default() };
    let v = Value::TimestampTz(0x0002_b0ea_d7f0_8d80);
    let mut b = BytesMut::new();
    encode(&v, &TIMESTAMPTZ, Format::Text, &paris, &mut b).unwrap();
    assert_eq!(&b[..], b"2024-01-02 02:04:05.123456+01");
    // Binary is the instant, whatever the zone.
    let mut b2 = BytesMut::new();
    encode(&v, &TIMESTAMPTZ, Format::Binary, &paris, &mut b2).unwrap();
    assert_eq!(b2.to_vec(), hex("0002b0ead7f08d80"));
    // Zone-less input is read in the session zone.
    let p = decode_param(Some(b"2024-07-01 12:00:00"), TIMESTAMPTZ.oid, Format::Text, &paris).unwrap();
    let mut b3 = BytesMut::new();
    encode(&p.as_value(), &TIMESTAMPTZ, Format::Text, &ctx(), &mut b3).unwrap();
    assert_eq!(&b3[..], b"2024-07-01 10:00:00+00");
    let fixed = TypeCtx { time_zone: TimeZone::fixed_east(5 * 3600 + 1800).unwrap(), ..TypeCtx::default() };
    let mut b4 = BytesMut::new();
    encode(&v, &TIMESTAMPTZ, Format::Text, &fixed, &mut b4).unwrap();
    assert_eq!(&b4[..], b"2024-01-02 06:34:05.123456+05:30");
}

#[test]
fn parameter_errors_never_panic() {
    let e = |raw: &[u8], ty: &PgType, f: Format| dec(raw, ty, f).unwrap_err().code;
    assert_eq!(e(b"12x", &INT4, Format::Text), "22P02");
    assert_eq!(e(b"99999", &INT2, Format::Text), "22003");
    assert_eq!(e(b"maybe", &BOOL, Format::Text), "22P02");
    assert_eq!(e(b"2024-02-30", &DATE, Format::Text), "22008");
    assert_eq!(e(b"soon", &TIMESTAMPTZ, Format::Text), "22007");
    assert_eq!(e(b"1e131072", &NUMERIC, Format::Text), "22003");
    assert_eq!(e(b"1.2.3", &NUMERIC, Format::Text), "22P02");
    assert_eq!(e(b"\\xabc", &BYTEA, Format::Text), "22P02");
    assert_eq!(e(b"zz", &UUID, Format::Text), "22P02");
    assert_eq!(e(b"{1,x}", &INT4_ARRAY, Format::Text), "22P02");
    assert_eq!(e(&[0, 0, 0], &INT4, Format::Binary), "22P03");
    assert_eq!(e(&[2, b'{', b'}'], &JSONB, Format::Binary), "22P03");
    assert_eq!(e(&hex("7ffffffffffffffe"), &TIMESTAMP, Format::Binary), "22008");
    assert_eq!(e(&hex("7ffffffe"), &DATE, Format::Binary), "22008");
    assert_eq!(
        e(&hex("0000000100000000000000170000000100000001000000040000000700"), &INT4_ARRAY, Format::Binary),
        "22P03"
    );
    assert_eq!(e(b"a\0b", &TEXT, Format::Text), "22021");
    assert_eq!(e(&[0xc3, 0x28], &TEXT, Format::Binary), "22021");
    assert_eq!(decode_param(None, INT4.oid, Format::Binary, &ctx()).unwrap(), Param::Null);
    assert_eq!(decode_param(Some(b"x"), 0, Format::Text, &ctx()).unwrap(), Param::Text("x".into()));
    assert_eq!(dec(b"pg_class", &REGCLASS, Format::Text).unwrap(), Param::Text("pg_class".into()));
    assert_eq!(dec(b"1259", &REGCLASS, Format::Text).unwrap(), Param::Int(1259));
    assert_eq!(dec(b"\\x00ff", &BYTEA, Format::Text).unwrap(), Param::Bytes(vec![0, 0xff]));
    assert_eq!(dec(b"1.5e3", &NUMERIC, Format::Text).unwrap(), Param::Decimal("1500".into()));
    assert_eq!(
        dec(b"{1,NULL,3}", &INT8_ARRAY, Format::Text).unwrap(),
        Param::Array(vec![Param::Int(1), Param::Null, Param::Int(3)])
    );
}

fn arb_value(kind: u8) -> BoxedStrategy<(Value<'static>, &'static PgType)> {
    match kind {
        0 => any::<bool>().prop_map(|b| (Value::Bool(b), &BOOL)).boxed(),
        1 => any::<i16>().prop_map(|i| (Value::Int(i as i64), &INT2)).boxed(),
        2 => any::<i32>().prop_map(|i| (Value::Int(i as i64), &INT4)).boxed(),
        3 => any::<i64>().prop_map(|i| (Value::Int(i), &INT8)).boxed(),
        4 => any::<f64>().prop_filter("NaN differs", |f| !f.is_nan()).prop_map(|f| (Value::Float(f), &FLOAT8)).boxed(),
        5 => (datetime::MIN_TIMESTAMP..datetime::END_TIMESTAMP).prop_map(|t| (Value::Timestamp(t), &TIMESTAMP)).boxed(),
        6 => (datetime::MIN_TIMESTAMP..datetime::END_TIMESTAMP)
            .prop_map(|t| (Value::TimestampTz(t), &TIMESTAMPTZ))
            .boxed(),
        7 => (-2_451_545i32..2_000_000_000).prop_map(|d| (Value::Date(d), &DATE)).boxed(),
        8 => (0..=datetime::USECS_PER_DAY).prop_map(|t| (Value::Time(t), &TIME)).boxed(),
        9 => ((0..datetime::USECS_PER_DAY), (-tz::MAX_OFFSET..=tz::MAX_OFFSET))
            .prop_map(|(t, o)| (Value::TimeTz { micros: t, offset: o }, &TIMETZ))
            .boxed(),
        10 => (any::<i32>(), any::<i32>(), -(1i64 << 50)..(1i64 << 50))
            .prop_map(|(m, d, us)| (Value::Interval(Interval { months: m, days: d, micros: us }), &INTERVAL))
            .boxed(),
        11 => any::<[u8; 16]>().prop_map(|u| (Value::Uuid(u), &UUID)).boxed(),
        _ => proptest::collection::vec(-1e30f32..1e30, 1..20).prop_map(|v| (Value::Vector(v), vector())).boxed(),
    }
}

proptest! {
    /// native -> text -> param and native -> binary -> param give the same param,
    /// and that param encodes to the same text again.
    #[test]
    fn text_binary_native_agree((value, ty) in (0u8..13).prop_flat_map(arb_value)) {
        let t = enc(&value, ty, Format::Text);
        let b = enc(&value, ty, Format::Binary);
        let from_t = dec(&t, ty, Format::Text).unwrap();
        let from_b = dec(&b, ty, Format::Binary).unwrap();
        prop_assert_eq!(&from_t, &from_b);
        prop_assert_eq!(enc(&from_b.as_value(), ty, Format::Text), t);
        prop_assert_eq!(enc(&from_t.as_value(), ty, Format::Binary), b);
    }

    #[test]
    fn text_arrays_round_trip(items in proptest::collection::vec(proptest::option::of(".{0,8}"), 0..8)) {
        let items: Vec<Option<String>> = items.into_iter().map(|o| o.map(|s| s.replace('\0', ""))).collect();
        let value = Value::Array(items.iter().map(|o| o.as_deref().map_or(Value::Null, Value::Text)).collect());
        let t = enc(&value, &TEXT_ARRAY, Format::Text);
        let b = enc(&value, &TEXT_ARRAY, Format::Binary);
        let want = Param::Array(items.iter().map(|o| o.clone().map_or(Param::Null, Param::Text)).collect());
        prop_assert_eq!(dec(&t, &TEXT_ARRAY, Format::Text).unwrap(), want.clone());
        prop_assert_eq!(dec(&b, &TEXT_ARRAY, Format::Binary).unwrap(), want);
    }
}

#[test]
fn typmods_follow_postgres() {
    // SELECT atttypmod FROM pg_attribute for columns of these types (PostgreSQL 15).
    assert_eq!(typmod_of("varchar(20)", by_name("varchar(20)").unwrap()), 24);
    assert_eq!(typmod_of("CHAR(5)", by_name("CHAR(5)").unwrap()), 9);
    assert_eq!(typmod_of("numeric(10,2)", &NUMERIC), 655366);
    assert_eq!(typmod_of("numeric(10)", &NUMERIC), 655364);
    assert_eq!(typmod_of("numeric", &NUMERIC), -1);
    assert_eq!(typmod_of("timestamp(3)", &TIMESTAMP), 3);
    assert_eq!(typmod_of("timestamp", &TIMESTAMP), -1);
    assert_eq!(typmod_of("time(0)", by_name("time(0)").unwrap()), 0);
    assert_eq!(typmod_of("timestamptz(9)", by_name("timestamptz(9)").unwrap()), 6);
    // PostgreSQL 15's scales outside 0..p: SELECT atttypmod of numeric(2,-3), numeric(3,5).
    assert_eq!(typmod_of("numeric(2,-3)", &NUMERIC), 133121);
    assert_eq!(typmod_of("numeric(3,5)", &NUMERIC), 196617);
    assert_eq!(numeric_typmod(133121), Some((2, -3)));
    assert_eq!(numeric_typmod(typmod_of("numeric(1,1000)", &NUMERIC)), Some((1, 1000)));
    assert_eq!(numeric_typmod(typmod_of("numeric(1,-1000)", &NUMERIC)), Some((1, -1000)));
}

#[test]
fn typmod_rounds_times_and_timestamps() {
    let text = |v: &Value<'_>, ty: &PgType, typmod: i32| {
        let mut b = BytesMut::new();
        encode_typmod(v, ty, typmod, Format::Text, &ctx(), &mut b).unwrap();
        String::from_utf8(b.to_vec()).unwrap()
    };
    // SELECT '12:34:56.789'::time(2), '23:59:59.7'::time(0), .. on PostgreSQL 15.
    assert_eq!(text(&Value::Text("12:34:56.789"), &TIME, 2), "12:34:56.79");
    assert_eq!(text(&Value::Text("23:59:59.7"), &TIME, 0), "24:00:00");
    assert_eq!(text(&Value::Text("12:34:56.789"), &TIME, 6), "12:34:56.789");
    assert_eq!(text(&Value::Text("2000-01-01 23:59:59.5"), &TIMESTAMP, 0), "2000-01-02 00:00:00");
    // Half away from zero of the microseconds since 2000-01-01: before it, half goes back.
    assert_eq!(text(&Value::Text("1999-12-31 23:59:59.45"), &TIMESTAMP, 1), "1999-12-31 23:59:59.4");
    assert_eq!(text(&Value::Text("infinity"), &TIMESTAMP, 0), "infinity");
    let mut b = BytesMut::new();
    encode_typmod(&Value::Text("00:00:01.25"), &TIME, 1, Format::Binary, &ctx(), &mut b).unwrap();
    assert_eq!(b.to_vec(), 1_300_000_i64.to_be_bytes());
}

#[test]
fn typmod_pads_char_and_scales_numeric() {
    let with = |v: &Value<'_>, ty: &PgType, typmod: i32, f: Format| {
        let mut b = BytesMut::new();
        encode_typmod(v, ty, typmod, f, &ctx(), &mut b).unwrap();
        b.to_vec()
    };
    assert_eq!(with(&Value::Text("ab"), &BPCHAR, 9, Format::Text), b"ab   ");
    assert_eq!(with(&Value::Text("é"), &BPCHAR, 7, Format::Binary), "é  ".as_bytes());
    assert_eq!(with(&Value::Text("abcdef"), &BPCHAR, 9, Format::Text), b"abcdef");
    assert_eq!(with(&Value::Text("1.5"), &NUMERIC, 655366, Format::Text), b"1.50");
    assert_eq!(with(&Value::Float(2.345), &NUMERIC, 655366, Format::Text), b"2.35");
    assert_eq!(
        with(&Value::Text("1.5"), &NUMERIC, 655366, Format::Binary),
        enc(&Value::Text("1.50"), &NUMERIC, Format::Binary)
    );
}
