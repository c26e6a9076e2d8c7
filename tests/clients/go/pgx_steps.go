// pgx v4 (Debian's golang-github-jackc-pgx-v4-dev, GOPATH mode, no module proxy) with its
// defaults: extended protocol with its statement cache, binary results, text results on
// request, the simple protocol, Prepare, transactions, CopyFrom. Prints each step's value
// or error as one JSON line (tests/clients/harness.py).
package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgconn"
	"github.com/jackc/pgtype"
	"github.com/jackc/pgx/v4"
)

var results = map[string]interface{}{}

func step(name string, fn func() (interface{}, error)) {
	v, err := fn()
	if err != nil {
		r := map[string]interface{}{"ok": false, "error": err.Error()}
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			r["sqlstate"] = pgErr.Code
		}
		results[name] = r
		return
	}
	results[name] = map[string]interface{}{"ok": true, "value": v}
}

// plain turns a decoded value into JSON: bytea as hex text, times as RFC 3339 in UTC,
// pgtype values (numeric, time, uuid) as their PostgreSQL text.
func plain(ci *pgtype.ConnInfo, v interface{}) interface{} {
	switch x := v.(type) {
	case []byte:
		return "\\x" + hex.EncodeToString(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case [16]uint8:
		u := pgtype.UUID{Bytes: x, Status: pgtype.Present}
		b, _ := u.EncodeText(ci, nil)
		return string(b)
	case pgtype.TextEncoder:
		b, err := x.EncodeText(ci, nil)
		if err != nil {
			return err.Error()
		}
		return string(b)
	}
	return v
}

func collect(conn *pgx.Conn, rows pgx.Rows) (interface{}, error) {
	defer rows.Close()
	out := [][]interface{}{}
	ci := conn.ConnInfo()
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, err
		}
		row := make([]interface{}, len(vals))
		for i, v := range vals {
			row[i] = plain(ci, v)
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

func main() {
	a := os.Args[1:]
	ctx := context.Background()
	table := a[4]
	dsn := fmt.Sprintf("host=%s port=%s user=%s dbname=%s connect_timeout=10", a[0], a[1], a[2], a[3])
	var conn *pgx.Conn
	query := func(sql string, args ...interface{}) (interface{}, error) {
		rows, err := conn.Query(ctx, sql, args...)
		if err != nil {
			return nil, err
		}
		return collect(conn, rows)
	}
	step("connect", func() (interface{}, error) {
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			return nil, err
		}
		cfg.Password = a[5]
		if conn, err = pgx.ConnectConfig(ctx, cfg); err != nil {
			return nil, err
		}
		return query("select 1")
	})
	if conn == nil {
		fmt.Println(mustJSON(results))
		return
	}
	step("params", func() (interface{}, error) {
		return query("select $1::int + $2::int, $3 || 'x', $4::text is null", 40, 2, "it's", nil)
	})
	step("types_insert", func() (interface{}, error) {
		if _, err := conn.Exec(ctx, "create table "+table+" (id int4 primary key, b bool, i2 int2, i4 int4, "+
			"i8 int8, f4 float4, f8 float8, n numeric(12,3), s text, v varchar(10), by bytea, d date, "+
			"tm time, ts timestamp, tz timestamptz, u uuid, j jsonb)"); err != nil {
			return nil, err
		}
		tag, err := conn.Exec(ctx, "insert into "+table+" values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "+
			"$11, $12, $13, $14, $15, $16, $17)",
			1, true, int16(-32768), int32(2147483647), int64(-9223372036854775808), float32(1.5), -2.25e-300,
			"12345.678", "héllo ☃ 'quoted'", "varchar", []byte{0, 255, 16, 39},
			time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), "13:14:15.5",
			time.Date(2024, 2, 29, 13, 14, 15, 500000000, time.UTC),
			time.Date(2024, 2, 29, 13, 14, 15, 500000000, time.UTC),
			"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", map[string]interface{}{"a": []interface{}{1, 2, nil}, "k": "v"})
		return tag.String(), err
	})
	step("types_binary", func() (interface{}, error) { return query("select * from " + table) })
	step("types_text", func() (interface{}, error) {
		return query("select * from "+table, pgx.QueryResultFormats{pgx.TextFormatCode})
	})
	step("simple_protocol", func() (interface{}, error) {
		return query("select * from "+table+" where id = $1", pgx.QuerySimpleProtocol(true), 1)
	})
	step("transaction_rollback", func() (interface{}, error) {
		tx, err := conn.Begin(ctx)
		if err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, "insert into "+table+" (id) values (2)"); err != nil {
			return nil, err
		}
		if err := tx.Rollback(ctx); err != nil {
			return nil, err
		}
		if tx, err = conn.Begin(ctx); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, "insert into "+table+" (id) values (3)"); err != nil {
			return nil, err
		}
		if err := tx.Commit(ctx); err != nil {
			return nil, err
		}
		return query("select id from " + table + " order by id")
	})
	step("error", func() (interface{}, error) {
		_, err := conn.Exec(ctx, "select * from "+table+"_missing")
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) {
			return nil, fmt.Errorf("expected a PgError, got %v", err)
		}
		after, err := query("select 2")
		return map[string]interface{}{"sqlstate": pgErr.Code, "after": after}, err
	})
	step("prepared_reuse", func() (interface{}, error) {
		sd, err := conn.Prepare(ctx, "double_it", "select $1::int * 2")
		if err != nil {
			return nil, err
		}
		out := []interface{}{sd.ParamOIDs}
		for i := 0; i < 6; i++ {
			var v int32
			if err := conn.QueryRow(ctx, "double_it", i).Scan(&v); err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	})
	step("field_descriptions", func() (interface{}, error) {
		rows, err := conn.Query(ctx, "select 1::int4 as a, 'x'::text as b, 1.5::numeric(5,2) as c")
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		out := [][]interface{}{}
		for _, f := range rows.FieldDescriptions() {
			out = append(out, []interface{}{string(f.Name), f.DataTypeOID})
		}
		return out, nil
	})
	step("copy_from", func() (interface{}, error) {
		if _, err := conn.Exec(ctx, "create table "+table+"_copy (id int4, name text)"); err != nil {
			return nil, err
		}
		return conn.CopyFrom(ctx, pgx.Identifier{table + "_copy"}, []string{"id", "name"},
			pgx.CopyFromRows([][]interface{}{{int32(1), "one"}, {int32(2), "two"}}))
	})
	conn.Close(ctx)
	fmt.Println(mustJSON(results))
}

func mustJSON(v interface{}) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf(`{"_fatal": %q}`, err.Error())
	}
	return string(b)
}
