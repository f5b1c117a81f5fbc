//! The DNS check: one question to one resolver, answers compared with the expected values.
//! The client itself is `canhgac-dns`; this module keeps the comparison.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use canhgac_dns::{domain_text, RecordType, Resolver};

use crate::conditions::Condition;
use crate::{text, Session, Verdict};

/// Record types a DNS monitor may ask for.
const SUPPORTED: [RecordType; 6] = [
    RecordType::A,
    RecordType::AAAA,
    RecordType::MX,
    RecordType::NS,
    RecordType::TXT,
    RecordType::CNAME,
];

pub(crate) async fn check(session: &mut Session<'_>, conditions: &[Condition]) -> Verdict {
    let settings = &session.input.settings;
    let type_name = settings
        .record_type
        .as_deref()
        .unwrap_or("A")
        .trim()
        .to_ascii_uppercase();
    let record_type = match type_name.parse::<RecordType>() {
        Ok(record_type) if SUPPORTED.contains(&record_type) => record_type,
        _ => {
            return Verdict::fail(format!(
                "Loại bản ghi «{type_name}» không được hỗ trợ (A, AAAA, MX, NS, TXT, CNAME)"
            ))
        }
    };
    let domain = session.input.target.trim().trim_end_matches('.').to_owned();
    if domain_text(&domain).is_none() {
        return Verdict::fail(format!("Tên miền «{domain}» không hợp lệ"));
    }
    let resolver = match Resolver::from_config(settings.resolver.as_deref()) {
        // The monitor's own timeout bounds the whole check; the client's is only a backstop.
        Ok(resolver) => resolver.with_timeout(Duration::from_secs(
            u64::from(session.input.timeout_secs.clamp(1, 120)) + 1,
        )),
        Err(problem) => return Verdict::fail(problem.to_string()),
    };
    let expected: BTreeSet<String> = settings
        .expected
        .iter()
        .map(|e| normalise_expected(record_type, e))
        .filter(|e| !e.is_empty())
        .collect();
    session.detail("resolver", resolver.addr().to_string());
    session.detail("record_type", type_name.clone());

    let started = Instant::now();
    session.stage = Some(format!("chờ trả lời từ máy chủ DNS {}", resolver.addr()));
    let response = match resolver.lookup(&domain, record_type).await {
        Ok(response) => response,
        Err(problem) => return Verdict::fail(problem.to_string()),
    };
    session.set_latency(started.elapsed());
    session.context.connected = true;
    let rcode = response.rcode.clone();
    session.context.dns_rcode = Some(rcode.clone());
    session.detail("rcode", rcode.clone());
    if response.over_tcp {
        session.detail("transport", "tcp");
    }

    let answers: BTreeSet<String> = response.texts(record_type).into_iter().collect();
    let answers: Vec<String> = answers.into_iter().collect();
    session.context.ip = answers
        .iter()
        .find(|a| a.parse::<IpAddr>().is_ok())
        .cloned();
    session.context.body = Some(answers.join("\n"));
    session.detail("answers", answers.clone());
    session.dns_answers = Some(answers.clone());

    let ms = started.elapsed().as_millis();
    let mut problems = Vec::new();
    if conditions.is_empty() {
        if !response.is_noerror() {
            problems.push(format!("máy chủ trả lời {rcode}"));
        } else if answers.is_empty() {
            problems.push("không có bản ghi".to_owned());
        }
    }
    // Compared as the user wrote them: MX without preferences compares the hosts only.
    let compared: BTreeSet<String> = if record_type == RecordType::MX
        && !expected.is_empty()
        && expected.iter().all(|e| !e.contains(' '))
    {
        answers
            .iter()
            .map(|a| a.rsplit(' ').next().unwrap_or(a).to_owned())
            .collect()
    } else {
        answers.iter().cloned().collect()
    };
    if !expected.is_empty() && compared != expected {
        let missing: Vec<&String> = expected.difference(&compared).collect();
        let unexpected: Vec<&String> = compared.difference(&expected).collect();
        session.detail("expected", expected.iter().cloned().collect::<Vec<_>>());
        session.detail(
            "missing",
            missing.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        );
        session.detail(
            "unexpected",
            unexpected.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        );
        let mut change = Vec::new();
        if !missing.is_empty() {
            change.push(format!("thiếu {}", join(&missing)));
        }
        if !unexpected.is_empty() {
            change.push(format!("có thêm {}", join(&unexpected)));
        }
        problems.push(format!("khác giá trị mong đợi: {}", change.join(", ")));
    }
    problems.extend(session.failed_conditions(conditions));

    let shown = if answers.is_empty() {
        format!("không có bản ghi ({rcode})")
    } else {
        text::clip(&answers.join(", "), 200)
    };
    let headline = format!("DNS {type_name} {domain}: {shown} ({ms} ms)");
    Verdict::from_problems(headline, &problems)
}

fn join(values: &[&String]) -> String {
    text::clip(
        &values
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        200,
    )
}

/// An expected value written by a user, in the form answers take.
fn normalise_expected(record_type: RecordType, value: &str) -> String {
    let value = value.trim();
    let name = |text: &str| {
        let text = text.trim().trim_end_matches('.');
        domain_text(text).unwrap_or_else(|| text.to_ascii_lowercase())
    };
    match record_type {
        RecordType::A | RecordType::AAAA => value
            .parse::<IpAddr>()
            .map(|ip| ip.to_string())
            .unwrap_or_else(|_| value.to_owned()),
        RecordType::MX => match value.split_once(char::is_whitespace) {
            Some((preference, host)) if preference.parse::<u16>().is_ok() => {
                format!(
                    "{} {}",
                    preference.parse::<u16>().unwrap_or_default(),
                    name(host)
                )
            }
            _ => name(value),
        },
        RecordType::NS | RecordType::CNAME => name(value),
        RecordType::TXT => value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value)
            .to_owned(),
        _ => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_values_take_the_answers_form() {
        assert_eq!(normalise_expected(RecordType::A, " 10.0.0.1 "), "10.0.0.1");
        assert_eq!(
            normalise_expected(RecordType::AAAA, "2001:DB8::0:1"),
            "2001:db8::1"
        );
        assert_eq!(
            normalise_expected(RecordType::MX, "10  Mail.Example.VN."),
            "10 mail.example.vn"
        );
        assert_eq!(
            normalise_expected(RecordType::MX, "mail.example.vn"),
            "mail.example.vn"
        );
        assert_eq!(
            normalise_expected(RecordType::NS, "NS1.Example.vn."),
            "ns1.example.vn"
        );
        assert_eq!(
            normalise_expected(RecordType::TXT, "\"v=spf1 -all\""),
            "v=spf1 -all"
        );
        let idn = normalise_expected(RecordType::CNAME, "Cổng.vn");
        assert!(idn.starts_with("xn--") && idn.ends_with(".vn"), "{idn}");
    }
}
