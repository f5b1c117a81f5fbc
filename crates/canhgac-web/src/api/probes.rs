//! `/probes`: remote probes (`canhgac probe`) fetch the monitors assigned to them and report
//! their results; and `/status/public`, the public status page's data (no sign-in).
//!
//! A probe authenticates with an ordinary API token; what it may fetch and report is bounded by
//! the token's user like any other call: monitors outside the user's units do not exist for it.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::request::Parts;
use axum::Json;
use canhgac_model::{
    CheckResult, Id, Monitor, MonitorFilter, PageRequest, ProbeInfo, PublicMonitorStatus, Scope,
    Timestamp, LOCAL_PROBE,
};
use serde::Serialize;

use super::error::{ApiError, ApiJson, ApiPath};
use super::monitors::watch;
use super::require_responder;
use crate::auth::Caller;
use crate::AppState;

/// Most results one report may carry.
pub const MAX_RESULTS: usize = 5_000;

/// How far ahead of the server's clock a result may be dated, in minutes.
pub const MAX_CLOCK_AHEAD_MINS: i64 = 10;

/// Checks a probe name from the path: 1–64 of `a-z 0-9 - _ .`, case folded, and not the
/// server's own probe.
pub fn probe_name(raw: &str) -> Result<String, ApiError> {
    let name = raw.trim().to_ascii_lowercase();
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !valid {
        return Err(ApiError::invalid(
            "name",
            "a probe name is 1 to 64 letters, digits, '-', '_' or '.'",
        ));
    }
    if name == LOCAL_PROBE {
        return Err(ApiError::invalid(
            "name",
            "`local` is the server's own probe; a remote probe needs another name",
        ));
    }
    Ok(name)
}

/// The client address the socket saw.
pub struct PeerAddr(pub Option<String>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PeerAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PeerAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0.ip().to_string()),
        ))
    }
}

/// Every enabled monitor in `scope` that `probe` runs.
pub async fn assigned_monitors(
    state: &AppState,
    scope: &Scope,
    probe: &str,
) -> Result<Vec<Monitor>, ApiError> {
    let mut out = Vec::new();
    let per_page = PageRequest::MAX_PER_PAGE;
    for number in 1u32.. {
        let page = state
            .store
            .list_monitors(
                scope,
                &MonitorFilter::default(),
                &PageRequest::new(number, per_page),
            )
            .await?;
        let last = page.items.len() < per_page as usize
            || u64::from(number) * u64::from(per_page) >= page.total;
        out.extend(
            page.items
                .into_iter()
                .filter(|m| m.input.enabled && m.input.probes.iter().any(|p| p == probe)),
        );
        if last {
            break;
        }
    }
    Ok(out)
}

/// The remote probes that have called in, by name.
#[utoipa::path(get, operation_id = "list_probes", path = "/api/v1/probes", tag = "monitors",
    responses((status = 200, description = "Probes and when they were last seen", body = Vec<ProbeInfo>)))]
pub async fn list(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<Vec<ProbeInfo>>, ApiError> {
    Ok(Json(state.store.list_probes().await?))
}

/// The enabled monitors of the caller's units assigned to the probe `name`; records that the
/// probe called in.
#[utoipa::path(get, operation_id = "probe_monitors", path = "/api/v1/probes/{name}/monitors", tag = "monitors",
    params(("name" = String, Path, description = "Probe name")),
    responses((status = 200, description = "The monitors to run", body = Vec<Monitor>)))]
pub async fn monitors(
    State(state): State<AppState>,
    caller: Caller,
    PeerAddr(peer): PeerAddr,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<Vec<Monitor>>, ApiError> {
    let name = probe_name(&name)?;
    let monitors = assigned_monitors(&state, &caller.scope(), &name).await?;
    state
        .store
        .touch_probe(&name, peer.as_deref(), Timestamp::now())
        .await?;
    Ok(Json(monitors))
}

/// What `POST /probes/{name}/results` answers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResultsAccepted {
    /// Results taken in.
    pub accepted: usize,
}

/// Takes the results a remote probe ran. Every result must be of a monitor of the caller's
/// units that is assigned to this probe (else 422 naming the result's index, and nothing is
/// taken); they then go through the watch engine like the server's own checks.
#[utoipa::path(post, operation_id = "probe_results", path = "/api/v1/probes/{name}/results", tag = "monitors",
    request_body = Vec<CheckResult>, params(("name" = String, Path, description = "Probe name")),
    responses((status = 200, description = "Every result was taken in", body = ResultsAccepted),
              (status = 503, description = "This server runs no watch engine")))]
pub async fn results(
    State(state): State<AppState>,
    caller: Caller,
    PeerAddr(peer): PeerAddr,
    ApiPath(name): ApiPath<String>,
    ApiJson(mut results): ApiJson<Vec<CheckResult>>,
) -> Result<Json<ResultsAccepted>, ApiError> {
    require_responder(&caller)?;
    let name = probe_name(&name)?;
    if results.len() > MAX_RESULTS {
        return Err(ApiError::invalid(
            "results",
            format!("at most {MAX_RESULTS} results per report"),
        ));
    }
    let scope = caller.scope();
    // A probe's clock may drift a little; a result from further ahead would skew the history.
    let latest = Timestamp::now() + jiff::SignedDuration::from_mins(MAX_CLOCK_AHEAD_MINS);
    let mut checked: Vec<(Id, bool)> = Vec::new();
    for (index, result) in results.iter_mut().enumerate() {
        if result.at > latest {
            return Err(ApiError::invalid(
                format!("[{index}].at"),
                format!(
                    "result {index} is dated {} minutes ahead of the server's clock; check the \
                     probe's clock",
                    result.at.duration_since(Timestamp::now()).as_mins()
                ),
            ));
        }
        if result.probe.trim().is_empty() {
            result.probe = name.clone();
        } else if !result.probe.trim().eq_ignore_ascii_case(&name) {
            return Err(ApiError::invalid(
                format!("[{index}].probe"),
                format!(
                    "result {index} names probe {:?}, not {name:?}",
                    result.probe
                ),
            ));
        } else {
            result.probe = name.clone();
        }
        let assigned = match checked.iter().find(|(id, _)| *id == result.monitor_id) {
            Some((_, assigned)) => *assigned,
            None => {
                let assigned = match state.store.get_monitor(&scope, result.monitor_id).await {
                    Ok(monitor) => monitor.input.probes.contains(&name),
                    Err(canhgac_store::StoreError::NotFound { .. }) => false,
                    Err(other) => return Err(other.into()),
                };
                checked.push((result.monitor_id, assigned));
                assigned
            }
        };
        if !assigned {
            return Err(ApiError::invalid(
                format!("[{index}].monitor_id"),
                format!(
                    "result {index}: monitor {} is not assigned to probe {name:?} in your units; \
                     nothing was taken",
                    result.monitor_id
                ),
            ));
        }
    }
    let watch = watch(&state)?.clone();
    state
        .store
        .touch_probe(&name, peer.as_deref(), Timestamp::now())
        .await?;
    let accepted = results.len();
    if accepted > 0 {
        watch
            .accept_probe_results(&name, results)
            .await
            .map_err(|message| {
                tracing::warn!(probe = %name, %message, "probe results refused by the watch engine");
                ApiError::unavailable(format!("the results could not be taken now: {message}"))
            })?;
        state.alert_counts.forget();
    }
    Ok(Json(ResultsAccepted { accepted }))
}

/// The public monitors: name, status and availability only (no target, unit or message). No
/// sign-in needed.
#[utoipa::path(get, operation_id = "public_status", path = "/api/v1/status/public", tag = "monitors", security(()),
    responses((status = 200, description = "Public monitors, by name", body = Vec<PublicMonitorStatus>)))]
pub async fn public_status(
    State(state): State<AppState>,
) -> Result<Json<Vec<PublicMonitorStatus>>, ApiError> {
    Ok(Json(state.store.public_status(Timestamp::now()).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_names_are_checked() {
        assert_eq!(
            probe_name(" Ngoai-Mang.1 ").ok().as_deref(),
            Some("ngoai-mang.1")
        );
        for bad in ["", "local", "LOCAL", "a b", "x/y", &"p".repeat(65)] {
            assert!(probe_name(bad).is_err(), "{bad}");
        }
    }
}
