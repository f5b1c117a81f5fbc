//! How far each unit meets the provincial directive, as measured facts (issue 6, item 5).
//!
//! Each field is a count the store can prove; the console turns them into met / not met per
//! clause and links each to its evidence. Facts that need capabilities not yet present (the duty
//! roster, advisories) are absent here rather than guessed.

use serde::{Deserialize, Serialize};

use crate::Id;

/// The measured facts of one unit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitDirectiveFacts {
    /// The unit.
    pub unit_id: Id,
    /// Its name.
    pub unit_name: String,
    /// Its kind code (`isp`, `department`, ...).
    pub unit_kind: String,
    /// Information systems it owns.
    pub systems: u64,
    /// Of those, systems with a finished scan in the window (clause 1a).
    pub systems_scanned: u64,
    /// Open (or reopened) critical and high findings of the unit (clause 1a).
    pub open_serious_findings: u64,
    /// Open findings of vulnerabilities known to be exploited (CISA KEV).
    pub open_kev_findings: u64,
    /// Open findings of malware and web shells (clause 1b).
    pub open_malware_findings: u64,
    /// Monitors of its systems that are enabled (clause 1c).
    pub monitors: u64,
    /// Of those, monitors whose last state is up.
    pub monitors_up: u64,
    /// Leaked or shared accounts and official addresses found, ever (clauses 1e and 2b).
    pub account_findings: u64,
    /// Of those, still open.
    pub account_findings_open: u64,
    /// Systems it owns with a backup recorded (clause 3, for ISPs).
    pub systems_with_backup: u64,
    /// Of those, backups failed over to within a year
    /// ([`crate::redundancy::FAILOVER_TEST_DAYS`]).
    pub backups_tested: u64,
}

impl UnitDirectiveFacts {
    /// An ISP (clause 3): it owns systems and every one has a backup tested within a year.
    pub fn isp_redundancy_met(&self) -> bool {
        self.systems > 0 && self.backups_tested >= self.systems
    }

    /// Every owned system scanned in the window (true when the unit owns none).
    pub fn all_scanned(&self) -> bool {
        self.systems_scanned >= self.systems
    }
}
