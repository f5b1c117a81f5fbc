//! DMARC records (RFC 7489) published at `_dmarc.<domain>`.

use serde::{Deserialize, Serialize};

use crate::tag_list;

/// One parsed DMARC record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmarcRecord {
    /// `p`: `none`, `quarantine` or `reject` (as written, lower-case).
    pub policy: Option<String>,
    /// `sp`: the policy for subdomains.
    pub subdomain_policy: Option<String>,
    /// `pct`: the share of failing mail the policy applies to (100 when absent).
    pub pct: Option<u8>,
    /// `rua`: where aggregate reports go.
    pub rua: Vec<String>,
    /// `ruf`: where failure reports go.
    pub ruf: Vec<String>,
    /// `adkim`: `r` or `s`.
    pub adkim: Option<String>,
    /// `aspf`: `r` or `s`.
    pub aspf: Option<String>,
    /// Tags RFC 7489 does not define, and pieces without `=`.
    pub unknown_tags: Vec<String>,
    /// What makes receivers ignore the record: a missing or bad `v` or `p`, bad values.
    pub problems: Vec<String>,
}

/// Second-level labels under which registries hand out names (`tinh.gov.vn`, `x.co.uk`): the
/// organisational domain keeps one label more below them. An approximation of the Public Suffix
/// List that covers Vietnamese government and business names without carrying the whole list.
const SECOND_LEVEL_SUFFIXES: &[&str] = &[
    "gov.vn",
    "com.vn",
    "net.vn",
    "org.vn",
    "edu.vn",
    "ac.vn",
    "int.vn",
    "biz.vn",
    "info.vn",
    "name.vn",
    "pro.vn",
    "health.vn",
    "co.uk",
    "gov.uk",
    "ac.uk",
    "org.uk",
    "com.au",
    "gov.au",
    "co.jp",
    "com.cn",
    "gov.cn",
    "com.sg",
    "gov.sg",
    "co.kr",
    "co.th",
    "go.th",
    "com.my",
    "gov.my",
];

/// The organisational domain (RFC 7489 §3.2) of `domain`: its registered name, such as
/// `tinh.gov.vn` for `mail.so-tttt.tinh.gov.vn`. `None` for a bare suffix.
pub fn organizational_domain(domain: &str) -> Option<String> {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = domain.split('.').filter(|l| !l.is_empty()).collect();
    let suffix_labels = match labels.as_slice() {
        [.., second, top]
            if SECOND_LEVEL_SUFFIXES.contains(&format!("{second}.{top}").as_str()) =>
        {
            2
        }
        _ => 1,
    };
    (labels.len() > suffix_labels).then(|| labels[labels.len() - suffix_labels - 1..].join("."))
}

/// Whether a TXT record claims to be DMARC (`v=DMARC1` first).
pub fn is_dmarc(text: &str) -> bool {
    tag_list(text)
        .first()
        .is_some_and(|(name, value)| name == "v" && value.eq_ignore_ascii_case("DMARC1"))
}

const POLICIES: [&str; 3] = ["none", "quarantine", "reject"];

impl DmarcRecord {
    /// Parses a DMARC record; problems are listed rather than refused.
    pub fn parse(text: &str) -> DmarcRecord {
        let mut record = DmarcRecord::default();
        if !is_dmarc(text) {
            record
                .problems
                .push("thẻ đầu tiên phải là v=DMARC1".to_owned());
        }
        for (name, value) in tag_list(text).into_iter().skip(1) {
            let lower = value.to_ascii_lowercase();
            match name.as_str() {
                "p" | "sp" => {
                    if !POLICIES.contains(&lower.as_str()) {
                        record.problems.push(format!(
                            "{name}={value} không phải none, quarantine, reject"
                        ));
                    }
                    if name == "p" {
                        record.policy = Some(lower);
                    } else {
                        record.subdomain_policy = Some(lower);
                    }
                }
                "pct" => match value.parse::<u8>() {
                    Ok(pct) if pct <= 100 => record.pct = Some(pct),
                    _ => record
                        .problems
                        .push(format!("pct={value} không phải số từ 0 đến 100")),
                },
                "rua" => record.rua = uri_list(&value),
                "ruf" => record.ruf = uri_list(&value),
                "adkim" | "aspf" => {
                    if lower != "r" && lower != "s" {
                        record
                            .problems
                            .push(format!("{name}={value} không phải r hoặc s"));
                    }
                    if name == "adkim" {
                        record.adkim = Some(lower);
                    } else {
                        record.aspf = Some(lower);
                    }
                }
                "fo" | "rf" | "ri" | "np" | "t" | "psd" => {}
                "" => record.unknown_tags.push(value),
                _ => record.unknown_tags.push(format!("{name}={value}")),
            }
        }
        if record.policy.is_none() && record.problems.is_empty() {
            record.problems.push("thiếu thẻ p".to_owned());
        }
        record
    }

    /// Receivers apply the record (no problem that voids it).
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }

    /// The share the policy applies to.
    pub fn effective_pct(&self) -> u8 {
        self.pct.unwrap_or(100)
    }
}

fn uri_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|uri| !uri.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organisational_domains_keep_the_registered_name() {
        assert_eq!(
            organizational_domain("Mail.So-TTTT.tinh.gov.vn.").as_deref(),
            Some("tinh.gov.vn")
        );
        assert_eq!(
            organizational_domain("tinh.gov.vn").as_deref(),
            Some("tinh.gov.vn")
        );
        assert_eq!(
            organizational_domain("a.b.example.com").as_deref(),
            Some("example.com")
        );
        assert_eq!(organizational_domain("gov.vn"), None);
        assert_eq!(organizational_domain("vn"), None);
    }

    #[test]
    fn a_strict_record_parses_whole() {
        let record = DmarcRecord::parse(
            "v=DMARC1; p=reject; sp=quarantine; pct=100; rua=mailto:dmarc@example.vn, mailto:x@y.vn; ruf=mailto:f@example.vn; adkim=s; aspf=r; fo=1",
        );
        assert!(record.is_valid(), "{:?}", record.problems);
        assert_eq!(record.policy.as_deref(), Some("reject"));
        assert_eq!(record.subdomain_policy.as_deref(), Some("quarantine"));
        assert_eq!(record.rua.len(), 2);
        assert_eq!(record.ruf, ["mailto:f@example.vn"]);
        assert_eq!(record.adkim.as_deref(), Some("s"));
        assert_eq!(record.effective_pct(), 100);
    }

    #[test]
    fn broken_records_name_their_problems() {
        let record = DmarcRecord::parse("v=DMARC1; p=monitor; pct=150; adkim=x; zz=1");
        assert_eq!(record.problems.len(), 3, "{:?}", record.problems);
        assert_eq!(record.unknown_tags, ["zz=1"]);
        let record = DmarcRecord::parse("p=none; v=DMARC1");
        assert!(!record.is_valid());
        let record = DmarcRecord::parse("v=DMARC1; rua=mailto:a@b.vn");
        assert_eq!(record.problems, ["thiếu thẻ p"]);
        assert!(is_dmarc("v=dmarc1;p=none"));
        assert!(!is_dmarc("v=spf1 -all"));
    }
}
