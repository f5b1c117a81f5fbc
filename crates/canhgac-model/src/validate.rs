//! Field validation shared by every input type.

/// A value that failed validation: which field, and why, in plain words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// The field's name as it appears in files and the API (e.g. `parent`, `value`).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// A new error for `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Trims `value` and fails if it is empty or longer than `max` characters.
pub(crate) fn required_text(field: &str, value: &mut String, max: usize) -> Result<(), FieldError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    if trimmed.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("is longer than {max} characters"),
        ));
    }
    if trimmed.len() != value.len() {
        *value = trimmed.to_string();
    }
    Ok(())
}

/// Trims an optional text, turns blank into `None`, and enforces `max` characters.
pub(crate) fn optional_text(
    field: &str,
    value: &mut Option<String>,
    max: usize,
) -> Result<(), FieldError> {
    if let Some(text) = value {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            *value = None;
            return Ok(());
        }
        if trimmed.chars().count() > max {
            return Err(FieldError::new(
                field,
                format!("is longer than {max} characters"),
            ));
        }
        *value = Some(trimmed.to_string());
    }
    Ok(())
}

/// Trims every item of a list, drops blanks, and enforces `max` characters per item.
pub(crate) fn text_list(
    field: &str,
    values: &mut Vec<String>,
    max: usize,
) -> Result<(), FieldError> {
    let mut cleaned = Vec::with_capacity(values.len());
    for value in values.iter() {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            continue;
        }
        if trimmed.chars().count() > max {
            return Err(FieldError::new(
                field,
                format!("item {trimmed:?} is longer than {max} characters"),
            ));
        }
        cleaned.push(trimmed.to_string());
    }
    *values = cleaned;
    Ok(())
}

/// Checks a stable code: 1–64 characters of `a-z`, `0-9`, `-`, `_`, `.`, starting with a letter or digit.
pub(crate) fn code(field: &str, value: &mut String) -> Result<(), FieldError> {
    let trimmed = value.trim().to_ascii_lowercase();
    if trimmed.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    if trimmed.len() > 64 {
        return Err(FieldError::new(field, "is longer than 64 characters"));
    }
    let first_ok = trimmed
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    let all_ok = trimmed
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !first_ok || !all_ok {
        return Err(FieldError::new(
            field,
            format!("{trimmed:?} may hold only a-z, 0-9, '-', '_' and '.', and must start with a letter or digit"),
        ));
    }
    *value = trimmed;
    Ok(())
}

/// Checks an email address loosely (one `@`, a dotted domain) and lower-cases its domain.
pub(crate) fn email(field: &str, value: &mut String) -> Result<(), FieldError> {
    let trimmed = value.trim();
    let Some((local, domain)) = trimmed.rsplit_once('@') else {
        return Err(FieldError::new(
            field,
            format!("{trimmed:?} is not an email address"),
        ));
    };
    if local.is_empty() || local.contains(char::is_whitespace) || trimmed.len() > 254 {
        return Err(FieldError::new(
            field,
            format!("{trimmed:?} is not an email address"),
        ));
    }
    let domain = domain.to_ascii_lowercase();
    if !is_hostname(&domain) || !domain.contains('.') {
        return Err(FieldError::new(
            field,
            format!("{trimmed:?} has no valid domain"),
        ));
    }
    *value = format!("{local}@{domain}");
    Ok(())
}

/// Checks a phone number: digits with optional `+`, spaces, dots, dashes and parentheses.
pub(crate) fn phone(field: &str, value: &mut String) -> Result<(), FieldError> {
    let trimmed = value.trim();
    let digits = trimmed.chars().filter(|c| c.is_ascii_digit()).count();
    let allowed = trimmed
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '.' | '-' | '(' | ')'));
    if !allowed || !(3..=20).contains(&digits) {
        return Err(FieldError::new(
            field,
            format!("{trimmed:?} is not a phone number"),
        ));
    }
    *value = trimmed.to_string();
    Ok(())
}

/// True when `name` is a DNS host name: dot-separated labels of 1–63 letters, digits or hyphens
/// (ASCII; IDNs in their `xn--` form), not starting or ending with a hyphen, 253 characters at most.
pub(crate) fn is_hostname(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() || name.len() > 253 {
        return false;
    }
    name.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    })
}

/// Checks that `from` is not after `to` when both are set.
pub(crate) fn date_range(
    from: Option<crate::Date>,
    to: Option<crate::Date>,
) -> Result<(), FieldError> {
    match (from, to) {
        (Some(from), Some(to)) if from > to => Err(FieldError::new(
            "valid_to",
            format!("{to} is before valid_from {from}"),
        )),
        _ => Ok(()),
    }
}

/// Derives a code from a display name: Vietnamese letters lose their marks (đ → d), everything
/// else becomes `-`. `"Sở Khoa học và Công nghệ"` → `"so-khoa-hoc-va-cong-nghe"`.
pub fn slugify(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        let base = fold_vietnamese(c);
        if base.is_ascii_alphanumeric() {
            out.push(base);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out.truncate(64);
    out
}

/// Maps a lower-case Vietnamese letter to its unmarked ASCII base; other characters pass through.
fn fold_vietnamese(c: char) -> char {
    const GROUPS: &[(char, &str)] = &[
        ('a', "àáảãạăằắẳẵặâầấẩẫậ"),
        ('e', "èéẻẽẹêềếểễệ"),
        ('i', "ìíỉĩị"),
        ('o', "òóỏõọôồốổỗộơờớởỡợ"),
        ('u', "ùúủũụưừứửữự"),
        ('y', "ỳýỷỹỵ"),
        ('d', "đ"),
    ];
    if c.is_ascii() {
        return c;
    }
    GROUPS
        .iter()
        .find(|(_, marked)| marked.contains(c))
        .map_or(c, |(base, _)| *base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugify_folds_vietnamese() {
        assert_eq!(
            slugify("Sở Khoa học và Công nghệ"),
            "so-khoa-hoc-va-cong-nghe"
        );
        assert_eq!(slugify("  UBND tỉnh Đồng Tháp!! "), "ubnd-tinh-dong-thap");
        assert_eq!(slugify("Ủy ban"), "uy-ban");
    }

    #[test]
    fn hostnames() {
        assert!(is_hostname("portal.dongthap.gov.vn"));
        assert!(is_hostname("xn--t-qfa.vn"));
        assert!(!is_hostname("-bad.vn"));
        assert!(!is_hostname("a..b"));
        assert!(!is_hostname("under_score.vn"));
    }

    #[test]
    fn codes_and_emails() {
        let mut c = " So-TTTT ".to_string();
        code("code", &mut c).unwrap();
        assert_eq!(c, "so-tttt");
        let mut bad = "-x".to_string();
        assert!(code("code", &mut bad).is_err());
        let mut e = "Ir@VNCERT.vn".to_string();
        email("email", &mut e).unwrap();
        assert_eq!(e, "Ir@vncert.vn");
        let mut e = "nobody".to_string();
        assert!(email("email", &mut e).is_err());
    }
}
