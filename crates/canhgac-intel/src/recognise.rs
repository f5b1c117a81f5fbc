//! What kind of indicator a bare value is, and its defanged forms re-fanged.
//!
//! Tables without a kind column and free text both need this, so it lives in one place:
//! [`refang`] undoes the usual defanging (`hxxp://`, `1.2.3[.]4`, `a(.)b`, `[:]`, `[@]`,
//! `[at]`), and [`recognise`] names the kind of one value and returns it normalised the way the
//! store keeps it ([`canhgac_model::normalise_indicator`]).

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use canhgac_model::{normalise_indicator, IndicatorKind};

/// Defanging marks and what they stand for. Longest first where one contains another.
const DEFANGS: [(&str, &str); 20] = [
    ("[dot]", "."),
    ("[DOT]", "."),
    ("(dot)", "."),
    ("(DOT)", "."),
    ("{dot}", "."),
    ("{DOT}", "."),
    ("[.]", "."),
    ("(.)", "."),
    ("{.}", "."),
    ("[://]", "://"),
    ("[:/]", ":/"),
    ("[:]", ":"),
    ("[@]", "@"),
    ("[at]", "@"),
    ("[AT]", "@"),
    ("(at)", "@"),
    ("(AT)", "@"),
    ("{at}", "@"),
    ("{AT}", "@"),
    ("[/]", "/"),
];

/// Undoes defanging: `hxxp://`/`hxxps://` (any case), `[.]`, `(.)`, `[dot]`, `[:]`, `[@]`,
/// `[at]` and the like. Text without any mark is returned as is, without copying.
pub fn refang(text: &str) -> Cow<'_, str> {
    let has_bracket = text.bytes().any(|byte| matches!(byte, b'[' | b'(' | b'{'));
    let has_hxxp = contains_ignore_ascii_case(text, "hxxp");
    if !has_bracket && !has_hxxp {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    if has_bracket {
        for (mark, plain) in DEFANGS {
            if out.contains(mark) {
                out = out.replace(mark, plain);
            }
        }
        // `name [at] domain` and `name [.] tld` with spaces around the mark.
        for spaced in [" @ ", " . "] {
            if out.contains(spaced) {
                out = out.replace(spaced, spaced.trim());
            }
        }
    }
    if has_hxxp {
        out = replace_ignore_ascii_case(&out, "hxxps://", "https://");
        out = replace_ignore_ascii_case(&out, "hxxp://", "http://");
        out = replace_ignore_ascii_case(&out, "hxxps:", "https:");
        out = replace_ignore_ascii_case(&out, "hxxp:", "http:");
    }
    Cow::Owned(out)
}

fn contains_ignore_ascii_case(text: &str, needle: &str) -> bool {
    text.as_bytes()
        .windows(needle.len())
        .any(|window| window.eq_ignore_ascii_case(needle.as_bytes()))
}

fn replace_ignore_ascii_case(text: &str, needle: &str, replacement: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest
        .as_bytes()
        .windows(needle.len())
        .position(|window| window.eq_ignore_ascii_case(needle.as_bytes()))
    {
        out.push_str(&rest[..at]);
        out.push_str(replacement);
        rest = &rest[at + needle.len()..];
    }
    out.push_str(rest);
    out
}

/// The kind of one (already trimmed) value and its normalised form; `None` when it is none of
/// the kinds. Defanged forms are re-fanged first. A domain must end in a plausible top-level
/// domain and not look like a file name (`invoice.pdf`, `update.exe`).
pub fn recognise(raw: &str) -> Option<(IndicatorKind, String)> {
    let refanged = refang(raw.trim());
    let value = refanged.as_ref();
    if value.is_empty() || value.len() > 4096 {
        return None;
    }
    match kind_of(value) {
        Some(kind) => normalise_indicator(kind, value)
            .ok()
            .map(|normalised| (kind, normalised)),
        None => url_without_scheme(value).or_else(|| host_with_port(value)),
    }
}

/// `45.77.12.9:8443`, `[2001:db8::1]:443`, `c2.example.top:8080`: the host, without the port
/// (an indicator names the host; the port says little).
fn host_with_port(value: &str) -> Option<(IndicatorKind, String)> {
    let (host, port) = value.rsplit_once(':')?;
    if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let host = host
        .strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
        .unwrap_or(host);
    let kind = if host.parse::<Ipv4Addr>().is_ok()
        || (value.starts_with('[') && host.parse::<Ipv6Addr>().is_ok())
    {
        IndicatorKind::Ip
    } else if is_plausible_domain(host) {
        IndicatorKind::Domain
    } else {
        return None;
    };
    normalise_indicator(kind, host)
        .ok()
        .map(|normalised| (kind, normalised))
}

/// `evil.example.com/gate.php` or `203.0.113.7:8080/x`: a URL whose `http://` was left out.
fn url_without_scheme(value: &str) -> Option<(IndicatorKind, String)> {
    let (authority, _) = value.split_once('/')?;
    if value.contains("://") || authority.contains('@') {
        return None;
    }
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => authority,
    };
    let host_ok = is_plausible_domain(host) || host.parse::<Ipv4Addr>().is_ok();
    if !host_ok {
        return None;
    }
    normalise_indicator(IndicatorKind::Url, &format!("http://{value}"))
        .ok()
        .map(|url| (IndicatorKind::Url, url))
}

/// The kind a re-fanged value has, without normalising it.
pub(crate) fn kind_of(value: &str) -> Option<IndicatorKind> {
    let bytes = value.as_bytes();
    if let Some(kind) = hash_kind(value) {
        return Some(kind);
    }
    if let Some((scheme, _)) = value.split_once("://") {
        let known = ["http", "https", "ftp", "ftps", "sftp", "ws", "wss"];
        let ok = known.iter().any(|k| scheme.eq_ignore_ascii_case(k));
        return (ok && url::Url::parse(value).is_ok_and(|url| url.host().is_some()))
            .then_some(IndicatorKind::Url);
    }
    if let Some((local, domain)) = value.split_once('@') {
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && local
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._%+-'".contains(&b));
        return (local_ok && is_plausible_domain(domain)).then_some(IndicatorKind::Email);
    }
    if let Some((address, prefix)) = value.split_once('/') {
        let prefix_ok =
            !prefix.is_empty() && prefix.len() <= 3 && prefix.bytes().all(|b| b.is_ascii_digit());
        let address_ok = address.parse::<Ipv4Addr>().is_ok()
            || (address.contains(':') && address.parse::<Ipv6Addr>().is_ok());
        return (prefix_ok && address_ok && value.parse::<ipnet::IpNet>().is_ok())
            .then_some(IndicatorKind::Cidr);
    }
    if bytes.iter().all(|b| b.is_ascii_digit() || *b == b'.') {
        return value.parse::<Ipv4Addr>().ok().map(|_| IndicatorKind::Ip);
    }
    if value.contains(':') {
        return value.parse::<IpAddr>().ok().map(|_| IndicatorKind::Ip);
    }
    is_plausible_domain(value).then_some(IndicatorKind::Domain)
}

fn hash_kind(value: &str) -> Option<IndicatorKind> {
    let kind = match value.len() {
        32 => IndicatorKind::Md5,
        40 => IndicatorKind::Sha1,
        64 => IndicatorKind::Sha256,
        _ => return None,
    };
    value.bytes().all(|b| b.is_ascii_hexdigit()).then_some(kind)
}

/// A host name with at least two labels, valid label characters, and a top-level domain that
/// is a real one (a country code or a common generic one) and not a file extension.
pub(crate) fn is_plausible_domain(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.len() > 253 || name.len() < 4 {
        return false;
    }
    let mut labels = name.split('.');
    let Some(tld) = labels.next_back() else {
        return false;
    };
    let rest_ok = {
        let mut count = 0;
        let ok = labels.all(|label| {
            count += 1;
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
        ok && count >= 1
    };
    rest_ok && is_plausible_tld(tld)
}

fn is_plausible_tld(tld: &str) -> bool {
    let lower = tld.to_ascii_lowercase();
    if lower.starts_with("xn--") && lower.len() > 4 {
        return true;
    }
    if !lower.bytes().all(|b| b.is_ascii_lowercase()) {
        return false;
    }
    if FILE_EXTENSIONS.contains(&lower.as_str()) {
        return false;
    }
    // Every two-letter code is a country or reserved for one; longer ones must be known.
    lower.len() == 2 || GENERIC_TLDS.contains(&lower.as_str())
}

/// Extensions that are also (or look like) top-level domains but, in an advisory, nearly
/// always end a file name.
const FILE_EXTENSIONS: &[&str] = &[
    "exe", "dll", "sys", "pdf", "doc", "docx", "docm", "xls", "xlsx", "xlsm", "ppt", "pptx", "rtf",
    "txt", "log", "zip", "rar", "7z", "gz", "tar", "iso", "img", "lnk", "hta", "js", "jse", "vbs",
    "vbe", "ps1", "psm1", "bat", "cmd", "sh", "py", "pl", "rb", "jar", "apk", "msi", "scr", "cpl",
    "ocx", "tmp", "dat", "bin", "ini", "cfg", "conf", "csv", "eml", "msg", "json", "xml", "html",
    "htm", "php", "asp", "aspx", "jsp", "png", "jpg", "jpeg", "gif", "bmp", "svg", "mp3", "mp4",
    "mov", "avi", "md", "rs", "go", "c", "h", "cpp", "cs", "so", "ko", "db", "bak", "old", "lib",
    "obj", "pdb", "inf", "reg", "wsf", "chm", "one",
];

/// Generic top-level domains seen in practice (threat reports and Vietnamese networks). Not
/// the whole root zone: enough that real indicators pass and prose does not.
const GENERIC_TLDS: &[&str] = &[
    "com",
    "net",
    "org",
    "info",
    "biz",
    "gov",
    "edu",
    "mil",
    "int",
    "arpa",
    "name",
    "pro",
    "aero",
    "asia",
    "cat",
    "coop",
    "jobs",
    "mobi",
    "museum",
    "tel",
    "travel",
    "xxx",
    "xyz",
    "top",
    "online",
    "site",
    "club",
    "shop",
    "store",
    "app",
    "dev",
    "cloud",
    "tech",
    "space",
    "website",
    "live",
    "life",
    "world",
    "today",
    "news",
    "link",
    "click",
    "best",
    "fun",
    "icu",
    "vip",
    "work",
    "work",
    "buzz",
    "monster",
    "rest",
    "bar",
    "cyou",
    "sbs",
    "cfd",
    "lol",
    "quest",
    "mom",
    "uno",
    "digital",
    "network",
    "services",
    "solutions",
    "support",
    "email",
    "group",
    "global",
    "host",
    "press",
    "center",
    "company",
    "agency",
    "systems",
    "download",
    "review",
    "stream",
    "trade",
    "date",
    "bid",
    "win",
    "loan",
    "men",
    "party",
    "racing",
    "science",
    "accountant",
    "faith",
    "cricket",
    "kim",
    "ltd",
    "zone",
    "team",
    "tools",
    "run",
    "page",
    "blog",
    "art",
    "design",
    "media",
    "studio",
    "games",
    "game",
    "city",
    "one",
    "software",
    "security",
    "finance",
    "money",
    "bank",
    "cam",
    "ink",
    "red",
    "blue",
    "pink",
    "black",
    "gold",
    "plus",
    "chat",
    "social",
    "email",
    "mail",
    "market",
    "sale",
    "deals",
    "onion",
    "local",
    "internal",
    "lan",
    "home",
    "corp",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(value: &str) -> Option<IndicatorKind> {
        recognise(value).map(|(kind, _)| kind)
    }

    #[test]
    fn defanged_values_are_refanged() {
        assert_eq!(
            refang("hXXps://evil[.]example[.]com/x"),
            "https://evil.example.com/x"
        );
        assert_eq!(refang("1.2.3(.)4"), "1.2.3.4");
        assert_eq!(
            refang("ke.toan [at] tinh[.]gov[.]vn"),
            "ke.toan@tinh.gov.vn"
        );
        assert_eq!(refang("fe80[:]:1"), "fe80::1");
        assert!(matches!(refang("plain.example.com"), Cow::Borrowed(_)));
    }

    #[test]
    fn every_kind_is_recognised_and_normalised() {
        assert_eq!(
            recognise("203.0.113[.]7"),
            Some((IndicatorKind::Ip, "203.0.113.7".into()))
        );
        assert_eq!(kind("2001:db8::1"), Some(IndicatorKind::Ip));
        assert_eq!(
            recognise("198.51.100.9/24"),
            Some((IndicatorKind::Cidr, "198.51.100.0/24".into()))
        );
        assert_eq!(
            recognise("Update-Server[.]Example[.]NET"),
            Some((IndicatorKind::Domain, "update-server.example.net".into()))
        );
        assert_eq!(
            recognise("hxxp://c2.example.vn/gate.php"),
            Some((IndicatorKind::Url, "http://c2.example.vn/gate.php".into()))
        );
        assert_eq!(
            recognise("cdn-update[.]top/gate.php?id=1"),
            Some((
                IndicatorKind::Url,
                "http://cdn-update.top/gate.php?id=1".into()
            ))
        );
        assert_eq!(
            recognise("45.77.12.9:8080/payload"),
            Some((IndicatorKind::Url, "http://45.77.12.9:8080/payload".into()))
        );
        assert_eq!(
            recognise("45.77.12[.]9:8443"),
            Some((IndicatorKind::Ip, "45.77.12.9".into()))
        );
        assert_eq!(
            recognise("[2001:db8::5]:443"),
            Some((IndicatorKind::Ip, "2001:db8::5".into()))
        );
        assert_eq!(
            recognise("c2.example.top:8080"),
            Some((IndicatorKind::Domain, "c2.example.top".into()))
        );
        assert_eq!(kind(&"a".repeat(32)), Some(IndicatorKind::Md5));
        assert_eq!(kind(&"B".repeat(40)), Some(IndicatorKind::Sha1));
        assert_eq!(kind(&"0".repeat(64)), Some(IndicatorKind::Sha256));
        assert_eq!(
            recognise("Phish[@]mail-login[.]top"),
            Some((IndicatorKind::Email, "phish@mail-login.top".into()))
        );
    }

    #[test]
    fn file_names_versions_and_words_are_not_indicators() {
        for text in [
            "invoice.pdf",
            "update.exe",
            "1.2.3",
            "999.1.1.1",
            "hello",
            "a.b",
            "readme.md",
            "ab12",
            "javascript:alert(1)",
            "file://etc/passwd",
            "docs/readme.md",
            "1/2",
            "and/or",
            "10:30",
            "update.exe:443",
        ] {
            assert_eq!(kind(text), None, "{text}");
        }
    }
}
