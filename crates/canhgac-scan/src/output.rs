//! A scan report written for people and tools: a table, JSON lines (one issue a line), CSV or
//! SARIF 2.1.0 (for code-scanning dashboards).

use std::io::{self, Write};

use canhgac_model::scan::ScanIssue;
use canhgac_model::Severity;

use crate::run::ScanReport;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned text.
    Table,
    /// JSON lines, one issue per line.
    Json,
    /// CSV with a header line.
    Csv,
    /// SARIF 2.1.0.
    Sarif,
}

/// Language of titles and advice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Vietnamese (the default).
    Vi,
    /// English.
    En,
}

fn title(issue: &ScanIssue, lang: Lang) -> &str {
    match lang {
        Lang::Vi => &issue.title_vi,
        Lang::En => &issue.title_en,
    }
}

fn remediation(issue: &ScanIssue, lang: Lang) -> &str {
    match lang {
        Lang::Vi => &issue.remediation_vi,
        Lang::En => &issue.remediation_en,
    }
}

fn severity_label(severity: Severity, lang: Lang) -> &'static str {
    match lang {
        Lang::Vi => severity.label_vi(),
        Lang::En => severity.code(),
    }
}

/// Writes `report` in `format`.
pub fn write(
    report: &ScanReport,
    format: Format,
    lang: Lang,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Table => table(report, lang, out),
        Format::Json => {
            for issue in &report.issues {
                serde_json::to_writer(&mut *out, issue)?;
                out.write_all(b"\n")?;
            }
            Ok(())
        }
        Format::Csv => csv(report, lang, out),
        Format::Sarif => {
            serde_json::to_writer_pretty(&mut *out, &sarif(report, lang))?;
            out.write_all(b"\n")
        }
    }
}

fn table(report: &ScanReport, lang: Lang, out: &mut dyn Write) -> io::Result<()> {
    let (services_head, issues_head, none) = match lang {
        Lang::Vi => ("Dịch vụ", "Điểm yếu", "Không thấy điểm yếu nào."),
        Lang::En => ("Services", "Weaknesses", "No weaknesses found."),
    };
    writeln!(out, "{services_head}:")?;
    for host in &report.hosts {
        for service in &host.services {
            let product = [service.product.as_deref(), service.version.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            writeln!(
                out,
                "  {:<28} {:>5}/tcp  {:<14} {}",
                host.name,
                service.addr.port,
                service.display_name(),
                product
            )?;
        }
    }
    writeln!(out)?;
    if report.issues.is_empty() {
        return writeln!(out, "{none}");
    }
    writeln!(out, "{issues_head} ({}):", report.issues.len())?;
    for issue in &report.issues {
        writeln!(
            out,
            "  [{:<12}] {:<28} {}\n      {}",
            severity_label(issue.severity, lang),
            issue.subject,
            title(issue, lang),
            issue.check
        )?;
    }
    Ok(())
}

fn csv(report: &ScanReport, lang: Lang, out: &mut dyn Write) -> io::Result<()> {
    let cell = |text: &str| {
        if text.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text.to_owned()
        }
    };
    writeln!(
        out,
        "severity,host,port,check,category,title,subject,remediation,cves"
    )?;
    for issue in &report.issues {
        let fields = [
            issue.severity.code().to_owned(),
            issue.host.clone(),
            issue.port.map(|p| p.to_string()).unwrap_or_default(),
            issue.check.clone(),
            issue.category.clone(),
            title(issue, lang).to_owned(),
            issue.subject.clone(),
            remediation(issue, lang).to_owned(),
            issue.cves.join(" "),
        ];
        let line: Vec<String> = fields.iter().map(|f| cell(f)).collect();
        writeln!(out, "{}", line.join(","))?;
    }
    Ok(())
}

fn sarif(report: &ScanReport, lang: Lang) -> serde_json::Value {
    let mut rules: Vec<serde_json::Value> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for issue in &report.issues {
        if seen.contains(&issue.check.as_str()) {
            continue;
        }
        seen.push(&issue.check);
        rules.push(serde_json::json!({
            "id": issue.check,
            "shortDescription": { "text": title(issue, lang) },
            "help": { "text": remediation(issue, lang) },
            "properties": { "category": issue.category, "tags": [issue.category] },
        }));
    }
    let results: Vec<serde_json::Value> = report
        .issues
        .iter()
        .map(|issue| {
            let level = match issue.severity {
                Severity::Critical | Severity::High => "error",
                Severity::Medium => "warning",
                Severity::Low | Severity::Informational => "note",
            };
            serde_json::json!({
                "ruleId": issue.check,
                "level": level,
                "message": { "text": format!("{}: {}", title(issue, lang), issue.subject) },
                "locations": [{ "physicalLocation": { "artifactLocation": { "uri": issue.subject } } }],
                "partialFingerprints": { "canhgac/v1": issue.finding_key() },
                "properties": {
                    "severity": issue.severity.code(),
                    "host": issue.host,
                    "port": issue.port,
                    "cves": issue.cves,
                    "evidence": issue.evidence,
                },
            })
        })
        .collect();
    serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "canhgac",
                "informationUri": "https://example.invalid/canhgac",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            } },
            "invocations": [{
                "executionSuccessful": true,
                "startTimeUtc": report.started_at.to_string(),
                "endTimeUtc": report.finished_at.to_string(),
            }],
            "results": results,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::Profile;
    use canhgac_model::scan::ScanEvidence;

    fn report() -> ScanReport {
        ScanReport {
            profile: Profile::Quick,
            started_at: jiff::Timestamp::UNIX_EPOCH,
            finished_at: jiff::Timestamp::UNIX_EPOCH,
            hosts: vec![],
            issues: vec![ScanIssue {
                check: "web.exposed.git".into(),
                category: "web_exposure".into(),
                severity: Severity::High,
                title_vi: "Lộ thư mục mã nguồn .git".into(),
                title_en: "Exposed .git repository".into(),
                host: "portal.example.vn".into(),
                port: Some(443),
                subject: "https://portal.example.vn/.git/config".into(),
                evidence: ScanEvidence::exchange("GET /.git/config", "[core]"),
                remediation_vi: "Chặn, xóa \"ngay\"".into(),
                remediation_en: "Deny, remove".into(),
                cves: vec![],
                cvss: None,
                known_exploited: false,
            }],
            categories: vec![],
            attempts: 0,
            requests: 0,
        }
    }

    fn text(format: Format, lang: Lang) -> String {
        let mut out = Vec::new();
        write(&report(), format, lang, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn each_format_carries_the_issue() {
        let table = text(Format::Table, Lang::Vi);
        assert!(
            table.contains("[Cao") && table.contains("Lộ thư mục mã nguồn .git"),
            "{table}"
        );
        assert!(text(Format::Table, Lang::En).contains("Exposed .git repository"));
        let json = text(Format::Json, Lang::Vi);
        assert_eq!(json.lines().count(), 1);
        let issue: ScanIssue = serde_json::from_str(json.lines().next().unwrap()).unwrap();
        assert_eq!(issue.check, "web.exposed.git");
        let csv = text(Format::Csv, Lang::Vi);
        let mut reader = ::csv::Reader::from_reader(csv.as_bytes());
        let row = reader.records().next().unwrap().unwrap();
        assert_eq!(&row[0], "high");
        assert_eq!(&row[7], "Chặn, xóa \"ngay\"");
        let sarif: serde_json::Value =
            serde_json::from_str(&text(Format::Sarif, Lang::En)).unwrap();
        assert_eq!(sarif["version"], "2.1.0");
        assert_eq!(sarif["runs"][0]["results"][0]["level"], "error");
        assert_eq!(
            sarif["runs"][0]["tool"]["driver"]["rules"][0]["id"],
            "web.exposed.git"
        );
    }
}
