//! Matching detected software to known vulnerabilities, and the scanner issue of a match.
//!
//! A product (vendor, product, version, or a CPE) is matched against the CPE match criteria of
//! NVD configurations: only criteria marked vulnerable, in nodes that are not negated. A
//! configuration that needs a platform as well (a vulnerable application "running on" a
//! non-vulnerable operating system) matches on the vulnerable part alone, since a scanner
//! rarely knows the platform; the platform criteria never match by themselves. A package
//! (ecosystem, name, version) is matched against OSV ranges and version lists.
//!
//! Results are ranked: CVEs in CISA's KEV catalogue first, then by CVSS score, highest first,
//! then newest CVE id first.

use std::cmp::Ordering;
use std::collections::HashMap;

use canhgac_model::scan::{category, ScanEvidence, ScanIssue};
use canhgac_model::Severity;
use serde::{Deserialize, Serialize};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use crate::cpe::{normalise_name, parse_cpe, CpePart, CpeValue};
use crate::cvss::severity_of_score;
use crate::db::VulnDb;
use crate::error::{Result, VulnDbError};
use crate::version::Version;

/// Detected software to look up.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductRef {
    /// Vendor as NVD names it (`apache`), when known; any vendor otherwise.
    pub vendor: Option<String>,
    /// Product as NVD names it (`http_server`); spaces become `_`, case is ignored.
    pub product: String,
    /// The detected version (`2.4.49`); empty when unknown.
    pub version: String,
    /// A CPE 2.3 string or 2.2 URI, when the fingerprint gave one; its vendor, product, part
    /// and (when set) version and update take precedence over the fields above.
    pub cpe: Option<String>,
}

/// One known vulnerability of a product or package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VulnMatch {
    /// The CVE id, or the OSV id when the record has no CVE alias.
    pub cve: String,
    /// What the vulnerability is (English, as the sources write it).
    pub summary: String,
    /// CVSS base score (v3.x, else v4.0), when known.
    pub cvss: Option<f32>,
    /// The CVSS vector of that score.
    pub cvss_vector: Option<String>,
    /// Severity band of the score (or the source's own rating when there is no score).
    pub severity: Severity,
    /// Listed in CISA's Known Exploited Vulnerabilities catalogue.
    pub known_exploited: bool,
    /// The KEV remediation due date (`YYYY-MM-DD`), when listed.
    pub kev_due_date: Option<String>,
    /// The KEV required action, when listed.
    pub kev_required_action: Option<String>,
    /// KEV says ransomware campaigns are known to use it.
    pub known_ransomware: bool,
    /// The first version without the vulnerability, when the source says.
    pub fixed_in: Option<String>,
    /// What matched: the CPE criteria with its range, or the OSV record and range.
    pub matched_by: String,
}

/// The lookup key derived from a [`ProductRef`].
struct Wanted {
    part: CpePart,
    vendor: Option<String>,
    product: String,
    version: String,
    update: Option<String>,
}

impl Wanted {
    fn from_product(product: &ProductRef) -> Result<Wanted> {
        let mut wanted = Wanted {
            part: CpePart::Any,
            vendor: product
                .vendor
                .as_deref()
                .map(normalise_name)
                .filter(|vendor| !vendor.is_empty()),
            product: normalise_name(&product.product),
            version: product.version.trim().to_owned(),
            update: None,
        };
        if let Some(text) = &product.cpe {
            let cpe = parse_cpe(text)?;
            wanted.part = cpe.part;
            if let Some(vendor) = cpe.vendor.as_value() {
                wanted.vendor = Some(vendor.to_owned());
            }
            if let Some(name) = cpe.product.as_value() {
                wanted.product = name.to_owned();
            }
            if let Some(version) = cpe.version.as_value() {
                wanted.version = version.to_owned();
            }
            wanted.update = cpe.update.as_value().map(str::to_owned);
        }
        Ok(wanted)
    }
}

/// Whether `version` is inside the criteria's version and range.
fn criteria_admits(row: &SqliteRow, wanted: &Wanted, version: &Version) -> bool {
    let criteria_version: String = row.get("version");
    match criteria_version.as_str() {
        "*" => {}
        "-" => return wanted.version.is_empty() || wanted.version == "-",
        exact => {
            if wanted.version.is_empty() || Version::parse(exact) != *version {
                return false;
            }
            let update: String = row.get("cpe_update");
            // An update the product does not state could be any: the scanner cannot rule it out.
            if let (Some(wanted_update), false) = (&wanted.update, update == "*" || update == "-") {
                return Version::parse(wanted_update) == Version::parse(&update);
            }
            return true;
        }
    }
    let bound = |column: &str| row.get::<Option<String>, _>(column);
    let (start_in, start_ex, end_in, end_ex) = (
        bound("version_start_including"),
        bound("version_start_excluding"),
        bound("version_end_including"),
        bound("version_end_excluding"),
    );
    let unbounded =
        start_in.is_none() && start_ex.is_none() && end_in.is_none() && end_ex.is_none();
    if unbounded {
        return true; // every version of the product
    }
    if wanted.version.is_empty() {
        return false;
    }
    start_in.is_none_or(|start| *version >= Version::parse(&start))
        && start_ex.is_none_or(|start| *version > Version::parse(&start))
        && end_in.is_none_or(|end| *version <= Version::parse(&end))
        && end_ex.is_none_or(|end| *version < Version::parse(&end))
}

fn describe_criteria(row: &SqliteRow) -> String {
    let mut text: String = row.get("criteria");
    let bounds = [
        ("version_start_including", ">="),
        ("version_start_excluding", ">"),
        ("version_end_including", "<="),
        ("version_end_excluding", "<"),
    ];
    for (column, sign) in bounds {
        if let Some(value) = row.get::<Option<String>, _>(column) {
            text.push_str(&format!(" {sign} {value}"));
        }
    }
    text
}

fn severity_from(cvss: Option<f32>, rating: Option<&str>) -> Severity {
    if let Some(score) = cvss {
        return severity_of_score(score);
    }
    match rating.map(str::to_ascii_lowercase).as_deref() {
        Some("critical") => Severity::Critical,
        Some("high") => Severity::High,
        Some("low") => Severity::Low,
        Some("none") => Severity::Informational,
        _ => Severity::Medium,
    }
}

/// KEV first, then CVSS (unknown last), then the newest id.
fn rank(left: &VulnMatch, right: &VulnMatch) -> Ordering {
    right
        .known_exploited
        .cmp(&left.known_exploited)
        .then_with(|| {
            let score = |m: &VulnMatch| m.cvss.unwrap_or(-1.0);
            score(right).total_cmp(&score(left))
        })
        .then_with(|| cve_order_key(&right.cve).cmp(&cve_order_key(&left.cve)))
}

/// `CVE-2021-41773` sorts as (2021, 41773), so ids of different lengths order by number.
fn cve_order_key(id: &str) -> (u32, u64, &str) {
    let mut pieces = id.strip_prefix("CVE-").unwrap_or("").split('-');
    let year = pieces.next().and_then(|y| y.parse().ok()).unwrap_or(0);
    let number = pieces.next().and_then(|n| n.parse().ok()).unwrap_or(0);
    (year, number, id)
}

const KEV_COLUMNS: &str = "k.due_date AS kev_due_date, k.required_action AS kev_required_action,
     k.known_ransomware_campaign_use AS kev_ransomware";

fn kev_fields(row: &SqliteRow) -> (bool, Option<String>, Option<String>, bool) {
    let due: Option<String> = row.get("kev_due_date");
    let action: Option<String> = row.get("kev_required_action");
    let ransomware: Option<String> = row.get("kev_ransomware");
    (
        due.is_some() || action.is_some(),
        due,
        action,
        ransomware.is_some_and(|use_| use_.eq_ignore_ascii_case("known")),
    )
}

impl VulnDb {
    /// Known vulnerabilities of a product version, ranked (KEV first, then by CVSS). Without
    /// a version, only criteria that cover every version (or say no version applies) match.
    pub async fn matches(&self, product: &ProductRef) -> Result<Vec<VulnMatch>> {
        let wanted = Wanted::from_product(product)?;
        if wanted.product.is_empty() {
            return Ok(Vec::new());
        }
        let version = Version::parse(&wanted.version);
        let rows = sqlx::query(&format!(
            "SELECT m.cve_id, m.criteria, m.part, m.version, m.cpe_update,
                    m.version_start_including, m.version_start_excluding,
                    m.version_end_including, m.version_end_excluding,
                    c.summary, c.cvss3_score, c.cvss3_vector, c.cvss4_score, c.cvss4_vector,
                    c.severity, {KEV_COLUMNS}
             FROM cpe_match m
             JOIN cve c ON c.id = m.cve_id
             LEFT JOIN kev k ON k.cve_id = m.cve_id
             WHERE m.product = ?1 AND (?2 IS NULL OR m.vendor = ?2)
               AND m.vulnerable = 1 AND m.negate = 0"
        ))
        .bind(&wanted.product)
        .bind(&wanted.vendor)
        .fetch_all(&self.pool)
        .await
        .map_err(VulnDbError::db("looking up a product"))?;

        let mut by_cve: HashMap<String, VulnMatch> = HashMap::new();
        for row in &rows {
            let part: String = row.get("part");
            let part_ok = match wanted.part {
                CpePart::Any => true,
                CpePart::Application => part == "a" || part == "*",
                CpePart::OperatingSystem => part == "o" || part == "*",
                CpePart::Hardware => part == "h" || part == "*",
            };
            if !part_ok || !criteria_admits(row, &wanted, &version) {
                continue;
            }
            let cve: String = row.get("cve_id");
            let fixed_in: Option<String> = row.get("version_end_excluding");
            if let Some(existing) = by_cve.get_mut(&cve) {
                if existing.fixed_in.is_none() {
                    existing.fixed_in = fixed_in;
                }
                continue;
            }
            let v3: Option<f64> = row.get("cvss3_score");
            let v4: Option<f64> = row.get("cvss4_score");
            let (cvss, cvss_vector) = match (v3, v4) {
                (Some(score), _) => (Some(score as f32), row.get("cvss3_vector")),
                (None, Some(score)) => (Some(score as f32), row.get("cvss4_vector")),
                (None, None) => (None, None),
            };
            let rating: Option<String> = row.get("severity");
            let (known_exploited, kev_due_date, kev_required_action, known_ransomware) =
                kev_fields(row);
            by_cve.insert(
                cve.clone(),
                VulnMatch {
                    cve,
                    summary: row.get("summary"),
                    cvss,
                    cvss_vector,
                    severity: severity_from(cvss, rating.as_deref()),
                    known_exploited,
                    kev_due_date,
                    kev_required_action,
                    known_ransomware,
                    fixed_in,
                    matched_by: describe_criteria(row),
                },
            );
        }
        let mut found: Vec<VulnMatch> = by_cve.into_values().collect();
        found.sort_by(rank);
        Ok(found)
    }

    /// Known vulnerabilities of a package version from OSV records (`ecosystem` as OSV names
    /// it, e.g. `npm`, `PyPI`, `Maven`, compared without case), ranked like [`VulnDb::matches`].
    /// SEMVER and ECOSYSTEM ranges are evaluated with this crate's version order (see
    /// [`crate::version`]); GIT ranges name commits and are not evaluated.
    pub async fn matches_package(
        &self,
        ecosystem: &str,
        package: &str,
        version: &str,
    ) -> Result<Vec<VulnMatch>> {
        let wanted = Version::parse(version);
        let ranges = sqlx::query(
            "SELECT osv_id, range_type, introduced, fixed, last_affected FROM osv_range
             WHERE package = ?1 AND lower(ecosystem) = lower(?2) AND range_type != 'GIT'",
        )
        .bind(package)
        .bind(ecosystem)
        .fetch_all(&self.pool)
        .await
        .map_err(VulnDbError::db("looking up a package"))?;
        // OSV id -> (fixed in, what matched)
        let mut hits: Vec<(String, Option<String>, String)> = Vec::new();
        for row in &ranges {
            let introduced: String = row.get("introduced");
            let fixed: Option<String> = row.get("fixed");
            let last: Option<String> = row.get("last_affected");
            let inside = (introduced == "0" || wanted >= Version::parse(&introduced))
                && fixed
                    .as_deref()
                    .is_none_or(|fixed| wanted < Version::parse(fixed))
                && last
                    .as_deref()
                    .is_none_or(|last| wanted <= Version::parse(last));
            if inside {
                let id: String = row.get("osv_id");
                let kind: String = row.get("range_type");
                let end = match (&fixed, &last) {
                    (Some(fixed), _) => format!(", fixed {fixed}"),
                    (None, Some(last)) => format!(", last affected {last}"),
                    (None, None) => String::new(),
                };
                let described = format!("{id} {kind} introduced {introduced}{end}");
                hits.push((id, fixed, described));
            }
        }
        let listed = sqlx::query(
            "SELECT osv_id, version FROM osv_version
             WHERE package = ?1 AND lower(ecosystem) = lower(?2)",
        )
        .bind(package)
        .bind(ecosystem)
        .fetch_all(&self.pool)
        .await
        .map_err(VulnDbError::db("looking up a package"))?;
        for row in &listed {
            let listed_version: String = row.get("version");
            if listed_version == version || Version::parse(&listed_version) == wanted {
                let id: String = row.get("osv_id");
                let described = format!("{id} lists version {listed_version}");
                hits.push((id, None, described));
            }
        }

        let mut by_cve: HashMap<String, VulnMatch> = HashMap::new();
        for (osv_id, fixed_in, matched_by) in hits {
            let found = self.osv_match(&osv_id, fixed_in, matched_by).await?;
            let Some(found) = found else { continue };
            match by_cve.get_mut(&found.cve) {
                Some(existing) => {
                    if existing.fixed_in.is_none() {
                        existing.fixed_in = found.fixed_in;
                    }
                }
                None => {
                    by_cve.insert(found.cve.clone(), found);
                }
            }
        }
        let mut found: Vec<VulnMatch> = by_cve.into_values().collect();
        found.sort_by(rank);
        Ok(found)
    }

    /// The match of one OSV record, completed from its CVE alias (score, KEV) when stored.
    async fn osv_match(
        &self,
        osv_id: &str,
        fixed_in: Option<String>,
        matched_by: String,
    ) -> Result<Option<VulnMatch>> {
        let row = sqlx::query(&format!(
            "SELECT o.summary AS osv_summary, o.severity AS osv_vector, o.cvss_score AS osv_score,
                    a.alias AS cve_id, c.summary AS cve_summary, c.cvss3_score, c.cvss3_vector,
                    c.cvss4_score, c.cvss4_vector, c.severity, {KEV_COLUMNS}
             FROM osv o
             LEFT JOIN osv_alias a ON a.osv_id = o.id AND a.alias LIKE 'CVE-%'
             LEFT JOIN cve c ON c.id = a.alias
             LEFT JOIN kev k ON k.cve_id = a.alias
             WHERE o.id = ?1
             ORDER BY k.cve_id IS NULL, a.alias
             LIMIT 1"
        ))
        .bind(osv_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(VulnDbError::db("reading an OSV record"))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let cve: Option<String> = row.get("cve_id");
        let v3: Option<f64> = row.get("cvss3_score");
        let v4: Option<f64> = row.get("cvss4_score");
        let osv_score: Option<f64> = row.get("osv_score");
        let (cvss, cvss_vector) = match (v3, v4, osv_score) {
            (Some(score), _, _) => (Some(score as f32), row.get("cvss3_vector")),
            (None, Some(score), _) => (Some(score as f32), row.get("cvss4_vector")),
            (None, None, Some(score)) => (Some(score as f32), row.get("osv_vector")),
            (None, None, None) => (None, row.get("osv_vector")),
        };
        let osv_summary: String = row.get("osv_summary");
        let cve_summary: Option<String> = row.get("cve_summary");
        let summary = if osv_summary.is_empty() {
            cve_summary.unwrap_or_default()
        } else {
            osv_summary
        };
        let rating: Option<String> = row.get("severity");
        let (known_exploited, kev_due_date, kev_required_action, known_ransomware) =
            kev_fields(&row);
        Ok(Some(VulnMatch {
            cve: cve.unwrap_or_else(|| osv_id.to_owned()),
            summary,
            cvss,
            cvss_vector,
            severity: severity_from(cvss, rating.as_deref()),
            known_exploited,
            kev_due_date,
            kev_required_action,
            known_ransomware,
            fixed_in,
            matched_by,
        }))
    }
}

/// The scanner issue of a match: category `vulnerability`, severity from the CVSS score and
/// raised to at least high when the CVE is known to be exploited, remediation "update to the
/// fixed version" in Vietnamese and English.
pub fn to_issue(
    found: &VulnMatch,
    host: &str,
    port: Option<u16>,
    product: &ProductRef,
) -> ScanIssue {
    let name = display_name(product);
    let version = display_version(product);
    let named = if version.is_empty() {
        name.clone()
    } else {
        format!("{name} {version}")
    };
    let mut severity = found.severity;
    if found.known_exploited && severity < Severity::High {
        severity = Severity::High;
    }
    let (mut title_vi, mut title_en) = (
        format!("{named} có lỗ hổng {}", found.cve),
        format!("{named} is affected by {}", found.cve),
    );
    if found.known_exploited {
        title_vi.push_str(" (đang bị khai thác thực tế)");
        title_en.push_str(" (known to be exploited)");
    }
    let (mut remediation_vi, mut remediation_en) = match &found.fixed_in {
        Some(fixed) => (
            format!("Cập nhật {name} lên phiên bản {fixed} hoặc mới hơn."),
            format!("Update {name} to {fixed} or later."),
        ),
        None => (
            format!(
                "Cập nhật {name} lên phiên bản mới nhất có bản vá cho {} theo khuyến cáo của nhà cung cấp.",
                found.cve
            ),
            format!(
                "Update {name} to the latest version that fixes {}, as the vendor advises.",
                found.cve
            ),
        ),
    };
    if found.known_exploited {
        let due = found
            .kev_due_date
            .as_deref()
            .map(|due| format!(" CISA đặt hạn khắc phục {due}."))
            .unwrap_or_default();
        remediation_vi.push_str(&format!(
            " Lỗ hổng này nằm trong danh mục KEV của CISA (đang bị khai thác): ưu tiên xử lý ngay.{due}"
        ));
        if let Some(action) = &found.kev_required_action {
            remediation_en.push_str(&format!(" CISA KEV required action: {action}"));
        }
        if let Some(due) = &found.kev_due_date {
            remediation_en.push_str(&format!(" Due date: {due}."));
        }
    }
    let subject = match port {
        Some(port) => format!("{host}:{port}/tcp"),
        None => host.to_owned(),
    };
    let mut extracted = vec![named.clone()];
    if let Some(cpe) = &product.cpe {
        extracted.push(cpe.clone());
    }
    ScanIssue {
        check: format!("cve:{}", found.cve),
        category: category::VULNERABILITY.to_owned(),
        severity,
        title_vi,
        title_en,
        host: host.to_owned(),
        port,
        subject,
        evidence: ScanEvidence {
            request: None,
            response: None,
            extracted,
            details: serde_json::json!({
                "summary": found.summary,
                "matched_by": found.matched_by,
                "cvss_vector": found.cvss_vector,
                "fixed_in": found.fixed_in,
                "kev_due_date": found.kev_due_date,
                "known_ransomware": found.known_ransomware,
            }),
        },
        remediation_vi,
        remediation_en,
        cves: if found.cve.starts_with("CVE-") {
            vec![found.cve.clone()]
        } else {
            Vec::new()
        },
        cvss: found.cvss,
        known_exploited: found.known_exploited,
    }
}

/// The version the caller gave, or the CPE's.
fn display_version(product: &ProductRef) -> String {
    let version = product.version.trim();
    if !version.is_empty() {
        return version.to_owned();
    }
    product
        .cpe
        .as_deref()
        .and_then(|cpe| parse_cpe(cpe).ok())
        .and_then(|cpe| cpe.version.as_value().map(str::to_owned))
        .unwrap_or_default()
}

/// The product as a person would name it: the caller's name, or the CPE product.
fn display_name(product: &ProductRef) -> String {
    let name = product.product.trim();
    if !name.is_empty() {
        return name.to_owned();
    }
    product
        .cpe
        .as_deref()
        .and_then(|cpe| parse_cpe(cpe).ok())
        .and_then(|cpe| match cpe.product {
            CpeValue::Value(product) => Some(product),
            _ => None,
        })
        .unwrap_or_else(|| "phần mềm".to_owned())
}
