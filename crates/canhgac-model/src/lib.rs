//! Domain types of canhgac, shared by every other crate.
//!
//! This crate owns the vocabulary of the product and nothing else: it knows no SQL, no HTTP and
//! no files. Its main types are:
//!
//! - [`Unit`] (đơn vị): a node of the province's organisation tree, with validity dates;
//! - [`InformationSystem`] (hệ thống thông tin): owned by one unit, operated by another, with a
//!   security level (cấp độ 1–5);
//! - [`Asset`]: an address of a system (IP, CIDR, domain, URL) with what runs there; assets define
//!   the scan scope and attribute events to units;
//! - [`Contact`] and [`Authority`]: who to call inside a unit, and which outside bodies
//!   (VNCERT/CC, NCSC, police) receive reports, with effective dates;
//! - [`User`], [`Role`], [`Scope`] and [`Actor`]: who is acting and which units they may see;
//! - [`AuditEntry`]: what changed, who changed it, before and after;
//! - [`Event`]: a decoded log record with flat named [`Fields`];
//! - [`AlertDraft`] and [`Alert`]: a detector's hit, and hits folded for triage;
//! - [`Indicator`]: an indicator of compromise;
//! - [`Monitor`] and [`CheckResult`]: continuous checks of portals, mail servers and DNS records,
//!   with outages, defacement baselines and maintenance windows;
//! - [`scan`]: what the external scanner's checks report ([`scan::ScanIssue`]);
//! - [`bulletin`]: awareness bulletins with read confirmations, and the notification outbox
//!   ([`bulletin::OutboxDraft`], [`bulletin::OutboxState`]) every message to a person goes through.
//!
//! Inputs (`*Input` types) are validated by their `validate` methods, which normalise values
//! (lower-case domains, canonical IPs) and report the field at fault:
//!
//! ```
//! use canhgac_model::{AssetInput, AssetKind};
//! let mut asset = AssetInput::new(AssetKind::Domain, "Portal.Example.GOV.vn");
//! asset.validate().unwrap();
//! assert_eq!(asset.value, "portal.example.gov.vn");
//! let mut bad = AssetInput::new(AssetKind::Cidr, "10.0.0.1/33");
//! assert_eq!(bad.validate().unwrap_err().field, "value");
//! ```

pub mod advisory;
mod alert;
mod asset;
mod audit;
pub mod bulletin;
mod contact;
pub mod directive;
pub mod duty;
mod event;
pub mod finding;
mod incident;
mod indicator;
mod monitor;
mod page;
pub mod redundancy;
pub mod scan;
pub mod scan_run;
mod scope;
mod system;
mod unit;
mod user;
mod validate;

pub use alert::{
    Alert, AlertDraft, AlertFilter, AlertSource, AlertStatus, RuleOverride, Severity, Suppression,
};
pub use asset::{normalise_address, Asset, AssetInput, AssetKind, Software};
pub use audit::{AuditEntry, AuditFilter};
pub use contact::{Authority, AuthorityInput, Contact, ContactInput};
pub use event::{Event, EventKind, FieldValue, Fields};
pub use finding::{
    Finding, FindingBatch, FindingCount, FindingDraft, FindingFilter, FindingOutcome,
    FindingSnapshot, FindingSource, FindingStatus,
};
pub use incident::{
    is_public_address, AffectedSystem, Assistance, DetectionMethods, EvidenceSent, Incident,
    IncidentDetail, IncidentInput, IncidentKind, IncidentNote, IncidentReport, IncidentStatus,
    IncidentTask, IncidentTimes, NotifiedParties, Observable, ReportDraft, ReportFormKind,
    ReportSendState,
};
pub use indicator::{normalise_indicator, Indicator, IndicatorInput, IndicatorKind, IndicatorMeta};
pub use monitor::{
    asset_covers, check_target_in_scope, target_host, Availability, CheckResult,
    DefacementBaseline, DefacementSettings, MaintenanceWindow, Monitor, MonitorFilter,
    MonitorInput, MonitorKind, MonitorRollup, MonitorSettings, MonitorStateUpdate, MonitorStatus,
    Outage, PageSnapshot, ProbeInfo, PublicMonitorStatus, LOCAL_PROBE,
};
pub use page::{Page, PageRequest};
pub use scope::{Actor, Scope};
pub use system::{InformationClass, InformationSystem, SystemInput, SystemKind};
pub use unit::{Unit, UnitInput, UnitKind};
pub use user::{check_password_strength, ApiToken, Role, User, UserInput};
pub use validate::{slugify, FieldError};

/// Database identifier of any stored record.
pub type Id = i64;

/// A calendar date without time (validity dates, decision dates). Shown as dd/mm/yyyy.
pub type Date = jiff::civil::Date;

/// An instant in time (creation, audit). Shown in Asia/Ho_Chi_Minh.
pub type Timestamp = jiff::Timestamp;

/// Declares a closed set of string-coded variants: serde names, parsing and listing in one place.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $code)] $variant),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable code used in storage, files and the API.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// Parses a code as written by [`Self::code`].
            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::from_code(s).ok_or_else(|| {
                    let codes: Vec<&str> = $name::ALL.iter().map(|v| v.code()).collect();
                    format!("unknown value {s:?}, expected one of: {}", codes.join(", "))
                })
            }
        }
    };
}
pub(crate) use string_enum;

pub mod conditions;
pub mod inventory;
