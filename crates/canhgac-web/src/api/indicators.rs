//! `/indicators`: indicators of compromise. They apply to every unit, so changing them needs a
//! caller who sees every unit (the store refuses the others); everyone may read them. Imports
//! are all-or-nothing: every row is checked before one transaction writes them.

use axum::body::Bytes;
use axum::extract::{FromRequest, OriginalUri, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use canhgac_model::{Id, Indicator, IndicatorInput, IndicatorKind, Page, Severity};
use canhgac_store::{IndicatorFilter, IndicatorImport};
use serde::{Deserialize, Serialize};

use super::error::{bytes_rejection, parse_json, ApiError, ApiPath, ApiQuery};
use super::paging::{listing, page_request};
use super::require_responder;
use crate::auth::Caller;
use crate::console::format;
use crate::AppState;

/// Most indicators one request or file may hold.
pub const MAX_IMPORT: usize = 100_000;

/// Filters of `GET /indicators`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IndicatorQuery {
    /// Only this kind.
    pub kind: Option<IndicatorKind>,
    /// Text in the value, source or description.
    pub q: Option<String>,
    /// 1-based page number (default 1).
    pub page: Option<i64>,
    /// Items per page, 1–500 (default 50).
    pub per_page: Option<i64>,
}

/// What an import did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportResult {
    /// New indicators.
    pub created: u64,
    /// Indicators that existed (same kind and value) and were updated.
    pub updated: u64,
}

impl From<IndicatorImport> for ImportResult {
    fn from(import: IndicatorImport) -> Self {
        Self {
            created: import.created,
            updated: import.updated,
        }
    }
}

/// Lists indicators, newest first.
#[utoipa::path(get, operation_id = "list_indicators", path = "/api/v1/indicators", tag = "indicators",
    params(IndicatorQuery),
    responses((status = 200, description = "A page of indicators", body = Page<Indicator>)))]
pub async fn list(
    State(state): State<AppState>,
    _caller: Caller,
    OriginalUri(uri): OriginalUri,
    ApiQuery(query): ApiQuery<IndicatorQuery>,
) -> Result<Response, ApiError> {
    let page = page_request(query.page, query.per_page, query.q)?;
    let filter = IndicatorFilter { kind: query.kind };
    Ok(listing(
        &uri,
        state.store.list_indicators(&filter, &page).await?,
    ))
}

/// Checks every input; the failures, by index. All or nothing, so every input is checked.
fn validate_all(inputs: &mut [IndicatorInput]) -> Vec<(usize, canhgac_model::FieldError)> {
    inputs
        .iter_mut()
        .enumerate()
        .filter_map(|(i, input)| input.validate().err().map(|e| (i, e)))
        .collect()
}

async fn import(
    state: &AppState,
    caller: &Caller,
    inputs: Vec<IndicatorInput>,
) -> Result<ImportResult, ApiError> {
    require_responder(caller)?;
    if inputs.len() > MAX_IMPORT {
        return Err(ApiError::invalid(
            "indicators",
            format!("more than {MAX_IMPORT} indicators in one request"),
        ));
    }
    Ok(state
        .store
        .import_indicators(&caller.actor(), inputs)
        .await?
        .into())
}

/// Adds indicators: one JSON object, or a list of them. An indicator with the same kind and
/// value is updated. All or nothing: one invalid indicator refuses the request.
#[utoipa::path(post, operation_id = "add_indicators", path = "/api/v1/indicators", tag = "indicators",
    request_body(content = Vec<IndicatorInput>, description = "One indicator, or a list"),
    responses((status = 200, description = "How many were created and updated", body = ImportResult)))]
pub async fn add(
    State(state): State<AppState>,
    caller: Caller,
    request: Request,
) -> Result<Json<ImportResult>, ApiError> {
    require_responder(&caller)?;
    let super::error::ApiJson(value) =
        super::error::ApiJson::<serde_json::Value>::from_request(request, &state).await?;
    let many = value.is_array();
    let mut inputs: Vec<IndicatorInput> = match value {
        serde_json::Value::Array(_) => parse_json(value.to_string().as_bytes())?,
        other => vec![parse_json(other.to_string().as_bytes())?],
    };
    let failures = validate_all(&mut inputs);
    if let Some((index, error)) = failures.first() {
        // A list names the item as `[n]` (1-based), as the store does.
        let field = if many {
            format!("[{}].{}", index + 1, error.field)
        } else {
            error.field.clone()
        };
        let errors = failures
            .iter()
            .map(|(i, e)| format!("[{}].{}: {}", i + 1, e.field, e.message))
            .collect();
        return Err(ApiError::invalid(field, error.message.clone()).with_errors(errors));
    }
    Ok(Json(import(&state, &caller, inputs).await?))
}

/// Imports indicators from CSV: a header line `kind,value` optionally followed by `source`,
/// `description`, `severity`, `tags` (separated by `;`) and `expires_at` (RFC 3339 or
/// `dd/mm/yyyy HH:MM`), in any order. Every line is checked first; any error refuses the whole
/// file, and every error names its line.
#[utoipa::path(post, operation_id = "import_indicators", path = "/api/v1/indicators/import", tag = "indicators",
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, description = "How many were created and updated", body = ImportResult)))]
pub async fn import_csv(
    State(state): State<AppState>,
    caller: Caller,
    request: Request,
) -> Result<Json<ImportResult>, ApiError> {
    require_responder(&caller)?;
    let bytes = Bytes::from_request(request, &state)
        .await
        .map_err(bytes_rejection)?;
    let inputs =
        parse_csv(&bytes, &state.settings.time_zone).map_err(ApiError::invalid_indicator_file)?;
    Ok(Json(import(&state, &caller, inputs).await?))
}

/// Defaults and origin of a feed import (`POST /indicators/import/{format}`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedImportQuery {
    /// Source recorded on indicators that do not name one (default: the format).
    pub source: Option<String>,
    /// Severity of indicators that do not say (default high).
    pub severity: Option<Severity>,
    /// TLP marking of indicators that do not carry one (`TLP:AMBER`, `green`...).
    pub tlp: Option<String>,
    /// The advisory the file came with (number/code such as `2216/CATTT-NCSC`).
    pub advisory: Option<String>,
    /// MISP: also take attributes not flagged `to_ids` (default false).
    pub all_attributes: Option<bool>,
}

/// What a feed import did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FeedImportResult {
    /// New indicators.
    pub created: u64,
    /// Indicators that existed (same kind and value) and were updated (merged).
    pub updated: u64,
    /// Indicators read from the file.
    pub read: usize,
    /// STIX indicators kept out because their pattern is outside what canhgac evaluates, with
    /// the reason (id: reason).
    pub not_evaluated: Vec<String>,
}

/// Imports indicators from a file in one of the formats the national centres and feeds use:
///
/// - `table`: a CSV or XLSX table; the value column (and kind, description, dates, TLP... when
///   present) are recognised from the header, Vietnamese or English;
/// - `appendix`: an IOC appendix as a DOCX, a text-layer PDF or plain text; addresses, domains,
///   URLs, hashes and emails are recognised, defanged forms (`hxxp`, `1.2.3[.]4`) re-fanged;
/// - `stix`: a STIX 2.1 bundle (indicators with simple patterns; the others are listed as not
///   evaluated);
/// - `misp`: a MISP event (or a list of them) in JSON.
///
/// All or nothing: a malformed row or object refuses the whole file and is named. The same
/// indicator imported again merges (earliest first seen, latest last seen, highest confidence).
#[utoipa::path(post, operation_id = "import_indicator_feed", path = "/api/v1/indicators/import/{format}", tag = "indicators",
    params(("format" = String, Path, description = "table, appendix, stix or misp"), FeedImportQuery),
    request_body(content = String, content_type = "application/octet-stream"),
    responses((status = 200, description = "How many were read, created and updated", body = FeedImportResult)))]
pub async fn import_feed(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(format): ApiPath<String>,
    ApiQuery(query): ApiQuery<FeedImportQuery>,
    request: Request,
) -> Result<Json<FeedImportResult>, ApiError> {
    use canhgac_intel::{appendix, extract, misp, stix, table};
    require_responder(&caller)?;
    let bytes = Bytes::from_request(request, &state)
        .await
        .map_err(bytes_rejection)?;
    let tlp = match query
        .tlp
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        Some(text) => Some(canhgac_intel::Tlp::parse(text).ok_or_else(|| {
            ApiError::invalid("tlp", "TLP là CLEAR, GREEN, AMBER, AMBER+STRICT hoặc RED")
        })?),
        None => None,
    };
    let source = query
        .source
        .clone()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| format.clone());
    let defaults = table::ImportDefaults {
        source: source.clone(),
        severity: query.severity.unwrap_or(Severity::High),
        tlp,
        advisory: query.advisory.clone().filter(|a| !a.trim().is_empty()),
        expires_at: None,
    };
    let text = || {
        std::str::from_utf8(&bytes)
            .map_err(|_| ApiError::invalid("file", "tệp không phải văn bản UTF-8"))
    };
    let mut not_evaluated = Vec::new();
    let imported: Vec<canhgac_intel::ImportedIndicator> = match format.as_str() {
        "table" => {
            let kind = table::TableFormat::detect(&bytes);
            let preview = table::preview(&bytes, &kind, 20)
                .map_err(|e| ApiError::invalid("file", e.to_string()))?;
            table::import(&bytes, &kind, &preview.mapping, &defaults)
                .map_err(|e| ApiError::invalid("file", e.to_string()))?
        }
        "appendix" => {
            let found = match appendix::extract_from_appendix(&bytes) {
                Ok(found) => found,
                Err(appendix::AppendixError::UnknownFormat) => extract::extract(text()?),
                Err(error) => return Err(ApiError::invalid("file", error.to_string())),
            };
            found.iter().map(|f| f.to_imported(&defaults)).collect()
        }
        "stix" => {
            let read = stix::read_bundle(text()?, &source)
                .map_err(|e| ApiError::invalid("file", e.to_string()))?;
            not_evaluated = read
                .not_evaluated
                .iter()
                .map(|n| format!("{}: {}", n.id, n.reason))
                .collect();
            read.indicators
        }
        "misp" => {
            let options = misp::MispOptions {
                only_to_ids: !query.all_attributes.unwrap_or(false),
                default_source: source.clone(),
            };
            misp::read_events(text()?, &options)
                .map_err(|e| ApiError::invalid("file", e.to_string()))?
                .indicators
        }
        other => {
            return Err(ApiError::invalid(
                "format",
                format!("{other:?}: chọn table, appendix, stix hoặc misp"),
            ))
        }
    };
    if imported.len() > MAX_IMPORT {
        return Err(ApiError::invalid(
            "file",
            format!("quá {MAX_IMPORT} chỉ báo trong một tệp"),
        ));
    }
    let read = imported.len();
    let inputs: Vec<IndicatorInput> = imported
        .into_iter()
        .map(|i| {
            let mut input = i.into_input();
            if input.meta.advisory.is_none() {
                input.meta.advisory.clone_from(&defaults.advisory);
            }
            if input.meta.tlp.is_none() {
                input.meta.tlp = defaults.tlp.map(|t| t.label().to_owned());
            }
            input
        })
        .collect();
    let done = import(&state, &caller, inputs).await?;
    Ok(Json(FeedImportResult {
        created: done.created,
        updated: done.updated,
        read,
        not_evaluated,
    }))
}

/// Format and identity of `GET /indicators/export`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `stix` (a STIX 2.1 bundle, the default) or `csv`.
    pub format: Option<String>,
    /// Name of the sharing organisation in the bundle (default `canhgac`).
    pub identity: Option<String>,
}

/// Exports every indicator to share upward: a STIX 2.1 bundle (stable ids, so a re-export
/// updates rather than duplicates at the receiver; TLP markings; confidence and validity) or
/// CSV (`kind,value,source,description,severity,tlp,confidence,first_seen,last_seen,...`).
#[utoipa::path(get, operation_id = "export_indicators", path = "/api/v1/indicators/export", tag = "indicators",
    params(ExportQuery),
    responses((status = 200, description = "The bundle (application/json) or the table (text/csv)")))]
pub async fn export(
    State(state): State<AppState>,
    _caller: Caller,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    use axum::response::IntoResponse;
    use canhgac_intel::{stix, ImportedIndicator};
    let mut indicators = Vec::new();
    for page in 1.. {
        let listed = state
            .store
            .list_indicators(
                &IndicatorFilter::default(),
                &canhgac_model::PageRequest::new(page, 500),
            )
            .await?;
        let done = listed.items.len() < 500;
        indicators.extend(listed.items.iter().map(ImportedIndicator::from_stored));
        if done || indicators.len() >= MAX_IMPORT * 10 {
            break;
        }
    }
    match query.format.as_deref().unwrap_or("stix") {
        "stix" => {
            let identity = stix::StixIdentity {
                name: query
                    .identity
                    .filter(|i| !i.trim().is_empty())
                    .unwrap_or_else(|| "canhgac".to_owned()),
            };
            let bundle = stix::to_bundle(&indicators, &[], &identity, jiff::Timestamp::now());
            Ok(Json(bundle).into_response())
        }
        "csv" => Ok((
            [(axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            stix::to_csv(&indicators),
        )
            .into_response()),
        other => Err(ApiError::invalid(
            "format",
            format!("{other:?}: chọn stix hoặc csv"),
        )),
    }
}

/// Deletes an indicator.
#[utoipa::path(delete, operation_id = "delete_indicator", path = "/api/v1/indicators/{id}", tag = "indicators",
    params(("id" = Id, Path, description = "Indicator id")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<StatusCode, ApiError> {
    require_responder(&caller)?;
    state.store.delete_indicator(&caller.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The columns an indicator file may have.
const COLUMNS: [&str; 7] = [
    "kind",
    "value",
    "source",
    "description",
    "severity",
    "tags",
    "expires_at",
];

/// Reads an indicator CSV file (shared by the API and the console's upload). Every row is
/// parsed and validated; the errors, if any, each name their line (`line 3: value: ...`).
pub fn parse_csv(
    bytes: &[u8],
    tz: &jiff::tz::TimeZone,
) -> Result<Vec<IndicatorInput>, Vec<String>> {
    let text =
        std::str::from_utf8(bytes).map_err(|e| vec![format!("the file is not UTF-8 text: {e}")])?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(header)) => header,
        Some(Err(e)) => return Err(vec![format!("line 1: {e}")]),
        None => {
            return Err(vec![
                "the file is empty; it needs a header line kind,value".into()
            ])
        }
    };
    let mut columns: Vec<usize> = Vec::new();
    let mut errors = Vec::new();
    for name in header.iter() {
        let name = name.to_ascii_lowercase();
        match COLUMNS.iter().position(|c| *c == name) {
            Some(_) if columns.iter().any(|&c| COLUMNS[c] == name) => {
                errors.push(format!("line 1: column {name:?} appears twice"));
            }
            Some(index) => columns.push(index),
            None => errors.push(format!(
                "line 1: unknown column {name:?}; the columns are {}",
                COLUMNS.join(", ")
            )),
        }
    }
    for required in ["kind", "value"] {
        if !columns.iter().any(|&c| COLUMNS[c] == required) {
            errors.push(format!("line 1: the header needs a {required:?} column"));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut inputs = Vec::new();
    let mut lines = Vec::new();
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(format!("line {line}: {e}"));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.len() > columns.len() {
            errors.push(format!(
                "line {line}: {} values for {} columns",
                record.len(),
                columns.len()
            ));
            continue;
        }
        let mut input = IndicatorInput::new(IndicatorKind::Ip, "");
        let mut ok = true;
        for (value, &column) in record.iter().zip(&columns) {
            let mut fail = |message: String| {
                errors.push(format!("line {line}: {}: {message}", COLUMNS[column]));
                ok = false;
            };
            match COLUMNS[column] {
                "kind" => match value.to_ascii_lowercase().parse::<IndicatorKind>() {
                    Ok(kind) => input.kind = kind,
                    Err(message) => fail(message),
                },
                "value" => input.value = value.to_string(),
                "source" => input.source = value.to_string(),
                "description" => input.description = value.to_string(),
                "severity" if value.is_empty() => {}
                "severity" => match value.to_ascii_lowercase().parse::<Severity>() {
                    Ok(severity) => input.severity = severity,
                    Err(message) => fail(message),
                },
                "tags" => {
                    input.tags = value
                        .split(';')
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                        .map(str::to_string)
                        .collect();
                }
                _ => match format::parse_datetime(value, tz) {
                    Ok(at) => input.expires_at = at,
                    Err(_) => fail(format!(
                        "{value:?} is not a time; write it as dd/mm/yyyy HH:MM or RFC 3339"
                    )),
                },
            }
        }
        if ok {
            inputs.push(input);
            lines.push(line);
        }
        if inputs.len() > MAX_IMPORT {
            errors.push(format!("more than {MAX_IMPORT} indicators in one file"));
            return Err(errors);
        }
    }
    for (i, error) in validate_all(&mut inputs) {
        errors.push(format!(
            "line {}: {}: {}",
            lines[i], error.field, error.message
        ));
    }
    errors.sort_by_key(|e| line_of(e));
    if errors.is_empty() {
        Ok(inputs)
    } else {
        Err(errors)
    }
}

/// The line number an error starts with, for ordering.
fn line_of(error: &str) -> u64 {
    error
        .strip_prefix("line ")
        .and_then(|rest| rest.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn tz() -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap()
    }

    #[test]
    fn a_good_file_reads_every_column() {
        let file = "\u{feff}kind,value,severity,tags,expires_at,source\n\
                    ip,203.0.113.9,critical,apt;c2,31/12/2026 23:00,VNCERT\n\
                    \n\
                    domain,Evil[.]Example.com,,,,\n";
        let inputs = parse_csv(file.as_bytes(), &tz()).unwrap();
        assert_eq!(inputs.len(), 2);
        assert_eq!(inputs[0].severity, Severity::Critical);
        assert_eq!(inputs[0].tags, vec!["apt", "c2"]);
        assert_eq!(inputs[0].source, "VNCERT");
        assert_eq!(
            inputs[0].expires_at,
            Some("2026-12-31T16:00:00Z".parse().unwrap())
        );
        assert_eq!(inputs[1].value, "evil.example.com");
        assert_eq!(inputs[1].severity, Severity::High);
        assert_eq!(inputs[1].source, "manual");
    }

    #[test]
    fn every_bad_line_is_named() {
        let file = "kind,value,severity\n\
                    ip,203.0.113.9,high\n\
                    ip,not-an-ip,high\n\
                    hash,abc,high\n\
                    md5,d41d8cd98f00b204e9800998ecf8427e,urgent\n";
        let errors = parse_csv(file.as_bytes(), &tz()).unwrap_err();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].starts_with("line 3: value:"), "{errors:?}");
        assert!(errors[1].starts_with("line 4: kind:"), "{errors:?}");
        assert!(errors[2].starts_with("line 5: severity:"), "{errors:?}");
    }

    #[test]
    fn headers_are_checked() {
        let errors = parse_csv(b"value,colour\n1.2.3.4,red\n", &tz()).unwrap_err();
        assert!(errors
            .iter()
            .any(|e| e.contains("unknown column \"colour\"")));
        assert!(errors.iter().any(|e| e.contains("\"kind\" column")));
        assert!(parse_csv(b"", &tz()).is_err());
        let errors = parse_csv(b"kind,value\nip,1.2.3.4,extra\n", &tz()).unwrap_err();
        assert!(errors[0].starts_with("line 2:"), "{errors:?}");
    }
}
