//! Conversions of written values (dates, levels, codes, lists) shared by the YAML and CSV readers.

use canhgac_model::{normalise_address, AssetKind, Date, Software};

/// Parses a date written `YYYY-MM-DD` (files, API) or `dd/mm/yyyy` (as people type it).
pub(crate) fn parse_date(raw: &str) -> Result<Date, String> {
    let raw = raw.trim();
    let bad = || format!("{raw:?} is not a date; write YYYY-MM-DD (or dd/mm/yyyy)");
    let (year, month, day) = if let Some((d, rest)) = raw.split_once('/') {
        let (m, y) = rest.split_once('/').ok_or_else(bad)?;
        (y, m, d)
    } else {
        let mut parts = raw.splitn(3, '-');
        let y = parts.next().ok_or_else(bad)?;
        let m = parts.next().ok_or_else(bad)?;
        let d = parts.next().ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(bad());
        }
        (y, m, d)
    };
    let digits = |s: &str| !s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(year) || year.len() != 4 || !digits(month) || !digits(day) {
        return Err(bad());
    }
    let year: i16 = year.parse().map_err(|_| bad())?;
    let month: i8 = month.parse().map_err(|_| bad())?;
    let day: i8 = day.parse().map_err(|_| bad())?;
    Date::new(year, month, day).map_err(|_| format!("{raw:?} is not a day of the calendar"))
}

/// Parses a security level: a whole number (its range is the model's to check).
pub(crate) fn parse_level(raw: &str) -> Result<u8, String> {
    raw.trim()
        .parse::<u8>()
        .map_err(|_| format!("{raw:?} is not a security level; write a number from 1 to 5"))
}

/// Parses one of a closed set of codes, with the model's "expected one of" message.
pub(crate) fn parse_enum<T: std::str::FromStr<Err = String>>(raw: &str) -> Result<T, String> {
    raw.trim().parse::<T>()
}

/// Parses `true` or `false` (`yes` and `no` too, as YAML 1.1 wrote them).
pub(crate) fn parse_bool(raw: &str) -> Result<bool, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" => Ok(true),
        "false" | "no" => Ok(false),
        _ => Err(format!("{raw:?} is not true or false")),
    }
}

/// Parses a whole number of at most `u32::MAX`.
pub(crate) fn parse_count(raw: &str) -> Result<u32, String> {
    raw.trim()
        .parse::<u32>()
        .map_err(|_| format!("{raw:?} is not a whole number"))
}

/// Parses a duration in seconds: `60`, or with a unit, `90s`, `5m`, `1h`.
pub(crate) fn parse_seconds(raw: &str) -> Result<u32, String> {
    let text = raw.trim();
    let bad = || format!("{raw:?} is not a duration; write seconds (60) or 90s, 5m, 1h");
    let (digits, factor) = match text.char_indices().last() {
        Some((i, 's')) => (&text[..i], 1),
        Some((i, 'm')) => (&text[..i], 60),
        Some((i, 'h')) => (&text[..i], 3600),
        _ => (text, 1),
    };
    digits
        .trim()
        .parse::<u32>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .ok_or_else(bad)
}

/// Parses a share from 0 to 1 (`0.3`); its range is the model's to check.
pub(crate) fn parse_share(raw: &str) -> Result<f64, String> {
    raw.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("{raw:?} is not a number such as 0.3"))
}

/// The kind of asset an address is written as; addresses of one kind never read as another
/// (a URL has a scheme, a network a prefix, a domain is no IP), so the text decides.
pub(crate) fn infer_asset_kind(raw: &str) -> Result<AssetKind, String> {
    let fits: Vec<AssetKind> = AssetKind::ALL
        .iter()
        .copied()
        .filter(|kind| normalise_address(*kind, raw).is_ok())
        .collect();
    match fits.as_slice() {
        [kind] => Ok(*kind),
        [] => Err(format!(
            "{raw:?} is not an IP address, network, domain or http(s) URL"
        )),
        _ => Err(format!(
            "{raw:?} could be several kinds of asset; write asset_kind"
        )),
    }
}

/// A reference to a unit or system by code, in the form codes are stored (trimmed, lower-case).
pub(crate) fn reference(raw: &str) -> String {
    raw.trim().to_ascii_lowercase()
}

/// Splits a CSV list cell on unescaped `sep`, undoing `\` escapes; blank items are dropped.
pub(crate) fn split_escaped(cell: &str, sep: char) -> Vec<String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut chars = cell.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(next) => current.push(next),
                None => current.push('\\'),
            }
        } else if c == sep {
            items.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    items.push(current);
    items
}

/// Splits on unescaped `sep` but keeps escapes, so a second, inner split can still see them.
fn split_keep_escapes(cell: &str, sep: char) -> Vec<String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut chars = cell.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            current.push(c);
            if let Some(next) = chars.next() {
                current.push(next);
            }
        } else if c == sep {
            items.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    items.push(current);
    items
}

/// Escapes the separators of [`split_escaped`] in one list item.
pub(crate) fn escape_item(item: &str, seps: &[char]) -> String {
    let mut out = String::with_capacity(item.len());
    for c in item.chars() {
        if c == '\\' || seps.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A `;`-separated list cell.
pub(crate) fn parse_list(cell: &str) -> Vec<String> {
    split_escaped(cell, ';')
        .into_iter()
        .filter(|s| !s.trim().is_empty())
        .collect()
}

/// Writes a list as a `;`-separated cell.
pub(crate) fn write_list(items: &[String]) -> String {
    items
        .iter()
        .map(|i| escape_item(i, &[';']))
        .collect::<Vec<_>>()
        .join(";")
}

/// Parses a software cell: `name|version|cpe;name|version;name`.
pub(crate) fn parse_software(cell: &str) -> Result<Vec<Software>, String> {
    let mut list = Vec::new();
    for entry in split_keep_escapes(cell, ';') {
        if entry.trim().is_empty() {
            continue;
        }
        let parts = split_escaped(&entry, '|');
        if parts.len() > 3 {
            return Err(format!(
                "{entry:?} has more than three parts; write name|version|cpe"
            ));
        }
        let optional = |i: usize| {
            parts
                .get(i)
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        list.push(Software {
            name: parts.first().cloned().unwrap_or_default(),
            version: optional(1),
            cpe: optional(2),
        });
    }
    Ok(list)
}

/// Writes software as a cell [`parse_software`] reads back.
pub(crate) fn write_software(list: &[Software]) -> String {
    list.iter()
        .map(|s| {
            let mut parts = vec![escape_item(&s.name, &[';', '|'])];
            if s.version.is_some() || s.cpe.is_some() {
                parts.push(escape_item(s.version.as_deref().unwrap_or(""), &[';', '|']));
            }
            if let Some(cpe) = &s.cpe {
                parts.push(escape_item(cpe, &[';', '|']));
            }
            parts.join("|")
        })
        .collect::<Vec<_>>()
        .join(";")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_both_forms() {
        let d = parse_date("2025-06-30").unwrap();
        assert_eq!(d.to_string(), "2025-06-30");
        assert_eq!(parse_date("30/06/2025").unwrap(), d);
        assert_eq!(parse_date("1/7/2025").unwrap().to_string(), "2025-07-01");
        assert!(parse_date("2025-02-30").unwrap_err().contains("calendar"));
        assert!(parse_date("2025/06/30").is_err());
        assert!(parse_date("hôm qua").is_err());
        assert!(parse_date("2025-6-30").is_err());
    }

    #[test]
    fn asset_kinds_follow_from_the_address() {
        assert_eq!(infer_asset_kind("203.0.113.10").unwrap(), AssetKind::Ip);
        assert_eq!(infer_asset_kind("2001:db8::1").unwrap(), AssetKind::Ip);
        assert_eq!(infer_asset_kind("203.0.113.0/24").unwrap(), AssetKind::Cidr);
        assert_eq!(
            infer_asset_kind("Portal.GOV.vn").unwrap(),
            AssetKind::Domain
        );
        assert_eq!(
            infer_asset_kind("https://portal.gov.vn/").unwrap(),
            AssetKind::Url
        );
        assert!(infer_asset_kind("cổng thông tin").is_err());
    }

    #[test]
    fn durations_and_flags() {
        assert_eq!(parse_seconds("60").unwrap(), 60);
        assert_eq!(parse_seconds("90s").unwrap(), 90);
        assert_eq!(parse_seconds("5m").unwrap(), 300);
        assert_eq!(parse_seconds(" 1h ").unwrap(), 3600);
        assert!(parse_seconds("1d").is_err());
        assert!(parse_seconds("-5").is_err());
        assert!(parse_seconds("99999999h").is_err());
        assert!(parse_bool("Yes").unwrap());
        assert!(!parse_bool("false").unwrap());
        assert!(parse_bool("có").is_err());
        assert_eq!(parse_share("0.25").unwrap(), 0.25);
        assert!(parse_share("nan").is_err());
    }

    #[test]
    fn software_cells_round_trip() {
        let list = parse_software(
            "nginx|1.24.0|cpe:2.3:a:f5:nginx:1.24.0:*:*:*:*:*:*:*;Zimbra|8.8.15;bash",
        )
        .unwrap();
        assert_eq!(list.len(), 3);
        assert_eq!(
            list[0].cpe.as_deref(),
            Some("cpe:2.3:a:f5:nginx:1.24.0:*:*:*:*:*:*:*")
        );
        assert_eq!(list[1].version.as_deref(), Some("8.8.15"));
        assert_eq!(list[2].version, None);
        assert_eq!(parse_software(&write_software(&list)).unwrap(), list);
        let odd = vec![Software {
            name: "a;b|c\\d".into(),
            version: None,
            cpe: Some("cpe:/a:x".into()),
        }];
        assert_eq!(parse_software(&write_software(&odd)).unwrap(), odd);
        assert!(parse_software("a|b|c|d").is_err());
    }

    #[test]
    fn lists_round_trip_with_escapes() {
        let items = vec!["web".to_string(), "a;b".to_string(), "c\\".to_string()];
        assert_eq!(parse_list(&write_list(&items)), items);
        assert_eq!(
            parse_list(" ; x;;y "),
            vec![" x".to_string(), "y ".to_string()]
        );
    }
}
