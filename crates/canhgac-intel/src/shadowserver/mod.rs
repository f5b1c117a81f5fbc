//! Exposed and compromised hosts reported to the province: Shadowserver-format CSV reports and
//! ministry lists of exposed IPs, URLs and email addresses (directive clause 2b).
//!
//! [`import_report`] reads a report whose header row names the fields (`timestamp`, `ip`,
//! `port`, `hostname`, `tag`, `asn`, `geo`, …; each report type has its own). The report type
//! comes from the file name (`2025-11-20-scan_rdp-vietnam-geo.csv` → `scan_rdp`) or, without
//! one, from the `tag`/`infection` columns. [`import_list`] reads a ministry list: one value
//! per line, or a CSV whose value column is found by its content.
//!
//! Each row is attributed to a unit through a [`Directory`] (networks, domains, email domains;
//! the most specific match wins) and becomes a [`ReportFinding`]: a [`FindingDraft`] with a
//! Vietnamese title (English in the evidence), a severity by report type, the row's fields as
//! evidence, a deadline from a [`DeadlinePolicy`], and a key without the date, so that the
//! next day's report updates the same finding instead of adding one. Rows matching no unit are
//! returned in [`ReportImport::unmatched`], never dropped. All or nothing: the first malformed
//! row refuses the file, naming the row and the problem.
//!
//! This module does no I/O: it takes text and returns values.

mod classify;
#[cfg(test)]
mod tests;

use std::net::IpAddr;

use canhgac_model::finding::category;
use canhgac_model::{FindingDraft, FindingSource, Id, IndicatorKind, Severity, Timestamp};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::csv_text::{guess_delimiter, CsvRows, Record};
use crate::recognise::recognise;

pub use classify::{classify, ReportClass};

/// The province's units as reports are attributed: networks, domains (a host under a domain
/// belongs to it) and email domains. The most specific entry wins.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directory {
    /// IP networks (single addresses as /32 or /128) and their units.
    pub networks: Vec<(IpNet, Id)>,
    /// Domains (lower-case, e.g. `soyte.tinh.gov.vn`) and their units.
    pub domains: Vec<(String, Id)>,
    /// Email domains and their units.
    pub email_domains: Vec<(String, Id)>,
}

impl Directory {
    /// Adds an address range `first`–`last` (both included) as the networks that cover it
    /// exactly; `false` when the ends are of different families or out of order.
    pub fn add_range(&mut self, first: IpAddr, last: IpAddr, unit: Id) -> bool {
        match (first, last) {
            (IpAddr::V4(first), IpAddr::V4(last)) if first <= last => {
                let networks = ipnet::Ipv4Subnets::new(first, last, 0);
                self.networks
                    .extend(networks.map(|network| (IpNet::V4(network), unit)));
                true
            }
            (IpAddr::V6(first), IpAddr::V6(last)) if first <= last => {
                let networks = ipnet::Ipv6Subnets::new(first, last, 0);
                self.networks
                    .extend(networks.map(|network| (IpNet::V6(network), unit)));
                true
            }
            _ => false,
        }
    }

    /// The unit of the narrowest network holding `ip`.
    pub fn unit_of_ip(&self, ip: IpAddr) -> Option<Id> {
        self.networks
            .iter()
            .filter(|(network, _)| network.contains(&ip))
            .max_by_key(|(network, _)| network.prefix_len())
            .map(|&(_, unit)| unit)
    }

    /// The unit of the longest domain that is `host` or a parent of it.
    pub fn unit_of_host(&self, host: &str) -> Option<Id> {
        longest_domain_match(&self.domains, host)
    }

    /// The unit of an email address's domain (or a parent of it).
    pub fn unit_of_email(&self, address: &str) -> Option<Id> {
        let (_, domain) = address.rsplit_once('@')?;
        longest_domain_match(&self.email_domains, domain)
    }
}

fn longest_domain_match(domains: &[(String, Id)], host: &str) -> Option<Id> {
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    domains
        .iter()
        .filter(|(domain, _)| {
            let domain = domain.trim_end_matches('.').to_ascii_lowercase();
            host == domain
                || (host.len() > domain.len()
                    && host.ends_with(&domain)
                    && host.as_bytes()[host.len() - domain.len() - 1] == b'.')
        })
        .max_by_key(|(domain, _)| domain.len())
        .map(|&(_, unit)| unit)
}

/// Days to remediate by severity (the deadline is the import time plus these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlinePolicy {
    /// Critical findings.
    pub critical_days: u16,
    /// High findings.
    pub high_days: u16,
    /// Medium findings.
    pub medium_days: u16,
    /// Low and informational findings.
    pub low_days: u16,
}

impl Default for DeadlinePolicy {
    fn default() -> Self {
        DeadlinePolicy {
            critical_days: 3,
            high_days: 7,
            medium_days: 14,
            low_days: 30,
        }
    }
}

impl DeadlinePolicy {
    /// The deadline of a finding of `severity` learnt at `now`.
    pub fn deadline(&self, severity: Severity, now: Timestamp) -> Timestamp {
        let days = match severity {
            Severity::Critical => self.critical_days,
            Severity::High => self.high_days,
            Severity::Medium => self.medium_days,
            Severity::Low | Severity::Informational => self.low_days,
        };
        now.checked_add(jiff::SignedDuration::from_hours(i64::from(days) * 24))
            .unwrap_or(now)
    }
}

/// A finding from a report, with its deadline (which the store keeps beside the finding).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportFinding {
    /// The finding, attributed to a unit.
    pub draft: FindingDraft,
    /// The English title (the draft's title is Vietnamese).
    pub title_en: String,
    /// When it must be remediated.
    pub deadline: Timestamp,
}

/// A row no unit matched, for the province analyst.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unmatched {
    /// 1-based row (the header is row 1).
    pub row: usize,
    /// The IP, host, URL or address of the row.
    pub subject: String,
    /// The report type (or the list's name).
    pub report_type: String,
}

/// What a report or list gave.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportImport {
    /// The report type (from the file name), or the list's name; `None` when each row's
    /// `tag` named it.
    pub report_type: Option<String>,
    /// One finding per row matched to a unit (rows with the same key merge into one).
    pub findings: Vec<ReportFinding>,
    /// Rows matched to no unit.
    pub unmatched: Vec<Unmatched>,
    /// Data rows read.
    pub rows: usize,
}

/// Why a report or list was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReportError {
    /// The report's header names no `ip` nor `hostname` column.
    #[error("báo cáo thiếu cột ip hoặc hostname / the report has no ip or hostname column")]
    NoAddressColumn,
    /// A row is malformed.
    #[error("dòng {row}: {problem} / row {row}: {problem}")]
    Row {
        /// 1-based row (the header is row 1).
        row: usize,
        /// What is wrong.
        problem: String,
    },
}

impl From<crate::csv_text::CsvError> for ReportError {
    fn from(error: crate::csv_text::CsvError) -> Self {
        ReportError::Row {
            row: error.line,
            problem: error.message,
        }
    }
}

/// The report type a Shadowserver file name carries: `2025-11-20-scan_rdp-vietnam-geo.csv` →
/// `scan_rdp`, `event4_sinkhole_http-asn.csv` → `event4_sinkhole_http`.
pub fn report_type_from_file_name(file_name: &str) -> Option<String> {
    let base = file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(file_name)
        .trim();
    let stem = base
        .strip_suffix(".csv")
        .or_else(|| base.strip_suffix(".CSV"))
        .unwrap_or(base);
    // Drop a leading date `YYYY-MM-DD-`.
    let bytes = stem.as_bytes();
    let without_date = if bytes.len() > 11
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[5..7].iter().all(u8::is_ascii_digit)
        && bytes[7] == b'-'
        && bytes[8..10].iter().all(u8::is_ascii_digit)
        && bytes[10] == b'-'
    {
        &stem[11..]
    } else {
        stem
    };
    let report = without_date.split('-').next()?.trim().to_ascii_lowercase();
    let plausible = !report.is_empty()
        && report
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && report.bytes().any(|b| b.is_ascii_alphabetic());
    plausible.then_some(report)
}

/// Reads a Shadowserver-format report. `file_name` gives the report type when it has the usual
/// shape; `now` is the import time (deadlines count from it; rows without a timestamp are
/// observed then).
pub fn import_report(
    text: &str,
    file_name: Option<&str>,
    directory: &Directory,
    policy: &DeadlinePolicy,
    now: Timestamp,
) -> Result<ReportImport, ReportError> {
    let report_type = file_name.and_then(report_type_from_file_name);
    let mut rows = CsvRows::without_comments(text, guess_delimiter(text));
    let Some(header) = rows.next_record()? else {
        return Ok(ReportImport {
            report_type,
            ..ReportImport::default()
        });
    };
    let names: Vec<String> = header
        .fields
        .iter()
        .map(|name| {
            name.trim()
                .trim_start_matches('\u{feff}')
                .to_ascii_lowercase()
        })
        .collect();
    let column = |wanted: &[&str]| {
        wanted
            .iter()
            .find_map(|name| names.iter().position(|column| column == name))
    };
    let ip_column = column(&["ip", "src_ip", "source_ip", "ip_address"]);
    let host_column = column(&["hostname", "host", "domain"]);
    if ip_column.is_none() && host_column.is_none() {
        return Err(ReportError::NoAddressColumn);
    }
    let port_column = column(&["port", "src_port"]);
    let timestamp_column = column(&["timestamp", "time", "date"]);
    let tag_column = column(&["tag", "tags", "type"]);
    let infection_column = column(&["infection", "malware", "family"]);
    let protocol_column = column(&["protocol", "transport"]);

    let mut import = ReportImport {
        report_type: report_type.clone(),
        ..ReportImport::default()
    };
    let mut index_of = std::collections::HashMap::new();
    while let Some(row) = rows.next_record()? {
        import.rows += 1;
        let fail = |problem: String| ReportError::Row {
            row: row.line,
            problem,
        };
        let ip = match cell(&row, ip_column) {
            Some(text) => Some(text.parse::<IpAddr>().map_err(|_| {
                fail(format!(
                    "«{text}» không phải địa chỉ IP / is not an IP address"
                ))
            })?),
            None => None,
        };
        let host =
            cell(&row, host_column).map(|host| host.trim_end_matches('.').to_ascii_lowercase());
        if ip.is_none() && host.is_none() {
            return Err(fail(
                "dòng không có ip hay hostname / the row has no ip nor hostname".into(),
            ));
        }
        let port = match cell(&row, port_column) {
            Some(text) => Some(text.parse::<u16>().map_err(|_| {
                fail(format!(
                    "cổng «{text}» không hợp lệ / port is not a number 0–65535"
                ))
            })?),
            None => None,
        };
        let observed_at = match cell(&row, timestamp_column) {
            Some(text) => parse_report_time(text).ok_or_else(|| {
                fail(format!(
                    "thời điểm «{text}» không hợp lệ / timestamp is not a date"
                ))
            })?,
            None => now,
        };
        let tag = cell(&row, tag_column);
        let infection = cell(&row, infection_column);
        let row_type = report_type
            .clone()
            .or_else(|| tag.map(str::to_ascii_lowercase))
            .or_else(|| infection.map(|_| "infection".to_string()))
            .unwrap_or_else(|| "unknown".to_string());
        let subject_host = ip
            .map(|ip| ip.to_string())
            .or_else(|| host.clone())
            .unwrap_or_default();
        let unit = ip.and_then(|ip| directory.unit_of_ip(ip)).or_else(|| {
            host.as_deref()
                .and_then(|host| directory.unit_of_host(host))
        });
        let Some(unit) = unit else {
            import.unmatched.push(Unmatched {
                row: row.line,
                subject: subject_host,
                report_type: row_type,
            });
            continue;
        };
        let class = classify(&row_type, tag, infection, port, cell(&row, protocol_column));
        let subject = match port {
            Some(port) if class.category == category::EXPOSED_SERVICE => {
                format!("{subject_host}:{port}")
            }
            _ => subject_host.clone(),
        };
        let key = match (class.category, infection) {
            (category::COMPROMISED_HOST, Some(infection)) => format!(
                "shadowserver:{row_type}:{subject_host}:{}",
                infection.to_ascii_lowercase()
            ),
            _ => format!("shadowserver:{row_type}:{subject}"),
        };
        let mut evidence = serde_json::Map::new();
        for (name, value) in names.iter().zip(&row.fields) {
            if !value.is_empty() {
                evidence.insert(name.clone(), serde_json::Value::String(value.clone()));
            }
        }
        evidence.insert("report_type".into(), row_type.clone().into());
        evidence.insert("row".into(), row.line.into());
        evidence.insert("title_en".into(), class.title_en.clone().into());
        let deadline = policy.deadline(class.severity, now);
        evidence.insert("deadline".into(), deadline.to_string().into());
        let finding = ReportFinding {
            draft: FindingDraft {
                source: FindingSource::Intel,
                key: key.clone(),
                category: class.category.to_string(),
                title: class.title_vi,
                severity: class.severity,
                unit_id: Some(unit),
                system_id: None,
                asset_id: None,
                host: Some(subject_host),
                subject,
                evidence: serde_json::Value::Object(evidence),
                remediation: Some(class.remediation_vi),
                observed_at,
            },
            title_en: class.title_en,
            deadline,
        };
        // The same host twice in a report (several timestamps): the latest sighting stays.
        match index_of.get(&(unit, key.clone())) {
            Some(&at) => {
                let kept: &mut ReportFinding = &mut import.findings[at];
                if finding.draft.observed_at >= kept.draft.observed_at {
                    *kept = finding;
                }
            }
            None => {
                index_of.insert((unit, key), import.findings.len());
                import.findings.push(finding);
            }
        }
    }
    Ok(import)
}

fn cell(row: &Record, column: Option<usize>) -> Option<&str> {
    crate::csv_text::cell(row, column)
}

/// Shadowserver writes `2025-11-20 03:14:05` in UTC; RFC 3339 is read too.
fn parse_report_time(text: &str) -> Option<Timestamp> {
    if let Ok(timestamp) = text.parse::<Timestamp>() {
        return Some(timestamp);
    }
    let civil = text
        .trim_end_matches('Z')
        .trim_end_matches(" UTC")
        .parse::<jiff::civil::DateTime>()
        .ok()?;
    jiff::tz::Offset::UTC.to_timestamp(civil).ok()
}

/// A ministry list: its name (shown in titles and keys) and how serious its entries are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MinistryList {
    /// The list's name or the letter's number, e.g. "Danh sách IP lộ lọt 11/2025".
    pub name: String,
    /// Severity of the findings for IPs, networks, hosts and URLs.
    pub severity: Severity,
}

/// Reads a ministry list of exposed IPs, networks, URLs, hosts and email addresses: one per
/// line, or a CSV (any delimiter, an optional header) whose value column is the one holding
/// the most of them. Hashes and text that is none of these refuse the list.
pub fn import_list(
    text: &str,
    list: &MinistryList,
    directory: &Directory,
    policy: &DeadlinePolicy,
    now: Timestamp,
) -> Result<ReportImport, ReportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let delimiter = guess_delimiter(text);
    let mut all_rows = Vec::new();
    let mut rows = CsvRows::new(text, delimiter);
    while let Some(row) = rows.next_record()? {
        all_rows.push(row);
    }
    let width = all_rows.first().map_or(0, |row| row.fields.len());
    let value_column = (0..width)
        .max_by_key(|&column| {
            let hits = all_rows
                .iter()
                .filter(|row| {
                    row.fields
                        .get(column)
                        .is_some_and(|cell| recognise(cell).is_some())
                })
                .count();
            (hits, std::cmp::Reverse(column))
        })
        .unwrap_or(0);
    let has_header = all_rows.first().is_some_and(|row| {
        row.fields
            .get(value_column)
            .is_some_and(|cell| recognise(cell).is_none())
    });
    let header: Vec<String> = if has_header {
        all_rows
            .remove(0)
            .fields
            .iter()
            .map(|name| name.to_lowercase())
            .collect()
    } else {
        Vec::new()
    };
    let mut import = ReportImport {
        report_type: Some(list.name.clone()),
        ..ReportImport::default()
    };
    let mut seen = std::collections::HashSet::new();
    for row in &all_rows {
        import.rows += 1;
        let raw = row.fields.get(value_column).map_or("", |cell| cell.trim());
        let fail = |problem: &str| ReportError::Row {
            row: row.line,
            problem: problem.to_string(),
        };
        if raw.is_empty() {
            return Err(fail("ô giá trị trống / the value cell is empty"));
        }
        let (kind, value) = recognise(raw).ok_or_else(|| {
            fail("không phải IP, mạng, tên miền, URL hay địa chỉ thư / not an IP, network, host, URL or email")
        })?;
        let (unit, host) = match kind {
            IndicatorKind::Ip => {
                let ip: Option<IpAddr> = value.parse().ok();
                (
                    ip.and_then(|ip| directory.unit_of_ip(ip)),
                    Some(value.clone()),
                )
            }
            IndicatorKind::Cidr => {
                let network: Option<IpNet> = value.parse().ok();
                (
                    network.and_then(|network| directory.unit_of_ip(network.network())),
                    None,
                )
            }
            IndicatorKind::Domain => (directory.unit_of_host(&value), Some(value.clone())),
            IndicatorKind::Url => {
                let host = url::Url::parse(&value).ok().and_then(|url| {
                    url.host_str()
                        .map(|host| host.trim_matches(['[', ']']).to_string())
                });
                let unit = host
                    .as_deref()
                    .and_then(|host| match host.parse::<IpAddr>() {
                        Ok(ip) => directory.unit_of_ip(ip),
                        Err(_) => directory.unit_of_host(host),
                    });
                (unit, host)
            }
            IndicatorKind::Email => (directory.unit_of_email(&value), None),
            IndicatorKind::Md5 | IndicatorKind::Sha1 | IndicatorKind::Sha256 => {
                return Err(fail("mã băm không phải địa chỉ / a hash is not an address"))
            }
        };
        let Some(unit) = unit else {
            import.unmatched.push(Unmatched {
                row: row.line,
                subject: value,
                report_type: list.name.clone(),
            });
            continue;
        };
        if !seen.insert((unit, kind, value.clone())) {
            continue;
        }
        let (category, title_vi, title_en, severity, remediation) = if kind == IndicatorKind::Email
        {
            (
                category::EMAIL_BREACHED,
                format!("Địa chỉ thư công vụ bị lộ lọt ({})", list.name),
                format!("Official email address leaked ({})", list.name),
                Severity::Medium.max(list.severity.min(Severity::High)),
                "Đổi mật khẩu hộp thư, bật xác thực hai yếu tố, rà soát đăng nhập bất thường.",
            )
        } else {
            (
                category::LISTED_ADDRESS,
                format!("Địa chỉ trong danh sách cảnh báo ({})", list.name),
                format!("Address on an authority's warning list ({})", list.name),
                list.severity,
                "Xác minh địa chỉ, kiểm tra máy chủ và dịch vụ liên quan, khắc phục và báo cáo kết quả.",
            )
        };
        let deadline = policy.deadline(severity, now);
        let mut evidence = serde_json::Map::new();
        for (index, cell) in row.fields.iter().enumerate() {
            if cell.is_empty() {
                continue;
            }
            let name = header
                .get(index)
                .cloned()
                .unwrap_or_else(|| crate::table::column_letter(index));
            evidence.insert(name, cell.clone().into());
        }
        evidence.insert("list".into(), list.name.clone().into());
        evidence.insert("kind".into(), kind.code().into());
        evidence.insert("row".into(), row.line.into());
        evidence.insert("title_en".into(), title_en.clone().into());
        evidence.insert("deadline".into(), deadline.to_string().into());
        import.findings.push(ReportFinding {
            draft: FindingDraft {
                source: FindingSource::Intel,
                key: format!("list:{}:{}", kind.code(), value),
                category: category.to_string(),
                title: title_vi,
                severity,
                unit_id: Some(unit),
                system_id: None,
                asset_id: None,
                host,
                subject: value,
                evidence: serde_json::Value::Object(evidence),
                remediation: Some(remediation.to_string()),
                observed_at: now,
            },
            title_en,
            deadline,
        });
    }
    Ok(import)
}
