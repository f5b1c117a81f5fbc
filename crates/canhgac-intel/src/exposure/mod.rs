//! Official email addresses in breach data (issue 8, item 4).
//!
//! [`parse_list`] reads a breach list — plain `email[:source]` lines or a CSV with an `email`
//! column — and names each line's site through a [`SiteCatalogue`]; [`findings_for`] keeps the
//! addresses of the province's units (a [`Directory`]) and turns each (address, site) pair into a
//! [`FindingDraft`]. An address used on a social network or forum is reported as such, because
//! clause 1e forbids registering there with an official address.
//!
//! Passwords are never kept: breach lists are often combo lists (`email:password`), so a line's
//! source text is kept only when the catalogue knows it or it has the shape of a domain name;
//! anything else is dropped and only counted. Errors name a line and the problem, never the
//! line's text. An import is all or nothing: the first bad line refuses the whole list.
//!
//! This module does no I/O: it takes text and returns values.

mod catalogue;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};

use canhgac_model::finding::category;
use canhgac_model::{FindingDraft, FindingSource, Id, Severity, Timestamp};

pub use catalogue::{Site, SiteCatalogue, SiteCategory};

use crate::csv_text::{cell, detect_delimiter, CsvRows, Record};
use catalogue::domain_name;
pub(crate) use catalogue::{fold, host_of, words_of};

/// Why a breach list or breach metadata was refused.
#[derive(Debug, thiserror::Error)]
pub enum ExposureError {
    /// A line (or CSV row) is malformed. The message names the problem, not the line's text.
    #[error("line {line}: {message}")]
    Line {
        /// 1-based line number in the text.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// Breach metadata without a header row naming the site column.
    #[error("the breach-metadata CSV needs a header row with a site, name or breach column")]
    NoSiteColumn,
}

impl From<crate::csv_text::CsvError> for ExposureError {
    fn from(error: crate::csv_text::CsvError) -> Self {
        ExposureError::Line {
            line: error.line,
            message: error.message,
        }
    }
}

/// One line of a breach list: an address and, when recognised, the breached site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exposure {
    /// The address, trimmed and lower-cased.
    pub email: String,
    /// The breached site, when the line names one the catalogue knows or a domain name.
    pub site: Option<Site>,
    /// 1-based line number in the list.
    pub line: usize,
}

/// A breach list, read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedList {
    /// Every address of the list, in order (duplicates included).
    pub exposures: Vec<Exposure>,
    /// Lines of text read, blank lines, comments and the header included.
    pub lines: usize,
    /// Lines whose source text was neither a known site nor a domain name, and was dropped (it
    /// may have been a password).
    pub unrecognised_sources: usize,
}

/// Characters that separate the address from the source on a plain line.
const PLAIN_SEPARATORS: [char; 5] = [':', ';', ',', '\t', '|'];

/// Reads a breach list.
///
/// Auto-detects the format: a CSV whose first row has an `email` column (plus optional
/// `site`/`source`/`breach`, `domain` and `category` columns; others, such as a date, are
/// ignored), or plain lines `email[:source]` (also `email;source`, `email,source`,
/// `email<TAB>source`, `email|source`; a combo list's `email:password` reads the same way and
/// its password is dropped). Blank lines and `#` comments are skipped.
///
/// A source is kept when the catalogue knows it (by name or domain) or it is a lower-case
/// domain name not in the catalogue (then it is a site of category [`SiteCategory::Other`]);
/// mixed-case text is refused as an unknown domain because passwords are often mixed case and
/// domains in breach lists rarely are.
pub fn parse_list(text: &str, catalogue: &SiteCatalogue) -> Result<ParsedList, ExposureError> {
    let mut list = ParsedList {
        lines: text.lines().count(),
        ..ParsedList::default()
    };
    match detect_delimiter(text, |column| {
        ListColumn::from_header(column) == Some(ListColumn::Email)
    }) {
        Some(delimiter) => read_csv_list(text, delimiter, catalogue, &mut list)?,
        None => read_plain_list(text, catalogue, &mut list)?,
    }
    Ok(list)
}

fn read_plain_list(
    text: &str,
    catalogue: &SiteCatalogue,
    list: &mut ParsedList,
) -> Result<(), ExposureError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut first_entry = true;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let content = raw.trim();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let (address, rest) = match content.split_once(PLAIN_SEPARATORS) {
            Some((address, rest)) => (address, Some(rest)),
            None => (content, None),
        };
        // A header line such as `email:password` names columns, not an address.
        let is_header = first_entry && ListColumn::from_header(address) == Some(ListColumn::Email);
        first_entry = false;
        if is_header {
            continue;
        }
        let email = normalise_email(address).map_err(|problem| ExposureError::Line {
            line,
            message: problem.to_string(),
        })?;
        let source = rest
            .map(first_source_field)
            .filter(|source| !source.is_empty());
        let site = resolve_site(catalogue, source, None, None, list);
        list.exposures.push(Exposure { email, site, line });
    }
    Ok(())
}

/// The source field of what follows the address: a URL's host, or the text up to the next
/// separator (a combo list may go on with more fields).
fn first_source_field(rest: &str) -> &str {
    let rest = rest.trim();
    let lowered_start = rest.get(..8).unwrap_or(rest).to_ascii_lowercase();
    if lowered_start.starts_with("http://") || lowered_start.starts_with("https://") {
        return host_of(rest);
    }
    rest.split(PLAIN_SEPARATORS).next().unwrap_or("").trim()
}

/// Column roles of a breach list CSV. A `name` column is not a site here: in a list it is
/// usually the person's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListColumn {
    Email,
    Source,
    Domain,
    Category,
}

impl ListColumn {
    fn from_header(header: &str) -> Option<Self> {
        match words_of(header).as_str() {
            "email" | "e mail" | "email address" | "mail" | "dia chi thu" | "thu dien tu" => {
                Some(ListColumn::Email)
            }
            "site" | "source" | "breach" | "breach name" | "website" | "nguon" | "trang" => {
                Some(ListColumn::Source)
            }
            "domain" | "site domain" | "breach domain" | "ten mien" => Some(ListColumn::Domain),
            "category" | "type" | "site category" | "loai" | "phan loai" | "danh muc" => {
                Some(ListColumn::Category)
            }
            _ => None,
        }
    }
}

fn read_csv_list(
    text: &str,
    delimiter: u8,
    catalogue: &SiteCatalogue,
    list: &mut ParsedList,
) -> Result<(), ExposureError> {
    let mut rows = CsvRows::new(text, delimiter);
    let Some(header) = rows.next_record()? else {
        return Ok(());
    };
    let column_of = |wanted: ListColumn| {
        header
            .fields
            .iter()
            .position(|column| ListColumn::from_header(column) == Some(wanted))
    };
    let email_column = column_of(ListColumn::Email);
    let source_column = column_of(ListColumn::Source);
    let domain_column = column_of(ListColumn::Domain);
    let category_column = column_of(ListColumn::Category);
    while let Some(row) = rows.next_record()? {
        let email = normalise_email(cell(&row, email_column).unwrap_or(""))
            .map_err(|problem| row_error(&row, problem))?;
        let domain =
            match cell(&row, domain_column) {
                Some(text) => Some(domain_name(text).ok_or_else(|| {
                    row_error(&row, "the domain column does not hold a domain name")
                })?),
                None => None,
            };
        let category = cell(&row, category_column).map(SiteCategory::from_word);
        let source = cell(&row, source_column);
        let site = resolve_site(catalogue, source, domain.as_deref(), category, list);
        list.exposures.push(Exposure {
            email,
            site,
            line: row.line,
        });
    }
    Ok(())
}

fn row_error(row: &Record, problem: &str) -> ExposureError {
    ExposureError::Line {
        line: row.line,
        message: problem.to_string(),
    }
}

/// The site a line names. A known site (by the domain cell, then the source) comes from the
/// catalogue; otherwise a domain name becomes a site of its own; otherwise the source text is
/// dropped and counted. A category given on the line overrides the site's.
fn resolve_site(
    catalogue: &SiteCatalogue,
    source: Option<&str>,
    domain: Option<&str>,
    category: Option<SiteCategory>,
    list: &mut ParsedList,
) -> Option<Site> {
    let known = domain
        .and_then(|domain| catalogue.lookup(domain))
        .or_else(|| source.and_then(|source| catalogue.lookup(source)))
        .cloned();
    let mut site = known.or_else(|| {
        domain
            .map(str::to_string)
            .or_else(|| source.and_then(unknown_source_domain))
            .map(|domain| Site {
                name: domain.clone(),
                domain: Some(domain),
                category: SiteCategory::Other,
            })
    });
    match (&mut site, category) {
        (Some(site), Some(category)) => site.category = category,
        (None, _) if source.is_some() => list.unrecognised_sources += 1,
        _ => {}
    }
    site
}

/// A source the catalogue does not know is kept only as a lower-case domain name.
fn unknown_source_domain(source: &str) -> Option<String> {
    if source.chars().any(char::is_uppercase) {
        return None;
    }
    domain_name(source)
}

/// Checks an address's shape (`local@domain.tld`, no spaces, one `@`, at most 254 characters)
/// and lower-cases it. The problem never quotes the text: it may be a password.
fn normalise_email(text: &str) -> Result<String, &'static str> {
    let address = text.trim();
    if address.is_empty() {
        return Err("the line has no email address");
    }
    if address.chars().count() > 254 {
        return Err("the address is longer than 254 characters");
    }
    if address.chars().any(char::is_whitespace) {
        return Err("the address contains a space");
    }
    let (local, domain) = match address.split_once('@') {
        None => return Err("the address has no '@'"),
        Some((_, domain)) if domain.contains('@') => {
            return Err("the address has more than one '@'")
        }
        Some(parts) => parts,
    };
    if local.is_empty() {
        return Err("the address has nothing before '@'");
    }
    if local
        .chars()
        .any(|c| c.is_control() || "<>()[]\\\"".contains(c))
    {
        return Err("the address contains a character not allowed before '@'");
    }
    if !domain.contains('.') {
        return Err("the address's domain has no dot");
    }
    let labels_ok = domain.split('.').all(|label| {
        !label.is_empty()
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    });
    if !labels_ok {
        return Err("the address's domain is not a valid domain name");
    }
    Ok(address.to_lowercase())
}

/// The province's email domains and known contact addresses, each with the unit it belongs to
/// (from the inventory).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Directory {
    /// Email domains per unit (`tinh.gov.vn`, `so-tttt.tinh.gov.vn`); subdomains belong to the
    /// unit of their longest listed suffix. A domain listed twice belongs to its first unit.
    pub domains: Vec<(String, Id)>,
    /// Known contact addresses per unit; an exact address wins over domains.
    pub addresses: Vec<(String, Id)>,
}

/// What a breach list means for the province.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExposureReport {
    /// One finding per (address, site), in the order of first appearance.
    pub findings: Vec<FindingDraft>,
    /// Lines whose address belongs to a unit (duplicates included).
    pub matched: usize,
    /// Lines whose address belongs to no unit; they produce nothing.
    pub outside_province: usize,
    /// Lines of the list whose source was dropped (carried over from [`ParsedList`]).
    pub unrecognised_sources: usize,
    /// Findings per unit.
    pub per_unit: BTreeMap<Id, usize>,
}

/// Turns a breach list into findings for the units whose addresses it holds.
pub fn findings_for(
    list: &ParsedList,
    directory: &Directory,
    observed_at: Timestamp,
) -> ExposureReport {
    let units = UnitLookup::new(directory);
    let mut report = ExposureReport {
        unrecognised_sources: list.unrecognised_sources,
        ..ExposureReport::default()
    };
    let mut seen_keys = HashMap::new();
    for exposure in &list.exposures {
        let Some(unit) = units.unit_of(&exposure.email) else {
            report.outside_province += 1;
            continue;
        };
        report.matched += 1;
        let key = finding_key(exposure);
        if seen_keys.insert(key.clone(), ()).is_some() {
            continue;
        }
        *report.per_unit.entry(unit).or_default() += 1;
        report
            .findings
            .push(finding(exposure, key, unit, observed_at));
    }
    report
}

struct UnitLookup {
    addresses: HashMap<String, Id>,
    domains: HashMap<String, Id>,
}

impl UnitLookup {
    fn new(directory: &Directory) -> Self {
        let mut addresses = HashMap::new();
        for (address, unit) in &directory.addresses {
            addresses
                .entry(address.trim().to_lowercase())
                .or_insert(*unit);
        }
        let mut domains = HashMap::new();
        for (domain, unit) in &directory.domains {
            let domain = domain
                .trim()
                .trim_start_matches('@')
                .trim_start_matches("*.");
            domains
                .entry(domain.trim_end_matches('.').to_lowercase())
                .or_insert(*unit);
        }
        UnitLookup { addresses, domains }
    }

    /// The exact address first, then the longest listed suffix of its domain.
    fn unit_of(&self, email: &str) -> Option<Id> {
        if let Some(&unit) = self.addresses.get(email) {
            return Some(unit);
        }
        let (_, mut domain) = email.split_once('@')?;
        loop {
            if let Some(&unit) = self.domains.get(domain) {
                return Some(unit);
            }
            domain = domain.split_once('.')?.1;
        }
    }
}

fn finding_key(exposure: &Exposure) -> String {
    let site = match &exposure.site {
        Some(Site {
            domain: Some(domain),
            ..
        }) => domain.clone(),
        Some(site) => fold(site.name.trim()),
        None => "unknown".to_string(),
    };
    format!("exposure:{}:{site}", exposure.email)
}

fn finding(exposure: &Exposure, key: String, unit: Id, observed_at: Timestamp) -> FindingDraft {
    let email = &exposure.email;
    let site = exposure.site.as_ref();
    let registered = site.is_some_and(|site| site.category.is_social_or_forum());
    let title = match site {
        Some(site) if site.category == SiteCategory::SocialNetwork => format!(
            "Thư công vụ {email} đã dùng để đăng ký mạng xã hội {} (bị lộ lọt)",
            site.name
        ),
        Some(site) if site.category == SiteCategory::Forum => format!(
            "Thư công vụ {email} đã dùng để đăng ký diễn đàn {} (bị lộ lọt)",
            site.name
        ),
        Some(site) => format!(
            "Thư công vụ {email} có trong dữ liệu lộ lọt của {}",
            site.name
        ),
        None => format!("Thư công vụ {email} có trong dữ liệu lộ lọt (không rõ nguồn)"),
    };
    let mut remediation = format!(
        "Đổi ngay mật khẩu hộp thư {email} và mật khẩu của mọi tài khoản khác từng dùng chung \
         mật khẩu đó; bật xác thực hai yếu tố cho hộp thư."
    );
    match site {
        Some(site) if registered => remediation.push_str(&format!(
            " Không dùng thư công vụ để đăng ký mạng xã hội, diễn đàn (điểm 1e của chỉ thị): \
             đổi tài khoản {} sang địa chỉ thư cá nhân hoặc xoá tài khoản.",
            site.name
        )),
        _ => remediation.push_str(
            " Không dùng thư công vụ để đăng ký mạng xã hội, diễn đàn (điểm 1e của chỉ thị).",
        ),
    }
    // Only what the catalogue says about the site and the line number: nothing else of the line.
    let evidence = serde_json::json!({
        "site": site.map(|site| site.name.as_str()),
        "category": site.map(|site| site.category.code()),
        "domain": site.and_then(|site| site.domain.as_deref()),
        "line": exposure.line,
    });
    FindingDraft {
        source: FindingSource::Exposure,
        key,
        category: if registered {
            category::EMAIL_ON_SOCIAL_SITE
        } else {
            category::EMAIL_BREACHED
        }
        .to_string(),
        title,
        severity: if site.is_some() {
            Severity::Medium
        } else {
            Severity::Low
        },
        unit_id: Some(unit),
        system_id: None,
        asset_id: None,
        host: None,
        subject: email.clone(),
        evidence,
        remediation: Some(remediation),
        observed_at,
    }
}
