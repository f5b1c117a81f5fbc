//! The advisory register (sổ theo dõi cảnh báo): official letters from NCSC, VNCERT/CC and
//! others, the tasks they give each affected unit, and retro-hunts of new indicators over
//! stored events.
//!
//! What an advisory *says* (CVEs, products and version ranges, actions) is
//! `canhgac_intel::advisory::Advisory`, kept here as JSON in [`AdvisoryRecord::details`] so the
//! model does not depend on the intel crate; the register owns the header, the attachments and
//! the per-unit tasks.

use serde::{Deserialize, Serialize};

use crate::validate::FieldError;
use crate::{string_enum, Id, Timestamp};

string_enum! {
    /// Where a unit's task for an advisory stands.
    AdvisoryTaskState {
        /// Matched, nobody has answered yet.
        Open = "open",
        /// The unit confirmed it is affected and is working on it.
        Confirmed = "confirmed",
        /// The unit patched or mitigated.
        Remediated = "remediated",
        /// The unit declared it is not affected (with a comment saying why).
        NotAffected = "not_affected",
    }
}

impl AdvisoryTaskState {
    /// Whether nothing more is expected of the unit.
    pub fn is_done(self) -> bool {
        matches!(
            self,
            AdvisoryTaskState::Remediated | AdvisoryTaskState::NotAffected
        )
    }

    /// Vietnamese label for the console.
    pub fn label_vi(self) -> &'static str {
        match self {
            AdvisoryTaskState::Open => "Chưa phản hồi",
            AdvisoryTaskState::Confirmed => "Đã xác nhận bị ảnh hưởng",
            AdvisoryTaskState::Remediated => "Đã khắc phục",
            AdvisoryTaskState::NotAffected => "Không bị ảnh hưởng",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            AdvisoryTaskState::Open => "No answer yet",
            AdvisoryTaskState::Confirmed => "Confirmed affected",
            AdvisoryTaskState::Remediated => "Remediated",
            AdvisoryTaskState::NotAffected => "Not affected",
        }
    }
}

/// A file that came with an advisory (the letter, an appendix), as given to the register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentInput {
    /// File name as uploaded.
    pub file_name: String,
    /// MIME type as uploaded.
    pub content_type: String,
    /// The bytes.
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

/// A stored attachment, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdvisoryAttachment {
    /// Identifier.
    pub id: Id,
    /// File name.
    pub file_name: String,
    /// MIME type.
    pub content_type: String,
    /// Size in bytes.
    pub size: u64,
}

/// What a user records (or a letter's text pre-fills).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AdvisoryInput {
    /// Issuer (NCSC, VNCERT/CC…).
    pub issuer: String,
    /// Number/code, e.g. `2216/CATTT-NCSC`; unique per issuer.
    pub number: String,
    /// Title.
    pub title: String,
    /// Date of issue.
    pub issued_on: Option<crate::Date>,
    /// Deadline for the units.
    pub deadline: Option<Timestamp>,
    /// TLP marking (`clear`, `green`, `amber`, `amber+strict`, `red`).
    pub tlp: Option<String>,
    /// The content (`canhgac_intel::advisory::Advisory` as JSON).
    pub details: serde_json::Value,
    /// Files to keep with it.
    pub attachments: Vec<AttachmentInput>,
}

/// TLP markings the register accepts.
pub const TLP_MARKINGS: &[&str] = &["clear", "green", "amber", "amber+strict", "red"];

impl AdvisoryInput {
    /// Trims and checks the fields.
    pub fn validate(&mut self) -> Result<(), FieldError> {
        self.issuer = self.issuer.trim().to_string();
        self.number = self.number.trim().to_string();
        self.title = self.title.trim().to_string();
        if self.number.is_empty() {
            return Err(FieldError::new("number", "cần số/ký hiệu công văn"));
        }
        if self.title.is_empty() {
            return Err(FieldError::new("title", "cần trích yếu (tiêu đề)"));
        }
        if let Some(tlp) = &mut self.tlp {
            *tlp = tlp.trim().to_ascii_lowercase();
            if tlp.is_empty() {
                self.tlp = None;
            } else if !TLP_MARKINGS.contains(&tlp.as_str()) {
                return Err(FieldError::new(
                    "tlp",
                    format!("«{tlp}» không phải nhãn TLP ({})", TLP_MARKINGS.join(", ")),
                ));
            }
        }
        for (i, file) in self.attachments.iter().enumerate() {
            if file.file_name.trim().is_empty() {
                return Err(FieldError::new(
                    format!("attachments[{i}].file_name"),
                    "tệp đính kèm thiếu tên",
                ));
            }
        }
        Ok(())
    }
}

/// Task counts of an advisory, within the reader's scope.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdvisoryProgress {
    /// Tasks (affected units).
    pub tasks: u64,
    /// Tasks remediated or declared not affected.
    pub done: u64,
    /// Tasks not done whose deadline has passed.
    pub overdue: u64,
    /// Tasks acknowledged by their unit.
    pub acknowledged: u64,
}

/// An advisory in the register.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdvisoryRecord {
    /// Identifier.
    pub id: Id,
    /// Issuer.
    pub issuer: String,
    /// Number/code.
    pub number: String,
    /// Title.
    pub title: String,
    /// Date of issue.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub issued_on: Option<crate::Date>,
    /// Deadline for the units.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub deadline: Option<Timestamp>,
    /// TLP marking.
    pub tlp: Option<String>,
    /// The content (`canhgac_intel::advisory::Advisory` as JSON).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub details: serde_json::Value,
    /// Who recorded it.
    pub created_by: String,
    /// When.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    /// When it was last matched against the inventory.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub matched_at: Option<Timestamp>,
    /// Its tasks in the reader's scope.
    pub progress: AdvisoryProgress,
}

/// The affected systems of one unit, as matching found them, for its task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdvisoryMatch {
    /// The unit (owner of the affected systems).
    pub unit_id: Id,
    /// What matched (`canhgac_intel::advisory::AffectedAsset` list as JSON, with names).
    pub systems: serde_json::Value,
}

/// A unit's task for an advisory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdvisoryTask {
    /// Identifier.
    pub id: Id,
    /// The advisory.
    pub advisory_id: Id,
    /// The unit.
    pub unit_id: Id,
    /// Its name.
    pub unit_name: String,
    /// State.
    pub state: AdvisoryTaskState,
    /// What matched (affected systems and software).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub systems: serde_json::Value,
    /// The unit's last comment.
    pub comment: Option<String>,
    /// Deadline (the advisory's).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub deadline: Option<Timestamp>,
    /// Not done and past its deadline (at the time of reading).
    pub overdue: bool,
    /// When the unit acknowledged it.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub acknowledged_at: Option<Timestamp>,
    /// Who acknowledged it.
    pub acknowledged_by: Option<String>,
    /// Last change.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
    /// By whom.
    pub updated_by: Option<String>,
}

/// An advisory with its tasks and attachments in the reader's scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdvisoryDetail {
    /// The advisory (progress counts the tasks below).
    pub advisory: AdvisoryRecord,
    /// Tasks of units in scope, by unit name.
    pub tasks: Vec<AdvisoryTask>,
    /// Attached files.
    pub attachments: Vec<AdvisoryAttachment>,
}

/// What a unit does with its task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AdvisoryTaskAction {
    /// "We have read it" (the state does not change).
    Acknowledge,
    /// "We are affected and working on it."
    Confirm,
    /// "We have remediated."
    Remediate,
    /// "We are not affected" (a comment is required).
    NotAffected,
    /// Back to open (e.g. a remediation turned out incomplete).
    Reopen,
}

impl AdvisoryTaskAction {
    /// The state the action leads to (`None`: unchanged).
    pub fn state(self) -> Option<AdvisoryTaskState> {
        match self {
            AdvisoryTaskAction::Acknowledge => None,
            AdvisoryTaskAction::Confirm => Some(AdvisoryTaskState::Confirmed),
            AdvisoryTaskAction::Remediate => Some(AdvisoryTaskState::Remediated),
            AdvisoryTaskAction::NotAffected => Some(AdvisoryTaskState::NotAffected),
            AdvisoryTaskAction::Reopen => Some(AdvisoryTaskState::Open),
        }
    }
}

string_enum! {
    /// Where a retro-hunt stands.
    RetroHuntState {
        /// Waiting for the worker.
        Queued = "queued",
        /// Being run.
        Running = "running",
        /// Finished.
        Done = "done",
        /// Failed; `error` says why.
        Failed = "failed",
    }
}

/// A search of stored events for some indicators.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RetroHunt {
    /// Identifier.
    pub id: Id,
    /// The indicators searched for.
    pub indicator_ids: Vec<Id>,
    /// Days of events searched back from when it runs.
    pub days: u32,
    /// State.
    pub state: RetroHuntState,
    /// Who asked (`system` for new indicators).
    pub requested_by: String,
    /// When.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub requested_at: Timestamp,
    /// When it finished.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub finished_at: Option<Timestamp>,
    /// Events examined.
    pub events_scanned: u64,
    /// Matching events.
    pub hits: u64,
    /// Alerts raised or folded.
    pub alerts: u64,
    /// Why it failed.
    pub error: Option<String>,
}

/// What a finished retro-hunt found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetroHuntOutcome {
    /// Events examined.
    pub events_scanned: u64,
    /// Matching events.
    pub hits: u64,
    /// Alerts raised or folded.
    pub alerts: u64,
}
