//! Web server access log lines in the NCSA common and combined formats (Apache `%h %l %u %t
//! "%r" %>s %b "%{Referer}i" "%{User-agent}i"`, Nginx's `combined`), with the W3C field names
//! Sigma's webserver rules use: `c-ip`, `cs-username`, `cs-method`, `cs-uri-stem`,
//! `cs-uri-query`, `c-uri`, `cs-version`, `sc-status` (Int), `sc-bytes` (Int), `cs-referer`,
//! `cs-user-agent`. Fields whose value is `-` are left out. The time comes from the line;
//! `Event.message` is the line.

use canhgac_model::{Event, EventKind, Fields, Timestamp};

use crate::DecodeError;

/// Decodes one access log line.
pub fn decode(line: &str, received: Timestamp) -> Result<Event, DecodeError> {
    let line = line.trim_end_matches(['\r', '\n']);
    let mut fields = Fields(Vec::with_capacity(12));
    let mut rest = line;
    let client = word(&mut rest).ok_or_else(|| DecodeError::new("empty line"))?;
    let _ident = word(&mut rest).ok_or_else(|| DecodeError::new("missing ident field"))?;
    let user = word(&mut rest).ok_or_else(|| DecodeError::new("missing user field"))?;
    fields.push("c-ip", client);
    if user != "-" {
        fields.push("cs-username", user);
    }
    let time_text = bracketed(&mut rest).ok_or_else(|| DecodeError::new("missing [time]"))?;
    let time = jiff::fmt::strtime::parse("%d/%b/%Y:%H:%M:%S %z", time_text)
        .and_then(|t| t.to_timestamp())
        .map_err(|e| DecodeError::new(format!("bad time {time_text:?}: {e}")))?;
    let request = quoted(&mut rest).ok_or_else(|| DecodeError::new("missing \"request\""))?;
    read_request(&request, &mut fields);
    let status = word(&mut rest).ok_or_else(|| DecodeError::new("missing status"))?;
    let status: i64 = status
        .parse()
        .map_err(|_| DecodeError::new(format!("bad status {status:?}")))?;
    fields.push("sc-status", status);
    let bytes = word(&mut rest).ok_or_else(|| DecodeError::new("missing size"))?;
    match bytes.parse::<i64>() {
        Ok(n) => fields.push("sc-bytes", n),
        Err(_) if bytes == "-" => {}
        Err(_) => return Err(DecodeError::new(format!("bad size {bytes:?}"))),
    }
    // Combined format: referer and user agent; anything after (Nginx extras) is kept in the
    // message only.
    for name in ["cs-referer", "cs-user-agent"] {
        match quoted(&mut rest) {
            Some(value) if value != "-" => fields.push(name, value),
            Some(_) => {}
            None => break,
        }
    }
    Ok(Event {
        time,
        received,
        kind: EventKind::AccessLog,
        host: None,
        peer: None,
        unit_id: None,
        message: line.to_string(),
        fields,
    })
}

/// `METHOD TARGET VERSION`; a request line that is not one (a TLS hello sent to a plain port,
/// `-`) leaves only `c-uri` holding it.
fn read_request(request: &str, fields: &mut Fields) {
    let mut parts = request.splitn(3, ' ');
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        if request != "-" && !request.is_empty() {
            fields.push("c-uri", request);
        }
        return;
    };
    fields.push("cs-method", method);
    let (stem, query) = match target.split_once('?') {
        Some((stem, query)) => (stem, Some(query)),
        None => (target, None),
    };
    fields.push("cs-uri-stem", stem);
    if let Some(query) = query {
        fields.push("cs-uri-query", query);
    }
    fields.push("c-uri", target);
    if let Some(version) = parts.next() {
        fields.push("cs-version", version);
    }
}

fn word<'a>(rest: &mut &'a str) -> Option<&'a str> {
    let text = rest.trim_start_matches(' ');
    if text.is_empty() {
        return None;
    }
    let end = text.find(' ').unwrap_or(text.len());
    *rest = &text[end..];
    Some(&text[..end])
}

fn bracketed<'a>(rest: &mut &'a str) -> Option<&'a str> {
    let text = rest.trim_start_matches(' ').strip_prefix('[')?;
    let end = text.find(']')?;
    *rest = &text[end + 1..];
    Some(&text[..end])
}

/// A `"..."` field; `\"` and `\\` unescaped (Apache escapes quotes and backslashes, Nginx
/// writes `\x22`, which is kept as is).
fn quoted(rest: &mut &str) -> Option<String> {
    let text = rest.trim_start_matches(' ').strip_prefix('"')?;
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, next @ ('"' | '\\'))) => value.push(next),
                Some((_, next)) => {
                    value.push('\\');
                    value.push(next);
                }
                None => value.push('\\'),
            },
            '"' => {
                *rest = &text[i + 1..];
                return Some(value);
            }
            c => value.push(c),
        }
    }
    None
}

/// True when `line` reads as a common or combined log line (used by file sniffing).
pub fn looks_like(line: &str) -> bool {
    decode(line, Timestamp::UNIX_EPOCH).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use canhgac_model::FieldValue;

    fn received() -> Timestamp {
        "2026-11-26T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn combined() {
        let line = r##"203.0.113.9 - alice [26/Nov/2026:08:01:02 +0700] "GET /cgi-bin/x.php?cmd=id%20-a&y=1 HTTP/1.1" 200 512 "https://example.invalid/" "Mozilla/5.0 \"quoted\"""##;
        let e = decode(line, received()).unwrap();
        let f = &e.fields;
        assert_eq!(e.kind, EventKind::AccessLog);
        assert_eq!(e.time.to_string(), "2026-11-26T01:01:02Z");
        assert_eq!(f.get_str("c-ip"), Some("203.0.113.9"));
        assert_eq!(f.get_str("cs-username"), Some("alice"));
        assert_eq!(f.get_str("cs-method"), Some("GET"));
        assert_eq!(f.get_str("cs-uri-stem"), Some("/cgi-bin/x.php"));
        assert_eq!(f.get_str("cs-uri-query"), Some("cmd=id%20-a&y=1"));
        assert_eq!(f.get_str("c-uri"), Some("/cgi-bin/x.php?cmd=id%20-a&y=1"));
        assert_eq!(f.get_str("cs-version"), Some("HTTP/1.1"));
        assert_eq!(f.get("sc-status"), Some(&FieldValue::Int(200)));
        assert_eq!(f.get("sc-bytes"), Some(&FieldValue::Int(512)));
        assert_eq!(f.get_str("cs-referer"), Some("https://example.invalid/"));
        assert_eq!(f.get_str("cs-user-agent"), Some("Mozilla/5.0 \"quoted\""));
        assert_eq!(e.message, line);
        assert_eq!(e.peer, None);
    }

    #[test]
    fn common_and_dashes_and_garbage_request() {
        let e = decode(
            r##"2001:db8::1 - - [26/Nov/2026:08:01:02 +0000] "\x16\x03\x01" 400 - "-" "-""##,
            received(),
        )
        .unwrap();
        let f = &e.fields;
        assert_eq!(f.get_str("c-ip"), Some("2001:db8::1"));
        assert_eq!(f.get("cs-username"), None);
        assert_eq!(f.get("cs-method"), None);
        assert_eq!(f.get_str("c-uri"), Some("\\x16\\x03\\x01"));
        assert_eq!(f.get("sc-bytes"), None);
        assert_eq!(f.get("cs-referer"), None);
        let e = decode(
            r##"192.0.2.1 - - [01/Jan/2026:00:00:00 +0000] "POST /login HTTP/1.0" 302 0"##,
            received(),
        )
        .unwrap();
        assert_eq!(e.fields.get_str("cs-method"), Some("POST"));
        assert_eq!(e.fields.get("cs-user-agent"), None);
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let err = decode("192.0.2.1 - - no time here", received()).unwrap_err();
        assert!(err.reason.contains("[time]"), "{err}");
        let err = decode(
            r##"192.0.2.1 - - [32/Foo/2026:00:00:00 +0000] "GET / HTTP/1.1" 200 1"##,
            received(),
        )
        .unwrap_err();
        assert!(err.reason.contains("bad time"), "{err}");
        assert!(!looks_like("<13>Nov 26 10:00:00 h app: x"));
    }
}
