//! `/exposures/import`: a breach list of email addresses (plain `email[:source]` lines or a CSV
//! with an `email` column), with optional breach metadata naming sites and their categories,
//! matched against the province's official email domains and contacts. Each official address
//! becomes a finding for its unit; an address used on a social network or forum says so.
//! All or nothing: a malformed line refuses the whole list and names the line.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::Json;
use canhgac_intel::exposure::{findings_for, parse_list, Directory, SiteCatalogue};
use canhgac_model::{Actor, FindingBatch, FindingOutcome, Id, Scope, Timestamp};
use serde::Serialize;

use super::error::{bytes_rejection, ApiError};
use super::require_responder;
use crate::auth::Caller;
use crate::AppState;

/// What an import did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ExposureImport {
    /// Lines of the list read.
    pub lines: usize,
    /// Addresses of the province's units found in the list.
    pub matched: usize,
    /// Addresses of other domains, skipped.
    pub outside_province: usize,
    /// Lines whose source was not a known site nor a domain name; the text was dropped (it may
    /// have been a password).
    pub unrecognised_sources: usize,
    /// Findings per unit.
    pub per_unit: BTreeMap<Id, usize>,
    /// What recording the findings did.
    pub outcome: FindingOutcome,
}

fn text(field: &'static str, bytes: &[u8]) -> Result<String, ApiError> {
    String::from_utf8(bytes.to_vec()).map_err(|e| {
        ApiError::invalid(
            field,
            format!("is not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
        )
    })
}

/// Imports a breach list and records a finding per official address found. The body is the
/// list itself (`text/plain` or `text/csv`), or `multipart/form-data` with a `list` file and an
/// optional `sites` file (breach metadata CSV: site, domain, category). Needs access to every
/// unit (breach lists cover the whole province).
#[utoipa::path(post, operation_id = "import_exposures", path = "/api/v1/exposures/import", tag = "findings",
    request_body(content = String, content_type = "text/plain", description = "email[:source] lines, or a CSV with an email column"),
    responses((status = 200, description = "What the import did", body = ExposureImport)))]
pub async fn import(
    State(state): State<AppState>,
    caller: Caller,
    request: Request,
) -> Result<Json<ExposureImport>, ApiError> {
    require_responder(&caller)?;
    if !caller.scope().is_all() {
        return Err(ApiError::forbidden(
            "breach lists cover every unit; ask an analyst or an administrator",
        ));
    }
    let multipart = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let (list, sites) = if multipart {
        let mut form = Multipart::from_request(request, &state)
            .await
            .map_err(|e| ApiError::bad_request(e.body_text()))?;
        let (mut list, mut sites) = (None, None);
        while let Some(field) = form
            .next_field()
            .await
            .map_err(|e| ApiError::bad_request(e.body_text()))?
        {
            let name = field.name().unwrap_or_default().to_string();
            let bytes = field
                .bytes()
                .await
                .map_err(|e| ApiError::bad_request(e.body_text()))?;
            match name.as_str() {
                "list" => list = Some(text("list", &bytes)?),
                "sites" if !bytes.is_empty() => sites = Some(text("sites", &bytes)?),
                _ => {}
            }
        }
        (
            list.ok_or_else(|| ApiError::invalid("list", "is required"))?,
            sites,
        )
    } else {
        let bytes = Bytes::from_request(request, &state)
            .await
            .map_err(bytes_rejection)?;
        (text("list", &bytes)?, None)
    };
    Ok(Json(
        import_text(
            &state,
            &caller.scope(),
            &caller.actor(),
            &list,
            sites.as_deref(),
        )
        .await?,
    ))
}

/// Parses, matches and records a breach list (shared with the console).
pub async fn import_text(
    state: &AppState,
    scope: &Scope,
    actor: &Actor,
    list: &str,
    sites: Option<&str>,
) -> Result<ExposureImport, ApiError> {
    let mut catalogue = SiteCatalogue::builtin();
    if let Some(sites) = sites {
        catalogue
            .add_metadata_csv(sites)
            .map_err(|e| ApiError::invalid("sites", e.to_string()))?;
    }
    let parsed =
        parse_list(list, &catalogue).map_err(|e| ApiError::invalid("list", e.to_string()))?;
    let directory = state.store.email_directory(scope).await?;
    let report = findings_for(
        &parsed,
        &Directory {
            domains: directory.domains,
            addresses: directory.addresses,
        },
        Timestamp::now(),
    );
    let outcome = state
        .store
        .record_findings(
            actor,
            &FindingBatch {
                findings: report.findings,
                snapshot: None,
            },
        )
        .await?;
    Ok(ExposureImport {
        lines: parsed.lines,
        matched: report.matched,
        outside_province: report.outside_province,
        unrecognised_sources: report.unrecognised_sources,
        per_unit: report.per_unit,
        outcome,
    })
}

/// Which list `POST /exposures/report` reads.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// `shadowserver` (a Shadowserver-format CSV report; the default) or `list` (a ministry
    /// list of exposed IPs, networks, hosts, URLs and email addresses).
    pub kind: Option<String>,
    /// The report's file name (its type is read from it, e.g.
    /// `2025-11-20-scan_rdp-vietnam-geo.csv`) or the list's name / letter number.
    pub name: Option<String>,
}

/// A row matching no unit: listed for the province analyst, not dropped.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnmatchedRow {
    /// 1-based row (the header is row 1).
    pub row: usize,
    /// The IP, host, URL or address of the row.
    pub subject: String,
    /// The report type or the list's name.
    pub report_type: String,
}

/// What a report import did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportImportResult {
    /// The report type read (e.g. `scan_rdp`, `sinkhole_http`) or the list's name, when known.
    pub report_type: Option<String>,
    /// Data rows read.
    pub rows: usize,
    /// Findings per unit.
    pub per_unit: BTreeMap<Id, usize>,
    /// Rows matching no unit of the inventory.
    pub unmatched: Vec<UnmatchedRow>,
    /// What recording the findings did (a re-import updates instead of duplicating).
    pub outcome: FindingOutcome,
}

/// Imports a Shadowserver-format report or a ministry list of exposed addresses: each row is
/// matched to a unit through the inventory (IP and network assets, domains, email domains; the
/// most specific wins) and becomes a finding with a deadline by severity ("compromised host",
/// "exposed RDP", "leaked official email"...); rows matching no unit are returned, not dropped.
/// All or nothing: a malformed row refuses the report and is named. Needs a caller who sees
/// every unit.
#[utoipa::path(post, operation_id = "import_exposure_report", path = "/api/v1/exposures/report", tag = "findings",
    params(ReportQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, description = "Findings per unit and the rows matching no unit", body = ReportImportResult)))]
pub async fn import_report(
    State(state): State<AppState>,
    caller: Caller,
    super::error::ApiQuery(query): super::error::ApiQuery<ReportQuery>,
    request: Request,
) -> Result<Json<ReportImportResult>, ApiError> {
    use canhgac_intel::shadowserver;
    require_responder(&caller)?;
    if !caller.scope().is_all() {
        return Err(ApiError::forbidden(
            "exposure reports cover every unit; ask an analyst or an administrator",
        ));
    }
    let bytes = Bytes::from_request(request, &state)
        .await
        .map_err(bytes_rejection)?;
    let text = text("report", &bytes)?;
    let mut directory = shadowserver::Directory::default();
    for asset in state.store.scan_assets(&Scope::All).await? {
        let value = asset
            .value
            .trim()
            .trim_start_matches("*.")
            .to_ascii_lowercase();
        match asset.kind {
            canhgac_model::AssetKind::Ip => {
                if let Ok(ip) = value.parse::<std::net::IpAddr>() {
                    directory.networks.push((ip.into(), asset.unit_id));
                }
            }
            canhgac_model::AssetKind::Cidr => {
                if let Ok(net) = value.parse::<ipnet::IpNet>() {
                    directory.networks.push((net, asset.unit_id));
                }
            }
            canhgac_model::AssetKind::Domain => directory.domains.push((value, asset.unit_id)),
            _ => {}
        }
    }
    directory.email_domains = state.store.email_directory(&Scope::All).await?.domains;
    let policy = shadowserver::DeadlinePolicy::default();
    let name = query
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    let report = match query.kind.as_deref().unwrap_or("shadowserver") {
        "shadowserver" => {
            shadowserver::import_report(&text, name, &directory, &policy, Timestamp::now())
        }
        "list" => shadowserver::import_list(
            &text,
            &shadowserver::MinistryList {
                name: name.unwrap_or("Danh sách của Bộ").to_owned(),
                severity: canhgac_model::Severity::High,
            },
            &directory,
            &policy,
            Timestamp::now(),
        ),
        other => {
            return Err(ApiError::invalid(
                "kind",
                format!("{other:?}: chọn shadowserver hoặc list"),
            ))
        }
    }
    .map_err(|e| ApiError::invalid("report", e.to_string()))?;
    let mut per_unit: BTreeMap<Id, usize> = BTreeMap::new();
    for finding in &report.findings {
        if let Some(unit) = finding.draft.unit_id {
            *per_unit.entry(unit).or_default() += 1;
        }
    }
    let batch = FindingBatch {
        findings: report.findings.into_iter().map(|f| f.draft).collect(),
        snapshot: None,
    };
    let outcome = state.store.record_findings(&caller.actor(), &batch).await?;
    Ok(Json(ReportImportResult {
        report_type: report.report_type,
        rows: report.rows,
        per_unit,
        unmatched: report
            .unmatched
            .into_iter()
            .map(|u| UnmatchedRow {
                row: u.row,
                subject: u.subject,
                report_type: u.report_type,
            })
            .collect(),
        outcome,
    }))
}
