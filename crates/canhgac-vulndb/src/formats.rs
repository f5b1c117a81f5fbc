//! The three source formats as serde reads them. Checks that need the position of a mistake in
//! the file (a CVE id, a CPE criteria string) happen while deserialising, so a bad value is
//! reported with its line and column like any JSON syntax error.

use serde::{Deserialize, Deserializer};

use crate::cpe::{parse_cpe, Cpe};

/// A `CVE-YYYY-NNNN...` id, checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct CveId(pub(crate) String);

/// Whether `text` has the shape of a CVE id.
pub(crate) fn is_cve_id(text: &str) -> bool {
    let Some(rest) = text.strip_prefix("CVE-") else {
        return false;
    };
    let Some((year, number)) = rest.split_once('-') else {
        return false;
    };
    year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && (4..=19).contains(&number.len())
        && number.bytes().all(|b| b.is_ascii_digit())
}

impl<'de> Deserialize<'de> for CveId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if is_cve_id(&text) {
            Ok(CveId(text))
        } else {
            Err(serde::de::Error::custom(format!(
                "«{text}» is not a CVE id (CVE-YYYY-NNNN)"
            )))
        }
    }
}

/// A CPE match criteria string, parsed.
#[derive(Debug, Clone)]
pub(crate) struct Criteria {
    pub(crate) text: String,
    pub(crate) cpe: Cpe,
}

impl<'de> Deserialize<'de> for Criteria {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let cpe = parse_cpe(&text).map_err(serde::de::Error::custom)?;
        Ok(Criteria { text, cpe })
    }
}

// ---- CISA KEV -------------------------------------------------------------------------------

/// The KEV catalogue file.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct KevCatalog {
    pub(crate) date_released: String,
    pub(crate) vulnerabilities: Vec<KevEntry>,
}

/// One KEV entry.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct KevEntry {
    #[serde(rename = "cveID")]
    pub(crate) cve_id: CveId,
    pub(crate) vendor_project: String,
    pub(crate) product: String,
    pub(crate) vulnerability_name: String,
    pub(crate) date_added: String,
    #[serde(default)]
    pub(crate) short_description: String,
    pub(crate) required_action: String,
    pub(crate) due_date: String,
    #[serde(default)]
    pub(crate) known_ransomware_campaign_use: Option<String>,
    #[serde(default)]
    pub(crate) notes: String,
    #[serde(default)]
    pub(crate) cwes: Vec<String>,
}

// ---- NVD CVE API 2.0 ------------------------------------------------------------------------

/// An NVD CVE 2.0 file (API response page or feed file).
#[derive(Debug, Deserialize)]
pub(crate) struct NvdFile {
    pub(crate) vulnerabilities: Vec<NvdItem>,
}

/// One element of `vulnerabilities`.
#[derive(Debug, Deserialize)]
pub(crate) struct NvdItem {
    pub(crate) cve: NvdCve,
}

/// One CVE record.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NvdCve {
    pub(crate) id: CveId,
    #[serde(default)]
    pub(crate) published: Option<String>,
    pub(crate) last_modified: String,
    #[serde(default)]
    pub(crate) descriptions: Vec<LangString>,
    #[serde(default)]
    pub(crate) metrics: NvdMetrics,
    #[serde(default)]
    pub(crate) weaknesses: Vec<NvdWeakness>,
    #[serde(default)]
    pub(crate) configurations: Vec<NvdConfiguration>,
}

/// A text in a language.
#[derive(Debug, Deserialize)]
pub(crate) struct LangString {
    pub(crate) lang: String,
    pub(crate) value: String,
}

/// The CVSS metrics NVD and CNAs gave.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct NvdMetrics {
    #[serde(rename = "cvssMetricV40", default)]
    pub(crate) v40: Vec<NvdMetric>,
    #[serde(rename = "cvssMetricV31", default)]
    pub(crate) v31: Vec<NvdMetric>,
    #[serde(rename = "cvssMetricV30", default)]
    pub(crate) v30: Vec<NvdMetric>,
}

/// One CVSS metric.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NvdMetric {
    /// `Primary` (NVD's own) or `Secondary` (a CNA's).
    #[serde(rename = "type", default)]
    pub(crate) kind: Option<String>,
    pub(crate) cvss_data: CvssData,
}

/// The scores of a CVSS metric.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CvssData {
    pub(crate) base_score: f64,
    pub(crate) vector_string: String,
    #[serde(default)]
    pub(crate) base_severity: Option<String>,
}

/// A weakness (CWE) list.
#[derive(Debug, Deserialize)]
pub(crate) struct NvdWeakness {
    #[serde(default)]
    pub(crate) description: Vec<LangString>,
}

/// One configuration: nodes joined by the configuration's operator.
#[derive(Debug, Deserialize)]
pub(crate) struct NvdConfiguration {
    #[serde(default)]
    pub(crate) nodes: Vec<NvdNode>,
}

/// One node: CPE matches joined by the node's operator.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NvdNode {
    #[serde(default = "default_operator")]
    pub(crate) operator: String,
    #[serde(default)]
    pub(crate) negate: bool,
    #[serde(default)]
    pub(crate) cpe_match: Vec<NvdCpeMatch>,
}

fn default_operator() -> String {
    "OR".to_owned()
}

/// One CPE match criteria with its version range.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NvdCpeMatch {
    pub(crate) vulnerable: bool,
    pub(crate) criteria: Criteria,
    #[serde(default)]
    pub(crate) version_start_including: Option<String>,
    #[serde(default)]
    pub(crate) version_start_excluding: Option<String>,
    #[serde(default)]
    pub(crate) version_end_including: Option<String>,
    #[serde(default)]
    pub(crate) version_end_excluding: Option<String>,
}

// ---- OSV ------------------------------------------------------------------------------------

/// One OSV record.
#[derive(Debug, Deserialize)]
pub(crate) struct OsvRecord {
    pub(crate) id: String,
    pub(crate) modified: String,
    #[serde(default)]
    pub(crate) published: Option<String>,
    #[serde(default)]
    pub(crate) aliases: Vec<String>,
    #[serde(default)]
    pub(crate) summary: String,
    #[serde(default)]
    pub(crate) details: String,
    #[serde(default)]
    pub(crate) severity: Vec<OsvSeverity>,
    #[serde(default)]
    pub(crate) affected: Vec<OsvAffected>,
}

/// A severity of an OSV record: a CVSS vector, usually.
#[derive(Debug, Deserialize)]
pub(crate) struct OsvSeverity {
    #[serde(rename = "type")]
    pub(crate) kind: String,
    pub(crate) score: String,
}

/// One affected package of an OSV record.
#[derive(Debug, Deserialize)]
pub(crate) struct OsvAffected {
    #[serde(default)]
    pub(crate) package: Option<OsvPackage>,
    #[serde(default)]
    pub(crate) ranges: Vec<OsvRange>,
    #[serde(default)]
    pub(crate) versions: Vec<String>,
}

/// A package in an ecosystem.
#[derive(Debug, Deserialize)]
pub(crate) struct OsvPackage {
    pub(crate) ecosystem: String,
    pub(crate) name: String,
}

/// One range of affected versions.
#[derive(Debug, Deserialize)]
pub(crate) struct OsvRange {
    #[serde(rename = "type")]
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) events: Vec<OsvEvent>,
}

/// One event of a range; exactly one field is set.
#[derive(Debug, Deserialize)]
pub(crate) struct OsvEvent {
    #[serde(default)]
    pub(crate) introduced: Option<String>,
    #[serde(default)]
    pub(crate) fixed: Option<String>,
    #[serde(default)]
    pub(crate) last_affected: Option<String>,
}

/// Reads one OSV file: a record, or an array of records.
pub(crate) fn parse_osv(bytes: &[u8]) -> Result<Vec<OsvRecord>, serde_json::Error> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'[') {
        serde_json::from_slice(bytes)
    } else {
        serde_json::from_slice(bytes).map(|record| vec![record])
    }
}
