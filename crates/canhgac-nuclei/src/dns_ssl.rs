//! `dns` and `ssl` requests: asked through `canhgac-dns` and `canhgac-tlscheck`, answered as the
//! parts nuclei templates read (`answer` lines in dig's layout; the `ssl` response as JSON).

use std::net::SocketAddr;
use std::time::Duration;

use canhgac_dns::{Answer, Record, RecordType, Resolver};
use canhgac_tlscheck::{handshake, CertificateInfo, HandshakeInfo, TlsTarget, TlsVersion};

use crate::dsl::{Value, Vars};

/// The text of a record as miekg/dns prints it: `name.\tTTL\tIN\tTYPE\tdata`.
fn record_line(record: &Record) -> String {
    let data = match record.record_type {
        RecordType::TXT => format!("\"{}\"", record.text),
        RecordType::CNAME | RecordType::NS | RecordType::PTR | RecordType::MX => {
            format!("{}.", record.text)
        }
        _ => record.text.clone(),
    };
    format!(
        "{}.\t{}\tIN\t{}\t{}",
        record.name, record.ttl, record.record_type, data
    )
}

fn section(records: &[Record]) -> String {
    records
        .iter()
        .map(record_line)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Asks `name`/`record_type` and returns the response parts.
pub async fn dns_parts(
    resolver: &Resolver,
    name: &str,
    record_type: &str,
    retries: u32,
) -> Result<Vars, String> {
    let wanted: RecordType = record_type
        .parse()
        .map_err(|_| format!("dns record type {record_type}"))?;
    let mut last_error = String::new();
    let mut answer: Option<Answer> = None;
    for _ in 0..retries.max(1) {
        match resolver.lookup(name, wanted).await {
            Ok(found) => {
                answer = Some(found);
                break;
            }
            Err(error) => last_error = error.to_string(),
        }
    }
    let answer = answer.ok_or(last_error)?;
    let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
    let question = format!("{name}.\tIN\t{wanted}");
    let mut vars = Vars::new();
    let answer_text = section(&answer.records);
    let ns = section(&answer.authority);
    let extra = section(&answer.additional);
    let raw = format!(
        ";; ->>HEADER<<- opcode: QUERY, status: {}\n;; QUESTION SECTION:\n;{question}\n\n\
         ;; ANSWER SECTION:\n{answer_text}\n\n;; AUTHORITY SECTION:\n{ns}\n\n\
         ;; ADDITIONAL SECTION:\n{extra}\n",
        answer.rcode
    );
    vars.insert("rcode".into(), Value::Str(answer.rcode.clone()));
    vars.insert("question".into(), Value::Str(question.clone()));
    vars.insert("answer".into(), Value::Str(answer_text));
    vars.insert("ns".into(), Value::Str(ns));
    vars.insert("extra".into(), Value::Str(extra));
    vars.insert("raw".into(), Value::Str(raw));
    vars.insert("request".into(), Value::Str(question));
    vars.insert("host".into(), Value::Str(name));
    // Per-type values (`cname`, `mx`, `txt`...), like nuclei's DSL map.
    for record in &answer.records {
        let key = record.record_type.to_string().to_ascii_lowercase();
        let entry = vars.entry(key).or_insert_with(|| Value::List(Vec::new()));
        if let Value::List(items) = entry {
            items.push(Value::Str(record.text.clone()));
        }
    }
    Ok(vars)
}

/// nuclei's version names.
pub fn parse_version(name: &str) -> Option<TlsVersion> {
    match name {
        "sslv3" => Some(TlsVersion::Ssl3),
        "tls10" => Some(TlsVersion::Tls10),
        "tls11" => Some(TlsVersion::Tls11),
        "tls12" => Some(TlsVersion::Tls12),
        "tls13" => Some(TlsVersion::Tls13),
        _ => None,
    }
}

fn version_name(version: TlsVersion) -> &'static str {
    match version {
        TlsVersion::Ssl3 => "sslv3",
        TlsVersion::Tls10 => "tls10",
        TlsVersion::Tls11 => "tls11",
        TlsVersion::Tls12 => "tls12",
        TlsVersion::Tls13 => "tls13",
    }
}

/// The ids of cipher suites named as IANA names.
fn suite_ids(names: &[String]) -> Result<Vec<u16>, String> {
    let known: Vec<u16> = TlsVersion::ALL
        .iter()
        .flat_map(|v| canhgac_tlscheck::suites::candidate_suites(*v))
        .collect();
    names
        .iter()
        .map(|name| {
            known
                .iter()
                .copied()
                .find(|id| canhgac_tlscheck::suites::suite_name(*id) == *name)
                .ok_or_else(|| format!("unknown cipher suite {name}"))
        })
        .collect()
}

/// The common name in a distinguished name written `CN=x, O=y`.
fn common_name(dn: &str) -> String {
    dn.split([',', '/'])
        .filter_map(|part| part.trim().strip_prefix("CN="))
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// One handshake with `address` (`host:port`); `Ok(None)` when the server refuses the offer.
pub async fn ssl_parts(
    address: &str,
    server_name: &str,
    min_version: Option<&str>,
    max_version: Option<&str>,
    cipher_suites: &[String],
    timeout: Duration,
) -> Result<Option<Vars>, String> {
    let socket: SocketAddr = tokio::net::lookup_host(address)
        .await
        .map_err(|e| format!("resolve {address}: {e}"))?
        .next()
        .ok_or_else(|| format!("resolve {address}: no address"))?;
    let name = (server_name.parse::<std::net::IpAddr>().is_err()).then_some(server_name);
    let target = TlsTarget::new(socket, name);
    let min = min_version
        .and_then(parse_version)
        .unwrap_or(TlsVersion::Tls10);
    let max = max_version
        .and_then(parse_version)
        .unwrap_or(TlsVersion::Tls13);
    let suites = if cipher_suites.is_empty() {
        None
    } else {
        Some(suite_ids(cipher_suites)?)
    };
    let info = handshake(&target, min, max, suites.as_deref(), timeout)
        .await
        .map_err(|e| e.to_string())?;
    Ok(info.map(|info| handshake_vars(&info, address, server_name)))
}

fn handshake_vars(info: &HandshakeInfo, address: &str, server_name: &str) -> Vars {
    let mut json = serde_json::json!({
        "host": server_name,
        "address": address,
        "probe_status": true,
        "tls_version": version_name(info.version),
        "cipher": info.cipher_name,
    });
    if let Some(cert) = &info.certificate {
        certificate_fields(cert, server_name, &mut json);
    }
    let mut vars = Vars::new();
    if let serde_json::Value::Object(map) = &json {
        for (key, value) in map {
            vars.insert(key.clone(), json_value(value));
        }
    }
    vars.insert("response".into(), Value::Str(json.to_string()));
    vars.insert("raw".into(), Value::Str(json.to_string()));
    vars
}

fn certificate_fields(cert: &CertificateInfo, server_name: &str, json: &mut serde_json::Value) {
    let now = jiff::Timestamp::now();
    let mut domains: Vec<String> = cert.dns_names.clone();
    if let Some(cn) = &cert.common_name {
        if !domains.contains(cn) {
            domains.insert(0, cn.clone());
        }
    }
    let fields = serde_json::json!({
        "subject_dn": cert.subject,
        "subject_cn": cert.common_name.clone().unwrap_or_default(),
        "subject_an": cert.dns_names,
        "issuer_dn": cert.issuer,
        "issuer_cn": common_name(&cert.issuer),
        "not_before": cert.not_before.to_string(),
        "not_after": cert.not_after.to_string(),
        "expired": cert.not_after < now,
        "self_signed": cert.self_signed,
        // Chain trust and revocation are not checked by a single handshake: a self-signed
        // certificate is the untrusted case we can see; revocation is never claimed.
        "untrusted": cert.self_signed,
        "revoked": false,
        "mismatched": !cert.matches_name(server_name),
        "serial": cert.serial,
        "domains": domains,
    });
    if let (serde_json::Value::Object(target), serde_json::Value::Object(extra)) = (json, fields) {
        target.extend(extra);
    }
}

fn json_value(value: &serde_json::Value) -> Value {
    match value {
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::Num(n.as_f64().unwrap_or_default()),
        serde_json::Value::String(s) => Value::Str(s.clone()),
        serde_json::Value::Array(items) => Value::List(items.iter().map(json_value).collect()),
        other => Value::Str(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_print_like_dig() {
        let record = Record {
            name: "_dmarc.example.vn".into(),
            record_type: RecordType::TXT,
            ttl: 300,
            text: "v=DMARC1; p=none".into(),
        };
        assert_eq!(
            record_line(&record),
            "_dmarc.example.vn.\t300\tIN\tTXT\t\"v=DMARC1; p=none\""
        );
        assert_eq!(
            common_name("C=VN, O=Test, CN=portal.example.vn"),
            "portal.example.vn"
        );
        assert_eq!(parse_version("tls11"), Some(TlsVersion::Tls11));
    }
}
