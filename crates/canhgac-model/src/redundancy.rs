//! Redundancy of an information system (directive clause 3: telecom and Internet providers
//! "keep services available with redundancy"): which system or link takes over when it fails,
//! and when that failover was last tested. The directive dashboard counts an ISP's services
//! whose backup was tested within [`FAILOVER_TEST_DAYS`].

use serde::{Deserialize, Serialize};

use crate::{Date, FieldError, Id, Timestamp};

/// A backup counts as tested when it was failed over to within this many days.
pub const FAILOVER_TEST_DAYS: i64 = 365;

/// Longest description of a backup, in characters.
const MAX_DESCRIPTION: usize = 500;

/// A system's backup and its last failover test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Redundancy {
    /// The system protected.
    pub system_id: Id,
    /// The system that takes over, when it is in the inventory.
    pub backup_system_id: Option<Id>,
    /// The backup in words (a second link, a standby site), e.g. "Đường truyền dự phòng Viettel".
    pub backup_description: String,
    /// The day of the last failover test.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub last_failover_test: Option<Date>,
    /// When this was last changed.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
}

impl Redundancy {
    /// The system has a backup (in the inventory or described).
    pub fn has_backup(&self) -> bool {
        self.backup_system_id.is_some() || !self.backup_description.is_empty()
    }

    /// It has a backup whose failover was tested within [`FAILOVER_TEST_DAYS`] of `today`.
    pub fn tested_by(&self, today: Date) -> bool {
        self.has_backup()
            && self.last_failover_test.is_some_and(|day| {
                today
                    .since(day)
                    .is_ok_and(|span| span.get_days() <= FAILOVER_TEST_DAYS as i32)
                    && day <= today
            })
    }
}

/// What a user sets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RedundancyInput {
    /// The system that takes over (another system in the caller's scope, not this one).
    #[serde(default)]
    pub backup_system_id: Option<Id>,
    /// The backup in words.
    #[serde(default)]
    pub backup_description: String,
    /// The day of the last failover test (`yyyy-mm-dd`), not in the future.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub last_failover_test: Option<Date>,
}

impl RedundancyInput {
    /// Trims, then checks the fields against `system_id` and `today`.
    pub fn validate(&mut self, system_id: Id, today: Date) -> Result<(), FieldError> {
        self.backup_description = self.backup_description.trim().to_string();
        if self.backup_description.chars().count() > MAX_DESCRIPTION {
            return Err(FieldError::new(
                "backup_description",
                format!("tối đa {MAX_DESCRIPTION} ký tự / at most {MAX_DESCRIPTION} characters"),
            ));
        }
        if self.backup_system_id == Some(system_id) {
            return Err(FieldError::new(
                "backup_system_id",
                "một hệ thống không dự phòng cho chính nó / a system cannot back itself up",
            ));
        }
        if self.last_failover_test.is_some_and(|day| day > today) {
            return Err(FieldError::new(
                "last_failover_test",
                "ngày thử chuyển đổi ở tương lai / the failover test date is in the future",
            ));
        }
        if self.last_failover_test.is_some()
            && self.backup_system_id.is_none()
            && self.backup_description.is_empty()
        {
            return Err(FieldError::new(
                "backup_description",
                "đã thử chuyển đổi sang đâu? Nêu hệ thống hoặc đường dự phòng / a failover test needs a backup: name the system or describe the link",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn day(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn inputs_are_checked_and_a_test_counts_for_a_year() {
        let today = day("2026-11-26");
        let mut ok = RedundancyInput {
            backup_system_id: Some(2),
            backup_description: "  Đường truyền dự phòng  ".into(),
            last_failover_test: Some(day("2026-06-01")),
        };
        ok.validate(1, today).unwrap();
        assert_eq!(ok.backup_description, "Đường truyền dự phòng");
        let itself = RedundancyInput {
            backup_system_id: Some(1),
            ..RedundancyInput::default()
        };
        assert_eq!(
            itself.clone().validate(1, today).unwrap_err().field,
            "backup_system_id"
        );
        let future = RedundancyInput {
            last_failover_test: Some(day("2026-12-01")),
            ..ok.clone()
        };
        assert_eq!(
            future.clone().validate(1, today).unwrap_err().field,
            "last_failover_test"
        );
        let nowhere = RedundancyInput {
            last_failover_test: Some(day("2026-06-01")),
            ..RedundancyInput::default()
        };
        assert_eq!(
            nowhere.clone().validate(1, today).unwrap_err().field,
            "backup_description"
        );

        let at = |test: Option<&str>, backup: Option<Id>| Redundancy {
            system_id: 1,
            backup_system_id: backup,
            backup_description: String::new(),
            last_failover_test: test.map(day),
            updated_at: Timestamp::UNIX_EPOCH,
        };
        assert!(at(Some("2026-06-01"), Some(2)).tested_by(today));
        assert!(
            !at(Some("2025-06-01"), Some(2)).tested_by(today),
            "more than a year ago"
        );
        assert!(!at(None, Some(2)).tested_by(today), "never tested");
        assert!(!at(Some("2026-06-01"), None).tested_by(today), "no backup");
    }
}
