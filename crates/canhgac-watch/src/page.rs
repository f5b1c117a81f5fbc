//! Portal pages for the defacement watch: a [`snapshot`] of what a page shows (decoded by its
//! charset, dynamic parts left out), a [`compare`] with the approved baseline, and a [`diff`] for
//! the alert.
//!
//! ```
//! use canhgac_model::DefacementSettings;
//! use canhgac_watch::page;
//! let url = url::Url::parse("https://portal.example.gov.vn/").unwrap();
//! let settings = DefacementSettings::default();
//! let before = page::snapshot("<title>Cổng</title><p>Tin tức</p>".as_bytes(), None, &url, &settings);
//! let after = page::snapshot("<title>Cổng</title><p>Hacked by X</p>".as_bytes(), None, &url, &settings);
//! let verdict = page::compare(&before, &after, &settings);
//! assert!(verdict.defaced);
//! assert!(page::diff(&before, &after).contains("+Hacked by X"));
//! ```

use std::collections::HashSet;
use std::time::Duration;

use canhgac_model::{DefacementSettings, PageSnapshot};
use encoding_rs::Encoding;
use scraper::{Html, Node, Selector};
use serde::{Deserialize, Serialize};
use similar::TextDiff;
use url::Url;

use crate::text;

/// Visible text kept per page, bytes.
pub const TEXT_CAP: usize = 200 * 1024;
/// Element paths kept per page.
pub const STRUCTURE_CAP: usize = 5_000;
/// Size of a diff, bytes.
pub const DIFF_CAP: usize = 64 * 1024;
/// Elements deeper than this are not recorded in the structure (their text still counts).
const PATH_DEPTH_CAP: usize = 48;
/// Time a text comparison may take before it settles for an approximate answer.
const DIFF_TIME: Duration = Duration::from_millis(800);

/// Words that mean defacement on sight (compared without case), besides the monitor's own.
pub const BUILTIN_MARKERS: &[&str] = &[
    "hacked by",
    "defaced by",
    "deface by",
    "owned by",
    "pwned by",
    "greetz",
    "greetings to",
    "bị hack",
    "hack bởi",
    "deface bởi",
    "đã bị tấn công bởi",
    "đã bị chiếm quyền",
];

/// Elements whose text is not shown.
const HIDDEN: &[&str] = &["head", "script", "style", "noscript", "template"];

/// Elements that start a new line of text.
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "caption",
    "dd",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "option",
    "p",
    "pre",
    "section",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
];

/// What a comparison with the baseline found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DefacementVerdict {
    /// The page counts as defaced.
    pub defaced: bool,
    /// Share of the visible words that changed (0.0–1.0).
    pub change_ratio: f64,
    /// The title differs.
    pub title_changed: bool,
    /// External scripts not in the baseline.
    pub new_scripts: Vec<String>,
    /// Iframes not in the baseline.
    pub new_iframes: Vec<String>,
    /// Defacement markers in the page that the baseline did not have.
    pub markers: Vec<String>,
    /// Why it counts as defaced (Vietnamese); empty when it does not.
    pub reasons: Vec<String>,
}

/// A body decoded to text.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The text.
    pub text: String,
    /// The encoding used (`UTF-8`, `windows-1258`, ...).
    pub encoding: &'static str,
    /// What could not be decoded (Vietnamese).
    pub notes: Vec<String>,
}

/// Decodes a body by its byte-order mark, the HTTP charset, the page's `<meta charset>`, or
/// UTF-8, in that order. Old Vietnamese encodings (TCVN3, VNI) have no decoder: such pages are
/// read as windows-1252 and a note says so.
pub fn decode(body: &[u8], content_type: Option<&str>) -> Decoded {
    let mut notes = Vec::new();
    if let Some((encoding, bom)) = Encoding::for_bom(body) {
        return finish(encoding, &body[bom..], notes);
    }
    let label = content_type
        .and_then(charset_param)
        .or_else(|| meta_charset(body));
    if let Some(label) = &label {
        if let Some(legacy) = legacy_vietnamese(label) {
            notes.push(format!(
                "Trang dùng bảng mã {legacy} («{label}»), không giải mã được: đã đọc như windows-1252 nên chữ tiếng Việt có dấu hiển thị sai"
            ));
            return finish(encoding_rs::WINDOWS_1252, body, notes);
        }
        match Encoding::for_label(label.as_bytes()) {
            Some(encoding) => return finish(encoding, body, notes),
            None => notes.push(format!(
                "Không hỗ trợ bảng mã «{label}»: đã đọc như UTF-8 hoặc windows-1252"
            )),
        }
    }
    if std::str::from_utf8(body).is_ok() {
        return finish(encoding_rs::UTF_8, body, notes);
    }
    if label.is_none() {
        notes.push(
            "Trang không khai báo bảng mã và không phải UTF-8: đã đọc như windows-1252".to_owned(),
        );
    }
    finish(encoding_rs::WINDOWS_1252, body, notes)
}

fn finish(encoding: &'static Encoding, body: &[u8], mut notes: Vec<String>) -> Decoded {
    let (text, had_errors) = encoding.decode_without_bom_handling(body);
    if had_errors {
        notes.push(format!(
            "Có byte không hợp lệ với bảng mã {}, đã thay bằng ký tự �",
            encoding.name()
        ));
    }
    Decoded {
        text: text.into_owned(),
        encoding: encoding.name(),
        notes,
    }
}

/// The `charset` parameter of a Content-Type.
fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches(['"', '\'']).trim().to_owned())
            .filter(|v| !v.is_empty())
    })
}

/// The charset named by a `<meta>` in the first 4 KiB.
fn meta_charset(body: &[u8]) -> Option<String> {
    let head = &body[..body.len().min(4096)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let mut from = 0;
    while let Some(at) = find(&lower[from..], b"<meta") {
        let start = from + at;
        let end = find(&lower[start..], b">").map_or(lower.len(), |e| start + e);
        let tag = &lower[start..end];
        if let Some(c) = find(tag, b"charset") {
            let mut rest = &tag[c + b"charset".len()..];
            rest = trim_ascii_start(rest);
            if let Some(after_eq) = rest.strip_prefix(b"=") {
                let value = trim_ascii_start(after_eq);
                let value = value
                    .strip_prefix(b"\"")
                    .or_else(|| value.strip_prefix(b"'"))
                    .unwrap_or(value);
                let len = value
                    .iter()
                    .position(|b| matches!(b, b'"' | b'\'' | b';' | b' ' | b'/' | b'>'))
                    .unwrap_or(value.len());
                if len > 0 {
                    return Some(String::from_utf8_lossy(&value[..len]).into_owned());
                }
            }
        }
        from = end;
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn trim_ascii_start(bytes: &[u8]) -> &[u8] {
    let skip = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[skip..]
}

/// The name of an old Vietnamese encoding that has no decoder.
fn legacy_vietnamese(label: &str) -> Option<&'static str> {
    let key: String = label
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    if key.contains("tcvn") || key == "abc" || key == "xvietabc" {
        Some("TCVN3")
    } else if key.contains("vni") {
        Some("VNI")
    } else if key.contains("viscii") {
        Some("VISCII")
    } else if key == "vps" || key == "xvietvps" {
        Some("VPS")
    } else {
        None
    }
}

/// Whether a CSS selector can be used in `ignore_selectors`; the error says why not
/// (Vietnamese).
pub fn check_selector(selector: &str) -> Result<(), String> {
    Selector::parse(selector)
        .map(|_| ())
        .map_err(|e| format!("Bộ chọn CSS «{selector}» không hợp lệ: {e}"))
}

/// What the page shows, for comparison: see [`PageSnapshot`].
pub fn snapshot(
    body: &[u8],
    content_type: Option<&str>,
    page_url: &Url,
    settings: &DefacementSettings,
) -> PageSnapshot {
    let decoded = decode(body, content_type);
    let mut notes = decoded.notes;
    let html = Html::parse_document(&decoded.text);

    let mut ignored = HashSet::new();
    for raw in &settings.ignore_selectors {
        match Selector::parse(raw) {
            Ok(selector) => ignored.extend(html.select(&selector).map(|e| e.id())),
            Err(_) => notes.push(format!("Bộ chọn CSS «{raw}» không hợp lệ, đã bỏ qua")),
        }
    }

    let title = Selector::parse("title")
        .ok()
        .and_then(|s| html.select(&s).find(|e| !ignored.contains(&e.id())))
        .map(|e| collapse(&e.text().collect::<String>()))
        .unwrap_or_default();

    let mut walk = Walk::new(page_url);
    // An explicit stack: pages nest deeply enough to overflow a recursive walk.
    let mut stack = vec![(html.tree.root(), 0usize, false)];
    while let Some((node, depth, leaving)) = stack.pop() {
        if leaving {
            walk.leave(node.value(), depth);
            continue;
        }
        if ignored.contains(&node.id()) {
            continue;
        }
        match node.value() {
            Node::Text(text) => walk.text(text),
            Node::Element(element) => {
                let name = element.name();
                walk.enter(name, element.attr("src"), depth);
                stack.push((node, depth, true));
                let children: Vec<_> = node.children().collect();
                for child in children.into_iter().rev() {
                    stack.push((child, depth + 1, false));
                }
            }
            _ => {
                let children: Vec<_> = node.children().collect();
                for child in children.into_iter().rev() {
                    stack.push((child, depth + 1, false));
                }
            }
        }
    }
    walk.flush();
    if walk.text_capped {
        notes.push(format!(
            "Văn bản trang dài hơn {}, chỉ so sánh phần đầu",
            text::bytes(TEXT_CAP)
        ));
    }
    PageSnapshot {
        title,
        text: walk.lines.join("\n"),
        structure: walk.structure,
        external_scripts: walk.scripts,
        iframes: walk.iframes,
        size: body.len() as u64,
        notes,
    }
}

/// State of the walk over the document.
struct Walk<'a> {
    page_url: &'a Url,
    line: String,
    lines: Vec<String>,
    text_len: usize,
    text_capped: bool,
    /// Inside this many elements whose text is not shown.
    hidden: usize,
    paths: Vec<String>,
    seen_paths: HashSet<String>,
    structure: Vec<String>,
    scripts: Vec<String>,
    iframes: Vec<String>,
}

impl<'a> Walk<'a> {
    fn new(page_url: &'a Url) -> Self {
        Self {
            page_url,
            line: String::new(),
            lines: Vec::new(),
            text_len: 0,
            text_capped: false,
            hidden: 0,
            paths: Vec::new(),
            seen_paths: HashSet::new(),
            structure: Vec::new(),
            scripts: Vec::new(),
            iframes: Vec::new(),
        }
    }

    fn enter(&mut self, name: &str, src: Option<&str>, depth: usize) {
        if BLOCKS.contains(&name) {
            self.flush();
        }
        if HIDDEN.contains(&name) {
            self.hidden += 1;
        }
        if depth <= PATH_DEPTH_CAP {
            let path = match self.paths.last() {
                Some(parent) => format!("{parent}>{name}"),
                None => name.to_owned(),
            };
            if self.structure.len() < STRUCTURE_CAP && self.seen_paths.insert(path.clone()) {
                self.structure.push(path.clone());
            }
            self.paths.push(path);
        }
        let Some(src) = src.map(str::trim).filter(|s| !s.is_empty()) else {
            return;
        };
        let absolute = self
            .page_url
            .join(src)
            .map(|u| u.to_string())
            .unwrap_or_else(|_| src.to_owned());
        let absolute = text::clip(&absolute, 300);
        match name {
            "script" => {
                let host = Url::parse(&absolute)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_owned));
                let external = host.as_deref() != self.page_url.host_str();
                if external && !self.scripts.contains(&absolute) {
                    self.scripts.push(absolute);
                }
            }
            "iframe" | "frame" if !self.iframes.contains(&absolute) => {
                self.iframes.push(absolute);
            }
            _ => {}
        }
    }

    fn leave(&mut self, node: &Node, depth: usize) {
        if let Node::Element(element) = node {
            if BLOCKS.contains(&element.name()) {
                self.flush();
            }
            if HIDDEN.contains(&element.name()) {
                self.hidden = self.hidden.saturating_sub(1);
            }
            // `enter` pushed a path only when the element was shallow enough; pop in step.
            if depth <= PATH_DEPTH_CAP {
                self.paths.pop();
            }
        }
    }

    fn text(&mut self, text: &str) {
        if self.text_capped || self.hidden > 0 {
            return;
        }
        self.line.push_str(text);
        // Long lines are flushed early so the cap is kept without holding a huge buffer.
        if self.line.len() > TEXT_CAP {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.line.is_empty() {
            return;
        }
        let line = collapse(&self.line);
        self.line.clear();
        if line.is_empty() || self.text_capped {
            return;
        }
        let room = TEXT_CAP.saturating_sub(self.text_len + usize::from(!self.lines.is_empty()));
        if line.len() > room {
            self.text_capped = true;
            let kept = text::prefix_at_boundary(&line, room);
            if !kept.is_empty() {
                self.text_len += kept.len() + 1;
                self.lines.push(kept.to_owned());
            }
            return;
        }
        self.text_len += line.len() + 1;
        self.lines.push(line);
    }
}

/// Whitespace runs become one space; ends trimmed.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Compares a capture with the approved baseline.
pub fn compare(
    baseline: &PageSnapshot,
    current: &PageSnapshot,
    settings: &DefacementSettings,
) -> DefacementVerdict {
    let change_ratio = change_ratio(&baseline.text, &current.text);
    let title_changed = collapse(&baseline.title) != collapse(&current.title);
    let new_scripts: Vec<String> = current
        .external_scripts
        .iter()
        .filter(|s| !baseline.external_scripts.contains(s))
        .cloned()
        .collect();
    let new_iframes: Vec<String> = current
        .iframes
        .iter()
        .filter(|s| !baseline.iframes.contains(s))
        .cloned()
        .collect();
    let before = format!("{}\n{}", baseline.title, baseline.text).to_lowercase();
    let after = format!("{}\n{}", current.title, current.text).to_lowercase();
    let mut markers = Vec::new();
    for marker in BUILTIN_MARKERS
        .iter()
        .map(|m| m.to_string())
        .chain(settings.markers.iter().map(|m| m.trim().to_lowercase()))
    {
        if !marker.is_empty()
            && after.contains(&marker)
            && !before.contains(&marker)
            && !markers.contains(&marker)
        {
            markers.push(marker);
        }
    }

    let mut reasons = Vec::new();
    if change_ratio > settings.change_threshold {
        reasons.push(format!(
            "Nội dung thay đổi {:.0}% (ngưỡng {:.0}%)",
            change_ratio * 100.0,
            settings.change_threshold * 100.0
        ));
    }
    if title_changed {
        reasons.push(format!(
            "Tiêu đề đổi từ «{}» thành «{}»",
            text::clip(&baseline.title, 120),
            text::clip(&current.title, 120)
        ));
    }
    if !new_scripts.is_empty() {
        reasons.push(format!("Có script ngoài mới: {}", new_scripts.join(", ")));
    }
    if !new_iframes.is_empty() {
        reasons.push(format!("Có iframe mới: {}", new_iframes.join(", ")));
    }
    if !markers.is_empty() {
        let quoted: Vec<String> = markers.iter().map(|m| format!("«{m}»")).collect();
        reasons.push(format!(
            "Xuất hiện dấu hiệu tấn công: {}",
            quoted.join(", ")
        ));
    }
    DefacementVerdict {
        defaced: !reasons.is_empty(),
        change_ratio,
        title_changed,
        new_scripts,
        new_iframes,
        markers,
        reasons,
    }
}

/// Share of words changed between two texts (0.0–1.0).
fn change_ratio(before: &str, after: &str) -> f64 {
    let old: Vec<&str> = before.split_whitespace().collect();
    let new: Vec<&str> = after.split_whitespace().collect();
    if old.is_empty() && new.is_empty() {
        return 0.0;
    }
    let diff = TextDiff::configure()
        .timeout(DIFF_TIME)
        .diff_slices(&old, &new);
    (1.0 - f64::from(diff.ratio())).clamp(0.0, 1.0)
}

/// A unified line diff of the visible text, after the title, script and iframe changes; at
/// most [`DIFF_CAP`] bytes.
pub fn diff(baseline: &PageSnapshot, current: &PageSnapshot) -> String {
    let mut out = String::new();
    if collapse(&baseline.title) != collapse(&current.title) {
        out.push_str(&format!(
            "Tiêu đề: «{}» → «{}»\n",
            baseline.title, current.title
        ));
    }
    list_changes(
        &mut out,
        "script ngoài",
        &baseline.external_scripts,
        &current.external_scripts,
    );
    list_changes(&mut out, "iframe", &baseline.iframes, &current.iframes);
    let old = with_final_newline(&baseline.text);
    let new = with_final_newline(&current.text);
    let text_diff = TextDiff::configure()
        .timeout(DIFF_TIME)
        .diff_lines(&old, &new);
    let unified = text_diff
        .unified_diff()
        .context_radius(2)
        .missing_newline_hint(false)
        .header("mẫu đã duyệt", "hiện tại")
        .to_string();
    if !unified.is_empty() {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&unified);
    }
    if out.len() > DIFF_CAP {
        let kept = text::prefix_at_boundary(&out, DIFF_CAP).len();
        out.truncate(kept);
        out.push_str("\n… (đã cắt bớt)\n");
    }
    out
}

fn list_changes(out: &mut String, what: &str, before: &[String], after: &[String]) {
    for added in after.iter().filter(|s| !before.contains(s)) {
        out.push_str(&format!("+ {what} mới: {added}\n"));
    }
    for removed in before.iter().filter(|s| !after.contains(s)) {
        out.push_str(&format!("- {what} bị bỏ: {removed}\n"));
    }
}

fn with_final_newline(text: &str) -> String {
    if text.is_empty() || text.ends_with('\n') {
        text.to_owned()
    } else {
        format!("{text}\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("https://portal.example.gov.vn/index.html").unwrap()
    }

    fn page(body: &str, settings: &DefacementSettings) -> PageSnapshot {
        snapshot(
            body.as_bytes(),
            Some("text/html; charset=utf-8"),
            &url(),
            settings,
        )
    }

    const PORTAL: &str = r#"<!doctype html><html><head><title>Cổng thông tin điện tử tỉnh</title>
        <script src="/static/app.js"></script><script src="https://cdn.example.net/jquery.js"></script>
        <style>p { color: red }</style></head>
        <body><header><h1>Ủy ban nhân dân tỉnh</h1><nav><ul><li>Trang chủ</li><li>Giới thiệu</li></ul></nav></header>
        <div id="clock">Thứ hai, 01/12/2025 08:00</div>
        <main><p>Chào mừng bạn đến với cổng thông tin điện tử của tỉnh.</p>
        <p>Thông tin chỉ đạo, điều hành của Ủy ban nhân dân tỉnh.</p>
        <p>Thủ tục hành chính, dịch vụ công trực tuyến.</p>
        <p>Hỏi đáp, góp ý và phản ánh kiến nghị của người dân.</p>
        <ul class="news"><li>Tin một</li><li>Tin hai</li></ul>
        <span id="visits">Lượt truy cập: 123456</span></main>
        <script>var x = "hidden";</script></body></html>"#;

    #[test]
    fn snapshots_keep_visible_text_title_and_outside_scripts() {
        let snap = page(PORTAL, &DefacementSettings::default());
        assert_eq!(snap.title, "Cổng thông tin điện tử tỉnh");
        assert!(snap
            .text
            .contains("Chào mừng bạn đến với cổng thông tin điện tử của tỉnh."));
        assert!(snap.text.lines().any(|l| l == "Trang chủ"));
        assert!(!snap.text.contains("hidden"), "script text is not visible");
        assert!(!snap.text.contains("color"), "style text is not visible");
        assert_eq!(
            snap.external_scripts,
            vec!["https://cdn.example.net/jquery.js"]
        );
        assert!(snap.structure.contains(&"html>body>main>p".to_owned()));
        assert_eq!(snap.size, PORTAL.len() as u64);
        assert!(snap.notes.is_empty(), "{:?}", snap.notes);
    }

    #[test]
    fn ignored_selectors_leave_dynamic_parts_out() {
        let settings = DefacementSettings {
            ignore_selectors: vec![
                "#clock".into(),
                "#visits".into(),
                "ul.news".into(),
                "[".into(),
            ],
            ..DefacementSettings::default()
        };
        let snap = page(PORTAL, &settings);
        assert!(!snap.text.contains("01/12/2025"));
        assert!(!snap.text.contains("Lượt truy cập"));
        assert!(!snap.text.contains("Tin một"));
        assert!(
            snap.notes.iter().any(|n| n.contains("«[»")),
            "{:?}",
            snap.notes
        );

        let changed = PORTAL
            .replace("01/12/2025 08:00", "02/12/2025 09:30")
            .replace("123456", "123999")
            .replace("Tin một", "Tin mới hoàn toàn khác hẳn");
        let verdict = compare(&snap, &page(&changed, &settings), &settings);
        assert_eq!(verdict.change_ratio, 0.0);
        assert!(!verdict.defaced);
    }

    #[test]
    fn a_small_dynamic_change_stays_under_the_threshold() {
        let settings = DefacementSettings::default();
        let changed = PORTAL.replace("01/12/2025 08:00", "02/12/2025 09:30");
        let verdict = compare(
            &page(PORTAL, &settings),
            &page(&changed, &settings),
            &settings,
        );
        assert!(
            verdict.change_ratio > 0.0 && verdict.change_ratio < 0.1,
            "{verdict:?}"
        );
        assert!(!verdict.defaced, "{verdict:?}");
        assert!(verdict.reasons.is_empty());
    }

    #[test]
    fn a_new_iframe_or_outside_script_is_defacement() {
        let settings = DefacementSettings::default();
        let injected = PORTAL.replace(
            "</main>",
            r#"<iframe src="//casino.example.com/x" style="display:none"></iframe>
               <script src="https://miner.example.org/m.js"></script><script src="/static/more.js"></script></main>"#,
        );
        let verdict = compare(
            &page(PORTAL, &settings),
            &page(&injected, &settings),
            &settings,
        );
        assert!(verdict.defaced);
        assert_eq!(verdict.new_iframes, vec!["https://casino.example.com/x"]);
        assert_eq!(verdict.new_scripts, vec!["https://miner.example.org/m.js"]);
        assert!(verdict
            .reasons
            .iter()
            .any(|r| r.starts_with("Có iframe mới")));
        assert!(verdict
            .reasons
            .iter()
            .any(|r| r.starts_with("Có script ngoài mới")));
        assert!(verdict.change_ratio < 0.05);
    }

    #[test]
    fn markers_count_only_when_new_and_without_case() {
        let settings = DefacementSettings {
            markers: vec!["Tổ Quốc Ảo".into()],
            ..DefacementSettings::default()
        };
        let marked = PORTAL.replace("Tin hai", "HACKED BY xyz - tổ quốc ảo");
        let verdict = compare(
            &page(PORTAL, &settings),
            &page(&marked, &settings),
            &settings,
        );
        assert!(verdict.defaced);
        assert_eq!(verdict.markers, vec!["hacked by", "tổ quốc ảo"]);
        assert!(verdict.reasons.iter().any(|r| r.contains("«hacked by»")));
        // A marker already on the approved page (an article about an attack) is not news.
        let verdict = compare(
            &page(&marked, &settings),
            &page(&marked, &settings),
            &settings,
        );
        assert!(!verdict.defaced);
        assert!(verdict.markers.is_empty());
    }

    #[test]
    fn a_replaced_page_changes_most_words_and_the_title() {
        let settings = DefacementSettings::default();
        let defaced = "<html><head><title>Owned</title></head><body><h1>Your security is low</h1><p>We were here. Greetz to all crews.</p></body></html>";
        let before = page(PORTAL, &settings);
        let after = page(defaced, &settings);
        let verdict = compare(&before, &after, &settings);
        assert!(verdict.change_ratio > 0.9, "{verdict:?}");
        assert!(verdict.title_changed);
        assert_eq!(verdict.markers, vec!["greetz"]);
        assert_eq!(verdict.reasons.len(), 3, "{:?}", verdict.reasons);
        let diff = diff(&before, &after);
        assert!(
            diff.starts_with("Tiêu đề: «Cổng thông tin điện tử tỉnh» → «Owned»\n"),
            "{diff}"
        );
        assert!(diff.contains("- script ngoài bị bỏ: https://cdn.example.net/jquery.js"));
        assert!(diff.contains("--- mẫu đã duyệt\n+++ hiện tại\n"));
        assert!(diff.contains("\n-Trang chủ\n"));
        assert!(diff.contains("\n+Your security is low\n"));
    }

    #[test]
    fn identical_pages_have_an_empty_diff() {
        let settings = DefacementSettings::default();
        let snap = page(PORTAL, &settings);
        assert_eq!(diff(&snap, &snap), "");
        let verdict = compare(&snap, &snap, &settings);
        assert_eq!(verdict.change_ratio, 0.0);
        assert!(!verdict.defaced);
    }

    #[test]
    fn big_diffs_are_capped() {
        let settings = DefacementSettings::default();
        let lines = |tag: &str| {
            (0..8000)
                .map(|i| format!("<p>{tag} dòng số {i}</p>"))
                .collect::<String>()
        };
        let before = page(&lines("cũ"), &settings);
        let after = page(&lines("mới"), &settings);
        let diff = diff(&before, &after);
        assert!(diff.len() <= DIFF_CAP + 40);
        assert!(diff.ends_with("… (đã cắt bớt)\n"));
    }

    #[test]
    fn text_is_capped_and_deep_pages_do_not_overflow() {
        let settings = DefacementSettings::default();
        let long = format!("<p>{}</p>", "chữ ".repeat(100_000));
        let snap = page(&long, &settings);
        assert!(snap.text.len() <= TEXT_CAP);
        assert!(snap.notes.iter().any(|n| n.contains("200 KiB")));

        let deep = format!("{}sâu{}", "<div>".repeat(5_000), "</div>".repeat(5_000));
        let snap = page(&deep, &settings);
        assert_eq!(snap.text, "sâu");
        assert!(snap.structure.len() <= PATH_DEPTH_CAP + 2);
    }

    #[test]
    fn windows_1258_decodes_from_the_meta_charset() {
        // "Việt Nam" in windows-1258: ệ is e + U+0323 (combining dot below, 0xF2) + U+0302 in ê (0xEA).
        let mut body = b"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1258\"><title>Vi".to_vec();
        body.extend_from_slice(&[0xEA, 0xF2]);
        body.extend_from_slice(b"t Nam</title></head><body><p>C\xF4ng</p></body></html>");
        let decoded = decode(&body, Some("text/html"));
        assert_eq!(decoded.encoding, "windows-1258");
        assert!(decoded.notes.is_empty());
        let snap = snapshot(
            &body,
            Some("text/html"),
            &url(),
            &DefacementSettings::default(),
        );
        assert_eq!(snap.title, "Vi\u{ea}\u{323}t Nam");
        assert_eq!(snap.text, "Công");
    }

    #[test]
    fn legacy_vietnamese_encodings_are_named_in_a_note() {
        let decoded = decode(b"<p>Tr\xAAn</p>", Some("text/html; charset=TCVN3"));
        assert_eq!(decoded.encoding, "windows-1252");
        assert!(decoded.notes[0].contains("TCVN3"), "{:?}", decoded.notes);
        let decoded = decode(b"<meta charset='VNI-Windows'><p>x</p>", None);
        assert!(decoded.notes[0].contains("VNI"), "{:?}", decoded.notes);
        let decoded = decode(b"<p>\xFF\xFEabc</p>", None);
        assert!(
            decoded.notes[0].contains("không khai báo"),
            "{:?}",
            decoded.notes
        );
        let decoded = decode(b"<p>caf\xC3\xA9</p>", None);
        assert_eq!(decoded.text, "<p>café</p>");
        assert!(decoded.notes.is_empty());
        let decoded = decode(b"\xEF\xBB\xBFabc", Some("text/html; charset=windows-1252"));
        assert_eq!(decoded.text, "abc");
        assert_eq!(decoded.encoding, "UTF-8");
    }

    #[test]
    fn selectors_are_checked_for_the_console() {
        assert!(check_selector("#clock, .news > li").is_ok());
        assert!(check_selector("div[").unwrap_err().contains("div["));
    }
}
