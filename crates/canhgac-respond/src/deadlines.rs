//! The deadline timers of incident reporting, as pure functions of an incident's instants and
//! `now`.
//!
//! - Notify the authorities within 5 days of detection (Circular 20/2017/TT-BTTTT).
//! - Send the closing report (Mẫu 04) within 5 days after the response ends (same circular).
//! - Notify a personal-data breach to the Ministry of Public Security (A05) within 72 hours
//!   (Decree 13/2023/NĐ-CP, Art. 23), counted from when it occurred when that is known, else from
//!   detection.
//! - Send the periodic summary (Mẫu 05) before 20/6 (half year) and before 15/12 (year).
//!
//! Periods in days follow the Civil Code 2015 (Art. 147–148): the day of the event is not
//! counted, and the period ends at the end of its last day, in Asia/Ho_Chi_Minh. Detected at
//! 23:00 on 05/01, the notification is due by the end of 10/01. Weekends and holidays do not
//! extend a deadline here: an earlier alarm is the safe side, and the holiday calendar is
//! configuration the product does not have yet.

use canhgac_model::{Date, Incident, IncidentTimes, Timestamp};
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, ToSpan};
use serde::{Deserialize, Serialize};

/// The time zone of every day boundary and every date printed in a report.
pub const VIETNAM_TIME_ZONE: &str = "Asia/Ho_Chi_Minh";

/// Days to notify the authorities after detection, and to send the closing report after the
/// response ends (Circular 20/2017).
pub const REPORT_DAYS: i64 = 5;

/// Hours to notify a personal-data breach (Decree 13/2023, Art. 23).
pub const PERSONAL_DATA_BREACH_HOURS: i64 = 72;

/// Asia/Ho_Chi_Minh; UTC+7 if the bundled database somehow lacks it (Vietnam has no DST).
pub(crate) fn vietnam() -> TimeZone {
    TimeZone::get(VIETNAM_TIME_ZONE).unwrap_or_else(|_| TimeZone::fixed(Offset::constant(7)))
}

/// The calendar day of `at` in Vietnam.
pub fn vietnam_date(at: Timestamp) -> Date {
    at.to_zoned(vietnam()).date()
}

/// The instant a Vietnamese calendar day begins.
pub(crate) fn start_of_day(date: Date) -> Timestamp {
    // Midnight exists every day in a zone without DST; the fallback is UTC+7 arithmetic.
    date.to_zoned(vietnam())
        .map(|zoned| zoned.timestamp())
        .unwrap_or_else(|_| {
            let utc = date.to_zoned(TimeZone::UTC).map(|z| z.timestamp());
            utc.map(|t| t - SignedDuration::from_hours(7))
                .unwrap_or(Timestamp::UNIX_EPOCH)
        })
}

/// The end of a period of `days` days following the day of `event` (Civil Code Art. 147–148):
/// the first instant after its last day.
pub fn end_of_day_period(event: Timestamp, days: i64) -> Timestamp {
    let first_late_day = vietnam_date(event)
        .checked_add((days + 1).days())
        .unwrap_or(Date::MAX);
    start_of_day(first_late_day)
}

/// Which obligation a deadline is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    /// Notify the authorities (initial report, Mẫu 03) within 5 days of detection.
    NotifyAuthorities,
    /// Send the closing report (Mẫu 04) within 5 days after the response ends.
    ClosingReport,
    /// Notify a personal-data breach to A05 within 72 hours.
    PersonalDataBreach,
    /// Send the half-year summary (Mẫu 05) before 20/6.
    HalfYearSummary,
    /// Send the annual summary (Mẫu 05) before 15/12.
    AnnualSummary,
}

impl DeadlineKind {
    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            DeadlineKind::NotifyAuthorities => {
                "Thông báo sự cố (trong 05 ngày kể từ khi phát hiện)"
            }
            DeadlineKind::ClosingReport => "Báo cáo kết thúc ứng phó sự cố (trong 05 ngày)",
            DeadlineKind::PersonalDataBreach => {
                "Thông báo vi phạm bảo vệ dữ liệu cá nhân (trong 72 giờ)"
            }
            DeadlineKind::HalfYearSummary => "Báo cáo tổng hợp 06 tháng (trước ngày 20/6)",
            DeadlineKind::AnnualSummary => "Báo cáo tổng hợp năm (trước ngày 15/12)",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            DeadlineKind::NotifyAuthorities => {
                "Notify the authorities (within 5 days of detection)"
            }
            DeadlineKind::ClosingReport => "Closing report (within 5 days after the response)",
            DeadlineKind::PersonalDataBreach => {
                "Personal-data breach notification (within 72 hours)"
            }
            DeadlineKind::HalfYearSummary => "Half-year summary (before 20 June)",
            DeadlineKind::AnnualSummary => "Annual summary (before 15 December)",
        }
    }
}

/// Where a deadline stands at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineState {
    /// Not done, still time.
    Due,
    /// Not done, and the time is up.
    Overdue,
    /// Done in time.
    Met,
    /// Done, but after the deadline.
    MetLate,
}

impl DeadlineState {
    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            DeadlineState::Due => "Còn hạn",
            DeadlineState::Overdue => "Quá hạn",
            DeadlineState::Met => "Đã thực hiện đúng hạn",
            DeadlineState::MetLate => "Đã thực hiện, quá hạn",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            DeadlineState::Due => "Due",
            DeadlineState::Overdue => "Overdue",
            DeadlineState::Met => "Met",
            DeadlineState::MetLate => "Met late",
        }
    }
}

/// One timer: when it started, when it runs out, when it was satisfied, and its state at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    /// The obligation.
    pub kind: DeadlineKind,
    /// When the timer started.
    pub starts_at: Timestamp,
    /// The first instant at which the obligation is late.
    pub due_at: Timestamp,
    /// When it was done, if it was.
    pub done_at: Option<Timestamp>,
    /// State at the `now` it was computed for.
    pub state: DeadlineState,
}

impl Deadline {
    /// A timer evaluated at `now`.
    pub fn at(
        kind: DeadlineKind,
        starts_at: Timestamp,
        due_at: Timestamp,
        done_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Self {
        let state = match done_at {
            Some(done) if done < due_at => DeadlineState::Met,
            Some(_) => DeadlineState::MetLate,
            None if now >= due_at => DeadlineState::Overdue,
            None => DeadlineState::Due,
        };
        Self {
            kind,
            starts_at,
            due_at,
            done_at,
            state,
        }
    }

    /// Time left before `due_at` (negative once overdue); `None` once done.
    pub fn remaining(&self, now: Timestamp) -> Option<SignedDuration> {
        match self.done_at {
            Some(_) => None,
            None => Some(self.due_at.duration_since(now)),
        }
    }
}

/// The deadlines of one incident at `now`: the notification always; the closing report once the
/// response has ended; the breach notification when personal data was breached.
pub fn incident_deadlines(
    times: &IncidentTimes,
    personal_data_breach: bool,
    now: Timestamp,
) -> Vec<Deadline> {
    let mut deadlines = vec![Deadline::at(
        DeadlineKind::NotifyAuthorities,
        times.detected_at,
        end_of_day_period(times.detected_at, REPORT_DAYS),
        times.authorities_notified_at,
        now,
    )];
    if let Some(ended) = times.response_ended_at {
        deadlines.push(Deadline::at(
            DeadlineKind::ClosingReport,
            ended,
            end_of_day_period(ended, REPORT_DAYS),
            times.closing_report_sent_at,
            now,
        ));
    }
    if personal_data_breach {
        // Decree 13 counts from the violation itself; detection is the latest it can have been.
        let start = times
            .occurred_at
            .filter(|occurred| *occurred < times.detected_at)
            .unwrap_or(times.detected_at);
        deadlines.push(Deadline::at(
            DeadlineKind::PersonalDataBreach,
            start,
            start + SignedDuration::from_hours(PERSONAL_DATA_BREACH_HOURS),
            times.personal_data_notified_at,
            now,
        ));
    }
    deadlines
}

/// [`incident_deadlines`] of a stored incident.
pub fn for_incident(incident: &Incident, now: Timestamp) -> Vec<Deadline> {
    incident_deadlines(
        &incident.details.times,
        incident.details.personal_data_breach,
        now,
    )
}

/// Which periodic summary (Mẫu 05).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SummaryKind {
    /// January to June, due before 20/6.
    HalfYear,
    /// The year, due before 15/12.
    Annual,
}

impl SummaryKind {
    /// The day on which the summary for `year` is late ("trước ngày 20/6" is late on 20/6).
    pub fn late_on(self, year: i16) -> Date {
        let (month, day) = match self {
            SummaryKind::HalfYear => (6, 20),
            SummaryKind::Annual => (12, 15),
        };
        Date::new(year, month, day).unwrap_or(Date::MAX)
    }

    /// The instant the summary for `year` is late.
    pub fn due_at(self, year: i16) -> Timestamp {
        start_of_day(self.late_on(year))
    }

    /// The deadline kind of this summary.
    pub fn deadline_kind(self) -> DeadlineKind {
        match self {
            SummaryKind::HalfYear => DeadlineKind::HalfYearSummary,
            SummaryKind::Annual => DeadlineKind::AnnualSummary,
        }
    }

    /// Printed in the title: "06 THÁNG" or "01 NĂM".
    pub fn title_vi(self) -> &'static str {
        match self {
            SummaryKind::HalfYear => "06 THÁNG",
            SummaryKind::Annual => "01 NĂM",
        }
    }
}

/// The two summary deadlines of `year` at `now`, given when each summary was sent.
pub fn summary_deadlines(
    year: i16,
    half_year_sent_at: Option<Timestamp>,
    annual_sent_at: Option<Timestamp>,
    now: Timestamp,
) -> Vec<Deadline> {
    let year_start = start_of_day(Date::new(year, 1, 1).unwrap_or(Date::MIN));
    [
        (SummaryKind::HalfYear, half_year_sent_at),
        (SummaryKind::Annual, annual_sent_at),
    ]
    .into_iter()
    .map(|(kind, sent)| {
        Deadline::at(
            kind.deadline_kind(),
            year_start,
            kind.due_at(year),
            sent,
            now,
        )
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn five_days_run_to_the_end_of_the_fifth_day_after_detection_in_vietnam() {
        // 23:30 on 05/01 in Vietnam is 16:30 UTC: the local day is what counts.
        let detected = at("2026-01-05T16:30:00Z");
        assert_eq!(vietnam_date(detected), Date::constant(2026, 1, 5));
        // Late from 00:00 on 11/01 Vietnam time = 17:00 UTC on 10/01.
        assert_eq!(end_of_day_period(detected, 5), at("2026-01-10T17:00:00Z"));
        // 17:30 UTC on 05/01 is already 06/01 in Vietnam: one more day.
        assert_eq!(
            end_of_day_period(at("2026-01-05T17:30:00Z"), 5),
            at("2026-01-11T17:00:00Z")
        );
        // Across a month and a year end.
        assert_eq!(
            end_of_day_period(at("2026-12-29T03:00:00Z"), 5),
            at("2027-01-03T17:00:00Z")
        );
    }

    proptest::proptest! {
        #[test]
        fn a_day_period_ends_at_a_vietnamese_midnight_between_5_and_6_days_later(
            seconds in 0i64..4_102_444_800,
        ) {
            let detected = Timestamp::from_second(seconds).unwrap();
            let due = end_of_day_period(detected, REPORT_DAYS);
            let elapsed = due.duration_since(detected);
            proptest::prop_assert!(elapsed > SignedDuration::from_hours(5 * 24));
            proptest::prop_assert!(elapsed <= SignedDuration::from_hours(6 * 24));
            let local = due.to_zoned(vietnam());
            proptest::prop_assert_eq!((local.hour(), local.minute(), local.second()), (0, 0, 0));
            proptest::prop_assert_eq!(
                local.date(),
                vietnam_date(detected).checked_add(6.days()).unwrap()
            );
        }
    }

    #[test]
    fn the_notification_is_due_then_overdue_then_met() {
        let times = IncidentTimes::detected(at("2026-01-05T02:00:00Z"));
        let due_at = at("2026-01-10T17:00:00Z");
        let list = incident_deadlines(&times, false, at("2026-01-06T00:00:00Z"));
        assert_eq!(list.len(), 1, "no closing report before the response ends");
        assert_eq!(list[0].kind, DeadlineKind::NotifyAuthorities);
        assert_eq!(list[0].due_at, due_at);
        assert_eq!(list[0].state, DeadlineState::Due);
        assert_eq!(
            list[0].remaining(at("2026-01-10T16:00:00Z")),
            Some(SignedDuration::from_hours(1))
        );
        // One second before the end of 10/01 it is still due; at midnight it is overdue.
        let before = incident_deadlines(&times, false, due_at - SignedDuration::from_secs(1));
        assert_eq!(before[0].state, DeadlineState::Due);
        assert_eq!(
            incident_deadlines(&times, false, due_at)[0].state,
            DeadlineState::Overdue
        );

        let mut notified = times;
        notified.authorities_notified_at = Some(at("2026-01-09T03:00:00Z"));
        let later = at("2026-02-01T00:00:00Z");
        let met = incident_deadlines(&notified, false, later);
        assert_eq!(met[0].state, DeadlineState::Met);
        assert_eq!(met[0].remaining(later), None);
        notified.authorities_notified_at = Some(due_at);
        assert_eq!(
            incident_deadlines(&notified, false, later)[0].state,
            DeadlineState::MetLate
        );
    }

    #[test]
    fn the_closing_report_counts_from_the_end_of_the_response() {
        let mut times = IncidentTimes::detected(at("2026-03-01T02:00:00Z"));
        times.authorities_notified_at = Some(at("2026-03-02T02:00:00Z"));
        times.response_ended_at = Some(at("2026-03-20T09:00:00Z"));
        let list = incident_deadlines(&times, false, at("2026-03-26T00:00:00Z"));
        let closing = list
            .iter()
            .find(|d| d.kind == DeadlineKind::ClosingReport)
            .unwrap();
        assert_eq!(closing.starts_at, at("2026-03-20T09:00:00Z"));
        assert_eq!(closing.due_at, at("2026-03-25T17:00:00Z"));
        assert_eq!(closing.state, DeadlineState::Overdue);
        times.closing_report_sent_at = Some(at("2026-03-24T01:00:00Z"));
        let list = incident_deadlines(&times, false, at("2026-03-26T00:00:00Z"));
        assert!(list.iter().all(|d| d.state == DeadlineState::Met));
    }

    #[test]
    fn a_personal_data_breach_has_72_hours_from_occurrence_when_known() {
        let mut times = IncidentTimes::detected(at("2026-05-10T08:00:00Z"));
        let list = incident_deadlines(&times, true, at("2026-05-12T08:00:00Z"));
        let breach = list
            .iter()
            .find(|d| d.kind == DeadlineKind::PersonalDataBreach)
            .unwrap();
        assert_eq!(breach.due_at, at("2026-05-13T08:00:00Z"));
        assert_eq!(breach.state, DeadlineState::Due);

        times.occurred_at = Some(at("2026-05-09T08:00:00Z"));
        let list = incident_deadlines(&times, true, at("2026-05-12T08:00:00Z"));
        let breach = list
            .iter()
            .find(|d| d.kind == DeadlineKind::PersonalDataBreach)
            .unwrap();
        assert_eq!(breach.due_at, at("2026-05-12T08:00:00Z"));
        assert_eq!(breach.state, DeadlineState::Overdue);
        assert!(
            incident_deadlines(&times, false, at("2026-05-12T08:00:00Z"))
                .iter()
                .all(|d| d.kind != DeadlineKind::PersonalDataBreach)
        );
    }

    #[test]
    fn summaries_are_late_on_20_june_and_15_december_vietnam_time() {
        assert_eq!(
            SummaryKind::HalfYear.due_at(2026),
            at("2026-06-19T17:00:00Z")
        );
        assert_eq!(SummaryKind::Annual.due_at(2026), at("2026-12-14T17:00:00Z"));
        let list = summary_deadlines(
            2026,
            Some(at("2026-06-15T03:00:00Z")),
            None,
            at("2026-12-14T16:59:59Z"),
        );
        assert_eq!(list[0].kind, DeadlineKind::HalfYearSummary);
        assert_eq!(list[0].state, DeadlineState::Met);
        assert_eq!(list[1].kind, DeadlineKind::AnnualSummary);
        assert_eq!(list[1].state, DeadlineState::Due);
        assert_eq!(list[1].starts_at, at("2025-12-31T17:00:00Z"));
        let list = summary_deadlines(2026, None, None, at("2026-12-14T17:00:00Z"));
        assert!(list.iter().all(|d| d.state == DeadlineState::Overdue));
    }
}
