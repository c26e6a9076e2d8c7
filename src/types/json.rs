//! json and jsonb text: validation (json keeps the input verbatim, as PostgreSQL
//! does) and jsonb's normalized output (keys sorted by length then bytes, last
//! duplicate wins, `", "` and `": "` separators, numbers in numeric form).

use super::numeric::Numeric;
use crate::error::{sqlstate, PgError, PgResult};

/// Nesting limit: keeps recursion well inside a 2 MiB thread stack, even in debug builds.
const MAX_DEPTH: usize = 256;

enum J {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

fn invalid(detail: &str) -> PgError {
    PgError::new(sqlstate::INVALID_TEXT_REPRESENTATION, "invalid input syntax for type json")
        .with_detail(detail.to_string())
}

/// json_in: check the syntax, keep the text.
pub fn validate(s: &str) -> PgResult<()> {
    parse(s, false).map(|_| ())
}

/// jsonb_in followed by jsonb_out.
pub fn normalize_jsonb(s: &str) -> PgResult<String> {
    let j = parse(s, true)?;
    let mut out = String::with_capacity(s.len());
    write(&j, &mut out);
    Ok(out)
}

fn parse(s: &str, jsonb: bool) -> PgResult<J> {
    let mut p = Parser { b: s.as_bytes(), i: 0, jsonb };
    let v = p.value(0)?;
    p.ws();
    if p.i != p.b.len() {
        return Err(invalid("Expected end of input, but found more."));
    }
    Ok(v)
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
    jsonb: bool,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn value(&mut self, depth: usize) -> PgResult<J> {
        if depth > MAX_DEPTH {
            return Err(PgError::new("54001", "stack depth limit exceeded"));
        }
        self.ws();
        match self.b.get(self.i) {
            None => Err(invalid("The input string ended unexpectedly.")),
            Some(b'{') => {
                self.i += 1;
                let mut members = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(J::Obj(members));
                }
                loop {
                    self.ws();
                    if self.b.get(self.i) != Some(&b'"') {
                        return Err(invalid("Expected string."));
                    }
                    let k = self.string()?;
                    self.ws();
                    if self.b.get(self.i) != Some(&b':') {
                        return Err(invalid("Expected \":\"."));
                    }
                    self.i += 1;
                    members.push((k, self.value(depth + 1)?));
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(J::Obj(members));
                        }
                        _ => return Err(invalid("Expected \",\" or \"}\".")),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(J::Arr(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(J::Arr(items));
                        }
                        _ => return Err(invalid("Expected \",\" or \"]\".")),
                    }
                }
            }
            Some(b'"') => Ok(J::Str(self.string()?)),
            Some(b't') => self.word("true", J::Bool(true)),
            Some(b'f') => self.word("false", J::Bool(false)),
            Some(b'n') => self.word("null", J::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(invalid("Token is invalid.")),
        }
    }

    fn word(&mut self, w: &str, v: J) -> PgResult<J> {
        if self.b[self.i..].starts_with(w.as_bytes()) {
            self.i += w.len();
            Ok(v)
        } else {
            Err(invalid("Token is invalid."))
        }
    }

    fn number(&mut self) -> PgResult<J> {
        let start = self.i;
        let b = self.b;
        let digits = |i: &mut usize| {
            let s = *i;
            while *i < b.len() && b[*i].is_ascii_digit() {
                *i += 1;
            }
            *i - s
        };
        let mut i = self.i;
        if b[i] == b'-' {
            i += 1;
        }
        let int_start = i;
        let n = digits(&mut i);
        if n == 0 || (n > 1 && b[int_start] == b'0') {
            return Err(invalid("Token is invalid."));
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            if digits(&mut i) == 0 {
                return Err(invalid("Token is invalid."));
            }
        }
        if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
            i += 1;
            if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
                i += 1;
            }
            if digits(&mut i) == 0 {
                return Err(invalid("Token is invalid."));
            }
        }
        self.i = i;
        let text = std::str::from_utf8(&b[start..i]).expect("ASCII");
        if self.jsonb {
            let n = Numeric::parse(text).map_err(|_| invalid("Token is invalid."))?;
            Ok(J::Num(n.to_text()))
        } else {
            Ok(J::Num(text.to_string()))
        }
    }

    fn string(&mut self) -> PgResult<String> {
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let c = *self.b.get(self.i).ok_or_else(|| invalid("The input string ended unexpectedly."))?;
            self.i += 1;
            match c {
                b'"' => break,
                0..=0x1f => return Err(invalid("Character with value 0x.. must be escaped.")),
                b'\\' => {
                    let e = *self.b.get(self.i).ok_or_else(|| invalid("The input string ended unexpectedly."))?;
                    self.i += 1;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let ch = self.unicode_escape()?;
                            let mut tmp = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
                        }
                        _ => return Err(invalid("Escape sequence is invalid.")),
                    }
                }
                _ => out.push(c),
            }
        }
        String::from_utf8(out).map_err(|_| invalid("Invalid UTF-8."))
    }

    fn hex4(&mut self) -> PgResult<u32> {
        let h = self
            .b
            .get(self.i..self.i + 4)
            .ok_or_else(|| invalid("\"\\u\" must be followed by four hexadecimal digits."))?;
        let s = std::str::from_utf8(h).map_err(|_| invalid("\"\\u\" must be followed by four hexadecimal digits."))?;
        let v =
            u32::from_str_radix(s, 16).map_err(|_| invalid("\"\\u\" must be followed by four hexadecimal digits."))?;
        self.i += 4;
        Ok(v)
    }

    fn unicode_escape(&mut self) -> PgResult<char> {
        let hi = self.hex4()?;
        let cp = if (0xD800..0xDC00).contains(&hi) {
            if !self.b[self.i..].starts_with(b"\\u") {
                return Err(invalid("Unicode low surrogate must follow a high surrogate."));
            }
            self.i += 2;
            let lo = self.hex4()?;
            if !(0xDC00..0xE000).contains(&lo) {
                return Err(invalid("Unicode low surrogate must follow a high surrogate."));
            }
            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
        } else if (0xDC00..0xE000).contains(&hi) {
            return Err(invalid("Unicode low surrogate must follow a high surrogate."));
        } else {
            hi
        };
        if cp == 0 && self.jsonb {
            return Err(PgError::new("22P05", "unsupported Unicode escape sequence")
                .with_detail("\\u0000 cannot be converted to text."));
        }
        Ok(char::from_u32(cp).unwrap_or('\u{FFFD}'))
    }
}

fn write(j: &J, out: &mut String) {
    match j {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Num(n) => out.push_str(n),
        J::Str(s) => write_str(s, out),
        J::Arr(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write(v, out);
            }
            out.push(']');
        }
        J::Obj(members) => {
            // Stable sort then keep the last of equal keys: jsonb's uniqueifyJsonbObject.
            let mut idx: Vec<usize> = (0..members.len()).collect();
            idx.sort_by(|a, b| {
                let (ka, kb) = (members[*a].0.as_bytes(), members[*b].0.as_bytes());
                ka.len().cmp(&kb.len()).then(ka.cmp(kb))
            });
            let mut kept: Vec<usize> = Vec::with_capacity(idx.len());
            for i in idx {
                match kept.last_mut() {
                    Some(last) if members[*last].0 == members[i].0 => *last = i,
                    _ => kept.push(i),
                }
            }
            out.push('{');
            for (n, i) in kept.iter().enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                write_str(&members[*i].0, out);
                out.push_str(": ");
                write(&members[*i].1, out);
            }
            out.push('}');
        }
    }
}

/// escape_json
fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonb_normal_form_matches_postgres() {
        // PostgreSQL 15: SELECT '<input>'::jsonb
        for (input, out) in [
            (r#"{"b":1,"a":2,"aa":[1.0,1e2,-0],"a":3}"#, r#"{"a": 3, "b": 1, "aa": [1.0, 100, 0]}"#),
            (r#" [ "x\u00e9\n", null , true,false,{}] "#, "[\"x\u{e9}\\n\", null, true, false, {}]"),
            (r#""\u001f\/""#, r#""\u001f/""#),
            ("12", "12"),
        ] {
            assert_eq!(normalize_jsonb(input).unwrap(), out, "{input}");
        }
        for bad in ["", "{", "[1,]", "01", "{\"a\" 1}", "tru", "\"\\x\"", "[1] 2", "\"\u{1}\""] {
            assert_eq!(normalize_jsonb(bad).unwrap_err().code, "22P02", "{bad}");
            assert_eq!(validate(bad).unwrap_err().code, "22P02", "{bad}");
        }
        assert_eq!(normalize_jsonb(r#""\u0000""#).unwrap_err().code, "22P05");
        assert!(validate(r#""\u0000""#).is_ok());
        assert_eq!(normalize_jsonb(&"[".repeat(300)).unwrap_err().code, "54001");
    }
}
