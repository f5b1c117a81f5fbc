//! Indicator tables: CSV (any delimiter, BOM, quoted cells, UTF-16 from Excel's "Unicode text")
//! and XLSX (the first sheet or a named one).
//!
//! The flow the console follows: [`preview`] shows the headers, the first rows and a guessed
//! [`ColumnMapping`]; the user corrects the mapping (the store remembers it per source);
//! [`import`] reads every row with it. The guess reads header names in Vietnamese and English
//! ("Giá trị", "IOC", "Loại", "Mô tả", "value", "type"…) and, for the value column, the
//! content. Without a kind column each value's kind is recognised
//! ([`crate::recognise::recognise`]), defanged forms included.
//!
//! An import is all or nothing: the first bad row refuses the table, and the error names the
//! row as a spreadsheet user counts it (the header is row 1), the column and the problem.
//! Duplicate values merge: earliest first seen, latest last seen, highest confidence, union of
//! tags.
//!
//! ```
//! use canhgac_intel::table::{import, preview, ImportDefaults, TableFormat};
//!
//! let csv = "Giá trị;Loại;Mô tả\n45.77.12[.]9;IP;C2\nhxxp://evil[.]top/a;URL;tải mã độc\n";
//! let shown = preview(csv.as_bytes(), &TableFormat::Csv, 10)?;
//! assert_eq!(shown.mapping.value, Some(0));
//! let defaults = ImportDefaults { source: "NCSC".into(), ..ImportDefaults::default() };
//! let indicators = import(csv.as_bytes(), &TableFormat::Csv, &shown.mapping, &defaults)?;
//! assert_eq!(indicators[1].input.value, "http://evil.top/a");
//! # Ok::<(), canhgac_intel::table::TableError>(())
//! ```

mod cells;
#[cfg(test)]
mod tests;

use canhgac_model::{IndicatorInput, IndicatorKind, Severity, Timestamp};
use serde::{Deserialize, Serialize};

use crate::exposure::words_of;
use crate::recognise::recognise;
use crate::{ImportedIndicator, Tlp};

pub use cells::TableRow;

/// Which reader a table needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableFormat {
    /// Delimited text; the delimiter is guessed among `,` `;` tab `|`.
    Csv,
    /// An Excel workbook; `sheet` names the sheet, or the first one is read.
    Xlsx {
        /// The sheet's name.
        sheet: Option<String>,
    },
}

impl TableFormat {
    /// XLSX when the bytes are a zip archive (they start with `PK`), CSV otherwise.
    pub fn detect(bytes: &[u8]) -> TableFormat {
        if bytes.starts_with(b"PK\x03\x04") {
            TableFormat::Xlsx { sheet: None }
        } else {
            TableFormat::Csv
        }
    }
}

/// Which column (0-based) holds what. Serialisable so the store can remember it per source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnMapping {
    /// Non-empty rows above the header (a title, a note) to skip.
    #[serde(default)]
    pub skip_rows: usize,
    /// Whether the first row (after the skipped ones) names the columns.
    pub has_header: bool,
    /// The indicator's value. Required.
    pub value: Option<usize>,
    /// Its kind ("IP", "domain", "SHA256", "Tên miền"…); recognised from the value when absent
    /// or empty.
    #[serde(default)]
    pub kind: Option<usize>,
    /// Why it matters.
    #[serde(default)]
    pub description: Option<usize>,
    /// First seen by the source.
    #[serde(default)]
    pub first_seen: Option<usize>,
    /// Last seen by the source.
    #[serde(default)]
    pub last_seen: Option<usize>,
    /// Confidence: 0–100, or low/medium/high (thấp/trung bình/cao).
    #[serde(default)]
    pub confidence: Option<usize>,
    /// TLP marking.
    #[serde(default)]
    pub tlp: Option<usize>,
    /// Tags, separated by `,` `;` or `|`.
    #[serde(default)]
    pub tags: Option<usize>,
    /// Expiry.
    #[serde(default)]
    pub expires: Option<usize>,
    /// Severity (low/medium/high/critical, thấp/trung bình/cao/nghiêm trọng).
    #[serde(default)]
    pub severity: Option<usize>,
}

/// What applies to rows that do not say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportDefaults {
    /// The source's name (a feed, an agency, an advisory number).
    pub source: String,
    /// Severity of the alerts the indicators raise.
    pub severity: Severity,
    /// TLP marking.
    pub tlp: Option<Tlp>,
    /// The advisory the table came with.
    pub advisory: Option<String>,
    /// Expiry.
    pub expires_at: Option<Timestamp>,
}

impl Default for ImportDefaults {
    fn default() -> Self {
        ImportDefaults {
            source: "manual".to_string(),
            severity: Severity::High,
            tlp: None,
            advisory: None,
            expires_at: None,
        }
    }
}

impl ImportDefaults {
    /// An indicator of `kind` with an already normalised `value` and these defaults.
    pub fn indicator(&self, kind: IndicatorKind, value: String) -> ImportedIndicator {
        let mut input = IndicatorInput::new(kind, &value);
        input.value = value;
        input.source = self.source.clone();
        input.severity = self.severity;
        input.expires_at = self.expires_at;
        let mut indicator = ImportedIndicator::new(input);
        indicator.tlp = self.tlp;
        indicator.advisory = self.advisory.clone();
        indicator
    }
}

/// What the console shows before an import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TablePreview {
    /// The header row's cells (empty when the guess is that there is none).
    pub headers: Vec<String>,
    /// The first data rows.
    pub rows: Vec<TableRow>,
    /// The guessed mapping.
    pub mapping: ColumnMapping,
    /// The sheets of a workbook (empty for CSV).
    pub sheets: Vec<String>,
}

/// Why a table was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TableError {
    /// The file cannot be read as the format at all.
    #[error("không đọc được tệp / the file cannot be read: {0}")]
    Unreadable(String),
    /// The named sheet is not in the workbook.
    #[error("không có trang tính «{0}» / the workbook has no sheet named «{0}»")]
    NoSuchSheet(String),
    /// The mapping names no value column.
    #[error("chưa chọn cột giá trị / the mapping names no value column")]
    NoValueColumn,
    /// A row is malformed.
    #[error("dòng {row}, cột {column}: {problem} / row {row}, column {column}: {problem}")]
    Row {
        /// Row as a spreadsheet counts it (the header is row 1).
        row: usize,
        /// The column's header, or its letter when there is no header.
        column: String,
        /// What is wrong.
        problem: String,
    },
}

/// The headers, the first `limit` data rows, and a guessed mapping.
pub fn preview(
    bytes: &[u8],
    format: &TableFormat,
    limit: usize,
) -> Result<TablePreview, TableError> {
    let text = match format {
        TableFormat::Csv => Some(cells::decode_text(bytes)?),
        TableFormat::Xlsx { .. } => None,
    };
    let mut table = cells::open(bytes, text.as_deref(), format)?;
    let sheets = table.sheets();
    // Room for a title above the header, the header and `limit` rows.
    let wanted = limit.saturating_add(1 + MAX_TITLE_ROWS);
    let mut first_rows = Vec::new();
    while first_rows.len() < wanted {
        match table.next_row()? {
            Some(row) => first_rows.push(row),
            None => break,
        }
    }
    let mapping = guess_mapping(&first_rows);
    let mut rows: Vec<TableRow> = first_rows.into_iter().skip(mapping.skip_rows).collect();
    let headers = if mapping.has_header && !rows.is_empty() {
        rows.remove(0).cells
    } else {
        Vec::new()
    };
    rows.truncate(limit);
    Ok(TablePreview {
        headers,
        rows,
        mapping,
        sheets,
    })
}

/// How many rows above a header (a title, a note) the guess looks through.
const MAX_TITLE_ROWS: usize = 10;

/// Role of a column, as its header names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Value,
    Kind,
    Description,
    FirstSeen,
    LastSeen,
    Confidence,
    Tlp,
    Tags,
    Expires,
    Severity,
}

fn role_of_header(header: &str) -> Option<Role> {
    let words = words_of(header);
    let role = match words.as_str() {
        "value" | "gia tri" | "ioc" | "iocs" | "indicator" | "indicators" | "chi thi"
        | "dau hieu" | "chi dau" | "observable" | "data" | "du lieu" | "noi dung"
        | "indicator value" | "ioc value" | "gia tri ioc" | "gia tri chi dau" | "ip domain url"
        | "dia chi" | "address" => Role::Value,
        "type" | "kind" | "loai" | "kieu" | "phan loai" | "ioc type" | "indicator type"
        | "loai ioc" | "loai chi dau" | "loai dau hieu" => Role::Kind,
        "description" | "mo ta" | "ghi chu" | "note" | "notes" | "comment" | "comments"
        | "context" | "chi tiet" | "thong tin" | "details" => Role::Description,
        "first seen" | "firstseen" | "first_seen" | "lan dau" | "thay lan dau"
        | "phat hien lan dau" | "ngay phat hien" | "created" | "date" | "ngay" => Role::FirstSeen,
        "last seen" | "lastseen" | "lan cuoi" | "thay lan cuoi" | "updated" | "modified" => {
            Role::LastSeen
        }
        "confidence" | "do tin cay" | "muc tin cay" | "score" => Role::Confidence,
        "tlp" | "tlp level" | "muc chia se" | "phan phoi" => Role::Tlp,
        "tags" | "tag" | "nhan" | "the" | "labels" | "label" | "malware" | "chien dich"
        | "campaign" => Role::Tags,
        "expiry" | "expires" | "expiration" | "valid until" | "het han" | "ngay het han"
        | "hieu luc den" => Role::Expires,
        "severity" | "muc do" | "muc do nghiem trong" | "nguy hiem" | "muc nguy hiem" => {
            Role::Severity
        }
        _ => return None,
    };
    Some(role)
}

/// Guesses the mapping from the first rows: header names when the first row has some, and
/// the column whose cells are most often indicators for the value.
fn guess_mapping(rows: &[TableRow]) -> ColumnMapping {
    let mut mapping = ColumnMapping::default();
    if rows.is_empty() {
        return mapping;
    }
    let has_indicator = |row: &TableRow| row.cells.iter().any(|cell| recognise(cell).is_some());
    let roles_of = |row: &TableRow| -> Vec<Option<Role>> {
        row.cells.iter().map(|cell| role_of_header(cell)).collect()
    };
    // The header is the row, above the first indicator and among the first few, that names
    // the most columns; rows above it are a title or a note.
    let header_at = rows
        .iter()
        .take(MAX_TITLE_ROWS + 1)
        .take_while(|row| !has_indicator(row))
        .enumerate()
        .map(|(at, row)| (roles_of(row).iter().flatten().count(), at))
        .filter(|&(named, _)| named > 0)
        .max_by_key(|&(named, at)| (named, std::cmp::Reverse(at)))
        .map(|(_, at)| at);
    mapping.skip_rows = header_at.unwrap_or(0);
    mapping.has_header = header_at.is_some() || !has_indicator(&rows[0]);
    let roles = roles_of(&rows[mapping.skip_rows]);
    if mapping.has_header {
        for (index, role) in roles.iter().enumerate() {
            let slot = match role {
                Some(Role::Value) => &mut mapping.value,
                Some(Role::Kind) => &mut mapping.kind,
                Some(Role::Description) => &mut mapping.description,
                Some(Role::FirstSeen) => &mut mapping.first_seen,
                Some(Role::LastSeen) => &mut mapping.last_seen,
                Some(Role::Confidence) => &mut mapping.confidence,
                Some(Role::Tlp) => &mut mapping.tlp,
                Some(Role::Tags) => &mut mapping.tags,
                Some(Role::Expires) => &mut mapping.expires,
                Some(Role::Severity) => &mut mapping.severity,
                None => continue,
            };
            slot.get_or_insert(index);
        }
    }
    // The content decides the value column when the headers did not, or named a column that
    // holds no indicators (a "Địa chỉ" column of street addresses).
    let data = &rows[mapping.skip_rows + usize::from(mapping.has_header)..];
    let width = rows.iter().map(|row| row.cells.len()).max().unwrap_or(0);
    let hits = |column: usize| {
        data.iter()
            .filter(|row| {
                row.cells
                    .get(column)
                    .is_some_and(|cell| recognise(cell).is_some())
            })
            .count()
    };
    let named_value_ok = mapping
        .value
        .is_some_and(|column| data.is_empty() || hits(column) > 0);
    if !named_value_ok {
        mapping.value = (0..width)
            .map(|column| (hits(column), column))
            .filter(|&(count, _)| count > 0)
            .max_by_key(|&(count, column)| (count, std::cmp::Reverse(column)))
            .map(|(_, column)| column);
    }
    mapping
}

/// Reads every row of the table with `mapping`; all or nothing.
pub fn import(
    bytes: &[u8],
    format: &TableFormat,
    mapping: &ColumnMapping,
    defaults: &ImportDefaults,
) -> Result<Vec<ImportedIndicator>, TableError> {
    let value_column = mapping.value.ok_or(TableError::NoValueColumn)?;
    let text = match format {
        TableFormat::Csv => Some(cells::decode_text(bytes)?),
        TableFormat::Xlsx { .. } => None,
    };
    let mut table = cells::open(bytes, text.as_deref(), format)?;
    for _ in 0..mapping.skip_rows {
        table.next_row()?;
    }
    let headers = if mapping.has_header {
        table.next_row()?.map(|row| row.cells).unwrap_or_default()
    } else {
        Vec::new()
    };
    let column_name = |column: usize| match headers.get(column).filter(|name| !name.is_empty()) {
        Some(name) => format!("«{name}»"),
        None => column_letter(column),
    };
    let mut read: Vec<ImportedIndicator> = Vec::new();
    while let Some(row) = table.next_row()? {
        let fail = |column: usize, problem: String| TableError::Row {
            row: row.number,
            column: column_name(column),
            problem,
        };
        let cell = |column: Option<usize>| {
            column
                .and_then(|index| row.cells.get(index))
                .map(|text| text.trim())
                .filter(|text| !text.is_empty())
        };
        let Some(raw_value) = cell(Some(value_column)) else {
            // A row with nothing in it at all is spacing; a row with data but no value is not.
            if row.cells.iter().all(|text| text.trim().is_empty()) {
                continue;
            }
            return Err(fail(
                value_column,
                "ô giá trị trống / the value cell is empty".into(),
            ));
        };
        let (kind, value) = match cell(mapping.kind) {
            Some(kind_text) => {
                let column = mapping.kind.unwrap_or(0);
                let mut kind = kind_from_word(kind_text, raw_value).ok_or_else(|| {
                    fail(
                        column,
                        format!("loại không rõ / unknown kind «{kind_text}»"),
                    )
                })?;
                // Tables often file networks under "IP".
                if kind == IndicatorKind::Ip && raw_value.contains('/') {
                    kind = IndicatorKind::Cidr;
                }
                let value = canhgac_model::normalise_indicator(kind, raw_value)
                    .map_err(|problem| fail(value_column, problem))?;
                (kind, value)
            }
            None => recognise(raw_value).ok_or_else(|| {
                fail(
                    value_column,
                    "không nhận ra loại chỉ dấu / not an IP, network, domain, URL, hash or email"
                        .into(),
                )
            })?,
        };
        let mut indicator = defaults.indicator(kind, value);
        if let Some(text) = cell(mapping.description) {
            indicator.input.description = text.to_string();
        }
        if let Some(text) = cell(mapping.severity) {
            indicator.input.severity = parse_severity(text).ok_or_else(|| {
                fail(
                    mapping.severity.unwrap_or(0),
                    format!("mức độ không rõ / unknown severity «{text}»"),
                )
            })?;
        }
        if let Some(text) = cell(mapping.tags) {
            indicator.input.tags = split_tags(text);
        }
        let date = |column: Option<usize>| -> Result<Option<Timestamp>, TableError> {
            match cell(column) {
                Some(text) => parse_date(text).map(Some).ok_or_else(|| {
                    fail(
                        column.unwrap_or(0),
                        format!("ngày không hợp lệ / not a date «{text}»"),
                    )
                }),
                None => Ok(None),
            }
        };
        indicator.first_seen = date(mapping.first_seen)?;
        indicator.last_seen = date(mapping.last_seen)?;
        if let Some(expiry) = date(mapping.expires)? {
            indicator.input.expires_at = Some(expiry);
        }
        if let Some(text) = cell(mapping.confidence) {
            indicator.confidence = Some(parse_confidence(text).ok_or_else(|| {
                fail(
                    mapping.confidence.unwrap_or(0),
                    format!(
                        "độ tin cậy phải từ 0 đến 100 / confidence must be 0–100, not «{text}»"
                    ),
                )
            })?);
        }
        if let Some(text) = cell(mapping.tlp) {
            indicator.tlp = Some(Tlp::parse(text).ok_or_else(|| {
                fail(
                    mapping.tlp.unwrap_or(0),
                    format!("nhãn TLP không rõ / unknown TLP «{text}»"),
                )
            })?);
        }
        read.push(indicator);
    }
    Ok(merge_duplicates(read))
}

/// Merges indicators with the same kind and value into the first of them, keeping the order
/// of first occurrence. Sorting positions (rather than a map keyed by value) keeps no second
/// copy of a million values.
pub(crate) fn merge_duplicates(mut indicators: Vec<ImportedIndicator>) -> Vec<ImportedIndicator> {
    let mut order: Vec<usize> = (0..indicators.len()).collect();
    // Stable: within a group, the first occurrence comes first.
    order.sort_by(|&a, &b| {
        let (a, b) = (&indicators[a].input, &indicators[b].input);
        (a.kind, &a.value).cmp(&(b.kind, &b.value))
    });
    let mut duplicate = vec![false; indicators.len()];
    let mut group_start = 0;
    for position in 1..=order.len() {
        let same = position < order.len() && {
            let (a, b) = (
                &indicators[order[group_start]].input,
                &indicators[order[position]].input,
            );
            a.kind == b.kind && a.value == b.value
        };
        if same {
            continue;
        }
        let first = order[group_start];
        for &other in &order[group_start + 1..position] {
            let taken = std::mem::replace(&mut indicators[other], placeholder());
            merge_into(&mut indicators[first], taken);
            duplicate[other] = true;
        }
        group_start = position;
    }
    let mut index = 0;
    indicators.retain(|_| {
        let keep = !duplicate[index];
        index += 1;
        keep
    });
    indicators
}

fn placeholder() -> ImportedIndicator {
    ImportedIndicator::new(IndicatorInput {
        kind: IndicatorKind::Ip,
        value: String::new(),
        source: String::new(),
        description: String::new(),
        severity: Severity::Informational,
        tags: Vec::new(),
        expires_at: None,
        meta: Default::default(),
    })
}

/// Folds a duplicate into the indicator first read.
pub(crate) fn merge_into(kept: &mut ImportedIndicator, other: ImportedIndicator) {
    kept.first_seen = match (kept.first_seen, other.first_seen) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    kept.last_seen = match (kept.last_seen, other.last_seen) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    kept.confidence = kept.confidence.max(other.confidence);
    for tag in other.input.tags {
        if !kept.input.tags.contains(&tag) {
            kept.input.tags.push(tag);
        }
    }
    if kept.input.description.is_empty() {
        kept.input.description = other.input.description;
    }
    kept.input.severity = kept.input.severity.max(other.input.severity);
    kept.tlp = match (kept.tlp, other.tlp) {
        // The stricter marking holds for the merged indicator.
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    kept.input.expires_at = match (kept.input.expires_at, other.input.expires_at) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
}

/// `A`, `B`, … `Z`, `AA`: how a spreadsheet names column `index` (0-based).
pub(crate) fn column_letter(index: usize) -> String {
    let mut letters = Vec::new();
    let mut n = index + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// The kind a kind cell names; `hash` and the like are decided by the value's length.
fn kind_from_word(word: &str, value: &str) -> Option<IndicatorKind> {
    let words = words_of(word);
    let compact: String = words.chars().filter(|c| c.is_alphanumeric()).collect();
    let kind = match compact.as_str() {
        "ip" | "ipv4" | "ipv6" | "ipaddress" | "ipaddr" | "diachiip" | "ipv4addr" | "ipv6addr"
        | "ipsrc" | "ipdst" | "ipdstport" => IndicatorKind::Ip,
        "cidr" | "subnet" | "network" | "netblock" | "iprange" | "daiip" | "mang" | "ipv4net"
        | "ipv6net" => IndicatorKind::Cidr,
        "domain" | "domainname" | "hostname" | "host" | "fqdn" | "tenmien" | "mien" => {
            IndicatorKind::Domain
        }
        "url" | "uri" | "link" | "duongdan" | "duongdanurl" => IndicatorKind::Url,
        "md5" | "filehashmd5" | "hashmd5" => IndicatorKind::Md5,
        "sha1" | "filehashsha1" | "hashsha1" => IndicatorKind::Sha1,
        "sha256" | "filehashsha256" | "hashsha256" => IndicatorKind::Sha256,
        "email" | "mail" | "emailaddress" | "thudientu" | "emailsrc" | "diachithu" => {
            IndicatorKind::Email
        }
        "hash" | "filehash" | "mabam" | "giatribam" | "filehashes" => {
            let value = crate::recognise::refang(value.trim()).into_owned();
            match value.len() {
                32 => IndicatorKind::Md5,
                40 => IndicatorKind::Sha1,
                64 => IndicatorKind::Sha256,
                _ => return None,
            }
        }
        _ => return None,
    };
    Some(kind)
}

fn parse_severity(text: &str) -> Option<Severity> {
    let severity = match words_of(text).as_str() {
        "info" | "informational" | "thong tin" => Severity::Informational,
        "low" | "thap" => Severity::Low,
        "medium" | "moderate" | "trung binh" | "vua" => Severity::Medium,
        "high" | "cao" => Severity::High,
        "critical" | "nghiem trong" | "rat cao" | "khan cap" => Severity::Critical,
        _ => return None,
    };
    Some(severity)
}

fn parse_confidence(text: &str) -> Option<u8> {
    let trimmed = text.trim().trim_end_matches('%').trim();
    if let Ok(number) = trimmed.parse::<f64>() {
        // 0–1 fractions (0.8) are scaled; 0–100 taken as is.
        let scaled = if number > 0.0 && number <= 1.0 && trimmed.contains('.') {
            number * 100.0
        } else {
            number
        };
        return (0.0..=100.0)
            .contains(&scaled)
            .then(|| scaled.round() as u8);
    }
    match words_of(text).as_str() {
        "low" | "thap" => Some(25),
        "medium" | "trung binh" | "vua" => Some(50),
        "high" | "cao" => Some(85),
        _ => None,
    }
}

fn split_tags(text: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in text.split([',', ';', '|']).map(str::trim) {
        if !tag.is_empty() && !tags.iter().any(|kept| kept == tag) {
            tags.push(tag.to_string());
        }
    }
    tags
}

/// A date as tables write it: RFC 3339, `YYYY-MM-DD[ HH:MM[:SS]]`, `DD/MM/YYYY[ HH:MM[:SS]]`
/// (the Vietnamese order; `-` and `.` also separate), or a Unix time in seconds. Times without a
/// zone are UTC+7, the time of the people who wrote them.
pub(crate) fn parse_date(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if let Ok(timestamp) = text.parse::<Timestamp>() {
        return Some(timestamp);
    }
    if text.len() >= 9 && text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse::<i64>()
            .ok()
            .and_then(|seconds| Timestamp::from_second(seconds).ok());
    }
    let (date_part, time_part) = match text.split_once([' ', 'T']) {
        Some((date, time)) => (date, Some(time.trim())),
        None => (text, None),
    };
    let numbers: Vec<&str> = date_part.split(['-', '/', '.']).collect();
    let [a, b, c] = numbers.as_slice() else {
        return None;
    };
    let (year, month, day) = if a.len() == 4 {
        (
            a.parse::<i16>().ok()?,
            b.parse::<i8>().ok()?,
            c.parse::<i8>().ok()?,
        )
    } else if c.len() == 4 {
        (
            c.parse::<i16>().ok()?,
            b.parse::<i8>().ok()?,
            a.parse::<i8>().ok()?,
        )
    } else {
        return None;
    };
    let (hour, minute, second) = match time_part {
        None => (0, 0, 0),
        Some(time) => {
            let parts: Vec<&str> = time.split(':').collect();
            let number = |index: usize| -> Option<i8> {
                parts
                    .get(index)
                    .map_or(Some(0), |part| part.split('.').next()?.parse::<i8>().ok())
            };
            if parts.len() < 2 || parts.len() > 3 {
                return None;
            }
            (number(0)?, number(1)?, number(2)?)
        }
    };
    let civil = jiff::civil::DateTime::new(year, month, day, hour, minute, second, 0).ok()?;
    let offset = jiff::tz::Offset::from_hours(7).ok()?;
    offset.to_timestamp(civil).ok()
}
