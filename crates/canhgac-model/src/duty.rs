//! The duty roster and paging as the store keeps them: the channels of the people on duty
//! (who are contacts), shifts, holiday periods, routing rules and the paging state of each
//! alert. The rules of the roster (who is on duty, coverage gaps, routing, escalation) live in
//! `canhgac-respond`; these are the records it reads and writes.

use serde::{Deserialize, Serialize};

use crate::{Id, Severity, Timestamp};

/// A contact who can be put on duty, with their addresses on every channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DutyContact {
    /// The contact's id (the id a shift names).
    pub contact_id: Id,
    /// The contact's unit.
    pub unit_id: Id,
    /// Full name.
    pub name: String,
    /// Email address, from the contact.
    pub email: Option<String>,
    /// Telegram chat id (the person started a chat with the bot).
    pub telegram_chat_id: Option<String>,
    /// Zalo user id as a follower of the Official Account.
    pub zalo_user_id: Option<String>,
    /// Leads their unit: escalation reaches them last (a leader of a root unit leads the
    /// province).
    pub leads_unit: bool,
}

/// What a caller sets on a contact for paging.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DutyChannels {
    /// Telegram chat id.
    #[serde(default)]
    pub telegram_chat_id: Option<String>,
    /// Zalo user id.
    #[serde(default)]
    pub zalo_user_id: Option<String>,
    /// Leads their unit.
    #[serde(default)]
    pub leads_unit: bool,
}

/// A shift as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DutyShift {
    /// Database id.
    pub id: Id,
    /// The unit on watch; `None` for the whole province.
    pub unit_id: Option<Id>,
    /// First instant.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub start: Timestamp,
    /// First instant after the shift.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub end: Timestamp,
    /// Contact id of the person on duty.
    pub primary_id: Id,
    /// Their name.
    pub primary_name: String,
    /// Contact id of the backup.
    pub backup_id: Option<Id>,
    /// The backup's name.
    pub backup_name: Option<String>,
    /// Free text.
    pub note: String,
}

/// A shift as a caller enters it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DutyShiftInput {
    /// The unit on watch; `None` for the whole province (needs a province-wide caller).
    #[serde(default)]
    pub unit_id: Option<Id>,
    /// First instant.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub start: Timestamp,
    /// First instant after the shift.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub end: Timestamp,
    /// Contact id of the person on duty.
    pub primary_id: Id,
    /// Contact id of the backup.
    #[serde(default)]
    pub backup_id: Option<Id>,
    /// Free text.
    #[serde(default)]
    pub note: String,
}

/// A holiday period whose coverage is checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DutyHoliday {
    /// Database id.
    pub id: Id,
    /// Name (`Tết Nguyên đán 2027`).
    pub name: String,
    /// First instant.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub start: Timestamp,
    /// First instant after it.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub end: Timestamp,
    /// Units that must be covered; empty: the province as a whole.
    pub unit_ids: Vec<Id>,
}

/// A routing rule as stored: its text is a `canhgac_respond::routing::RoutingRule` in JSON,
/// checked by the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DutyRule {
    /// Database id.
    pub id: Id,
    /// The unit whose caller owns it; `None` for province-wide rules.
    pub unit_id: Option<Id>,
    /// The rule, as JSON.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub rule: serde_json::Value,
}

/// The paging of one alert: who was reached last and whether someone acknowledged it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertPage {
    /// The alert.
    pub alert_id: Id,
    /// Its unit.
    pub unit_id: Option<Id>,
    /// Its severity when paged.
    pub severity: Severity,
    /// When the first page went out (the clock of every escalation delay).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub paged_at: Timestamp,
    /// The last level paged: `primary`, `backup` or `leader`.
    pub reached: String,
    /// When to look again; `None` when nothing more will happen.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub next_check_at: Option<Timestamp>,
    /// When someone acknowledged it.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub acknowledged_at: Option<Timestamp>,
    /// Who (a name, or `console`).
    pub acknowledged_by: Option<String>,
}
