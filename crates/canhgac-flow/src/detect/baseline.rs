//! Learned usual traffic per group, direction, class and hour of the week.
//!
//! Each of the 168 hourly slots keeps an exponentially weighted mean and variance of the
//! group's one-second rates. The snapshot is plain serde data so the caller can store it and
//! hand it back after a restart: weeks of learning are not lost to an upgrade.

use serde::{Deserialize, Serialize};

use super::{Direction, TrafficClass};

/// Hours in a week: one slot each.
pub const HOURS_PER_WEEK: usize = 168;

/// The learned statistics of one hour of the week.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct BaselineSlot {
    /// Mean packets per second.
    pub mean_pps: f64,
    /// Variance of packets per second.
    pub var_pps: f64,
    /// Mean bits per second.
    pub mean_bps: f64,
    /// Variance of bits per second.
    pub var_bps: f64,
    /// One-second samples learned.
    pub samples: u64,
}

impl BaselineSlot {
    pub(crate) fn learn(&mut self, alpha: f64, pps: f64, bps: f64) {
        if self.samples == 0 {
            self.mean_pps = pps;
            self.mean_bps = bps;
        } else {
            ewma(&mut self.mean_pps, &mut self.var_pps, alpha, pps);
            ewma(&mut self.mean_bps, &mut self.var_bps, alpha, bps);
        }
        self.samples = self.samples.saturating_add(1);
    }
}

/// Exponentially weighted mean and variance (West's incremental form).
fn ewma(mean: &mut f64, var: &mut f64, alpha: f64, x: f64) {
    let diff = x - *mean;
    let step = alpha * diff;
    *mean += step;
    *var = (1.0 - alpha) * (*var + diff * step);
}

/// The baseline of one group, direction and class: 168 slots, Monday 00:00 local time first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupBaseline {
    /// The group's name.
    pub group: String,
    /// Direction.
    pub direction: Direction,
    /// Traffic class.
    pub class: TrafficClass,
    /// One slot per hour of the week.
    pub slots: Vec<BaselineSlot>,
}

/// Every learned baseline of a detector, to store and restore.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BaselineSnapshot {
    /// The baselines, one per group, direction and class.
    pub baselines: Vec<GroupBaseline>,
}

/// The slot for a moment: hours since Monday 00:00 in local time (`utc_offset_minutes` east).
pub fn hour_of_week(now_ms: u64, utc_offset_minutes: i32) -> usize {
    let minutes = (now_ms / 60_000) as i64 + i64::from(utc_offset_minutes);
    // 1970-01-01 was a Thursday: 72 hours after a Monday midnight.
    (minutes.div_euclid(60) + 72).rem_euclid(HOURS_PER_WEEK as i64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_of_the_week_start_on_monday_in_local_time() {
        // 1970-01-05 00:00 UTC was a Monday.
        assert_eq!(hour_of_week(4 * 86_400_000, 0), 0);
        assert_eq!(hour_of_week(4 * 86_400_000 + 3_600_000 * 25, 0), 25);
        assert_eq!(hour_of_week(4 * 86_400_000 - 1, 0), 167);
        // 17:30 UTC Sunday is 00:30 Monday in Vietnam.
        assert_eq!(
            hour_of_week(10 * 86_400_000 + 17 * 3_600_000 + 1_800_000, 420),
            0
        );
        assert_eq!(hour_of_week(0, -600), (72 - 10) as usize);
    }

    #[test]
    fn the_mean_follows_the_samples_and_the_variance_their_spread() {
        let mut slot = BaselineSlot::default();
        for i in 0..2000 {
            let x = if i % 2 == 0 { 90.0 } else { 110.0 };
            slot.learn(0.01, x, x * 1000.0);
        }
        assert!((slot.mean_pps - 100.0).abs() < 2.0, "{}", slot.mean_pps);
        assert!((slot.var_pps.sqrt() - 10.0).abs() < 1.5, "{}", slot.var_pps);
        assert_eq!(slot.samples, 2000);
    }
}
