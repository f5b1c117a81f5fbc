//! Persistence for canhgac: one [`Store`] trait, two real backends.
//!
//! - SQLite (the embedded default): one file in the data directory, WAL journal, full sync, so an
//!   acknowledged write survives a crash or kill.
//! - PostgreSQL (scale-out): `postgres://` URLs.
//!
//! Both are served by [`SqlStore`] over `sqlx`'s `Any` driver: the SQL is written once in the
//! subset both engines share, and the schema is migrated per backend from `migrations/sqlite` and
//! `migrations/postgres` at open.
//!
//! **Invariant: every read takes a [`Scope`] and every write takes an [`Actor`] (which carries
//! one).** A unit officer's scope is the subtrees under their units; records outside it are
//! reported as [`StoreError::NotFound`], exactly as if they did not exist, so ids cannot be probed.
//! Every write records an [`canhgac_model::AuditEntry`] in the same transaction.
//!
//! Design notes:
//!
//! - Units carry a materialised `path` (`/1/4/9/`); a scope is a set of path prefixes, matched
//!   with index range scans (`path >= '/1/4/' AND path < '/1/40'`) rather than `LIKE`.
//! - Text search (`q`) is a case-insensitive substring match on lower-cased copies of names kept
//!   next to them (`name_lc`, and `search_lc` for assets), because SQLite's `LOWER` folds ASCII
//!   only and Vietnamese names are not ASCII.
//! - On SQLite, writers are serialised in-process and start with `BEGIN IMMEDIATE`, so a write
//!   never fails half-way with `SQLITE_BUSY`; other processes wait up to the 5 s busy timeout.
//! - [`Store::apply_inventory`] keeps the unit tree and the system index in memory for the
//!   whole transaction and inserts assets and audit rows many per statement.
//! - Feature `testing` adds `testing::test_stores()`: a throwaway SQLite store, plus a throwaway
//!   PostgreSQL database when `CANHGAC_TEST_DATABASE_URL` is set.
//!
//! ```no_run
//! # async fn demo() -> Result<(), canhgac_store::StoreError> {
//! use canhgac_model::{Actor, Scope, UnitInput, UnitKind};
//! use canhgac_store::{open, Store};
//! let store = open("sqlite:///var/lib/canhgac/canhgac.db").await?;
//! let province = store
//!     .create_unit(&Actor::system("cli"), UnitInput::new("UBND tỉnh", UnitKind::Province, None))
//!     .await?;
//! let page = store.list_units(&Scope::All, &Default::default(), &Default::default()).await?;
//! assert_eq!(page.items[0].id, province.id);
//! # Ok(()) }
//! ```

use async_trait::async_trait;
use canhgac_model::bulletin::{
    Bulletin, BulletinAddressee, BulletinConfirmation, BulletinDetail, BulletinInput, BulletinLink,
    BulletinMail, OutboxCounts, OutboxDraft, OutboxFilter, OutboxMail, OutboxMessage,
};
use canhgac_model::inventory::{InventoryDocument, InventoryPlan, PlanSummary};
use canhgac_model::{
    Actor, Alert, AlertDraft, AlertFilter, AlertStatus, ApiToken, Asset, AssetInput, AuditEntry,
    AuditFilter, Authority, AuthorityInput, Availability, CheckResult, Contact, ContactInput,
    DefacementBaseline, Finding, FindingBatch, FindingCount, FindingFilter, FindingOutcome,
    FindingSource, FindingStatus, Id, Indicator, IndicatorInput, IndicatorKind, InformationSystem,
    MaintenanceWindow, Monitor, MonitorFilter, MonitorInput, MonitorRollup, MonitorStateUpdate,
    Outage, Page, PageRequest, PageSnapshot, ProbeInfo, PublicMonitorStatus, RuleOverride, Scope,
    Suppression, SystemInput, SystemKind, Timestamp, Unit, UnitInput, UnitKind, User, UserInput,
};
use serde::Serialize;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such record, or not in the caller's scope (the two are deliberately indistinguishable).
    #[error("{entity} {id} not found")]
    NotFound {
        /// Kind of record.
        entity: &'static str,
        /// The id or code asked for.
        id: String,
    },
    /// The record would break a rule: a duplicate code, a unit that still has systems, a cycle...
    #[error("{field}: {message}")]
    Conflict {
        /// The field at fault.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// An input value is invalid.
    #[error(transparent)]
    Invalid(#[from] canhgac_model::FieldError),
    /// The change reaches outside the actor's scope (e.g. creating a root unit as a unit officer).
    #[error("outside your units: {0}")]
    OutOfScope(String),
    /// The database URL or file cannot be used.
    #[error("cannot open the store at {url}: {message}")]
    Open {
        /// The URL with any password masked.
        url: String,
        /// Why.
        message: String,
    },
    /// A migration failed.
    #[error("migration {version} failed: {message}")]
    Migration {
        /// The migration's version.
        version: i64,
        /// Why.
        message: String,
    },
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored value cannot be decoded (a bug or a hand-edited database).
    #[error("corrupt stored value in {0}")]
    Corrupt(String),
}

/// Result type of this crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Filters for listings of units.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitFilter {
    /// Only children of this unit.
    pub parent_id: Option<Id>,
    /// Only this kind.
    pub kind: Option<UnitKind>,
}

/// Filters for listings of systems.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SystemFilter {
    /// Only systems owned or operated by this unit.
    pub unit_id: Option<Id>,
    /// Only this kind.
    pub kind: Option<SystemKind>,
}

/// Filters for listings of assets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssetFilter {
    /// Only assets of this system.
    pub system_id: Option<Id>,
    /// Only assets of systems owned or operated by this unit.
    pub unit_id: Option<Id>,
}

/// Filters for listings of contacts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactFilter {
    /// Only contacts of this unit.
    pub unit_id: Option<Id>,
}

/// A user together with the secret needed to sign them in. Never serialised.
#[derive(Debug, Clone)]
pub struct UserCredentials {
    /// The user.
    pub user: User,
    /// The argon2id PHC string; `None` when no password is set.
    pub password_hash: Option<String>,
}

/// A signed-in browser session.
#[derive(Debug, Clone)]
pub struct Session {
    /// Who is signed in.
    pub user: User,
    /// The anti-CSRF token every form of this session must carry.
    pub csrf_token: String,
    /// When the session ends.
    pub expires_at: Timestamp,
}

/// A unit reduced to what trees and pickers show (see [`Store::unit_briefs`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitBrief {
    /// Unit id.
    pub id: Id,
    /// Parent unit, if any (it may be outside the scope the brief was read in).
    pub parent_id: Option<Id>,
    /// Unit name.
    pub name: String,
    /// Kind of unit.
    pub kind: UnitKind,
    /// Last day the unit exists, if it is being wound up.
    pub valid_to: Option<canhgac_model::Date>,
}

/// Counts for the dashboard, within a scope.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Dashboard {
    /// Units in scope.
    pub units: u64,
    /// Systems in scope.
    pub systems: u64,
    /// Assets in scope.
    pub assets: u64,
    /// Contacts in scope.
    pub contacts: u64,
    /// Systems per kind (kinds with none are omitted).
    pub systems_by_kind: Vec<(SystemKind, u64)>,
    /// Per unit that owns or operates systems: (unit, systems, assets), most systems first.
    pub per_unit: Vec<UnitCounts>,
}

/// Counts for one unit on the dashboard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitCounts {
    /// Unit id.
    pub unit_id: Id,
    /// Unit name.
    pub unit_name: String,
    /// Systems it owns.
    pub systems: u64,
    /// Assets of those systems.
    pub assets: u64,
}

/// Which indicators a listing shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndicatorFilter {
    /// Only this kind.
    pub kind: Option<IndicatorKind>,
}

/// Monitors in a scope by status, for the dashboard and the header.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct WatchSummary {
    /// Every monitor in scope.
    pub total: u64,
    /// Up.
    pub up: u64,
    /// Down.
    pub down: u64,
    /// Flapping.
    pub flapping: u64,
    /// Pending, paused or in maintenance.
    pub other: u64,
}

/// What an indicator import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct IndicatorImport {
    /// New indicators.
    pub created: u64,
    /// Indicators that existed (same kind and value) and were updated.
    pub updated: u64,
}

/// Open alerts by severity, for the dashboard and the console header.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AlertSummary {
    /// Open (new or acknowledged) alerts.
    pub open: u64,
    /// Open alerts per severity, most severe first.
    pub open_by_severity: Vec<(canhgac_model::Severity, u64)>,
}

/// Writes the email of one bulletin addressee (see [`Store::create_bulletin`]): the caller owns
/// the wording and the link; the store owns who gets it.
pub type WriteBulletinMail<'a> = dyn Fn(&BulletinAddressee<'_>) -> BulletinMail + Send + Sync + 'a;

/// The persistence seam of canhgac. See the crate documentation for the invariants.
///
/// Reads outside the scope answer `NotFound`; writes outside it answer `NotFound` for existing
/// records and `OutOfScope` for new ones. Writes validate their input first.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which backend this is: `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// Checks the database answers (for `/healthz`).
    async fn ping(&self) -> Result<()>;

    // ---- units ----
    /// Units in scope, by name.
    async fn list_units(
        &self,
        scope: &Scope,
        filter: &UnitFilter,
        page: &PageRequest,
    ) -> Result<Page<Unit>>;
    /// Every unit in scope (for trees and pickers), by name.
    async fn all_units(&self, scope: &Scope) -> Result<Vec<Unit>>;
    /// Every unit in scope as a [`UnitBrief`], by name: the columns a tree or a picker needs,
    /// much lighter than [`Store::all_units`] on large inventories.
    async fn unit_briefs(&self, scope: &Scope) -> Result<Vec<UnitBrief>>;
    /// `(id, name)` of the units among `ids` that are in scope, by id; the others are left out.
    async fn unit_names(&self, scope: &Scope, ids: &[Id]) -> Result<Vec<(Id, String)>>;
    /// One unit.
    async fn get_unit(&self, scope: &Scope, id: Id) -> Result<Unit>;
    /// Creates a unit; its parent must be in scope (unit officers cannot create roots).
    async fn create_unit(&self, actor: &Actor, input: UnitInput) -> Result<Unit>;
    /// Changes a unit; a new parent must be in scope and must not be a descendant.
    async fn update_unit(&self, actor: &Actor, id: Id, input: UnitInput) -> Result<Unit>;
    /// Deletes a unit that has no children, systems, contacts or users.
    async fn delete_unit(&self, actor: &Actor, id: Id) -> Result<()>;

    // ---- information systems ----
    /// Systems owned or operated by units in scope, by name.
    async fn list_systems(
        &self,
        scope: &Scope,
        filter: &SystemFilter,
        page: &PageRequest,
    ) -> Result<Page<InformationSystem>>;
    /// `(id, name)` of every system in scope, by name (for pickers).
    async fn system_names(&self, scope: &Scope) -> Result<Vec<(Id, String)>>;
    /// One system.
    async fn get_system(&self, scope: &Scope, id: Id) -> Result<InformationSystem>;
    /// Creates a system; its owner (or operator) must be in scope.
    async fn create_system(&self, actor: &Actor, input: SystemInput) -> Result<InformationSystem>;
    /// Changes a system.
    async fn update_system(
        &self,
        actor: &Actor,
        id: Id,
        input: SystemInput,
    ) -> Result<InformationSystem>;
    /// Deletes a system and its assets.
    async fn delete_system(&self, actor: &Actor, id: Id) -> Result<()>;

    // ---- assets ----
    /// Assets of systems in scope, by value.
    async fn list_assets(
        &self,
        scope: &Scope,
        filter: &AssetFilter,
        page: &PageRequest,
    ) -> Result<Page<Asset>>;
    /// One asset.
    async fn get_asset(&self, scope: &Scope, id: Id) -> Result<Asset>;
    /// Creates an asset on `input.system_id`; (system, kind, value) is unique.
    async fn create_asset(&self, actor: &Actor, input: AssetInput) -> Result<Asset>;
    /// Changes an asset.
    async fn update_asset(&self, actor: &Actor, id: Id, input: AssetInput) -> Result<Asset>;
    /// Deletes an asset.
    async fn delete_asset(&self, actor: &Actor, id: Id) -> Result<()>;

    // ---- contacts ----
    /// Contacts of units in scope, by name.
    async fn list_contacts(
        &self,
        scope: &Scope,
        filter: &ContactFilter,
        page: &PageRequest,
    ) -> Result<Page<Contact>>;
    /// One contact.
    async fn get_contact(&self, scope: &Scope, id: Id) -> Result<Contact>;
    /// Creates a contact of `input.unit_id`.
    async fn create_contact(&self, actor: &Actor, input: ContactInput) -> Result<Contact>;
    /// Changes a contact.
    async fn update_contact(&self, actor: &Actor, id: Id, input: ContactInput) -> Result<Contact>;
    /// Deletes a contact.
    async fn delete_contact(&self, actor: &Actor, id: Id) -> Result<()>;

    // ---- authorities (shared by every unit; role checks are the caller's) ----
    /// Authorities, by name.
    async fn list_authorities(&self, page: &PageRequest) -> Result<Page<Authority>>;
    /// Authorities in force on `day`.
    async fn authorities_on(&self, day: canhgac_model::Date) -> Result<Vec<Authority>>;
    /// One authority.
    async fn get_authority(&self, id: Id) -> Result<Authority>;
    /// Creates an authority; (code, valid_from) is unique.
    async fn create_authority(&self, actor: &Actor, input: AuthorityInput) -> Result<Authority>;
    /// Changes an authority.
    async fn update_authority(
        &self,
        actor: &Actor,
        id: Id,
        input: AuthorityInput,
    ) -> Result<Authority>;
    /// Deletes an authority.
    async fn delete_authority(&self, actor: &Actor, id: Id) -> Result<()>;

    // ---- users, sessions, tokens (role checks are the caller's) ----
    /// Number of users (0 means the first-admin setup is open).
    async fn count_users(&self) -> Result<u64>;
    /// Users, by username.
    async fn list_users(&self, page: &PageRequest) -> Result<Page<User>>;
    /// One user.
    async fn get_user(&self, id: Id) -> Result<User>;
    /// A user and password hash by username (for sign-in); `None` when unknown.
    async fn user_credentials(&self, username: &str) -> Result<Option<UserCredentials>>;
    /// Creates a user with an argon2id password hash.
    async fn create_user(
        &self,
        actor: &Actor,
        input: UserInput,
        password_hash: Option<String>,
    ) -> Result<User>;
    /// Changes a user (not the password).
    async fn update_user(&self, actor: &Actor, id: Id, input: UserInput) -> Result<User>;
    /// Sets a user's password hash and ends their sessions.
    async fn set_password(&self, actor: &Actor, id: Id, password_hash: String) -> Result<()>;
    /// Deletes a user with their sessions and tokens.
    async fn delete_user(&self, actor: &Actor, id: Id) -> Result<()>;
    /// Stores a session by the SHA-256 of its cookie secret.
    async fn create_session(
        &self,
        user_id: Id,
        secret_hash: &str,
        csrf_token: &str,
        expires_at: Timestamp,
    ) -> Result<()>;
    /// The live session with this secret hash, if any (expired and disabled-user sessions are `None`).
    async fn session(&self, secret_hash: &str) -> Result<Option<Session>>;
    /// Ends a session.
    async fn delete_session(&self, secret_hash: &str) -> Result<()>;
    /// Stores an API token by the SHA-256 of its secret.
    async fn create_api_token(
        &self,
        actor: &Actor,
        user_id: Id,
        name: &str,
        prefix: &str,
        secret_hash: &str,
    ) -> Result<ApiToken>;
    /// Tokens of a user.
    async fn list_api_tokens(&self, user_id: Id) -> Result<Vec<ApiToken>>;
    /// Revokes a token of `user_id`.
    async fn revoke_api_token(&self, actor: &Actor, user_id: Id, token_id: Id) -> Result<()>;
    /// The enabled user behind a live token, updating its last use.
    async fn api_token_user(&self, secret_hash: &str) -> Result<Option<User>>;

    // ---- audit ----
    /// Audit entries, newest first.
    async fn list_audit(
        &self,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditEntry>>;
    /// Records an event that is not a data change (sign-in, failed sign-in, export).
    async fn record_event(
        &self,
        actor: &Actor,
        action: &str,
        entity: &str,
        detail: Option<serde_json::Value>,
    ) -> Result<()>;

    // ---- dashboard and inventory as code ----
    /// Counts within scope.
    async fn dashboard(&self, scope: &Scope) -> Result<Dashboard>;
    /// Writes one audit entry for an action taken outside the store (a flow mitigation: a
    /// blackhole announced or withdrawn, a script run), so every such action is visible.
    async fn append_audit(
        &self,
        actor: &Actor,
        action: &str,
        entity: &'static str,
        entity_id: Option<Id>,
        details: &serde_json::Value,
    ) -> Result<()>;
    /// The directive dashboard: measured facts per unit in scope, in tree order; systems count
    /// as scanned when a run of them finished at or after `scanned_since`.
    async fn directive_facts(
        &self,
        scope: &Scope,
        scanned_since: Timestamp,
    ) -> Result<Vec<canhgac_model::directive::UnitDirectiveFacts>>;
    /// The inventory in scope as a code-referenced document (authorities always included).
    async fn export_inventory(&self, scope: &Scope) -> Result<InventoryDocument>;
    /// Applies a plan in one transaction, all or nothing, with one audit entry per change.
    async fn apply_inventory(&self, actor: &Actor, plan: &InventoryPlan) -> Result<PlanSummary>;

    // ---- detection: alerts, indicators, tuning ----
    /// Stores detector hits, folding each into the open alert with the same source, rule key,
    /// unit and host whose last hit is within `fold_window`; returns the alert id per draft.
    async fn record_alerts(
        &self,
        drafts: &[AlertDraft],
        fold_window: jiff::SignedDuration,
    ) -> Result<Vec<Id>>;
    /// As [`Store::record_alerts`] for hits a detector already folded: each draft stands for
    /// `count` hits, the earliest at the given time.
    async fn record_alert_bursts(
        &self,
        bursts: &[(AlertDraft, u64, Timestamp)],
        fold_window: jiff::SignedDuration,
    ) -> Result<Vec<Id>>;
    /// Alerts in scope, newest first (unattributed alerts only for callers who see everything).
    async fn list_alerts(
        &self,
        scope: &Scope,
        filter: &AlertFilter,
        page: &PageRequest,
    ) -> Result<Page<Alert>>;
    /// One alert in scope.
    async fn get_alert(&self, scope: &Scope, id: Id) -> Result<Alert>;
    /// Sets an alert's triage state and comment (audited). A `None` comment keeps the old one.
    async fn triage_alert(
        &self,
        actor: &Actor,
        id: Id,
        status: AlertStatus,
        comment: Option<String>,
    ) -> Result<Alert>;
    /// Open alerts in scope by severity.
    async fn alert_summary(&self, scope: &Scope) -> Result<AlertSummary>;
    /// Indicators (they apply to every unit), newest first.
    async fn list_indicators(
        &self,
        filter: &IndicatorFilter,
        page: &PageRequest,
    ) -> Result<Page<Indicator>>;
    /// Every indicator not expired at `at`, for building matchers.
    async fn active_indicators(&self, at: Timestamp) -> Result<Vec<Indicator>>;
    /// Adds or updates (same kind and value) indicators, all or nothing; needs scope All.
    async fn import_indicators(
        &self,
        actor: &Actor,
        inputs: Vec<IndicatorInput>,
    ) -> Result<IndicatorImport>;
    /// Deletes an indicator; needs scope All.
    async fn delete_indicator(&self, actor: &Actor, id: Id) -> Result<()>;
    /// Every rule override.
    async fn rule_overrides(&self) -> Result<Vec<RuleOverride>>;
    /// Sets (replaces) the override of a rule for one unit or for all (scope All).
    async fn set_rule_override(&self, actor: &Actor, setting: RuleOverride) -> Result<()>;
    /// Removes an override.
    async fn delete_rule_override(
        &self,
        actor: &Actor,
        rule_key: &str,
        unit_id: Option<Id>,
    ) -> Result<()>;
    /// Suppressions in scope (global ones only for callers who see everything).
    async fn list_suppressions(&self, scope: &Scope) -> Result<Vec<Suppression>>;
    /// Adds a suppression; a global one needs scope All, a unit one the unit in scope.
    async fn create_suppression(&self, actor: &Actor, input: Suppression) -> Result<Suppression>;
    /// Removes a suppression.
    async fn delete_suppression(&self, actor: &Actor, id: Id) -> Result<()>;
    /// Changes whenever indicators, overrides, suppressions or the inventory's units, systems
    /// and assets change: detectors and attribution rebuild then.
    async fn detection_stamp(&self) -> Result<String>;
    /// Every asset with the unit that owns its system, for attributing events to units.
    async fn attribution_assets(&self) -> Result<Vec<(Id, canhgac_model::AssetKind, String)>>;

    // ---- watch: monitors, checks, outages, defacement baselines, maintenance ----
    /// Monitors in scope (by the owner unit of the asset's system), by name.
    async fn list_monitors(
        &self,
        scope: &Scope,
        filter: &MonitorFilter,
        page: &PageRequest,
    ) -> Result<Page<Monitor>>;
    /// One monitor in scope.
    async fn get_monitor(&self, scope: &Scope, id: Id) -> Result<Monitor>;
    /// Adds a monitor (validated; the asset must be in the actor's scope; audited).
    async fn create_monitor(&self, actor: &Actor, input: MonitorInput) -> Result<Monitor>;
    /// Changes a monitor (validated, audited); clears `automatic`; keeps its state and history.
    async fn update_monitor(&self, actor: &Actor, id: Id, input: MonitorInput) -> Result<Monitor>;
    /// Deletes a monitor with its history, baseline and windows (audited).
    async fn delete_monitor(&self, actor: &Actor, id: Id) -> Result<()>;
    /// System: adds automatic monitors (`automatic = true`), skipping any whose asset already has
    /// a monitor of the same kind and target, or had one that a user deleted; returns how many
    /// were added.
    async fn create_automatic_monitors(&self, inputs: Vec<MonitorInput>) -> Result<u64>;
    /// System: every enabled monitor, for the scheduler.
    async fn enabled_monitors(&self) -> Result<Vec<Monitor>>;
    /// Changes whenever a monitor or a maintenance window is added, changed or deleted.
    async fn watch_stamp(&self) -> Result<String>;
    /// System: stores a check, adds it to its hour's rollup, applies the state update (status,
    /// `status_since` when the status changes, failures, last check, latency and message) and
    /// opens or closes the outage, in one transaction.
    async fn record_check(&self, result: &CheckResult, update: &MonitorStateUpdate) -> Result<()>;
    /// Checks of a monitor in scope since `since`, newest first, at most `limit`.
    async fn recent_checks(
        &self,
        scope: &Scope,
        monitor_id: Id,
        since: Timestamp,
        limit: u32,
    ) -> Result<Vec<CheckResult>>;
    /// The latest check of a monitor in scope from each probe, by probe name.
    async fn latest_checks_by_probe(
        &self,
        scope: &Scope,
        monitor_id: Id,
    ) -> Result<Vec<CheckResult>>;
    /// Hourly rollups of a monitor in scope with `from <= hour < to`, oldest first.
    async fn monitor_rollups(
        &self,
        scope: &Scope,
        monitor_id: Id,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<MonitorRollup>>;
    /// Availability over the day, week and month before `at`, from the rollups, for each of the
    /// given monitors that is in scope.
    async fn availability(
        &self,
        scope: &Scope,
        monitor_ids: &[Id],
        at: Timestamp,
    ) -> Result<Vec<(Id, Availability)>>;
    /// Outages of a monitor in scope, newest first.
    async fn outages(&self, scope: &Scope, monitor_id: Id, limit: u32) -> Result<Vec<Outage>>;
    /// System: deletes raw checks older than `checks_before` and rollups older than
    /// `rollups_before`; returns how many rows went.
    async fn prune_checks(
        &self,
        checks_before: Timestamp,
        rollups_before: Timestamp,
    ) -> Result<u64>;
    /// A monitor's defacement baseline, when the monitor is in scope and has one.
    async fn defacement_baseline(
        &self,
        scope: &Scope,
        monitor_id: Id,
    ) -> Result<Option<DefacementBaseline>>;
    /// System: sets the baseline (the first capture of a page) and clears the candidate.
    async fn set_baseline(
        &self,
        monitor_id: Id,
        snapshot: &PageSnapshot,
        at: Timestamp,
    ) -> Result<()>;
    /// System: records (or, with `None`, clears) the latest capture that differs from the baseline.
    async fn set_candidate(
        &self,
        monitor_id: Id,
        snapshot: Option<&PageSnapshot>,
        at: Timestamp,
    ) -> Result<()>;
    /// Approves the candidate as the new baseline (audited) and resolves the monitor's open
    /// defacement alerts; `Invalid` when there is no candidate.
    async fn approve_candidate(&self, actor: &Actor, monitor_id: Id) -> Result<DefacementBaseline>;
    /// Maintenance windows in scope that have not ended at `at`, optionally of one monitor.
    async fn list_maintenance(
        &self,
        scope: &Scope,
        monitor_id: Option<Id>,
        at: Timestamp,
    ) -> Result<Vec<MaintenanceWindow>>;
    /// Adds a window to a monitor in the actor's scope (validated, audited).
    async fn create_maintenance(
        &self,
        actor: &Actor,
        window: MaintenanceWindow,
    ) -> Result<MaintenanceWindow>;
    /// Removes a window (audited).
    async fn delete_maintenance(&self, actor: &Actor, id: Id) -> Result<()>;
    /// System: resolves the open alerts of source `monitor` with this rule key, adding the
    /// comment; returns how many.
    async fn resolve_monitor_alerts(&self, rule_key: &str, comment: &str) -> Result<u64>;
    /// Records that a remote probe called in.
    async fn touch_probe(&self, name: &str, address: Option<&str>, at: Timestamp) -> Result<()>;
    /// Remote probes seen, by name.
    async fn list_probes(&self) -> Result<Vec<ProbeInfo>>;
    /// The public monitors (name, status, availability), by name; no scope: the page is public.
    async fn public_status(&self, at: Timestamp) -> Result<Vec<PublicMonitorStatus>>;
    /// Monitors in scope by status.
    async fn watch_summary(&self, scope: &Scope) -> Result<WatchSummary>;

    // ---- findings (every producer: scans, password audits, file sweeps, breach lists) ----
    /// Merges a batch of findings in one transaction; a batch with a snapshot also marks fixed
    /// the open findings of that run's shape it no longer contains. Every draft's unit (given,
    /// or attributed from its host) must be in the actor's scope.
    async fn record_findings(&self, actor: &Actor, batch: &FindingBatch) -> Result<FindingOutcome>;
    /// Findings in scope, most severe and recent first.
    async fn list_findings(
        &self,
        scope: &Scope,
        filter: &FindingFilter,
        page: &PageRequest,
    ) -> Result<Page<Finding>>;
    /// One finding in scope.
    async fn get_finding(&self, scope: &Scope, id: Id) -> Result<Finding>;
    /// Changes a finding's state (accepting or calling it false needs a reason, and may expire
    /// `until` a time, after which a run that still sees it reopens it); audited.
    async fn set_finding_status(
        &self,
        actor: &Actor,
        id: Id,
        status: FindingStatus,
        reason: Option<String>,
        until: Option<Timestamp>,
    ) -> Result<Finding>;
    /// The official email domains (domain assets of email systems) and the contacts' addresses
    /// of the units in scope, each with its unit, lower-cased: what breach lists are matched
    /// against.
    async fn email_directory(&self, scope: &Scope) -> Result<EmailDirectory>;
    /// Counts of findings in scope by unit, source, category and state.
    async fn finding_counts(
        &self,
        scope: &Scope,
        source: Option<FindingSource>,
    ) -> Result<Vec<FindingCount>>;
    // ---- bulletins and the outbox ----
    /// Sends a bulletin (audited): records it, takes the contacts with an email of its units
    /// (and of every unit below them with `include_subunits`), one per address, and queues one
    /// email each, written by `write`, all in one transaction. Every chosen unit must be in the
    /// actor's scope. Returns the bulletin as the actor sees it.
    async fn create_bulletin(
        &self,
        actor: &Actor,
        input: BulletinInput,
        write: &WriteBulletinMail<'_>,
    ) -> Result<BulletinDetail>;
    /// Bulletins addressed to a unit in scope, newest first, with the counts of that scope.
    async fn list_bulletins(&self, scope: &Scope, page: &PageRequest) -> Result<Page<Bulletin>>;
    /// One bulletin with the units and recipients in scope.
    async fn get_bulletin(&self, scope: &Scope, id: Id) -> Result<BulletinDetail>;
    /// Queues a reminder (audited) to every recipient in the actor's scope who has not confirmed
    /// and whose latest message has left the outbox; returns how many were queued.
    async fn remind_bulletin(
        &self,
        actor: &Actor,
        id: Id,
        write: &WriteBulletinMail<'_>,
    ) -> Result<u64>;
    /// System: bulletins with automatic reminders that have an unconfirmed recipient with fewer
    /// than `max_reminders` reminders, last written to at least `remind_every_days` before `at`.
    async fn bulletins_due_for_reminder(
        &self,
        at: Timestamp,
        max_reminders: u32,
    ) -> Result<Vec<Id>>;
    /// Records the confirmation behind a link, by the SHA-256 (hex) of its token; no sign-in
    /// (the token is the credential), idempotent, audited the first time. `None` for an unknown
    /// token.
    async fn confirm_bulletin(
        &self,
        token_hash: &str,
        at: Timestamp,
    ) -> Result<Option<BulletinConfirmation>>;
    /// What the link with this token hash leads to, without confirming anything (the page a
    /// link opens shows the bulletin before the official confirms). `None` for an unknown token.
    async fn bulletin_link(&self, token_hash: &str) -> Result<Option<BulletinLink>>;
    /// System: queues messages; a draft whose dedup key was already used is dropped (`None`).
    async fn enqueue_outbox(&self, drafts: &[OutboxDraft]) -> Result<Vec<Option<Id>>>;
    /// Outbox messages about units in scope (messages about no unit only for callers who see
    /// everything), newest first; bodies are not read.
    async fn list_outbox(
        &self,
        scope: &Scope,
        filter: &OutboxFilter,
        page: &PageRequest,
    ) -> Result<Page<OutboxMessage>>;
    /// Outbox messages in scope per state.
    async fn outbox_counts(&self, scope: &Scope) -> Result<OutboxCounts>;
    /// System: takes up to `limit` messages of `channel` that are due at `at` (queued, or
    /// sending with a lapsed lease), marks them sending until `lease_until` and counts an
    /// attempt.
    async fn claim_outbox(
        &self,
        channel: &str,
        at: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<OutboxMail>>;
    /// System: the server accepted a claimed message.
    async fn outbox_sent(&self, id: Id, at: Timestamp) -> Result<()>;
    /// System: an attempt failed with `error` (which must hold no secret): queued again for
    /// `retry_at`, or failed for good with `None`.
    async fn outbox_failed(&self, id: Id, error: &str, retry_at: Option<Timestamp>) -> Result<()>;

    // ---- scans on the server ----
    /// Assets of systems in scope, with their system and its owner: what the caller may scan.
    async fn scan_assets(&self, scope: &Scope) -> Result<Vec<ScanAsset>>;
    /// Queues a scan run; the unit (and the system, if any) must be in the actor's scope
    /// (audited).
    async fn create_scan(
        &self,
        actor: &Actor,
        request: &canhgac_model::scan_run::ScanRequest,
    ) -> Result<canhgac_model::scan_run::ScanRun>;
    /// Scan runs in scope, newest first.
    async fn list_scans(
        &self,
        scope: &Scope,
        filter: &canhgac_model::scan_run::ScanFilter,
        page: &PageRequest,
    ) -> Result<Page<canhgac_model::scan_run::ScanRun>>;
    /// One scan run in scope.
    async fn get_scan(&self, scope: &Scope, id: Id) -> Result<canhgac_model::scan_run::ScanRun>;
    /// What a run in scope did to which finding, most severe first.
    async fn scan_findings(
        &self,
        scope: &Scope,
        id: Id,
    ) -> Result<Vec<(canhgac_model::scan_run::ScanChange, Finding)>>;
    /// Cancels a queued or running run (audited); a finished run is a conflict.
    async fn cancel_scan(&self, actor: &Actor, id: Id) -> Result<canhgac_model::scan_run::ScanRun>;
    /// System: takes the oldest queued run, or a running run whose lease lapsed before `at`
    /// (its server died; it continues from its checkpoint), and holds it until `lease_until`.
    /// A lapsed run already taken [`MAX_SCAN_ATTEMPTS`] times is failed instead.
    async fn claim_scan(
        &self,
        at: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Option<canhgac_model::scan_run::ScanRun>>;
    /// System: a claimed run's progress, extending its lease; `false` when the run is no
    /// longer running (cancelled), so the worker stops.
    async fn scan_progress(
        &self,
        id: Id,
        fraction: f64,
        phase: &str,
        lease_until: Timestamp,
    ) -> Result<bool>;
    /// System: what a claimed run has finished so far (JSON written by its worker), if any.
    async fn scan_checkpoint(&self, id: Id) -> Result<Option<String>>;
    /// System: saves a claimed run's checkpoint with its progress, extending its lease; `false`
    /// when the run is no longer running (cancelled). Cleared when the run finishes.
    async fn save_scan_checkpoint(
        &self,
        id: Id,
        checkpoint: &str,
        fraction: f64,
        lease_until: Timestamp,
    ) -> Result<bool>;
    /// System: a claimed run ended; records its counts, report and finding changes. `false`
    /// when it was cancelled meanwhile (then nothing is written).
    async fn finish_scan(
        &self,
        id: Id,
        result: &canhgac_model::scan_run::ScanResult,
    ) -> Result<bool>;
    /// Scan schedules of systems in scope (of one system if given), by system name.
    async fn list_scan_schedules(
        &self,
        scope: &Scope,
        system_id: Option<Id>,
    ) -> Result<Vec<canhgac_model::scan_run::ScanSchedule>>;
    /// One scan schedule in scope.
    async fn get_scan_schedule(
        &self,
        scope: &Scope,
        id: Id,
    ) -> Result<canhgac_model::scan_run::ScanSchedule>;
    /// Adds a schedule to a system in scope (audited).
    async fn create_scan_schedule(
        &self,
        actor: &Actor,
        system_id: Id,
        input: &canhgac_model::scan_run::ScanScheduleInput,
    ) -> Result<canhgac_model::scan_run::ScanSchedule>;
    /// Changes a schedule; its next run is computed again (audited).
    async fn update_scan_schedule(
        &self,
        actor: &Actor,
        id: Id,
        input: &canhgac_model::scan_run::ScanScheduleInput,
    ) -> Result<canhgac_model::scan_run::ScanSchedule>;
    /// Deletes a schedule (audited); its past runs stay.
    async fn delete_scan_schedule(&self, actor: &Actor, id: Id) -> Result<()>;
    /// System: queues a run of every enabled schedule due at `at` and moves its next run on;
    /// returns the runs queued.
    async fn enqueue_due_scans(&self, at: Timestamp) -> Result<Vec<Id>>;

    // ---- redundancy of systems (directive clause 3) ----
    /// The system's backup and last failover test, when recorded; `NotFound` when the system
    /// is not in scope.
    async fn get_redundancy(
        &self,
        scope: &Scope,
        system_id: Id,
    ) -> Result<Option<canhgac_model::redundancy::Redundancy>>;
    /// Records the system's backup and last failover test (audited). The backup system, when
    /// named, must be in the caller's scope too.
    async fn set_redundancy(
        &self,
        actor: &Actor,
        system_id: Id,
        input: canhgac_model::redundancy::RedundancyInput,
    ) -> Result<canhgac_model::redundancy::Redundancy>;

    // ---- duty roster and paging (issue 6) ----
    /// Contacts of units in scope with their paging channels (people who can be on duty), by
    /// name.
    async fn duty_contacts(&self, scope: &Scope) -> Result<Vec<canhgac_model::duty::DutyContact>>;
    /// Sets a contact's Telegram and Zalo ids and whether they lead their unit (audited).
    async fn set_duty_channels(
        &self,
        actor: &Actor,
        contact_id: Id,
        channels: canhgac_model::duty::DutyChannels,
    ) -> Result<canhgac_model::duty::DutyContact>;
    /// Shifts overlapping `[from, to)` of units in scope, and province-wide ones, by start.
    async fn list_shifts(
        &self,
        scope: &Scope,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<canhgac_model::duty::DutyShift>>;
    /// Adds shifts, all or nothing (audited): each unit in the actor's scope (province-wide
    /// shifts need scope All), each person a contact in scope; errors name the row
    /// (`shifts[3].primary_id`) when there are several.
    async fn create_shifts(
        &self,
        actor: &Actor,
        inputs: &[canhgac_model::duty::DutyShiftInput],
    ) -> Result<Vec<canhgac_model::duty::DutyShift>>;
    /// Deletes a shift (audited).
    async fn delete_shift(&self, actor: &Actor, id: Id) -> Result<()>;
    /// Holiday periods that concern units in scope (each with those units), or the province.
    async fn list_holidays(&self, scope: &Scope) -> Result<Vec<canhgac_model::duty::DutyHoliday>>;
    /// Adds a holiday period (audited; its `id` is ignored).
    async fn create_holiday(
        &self,
        actor: &Actor,
        holiday: &canhgac_model::duty::DutyHoliday,
    ) -> Result<canhgac_model::duty::DutyHoliday>;
    /// Deletes a holiday period (audited).
    async fn delete_holiday(&self, actor: &Actor, id: Id) -> Result<()>;
    /// Routing rules of units in scope and province-wide ones, oldest first.
    async fn list_duty_rules(&self, scope: &Scope) -> Result<Vec<canhgac_model::duty::DutyRule>>;
    /// Adds a routing rule (JSON checked by the caller; audited).
    async fn create_duty_rule(
        &self,
        actor: &Actor,
        unit_id: Option<Id>,
        rule: &serde_json::Value,
    ) -> Result<canhgac_model::duty::DutyRule>;
    /// Deletes a routing rule (audited).
    async fn delete_duty_rule(&self, actor: &Actor, id: Id) -> Result<()>;
    /// System: new alerts written at or after `since` that were never paged, oldest first.
    async fn alerts_to_page(&self, since: Timestamp, limit: u32) -> Result<Vec<Alert>>;
    /// System: records an alert's first page and queues its messages (each due at its
    /// instant) in one transaction; `false`, queueing nothing, when it was paged already.
    async fn record_page(
        &self,
        page: &canhgac_model::duty::AlertPage,
        messages: &[(OutboxDraft, Timestamp)],
    ) -> Result<bool>;
    /// System: unacknowledged pages whose next check is due at `at`, with their alerts.
    async fn due_pages(
        &self,
        at: Timestamp,
        limit: u32,
    ) -> Result<Vec<(canhgac_model::duty::AlertPage, Alert)>>;
    /// System: moves a page from level `from` to `reached` and queues its messages in one
    /// transaction; `false` when it moved or was acknowledged meanwhile.
    async fn record_escalation(
        &self,
        alert_id: Id,
        from: &str,
        reached: &str,
        next_check: Option<Timestamp>,
        messages: &[(OutboxDraft, Timestamp)],
    ) -> Result<bool>;
    /// System: marks a page acknowledged (the first acknowledgement is kept); `None` when the
    /// alert was never paged.
    async fn acknowledge_page(
        &self,
        alert_id: Id,
        by: &str,
        at: Timestamp,
    ) -> Result<Option<canhgac_model::duty::AlertPage>>;
    /// Pages of alerts in scope (alerts of no unit only for callers who see everything),
    /// newest first.
    async fn list_pages(
        &self,
        scope: &Scope,
        limit: u32,
    ) -> Result<Vec<canhgac_model::duty::AlertPage>>;

    // ---- maintenance ----
    /// Writes a consistent copy of the database to `path` while running (SQLite only).
    async fn backup_to(&self, path: &std::path::Path) -> Result<()>;
    /// Closes connections, waiting for writes in flight.
    async fn close(&self);

    // ---- incidents and the report archive (issue 6) ----
    /// Opens an incident (audited). Its unit, alerts and findings must be in the actor's scope.
    async fn create_incident(
        &self,
        actor: &Actor,
        input: canhgac_model::IncidentInput,
    ) -> Result<canhgac_model::Incident>;
    /// Replaces an incident's fields (audited).
    async fn update_incident(
        &self,
        actor: &Actor,
        id: Id,
        input: canhgac_model::IncidentInput,
    ) -> Result<canhgac_model::Incident>;
    /// A page of the incidents in scope, the most recently detected first.
    async fn list_incidents(
        &self,
        scope: &Scope,
        filter: &IncidentFilter,
        page: &PageRequest,
    ) -> Result<Page<canhgac_model::Incident>>;
    /// One incident with its timeline, tasks and reports.
    async fn get_incident(&self, scope: &Scope, id: Id) -> Result<canhgac_model::IncidentDetail>;
    /// (id, title) of the incidents in scope an alert is linked to.
    async fn incidents_of_alert(&self, scope: &Scope, alert_id: Id) -> Result<Vec<(Id, String)>>;
    /// Adds a timeline entry (what happened at `at`) by the actor (audited).
    async fn add_incident_note(
        &self,
        actor: &Actor,
        id: Id,
        at: Timestamp,
        text: &str,
    ) -> Result<canhgac_model::IncidentNote>;
    /// Adds a task (audited).
    async fn add_incident_task(
        &self,
        actor: &Actor,
        id: Id,
        title: &str,
        assignee: Option<&str>,
    ) -> Result<canhgac_model::IncidentTask>;
    /// Marks a task done, or open again (audited).
    async fn complete_incident_task(
        &self,
        actor: &Actor,
        id: Id,
        task_id: Id,
        done: bool,
    ) -> Result<canhgac_model::IncidentTask>;
    /// Adds an observable (normalised; a duplicate is ignored) (audited).
    async fn add_incident_observable(
        &self,
        actor: &Actor,
        id: Id,
        observable: canhgac_model::Observable,
    ) -> Result<canhgac_model::Incident>;
    /// Allocates the next number of the draft's code and year, renders the DOCX with it and
    /// archives both, in one transaction (a failed rendering uses up no number) (audited).
    async fn create_report(
        &self,
        actor: &Actor,
        draft: canhgac_model::ReportDraft,
        render: &RenderReport<'_>,
    ) -> Result<canhgac_model::IncidentReport>;
    /// A page of the archived reports in scope, newest first.
    async fn list_reports(
        &self,
        scope: &Scope,
        page: &PageRequest,
    ) -> Result<Page<canhgac_model::IncidentReport>>;
    /// An archived report and its DOCX.
    async fn report_docx(
        &self,
        scope: &Scope,
        id: Id,
    ) -> Result<(canhgac_model::IncidentReport, Vec<u8>)>;
    /// Records a sending attempt: sent at an instant (stops the incident's deadline timer), or
    /// failed with an error (audited).
    async fn record_report_sending(
        &self,
        actor: &Actor,
        id: Id,
        outcome: std::result::Result<Timestamp, String>,
    ) -> Result<canhgac_model::IncidentReport>;

    // ---- advisory register and retro-hunts (issue 7) ----
    /// Records an advisory with its attachments and one open task per unit of `matches`
    /// (scope `All`; audited). A second advisory with the same issuer and number is a conflict.
    async fn create_advisory(
        &self,
        actor: &Actor,
        input: canhgac_model::advisory::AdvisoryInput,
        matches: &[canhgac_model::advisory::AdvisoryMatch],
    ) -> Result<canhgac_model::advisory::AdvisoryDetail>;
    /// Advisories with a task of a unit in scope (every one for scope `All`), newest first,
    /// with the progress of the tasks in scope.
    async fn list_advisories(
        &self,
        scope: &Scope,
        page: &PageRequest,
    ) -> Result<Page<canhgac_model::advisory::AdvisoryRecord>>;
    /// One advisory with its tasks in scope and its attachments.
    async fn get_advisory(
        &self,
        scope: &Scope,
        id: Id,
    ) -> Result<canhgac_model::advisory::AdvisoryDetail>;
    /// An attachment of an advisory in scope, with its bytes.
    async fn advisory_attachment(
        &self,
        scope: &Scope,
        advisory_id: Id,
        attachment_id: Id,
    ) -> Result<(canhgac_model::advisory::AdvisoryAttachment, Vec<u8>)>;
    /// Replaces the matching result of an advisory (scope `All`; audited): new units get an
    /// open task, matched units keep their state with the new systems, open unacknowledged
    /// tasks of units no longer matched go.
    async fn set_advisory_matches(
        &self,
        actor: &Actor,
        id: Id,
        matches: &[canhgac_model::advisory::AdvisoryMatch],
    ) -> Result<canhgac_model::advisory::AdvisoryDetail>;
    /// A unit's answer to its task (the task's unit must be in the actor's scope; audited);
    /// the first action also acknowledges. `NotAffected` needs a comment.
    async fn act_on_advisory_task(
        &self,
        actor: &Actor,
        task_id: Id,
        action: canhgac_model::advisory::AdvisoryTaskAction,
        comment: Option<String>,
    ) -> Result<canhgac_model::advisory::AdvisoryTask>;
    /// Queues a retro-hunt of these indicators over the last `days` days (scope `All`;
    /// audited).
    async fn request_retrohunt(
        &self,
        actor: &Actor,
        indicator_ids: &[Id],
        days: u32,
    ) -> Result<canhgac_model::advisory::RetroHunt>;
    /// System: queues a retro-hunt of the indicators added since the last call, if any.
    async fn queue_new_indicator_hunt(
        &self,
        days: u32,
    ) -> Result<Option<canhgac_model::advisory::RetroHunt>>;
    /// System: takes the oldest queued retro-hunt (or a running one whose lease lapsed before
    /// `at`) and holds it until `lease_until`.
    async fn claim_retrohunt(
        &self,
        at: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Option<canhgac_model::advisory::RetroHunt>>;
    /// System: a claimed retro-hunt ended, with its counts or the reason it failed.
    async fn finish_retrohunt(
        &self,
        id: Id,
        outcome: std::result::Result<canhgac_model::advisory::RetroHuntOutcome, String>,
    ) -> Result<()>;
    /// Recent retro-hunts, newest first (of one indicator if given); indicators apply to
    /// every unit, so these are not scoped.
    async fn list_retrohunts(
        &self,
        indicator_id: Option<Id>,
        limit: u32,
    ) -> Result<Vec<canhgac_model::advisory::RetroHunt>>;
}

/// Official email domains and known addresses, each with the unit it belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EmailDirectory {
    /// (domain, unit): domain assets of systems of kind `email`, by the system's owner.
    pub domains: Vec<(String, Id)>,
    /// (address, unit): contacts' email addresses.
    pub addresses: Vec<(String, Id)>,
}

/// Opens the store at `url` (`sqlite://PATH` or `postgres://...`), creating and migrating it.
pub async fn open(url: &str) -> Result<std::sync::Arc<dyn Store>> {
    Ok(std::sync::Arc::new(SqlStore::open(url).await?))
}

mod advisories;
mod bulletins;
mod detection;
mod directive;
mod duty;
mod findings;
mod import;
mod incidents;
mod query;
mod redundancy;
mod rows;
mod scans;
mod sql;
mod watch;

#[cfg(feature = "testing")]
pub mod testing;

pub use advisories::MAX_HUNT_INDICATORS;
pub use incidents::{IncidentFilter, RenderReport};
pub use scans::{ScanAsset, MAX_REPORT_BYTES, MAX_SCAN_ATTEMPTS, MAX_TARGETS};
pub use sql::{mask_url, SqlStore};
