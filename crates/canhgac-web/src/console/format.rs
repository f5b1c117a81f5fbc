//! Dates and times as the console shows and reads them: `dd/mm/yyyy`, `dd/mm/yyyy HH:MM` in the
//! configured time zone. The one place that formats or parses them.

use canhgac_model::{Date, Timestamp};

/// A date as `dd/mm/yyyy`.
pub fn date(day: Date) -> String {
    format!("{:02}/{:02}/{:04}", day.day(), day.month(), day.year())
}

/// An optional date, blank when absent.
pub fn opt_date(day: Option<Date>) -> String {
    day.map(date).unwrap_or_default()
}

/// An instant as `dd/mm/yyyy HH:MM` in `tz`.
pub fn datetime(at: Timestamp, tz: &jiff::tz::TimeZone) -> String {
    let local = at.to_zoned(tz.clone());
    format!(
        "{:02}/{:02}/{:04} {:02}:{:02}",
        local.day(),
        local.month(),
        local.year(),
        local.hour(),
        local.minute()
    )
}

/// A text that is not a date in any accepted form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidDate;

/// Parses a date typed as `dd/mm/yyyy` (also `d/m/yyyy`, or with `-` or `.`) or as ISO
/// `yyyy-mm-dd` (what `<input type=date>` and files send). Blank is `Ok(None)`.
pub fn parse_date(text: &str) -> Result<Option<Date>, InvalidDate> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let parts: Vec<&str> = text.split(['/', '-', '.']).collect();
    let [a, b, c] = parts.as_slice() else {
        return Err(InvalidDate);
    };
    let num = |s: &str| -> Result<i32, InvalidDate> {
        if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvalidDate);
        }
        s.parse().map_err(|_| InvalidDate)
    };
    let (year, month, day) = if a.len() == 4 {
        (num(a)?, num(b)?, num(c)?)
    } else if c.len() == 4 {
        (num(c)?, num(b)?, num(a)?)
    } else {
        return Err(InvalidDate);
    };
    let month = i8::try_from(month).map_err(|_| InvalidDate)?;
    let day = i8::try_from(day).map_err(|_| InvalidDate)?;
    let year = i16::try_from(year).map_err(|_| InvalidDate)?;
    Date::new(year, month, day)
        .map(Some)
        .map_err(|_| InvalidDate)
}

/// Parses an instant typed by a person or sent by a machine: RFC 3339
/// (`2025-07-01T08:30:00+07:00`), `dd/mm/yyyy HH:MM` or `dd/mm/yyyy` (midnight) in `tz`, or what
/// `<input type=datetime-local>` sends (`2025-07-01T08:30`, also in `tz`). Blank is `Ok(None)`.
pub fn parse_datetime(
    text: &str,
    tz: &jiff::tz::TimeZone,
) -> Result<Option<Timestamp>, InvalidDate> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if let Ok(at) = text.parse::<Timestamp>() {
        return Ok(Some(at));
    }
    let (day, time) = match text.split_once(['T', ' ']) {
        Some((day, time)) => (day, Some(time.trim())),
        None => (text, None),
    };
    let day = parse_date(day)?.ok_or(InvalidDate)?;
    let (hour, minute) = match time {
        None | Some("") => (0, 0),
        Some(time) => {
            let mut parts = time.split(':');
            let num = |s: Option<&str>| -> Result<i8, InvalidDate> {
                let s = s.ok_or(InvalidDate)?;
                if s.is_empty() || s.len() > 2 || !s.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(InvalidDate);
                }
                s.parse().map_err(|_| InvalidDate)
            };
            let hour = num(parts.next())?;
            let minute = num(parts.next())?;
            // Seconds, when given, are read and dropped: the console works to the minute.
            if let Some(seconds) = parts.next() {
                num(Some(seconds))?;
            }
            if parts.next().is_some() {
                return Err(InvalidDate);
            }
            (hour, minute)
        }
    };
    jiff::civil::DateTime::new(day.year(), day.month(), day.day(), hour, minute, 0, 0)
        .map_err(|_| InvalidDate)?
        .to_zoned(tz.clone())
        .map(|zoned| Some(zoned.timestamp()))
        .map_err(|_| InvalidDate)
}

/// Today in `tz`.
pub fn today(tz: &jiff::tz::TimeZone) -> Date {
    Timestamp::now().to_zoned(tz.clone()).date()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        let d = Date::new(2025, 7, 1).unwrap();
        assert_eq!(date(d), "01/07/2025");
        assert_eq!(parse_date("01/07/2025"), Ok(Some(d)));
        assert_eq!(parse_date("1/7/2025"), Ok(Some(d)));
        assert_eq!(parse_date("2025-07-01"), Ok(Some(d)));
        assert_eq!(parse_date(" "), Ok(None));
        assert!(parse_date("31/02/2025").is_err());
        assert!(parse_date("07/2025").is_err());
        assert!(parse_date("aa/bb/cccc").is_err());
    }

    #[test]
    fn times_use_the_zone() {
        let tz = jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
        let at: Timestamp = "2025-12-31T17:30:00Z".parse().unwrap();
        assert_eq!(datetime(at, &tz), "01/01/2026 00:30");
    }

    #[test]
    fn instants_parse_in_every_accepted_form() {
        let tz = jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
        let at: Timestamp = "2025-12-31T17:30:00Z".parse().unwrap();
        let parse = |text| parse_datetime(text, &tz);
        assert_eq!(parse("01/01/2026 00:30"), Ok(Some(at)));
        assert_eq!(parse("2026-01-01T00:30"), Ok(Some(at)));
        assert_eq!(parse("2025-12-31T17:30:00Z"), Ok(Some(at)));
        assert_eq!(parse("2026-01-01T00:30:00+07:00"), Ok(Some(at)));
        assert_eq!(
            parse("01/01/2026"),
            Ok(Some("2025-12-31T17:00:00Z".parse().unwrap()))
        );
        assert_eq!(parse("  "), Ok(None));
        assert!(parse("01/01/2026 25:00").is_err());
        assert!(parse("01/01/2026 10").is_err());
        assert!(parse("yesterday").is_err());
        assert_eq!(
            datetime(parse("31/12/2025 23:59").unwrap().unwrap(), &tz),
            "31/12/2025 23:59"
        );
    }
}
