//! Column lists and row decoding, one place per table.

use canhgac_model::{
    ApiToken, Asset, AssetKind, AuditEntry, Authority, Contact, Date, InformationClass,
    InformationSystem, Role, SystemKind, Timestamp, Unit, UnitKind, User,
};
use serde::de::DeserializeOwned;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{Result, StoreError};

pub(crate) const UNIT_COLS: &str =
    "id, code, name, kind, parent_id, address, valid_from, valid_to, created_at, updated_at";
pub(crate) const SYSTEM_COLS: &str = "id, code, name, kind, owner_unit_id, operator_unit_id, \
     security_level, level_decision_number, level_decision_date, information_class, purpose, \
     services, security_controls, isp, security_provider, created_at, updated_at";
pub(crate) const ASSET_COLS: &str =
    "id, system_id, kind, value, name, os, os_version, software, note, created_at, updated_at";
pub(crate) const CONTACT_COLS: &str =
    "id, unit_id, name, position, responsibility, phone, email, created_at, updated_at";
pub(crate) const AUTHORITY_COLS: &str =
    "id, code, name, address, phones, emails, valid_from, valid_to, note, created_at, updated_at";
pub(crate) const USER_COLS: &str = "id, username, display_name, email, role, disabled, created_at";
pub(crate) const TOKEN_COLS: &str = "id, user_id, name, prefix, created_at, last_used_at, revoked";
pub(crate) const AUDIT_COLS: &str =
    "id, at, actor_user_id, actor, action, entity, entity_id, before_json, after_json";

/// Prefixes every column of a list with a table alias.
pub(crate) fn qualified(alias: &str, cols: &str) -> String {
    cols.split(", ")
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Now, at the microsecond precision the database keeps, so returned records equal stored ones.
pub(crate) fn now() -> Timestamp {
    let t = Timestamp::now();
    Timestamp::from_microsecond(t.as_microsecond()).unwrap_or(t)
}

pub(crate) fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

pub(crate) fn from_micros(table: &str, v: i64) -> Result<Timestamp> {
    Timestamp::from_microsecond(v)
        .map_err(|_| StoreError::Corrupt(format!("{table}: timestamp {v}")))
}

pub(crate) fn date_text(d: Option<Date>) -> Option<String> {
    d.map(|d| d.to_string())
}

pub(crate) fn json_text<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

pub(crate) fn get<'r, T>(row: &'r AnyRow, table: &str, col: &str) -> Result<T>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get::<T, _>(col)
        .map_err(|e| StoreError::Corrupt(format!("{table}.{col}: {e}")))
}

pub(crate) fn ts(row: &AnyRow, table: &str, col: &str) -> Result<Timestamp> {
    from_micros(table, get::<i64>(row, table, col)?)
}

pub(crate) fn opt_ts(row: &AnyRow, table: &str, col: &str) -> Result<Option<Timestamp>> {
    get::<Option<i64>>(row, table, col)?
        .map(|v| from_micros(table, v))
        .transpose()
}

fn date(row: &AnyRow, table: &str, col: &str) -> Result<Option<Date>> {
    get::<Option<String>>(row, table, col)?
        .map(|s| {
            s.parse::<Date>()
                .map_err(|_| StoreError::Corrupt(format!("{table}.{col}: date {s:?}")))
        })
        .transpose()
}

fn json<T: DeserializeOwned>(row: &AnyRow, table: &str, col: &str) -> Result<T> {
    let text: String = get(row, table, col)?;
    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("{table}.{col}: {e}")))
}

fn code<T>(row: &AnyRow, table: &str, col: &str, parse: fn(&str) -> Option<T>) -> Result<T> {
    let text: String = get(row, table, col)?;
    parse(&text).ok_or_else(|| StoreError::Corrupt(format!("{table}.{col}: {text:?}")))
}

pub(crate) fn unit(row: &AnyRow) -> Result<Unit> {
    const T: &str = "units";
    Ok(Unit {
        id: get(row, T, "id")?,
        code: get(row, T, "code")?,
        name: get(row, T, "name")?,
        kind: code(row, T, "kind", UnitKind::from_code)?,
        parent_id: get(row, T, "parent_id")?,
        address: get(row, T, "address")?,
        valid_from: date(row, T, "valid_from")?,
        valid_to: date(row, T, "valid_to")?,
        created_at: ts(row, T, "created_at")?,
        updated_at: ts(row, T, "updated_at")?,
    })
}

pub(crate) fn unit_brief(row: &AnyRow) -> Result<crate::UnitBrief> {
    const T: &str = "units";
    Ok(crate::UnitBrief {
        id: get(row, T, "id")?,
        parent_id: get(row, T, "parent_id")?,
        name: get(row, T, "name")?,
        kind: code(row, T, "kind", UnitKind::from_code)?,
        valid_to: date(row, T, "valid_to")?,
    })
}

pub(crate) fn system(row: &AnyRow) -> Result<InformationSystem> {
    const T: &str = "systems";
    let level: Option<i64> = get(row, T, "security_level")?;
    let class: Option<String> = get(row, T, "information_class")?;
    Ok(InformationSystem {
        id: get(row, T, "id")?,
        code: get(row, T, "code")?,
        name: get(row, T, "name")?,
        kind: code(row, T, "kind", SystemKind::from_code)?,
        owner_unit_id: get(row, T, "owner_unit_id")?,
        operator_unit_id: get(row, T, "operator_unit_id")?,
        security_level: level
            .map(|l| {
                u8::try_from(l).map_err(|_| StoreError::Corrupt(format!("{T}.security_level: {l}")))
            })
            .transpose()?,
        level_decision_number: get(row, T, "level_decision_number")?,
        level_decision_date: date(row, T, "level_decision_date")?,
        information_class: class
            .map(|c| {
                InformationClass::from_code(&c)
                    .ok_or_else(|| StoreError::Corrupt(format!("{T}.information_class: {c:?}")))
            })
            .transpose()?,
        purpose: get(row, T, "purpose")?,
        services: json(row, T, "services")?,
        security_controls: json(row, T, "security_controls")?,
        isp: get(row, T, "isp")?,
        security_provider: get(row, T, "security_provider")?,
        created_at: ts(row, T, "created_at")?,
        updated_at: ts(row, T, "updated_at")?,
    })
}

pub(crate) fn asset(row: &AnyRow) -> Result<Asset> {
    const T: &str = "assets";
    Ok(Asset {
        id: get(row, T, "id")?,
        system_id: get(row, T, "system_id")?,
        kind: code(row, T, "kind", AssetKind::from_code)?,
        value: get(row, T, "value")?,
        name: get(row, T, "name")?,
        os: get(row, T, "os")?,
        os_version: get(row, T, "os_version")?,
        software: json(row, T, "software")?,
        note: get(row, T, "note")?,
        created_at: ts(row, T, "created_at")?,
        updated_at: ts(row, T, "updated_at")?,
    })
}

pub(crate) fn contact(row: &AnyRow) -> Result<Contact> {
    const T: &str = "contacts";
    Ok(Contact {
        id: get(row, T, "id")?,
        unit_id: get(row, T, "unit_id")?,
        name: get(row, T, "name")?,
        position: get(row, T, "position")?,
        responsibility: get(row, T, "responsibility")?,
        phone: get(row, T, "phone")?,
        email: get(row, T, "email")?,
        created_at: ts(row, T, "created_at")?,
        updated_at: ts(row, T, "updated_at")?,
    })
}

pub(crate) fn authority(row: &AnyRow) -> Result<Authority> {
    const T: &str = "authorities";
    Ok(Authority {
        id: get(row, T, "id")?,
        code: get(row, T, "code")?,
        name: get(row, T, "name")?,
        address: get(row, T, "address")?,
        phones: json(row, T, "phones")?,
        emails: json(row, T, "emails")?,
        valid_from: date(row, T, "valid_from")?,
        valid_to: date(row, T, "valid_to")?,
        note: get(row, T, "note")?,
        created_at: ts(row, T, "created_at")?,
        updated_at: ts(row, T, "updated_at")?,
    })
}

/// A user without their unit ids (filled in by a second query).
pub(crate) fn user(row: &AnyRow) -> Result<User> {
    const T: &str = "users";
    Ok(User {
        id: get(row, T, "id")?,
        username: get(row, T, "username")?,
        display_name: get(row, T, "display_name")?,
        email: get(row, T, "email")?,
        role: code(row, T, "role", Role::from_code)?,
        unit_ids: Vec::new(),
        disabled: get::<i64>(row, T, "disabled")? != 0,
        created_at: ts(row, T, "created_at")?,
    })
}

pub(crate) fn token(row: &AnyRow) -> Result<ApiToken> {
    const T: &str = "api_tokens";
    Ok(ApiToken {
        id: get(row, T, "id")?,
        user_id: get(row, T, "user_id")?,
        name: get(row, T, "name")?,
        prefix: get(row, T, "prefix")?,
        created_at: ts(row, T, "created_at")?,
        last_used_at: opt_ts(row, T, "last_used_at")?,
        revoked: get::<i64>(row, T, "revoked")? != 0,
    })
}

pub(crate) fn audit(row: &AnyRow) -> Result<AuditEntry> {
    const T: &str = "audit_log";
    let value = |col: &str| -> Result<Option<serde_json::Value>> {
        get::<Option<String>>(row, T, col)?
            .map(|text| {
                serde_json::from_str(&text)
                    .map_err(|e| StoreError::Corrupt(format!("{T}.{col}: {e}")))
            })
            .transpose()
    };
    Ok(AuditEntry {
        id: get(row, T, "id")?,
        at: ts(row, T, "at")?,
        actor_user_id: get(row, T, "actor_user_id")?,
        actor: get(row, T, "actor")?,
        action: get(row, T, "action")?,
        entity: get(row, T, "entity")?,
        entity_id: get(row, T, "entity_id")?,
        before: value("before_json")?,
        after: value("after_json")?,
    })
}

pub(crate) const ALERT_COLS: &str = "id, source, rule_key, title, severity, tags, unit_id, host, \
     first_seen, last_seen, count, status, comment, evidence";
pub(crate) const INDICATOR_COLS: &str =
    "id, kind, value, source, description, severity, tags, expires_at, created_at, confidence, \
     tlp, first_seen, last_seen, advisory";
pub(crate) const SUPPRESSION_COLS: &str =
    "id, rule_key, unit_id, field, value, comment, expires_at";

pub(crate) fn alert(row: &AnyRow) -> Result<canhgac_model::Alert> {
    use canhgac_model::{AlertSource, AlertStatus, Severity};
    const T: &str = "alerts";
    Ok(canhgac_model::Alert {
        id: get(row, T, "id")?,
        source: code(row, T, "source", AlertSource::from_code)?,
        rule_key: get(row, T, "rule_key")?,
        title: get(row, T, "title")?,
        severity: code(row, T, "severity", Severity::from_code)?,
        tags: json(row, T, "tags")?,
        unit_id: get(row, T, "unit_id")?,
        host: get(row, T, "host")?,
        first_seen: ts(row, T, "first_seen")?,
        last_seen: ts(row, T, "last_seen")?,
        count: get(row, T, "count")?,
        status: code(row, T, "status", AlertStatus::from_code)?,
        comment: get(row, T, "comment")?,
        evidence: json(row, T, "evidence")?,
    })
}

pub(crate) fn indicator(row: &AnyRow) -> Result<canhgac_model::Indicator> {
    use canhgac_model::{IndicatorKind, Severity};
    const T: &str = "indicators";
    Ok(canhgac_model::Indicator {
        id: get(row, T, "id")?,
        kind: code(row, T, "kind", IndicatorKind::from_code)?,
        value: get(row, T, "value")?,
        source: get(row, T, "source")?,
        description: get(row, T, "description")?,
        severity: code(row, T, "severity", Severity::from_code)?,
        tags: json(row, T, "tags")?,
        expires_at: opt_ts(row, T, "expires_at")?,
        created_at: ts(row, T, "created_at")?,
        meta: canhgac_model::IndicatorMeta {
            confidence: get::<Option<i64>>(row, T, "confidence")?
                .and_then(|c| u8::try_from(c).ok()),
            tlp: get(row, T, "tlp")?,
            first_seen: opt_ts(row, T, "first_seen")?,
            last_seen: opt_ts(row, T, "last_seen")?,
            advisory: get(row, T, "advisory")?,
        },
    })
}

pub(crate) fn suppression(row: &AnyRow) -> Result<canhgac_model::Suppression> {
    const T: &str = "suppressions";
    Ok(canhgac_model::Suppression {
        id: get(row, T, "id")?,
        rule_key: get(row, T, "rule_key")?,
        unit_id: get(row, T, "unit_id")?,
        field: get(row, T, "field")?,
        value: get(row, T, "value")?,
        comment: get(row, T, "comment")?,
        expires_at: opt_ts(row, T, "expires_at")?,
    })
}

pub(crate) fn rule_override(row: &AnyRow) -> Result<canhgac_model::RuleOverride> {
    const T: &str = "rule_overrides";
    let severity: Option<String> = get(row, T, "severity")?;
    Ok(canhgac_model::RuleOverride {
        rule_key: get(row, T, "rule_key")?,
        unit_id: get(row, T, "unit_id")?,
        enabled: get::<i64>(row, T, "enabled")? != 0,
        severity: severity
            .map(|s| {
                canhgac_model::Severity::from_code(&s)
                    .ok_or_else(|| StoreError::Corrupt(format!("{T}.severity: {s:?}")))
            })
            .transpose()?,
    })
}

pub(crate) const MONITOR_COLS: &str = "id, asset_id, name, kind, target, settings, \
     interval_secs, timeout_secs, retries, enabled, is_public, probes, status, status_since, \
     last_check_at, last_latency_ms, last_message, consecutive_failures, automatic, created_at, \
     updated_at";
pub(crate) const CHECK_COLS: &str = "monitor_id, probe, at, ok, latency_ms, message, details";
pub(crate) const ROLLUP_COLS: &str =
    "probe, hour, checks, ups, latency_sum_ms, latency_count, latency_max_ms";
pub(crate) const OUTAGE_COLS: &str = "id, monitor_id, started_at, ended_at, reason";
pub(crate) const BASELINE_COLS: &str =
    "monitor_id, baseline, baseline_at, approved_by, candidate, candidate_at";
pub(crate) const WINDOW_COLS: &str = "id, monitor_id, starts_at, ends_at, reason";

/// A count or duration kept as BIGINT that the model holds as `u32`.
fn small(row: &AnyRow, table: &str, col: &str) -> Result<u32> {
    let v: i64 = get(row, table, col)?;
    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("{table}.{col}: {v}")))
}

fn opt_small(row: &AnyRow, table: &str, col: &str) -> Result<Option<u32>> {
    get::<Option<i64>>(row, table, col)?
        .map(|v| u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("{table}.{col}: {v}"))))
        .transpose()
}

/// A monitor selected with [`MONITOR_COLS`] plus `system_id` and `unit_id` from its asset's
/// system.
pub(crate) fn monitor(row: &AnyRow) -> Result<canhgac_model::Monitor> {
    use canhgac_model::{MonitorInput, MonitorKind, MonitorStatus};
    const T: &str = "monitors";
    Ok(canhgac_model::Monitor {
        id: get(row, T, "id")?,
        unit_id: get(row, T, "unit_id")?,
        system_id: get(row, T, "system_id")?,
        input: MonitorInput {
            asset_id: get(row, T, "asset_id")?,
            name: get(row, T, "name")?,
            kind: code(row, T, "kind", MonitorKind::from_code)?,
            target: get(row, T, "target")?,
            settings: json(row, T, "settings")?,
            interval_secs: small(row, T, "interval_secs")?,
            timeout_secs: small(row, T, "timeout_secs")?,
            retries: small(row, T, "retries")?,
            enabled: get::<i64>(row, T, "enabled")? != 0,
            public: get::<i64>(row, T, "is_public")? != 0,
            probes: json(row, T, "probes")?,
        },
        status: code(row, T, "status", MonitorStatus::from_code)?,
        status_since: opt_ts(row, T, "status_since")?,
        last_check_at: opt_ts(row, T, "last_check_at")?,
        last_latency_ms: opt_small(row, T, "last_latency_ms")?,
        last_message: get(row, T, "last_message")?,
        consecutive_failures: small(row, T, "consecutive_failures")?,
        automatic: get::<i64>(row, T, "automatic")? != 0,
        created_at: ts(row, T, "created_at")?,
        updated_at: ts(row, T, "updated_at")?,
    })
}

pub(crate) fn check(row: &AnyRow) -> Result<canhgac_model::CheckResult> {
    const T: &str = "monitor_checks";
    Ok(canhgac_model::CheckResult {
        monitor_id: get(row, T, "monitor_id")?,
        probe: get(row, T, "probe")?,
        at: ts(row, T, "at")?,
        ok: get::<i64>(row, T, "ok")? != 0,
        latency_ms: opt_small(row, T, "latency_ms")?,
        message: get(row, T, "message")?,
        details: json(row, T, "details")?,
    })
}

pub(crate) fn rollup(row: &AnyRow) -> Result<canhgac_model::MonitorRollup> {
    const T: &str = "monitor_rollups";
    let sum: i64 = get(row, T, "latency_sum_ms")?;
    Ok(canhgac_model::MonitorRollup {
        probe: get(row, T, "probe")?,
        hour: ts(row, T, "hour")?,
        checks: small(row, T, "checks")?,
        ups: small(row, T, "ups")?,
        latency_sum_ms: u64::try_from(sum)
            .map_err(|_| StoreError::Corrupt(format!("{T}.latency_sum_ms: {sum}")))?,
        latency_count: small(row, T, "latency_count")?,
        latency_max_ms: small(row, T, "latency_max_ms")?,
    })
}

pub(crate) fn outage(row: &AnyRow) -> Result<canhgac_model::Outage> {
    const T: &str = "monitor_outages";
    Ok(canhgac_model::Outage {
        id: get(row, T, "id")?,
        monitor_id: get(row, T, "monitor_id")?,
        started_at: ts(row, T, "started_at")?,
        ended_at: opt_ts(row, T, "ended_at")?,
        reason: get(row, T, "reason")?,
    })
}

pub(crate) fn baseline(row: &AnyRow) -> Result<canhgac_model::DefacementBaseline> {
    const T: &str = "defacement_baselines";
    let candidate: Option<String> = get(row, T, "candidate")?;
    Ok(canhgac_model::DefacementBaseline {
        monitor_id: get(row, T, "monitor_id")?,
        baseline: json(row, T, "baseline")?,
        baseline_at: ts(row, T, "baseline_at")?,
        approved_by: get(row, T, "approved_by")?,
        candidate: candidate
            .map(|text| {
                serde_json::from_str(&text)
                    .map_err(|e| StoreError::Corrupt(format!("{T}.candidate: {e}")))
            })
            .transpose()?,
        candidate_at: opt_ts(row, T, "candidate_at")?,
    })
}

pub(crate) fn window(row: &AnyRow) -> Result<canhgac_model::MaintenanceWindow> {
    const T: &str = "maintenance_windows";
    Ok(canhgac_model::MaintenanceWindow {
        id: get(row, T, "id")?,
        monitor_id: get(row, T, "monitor_id")?,
        starts_at: ts(row, T, "starts_at")?,
        ends_at: ts(row, T, "ends_at")?,
        reason: get(row, T, "reason")?,
    })
}

pub(crate) fn probe(row: &AnyRow) -> Result<canhgac_model::ProbeInfo> {
    const T: &str = "probes";
    Ok(canhgac_model::ProbeInfo {
        name: get(row, T, "name")?,
        last_seen: ts(row, T, "last_seen")?,
        address: get(row, T, "address")?,
    })
}

pub(crate) const FINDING_COLS: &str = "id, source, key, category, title, severity, unit_id, \
     system_id, asset_id, host, subject, evidence, remediation, status, status_reason, \
     first_seen, last_seen, sightings, status_changed_at, status_until";

pub(crate) fn finding(row: &AnyRow) -> Result<canhgac_model::Finding> {
    use canhgac_model::{FindingSource, FindingStatus, Severity};
    const T: &str = "findings";
    Ok(canhgac_model::Finding {
        id: get(row, T, "id")?,
        source: code(row, T, "source", FindingSource::from_code)?,
        key: get(row, T, "key")?,
        category: get(row, T, "category")?,
        title: get(row, T, "title")?,
        severity: code(row, T, "severity", Severity::from_code)?,
        unit_id: get(row, T, "unit_id")?,
        system_id: get(row, T, "system_id")?,
        asset_id: get(row, T, "asset_id")?,
        host: get(row, T, "host")?,
        subject: get(row, T, "subject")?,
        evidence: json(row, T, "evidence")?,
        remediation: get(row, T, "remediation")?,
        status: code(row, T, "status", FindingStatus::from_code)?,
        status_reason: get(row, T, "status_reason")?,
        first_seen: ts(row, T, "first_seen")?,
        last_seen: ts(row, T, "last_seen")?,
        sightings: get(row, T, "sightings")?,
        status_changed_at: ts(row, T, "status_changed_at")?,
        status_until: opt_ts(row, T, "status_until")?,
    })
}
