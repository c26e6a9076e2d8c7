//! Arrays inside the catalog engine: PostgreSQL's text forms, `{a,b}` for arrays and
//! `1 2` for int2vector/oidvector, read and written by the SQL functions
//! (`= ANY`, `unnest`, `array_to_string`, `array_agg`, subscripts).

use crate::types::array::{parse_text, push_text_element};

/// The elements of an array value (None for NULL elements).
pub fn elements(text: &str) -> Vec<Option<String>> {
    let t = text.trim();
    if t.starts_with('{') || t.starts_with('[') {
        parse_text(t).unwrap_or_default()
    } else {
        t.split_whitespace().map(|s| Some(s.to_string())).collect()
    }
}

/// `{a,b}` text of elements.
pub fn to_text<S: AsRef<str>>(items: &[Option<S>]) -> String {
    let mut out = vec![b'{'];
    for (i, e) in items.iter().enumerate() {
        push_text_element(e.as_ref().map(|s| s.as_ref().as_bytes()), i == 0, &mut out);
    }
    out.push(b'}');
    String::from_utf8(out).unwrap_or_default()
}

/// The elements as a JSON array (numbers stay numbers), for SQLite's json_each.
pub fn to_json(text: &str) -> String {
    let parts: Vec<String> = elements(text)
        .into_iter()
        .map(|e| match e {
            None => "null".into(),
            Some(s) if s.parse::<i64>().is_ok() => s,
            Some(s) => json_string(&s),
        })
        .collect();
    format!("[{}]", parts.join(","))
}

pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms() {
        assert_eq!(elements("{1,2}"), vec![Some("1".into()), Some("2".into())]);
        assert_eq!(elements("1 2"), vec![Some("1".into()), Some("2".into())]);
        assert_eq!(to_json("{a,NULL,3}"), "[\"a\",null,3]");
        assert_eq!(to_text(&[Some("a b"), None]), "{\"a b\",NULL}");
    }
}
