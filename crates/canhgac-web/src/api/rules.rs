//! `/rules`: the Sigma rules in force (and the documents that did not load), with the overrides
//! that switch rules off or change their level everywhere or for one unit; `/suppressions`:
//! hits that must not become alerts. A setting for every unit needs a caller who sees every
//! unit; a unit's setting needs the unit in scope (the store checks both).

use std::collections::HashSet;

use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::Json;
use canhgac_model::{Id, RuleOverride, Scope, Severity, Suppression, Timestamp};
use canhgac_store::Store;
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiJson, ApiPath};
use super::events::{id_param, query_pairs};
use super::{created, require_responder, Created};
use crate::auth::Caller;
use crate::detection::{RuleProblem, RuleSummary};
use crate::AppState;

/// A loaded rule as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RuleView {
    /// Stable key (rule id, else title): what overrides and alerts refer to.
    pub key: String,
    /// Title.
    pub title: String,
    /// Level in the rule file.
    pub level: Severity,
    /// Tags (ATT&CK).
    pub tags: Vec<String>,
    /// Sigma status.
    pub status: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// File it came from.
    pub origin: String,
    /// Logsource as `product/category/service`.
    pub logsource: String,
    /// `detection` or `correlation`.
    pub kind: String,
}

impl From<&RuleSummary> for RuleView {
    fn from(rule: &RuleSummary) -> Self {
        Self {
            key: rule.key.clone(),
            title: rule.title.clone(),
            level: rule.level,
            tags: rule.tags.clone(),
            status: rule.status.clone(),
            description: rule.description.clone(),
            origin: rule.origin.clone(),
            logsource: rule.logsource.clone(),
            kind: rule.kind.clone(),
        }
    }
}

/// A rule document that did not load.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProblemView {
    /// File.
    pub origin: String,
    /// Title, when it could be read.
    pub title: Option<String>,
    /// Why.
    pub reason: String,
}

impl From<&RuleProblem> for ProblemView {
    fn from(problem: &RuleProblem) -> Self {
        Self {
            origin: problem.origin.clone(),
            title: problem.title.clone(),
            reason: problem.reason.clone(),
        }
    }
}

/// The rule set in force and the caller's view of the overrides.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RulesAnswer {
    /// False when this server runs no detection (rules and problems are then empty; overrides
    /// can still be managed).
    pub enabled: bool,
    /// Loaded rules matching `q`.
    pub rules: Vec<RuleView>,
    /// Rule documents that did not load.
    pub problems: Vec<ProblemView>,
    /// Rule directories read.
    pub directories: Vec<String>,
    /// When the rule set was loaded.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub loaded_at: Option<Timestamp>,
    /// Overrides for every unit, and for the units the caller sees.
    pub overrides: Vec<RuleOverride>,
}

/// Every override `scope` may see: the global ones and those of units in scope.
pub async fn overrides_in_scope(
    store: &dyn Store,
    scope: &Scope,
) -> Result<Vec<RuleOverride>, canhgac_store::StoreError> {
    let all = store.rule_overrides().await?;
    if scope.is_all() {
        return Ok(all);
    }
    let ids: Vec<Id> = all.iter().filter_map(|o| o.unit_id).collect();
    let visible: HashSet<Id> = store
        .unit_names(scope, &ids)
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    Ok(all
        .into_iter()
        .filter(|o| o.unit_id.is_none_or(|unit| visible.contains(&unit)))
        .collect())
}

/// True when `rule` matches the search text (title, key, tags, file, logsource).
pub fn rule_matches(rule: &RuleSummary, q: &str) -> bool {
    let q = q.trim().to_lowercase();
    if q.is_empty() {
        return true;
    }
    let hay = format!(
        "{} {} {} {} {}",
        rule.title,
        rule.key,
        rule.tags.join(" "),
        rule.origin,
        rule.logsource
    )
    .to_lowercase();
    q.split_whitespace().all(|term| hay.contains(term))
}

/// Filters of `GET /rules`.
#[derive(Debug, Clone, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct RuleQuery {
    /// Words that must all appear in the title, key, tags, file or logsource.
    q: Option<String>,
}

/// The loaded rules (title, level, logsource, tags, file), the documents that did not load and
/// why, and the overrides the caller may see.
#[utoipa::path(get, operation_id = "list_rules", path = "/api/v1/rules", tag = "rules", params(RuleQuery),
    responses((status = 200, description = "Rules, load problems and overrides", body = RulesAnswer)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
) -> Result<Json<RulesAnswer>, ApiError> {
    let q = query_pairs(&uri)?
        .into_iter()
        .find(|(name, _)| name == "q")
        .map(|(_, value)| value)
        .unwrap_or_default();
    let overrides = overrides_in_scope(state.store.as_ref(), &caller.scope()).await?;
    let answer = match &state.detection {
        Some(detection) => {
            let catalog = detection.catalog();
            RulesAnswer {
                enabled: true,
                rules: catalog
                    .rules
                    .iter()
                    .filter(|r| rule_matches(r, &q))
                    .map(RuleView::from)
                    .collect(),
                problems: catalog.problems.iter().map(ProblemView::from).collect(),
                directories: catalog.directories.clone(),
                loaded_at: Some(catalog.loaded_at),
                overrides,
            }
        }
        None => RulesAnswer {
            enabled: false,
            rules: Vec::new(),
            problems: Vec::new(),
            directories: Vec::new(),
            loaded_at: None,
            overrides,
        },
    };
    Ok(Json(answer))
}

/// What `PUT /rules/{key}/override` reads.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideInput {
    /// Only for events of this unit; absent for every unit.
    #[serde(default)]
    pub unit_id: Option<Id>,
    /// False switches the rule off.
    pub enabled: bool,
    /// Replaces the rule's level.
    #[serde(default)]
    pub severity: Option<Severity>,
}

/// Switches a rule on or off, or changes its level, for every unit (callers who see every
/// unit) or for one unit in the caller's scope. Replaces an earlier override of the same rule
/// and unit.
#[utoipa::path(put, operation_id = "set_rule_override", path = "/api/v1/rules/{key}/override", tag = "rules",
    request_body = OverrideInput, params(("key" = String, Path, description = "Rule key (id, else title)")),
    responses((status = 200, description = "The override in force", body = RuleOverride)))]
pub async fn set_override(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(key): ApiPath<String>,
    ApiJson(input): ApiJson<OverrideInput>,
) -> Result<Json<RuleOverride>, ApiError> {
    require_responder(&caller)?;
    let setting = RuleOverride {
        rule_key: key.trim().to_string(),
        unit_id: input.unit_id,
        enabled: input.enabled,
        severity: input.severity,
    };
    state
        .store
        .set_rule_override(&caller.actor(), setting.clone())
        .await?;
    Ok(Json(setting))
}

/// Which override `DELETE /rules/{key}/override` removes.
#[derive(Debug, Clone, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct OverrideTarget {
    /// The unit's override; absent for the one of every unit.
    unit_id: Option<Id>,
}

/// Removes an override: the rule's level and state come from its file (or the global override)
/// again.
#[utoipa::path(delete, operation_id = "delete_rule_override", path = "/api/v1/rules/{key}/override", tag = "rules",
    params(("key" = String, Path, description = "Rule key"), OverrideTarget),
    responses((status = 204, description = "Removed")))]
pub async fn delete_override(
    State(state): State<AppState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    ApiPath(key): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    require_responder(&caller)?;
    let mut unit_id = None;
    for (name, value) in query_pairs(&uri)? {
        if name == "unit_id" && !value.trim().is_empty() {
            unit_id = Some(id_param("unit_id", &value)?);
        }
    }
    state
        .store
        .delete_rule_override(&caller.actor(), key.trim(), unit_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The suppressions the caller sees: those of units in scope, and the global ones for callers
/// who see every unit.
#[utoipa::path(get, operation_id = "list_suppressions", path = "/api/v1/suppressions", tag = "rules",
    responses((status = 200, description = "Suppressions, newest first", body = Vec<Suppression>)))]
pub async fn list_suppressions(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<Suppression>>, ApiError> {
    Ok(Json(state.store.list_suppressions(&caller.scope()).await?))
}

/// What `POST /suppressions` reads.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuppressionInput {
    /// Only for this rule key; absent for every rule.
    #[serde(default)]
    pub rule_key: Option<String>,
    /// Only for events of this unit; absent for every unit (callers who see every unit).
    #[serde(default)]
    pub unit_id: Option<Id>,
    /// The event field compared (`host` names the event's host).
    pub field: String,
    /// The value it must equal (case-insensitive).
    pub value: String,
    /// Why.
    #[serde(default)]
    pub comment: String,
    /// After this instant the suppression no longer applies.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Timestamp>,
}

impl From<SuppressionInput> for Suppression {
    fn from(input: SuppressionInput) -> Self {
        Suppression {
            id: 0,
            rule_key: input.rule_key,
            unit_id: input.unit_id,
            field: input.field,
            value: input.value,
            comment: input.comment,
            expires_at: input.expires_at,
        }
    }
}

/// Adds a suppression: hits whose event has `field` = `value` (for one rule or all, one unit
/// or all) do not become alerts until it expires.
#[utoipa::path(post, operation_id = "create_suppression", path = "/api/v1/suppressions", tag = "rules",
    request_body = SuppressionInput,
    responses((status = 201, description = "The new suppression", body = Suppression)))]
pub async fn create_suppression(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<SuppressionInput>,
) -> Result<Created<Suppression>, ApiError> {
    require_responder(&caller)?;
    let suppression = state
        .store
        .create_suppression(&caller.actor(), input.into())
        .await?;
    Ok(created("suppressions", suppression.id, suppression))
}

/// Removes a suppression.
#[utoipa::path(delete, operation_id = "delete_suppression", path = "/api/v1/suppressions/{id}", tag = "rules",
    params(("id" = Id, Path, description = "Suppression id")),
    responses((status = 204, description = "Removed")))]
pub async fn delete_suppression(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Id>,
) -> Result<StatusCode, ApiError> {
    require_responder(&caller)?;
    state.store.delete_suppression(&caller.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
