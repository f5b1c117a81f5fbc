//! Vietnamese wording shared by the checks: dates, durations, sizes.

use std::sync::OnceLock;
use std::time::Duration;

use jiff::tz::TimeZone;
use jiff::Timestamp;

fn vietnam() -> &'static TimeZone {
    static ZONE: OnceLock<TimeZone> = OnceLock::new();
    ZONE.get_or_init(|| {
        TimeZone::get("Asia/Ho_Chi_Minh").unwrap_or_else(|_| TimeZone::fixed(jiff::tz::offset(7)))
    })
}

/// `01/12/2026`, in Asia/Ho_Chi_Minh.
pub(crate) fn date(at: Timestamp) -> String {
    at.to_zoned(vietnam().clone())
        .strftime("%d/%m/%Y")
        .to_string()
}

/// `10 giây`, `1,5 giây` for timeouts.
pub(crate) fn seconds(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis.is_multiple_of(1000) {
        format!("{} giây", millis / 1000)
    } else {
        format!("{},{} giây", millis / 1000, (millis % 1000) / 100)
    }
}

/// `2 MiB`, `512 KiB`, `300 byte`.
pub(crate) fn bytes(count: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * 1024;
    if count >= MIB && count.is_multiple_of(MIB) {
        format!("{} MiB", count / MIB)
    } else if count >= KIB && count.is_multiple_of(KIB) {
        format!("{} KiB", count / KIB)
    } else {
        format!("{count} byte")
    }
}

/// The first `max` characters of `text`, with `…` when cut.
pub(crate) fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// The longest prefix of `text` of at most `max` bytes ending on a character boundary.
pub(crate) fn prefix_at_boundary(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// An error and its causes, `a: b: c`, without repeating a cause already in the text.
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_shown_in_vietnam() {
        let at: Timestamp = "2026-11-30T18:00:00Z".parse().unwrap();
        assert_eq!(date(at), "01/12/2026");
    }

    #[test]
    fn sizes_and_durations_read_naturally() {
        assert_eq!(bytes(2 * 1024 * 1024), "2 MiB");
        assert_eq!(bytes(4096), "4 KiB");
        assert_eq!(bytes(1000), "1000 byte");
        assert_eq!(seconds(Duration::from_secs(10)), "10 giây");
        assert_eq!(seconds(Duration::from_millis(1500)), "1,5 giây");
        assert_eq!(clip("Cổng thông tin", 4), "Cổng…");
        assert_eq!(prefix_at_boundary("ổ", 1), "");
    }
}
