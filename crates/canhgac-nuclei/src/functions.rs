//! The DSL's helper functions (nuclei's names and argument orders).

use base64::Engine as _;
use hmac::{Hmac, Mac};
use md5::Md5;
use percent_encoding::{percent_decode_str, utf8_percent_encode, NON_ALPHANUMERIC};
use rand::Rng;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use crate::dsl::{DslError, Value};

type Helper = fn(&str, &[Value]) -> Result<Value, DslError>;

/// Every helper, by name. One table serves both the loader (unknown names skip a template) and
/// the evaluator.
const HELPERS: &[(&str, Helper)] = &[
    ("contains", contains),
    ("contains_all", contains_all),
    ("contains_any", contains_any),
    ("starts_with", starts_with),
    ("ends_with", ends_with),
    ("line_starts_with", line_starts_with),
    ("line_ends_with", line_ends_with),
    ("regex", regex_fn),
    ("to_lower", to_lower),
    ("tolower", to_lower),
    ("to_upper", to_upper),
    ("toupper", to_upper),
    ("trim", trim),
    ("trim_space", trim_space),
    ("trim_left", trim_left),
    ("trim_right", trim_right),
    ("trim_prefix", trim_prefix),
    ("trim_suffix", trim_suffix),
    ("replace", replace),
    ("replace_regex", replace_regex),
    ("concat", concat),
    ("join", join),
    ("split", split),
    ("reverse", reverse),
    ("repeat", repeat),
    ("len", len),
    ("to_number", to_number),
    ("to_string", to_string),
    ("dec_to_hex", dec_to_hex),
    ("hex_to_dec", hex_to_dec),
    ("base64", base64_fn),
    ("base64_decode", base64_decode),
    ("base64_py", base64_py),
    ("hex_encode", hex_encode),
    ("hex_decode", hex_decode),
    ("url_encode", url_encode),
    ("url_decode", url_decode),
    ("html_escape", html_escape),
    ("html_unescape", html_unescape),
    ("md5", md5_fn),
    ("sha1", sha1_fn),
    ("sha256", sha256_fn),
    ("sha512", sha512_fn),
    ("hmac", hmac_fn),
    ("mmh3", mmh3_fn),
    ("generate_jwt", generate_jwt),
    ("compare_versions", compare_versions),
    ("unix_time", unix_time),
    ("date_time", date_time),
    ("rand_base", rand_base),
    ("rand_char", rand_char),
    ("rand_int", rand_int),
    ("rand_text_alpha", rand_text_alpha),
    ("rand_text_alphanumeric", rand_text_alphanumeric),
    ("rand_text_numeric", rand_text_numeric),
];

/// Whether a helper of that name exists.
pub fn is_known(name: &str) -> bool {
    HELPERS.iter().any(|(n, _)| *n == name)
}

/// Calls a helper.
pub fn call(name: &str, args: &[Value]) -> Result<Value, DslError> {
    let (_, helper) = HELPERS
        .iter()
        .find(|(n, _)| *n == name)
        .ok_or_else(|| DslError::UnknownFunction(name.to_owned()))?;
    helper(name, args)
}

fn fail(name: &str, reason: impl Into<String>) -> DslError {
    DslError::Call {
        function: name.to_owned(),
        reason: reason.into(),
    }
}

fn arity(name: &str, args: &[Value], min: usize, max: usize) -> Result<(), DslError> {
    if args.len() < min || args.len() > max {
        return Err(fail(
            name,
            format!("takes {min} to {max} arguments, got {}", args.len()),
        ));
    }
    Ok(())
}

fn text(args: &[Value], i: usize) -> String {
    args.get(i).map(Value::to_string).unwrap_or_default()
}

fn number(name: &str, args: &[Value], i: usize) -> Result<f64, DslError> {
    args.get(i)
        .and_then(Value::as_number)
        .ok_or_else(|| fail(name, format!("argument {} is not a number", i + 1)))
}

fn string(s: impl Into<String>) -> Result<Value, DslError> {
    Ok(Value::Str(s.into()))
}

fn boolean(b: bool) -> Result<Value, DslError> {
    Ok(Value::Bool(b))
}

fn contains(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 2, 2)?;
    boolean(text(a, 0).contains(&text(a, 1)))
}

fn contains_all(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 2, usize::MAX)?;
    let haystack = text(a, 0);
    boolean(
        a[1..]
            .iter()
            .all(|needle| haystack.contains(&needle.to_string())),
    )
}

fn contains_any(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 2, usize::MAX)?;
    let haystack = text(a, 0);
    boolean(
        a[1..]
            .iter()
            .any(|needle| haystack.contains(&needle.to_string())),
    )
}

fn starts_with(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 2, usize::MAX)?;
    let s = text(a, 0);
    boolean(a[1..].iter().any(|p| s.starts_with(&p.to_string())))
}

fn ends_with(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 2, usize::MAX)?;
    let s = text(a, 0);
    boolean(a[1..].iter().any(|p| s.ends_with(&p.to_string())))
}

fn line_starts_with(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 2, usize::MAX)?;
    let s = text(a, 0);
    boolean(
        s.lines()
            .any(|line| a[1..].iter().any(|p| line.starts_with(&p.to_string()))),
    )
}

fn line_ends_with(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 2, usize::MAX)?;
    let s = text(a, 0);
    boolean(
        s.lines()
            .any(|line| a[1..].iter().any(|p| line.ends_with(&p.to_string()))),
    )
}

/// `regex(pattern, text)`; also used by the `=~` operator.
pub fn regex_match(pattern: &str, haystack: &str) -> Result<bool, regex::Error> {
    Ok(regex::Regex::new(pattern)?.is_match(haystack))
}

fn regex_fn(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 2, 2)?;
    regex_match(&text(a, 0), &text(a, 1))
        .map(Value::Bool)
        .map_err(|e| fail(n, e.to_string()))
}

fn to_lower(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 1, 1)?;
    string(text(a, 0).to_lowercase())
}

fn to_upper(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 1, 1)?;
    string(text(a, 0).to_uppercase())
}

fn cutset(a: &[Value]) -> Vec<char> {
    text(a, 1).chars().collect()
}

fn trim(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 2, 2)?;
    let set = cutset(a);
    string(text(a, 0).trim_matches(|c| set.contains(&c)))
}

fn trim_space(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 1, 1)?;
    string(text(a, 0).trim())
}

fn trim_left(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 2, 2)?;
    let set = cutset(a);
    string(text(a, 0).trim_start_matches(|c| set.contains(&c)))
}

fn trim_right(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 2, 2)?;
    let set = cutset(a);
    string(text(a, 0).trim_end_matches(|c| set.contains(&c)))
}

fn trim_prefix(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 2, 2)?;
    let s = text(a, 0);
    let prefix = text(a, 1);
    string(s.strip_prefix(prefix.as_str()).unwrap_or(&s))
}

fn trim_suffix(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 2, 2)?;
    let s = text(a, 0);
    let suffix = text(a, 1);
    string(s.strip_suffix(suffix.as_str()).unwrap_or(&s))
}

fn replace(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 3, 3)?;
    string(text(a, 0).replace(&text(a, 1), &text(a, 2)))
}

fn replace_regex(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 3, 3)?;
    let re = regex::Regex::new(&text(a, 1)).map_err(|e| fail(n, e.to_string()))?;
    string(re.replace_all(&text(a, 0), text(a, 2).as_str()))
}

fn concat(_: &str, a: &[Value]) -> Result<Value, DslError> {
    string(a.iter().map(Value::to_string).collect::<String>())
}

fn join(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 2, usize::MAX)?;
    let separator = text(a, 0);
    let parts: Vec<String> = match &a[1..] {
        [Value::List(items)] => items.iter().map(Value::to_string).collect(),
        rest => rest.iter().map(Value::to_string).collect(),
    };
    string(parts.join(&separator))
}

fn split(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 2, 2)?;
    let s = text(a, 0);
    let separator = text(a, 1);
    Ok(Value::List(
        s.split(separator.as_str()).map(Value::from).collect(),
    ))
}

fn reverse(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 1, 1)?;
    string(text(a, 0).chars().rev().collect::<String>())
}

fn repeat(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 2, 2)?;
    let count = number(n, a, 1)?;
    if !(0.0..=100_000.0).contains(&count) {
        return Err(fail(n, "count out of range"));
    }
    string(text(a, 0).repeat(count as usize))
}

fn len(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 1, 1)?;
    let length = match &a[0] {
        Value::List(items) => items.len(),
        other => other.to_string().chars().count(),
    };
    Ok(Value::Num(length as f64))
}

fn to_number(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 1, 1)?;
    number(n, a, 0).map(Value::Num)
}

fn to_string(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 1, 1)?;
    string(text(a, 0))
}

fn dec_to_hex(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 1, 1)?;
    string(format!("{:x}", number(n, a, 0)? as i64))
}

fn hex_to_dec(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 1, 1)?;
    let s = text(a, 0);
    let digits = s.trim_start_matches("0x");
    i64::from_str_radix(digits, 16)
        .map(|v| Value::Num(v as f64))
        .map_err(|e| fail(n, e.to_string()))
}

fn base64_fn(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 1, 1)?;
    string(base64::engine::general_purpose::STANDARD.encode(text(a, 0)))
}

fn base64_py(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 1, 1)?;
    // Python's base64.encodebytes: lines of 76 characters, each ending in a newline.
    let encoded = base64::engine::general_purpose::STANDARD.encode(text(a, 0));
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 76 + 1);
    for chunk in encoded.as_bytes().chunks(76) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    string(out)
}

fn base64_decode(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 1, 1)?;
    let input = text(a, 0);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(input.trim())
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(input.trim()))
        .map_err(|e| fail(n, e.to_string()))?;
    string(String::from_utf8_lossy(&bytes))
}

fn hex_encode(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 1, 1)?;
    string(hex::encode(text(a, 0)))
}

fn hex_decode(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 1, 1)?;
    let bytes = hex::decode(text(a, 0)).map_err(|e| fail(n, e.to_string()))?;
    string(String::from_utf8_lossy(&bytes))
}

fn url_encode(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 1, 1)?;
    string(utf8_percent_encode(&text(a, 0), NON_ALPHANUMERIC).to_string())
}

fn url_decode(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 1, 1)?;
    let s = text(a, 0).replace('+', " ");
    string(percent_decode_str(&s).decode_utf8_lossy())
}

fn html_escape(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 1, 1)?;
    let mut out = String::new();
    for c in text(a, 0).chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    string(out)
}

fn html_unescape(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 1, 1)?;
    let s = text(a, 0)
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&amp;", "&");
    string(s)
}

fn digest<D: Digest>(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 1, 1)?;
    string(hex::encode(D::digest(text(a, 0).as_bytes())))
}

fn md5_fn(n: &str, a: &[Value]) -> Result<Value, DslError> {
    digest::<Md5>(n, a)
}

fn sha1_fn(n: &str, a: &[Value]) -> Result<Value, DslError> {
    digest::<Sha1>(n, a)
}

fn sha256_fn(n: &str, a: &[Value]) -> Result<Value, DslError> {
    digest::<Sha256>(n, a)
}

fn sha512_fn(n: &str, a: &[Value]) -> Result<Value, DslError> {
    digest::<Sha512>(n, a)
}

/// `hmac(algorithm, data, secret)` with sha1, sha256 or sha512, hex-encoded.
fn hmac_fn(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 3, 3)?;
    let (algorithm, data, secret) = (text(a, 0), text(a, 1), text(a, 2));
    let bad_key = |e: hmac::digest::InvalidLength| fail(n, e.to_string());
    let tag = match algorithm.as_str() {
        "sha1" => {
            let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).map_err(bad_key)?;
            mac.update(data.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        "sha256" => {
            let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(bad_key)?;
            mac.update(data.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        "sha512" => {
            let mut mac = Hmac::<Sha512>::new_from_slice(secret.as_bytes()).map_err(bad_key)?;
            mac.update(data.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        other => return Err(fail(n, format!("unsupported algorithm {other:?}"))),
    };
    string(hex::encode(tag))
}

/// `generate_jwt(json_claims, algorithm, [secret], [max_age_seconds])`: a compact JWT signed
/// with HS256/HS384/HS512, or unsigned with `none`.
fn generate_jwt(n: &str, a: &[Value]) -> Result<Value, DslError> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    arity(n, a, 2, 4)?;
    let mut claims: serde_json::Value =
        serde_json::from_str(&text(a, 0)).map_err(|e| fail(n, format!("claims: {e}")))?;
    if a.len() == 4 {
        let max_age = number(n, a, 3)?;
        if let serde_json::Value::Object(map) = &mut claims {
            let now = jiff::Timestamp::now().as_second();
            map.insert("iat".into(), now.into());
            map.insert("exp".into(), (now + max_age as i64).into());
        }
    }
    let algorithm = text(a, 1).to_ascii_uppercase();
    let header = serde_json::json!({"alg": if algorithm == "NONE" { "none" } else { algorithm.as_str() }, "typ": "JWT"});
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let secret = text(a, 2);
    let bad_key = |e: hmac::digest::InvalidLength| fail(n, e.to_string());
    let signature = match algorithm.as_str() {
        "NONE" | "" => Vec::new(),
        "HS256" => {
            let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(bad_key)?;
            mac.update(signing_input.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        "HS384" => {
            let mut mac =
                Hmac::<sha2::Sha384>::new_from_slice(secret.as_bytes()).map_err(bad_key)?;
            mac.update(signing_input.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        "HS512" => {
            let mut mac = Hmac::<Sha512>::new_from_slice(secret.as_bytes()).map_err(bad_key)?;
            mac.update(signing_input.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        other => return Err(fail(n, format!("unsupported algorithm {other}"))),
    };
    string(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    ))
}

/// MurmurHash3 x86 32-bit, seed 0, as a signed decimal (the favicon-hash convention).
fn mmh3_fn(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 1, 1)?;
    string((murmur3_32(text(a, 0).as_bytes()) as i32).to_string())
}

fn murmur3_32(data: &[u8]) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mut hash: u32 = 0;
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        hash ^= k;
        hash = hash
            .rotate_left(13)
            .wrapping_mul(5)
            .wrapping_add(0xe654_6b64);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        let mut k: u32 = 0;
        for (i, byte) in tail.iter().enumerate() {
            k |= u32::from(*byte) << (8 * i);
        }
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        hash ^= k;
    }
    hash ^= data.len() as u32;
    hash ^= hash >> 16;
    hash = hash.wrapping_mul(0x85eb_ca6b);
    hash ^= hash >> 13;
    hash = hash.wrapping_mul(0xc2b2_ae35);
    hash ^ (hash >> 16)
}

fn version_parts(v: &str) -> Vec<u64> {
    v.trim()
        .trim_start_matches(['v', 'V'])
        .split(['.', '-', '+'])
        .map_while(|part| {
            let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .collect()
}

fn cmp_versions(a: &str, b: &str) -> std::cmp::Ordering {
    let (a, b) = (version_parts(a), version_parts(b));
    let width = a.len().max(b.len());
    for i in 0..width {
        let ord = a.get(i).unwrap_or(&0).cmp(b.get(i).unwrap_or(&0));
        if ord.is_ne() {
            return ord;
        }
    }
    std::cmp::Ordering::Equal
}

/// `compare_versions(version, '>v1.0', '<=2.3.1', ...)`: true when every constraint holds.
fn compare_versions(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 2, usize::MAX)?;
    let version = text(a, 0);
    for constraint in &a[1..] {
        for single in constraint.to_string().split(',') {
            let single = single.trim();
            let ops = [">=", "<=", "!=", "==", ">", "<", "="];
            let op = ops
                .iter()
                .find(|op| single.starts_with(**op))
                .copied()
                .unwrap_or("=");
            let other = single[if single.starts_with(op) { op.len() } else { 0 }..].trim();
            if version_parts(other).is_empty() {
                return Err(fail(n, format!("bad constraint {single:?}")));
            }
            let ord = cmp_versions(&version, other);
            let holds = match op {
                ">=" => ord.is_ge(),
                "<=" => ord.is_le(),
                "!=" => ord.is_ne(),
                ">" => ord.is_gt(),
                "<" => ord.is_lt(),
                _ => ord.is_eq(),
            };
            if !holds {
                return boolean(false);
            }
        }
    }
    boolean(true)
}

fn unix_time(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 0, 1)?;
    let offset = if a.is_empty() { 0.0 } else { number(n, a, 0)? };
    Ok(Value::Num(
        jiff::Timestamp::now().as_second() as f64 + offset,
    ))
}

/// `date_time(format, [unix seconds])` with `%Y %M %D %H %m %S` (nuclei's letters) or the
/// strftime letters `%m %d %I`.
fn date_time(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 1, 2)?;
    let seconds = if a.len() == 2 {
        number(n, a, 1)? as i64
    } else {
        jiff::Timestamp::now().as_second()
    };
    let time = jiff::Timestamp::from_second(seconds)
        .map_err(|e| fail(n, e.to_string()))?
        .to_zoned(jiff::tz::TimeZone::UTC);
    let format = text(a, 0);
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('Y') => out.push_str(&format!("{:04}", time.year())),
            Some('M') | Some('m') => out.push_str(&format!("{:02}", time.month())),
            Some('D') | Some('d') => out.push_str(&format!("{:02}", time.day())),
            Some('H') => out.push_str(&format!("{:02}", time.hour())),
            Some('I') | Some('i') => out.push_str(&format!("{:02}", time.minute())),
            Some('S') | Some('s') => out.push_str(&format!("{:02}", time.second())),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    string(out)
}

const ALPHA: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &str = "0123456789";
const ALPHANUMERIC: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

fn random_from(n: &str, a: &[Value], default_charset: &str) -> Result<Value, DslError> {
    arity(n, a, 1, 2)?;
    let length = number(n, a, 0)?;
    if !(0.0..=4096.0).contains(&length) {
        return Err(fail(n, "length out of range"));
    }
    let given = text(a, 1);
    let charset: Vec<char> = if given.is_empty() {
        default_charset.chars().collect()
    } else {
        given.chars().collect()
    };
    let mut rng = rand::thread_rng();
    string(
        (0..length as usize)
            .map(|_| charset[rng.gen_range(0..charset.len())])
            .collect::<String>(),
    )
}

fn rand_base(n: &str, a: &[Value]) -> Result<Value, DslError> {
    random_from(n, a, ALPHANUMERIC)
}

fn rand_text_alpha(n: &str, a: &[Value]) -> Result<Value, DslError> {
    random_from(n, a, ALPHA)
}

fn rand_text_alphanumeric(n: &str, a: &[Value]) -> Result<Value, DslError> {
    random_from(n, a, ALPHANUMERIC)
}

fn rand_text_numeric(n: &str, a: &[Value]) -> Result<Value, DslError> {
    random_from(n, a, DIGITS)
}

fn rand_char(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 0, 1)?;
    let args = [
        Value::Num(1.0),
        a.first().cloned().unwrap_or(Value::Str(String::new())),
    ];
    random_from(n, &args, ALPHANUMERIC)
}

fn rand_int(n: &str, a: &[Value]) -> Result<Value, DslError> {
    arity(n, a, 0, 2)?;
    let min = if a.is_empty() { 0.0 } else { number(n, a, 0)? } as i64;
    let max = if a.len() < 2 {
        i32::MAX as f64
    } else {
        number(n, a, 1)?
    } as i64;
    if min >= max {
        return Err(fail(n, "min must be below max"));
    }
    Ok(Value::Num(rand::thread_rng().gen_range(min..max) as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::Str(x.into())
    }

    #[test]
    fn encodings_and_hashes_match_known_values() {
        assert_eq!(call("hex_encode", &[s("ab")]), Ok(s("6162")));
        assert_eq!(call("hex_decode", &[s("6162")]), Ok(s("ab")));
        assert_eq!(call("base64_decode", &[s("YWI=")]), Ok(s("ab")));
        assert_eq!(call("url_encode", &[s("a b&")]), Ok(s("a%20b%26")));
        assert_eq!(call("url_decode", &[s("a%20b+c")]), Ok(s("a b c")));
        assert_eq!(call("html_escape", &[s("<a>")]), Ok(s("&lt;a&gt;")));
        assert_eq!(call("html_unescape", &[s("&lt;a&gt;")]), Ok(s("<a>")));
        assert_eq!(
            call("sha1", &[s("abc")]),
            Ok(s("a9993e364706816aba3e25717850c26c9cd0d89d"))
        );
        assert_eq!(
            call("sha256", &[s("abc")]),
            Ok(s(
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
            ))
        );
        // RFC 4231 test case 2.
        assert_eq!(
            call(
                "hmac",
                &[s("sha256"), s("what do ya want for nothing?"), s("Jefe")]
            ),
            Ok(s(
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
            ))
        );
        // Reference values of MurmurHash3_x86_32 with seed 0.
        assert_eq!(call("mmh3", &[s("")]), Ok(s("0")));
        assert_eq!(call("mmh3", &[s("hello")]), Ok(s("613153351")));
        assert_eq!(call("dec_to_hex", &[Value::Num(255.0)]), Ok(s("ff")));
        assert_eq!(call("hex_to_dec", &[s("ff")]), Ok(Value::Num(255.0)));
    }

    #[test]
    fn jwts_are_compact_and_signed() {
        let Ok(Value::Str(unsigned)) = call("generate_jwt", &[s(r#"{"a":1}"#), s("none")]) else {
            panic!("generate_jwt");
        };
        assert_eq!(unsigned, "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJhIjoxfQ.");
        let Ok(Value::Str(signed)) = call("generate_jwt", &[s(r#"{"a":1}"#), s("HS256"), s("key")])
        else {
            panic!("generate_jwt");
        };
        let (input, signature) = signed.rsplit_once('.').unwrap();
        let mut mac = Hmac::<Sha256>::new_from_slice(b"key").unwrap();
        mac.update(input.as_bytes());
        let expected =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        assert_eq!(signature, expected);
        assert!(call("generate_jwt", &[s("not json"), s("none")]).is_err());
    }

    #[test]
    fn strings_and_versions() {
        assert_eq!(call("trim_prefix", &[s("v1.2"), s("v")]), Ok(s("1.2")));
        assert_eq!(call("trim", &[s("xxaxx"), s("x")]), Ok(s("a")));
        assert_eq!(
            call("replace_regex", &[s("a1b22"), s("[0-9]+"), s("#")]),
            Ok(s("a#b#"))
        );
        assert_eq!(
            call("contains_any", &[s("abc"), s("x"), s("b")]),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            call("contains_all", &[s("abc"), s("x"), s("b")]),
            Ok(Value::Bool(false))
        );
        assert_eq!(
            call(
                "compare_versions",
                &[s("v1.0.0"), s(">v0.0.1"), s("<v1.0.1")]
            ),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            call("compare_versions", &[s("2.4.49"), s("< 2.4.49")]),
            Ok(Value::Bool(false))
        );
        assert_eq!(
            call("date_time", &[s("%Y-%M-%D"), Value::Num(0.0)]),
            Ok(s("1970-01-01"))
        );
        let Ok(Value::Str(random)) = call("rand_text_numeric", &[Value::Num(6.0)]) else {
            panic!("rand_text_numeric");
        };
        assert!(random.len() == 6 && random.chars().all(|c| c.is_ascii_digit()));
        assert!(call("len", &[]).is_err());
        assert!(!is_known("shuffle_text"));
    }
}
