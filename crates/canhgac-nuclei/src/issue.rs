//! A [`TemplateHit`] as the scanner's one result shape, [`ScanIssue`].

use canhgac_model::scan::{category, ScanEvidence, ScanIssue};
use canhgac_model::Severity;

use crate::engine::TemplateHit;
use crate::template::{Template, TemplateSeverity};

const GENERIC_REMEDIATION_VI: &str = "Kiểm tra phát hiện theo mô tả của mẫu kiểm tra; cập nhật \
    phần mềm lên phiên bản đã vá, gỡ bỏ hoặc hạn chế truy cập thành phần bị lộ, rồi quét lại để \
    xác nhận.";
const GENERIC_REMEDIATION_EN: &str = "Review the finding against the template's description; \
    update the software to a fixed version, remove or restrict access to the exposed component, \
    then scan again to confirm.";

fn severity(template: TemplateSeverity) -> Severity {
    match template {
        TemplateSeverity::Critical => Severity::Critical,
        TemplateSeverity::High => Severity::High,
        TemplateSeverity::Medium => Severity::Medium,
        TemplateSeverity::Low => Severity::Low,
        TemplateSeverity::Info | TemplateSeverity::Unknown => Severity::Informational,
    }
}

impl TemplateHit {
    /// The issue the scanner reports: check `template:<id>[:<matcher>]`, category `template`,
    /// severity, titles, remediation, CVEs and CVSS from the template's `info`.
    pub fn to_issue(&self, template: &Template) -> ScanIssue {
        let info = &template.info;
        let title = if info.name.is_empty() {
            template.id.clone()
        } else {
            info.name.clone()
        };
        let (remediation_vi, remediation_en) = match &info.remediation {
            Some(text) => (text.clone(), text.clone()),
            None => (
                GENERIC_REMEDIATION_VI.to_owned(),
                GENERIC_REMEDIATION_EN.to_owned(),
            ),
        };
        let mut evidence = ScanEvidence::exchange(self.request.clone(), &self.response);
        evidence.extracted = self.extracted.clone();
        evidence.details = serde_json::json!({
            "template": template.id,
            "matcher": self.matcher_name,
            "protocol": self.protocol,
            "matched_at": self.matched_at,
            "matched": self.matched,
            "tags": info.tags,
            "references": info.references,
            "cwe": info.classification.cwe_ids,
        });
        ScanIssue {
            check: format!("template:{}", self.check_id()),
            category: category::TEMPLATE.to_owned(),
            severity: severity(info.severity),
            title_vi: title.clone(),
            title_en: title,
            host: self.host.clone(),
            port: Some(self.port),
            subject: self.matched_at.clone(),
            evidence,
            remediation_vi,
            remediation_en,
            cves: info.classification.cve_ids.clone(),
            cvss: info.classification.cvss_score,
            known_exploited: info.tags.iter().any(|t| t.eq_ignore_ascii_case("kev")),
        }
    }
}
