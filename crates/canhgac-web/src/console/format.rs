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
}
