//! The duty roster (lịch trực): shifts, holidays that need 24/7 cover, and the questions asked of
//! them: who is on duty now, where a holiday has no one on duty, what a month looks like.
//!
//! A [`Shift`] is a half-open interval `[start, end)` with a primary and, ideally, a backup
//! person, for one unit or for the whole province (`unit_id: None`). A province-wide shift
//! covers every unit; a unit's own shift comes first when both exist ([`on_duty_at`]).
//! [`coverage_gaps`] walks a [`HolidayPeriod`] and reports every interval without a primary
//! (an error) and without a backup (a warning). [`calendar`] lays shifts on the days of a month
//! in Asia/Ho_Chi_Minh, and [`import_csv`] reads a roster sheet, all rows or none.
//!
//! Everything here is pure: values in, values out. The store keeps the shifts.

use std::collections::BTreeSet;
use std::fmt;

use canhgac_model::{FieldError, Id, Timestamp, Unit};
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization as _;

/// Asia/Ho_Chi_Minh, in which rosters are written and shown (a fixed UTC+7, which it is, when
/// the time zone database lacks it).
pub fn vietnam_time_zone() -> TimeZone {
    TimeZone::get("Asia/Ho_Chi_Minh").unwrap_or_else(|_| TimeZone::fixed(jiff::tz::offset(7)))
}

/// `dd/mm/yyyy HH:MM` in Asia/Ho_Chi_Minh.
pub fn format_local(at: Timestamp) -> String {
    at.to_zoned(vietnam_time_zone())
        .strftime("%d/%m/%Y %H:%M")
        .to_string()
}

/// Someone who can be put on duty and reached by the notification channels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// Database id (a user or a contact).
    pub id: Id,
    /// Full name, as written in roster sheets.
    pub name: String,
    /// Email address, for the email channel and to tell namesakes apart in sheets.
    pub email: Option<String>,
    /// Telegram chat id (the person started a chat with the bot).
    pub telegram_chat_id: Option<String>,
    /// Zalo user id of the person as a follower of the Official Account.
    pub zalo_user_id: Option<String>,
}

impl Person {
    /// A person with a name and no addresses.
    pub fn new(id: Id, name: impl Into<String>) -> Self {
        Self {
            id,
            name: name.into(),
            email: None,
            telegram_chat_id: None,
            zalo_user_id: None,
        }
    }

    /// The reference a shift keeps.
    pub fn on_duty(&self) -> DutyPerson {
        DutyPerson {
            id: self.id,
            name: self.name.clone(),
        }
    }
}

/// A person as a shift names them: the id, and the name for display.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DutyPerson {
    /// Id of the [`Person`].
    pub id: Id,
    /// Their name.
    pub name: String,
}

/// A shift as entered or imported, before it has an id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftInput {
    /// First instant of the shift.
    pub start: Timestamp,
    /// First instant after the shift (shifts are `[start, end)`).
    pub end: Timestamp,
    /// The unit on watch; `None` for the whole province.
    pub unit_id: Option<Id>,
    /// Who is on duty.
    pub primary: DutyPerson,
    /// Who takes over when the primary does not answer.
    pub backup: Option<DutyPerson>,
    /// Free text (phone numbers, handover notes).
    pub note: String,
}

/// Longest shift accepted: longer ones are typing mistakes (a wrong month or year).
pub const MAX_SHIFT: jiff::SignedDuration = jiff::SignedDuration::from_hours(31 * 24);

fn check_times(start: Timestamp, end: Timestamp) -> Result<(), String> {
    if end <= start {
        return Err(format!(
            "kết thúc ({}) không sau bắt đầu ({}) / end is not after start",
            format_local(end),
            format_local(start)
        ));
    }
    if start.duration_until(end) > MAX_SHIFT {
        return Err(format!(
            "ca trực dài hơn 31 ngày ({} đến {}) / shift longer than 31 days",
            format_local(start),
            format_local(end)
        ));
    }
    Ok(())
}

fn check_people(primary: &DutyPerson, backup: Option<&DutyPerson>) -> Result<(), String> {
    match backup {
        Some(b) if b.id == primary.id => Err(format!(
            "\"{}\" vừa trực chính vừa dự phòng / the same person is primary and backup",
            primary.name
        )),
        _ => Ok(()),
    }
}

impl ShiftInput {
    /// The stored shift with this id.
    pub fn into_shift(self, id: Id) -> Shift {
        Shift {
            id,
            start: self.start,
            end: self.end,
            unit_id: self.unit_id,
            primary: self.primary,
            backup: self.backup,
            note: self.note,
        }
    }

    /// Checks a shift entered by hand, as the sheet import does: end after start, at most
    /// [`MAX_SHIFT`] long, primary and backup different people; trims the note.
    pub fn validate(&mut self) -> Result<(), FieldError> {
        check_times(self.start, self.end).map_err(|e| FieldError::new("end", e))?;
        check_people(&self.primary, self.backup.as_ref())
            .map_err(|e| FieldError::new("backup", e))?;
        self.note = self.note.trim().to_string();
        if self.note.chars().count() > 2000 {
            return Err(FieldError::new(
                "note",
                "dài quá 2000 ký tự / longer than 2000 characters",
            ));
        }
        Ok(())
    }
}

impl OnDuty {
    /// The line of the console header: "Trực: An (dự phòng: Bình)", or that nobody is on duty.
    pub fn label_vi(&self) -> String {
        match (&self.primary, &self.backup) {
            (None, _) => "Không có người trực".to_string(),
            (Some(p), None) => format!("Trực: {}", p.name),
            (Some(p), Some(b)) => format!("Trực: {} (dự phòng: {})", p.name, b.name),
        }
    }
}

/// A stored shift (ca trực).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shift {
    /// Database id.
    pub id: Id,
    /// First instant of the shift.
    pub start: Timestamp,
    /// First instant after the shift.
    pub end: Timestamp,
    /// The unit on watch; `None` for the whole province.
    pub unit_id: Option<Id>,
    /// Who is on duty.
    pub primary: DutyPerson,
    /// Who takes over when the primary does not answer.
    pub backup: Option<DutyPerson>,
    /// Free text.
    pub note: String,
}

impl Shift {
    /// True when `at` falls in `[start, end)`.
    pub fn covers(&self, at: Timestamp) -> bool {
        self.start <= at && at < self.end
    }

    /// True for a province-wide shift.
    pub fn is_province_wide(&self) -> bool {
        self.unit_id.is_none()
    }
}

/// Which units a holiday must keep covered around the clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Coverage {
    /// The province as a whole: province-wide shifts must cover every minute.
    ProvinceWide,
    /// Each listed unit: its own shifts or province-wide ones must cover every minute.
    Units(Vec<Id>),
}

/// A holiday (kỳ nghỉ lễ) during which duty must be continuous, e.g. "Tết Bính Ngọ 2026".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HolidayPeriod {
    /// Name shown in the console and reports.
    pub name: String,
    /// First instant of the holiday.
    pub start: Timestamp,
    /// First instant after the holiday.
    pub end: Timestamp,
    /// Who must be covered.
    pub coverage: Coverage,
}

impl HolidayPeriod {
    /// Checks a holiday entered by hand: a name, an end after the start, units listed when
    /// coverage is per unit; trims the name.
    pub fn validate(&mut self) -> Result<(), FieldError> {
        self.name = self.name.trim().to_string();
        if self.name.is_empty() {
            return Err(FieldError::new(
                "name",
                "cần tên kỳ nghỉ / a name is required",
            ));
        }
        if self.end <= self.start {
            return Err(FieldError::new(
                "end",
                "kết thúc phải sau bắt đầu / end must be after start",
            ));
        }
        if let Coverage::Units(units) = &mut self.coverage {
            units.sort_unstable();
            units.dedup();
            if units.is_empty() {
                return Err(FieldError::new(
                    "coverage",
                    "chưa chọn đơn vị nào / no unit chosen",
                ));
            }
        }
        Ok(())
    }
}

/// What a coverage gap lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GapKind {
    /// No one on duty at all: an error to fix before the holiday.
    NoPrimary,
    /// Someone on duty but no backup to escalate to: a warning.
    NoBackup,
}

/// An interval of a holiday without full cover.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    /// The unit concerned; `None` for the province as a whole.
    pub unit_id: Option<Id>,
    /// First instant without cover.
    pub start: Timestamp,
    /// First instant covered again (or the end of the holiday).
    pub end: Timestamp,
    /// What is missing.
    pub kind: GapKind,
}

impl Gap {
    /// True for a missing backup (a warning rather than an error).
    pub fn is_warning(&self) -> bool {
        self.kind == GapKind::NoBackup
    }

    /// The gap in Vietnamese, for the console.
    pub fn message_vi(&self) -> String {
        let what = match self.kind {
            GapKind::NoPrimary => "không có người trực",
            GapKind::NoBackup => "không có người trực dự phòng",
        };
        format!(
            "{}: {what} từ {} đến {}",
            self.scope_vi(),
            format_local(self.start),
            format_local(self.end)
        )
    }

    /// The gap in English.
    pub fn message_en(&self) -> String {
        let what = match self.kind {
            GapKind::NoPrimary => "nobody on duty",
            GapKind::NoBackup => "no backup on duty",
        };
        let scope = match self.unit_id {
            Some(unit) => format!("unit #{unit}"),
            None => "province-wide".to_string(),
        };
        format!(
            "{scope}: {what} from {} to {} (Asia/Ho_Chi_Minh)",
            format_local(self.start),
            format_local(self.end)
        )
    }

    fn scope_vi(&self) -> String {
        match self.unit_id {
            Some(unit) => format!("Đơn vị #{unit}"),
            None => "Toàn tỉnh".to_string(),
        }
    }
}

/// Who is on duty for a unit at an instant.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnDuty {
    /// The person to page first.
    pub primary: Option<DutyPerson>,
    /// The person to escalate to.
    pub backup: Option<DutyPerson>,
    /// The shift the primary comes from.
    pub shift_id: Option<Id>,
}

/// The shifts that can serve `unit` at `at`, the unit's own first, then province-wide ones,
/// each group in order of start then id (so overlapping shifts give a stable answer).
fn serving(shifts: &[Shift], unit: Option<Id>, at: Timestamp) -> Vec<&Shift> {
    let mut own: Vec<&Shift> = shifts
        .iter()
        .filter(|s| unit.is_some() && s.unit_id == unit && s.covers(at))
        .collect();
    let mut province: Vec<&Shift> = shifts
        .iter()
        .filter(|s| s.is_province_wide() && s.covers(at))
        .collect();
    own.sort_by_key(|s| (s.start, s.id));
    province.sort_by_key(|s| (s.start, s.id));
    own.extend(province);
    own
}

/// Who is on duty for `unit` (`None`: the province) at `now`: the primary of the unit's own
/// shift if one covers `now`, else of a province-wide shift; the backup is the first backup of
/// those shifts that is not the primary, or failing that, another shift's primary.
pub fn on_duty_at(shifts: &[Shift], unit: Option<Id>, now: Timestamp) -> OnDuty {
    let candidates = serving(shifts, unit, now);
    let Some(first) = candidates.first() else {
        return OnDuty::default();
    };
    let primary = first.primary.clone();
    let not_primary = |p: &&DutyPerson| p.id != primary.id;
    let backup = candidates
        .iter()
        .filter_map(|s| s.backup.as_ref())
        .find(not_primary)
        .or_else(|| candidates.iter().map(|s| &s.primary).find(not_primary))
        .cloned();
    OnDuty {
        primary: Some(primary),
        backup,
        shift_id: Some(first.id),
    }
}

/// Every interval of `holiday` in which a unit it covers has no primary on duty (errors) or no
/// backup (warnings), per unit in the order of the holiday's list, each in time order, with
/// adjacent intervals of the same kind merged.
pub fn coverage_gaps(shifts: &[Shift], holiday: &HolidayPeriod) -> Vec<Gap> {
    if holiday.end <= holiday.start {
        return Vec::new();
    }
    // Cover only changes where a shift starts or ends.
    let mut cuts: BTreeSet<Timestamp> = BTreeSet::from([holiday.start, holiday.end]);
    for shift in shifts {
        for at in [shift.start, shift.end] {
            if holiday.start < at && at < holiday.end {
                cuts.insert(at);
            }
        }
    }
    let cuts: Vec<Timestamp> = cuts.into_iter().collect();
    let units: Vec<Option<Id>> = match &holiday.coverage {
        Coverage::ProvinceWide => vec![None],
        Coverage::Units(ids) => ids.iter().copied().map(Some).collect(),
    };
    let mut gaps: Vec<Gap> = Vec::new();
    for unit in units {
        for pair in cuts.windows(2) {
            let (start, end) = (pair[0], pair[1]);
            let duty = on_duty_at(shifts, unit, start);
            let kind = match (&duty.primary, &duty.backup) {
                (None, _) => GapKind::NoPrimary,
                (Some(_), None) => GapKind::NoBackup,
                (Some(_), Some(_)) => continue,
            };
            match gaps.last_mut() {
                Some(last) if last.unit_id == unit && last.kind == kind && last.end == start => {
                    last.end = end;
                }
                _ => gaps.push(Gap {
                    unit_id: unit,
                    start,
                    end,
                    kind,
                }),
            }
        }
    }
    gaps
}

/// One shift as a day of the calendar shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayShift {
    /// The shift.
    pub shift_id: Id,
    /// Unit, `None` for province-wide.
    pub unit_id: Option<Id>,
    /// Start on this day, `HH:MM`; `00:00` when it began the day before.
    pub from: String,
    /// End on this day, `HH:MM`; `24:00` when it runs into the next day.
    pub to: String,
    /// The shift began on an earlier day.
    pub continued: bool,
    /// The shift goes on into the next day.
    pub continues: bool,
    /// Who is on duty.
    pub primary: DutyPerson,
    /// Their backup.
    pub backup: Option<DutyPerson>,
    /// Note of the shift.
    pub note: String,
}

/// A day of the month view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Day {
    /// The date.
    pub date: Date,
    /// The date as `dd/mm/yyyy`.
    pub label: String,
    /// Shifts touching the day, in order of start.
    pub shifts: Vec<DayShift>,
}

/// The days of the month of `month` (any day of it) with the shifts touching each, in
/// Asia/Ho_Chi_Minh: a shift crossing midnight appears on every day it touches.
pub fn calendar(shifts: &[Shift], month: Date) -> Vec<Day> {
    let tz = vietnam_time_zone();
    let first = month.first_of_month();
    let mut days = Vec::new();
    let mut ordered: Vec<&Shift> = shifts.iter().filter(|s| s.start < s.end).collect();
    ordered.sort_by_key(|s| (s.start, s.id));
    for offset in 0..i32::from(first.days_in_month()) {
        let Ok(date) = first.checked_add(jiff::Span::new().days(offset)) else {
            break;
        };
        let (Ok(day_start), Ok(day_end)) = (
            tz.to_timestamp(date.to_datetime(jiff::civil::Time::midnight())),
            date.tomorrow()
                .and_then(|d| tz.to_timestamp(d.to_datetime(jiff::civil::Time::midnight()))),
        ) else {
            break;
        };
        let hhmm = |at: Timestamp| at.to_zoned(tz.clone()).strftime("%H:%M").to_string();
        let day_shifts = ordered
            .iter()
            .filter(|s| s.start < day_end && s.end > day_start)
            .map(|s| {
                let continued = s.start < day_start;
                let continues = s.end > day_end;
                DayShift {
                    shift_id: s.id,
                    unit_id: s.unit_id,
                    from: if continued {
                        "00:00".into()
                    } else {
                        hhmm(s.start)
                    },
                    to: if continues || s.end == day_end {
                        "24:00".into()
                    } else {
                        hhmm(s.end)
                    },
                    continued,
                    continues,
                    primary: s.primary.clone(),
                    backup: s.backup.clone(),
                    note: s.note.clone(),
                }
            })
            .collect();
        days.push(Day {
            date,
            label: date.strftime("%d/%m/%Y").to_string(),
            shifts: day_shifts,
        });
    }
    days
}

/// A problem with one row of a roster sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// Line of the sheet (1-based, the header is line 1).
    pub line: u64,
    /// The problem, Vietnamese first then English.
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "dòng {} (line {}): {}",
            self.line, self.line, self.message
        )
    }
}

/// Why a roster sheet was refused (nothing of it is imported).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RosterError {
    /// The header lacks a required column.
    #[error("thiếu cột \"{vi}\" / missing column \"{en}\"")]
    MissingColumn {
        /// Vietnamese column name.
        vi: &'static str,
        /// English column name.
        en: &'static str,
    },
    /// The sheet has no header row.
    #[error("tệp trống / empty file")]
    Empty,
    /// Rows with problems, all of them.
    #[error("{} dòng lỗi / rows with errors: {}", .0.len(), join_rows(.0))]
    Rows(Vec<RowError>),
}

fn join_rows(rows: &[RowError]) -> String {
    rows.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Something worth a look in an imported sheet that does not stop the import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportWarning {
    /// Line of the sheet.
    pub line: u64,
    /// The remark, Vietnamese first then English.
    pub message: String,
}

/// A roster sheet read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterImport {
    /// The shifts, in sheet order.
    pub shifts: Vec<ShiftInput>,
    /// Overlaps and the like.
    pub warnings: Vec<ImportWarning>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Column {
    Start,
    End,
    Unit,
    Primary,
    Backup,
    Note,
}

/// Header spellings per column: Vietnamese with and without marks, English.
const HEADERS: &[(Column, &[&str])] = &[
    (Column::Start, &["bắt đầu", "bat dau", "start", "from"]),
    (Column::End, &["kết thúc", "ket thuc", "end", "to", "until"]),
    (Column::Unit, &["đơn vị", "don vi", "unit"]),
    (
        Column::Primary,
        &["trực chính", "truc chinh", "primary", "on duty"],
    ),
    (
        Column::Backup,
        &[
            "trực dự phòng",
            "truc du phong",
            "dự phòng",
            "du phong",
            "backup",
        ],
    ),
    (Column::Note, &["ghi chú", "ghi chu", "note", "notes"]),
];

/// Words that mean "the whole province" in the unit column.
const PROVINCE_WIDE: &[&str] = &[
    "",
    "toàn tỉnh",
    "toan tinh",
    "province",
    "province-wide",
    "*",
];

/// Compares names as people mean them: composed Unicode (NFC), case and spacing ignored.
fn fold(text: &str) -> String {
    text.nfc()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Reads a roster sheet: a header row naming the columns `bắt đầu, kết thúc, đơn vị, trực chính,
/// trực dự phòng, ghi chú` (or `start, end, unit, primary, backup, note`; unit, backup and note
/// may be left out), comma- or semicolon-separated. Times are `dd/mm/yyyy HH:MM` in
/// Asia/Ho_Chi_Minh or ISO 8601 (with an offset, or without one meaning Asia/Ho_Chi_Minh).
/// People are named by name, email or `#id`; units by name, code or id, blank or `toàn tỉnh`
/// for province-wide. Any bad row refuses the whole sheet, every bad row listed; shifts of the
/// same unit that overlap are warnings.
pub fn import_csv(
    text: &str,
    people: &[Person],
    units: &[Unit],
) -> Result<RosterImport, RosterError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first_line = text.lines().next().unwrap_or_default();
    let delimiter = if first_line.contains(';') && !first_line.contains(',') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader.headers().map_err(|_| RosterError::Empty)?.clone();
    if header.iter().all(str::is_empty) {
        return Err(RosterError::Empty);
    }
    let position = |column: Column| {
        let names = HEADERS
            .iter()
            .find(|(c, _)| *c == column)
            .map(|(_, names)| *names)
            .unwrap_or_default();
        header
            .iter()
            .position(|h| names.contains(&fold(h).as_str()))
    };
    let required =
        |column: Column, vi, en| position(column).ok_or(RosterError::MissingColumn { vi, en });
    let start_at = required(Column::Start, "bắt đầu", "start")?;
    let end_at = required(Column::End, "kết thúc", "end")?;
    let primary_at = required(Column::Primary, "trực chính", "primary")?;
    let (unit_at, backup_at, note_at) = (
        position(Column::Unit),
        position(Column::Backup),
        position(Column::Note),
    );

    let tz = vietnam_time_zone();
    let mut shifts: Vec<(u64, ShiftInput)> = Vec::new();
    let mut errors = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(RowError {
                    line,
                    message: format!("không đọc được / unreadable: {e}"),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(str::is_empty) {
            continue;
        }
        let cell = |at: Option<usize>| at.and_then(|i| record.get(i)).unwrap_or_default();
        let mut problems = Vec::new();
        let start = parse_time(cell(Some(start_at)), &tz)
            .map_err(|e| problems.push(format!("bắt đầu / start: {e}")))
            .ok();
        let end = parse_time(cell(Some(end_at)), &tz)
            .map_err(|e| problems.push(format!("kết thúc / end: {e}")))
            .ok();
        if let (Some(start), Some(end)) = (start, end) {
            if let Err(e) = check_times(start, end) {
                problems.push(e);
            }
        }
        let unit_id = find_unit(cell(unit_at), units)
            .map_err(|e| problems.push(format!("đơn vị / unit: {e}")))
            .ok();
        let primary = match cell(Some(primary_at)) {
            "" => {
                problems.push("trực chính trống / primary is empty".to_string());
                None
            }
            who => find_person(who, people)
                .map_err(|e| problems.push(format!("trực chính / primary: {e}")))
                .ok(),
        };
        let backup = match cell(backup_at) {
            "" => Some(None),
            who => find_person(who, people)
                .map(Some)
                .map_err(|e| problems.push(format!("trực dự phòng / backup: {e}")))
                .ok(),
        };
        if let (Some(p), Some(b)) = (&primary, &backup) {
            if let Err(e) = check_people(p, b.as_ref()) {
                problems.push(e);
            }
        }
        match (start, end, unit_id, primary, backup) {
            (Some(start), Some(end), Some(unit_id), Some(primary), Some(backup))
                if problems.is_empty() =>
            {
                shifts.push((
                    line,
                    ShiftInput {
                        start,
                        end,
                        unit_id,
                        primary,
                        backup,
                        note: cell(note_at).to_string(),
                    },
                ));
            }
            _ => errors.extend(
                problems
                    .into_iter()
                    .map(|message| RowError { line, message }),
            ),
        }
    }
    if !errors.is_empty() {
        return Err(RosterError::Rows(errors));
    }
    let mut warnings = Vec::new();
    for (i, (line, shift)) in shifts.iter().enumerate() {
        for (earlier_line, earlier) in &shifts[..i] {
            if earlier.unit_id == shift.unit_id
                && earlier.start < shift.end
                && shift.start < earlier.end
            {
                warnings.push(ImportWarning {
                    line: *line,
                    message: format!(
                        "ca trực chồng lấn với dòng {earlier_line} cùng đơn vị / overlaps the \
                         shift of line {earlier_line} of the same unit"
                    ),
                });
            }
        }
    }
    Ok(RosterImport {
        shifts: shifts.into_iter().map(|(_, s)| s).collect(),
        warnings,
    })
}

/// `dd/mm/yyyy HH:MM[:SS]` in Asia/Ho_Chi_Minh, or ISO 8601 with or without an offset.
fn parse_time(text: &str, tz: &TimeZone) -> Result<Timestamp, String> {
    if text.is_empty() {
        return Err("trống / empty".into());
    }
    if let Ok(at) = text.parse::<Timestamp>() {
        return Ok(at);
    }
    let civil = ["%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S"]
        .iter()
        .find_map(|format| DateTime::strptime(format, text).ok())
        .or_else(|| text.parse::<DateTime>().ok())
        .ok_or_else(|| {
            format!(
                "\"{text}\" không phải thời điểm dd/mm/yyyy HH:MM / not a dd/mm/yyyy HH:MM time"
            )
        })?;
    tz.to_timestamp(civil)
        .map_err(|e| format!("\"{text}\": {e}"))
}

fn find_person(text: &str, people: &[Person]) -> Result<DutyPerson, String> {
    if let Some(id) = text
        .strip_prefix('#')
        .and_then(|n| n.trim().parse::<Id>().ok())
    {
        return people
            .iter()
            .find(|p| p.id == id)
            .map(Person::on_duty)
            .ok_or_else(|| format!("không có người #{id} / no person #{id}"));
    }
    let wanted = fold(text);
    let by_email: Vec<&Person> = people
        .iter()
        .filter(|p| p.email.as_deref().is_some_and(|e| fold(e) == wanted))
        .collect();
    let by_name: Vec<&Person> = people.iter().filter(|p| fold(&p.name) == wanted).collect();
    match (by_email.as_slice(), by_name.as_slice()) {
        ([one], _) | ([], [one]) => Ok(one.on_duty()),
        ([], []) => Err(format!("không biết \"{text}\" / unknown person \"{text}\"")),
        _ => Err(format!(
            "\"{text}\" trùng tên nhiều người, hãy dùng email / \"{text}\" names several people, use the email"
        )),
    }
}

fn find_unit(text: &str, units: &[Unit]) -> Result<Option<Id>, String> {
    let wanted = fold(text);
    if PROVINCE_WIDE.contains(&wanted.as_str()) {
        return Ok(None);
    }
    if let Ok(id) = wanted.trim_start_matches('#').parse::<Id>() {
        if units.iter().any(|u| u.id == id) {
            return Ok(Some(id));
        }
    }
    let matches: Vec<&Unit> = units
        .iter()
        .filter(|u| fold(&u.name) == wanted || fold(&u.code) == wanted)
        .collect();
    match matches.as_slice() {
        [one] => Ok(Some(one.id)),
        [] => Err(format!("không biết \"{text}\" / unknown unit \"{text}\"")),
        _ => Err(format!(
            "\"{text}\" trùng nhiều đơn vị, hãy dùng mã / \"{text}\" names several units, use the code"
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use jiff::civil::date;

    fn at(text: &str) -> Timestamp {
        let tz = vietnam_time_zone();
        tz.to_timestamp(text.parse::<DateTime>().unwrap()).unwrap()
    }

    fn person(id: Id, name: &str) -> DutyPerson {
        DutyPerson {
            id,
            name: name.into(),
        }
    }

    fn shift(
        id: Id,
        start: &str,
        end: &str,
        unit: Option<Id>,
        primary: Id,
        backup: Option<Id>,
    ) -> Shift {
        Shift {
            id,
            start: at(start),
            end: at(end),
            unit_id: unit,
            primary: person(primary, &format!("P{primary}")),
            backup: backup.map(|b| person(b, &format!("P{b}"))),
            note: String::new(),
        }
    }

    fn tet(coverage: Coverage) -> HolidayPeriod {
        HolidayPeriod {
            name: "Tết Bính Ngọ 2026".into(),
            start: at("2026-02-14T00:00"),
            end: at("2026-02-17T00:00"),
            coverage,
        }
    }

    #[test]
    fn tet_roster_with_a_night_gap_is_found() {
        // Unit 5 has day and evening shifts but nobody from 22:00 on the 15th to 06:00 on the 16th.
        let shifts = vec![
            shift(
                1,
                "2026-02-14T00:00",
                "2026-02-15T22:00",
                Some(5),
                10,
                Some(11),
            ),
            shift(
                2,
                "2026-02-16T06:00",
                "2026-02-17T00:00",
                Some(5),
                12,
                Some(13),
            ),
        ];
        let mut holiday = tet(Coverage::Units(vec![5, 5]));
        holiday.validate().unwrap();
        assert_eq!(holiday.coverage, Coverage::Units(vec![5]));
        assert_eq!(
            tet(Coverage::Units(vec![])).validate().unwrap_err().field,
            "coverage"
        );
        let gaps = coverage_gaps(&shifts, &holiday);
        assert_eq!(
            gaps,
            vec![Gap {
                unit_id: Some(5),
                start: at("2026-02-15T22:00"),
                end: at("2026-02-16T06:00"),
                kind: GapKind::NoPrimary,
            }]
        );
        assert_eq!(
            gaps[0].message_vi(),
            "Đơn vị #5: không có người trực từ 15/02/2026 22:00 đến 16/02/2026 06:00"
        );
        assert!(!gaps[0].is_warning());
    }

    #[test]
    fn province_wide_shift_covers_every_unit_but_not_the_other_way() {
        let shifts = vec![
            shift(
                1,
                "2026-02-14T00:00",
                "2026-02-15T22:00",
                Some(5),
                10,
                Some(11),
            ),
            shift(
                2,
                "2026-02-15T20:00",
                "2026-02-17T00:00",
                None,
                20,
                Some(21),
            ),
        ];
        // Unit 5's own shift ends at 22:00, the province-wide one has covered it since 20:00.
        assert!(coverage_gaps(&shifts, &tet(Coverage::Units(vec![5]))).is_empty());
        // The province itself is only covered by province-wide shifts.
        let province = coverage_gaps(&shifts, &tet(Coverage::ProvinceWide));
        assert_eq!(province.len(), 1);
        assert_eq!(province[0].unit_id, None);
        assert_eq!(
            (province[0].start, province[0].end),
            (at("2026-02-14T00:00"), at("2026-02-15T20:00"))
        );
        // Unit 6, with nothing of its own, has exactly the province-wide hole.
        let both = coverage_gaps(&shifts, &tet(Coverage::Units(vec![5, 6])));
        assert_eq!(both.len(), 1);
        assert_eq!(both[0].unit_id, Some(6));
        assert_eq!(
            (both[0].start, both[0].end),
            (province[0].start, province[0].end)
        );
    }

    #[test]
    fn intervals_without_a_backup_are_warnings() {
        let shifts = vec![
            shift(
                1,
                "2026-02-14T00:00",
                "2026-02-15T00:00",
                Some(5),
                10,
                Some(11),
            ),
            shift(2, "2026-02-15T00:00", "2026-02-16T00:00", Some(5), 10, None),
            shift(3, "2026-02-16T00:00", "2026-02-17T00:00", Some(5), 12, None),
            // A province-wide primary on the last day serves as backup.
            shift(4, "2026-02-16T12:00", "2026-02-17T00:00", None, 20, None),
        ];
        let gaps = coverage_gaps(&shifts, &tet(Coverage::Units(vec![5])));
        assert_eq!(
            gaps,
            vec![Gap {
                unit_id: Some(5),
                start: at("2026-02-15T00:00"),
                end: at("2026-02-16T12:00"),
                kind: GapKind::NoBackup,
            }]
        );
        assert!(gaps[0].is_warning());
        assert!(gaps[0].message_en().contains("no backup"));
    }

    #[test]
    fn on_duty_prefers_the_units_own_shift() {
        let shifts = vec![
            shift(
                1,
                "2026-02-14T00:00",
                "2026-02-15T00:00",
                None,
                20,
                Some(21),
            ),
            shift(2, "2026-02-14T08:00", "2026-02-14T17:00", Some(5), 10, None),
        ];
        let noon = at("2026-02-14T12:00");
        let duty = on_duty_at(&shifts, Some(5), noon);
        assert_eq!(duty.primary.unwrap().id, 10);
        assert_eq!(
            duty.backup.unwrap().id,
            21,
            "backup from the province shift"
        );
        assert_eq!(duty.shift_id, Some(2));
        assert_eq!(on_duty_at(&shifts, Some(6), noon).primary.unwrap().id, 20);
        assert_eq!(on_duty_at(&shifts, None, noon).primary.unwrap().id, 20);
        // Shifts are half-open: at 17:00 the unit shift is over.
        let five = at("2026-02-14T17:00");
        assert_eq!(on_duty_at(&shifts, Some(5), five).primary.unwrap().id, 20);
        assert_eq!(
            on_duty_at(&shifts, Some(5), at("2026-02-15T00:00")),
            OnDuty::default()
        );
        assert_eq!(
            on_duty_at(&shifts, Some(5), noon).label_vi(),
            "Trực: P10 (dự phòng: P21)"
        );
        assert_eq!(OnDuty::default().label_vi(), "Không có người trực");
    }

    #[test]
    fn calendar_shows_night_shifts_on_both_days() {
        let shifts = vec![
            shift(
                1,
                "2026-02-14T22:00",
                "2026-02-15T06:00",
                Some(5),
                10,
                Some(11),
            ),
            shift(2, "2026-02-28T08:00", "2026-03-01T00:00", None, 20, None),
        ];
        let days = calendar(&shifts, date(2026, 2, 10));
        assert_eq!(days.len(), 28);
        assert_eq!(days[0].label, "01/02/2026");
        let d14 = &days[13];
        assert_eq!(d14.label, "14/02/2026");
        assert_eq!(d14.shifts.len(), 1);
        assert_eq!(
            (d14.shifts[0].from.as_str(), d14.shifts[0].to.as_str()),
            ("22:00", "24:00")
        );
        assert!(d14.shifts[0].continues && !d14.shifts[0].continued);
        let d15 = &days[14];
        assert_eq!(
            (d15.shifts[0].from.as_str(), d15.shifts[0].to.as_str()),
            ("00:00", "06:00")
        );
        assert!(d15.shifts[0].continued && !d15.shifts[0].continues);
        assert!(days[15].shifts.is_empty());
        // Ending exactly at midnight does not spill into March.
        assert_eq!(days[27].shifts[0].to, "24:00");
        assert!(!days[27].shifts[0].continues);
        assert!(calendar(&shifts, date(2026, 3, 1))
            .iter()
            .all(|d| d.shifts.is_empty()));
    }

    fn people() -> Vec<Person> {
        let mut an = Person::new(10, "Nguyễn Văn An");
        an.email = Some("an@quangtri.gov.vn".into());
        let binh = Person::new(11, "Trần Thị Bình");
        let cuong = Person::new(12, "Lê Văn Cường");
        vec![an, binh, cuong]
    }

    fn units() -> Vec<Unit> {
        let now = Timestamp::UNIX_EPOCH;
        vec![Unit {
            id: 5,
            code: "stttt".into(),
            name: "Sở Khoa học và Công nghệ".into(),
            kind: canhgac_model::UnitKind::Department,
            parent_id: None,
            address: None,
            valid_from: None,
            valid_to: None,
            created_at: now,
            updated_at: now,
        }]
    }

    #[test]
    fn csv_import_reads_vietnamese_and_english_sheets() {
        let sheet = "\u{feff}Bắt đầu,Kết thúc,Đơn vị,Trực chính,Trực dự phòng,Ghi chú\n\
            14/02/2026 22:00,15/02/2026 06:00,Sở Khoa học và Công nghệ,Nguyễn Văn An,Trần Thị Bình,\"0912 345 678\"\n\
            2026-02-15T06:00:00+07:00,2026-02-15 14:00,toàn tỉnh,an@quangtri.gov.vn,,\n";
        let import = import_csv(sheet, &people(), &units()).unwrap();
        assert_eq!(import.shifts.len(), 2);
        let night = &import.shifts[0];
        assert_eq!(night.start, at("2026-02-14T22:00"));
        assert_eq!(night.end, at("2026-02-15T06:00"));
        assert_eq!(night.unit_id, Some(5));
        assert_eq!(night.primary.id, 10);
        assert_eq!(night.backup.as_ref().unwrap().id, 11);
        assert_eq!(night.note, "0912 345 678");
        let day = &import.shifts[1];
        assert_eq!(day.unit_id, None);
        assert_eq!(day.backup, None);
        assert_eq!(day.end, at("2026-02-15T14:00"));
        assert!(import.warnings.is_empty());

        let english = "start;end;unit;primary;backup\n\
            14/02/2026 08:00;14/02/2026 17:00;stttt;#12;\n\
            14/02/2026 16:00;14/02/2026 20:00;5;#10;#11\n";
        let import = import_csv(english, &people(), &units()).unwrap();
        assert_eq!(import.shifts.len(), 2);
        assert_eq!(import.shifts[0].primary.id, 12);
        assert_eq!(import.warnings.len(), 1);
        assert_eq!(import.warnings[0].line, 3);
        assert!(import.warnings[0].message.contains("dòng 2"));
        // Names typed with a decomposing keyboard ("Unicode tổ hợp") still match.
        let decomposed: String = "Trần Thị Bình".nfd().collect();
        assert_ne!(decomposed, "Trần Thị Bình");
        let sheet = format!("start,end,primary\n14/02/2026 08:00,14/02/2026 17:00,{decomposed}\n");
        let import = import_csv(&sheet, &people(), &units()).unwrap();
        assert_eq!(import.shifts[0].primary.id, 11);
    }

    #[test]
    fn csv_import_refuses_the_sheet_naming_each_bad_line() {
        let sheet = "bắt đầu,kết thúc,đơn vị,trực chính,trực dự phòng\n\
            14/02/2026 08:00,14/02/2026 17:00,,Nguyễn Văn An,\n\
            14/02/2026 17:00,14/02/2026 08:00,,Nguyễn Văn An,\n\
            14/02/2026 08:00,14/02/2026 17:00,,Phạm Văn Không,\n\
            32/02/2026 08:00,14/02/2026 17:00,Sở Không Có,Nguyễn Văn An,Nguyễn Văn An\n";
        let Err(RosterError::Rows(errors)) = import_csv(sheet, &people(), &units()) else {
            panic!("the sheet must be refused");
        };
        let lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [3, 4, 5, 5, 5]);
        assert!(
            errors[0].message.contains("end is not after start"),
            "{}",
            errors[0]
        );
        assert!(errors[1]
            .message
            .contains("unknown person \"Phạm Văn Không\""));
        assert!(errors[2].message.contains("bắt đầu"));
        assert!(errors[3].message.contains("unknown unit"));
        assert!(errors[4].message.contains("primary and backup"));
        let text = RosterError::Rows(errors).to_string();
        assert!(text.contains("dòng 3 (line 3)"), "{text}");

        let no_primary = "start,end\n14/02/2026 08:00,14/02/2026 17:00\n";
        assert_eq!(
            import_csv(no_primary, &people(), &units()),
            Err(RosterError::MissingColumn {
                vi: "trực chính",
                en: "primary"
            })
        );
        assert_eq!(import_csv("", &people(), &units()), Err(RosterError::Empty));

        let year_typo = "start,end,primary\n14/02/2026 08:00,14/02/2027 17:00,#10\n";
        let Err(RosterError::Rows(errors)) = import_csv(year_typo, &people(), &units()) else {
            panic!("a shift of a year is refused");
        };
        assert!(errors[0].message.contains("longer than 31 days"));
    }

    #[test]
    fn hand_entered_shifts_are_checked_like_imported_ones() {
        let mut input = ShiftInput {
            start: at("2026-02-14T08:00"),
            end: at("2026-02-14T17:00"),
            unit_id: None,
            primary: person(10, "An"),
            backup: Some(person(11, "Bình")),
            note: "  gọi 0912 345 678  ".into(),
        };
        input.validate().unwrap();
        assert_eq!(input.note, "gọi 0912 345 678");
        let mut backwards = input.clone();
        backwards.end = backwards.start;
        assert_eq!(backwards.validate().unwrap_err().field, "end");
        let mut alone = input.clone();
        alone.backup = Some(person(10, "An"));
        assert_eq!(alone.validate().unwrap_err().field, "backup");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        const HOLIDAY_MINUTES: i64 = 3 * 24 * 60;

        fn minute(m: i64) -> Timestamp {
            at("2026-02-14T00:00")
                .checked_add(jiff::SignedDuration::from_mins(m))
                .unwrap()
        }

        fn arb_shift() -> impl Strategy<Value = (i64, i64, Option<Id>, Id, Option<Id>)> {
            (
                -600..HOLIDAY_MINUTES,
                1i64..1800,
                prop_oneof![Just(None), Just(Some(1)), Just(Some(2))],
                1i64..4,
                proptest::option::of(1i64..4),
            )
        }

        proptest! {
            #[test]
            fn gaps_are_exactly_the_uncovered_instants(
                raw in proptest::collection::vec(arb_shift(), 0..8),
                province in any::<bool>(),
                probes in proptest::collection::vec(0..HOLIDAY_MINUTES, 20),
            ) {
                let shifts: Vec<Shift> = raw
                    .iter()
                    .enumerate()
                    .map(|(i, &(start, len, unit, primary, backup))| Shift {
                        id: i as Id,
                        start: minute(start),
                        end: minute(start + len),
                        unit_id: unit,
                        primary: person(primary, "p"),
                        backup: backup.map(|b| person(b, "b")),
                        note: String::new(),
                    })
                    .collect();
                let coverage = if province { Coverage::ProvinceWide } else { Coverage::Units(vec![1, 2]) };
                let holiday = HolidayPeriod {
                    name: "Tết".into(),
                    start: minute(0),
                    end: minute(HOLIDAY_MINUTES),
                    coverage: coverage.clone(),
                };
                let gaps = coverage_gaps(&shifts, &holiday);
                for gap in &gaps {
                    prop_assert!(holiday.start <= gap.start && gap.start < gap.end && gap.end <= holiday.end);
                }
                let units = match coverage {
                    Coverage::ProvinceWide => vec![None],
                    Coverage::Units(ids) => ids.into_iter().map(Some).collect(),
                };
                let gap_boundaries = gaps.iter().flat_map(|g| [g.start, g.end]);
                let instants: Vec<Timestamp> = probes
                    .iter()
                    .map(|&m| minute(m))
                    .chain(shifts.iter().flat_map(|s| [s.start, s.end]))
                    .chain(gap_boundaries)
                    .filter(|t| holiday.start <= *t && *t < holiday.end)
                    .collect();
                for unit in units {
                    for &t in &instants {
                        let duty = on_duty_at(&shifts, unit, t);
                        let expected = match (&duty.primary, &duty.backup) {
                            (None, _) => Some(GapKind::NoPrimary),
                            (Some(_), None) => Some(GapKind::NoBackup),
                            _ => None,
                        };
                        let found: Vec<GapKind> = gaps
                            .iter()
                            .filter(|g| g.unit_id == unit && g.start <= t && t < g.end)
                            .map(|g| g.kind)
                            .collect();
                        prop_assert_eq!(found, expected.into_iter().collect::<Vec<_>>(), "unit {:?} at {}", unit, t);
                    }
                }
            }

            #[test]
            fn import_never_panics(text in "\\PC{0,300}", lines in proptest::collection::vec("[0-9/: ,;#a-zđ-]{0,40}", 0..6)) {
                let _ = import_csv(&text, &people(), &units());
                let sheet = format!("bắt đầu,kết thúc,đơn vị,trực chính,trực dự phòng\n{}", lines.join("\n"));
                let _ = import_csv(&sheet, &people(), &units());
            }
        }
    }
}
