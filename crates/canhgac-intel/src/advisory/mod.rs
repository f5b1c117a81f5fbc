//! Advisories (official letters warning of vulnerabilities) matched against the inventory.
//!
//! An [`Advisory`] names products ([`AffectedProduct`]: vendor and name, or a CPE, and
//! version ranges such as `< 9.0.0 Patch 38`, `>= 10.0.0, < 10.0.6`, `8.8.15`,
//! `9.0.0 đến trước 9.0.0 Patch 40`). [`match_advisory`] looks for them in the assets'
//! installed software and in products detected by scans, and returns each [`AffectedAsset`]
//! with why: the version is in a range, or the version is unknown (or the advisory gives
//! none) and someone must confirm. Names match tolerantly ("Zimbra Collaboration Suite" and
//! "zimbra"; "Microsoft Exchange Server 2019" and `cpe:2.3:a:microsoft:exchange_server:2019`);
//! versions compare with [`canhgac_vulndb::compare_versions`] and CPEs parse with
//! [`canhgac_vulndb::parse_cpe`].
//!
//! [`parse_advisory_text`] reads the number, date, CVEs, deadline and product/version lines of
//! a letter's pasted text, best effort, for the user to check before saving.

mod letter;
mod range;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use canhgac_model::{Asset, Id, Timestamp};
use canhgac_vulndb::parse_cpe;
use serde::{Deserialize, Serialize};

use crate::exposure::words_of;

pub use letter::{parse_advisory_text, AdvisoryDraft};
pub use range::{parse_version_ranges, Bound, VersionRange};

/// An advisory as recorded in the register (fields left out of JSON are empty).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Advisory {
    /// Who issued it (NCSC, VNCERT/CC, Bộ Công an…).
    pub issuer: String,
    /// Number/code, e.g. "2216/CATTT-NCSC".
    pub number: String,
    /// Date of issue.
    pub date: Option<jiff::civil::Date>,
    /// Title.
    pub title: String,
    /// CVE ids.
    pub cves: Vec<String>,
    /// Affected products.
    pub products: Vec<AffectedProduct>,
    /// Recommended actions.
    pub actions: Vec<String>,
    /// Deadline for the units.
    pub deadline: Option<Timestamp>,
}

/// A product an advisory names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedProduct {
    /// Vendor, when given.
    pub vendor: Option<String>,
    /// Product name as the advisory writes it.
    pub product: String,
    /// A CPE (2.3 or 2.2), when given; its vendor and product then match too.
    pub cpe: Option<String>,
    /// Affected versions, each a range expression (see [`parse_version_ranges`]); empty: every
    /// version.
    pub versions: Vec<String>,
}

/// A product a scan detected on an asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetectedProduct {
    /// The asset.
    pub asset_id: Id,
    /// Product name as the scan reports it.
    pub product: String,
    /// Detected version.
    pub version: Option<String>,
    /// CPE, when the fingerprint gave one.
    pub cpe: Option<String>,
}

/// Where the matching software was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeenIn {
    /// The asset's software list in the inventory.
    Inventory,
    /// A scan's detection.
    Scan,
}

/// How the names matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    /// Vendor and product of two CPEs.
    Cpe,
    /// Product names (tolerant comparison).
    Name,
}

/// Why an asset is listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum MatchReason {
    /// The installed version is in one of the advisory's ranges.
    VersionInRange {
        /// The range, as the advisory wrote it.
        range: String,
    },
    /// The installed version is not known: needs confirmation.
    VersionUnknown,
    /// The advisory gives no version: every version is affected; needs confirmation.
    AllVersions,
}

impl MatchReason {
    /// Vietnamese explanation for the console.
    pub fn label_vi(&self) -> String {
        match self {
            MatchReason::VersionInRange { range } => {
                format!("Phiên bản nằm trong dải bị ảnh hưởng ({range})")
            }
            MatchReason::VersionUnknown => "Chưa rõ phiên bản: cần xác nhận".to_string(),
            MatchReason::AllVersions => {
                "Khuyến cáo áp dụng mọi phiên bản: cần xác nhận".to_string()
            }
        }
    }
}

/// An asset the advisory concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedAsset {
    /// The asset.
    pub asset_id: Id,
    /// Its information system, when the asset came from the inventory.
    pub system_id: Option<Id>,
    /// Where the software was seen.
    pub seen_in: SeenIn,
    /// The software's name as installed or detected.
    pub software: String,
    /// Its version, when known.
    pub version: Option<String>,
    /// Its CPE, when known.
    pub cpe: Option<String>,
    /// The advisory's product it matched.
    pub advisory_product: String,
    /// How the names matched.
    pub matched_by: MatchedBy,
    /// Why it is affected.
    pub reason: MatchReason,
    /// Whether a person must confirm (version unknown, or none given).
    pub needs_confirmation: bool,
}

/// Why an advisory cannot be matched.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AdvisoryError {
    /// A version expression cannot be read.
    #[error("sản phẩm «{product}»: không hiểu dải phiên bản «{expression}» / cannot read version range «{expression}»")]
    VersionRange {
        /// The product.
        product: String,
        /// The expression.
        expression: String,
    },
}

/// An advisory's product, its ranges (each with the expression it came from) and its name.
type WantedProduct<'a> = (
    &'a AffectedProduct,
    Vec<(String, VersionRange)>,
    ProductName,
);

/// One software entry to test: from the inventory or a scan.
struct Candidate<'a> {
    asset_id: Id,
    system_id: Option<Id>,
    seen_in: SeenIn,
    name: &'a str,
    version: Option<&'a str>,
    cpe: Option<&'a str>,
}

/// The assets running a product the advisory names (as installed software or as their
/// operating system), in input order (inventory first, then scans); one entry per (asset, software, advisory product). Refused when a version
/// expression cannot be read.
pub fn match_advisory(
    advisory: &Advisory,
    assets: &[Asset],
    detected: &[DetectedProduct],
) -> Result<Vec<AffectedAsset>, AdvisoryError> {
    let products: Vec<WantedProduct<'_>> = advisory
        .products
        .iter()
        .map(|product| {
            let mut ranges = Vec::new();
            for expression in &product.versions {
                let parsed = parse_version_ranges(expression).ok_or_else(|| {
                    AdvisoryError::VersionRange {
                        product: product.product.clone(),
                        expression: expression.clone(),
                    }
                })?;
                ranges.extend(parsed.into_iter().map(|range| (expression.clone(), range)));
            }
            Ok((product, ranges, ProductName::of_advisory(product)))
        })
        .collect::<Result<_, AdvisoryError>>()?;
    let candidates = assets
        .iter()
        .flat_map(|asset| {
            // The operating system counts as software too (advisories name Windows Server,
            // FortiOS, PAN-OS…).
            let os = asset.os.as_deref().map(|os| Candidate {
                asset_id: asset.id,
                system_id: Some(asset.system_id),
                seen_in: SeenIn::Inventory,
                name: os,
                version: asset.os_version.as_deref(),
                cpe: None,
            });
            os.into_iter()
                .chain(asset.software.iter().map(move |software| Candidate {
                    asset_id: asset.id,
                    system_id: Some(asset.system_id),
                    seen_in: SeenIn::Inventory,
                    name: &software.name,
                    version: software.version.as_deref(),
                    cpe: software.cpe.as_deref(),
                }))
        })
        .chain(detected.iter().map(|product| Candidate {
            asset_id: product.asset_id,
            system_id: None,
            seen_in: SeenIn::Scan,
            name: &product.product,
            version: product.version.as_deref(),
            cpe: product.cpe.as_deref(),
        }));
    let mut affected = Vec::new();
    let mut seen = BTreeSet::new();
    for candidate in candidates {
        let installed = ProductName::of_software(candidate.name, candidate.cpe);
        for (product, ranges, wanted) in &products {
            let Some(matched_by) = wanted.matches(&installed) else {
                continue;
            };
            // A CPE's version counts when the software has none of its own.
            let version = candidate
                .version
                .map(str::to_string)
                .filter(|version| !version.trim().is_empty())
                .or_else(|| installed.cpe_version.clone());
            let reason = match (&version, ranges.is_empty()) {
                (_, true) => MatchReason::AllVersions,
                (None, false) => MatchReason::VersionUnknown,
                (Some(version), false) => {
                    match ranges.iter().find(|(_, range)| range.contains(version)) {
                        Some((expression, _)) => MatchReason::VersionInRange {
                            range: expression.clone(),
                        },
                        None => continue,
                    }
                }
            };
            let key = (
                candidate.asset_id,
                candidate.name.to_string(),
                product.product.clone(),
            );
            if !seen.insert(key) {
                continue;
            }
            affected.push(AffectedAsset {
                asset_id: candidate.asset_id,
                system_id: candidate.system_id,
                seen_in: candidate.seen_in,
                software: candidate.name.to_string(),
                version,
                cpe: candidate.cpe.map(str::to_string),
                advisory_product: product.product.clone(),
                matched_by,
                needs_confirmation: !matches!(reason, MatchReason::VersionInRange { .. }),
                reason,
            });
        }
    }
    Ok(affected)
}

/// Words that say nothing about which product it is.
const GENERIC_WORDS: &[&str] = &[
    "server",
    "servers",
    "suite",
    "software",
    "edition",
    "enterprise",
    "standard",
    "community",
    "professional",
    "pro",
    "the",
    "for",
    "and",
    "of",
    "application",
    "platform",
    "system",
    "service",
    "services",
    "phan",
    "mem",
    "he",
    "thong",
    "may",
    "chu",
    "ban",
    "phien",
    "version",
    "collaboration",
    "open",
    "source",
    "x64",
    "x86",
    "64",
    "bit",
];

/// A product name cut into the words that identify it, plus its CPE vendor and product.
#[derive(Debug, Default)]
struct ProductName {
    words: BTreeSet<String>,
    /// The vendor's words (advisory side): a name made only of them is not the product.
    vendor_words: BTreeSet<String>,
    /// (vendor, product) of a CPE, normalised.
    cpe: Option<(String, String)>,
    cpe_version: Option<String>,
}

impl ProductName {
    fn of_advisory(product: &AffectedProduct) -> ProductName {
        let mut name = ProductName::default();
        add_words(&mut name.words, &product.product);
        name.add_cpe(product.cpe.as_deref());
        if let Some(vendor) = &product.vendor {
            add_words(&mut name.vendor_words, vendor);
        }
        if let Some((vendor, _)) = &name.cpe {
            add_words(&mut name.vendor_words, vendor);
        }
        if name.words.is_subset(&name.vendor_words) {
            // "Zimbra" by Zimbra: the vendor's name is the product's.
            name.vendor_words.clear();
        }
        name.words.extend(name.vendor_words.iter().cloned());
        name
    }

    fn of_software(software: &str, cpe: Option<&str>) -> ProductName {
        let mut name = ProductName::default();
        add_words(&mut name.words, software);
        name.add_cpe(cpe);
        name
    }

    fn add_cpe(&mut self, cpe: Option<&str>) {
        let Some(parsed) = cpe.and_then(|cpe| parse_cpe(cpe).ok()) else {
            return;
        };
        let (Some(vendor), Some(product)) = (parsed.vendor.as_value(), parsed.product.as_value())
        else {
            return;
        };
        add_words(&mut self.words, vendor);
        add_words(&mut self.words, product);
        self.cpe = Some((vendor.to_string(), product.to_string()));
        self.cpe_version =
            parsed
                .version
                .as_value()
                .map(|version| match parsed.update.as_value() {
                    Some(update) => format!("{version} {update}"),
                    None => version.to_string(),
                });
    }

    /// Whether `installed` is this (advisory) product, and how that was decided.
    fn matches(&self, installed: &ProductName) -> Option<MatchedBy> {
        if let (Some(wanted), Some(have)) = (&self.cpe, &installed.cpe) {
            return (wanted == have).then_some(MatchedBy::Cpe);
        }
        let (smaller, larger) = if installed.words.len() <= self.words.len() {
            (&installed.words, &self.words)
        } else {
            (&self.words, &installed.words)
        };
        let only_vendor =
            !self.vendor_words.is_empty() && installed.words.is_subset(&self.vendor_words);
        (!smaller.is_empty() && smaller.is_subset(larger) && !only_vendor)
            .then_some(MatchedBy::Name)
    }
}

/// The identifying words of a name: folded, split at anything not a letter or digit (so
/// `exchange_server` gives `exchange`, `server`), without generic words and bare numbers
/// (which are versions or years: the version ranges decide those).
fn add_words(words: &mut BTreeSet<String>, text: &str) {
    for word in words_of(text).split(' ') {
        if word.is_empty()
            || word.bytes().all(|b| b.is_ascii_digit())
            || GENERIC_WORDS.contains(&word)
        {
            continue;
        }
        words.insert(word.to_string());
    }
}
