//! A domain's mail posture read from DNS (and the MTA-STS policy over HTTPS).

use std::net::SocketAddr;
use std::time::Duration;

use canhgac_dns::{Answer, RecordType, Resolver};
use canhgac_model::scan::{category, ScanEvidence, ScanIssue};
use canhgac_model::Severity;
use serde::{Deserialize, Serialize};

use crate::dkim::DkimRecord;
use crate::dmarc::{is_dmarc, organizational_domain, DmarcRecord};
use crate::mta_sts::{fetch_policy, record_id, MtaStsPolicy, PolicyFetch};
use crate::spf::{self, Qualifier, SpfRecord, SpfWalk, LOOKUP_LIMIT, VOID_LOOKUP_LIMIT};
use crate::{tag_list, IssueText};

/// What [`check_domain`] looks at beyond the records every domain has.
#[derive(Debug, Clone, Default)]
pub struct MailOptions {
    /// DKIM selectors to read (`<selector>._domainkey.<domain>`); DKIM is not checked without.
    pub dkim_selectors: Vec<String>,
    /// Fetch the MTA-STS policy from this address instead of resolving `mta-sts.<domain>`.
    pub mta_sts_address: Option<SocketAddr>,
    /// Root certificates (PEM) trusted for the MTA-STS fetch beside the web PKI roots.
    pub extra_roots_pem: Option<Vec<u8>>,
    /// Timeout of the MTA-STS fetch (10 s when zero).
    pub http_timeout: Duration,
}

/// One MX host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MxHost {
    /// The preference.
    pub preference: u16,
    /// The host name.
    pub host: String,
    /// Its A and AAAA addresses.
    pub addresses: Vec<String>,
}

/// The SPF record and what the walk found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpfSummary {
    /// The record as published.
    pub record: String,
    /// The deciding `all` (`+`, `-`, `~`, `?`), when there is one.
    pub all: Option<char>,
    /// DNS-querying terms counted through includes and redirects.
    pub lookups: usize,
    /// Domains read during the walk.
    pub domains: Vec<String>,
}

/// The DMARC record in short.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmarcSummary {
    /// The record as published.
    pub record: String,
    /// The parsed record.
    pub parsed: DmarcRecord,
}

/// One DKIM selector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DkimSummary {
    /// The selector.
    pub selector: String,
    /// The parsed key record, when one was published.
    pub key: Option<DkimRecord>,
}

/// MTA-STS: the record's id and the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MtaStsSummary {
    /// The `_mta-sts` record.
    pub record: String,
    /// Its id, when valid.
    pub id: Option<String>,
    /// The policy, when fetched.
    pub policy: Option<MtaStsPolicy>,
    /// Why the policy could not be fetched.
    pub fetch_error: Option<String>,
}

/// A domain's mail posture, for the console, and the issues it raises.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainPosture {
    /// The domain checked.
    pub domain: String,
    /// MX hosts, by preference.
    pub mx: Vec<MxHost>,
    /// The SPF record, when exactly one is published.
    pub spf: Option<SpfSummary>,
    /// The DMARC record, when exactly one is published.
    pub dmarc: Option<DmarcSummary>,
    /// The DKIM selectors checked.
    pub dkim: Vec<DkimSummary>,
    /// MTA-STS, when a record is published.
    pub mta_sts: Option<MtaStsSummary>,
    /// The TLS-RPT record, when published.
    pub tls_rpt: Option<String>,
    /// Lookups that failed (timeouts, SERVFAIL): what they would have shown is unknown, so
    /// they raise no "missing" issue.
    pub errors: Vec<String>,
    /// The issues found.
    pub issues: Vec<ScanIssue>,
}

impl DomainPosture {
    /// The issues found.
    pub fn issues(&self) -> &[ScanIssue] {
        &self.issues
    }
}

/// TXT texts at `name`: `Ok(texts)` (empty when none or NXDOMAIN), `Err` when the lookup
/// failed.
async fn txt(resolver: &Resolver, name: &str) -> Result<Vec<String>, String> {
    lookup(resolver, name, RecordType::TXT)
        .await
        .map(|answer| answer.texts(RecordType::TXT))
}

async fn lookup(
    resolver: &Resolver,
    name: &str,
    record_type: RecordType,
) -> Result<Answer, String> {
    match resolver.lookup(name, record_type).await {
        Ok(answer) if answer.is_noerror() || answer.is_nxdomain() => Ok(answer),
        Ok(answer) => Err(format!("{name} {record_type}: {}", answer.rcode)),
        Err(error) => Err(format!("{name} {record_type}: {error}")),
    }
}

/// Evidence of a DNS question and the records it got.
fn dns_evidence(name: &str, record_type: &str, records: &[String]) -> ScanEvidence {
    let mut evidence =
        ScanEvidence::exchange(format!("{name} IN {record_type}"), &records.join("\n"));
    evidence.extracted = records.to_vec();
    evidence
}

/// Builds the DNS-record issues of `domain` found at `name`: the evidence is the name's TXT
/// records given with each issue.
fn txt_issue(
    domain: &str,
    name: &str,
) -> impl Fn(&str, Severity, String, String, &str, &str, &[String]) -> ScanIssue {
    let (domain, name) = (domain.to_owned(), name.to_owned());
    move |check, severity, title_vi, title_en, remediation_vi, remediation_en, records| {
        IssueText {
            check,
            category: category::MAIL_DNS,
            severity,
            title_vi,
            title_en,
            remediation_vi,
            remediation_en,
        }
        .issue(&domain, None, &name, dns_evidence(&name, "TXT", records))
    }
}

/// Reads the mail records of `domain` and judges them.
pub async fn check_domain(
    resolver: &Resolver,
    domain: &str,
    options: &MailOptions,
) -> DomainPosture {
    let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let mut posture = DomainPosture {
        domain: domain.clone(),
        mx: Vec::new(),
        spf: None,
        dmarc: None,
        dkim: Vec::new(),
        mta_sts: None,
        tls_rpt: None,
        errors: Vec::new(),
        issues: Vec::new(),
    };
    check_mx(resolver, &mut posture).await;
    let spf_all = check_spf(resolver, &mut posture).await;
    let dmarc_enforces = check_dmarc(resolver, &mut posture).await;
    if spf_all == Some(Qualifier::SoftFail) {
        // `~all` is what M3AAWG advises beside DMARC: DMARC fails unaligned mail whether SPF
        // says fail or softfail, and softfail lets receivers still read DKIM on forwarded
        // mail. Without an enforcing DMARC policy it leaves the decision to each receiver.
        let severity = if dmarc_enforces {
            Severity::Informational
        } else {
            Severity::Low
        };
        let record = posture
            .spf
            .as_ref()
            .map(|s| s.record.clone())
            .unwrap_or_default();
        posture.issues.push(
            IssueText {
                check: "mail.spf.softfail",
                category: category::MAIL_DNS,
                severity,
                title_vi: format!("SPF của {domain} kết thúc bằng ~all (chỉ đánh dấu, không từ chối)"),
                title_en: format!("SPF of {domain} ends in ~all (soft fail)"),
                remediation_vi: "Giữ ~all khi DMARC đã ở p=quarantine hoặc p=reject; nếu chưa, bật DMARC chặt hoặc dùng -all.",
                remediation_en: "Keep ~all only with an enforcing DMARC policy; otherwise enforce DMARC or use -all.",
            }
            .issue(&domain, None, &domain, dns_evidence(&domain, "TXT", &[record])),
        );
    }
    for selector in &options.dkim_selectors {
        check_dkim(resolver, &mut posture, selector).await;
    }
    check_mta_sts(resolver, &mut posture, options).await;
    check_tls_rpt(resolver, &mut posture).await;
    posture
}

async fn check_mx(resolver: &Resolver, posture: &mut DomainPosture) {
    let domain = posture.domain.clone();
    let answer = match lookup(resolver, &domain, RecordType::MX).await {
        Ok(answer) => answer,
        Err(error) => return posture.errors.push(error),
    };
    let mut hosts: Vec<(u16, String)> = answer
        .texts(RecordType::MX)
        .iter()
        .filter_map(|text| {
            let (preference, host) = text.split_once(' ')?;
            Some((preference.parse().ok()?, host.to_owned()))
        })
        .collect();
    hosts.sort();
    if hosts.is_empty() {
        posture.issues.push(
            IssueText {
                check: "mail.mx.missing",
                category: category::MAIL_DNS,
                severity: Severity::Medium,
                title_vi: format!("Tên miền {domain} không có bản ghi MX"),
                title_en: format!("Domain {domain} has no MX record"),
                remediation_vi: "Khai báo bản ghi MX trỏ tới máy chủ thư; nếu tên miền không nhận thư, khai báo MX rỗng (\"0 .\", RFC 7505) và SPF \"v=spf1 -all\".",
                remediation_en: "Publish MX records for the mail servers, or a null MX (\"0 .\", RFC 7505) and \"v=spf1 -all\" if the domain takes no mail.",
            }
            .issue(&domain, None, &domain, dns_evidence(&domain, "MX", std::slice::from_ref(&answer.rcode))),
        );
        return;
    }
    for (preference, host) in hosts {
        // A null MX ("0 .") says the domain takes no mail: nothing to resolve.
        if host == "." {
            posture.mx.push(MxHost {
                preference,
                host,
                addresses: Vec::new(),
            });
            continue;
        }
        let mut addresses = Vec::new();
        let mut failed = false;
        for record_type in [RecordType::A, RecordType::AAAA] {
            match lookup(resolver, &host, record_type).await {
                Ok(answer) => addresses.extend(answer.texts(record_type)),
                Err(error) => {
                    failed = true;
                    posture.errors.push(error);
                }
            }
        }
        if addresses.is_empty() && !failed {
            posture.issues.push(
                IssueText {
                    check: "mail.mx.unresolvable",
                    category: category::MAIL_DNS,
                    severity: Severity::Medium,
                    title_vi: format!("Máy chủ MX {host} của {domain} không có địa chỉ IP"),
                    title_en: format!("MX host {host} of {domain} does not resolve"),
                    remediation_vi:
                        "Khai báo bản ghi A/AAAA cho máy chủ MX hoặc bỏ MX không còn dùng.",
                    remediation_en:
                        "Publish A/AAAA records for the MX host or remove the stale MX.",
                }
                .issue(&domain, None, &host, dns_evidence(&host, "A/AAAA", &[])),
            );
        }
        posture.mx.push(MxHost {
            preference,
            host,
            addresses,
        });
    }
}

/// Checks SPF; returns the deciding `all` qualifier.
async fn check_spf(resolver: &Resolver, posture: &mut DomainPosture) -> Option<Qualifier> {
    let domain = posture.domain.clone();
    let texts = match txt(resolver, &domain).await {
        Ok(texts) => texts,
        Err(error) => {
            posture.errors.push(error);
            return None;
        }
    };
    let records: Vec<String> = texts.into_iter().filter(|t| spf::is_spf(t)).collect();
    let issue = txt_issue(&domain, &domain);
    let text = match records.as_slice() {
        [] => {
            posture.issues.push(issue(
                "mail.spf.missing",
                Severity::Medium,
                format!("Tên miền {domain} không có bản ghi SPF"),
                format!("Domain {domain} has no SPF record"),
                "Khai báo bản ghi TXT \"v=spf1 ... -all\" liệt kê các máy chủ được gửi thư thay tên miền.",
                "Publish a TXT record \"v=spf1 ... -all\" listing the hosts allowed to send for the domain.",
                &[],
            ));
            return None;
        }
        [one] => one.clone(),
        _ => {
            posture.issues.push(issue(
                "mail.spf.multiple",
                Severity::Medium,
                format!(
                    "Tên miền {domain} có {} bản ghi SPF (bên nhận coi là lỗi)",
                    records.len()
                ),
                format!(
                    "Domain {domain} publishes {} SPF records (a permanent error)",
                    records.len()
                ),
                "Gộp thành một bản ghi SPF duy nhất.",
                "Merge them into a single SPF record.",
                &records,
            ));
            return None;
        }
    };
    let record = SpfRecord::parse(&text)?;
    let shown = std::slice::from_ref(&text);
    if record.has_errors() {
        let terms: Vec<&str> = record
            .unknown_mechanisms
            .iter()
            .chain(&record.invalid_terms)
            .map(String::as_str)
            .collect();
        let mut evidence_issue = issue(
            "mail.spf.syntax",
            Severity::Medium,
            format!("SPF của {domain} sai cú pháp: {}", terms.join(" ")),
            format!("SPF of {domain} has syntax errors: {}", terms.join(" ")),
            "Sửa hoặc bỏ các thành phần sai; bên nhận coi cả bản ghi là lỗi (permerror).",
            "Fix or remove the wrong terms; receivers treat the whole record as a permanent error.",
            shown,
        );
        evidence_issue.evidence.details = serde_json::json!({
            "unknown_mechanisms": record.unknown_mechanisms,
            "invalid_terms": record.invalid_terms,
        });
        posture.issues.push(evidence_issue);
    }
    if !record.unknown_modifiers.is_empty() {
        posture.issues.push(issue(
            "mail.spf.unknown_modifier",
            Severity::Low,
            format!(
                "SPF của {domain} có modifier lạ: {}",
                record.unknown_modifiers.join(" ")
            ),
            format!(
                "SPF of {domain} has unknown modifiers: {}",
                record.unknown_modifiers.join(" ")
            ),
            "Kiểm tra lỗi chính tả (redirect=, exp=); bên nhận bỏ qua modifier lạ.",
            "Check for typos (redirect=, exp=); receivers ignore unknown modifiers.",
            shown,
        ));
    }
    let walk: SpfWalk = spf::walk(resolver, &domain, &record).await;
    let all = walk.effective_all;
    if walk.lookups > LOOKUP_LIMIT {
        let mut too_many = issue(
            "mail.spf.too_many_lookups",
            Severity::Medium,
            format!("SPF của {domain} cần {} lượt tra DNS (tối đa {LOOKUP_LIMIT})", walk.lookups),
            format!("SPF of {domain} needs {} DNS lookups (limit {LOOKUP_LIMIT})", walk.lookups),
            "Giảm include/a/mx/ptr/exists (thay bằng ip4/ip6, bỏ include thừa) để tổng không quá 10; quá 10 thì bên nhận coi SPF là lỗi (permerror).",
            "Reduce include/a/mx/ptr/exists terms (use ip4/ip6, drop unused includes) to 10 or fewer; past 10 receivers return permerror.",
            shown,
        );
        too_many.evidence.details =
            serde_json::json!({ "lookups": walk.lookups, "domains": walk.domains });
        posture.issues.push(too_many);
    }
    if walk.void_lookups.len() > VOID_LOOKUP_LIMIT {
        let names = walk.void_lookups.join(", ");
        let count = walk.void_lookups.len();
        let mut void = issue(
            "mail.spf.void_lookups",
            Severity::Medium,
            format!("SPF của {domain} có {count} lượt tra DNS không có kết quả (tối đa {VOID_LOOKUP_LIMIT}): {names}"),
            format!("SPF of {domain} has {count} void DNS lookups (limit {VOID_LOOKUP_LIMIT}): {names}"),
            "Bỏ các include/a/mx/exists trỏ tới tên không còn tồn tại; quá 2 lượt rỗng thì bên nhận coi SPF là lỗi (permerror).",
            "Remove include/a/mx/exists terms naming hosts that no longer exist; past two void lookups receivers return permerror.",
            shown,
        );
        void.evidence.details = serde_json::json!({ "void_lookups": walk.void_lookups });
        posture.issues.push(void);
    }
    if !walk.loops.is_empty() {
        posture.issues.push(issue(
            "mail.spf.loop",
            Severity::Medium,
            format!("SPF của {domain} include vòng: {}", walk.loops.join("; ")),
            format!(
                "SPF of {domain} includes in a loop: {}",
                walk.loops.join("; ")
            ),
            "Bỏ include/redirect trỏ ngược lại tên miền đã có trong chuỗi.",
            "Remove the include/redirect that points back along the chain.",
            shown,
        ));
    }
    if !walk.broken_targets.is_empty() {
        posture.issues.push(issue(
            "mail.spf.broken_include",
            Severity::Medium,
            format!(
                "SPF của {domain} include/redirect tới bản ghi lỗi: {}",
                walk.broken_targets.join("; ")
            ),
            format!(
                "SPF of {domain} includes broken records: {}",
                walk.broken_targets.join("; ")
            ),
            "Sửa hoặc bỏ include/redirect tới tên miền không có đúng một bản ghi SPF hợp lệ.",
            "Fix or drop includes/redirects whose target lacks exactly one valid SPF record.",
            shown,
        ));
    }
    match all {
        Some(Qualifier::Pass) => posture.issues.push(issue(
            "mail.spf.pass_all",
            Severity::High,
            format!("SPF của {domain} cho phép mọi máy gửi thư (+all)"),
            format!("SPF of {domain} authorises every sender (+all)"),
            "Đổi +all thành -all (hoặc ~all kèm DMARC chặt): +all cho phép bất kỳ ai giả mạo tên miền.",
            "Replace +all with -all (or ~all with enforcing DMARC): +all lets anyone send as the domain.",
            shown,
        )),
        Some(Qualifier::Neutral) | None => posture.issues.push(issue(
            "mail.spf.neutral_all",
            Severity::Medium,
            format!("SPF của {domain} không từ chối máy gửi lạ (?all hoặc không có all)"),
            format!("SPF of {domain} does not reject other senders (?all or no all)"),
            "Kết thúc bản ghi bằng -all (hoặc ~all kèm DMARC chặt).",
            "End the record with -all (or ~all with enforcing DMARC).",
            shown,
        )),
        _ => {}
    }
    posture.spf = Some(SpfSummary {
        record: text.clone(),
        all: all.map(Qualifier::symbol),
        lookups: walk.lookups,
        domains: walk.domains,
    });
    all
}

/// Checks DMARC; returns whether the policy is enforced (quarantine or reject, valid).
/// The DMARC records published at `name`; `None` (the error kept) when DNS did not answer.
async fn dmarc_records(
    resolver: &Resolver,
    name: &str,
    posture: &mut DomainPosture,
) -> Option<Vec<String>> {
    match txt(resolver, name).await {
        Ok(texts) => Some(texts.into_iter().filter(|t| is_dmarc(t)).collect()),
        Err(error) => {
            posture.errors.push(error);
            None
        }
    }
}

async fn check_dmarc(resolver: &Resolver, posture: &mut DomainPosture) -> bool {
    let domain = posture.domain.clone();
    let mut name = format!("_dmarc.{domain}");
    let Some(mut records) = dmarc_records(resolver, &name, posture).await else {
        return false;
    };
    // RFC 7489 §6.6.3: a domain without its own record falls under its organisational domain's,
    // whose subdomain policy (sp, else p) then applies.
    let mut inherited = false;
    if records.is_empty() {
        if let Some(org) = organizational_domain(&domain).filter(|org| *org != domain) {
            let org_name = format!("_dmarc.{org}");
            match dmarc_records(resolver, &org_name, posture).await {
                Some(found) if !found.is_empty() => {
                    (name, records, inherited) = (org_name, found, true);
                }
                Some(_) => {}
                None => return false,
            }
        }
    }
    let issue = txt_issue(&domain, &name);
    let text = match records.as_slice() {
        [one] => one.clone(),
        [] => {
            posture.issues.push(issue(
                "mail.dmarc.missing",
                Severity::Medium,
                format!("Tên miền {domain} không có bản ghi DMARC"),
                format!("Domain {domain} has no DMARC record"),
                "Khai báo _dmarc TXT \"v=DMARC1; p=none; rua=mailto:...\" để thu báo cáo, rồi nâng dần lên p=quarantine và p=reject.",
                "Publish \"v=DMARC1; p=none; rua=mailto:...\" at _dmarc to collect reports, then move to p=quarantine and p=reject.",
                &[],
            ));
            return false;
        }
        _ => {
            posture.issues.push(issue(
                "mail.dmarc.multiple",
                Severity::Medium,
                format!(
                    "Tên miền {domain} có {} bản ghi DMARC (bên nhận bỏ qua cả)",
                    records.len()
                ),
                format!(
                    "Domain {domain} publishes {} DMARC records (all ignored)",
                    records.len()
                ),
                "Chỉ giữ một bản ghi DMARC.",
                "Keep a single DMARC record.",
                &records,
            ));
            return false;
        }
    };
    let parsed = DmarcRecord::parse(&text);
    let shown = std::slice::from_ref(&text);
    posture.dmarc = Some(DmarcSummary {
        record: text.clone(),
        parsed: parsed.clone(),
    });
    if !parsed.is_valid() {
        posture.issues.push(issue(
            "mail.dmarc.invalid",
            Severity::Medium,
            format!(
                "DMARC của {domain} không hợp lệ: {}",
                parsed.problems.join("; ")
            ),
            format!(
                "DMARC of {domain} is invalid: {}",
                parsed.problems.join("; ")
            ),
            "Sửa bản ghi theo RFC 7489: v=DMARC1; p=none|quarantine|reject; ...",
            "Fix the record per RFC 7489: v=DMARC1; p=none|quarantine|reject; ...",
            shown,
        ));
        return false;
    }
    let policy = if inherited {
        parsed.subdomain_policy.clone().or(parsed.policy.clone())
    } else {
        parsed.policy.clone()
    }
    .unwrap_or_default();
    if policy == "none" {
        posture.issues.push(issue(
            "mail.dmarc.policy_none",
            Severity::Medium,
            format!("DMARC của {domain} chỉ theo dõi ({name}: none), không chặn thư giả mạo"),
            format!("DMARC of {domain} only monitors ({name}: none)"),
            "Sau khi đọc báo cáo và sửa các nguồn gửi hợp lệ, nâng lên p=quarantine rồi p=reject.",
            "Once reports show legitimate sources aligned, move to p=quarantine, then p=reject.",
            shown,
        ));
    }
    if policy != "none" && parsed.effective_pct() < 100 {
        posture.issues.push(issue(
            "mail.dmarc.partial_pct",
            Severity::Low,
            format!(
                "DMARC của {domain} chỉ áp dụng cho {}% thư (pct)",
                parsed.effective_pct()
            ),
            format!(
                "DMARC of {domain} applies to {}% of mail only (pct)",
                parsed.effective_pct()
            ),
            "Nâng pct lên 100 (hoặc bỏ thẻ pct).",
            "Raise pct to 100 (or drop the tag).",
            shown,
        ));
    }
    if !inherited && policy != "none" && parsed.subdomain_policy.as_deref() == Some("none") {
        posture.issues.push(issue(
            "mail.dmarc.subdomain_none",
            Severity::Low,
            format!("DMARC của {domain} không chặn giả mạo tên miền con (sp=none)"),
            format!("DMARC of {domain} leaves subdomains unprotected (sp=none)"),
            "Bỏ sp=none hoặc đặt sp=quarantine/reject.",
            "Drop sp=none or set sp=quarantine/reject.",
            shown,
        ));
    }
    // Failure reports (ruf) are sent by few receivers and carry message content, so only the
    // aggregate reports are asked for; a missing ruf shows in the posture, not as an issue.
    if parsed.rua.is_empty() {
        posture.issues.push(issue(
            "mail.dmarc.no_reports",
            Severity::Low,
            format!("DMARC của {domain} không nhận báo cáo tổng hợp (thiếu rua)"),
            format!("DMARC of {domain} requests no aggregate reports (no rua)"),
            "Thêm rua=mailto:<hộp thư báo cáo> để biết ai đang gửi thư thay tên miền.",
            "Add rua=mailto:<report mailbox> to learn who sends as the domain.",
            shown,
        ));
    }
    policy == "quarantine" || policy == "reject"
}

async fn check_dkim(resolver: &Resolver, posture: &mut DomainPosture, selector: &str) {
    let domain = posture.domain.clone();
    let name = format!("{selector}._domainkey.{domain}");
    let texts = match txt(resolver, &name).await {
        Ok(texts) => texts,
        Err(error) => return posture.errors.push(error),
    };
    let issue = txt_issue(&domain, &name);
    // A key record may omit v=DKIM1; any TXT with p= is read.
    let Some(text) = texts
        .iter()
        .find(|t| tag_list(t).iter().any(|(n, _)| n == "p"))
        .cloned()
    else {
        posture.issues.push(issue(
            "mail.dkim.missing",
            Severity::Medium,
            format!("Không có khóa DKIM cho selector «{selector}» của {domain}"),
            format!("No DKIM key for selector \"{selector}\" of {domain}"),
            "Khai báo khóa công khai DKIM của máy chủ thư tại <selector>._domainkey.",
            "Publish the mail server's DKIM public key at <selector>._domainkey.",
            &texts,
        ));
        posture.dkim.push(DkimSummary {
            selector: selector.to_owned(),
            key: None,
        });
        return;
    };
    let key = DkimRecord::parse(&text);
    let shown = std::slice::from_ref(&text);
    if key.revoked {
        posture.issues.push(issue(
            "mail.dkim.revoked",
            Severity::Low,
            format!("Khóa DKIM selector «{selector}» của {domain} đã bị thu hồi (p= rỗng)"),
            format!("DKIM key of selector \"{selector}\" of {domain} is revoked (empty p=)"),
            "Nếu selector còn dùng để ký, công bố khóa mới; nếu không, có thể bỏ bản ghi.",
            "Publish a new key if the selector still signs mail; otherwise the record can go.",
            shown,
        ));
    } else if let Some(problem) = &key.problem {
        posture.issues.push(issue(
            "mail.dkim.invalid",
            Severity::Medium,
            format!("Khóa DKIM selector «{selector}» của {domain} không đọc được: {problem}"),
            format!("DKIM key of selector \"{selector}\" of {domain} is unreadable: {problem}"),
            "Công bố lại khóa công khai (base64 của SubjectPublicKeyInfo).",
            "Republish the public key (base64 SubjectPublicKeyInfo).",
            shown,
        ));
    } else if let Some(bits) = key.rsa_bits.filter(|bits| *bits < 2048) {
        // Under 1024 bits a key can be factored by a determined attacker (RFC 8301 forbids
        // them for signing); 1024 is allowed but below today's advice.
        let severity = if bits < 1024 {
            Severity::High
        } else {
            Severity::Low
        };
        let mut weak = issue(
            "mail.dkim.weak_key",
            severity,
            format!("Khóa DKIM selector «{selector}» của {domain} chỉ dài {bits} bit"),
            format!("DKIM key of selector \"{selector}\" of {domain} is only {bits} bits"),
            "Tạo khóa RSA 2048 bit (hoặc Ed25519 kèm RSA), công bố ở selector mới rồi chuyển máy chủ sang ký bằng khóa mới.",
            "Generate a 2048-bit RSA key (or Ed25519 beside RSA), publish it under a new selector and switch signing to it.",
            shown,
        );
        weak.evidence.details = serde_json::json!({ "rsa_bits": bits });
        posture.issues.push(weak);
    }
    posture.dkim.push(DkimSummary {
        selector: selector.to_owned(),
        key: Some(key),
    });
}

async fn check_mta_sts(resolver: &Resolver, posture: &mut DomainPosture, options: &MailOptions) {
    let domain = posture.domain.clone();
    let name = format!("_mta-sts.{domain}");
    let texts = match txt(resolver, &name).await {
        Ok(texts) => texts,
        Err(error) => return posture.errors.push(error),
    };
    let issue = |check: &str,
                 severity,
                 vi: String,
                 en: String,
                 rem_vi: &str,
                 rem_en: &str,
                 evidence: ScanEvidence| {
        IssueText {
            check,
            category: category::MAIL_DNS,
            severity,
            title_vi: vi,
            title_en: en,
            remediation_vi: rem_vi,
            remediation_en: rem_en,
        }
        .issue(&domain, None, &name, evidence)
    };
    let records: Vec<&String> = texts
        .iter()
        .filter(|t| t.trim_start().starts_with("v=STSv1"))
        .collect();
    let Some(record) = records.first().map(|r| (*r).clone()) else {
        posture.issues.push(issue(
            "mail.mta_sts.missing",
            Severity::Low,
            format!("Tên miền {domain} không có MTA-STS (thư đến có thể bị hạ cấp khỏi TLS)"),
            format!("Domain {domain} has no MTA-STS (inbound mail can be downgraded from TLS)"),
            "Công bố chính sách tại https://mta-sts.<tên miền>/.well-known/mta-sts.txt và bản ghi _mta-sts TXT \"v=STSv1; id=...\".",
            "Publish a policy at https://mta-sts.<domain>/.well-known/mta-sts.txt and a _mta-sts TXT \"v=STSv1; id=...\".",
            dns_evidence(&name, "TXT", &texts),
        ));
        return;
    };
    let mut summary = MtaStsSummary {
        record: record.clone(),
        id: None,
        policy: None,
        fetch_error: None,
    };
    match record_id(&record) {
        Ok(id) => summary.id = Some(id),
        Err(problem) => posture.issues.push(issue(
            "mail.mta_sts.invalid",
            Severity::Medium,
            format!("Bản ghi MTA-STS của {domain} không hợp lệ: {problem}"),
            format!("MTA-STS record of {domain} is invalid: {problem}"),
            "Sửa bản ghi thành \"v=STSv1; id=<1–32 chữ cái/số>\".",
            "Fix the record to \"v=STSv1; id=<1-32 letters/digits>\".",
            dns_evidence(&name, "TXT", std::slice::from_ref(&record)),
        )),
    }
    let url = format!("https://mta-sts.{domain}/.well-known/mta-sts.txt");
    let fetch = PolicyFetch {
        address: options.mta_sts_address,
        extra_roots_pem: options.extra_roots_pem.clone(),
        timeout: options.http_timeout,
    };
    match fetch_policy(&domain, &fetch).await {
        Err(error) => {
            posture.issues.push(issue(
                "mail.mta_sts.policy_unavailable",
                Severity::Medium,
                format!("Không tải được chính sách MTA-STS của {domain}: {error}"),
                format!("MTA-STS policy of {domain} cannot be fetched: {error}"),
                "Phục vụ tệp chính sách qua HTTPS với chứng thư hợp lệ cho mta-sts.<tên miền>, trả 200 và không chuyển hướng.",
                "Serve the policy over HTTPS with a valid certificate for mta-sts.<domain>, 200 and no redirect.",
                ScanEvidence::exchange(format!("GET {url}"), &error),
            ));
            summary.fetch_error = Some(error);
        }
        Ok(body) => {
            let policy = MtaStsPolicy::parse(&body);
            let evidence = || ScanEvidence::exchange(format!("GET {url}"), &body);
            if !policy.problems.is_empty() {
                posture.issues.push(issue(
                    "mail.mta_sts.invalid_policy",
                    Severity::Medium,
                    format!(
                        "Chính sách MTA-STS của {domain} không hợp lệ: {}",
                        policy.problems.join("; ")
                    ),
                    format!(
                        "MTA-STS policy of {domain} is invalid: {}",
                        policy.problems.join("; ")
                    ),
                    "Sửa tệp theo RFC 8461: version: STSv1, mode, mx, max_age.",
                    "Fix the file per RFC 8461: version: STSv1, mode, mx, max_age.",
                    evidence(),
                ));
            }
            if let Some(mode @ ("testing" | "none")) = policy.mode.as_deref() {
                posture.issues.push(issue(
                    "mail.mta_sts.not_enforced",
                    Severity::Low,
                    format!("MTA-STS của {domain} ở chế độ {mode}, chưa bắt buộc TLS"),
                    format!("MTA-STS of {domain} is in {mode} mode, TLS not enforced"),
                    "Khi báo cáo TLS-RPT ổn định, chuyển sang mode: enforce.",
                    "Once TLS-RPT reports are clean, switch to mode: enforce.",
                    evidence(),
                ));
            }
            // RFC 8461 §3.2 advises weeks; under a day a sender's cached policy lapses between
            // visits and a downgrade attacker only has to wait.
            if let Some(age) = policy.max_age.filter(|age| *age < 86_400) {
                if policy.mode.as_deref() == Some("enforce") {
                    posture.issues.push(issue(
                        "mail.mta_sts.short_max_age",
                        Severity::Low,
                        format!(
                            "Chính sách MTA-STS của {domain} chỉ được nhớ {age} giây (max_age)"
                        ),
                        format!(
                            "MTA-STS policy of {domain} is cached for {age} seconds only (max_age)"
                        ),
                        "Đặt max_age từ 604800 (một tuần) trở lên.",
                        "Set max_age to 604800 (a week) or more.",
                        evidence(),
                    ));
                }
            }
            let uncovered: Vec<String> = posture
                .mx
                .iter()
                .filter(|mx| mx.host != "." && !policy.covers(&mx.host))
                .map(|mx| mx.host.clone())
                .collect();
            if !uncovered.is_empty() && policy.problems.is_empty() {
                posture.issues.push(issue(
                    "mail.mta_sts.mx_mismatch",
                    Severity::Medium,
                    format!("Chính sách MTA-STS của {domain} không gồm MX: {}", uncovered.join(", ")),
                    format!("MTA-STS policy of {domain} does not cover MX: {}", uncovered.join(", ")),
                    "Thêm dòng mx: cho mọi máy chủ MX; ở chế độ enforce, bên gửi sẽ không giao thư tới MX không khớp.",
                    "Add an mx: line for every MX host; in enforce mode senders will not deliver to unmatched MX.",
                    evidence(),
                ));
            }
            summary.policy = Some(policy);
        }
    }
    posture.mta_sts = Some(summary);
}

async fn check_tls_rpt(resolver: &Resolver, posture: &mut DomainPosture) {
    let domain = posture.domain.clone();
    let name = format!("_smtp._tls.{domain}");
    let texts = match txt(resolver, &name).await {
        Ok(texts) => texts,
        Err(error) => return posture.errors.push(error),
    };
    let record = texts
        .iter()
        .find(|t| t.trim_start().starts_with("v=TLSRPTv1"))
        .cloned();
    let valid = record.as_deref().is_some_and(|r| {
        tag_list(r)
            .iter()
            .any(|(n, v)| n == "rua" && (v.starts_with("mailto:") || v.starts_with("https:")))
    });
    if !valid {
        let (vi, en) = match &record {
            None => (
                format!("Tên miền {domain} không nhận báo cáo TLS-RPT"),
                format!("Domain {domain} has no TLS-RPT record"),
            ),
            Some(_) => (
                format!("Bản ghi TLS-RPT của {domain} thiếu rua hợp lệ"),
                format!("TLS-RPT record of {domain} lacks a valid rua"),
            ),
        };
        // Reports only; their absence weakens nothing by itself.
        posture.issues.push(
            IssueText {
                check: "mail.tls_rpt.missing",
                category: category::MAIL_DNS,
                severity: Severity::Informational,
                title_vi: vi,
                title_en: en,
                remediation_vi: "Khai báo _smtp._tls TXT \"v=TLSRPTv1; rua=mailto:...\" để nhận báo cáo lỗi TLS khi nhận thư.",
                remediation_en: "Publish _smtp._tls TXT \"v=TLSRPTv1; rua=mailto:...\" to receive TLS failure reports.",
            }
            .issue(&domain, None, &name, dns_evidence(&name, "TXT", &texts)),
        );
    }
    posture.tls_rpt = record;
}
