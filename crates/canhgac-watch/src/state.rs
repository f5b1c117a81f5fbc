//! The monitor state machine: from a monitor's state and one check, its next state and what
//! changed (went down, recovered). Retries, flapping and maintenance windows live here; storage
//! and alerting do not.

use std::collections::VecDeque;

use canhgac_model::{MonitorStateUpdate, MonitorStatus, Timestamp};
use jiff::SignedDuration;

/// How eagerly a monitor is declared flapping.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlapPolicy {
    /// Up/down changes within `window` that make a monitor flapping.
    pub changes: usize,
    /// The window; a flapping monitor settles when it has not changed for this long.
    pub window: SignedDuration,
}

impl Default for FlapPolicy {
    fn default() -> Self {
        Self {
            changes: 4,
            window: SignedDuration::from_mins(30),
        }
    }
}

/// What the engine remembers of one monitor between checks.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitorMemory {
    /// Status as last decided.
    pub status: MonitorStatus,
    /// Failed checks in a row.
    pub failures: u32,
    /// Whether the last decided health (ignoring flapping and maintenance) was down.
    pub down: bool,
    /// A "went down" was reported and no "recovered" since.
    pub alerted_down: bool,
    /// When the health last changed between up and down.
    changes: VecDeque<Timestamp>,
}

impl MonitorMemory {
    /// Memory of a monitor as stored: its status and failures.
    pub fn new(status: MonitorStatus, failures: u32) -> Self {
        Self {
            status,
            failures,
            down: status == MonitorStatus::Down,
            alerted_down: status == MonitorStatus::Down,
            changes: VecDeque::new(),
        }
    }
}

/// A change worth telling people about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// The monitor is down (failed more than `retries` checks in a row).
    WentDown,
    /// The monitor was down and passed a check.
    Recovered,
}

/// The outcome of one check for the state machine.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation<'a> {
    /// Every condition held.
    pub ok: bool,
    /// The check's message (the outage reason when it goes down).
    pub message: &'a str,
    /// When the check ran.
    pub at: Timestamp,
    /// A maintenance window covers `at`.
    pub in_maintenance: bool,
}

/// Applies one check to a monitor's memory; returns the update to store and the transition to
/// alert on. Inside maintenance and while flapping no "went down" is reported, but health is
/// still tracked, so a monitor still down after the window is reported then. A recovery is
/// reported whenever a reported outage ends, except while flapping.
pub fn decide(
    memory: &mut MonitorMemory,
    retries: u32,
    observation: Observation<'_>,
    flap: FlapPolicy,
) -> (MonitorStateUpdate, Option<Transition>) {
    let at = observation.at;
    memory.failures = if observation.ok {
        0
    } else {
        memory.failures.saturating_add(1)
    };
    let was_down = memory.down;
    let now_down = if observation.ok {
        false
    } else if memory.failures > retries {
        true
    } else {
        was_down
    };
    let health_changed = was_down != now_down;
    memory.down = now_down;
    if health_changed {
        memory.changes.push_back(at);
    }
    while let Some(first) = memory.changes.front() {
        if at.duration_since(*first) > flap.window {
            memory.changes.pop_front();
        } else {
            break;
        }
    }
    let flapping = memory.changes.len() >= flap.changes;

    let previous = memory.status;
    let healthy_status = if now_down {
        MonitorStatus::Down
    } else if observation.ok {
        MonitorStatus::Up
    } else if previous == MonitorStatus::Pending {
        // Failing, but within the retries, before the first success.
        MonitorStatus::Pending
    } else {
        MonitorStatus::Up
    };
    let status = if observation.in_maintenance {
        MonitorStatus::Maintenance
    } else if flapping {
        MonitorStatus::Flapping
    } else {
        healthy_status
    };
    memory.status = status;

    let quiet = observation.in_maintenance || flapping;
    let transition = if now_down && !memory.alerted_down && !quiet {
        memory.alerted_down = true;
        Some(Transition::WentDown)
    } else if !now_down && memory.alerted_down && !flapping {
        memory.alerted_down = false;
        Some(Transition::Recovered)
    } else {
        None
    };
    // Outages follow health, not alerting: a window or flapping does not hide downtime from
    // the availability history, and a recovery always closes the open outage.
    let update = MonitorStateUpdate {
        status,
        consecutive_failures: memory.failures,
        outage_started: (health_changed && now_down).then(|| observation.message.to_owned()),
        outage_ended: health_changed && !now_down,
    };
    (update, transition)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + minute * 60).expect("in range")
    }

    fn check(
        memory: &mut MonitorMemory,
        retries: u32,
        ok: bool,
        minute: i64,
    ) -> (MonitorStatus, Option<Transition>) {
        let (update, transition) = decide(
            memory,
            retries,
            Observation {
                ok,
                message: if ok { "ok" } else { "Hết thời gian chờ" },
                at: at(minute),
                in_maintenance: false,
            },
            FlapPolicy::default(),
        );
        assert_eq!(update.status, memory.status);
        (update.status, transition)
    }

    #[test]
    fn goes_down_only_after_the_retries_and_recovers_once() {
        let mut memory = MonitorMemory::new(MonitorStatus::Pending, 0);
        assert_eq!(check(&mut memory, 2, true, 0), (MonitorStatus::Up, None));
        assert_eq!(check(&mut memory, 2, false, 1), (MonitorStatus::Up, None));
        assert_eq!(check(&mut memory, 2, false, 2), (MonitorStatus::Up, None));
        assert_eq!(
            check(&mut memory, 2, false, 3),
            (MonitorStatus::Down, Some(Transition::WentDown))
        );
        assert_eq!(check(&mut memory, 2, false, 4), (MonitorStatus::Down, None));
        assert_eq!(
            check(&mut memory, 2, true, 5),
            (MonitorStatus::Up, Some(Transition::Recovered))
        );
        assert_eq!(memory.failures, 0);
    }

    #[test]
    fn outages_open_and_close_with_health() {
        let mut memory = MonitorMemory::new(MonitorStatus::Up, 0);
        let obs = |ok, minute| Observation {
            ok,
            message: "Kết nối bị từ chối",
            at: at(minute),
            in_maintenance: false,
        };
        let (down, _) = decide(&mut memory, 0, obs(false, 0), FlapPolicy::default());
        assert_eq!(down.outage_started.as_deref(), Some("Kết nối bị từ chối"));
        let (still, _) = decide(&mut memory, 0, obs(false, 1), FlapPolicy::default());
        assert_eq!(still.outage_started, None);
        assert!(!still.outage_ended);
        let (up, _) = decide(&mut memory, 0, obs(true, 2), FlapPolicy::default());
        assert!(up.outage_ended);
    }

    #[test]
    fn maintenance_hides_transitions_but_not_health() {
        let mut memory = MonitorMemory::new(MonitorStatus::Up, 0);
        let (update, transition) = decide(
            &mut memory,
            0,
            Observation {
                ok: false,
                message: "down",
                at: at(0),
                in_maintenance: true,
            },
            FlapPolicy::default(),
        );
        assert_eq!(update.status, MonitorStatus::Maintenance);
        assert_eq!(transition, None);
        assert!(update.outage_started.is_some());
        // Still down after the window: reported now.
        assert_eq!(
            check(&mut memory, 0, false, 1),
            (MonitorStatus::Down, Some(Transition::WentDown))
        );
        assert_eq!(
            check(&mut memory, 0, true, 2),
            (MonitorStatus::Up, Some(Transition::Recovered))
        );
    }

    #[test]
    fn flapping_holds_alerts_back_until_it_settles() {
        let mut memory = MonitorMemory::new(MonitorStatus::Up, 0);
        let mut transitions = 0;
        for minute in 0..8 {
            let (_, transition) = check(&mut memory, 0, minute % 2 == 1, minute);
            transitions += usize::from(transition.is_some());
        }
        assert_eq!(memory.status, MonitorStatus::Flapping);
        // Four changes make it flapping; the ones before were reported.
        assert_eq!(transitions, 3);
        // Quiet for longer than the window: it settles, and the open outage is reported over.
        assert_eq!(
            check(&mut memory, 0, true, 8 + 31),
            (MonitorStatus::Up, Some(Transition::Recovered))
        );
    }

    #[test]
    fn a_pending_monitor_failing_within_retries_stays_pending() {
        let mut memory = MonitorMemory::new(MonitorStatus::Pending, 0);
        assert_eq!(
            check(&mut memory, 1, false, 0),
            (MonitorStatus::Pending, None)
        );
        assert_eq!(
            check(&mut memory, 1, false, 1),
            (MonitorStatus::Down, Some(Transition::WentDown))
        );
    }
}
