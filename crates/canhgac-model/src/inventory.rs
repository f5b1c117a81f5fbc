//! The inventory as a document: every record keyed and referenced by stable codes instead of
//! database ids, as inventory files hold it ("inventory as code").
//!
//! The file format lives in `canhgac-inventory`; the store exports an [`InventoryDocument`] and
//! applies an [`InventoryPlan`] in one transaction.

use serde::{Deserialize, Serialize};

use crate::{
    AssetKind, AuthorityInput, Date, InformationClass, MonitorKind, MonitorSettings, Software,
    SystemKind, UnitKind,
};
use crate::{Id, MonitorInput};

/// A unit, referring to its parent by code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitRecord {
    /// Stable code (the key).
    pub code: String,
    /// Official name.
    pub name: String,
    /// Level.
    pub kind: UnitKind,
    /// Parent unit's code.
    pub parent: Option<String>,
    /// Postal address.
    pub address: Option<String>,
    /// First valid day.
    pub valid_from: Option<Date>,
    /// Last valid day.
    pub valid_to: Option<Date>,
}

/// An information system, referring to its units by code. Its assets are [`AssetRecord`]s.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemRecord {
    /// Stable code (the key).
    pub code: String,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: SystemKind,
    /// Owner unit's code.
    pub owner: String,
    /// Operator unit's code.
    pub operator: Option<String>,
    /// Security level 1–5.
    pub security_level: Option<u8>,
    /// Level decision number.
    pub level_decision_number: Option<String>,
    /// Level decision date.
    pub level_decision_date: Option<Date>,
    /// Information class.
    pub information_class: Option<InformationClass>,
    /// Purpose.
    pub purpose: Option<String>,
    /// Services.
    pub services: Vec<String>,
    /// Security controls.
    pub security_controls: Vec<String>,
    /// ISP.
    pub isp: Option<String>,
    /// Security provider.
    pub security_provider: Option<String>,
}

/// An asset, keyed by (system code, kind, value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetRecord {
    /// The owning system's code.
    pub system: String,
    /// Kind.
    pub kind: AssetKind,
    /// Normalised address.
    pub value: String,
    /// Host name or label.
    pub name: Option<String>,
    /// Operating system.
    pub os: Option<String>,
    /// Operating system version.
    pub os_version: Option<String>,
    /// Installed software.
    pub software: Vec<Software>,
    /// Note.
    pub note: Option<String>,
}

/// A contact, keyed by (unit code, name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRecord {
    /// The unit's code.
    pub unit: String,
    /// Full name.
    pub name: String,
    /// Position.
    pub position: Option<String>,
    /// Responsibility.
    pub responsibility: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Email.
    pub email: Option<String>,
}

/// A monitor of an asset, keyed by (system code, asset kind, asset value, monitor name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorRecord {
    /// The asset's system's code.
    pub system: String,
    /// The asset's kind.
    pub asset_kind: AssetKind,
    /// The asset's normalised address.
    pub asset: String,
    /// Display name, unique among the asset's monitors.
    pub name: String,
    /// What it checks.
    pub kind: MonitorKind,
    /// URL, `host:port` or domain, as the kind wants.
    pub target: String,
    /// Kind-specific settings.
    #[serde(default)]
    pub settings: MonitorSettings,
    /// Seconds between checks.
    #[serde(default = "defaults::interval")]
    pub interval_secs: u32,
    /// Seconds a check may take.
    #[serde(default = "defaults::timeout")]
    pub timeout_secs: u32,
    /// Failed checks in a row tolerated before the monitor is down.
    #[serde(default = "defaults::retries")]
    pub retries: u32,
    /// Switched on.
    #[serde(default = "defaults::enabled")]
    pub enabled: bool,
    /// Shown on the public status page.
    #[serde(default)]
    pub public: bool,
    /// Probes that run it.
    #[serde(default)]
    pub probes: Vec<String>,
}

impl MonitorRecord {
    /// A record of `input`, a monitor of the asset (`asset_kind`, `asset`) of system `system`.
    pub fn from_input(
        system: &str,
        asset_kind: AssetKind,
        asset: &str,
        input: MonitorInput,
    ) -> Self {
        Self {
            system: system.to_owned(),
            asset_kind,
            asset: asset.to_owned(),
            name: input.name,
            kind: input.kind,
            target: input.target,
            settings: input.settings,
            interval_secs: input.interval_secs,
            timeout_secs: input.timeout_secs,
            retries: input.retries,
            enabled: input.enabled,
            public: input.public,
            probes: input.probes,
        }
    }

    /// The monitor as an input for the asset with id `asset_id` (not yet validated).
    pub fn input(&self, asset_id: Id) -> MonitorInput {
        MonitorInput {
            asset_id,
            name: self.name.clone(),
            kind: self.kind,
            target: self.target.clone(),
            settings: self.settings.clone(),
            interval_secs: self.interval_secs,
            timeout_secs: self.timeout_secs,
            retries: self.retries,
            enabled: self.enabled,
            public: self.public,
            probes: self.probes.clone(),
        }
    }
}

/// A record's timing defaults are a new monitor's, so both ways of writing one agree.
mod defaults {
    use crate::{MonitorInput, MonitorKind};

    fn new() -> MonitorInput {
        MonitorInput::new(0, "", MonitorKind::Http, "")
    }
    pub(super) fn interval() -> u32 {
        new().interval_secs
    }
    pub(super) fn timeout() -> u32 {
        new().timeout_secs
    }
    pub(super) fn retries() -> u32 {
        new().retries
    }
    pub(super) fn enabled() -> bool {
        new().enabled
    }
}

/// The whole inventory (or the part of it in a caller's scope).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InventoryDocument {
    /// Units, parents before children.
    pub units: Vec<UnitRecord>,
    /// Systems.
    pub systems: Vec<SystemRecord>,
    /// Assets.
    pub assets: Vec<AssetRecord>,
    /// Contacts.
    pub contacts: Vec<ContactRecord>,
    /// Authorities, keyed by (code, valid_from).
    pub authorities: Vec<AuthorityInput>,
    /// Monitors of the assets (documents written before monitors existed have none).
    #[serde(default)]
    pub monitors: Vec<MonitorRecord>,
}

/// One change an import makes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Change<T> {
    /// A record that does not exist yet.
    Create {
        /// The new record.
        after: T,
    },
    /// A record that exists with other values.
    Update {
        /// As stored now.
        before: T,
        /// As the file has it.
        after: T,
    },
    /// A record absent from the file (only when pruning).
    Delete {
        /// As stored now.
        before: T,
    },
}

impl<T> Change<T> {
    /// `create`, `update` or `delete`.
    pub fn op(&self) -> &'static str {
        match self {
            Change::Create { .. } => "create",
            Change::Update { .. } => "update",
            Change::Delete { .. } => "delete",
        }
    }
}

/// What an import will do, computed before anything is written so a user can preview it.
/// Applying it is all-or-nothing. An empty plan means the store already matches the file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InventoryPlan {
    /// Unit changes, parents before children (deletes children before parents).
    pub units: Vec<Change<UnitRecord>>,
    /// System changes.
    pub systems: Vec<Change<SystemRecord>>,
    /// Asset changes.
    pub assets: Vec<Change<AssetRecord>>,
    /// Contact changes.
    pub contacts: Vec<Change<ContactRecord>>,
    /// Authority changes.
    pub authorities: Vec<Change<AuthorityInput>>,
    /// Monitor changes.
    #[serde(default)]
    pub monitors: Vec<Change<MonitorRecord>>,
}

impl InventoryPlan {
    /// True when applying would change nothing.
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
            && self.systems.is_empty()
            && self.assets.is_empty()
            && self.contacts.is_empty()
            && self.authorities.is_empty()
            && self.monitors.is_empty()
    }

    /// Counts of creates, updates and deletes over every kind of record.
    pub fn summary(&self) -> PlanSummary {
        let mut summary = PlanSummary::default();
        let mut count = |op: &str| match op {
            "create" => summary.created += 1,
            "update" => summary.updated += 1,
            _ => summary.deleted += 1,
        };
        self.units.iter().for_each(|c| count(c.op()));
        self.systems.iter().for_each(|c| count(c.op()));
        self.assets.iter().for_each(|c| count(c.op()));
        self.contacts.iter().for_each(|c| count(c.op()));
        self.authorities.iter().for_each(|c| count(c.op()));
        self.monitors.iter().for_each(|c| count(c.op()));
        summary
    }
}

/// How many records an import creates, updates and deletes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanSummary {
    /// Records created.
    pub created: u64,
    /// Records updated.
    pub updated: u64,
    /// Records deleted.
    pub deleted: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_without_monitors_still_read() {
        let doc: InventoryDocument = serde_json::from_str(
            r#"{"units":[],"systems":[],"assets":[],"contacts":[],"authorities":[]}"#,
        )
        .unwrap();
        assert!(doc.monitors.is_empty());
        let plan: InventoryPlan = serde_json::from_str(
            r#"{"units":[],"systems":[],"assets":[],"contacts":[],"authorities":[]}"#,
        )
        .unwrap();
        assert!(plan.is_empty());
    }

    #[test]
    fn monitor_records_take_a_new_monitors_defaults() {
        let record: MonitorRecord = serde_json::from_str(
            r#"{"system":"portal","asset_kind":"url","asset":"https://a.vn/","name":"Trang chủ",
                "kind":"http","target":"https://a.vn/"}"#,
        )
        .unwrap();
        let fresh = MonitorInput::new(7, "Trang chủ", MonitorKind::Http, "https://a.vn/");
        assert_eq!(record.input(7), fresh);
        let back = MonitorRecord::from_input("portal", AssetKind::Url, "https://a.vn/", fresh);
        assert_eq!(back, record);
    }
}
