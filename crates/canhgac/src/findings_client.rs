//! Sends findings of command-line tools to a server (`POST /api/v1/findings`), and looks up unit
//! codes there. The token is sent as a bearer header and never printed.

use std::collections::HashMap;

use anyhow::{bail, Context};
use canhgac_model::{FindingBatch, FindingOutcome, Id};
use canhgac_passwords::findings::{audit_batch, AccountUnits};
use canhgac_passwords::AuditReport;

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the HTTP client")
}

/// Every item of a paged listing of the server's API (`path` without paging), as the token's
/// user sees it.
pub async fn list_all(
    http: &reqwest::Client,
    server: &str,
    token: &str,
    path: &str,
) -> anyhow::Result<Vec<serde_json::Value>> {
    let server = server.trim_end_matches('/');
    let separator = if path.contains('?') { '&' } else { '?' };
    let mut all = Vec::new();
    for page in 1.. {
        let url = format!("{server}{path}{separator}per_page=500&page={page}");
        let response = http
            .get(&url)
            .bearer_auth(token)
            .send()
            .await
            .with_context(|| format!("cannot reach {server}"))?;
        let status = response.status();
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        if !status.is_success() {
            bail!(
                "{server} refused to list {path} ({status}): {}",
                body["detail"]
            );
        }
        let items = body["items"].as_array().cloned().unwrap_or_default();
        let total = body["total"].as_u64().unwrap_or(0);
        let done = items.is_empty() || (page * 500) as u64 >= total;
        all.extend(items);
        if done {
            break;
        }
    }
    Ok(all)
}

/// The ids of the units the token's user sees, by code.
async fn unit_codes(
    http: &reqwest::Client,
    server: &str,
    token: &str,
) -> anyhow::Result<HashMap<String, Id>> {
    let mut codes = HashMap::new();
    for unit in list_all(http, server, token, "/api/v1/units").await? {
        if let (Some(code), Some(id)) = (unit["code"].as_str(), unit["id"].as_i64()) {
            codes.insert(code.to_lowercase(), id);
        }
    }
    Ok(codes)
}

/// Posts `batch` and returns what the server did with it.
pub async fn post_findings(
    http: &reqwest::Client,
    server: &str,
    token: &str,
    batch: &FindingBatch,
) -> anyhow::Result<FindingOutcome> {
    let url = format!("{}/api/v1/findings", server.trim_end_matches('/'));
    let response = http
        .post(&url)
        .bearer_auth(token)
        .json(batch)
        .send()
        .await
        .with_context(|| format!("cannot reach {url}"))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if !status.is_success() {
        let detail = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["detail"].as_str().map(str::to_string))
            .unwrap_or(text);
        bail!("{url} refused the findings ({status}): {detail}");
    }
    serde_json::from_str(&text).with_context(|| format!("{url} answered {text:?}"))
}

/// Sends a password audit's findings, each account under its unit (`mapping` by code, the rest
/// under `default_unit`), as one complete run.
pub fn send_audit(
    server: &str,
    token: &str,
    default_unit: Option<&str>,
    mapping: Vec<(String, String)>,
    report: &AuditReport,
) -> anyhow::Result<()> {
    let server = server.trim_end_matches('/');
    runtime()?.block_on(async {
        let http = reqwest::Client::new();
        let codes = unit_codes(&http, server, token).await?;
        let id_of = |code: &str| -> anyhow::Result<Id> {
            codes.get(&code.to_lowercase()).copied().with_context(|| {
                format!("no unit with code {code:?} among the units of this token")
            })
        };
        let default = default_unit.map(id_of).transpose()?;
        let mut mapped = Vec::with_capacity(mapping.len());
        for (account, code) in mapping {
            mapped.push((account, id_of(&code)?));
        }
        let units = AccountUnits::new(mapped, default);
        let batch =
            audit_batch(report, &units, canhgac_model::Timestamp::now()).map_err(|missing| {
                let shown: Vec<&str> = missing.iter().take(5).map(String::as_str).collect();
                anyhow::anyhow!(
                    "{} accounts have no unit (e.g. {}); map them with --accounts or give --unit",
                    missing.len(),
                    shown.join(", ")
                )
            })?;
        let outcome = post_findings(&http, server, token, &batch).await?;
        eprintln!(
            "đã gửi {} phát hiện tới {server}: {} mới, {} cập nhật, {} tái diễn, {} đã khắc phục",
            batch.findings.len(),
            outcome.created,
            outcome.updated,
            outcome.reopened,
            outcome.fixed
        );
        Ok(())
    })
}
