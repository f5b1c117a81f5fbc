//! Scans the server runs (issue 4): a run of the external scanner over an information system's
//! assets or explicit targets of the inventory, and schedules of runs per system.
//!
//! A run is queued by a person or a schedule, claimed by the server's worker with a lease (so a
//! run whose server died is taken again), reports progress, and ends with its counts, a compact
//! report and what it did to the findings: new, still open, fixed.

use serde::{Deserialize, Serialize};

use crate::validate::FieldError;
use crate::{string_enum, Id, Timestamp};

/// The scan profiles a run may name (those of `canhgac_scan::run::Profile`).
pub const SCAN_PROFILES: &[&str] = &["quick", "full", "portal", "mail"];

/// Vietnamese label of a profile code.
pub fn scan_profile_label_vi(profile: &str) -> &'static str {
    match profile {
        "quick" => "Nhanh",
        "full" => "Đầy đủ",
        "portal" => "Cổng thông tin",
        "mail" => "Thư điện tử",
        _ => "Khác",
    }
}

/// English label of a profile code.
pub fn scan_profile_label_en(profile: &str) -> &'static str {
    match profile {
        "quick" => "Quick",
        "full" => "Full",
        "portal" => "Portal",
        "mail" => "Mail",
        _ => "Other",
    }
}

/// Refuses a profile that is not one of [`SCAN_PROFILES`].
pub fn check_scan_profile(profile: &str) -> Result<(), FieldError> {
    if SCAN_PROFILES.contains(&profile) {
        Ok(())
    } else {
        Err(FieldError::new(
            "profile",
            format!(
                "hồ sơ rà quét «{profile}» không tồn tại; chọn một trong: {}",
                SCAN_PROFILES.join(", ")
            ),
        ))
    }
}

string_enum! {
    /// Where a scan run is.
    ScanStatus {
        /// Waiting for the worker.
        Queued = "queued",
        /// Being scanned.
        Running = "running",
        /// Finished; its findings are recorded.
        Done = "done",
        /// Could not run (targets unresolvable, an error); `error` says why.
        Failed = "failed",
        /// Stopped by a person.
        Cancelled = "cancelled",
    }
}

impl ScanStatus {
    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            ScanStatus::Queued => "Đang chờ",
            ScanStatus::Running => "Đang rà quét",
            ScanStatus::Done => "Hoàn thành",
            ScanStatus::Failed => "Thất bại",
            ScanStatus::Cancelled => "Đã hủy",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            ScanStatus::Queued => "Queued",
            ScanStatus::Running => "Running",
            ScanStatus::Done => "Done",
            ScanStatus::Failed => "Failed",
            ScanStatus::Cancelled => "Cancelled",
        }
    }

    /// Queued or running: the run may still change.
    pub fn is_active(self) -> bool {
        matches!(self, ScanStatus::Queued | ScanStatus::Running)
    }
}

/// A scan run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScanRun {
    /// Identifier.
    pub id: Id,
    /// Profile code (`quick`, `full`, `portal`, `mail`).
    pub profile: String,
    /// The targets as written (the system's assets, or what the person asked for).
    pub targets: Vec<String>,
    /// The system scanned, if the run is of one system.
    pub system_id: Option<Id>,
    /// Its name.
    pub system_name: Option<String>,
    /// The unit the run belongs to (who may see it).
    pub unit_id: Id,
    /// Who asked for it (a username, or `schedule`).
    pub requested_by: String,
    /// The schedule that queued it, if any.
    pub schedule_id: Option<Id>,
    /// Where it is.
    pub status: ScanStatus,
    /// Fraction done, 0 to 1.
    pub progress: f64,
    /// Current phase (Vietnamese), while running.
    pub phase: Option<String>,
    /// Times a worker took it: more than one when a server stopped mid-scan and the run resumed.
    #[serde(default)]
    pub attempts: u32,
    /// When it was queued.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    /// When the worker (last) took it.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub started_at: Option<Timestamp>,
    /// When it ended.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub finished_at: Option<Timestamp>,
    /// Hosts scanned.
    pub hosts: u64,
    /// Open ports found.
    pub open_ports: u64,
    /// Issues found.
    pub issues: u64,
    /// Findings created.
    pub findings_created: u64,
    /// Findings seen again.
    pub findings_updated: u64,
    /// Fixed findings found again.
    pub findings_reopened: u64,
    /// Open findings this run no longer saw, now fixed.
    pub findings_fixed: u64,
    /// Why it failed.
    pub error: Option<String>,
    /// Compact report: services per host and web page titles.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub report: Option<serde_json::Value>,
}

/// A run to queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanRequest {
    /// Profile code.
    pub profile: String,
    /// Targets as written, already checked against the inventory.
    pub targets: Vec<String>,
    /// The system scanned, if any.
    pub system_id: Option<Id>,
    /// The unit the run belongs to; must be in the requester's scope.
    pub unit_id: Id,
    /// The schedule queuing it, if any.
    pub schedule_id: Option<Id>,
}

/// How a run ended, as the worker reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanResult {
    /// `done` or `failed`.
    pub status: ScanStatus,
    /// Why it failed.
    pub error: Option<String>,
    /// Hosts scanned.
    pub hosts: u64,
    /// Open ports found.
    pub open_ports: u64,
    /// Issues found.
    pub issues: u64,
    /// What recording its findings did.
    pub outcome: crate::FindingOutcome,
    /// Compact report (capped by the store).
    pub report: Option<serde_json::Value>,
}

string_enum! {
    /// What a run did to a finding.
    ScanChange {
        /// Created or reopened by the run.
        New = "new",
        /// Seen again, still open (or accepted, or false positive).
        Open = "open",
        /// Not seen again: fixed.
        Fixed = "fixed",
    }
}

/// Filters for listings of scan runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanFilter {
    /// Only this state.
    pub status: Option<ScanStatus>,
    /// Only runs of this system.
    pub system_id: Option<Id>,
}

string_enum! {
    /// How often a schedule runs.
    ScanFrequency {
        /// Every day.
        Daily = "daily",
        /// Once a week.
        Weekly = "weekly",
    }
}

/// What a person sets on a scan schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScanScheduleInput {
    /// Profile code.
    pub profile: String,
    /// Daily or weekly.
    pub frequency: ScanFrequency,
    /// ISO weekday 1 (Monday) to 7 (Sunday), for weekly schedules.
    #[serde(default)]
    pub weekday: Option<u8>,
    /// Time of day, `HH:MM`, Asia/Ho_Chi_Minh.
    pub time: String,
    /// Runs only when enabled.
    #[serde(default = "enabled_default")]
    pub enabled: bool,
}

fn enabled_default() -> bool {
    true
}

impl ScanScheduleInput {
    /// Minutes after midnight of [`Self::time`], checked with the rest of the input.
    pub fn validate(&self) -> Result<u32, FieldError> {
        check_scan_profile(&self.profile)?;
        match (self.frequency, self.weekday) {
            (ScanFrequency::Weekly, Some(1..=7)) | (ScanFrequency::Daily, _) => {}
            (ScanFrequency::Weekly, _) => {
                return Err(FieldError::new(
                    "weekday",
                    "lịch hằng tuần cần ngày trong tuần từ 1 (thứ Hai) đến 7 (Chủ nhật)",
                ))
            }
        }
        parse_time_of_day(&self.time)
            .ok_or_else(|| FieldError::new("time", "cần giờ dạng HH:MM, ví dụ 02:30"))
    }
}

/// Reads `HH:MM` as minutes after midnight.
pub fn parse_time_of_day(text: &str) -> Option<u32> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// A scan schedule of a system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScanSchedule {
    /// Identifier.
    pub id: Id,
    /// The system scanned.
    pub system_id: Id,
    /// Its name.
    pub system_name: String,
    /// The settings.
    #[serde(flatten)]
    pub input: ScanScheduleInput,
    /// When it next queues a run.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub next_run_at: Timestamp,
    /// The last run it queued.
    pub last_scan_id: Option<Id>,
    /// Created.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    /// Last changed.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
}

/// Vietnam's offset: fixed at UTC+7, no daylight saving.
fn vietnam() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::fixed(jiff::tz::offset(7))
}

/// The first instant after `after` at which a schedule of `frequency` (on `weekday` for weekly
/// ones) at `minute_of_day` in Asia/Ho_Chi_Minh is due.
pub fn next_scan_time(
    frequency: ScanFrequency,
    weekday: Option<u8>,
    minute_of_day: u32,
    after: Timestamp,
) -> Timestamp {
    let tz = vietnam();
    let today = after.to_zoned(tz.clone()).date();
    let (hour, minute) = ((minute_of_day / 60) as i8, (minute_of_day % 60) as i8);
    for days in 0..=8 {
        let Ok(date) = today.checked_add(jiff::Span::new().days(days)) else {
            break;
        };
        if frequency == ScanFrequency::Weekly
            && weekday.is_some_and(|w| {
                i8::try_from(w).ok() != Some(date.weekday().to_monday_one_offset())
            })
        {
            continue;
        }
        let Ok(at) = date.at(hour, minute, 0, 0).to_zoned(tz.clone()) else {
            continue;
        };
        if at.timestamp() > after {
            return at.timestamp();
        }
    }
    // Unreachable for valid input; a day later keeps the schedule moving.
    after + jiff::SignedDuration::from_hours(24)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn daily_schedules_fall_on_the_next_local_time() {
        // 01:00 UTC is 08:00 in Hà Nội: 02:30 today has passed, so tomorrow 02:30 (19:30 UTC).
        let next = next_scan_time(ScanFrequency::Daily, None, 150, at("2026-11-26T01:00:00Z"));
        assert_eq!(next, at("2026-11-26T19:30:00Z"));
        let next = next_scan_time(ScanFrequency::Daily, None, 600, at("2026-11-26T01:00:00Z"));
        assert_eq!(next, at("2026-11-26T03:00:00Z"));
    }

    #[test]
    fn weekly_schedules_fall_on_their_weekday() {
        // 2026-11-26 is a Thursday; Sunday (7) 03:00 local is Saturday 20:00 UTC.
        let next = next_scan_time(
            ScanFrequency::Weekly,
            Some(7),
            180,
            at("2026-11-26T01:00:00Z"),
        );
        assert_eq!(next, at("2026-11-28T20:00:00Z"));
        // Thursday 09:00 local, asked at 09:00 exactly: next week.
        let next = next_scan_time(
            ScanFrequency::Weekly,
            Some(4),
            540,
            at("2026-11-26T02:00:00Z"),
        );
        assert_eq!(next, at("2026-12-03T02:00:00Z"));
    }

    #[test]
    fn schedule_input_is_checked() {
        let mut input = ScanScheduleInput {
            profile: "portal".into(),
            frequency: ScanFrequency::Weekly,
            weekday: None,
            time: "02:30".into(),
            enabled: true,
        };
        assert_eq!(input.validate().unwrap_err().field, "weekday");
        input.weekday = Some(1);
        assert_eq!(input.validate().unwrap(), 150);
        input.time = "25:00".into();
        assert_eq!(input.validate().unwrap_err().field, "time");
        input.time = "01:00".into();
        input.profile = "nmap".into();
        assert_eq!(input.validate().unwrap_err().field, "profile");
    }
}
