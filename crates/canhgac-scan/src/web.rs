//! Web portal checks: HTTPS redirect, security headers, version banners, exposed files and
//! panels, directory listings, and the CMS and platforms common in Vietnamese government
//! (WordPress, Joomla, Drupal, Liferay, SharePoint, DotNetNuke, NukeViet, IIS/ASP.NET, Telerik).
//!
//! Exposed paths are judged against a "soft 404" first (the answer to a random path), and each
//! needs content that only the real file has, so a portal that answers 200 to everything does
//! not light up.

use std::net::SocketAddr;
use std::time::Duration;

use canhgac_model::scan::{category, ScanEvidence, ScanIssue};
use canhgac_model::Severity;
use regex::Regex;
use reqwest::header::HeaderMap;
use serde::{Deserialize, Serialize};

/// The most of a body read.
const BODY_CAP: usize = 512 * 1024;

/// Where a portal answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebTarget {
    /// Host name as users reach it (used for `Host:` and SNI).
    pub host: String,
    /// Address connected to.
    pub addr: SocketAddr,
    /// HTTPS or plain HTTP.
    pub tls: bool,
}

impl WebTarget {
    /// `https://host:port` (the port left out when it is the default).
    pub fn base_url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        let default = if self.tls { 443 } else { 80 };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.addr.port() == default {
            format!("{scheme}://{host}")
        } else {
            format!("{scheme}://{host}:{}", self.addr.port())
        }
    }
}

/// Software seen on a portal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Technology {
    /// Product name.
    pub product: String,
    /// Version, when the site gives it away.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// CPE 2.3 name (version filled when known).
    pub cpe: String,
    /// Where it was seen.
    pub evidence: String,
}

/// What the web checks saw on one portal.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WebReport {
    /// The base URL.
    pub base_url: String,
    /// Status of the home page.
    pub status: Option<u16>,
    /// The page title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Software seen.
    pub technologies: Vec<Technology>,
    /// Weaknesses.
    pub issues: Vec<ScanIssue>,
    /// Requests sent.
    pub requests: u32,
}

/// How the web checks run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebOptions {
    /// Per request.
    pub timeout: Duration,
    /// Probe the exposed-file and panel paths (the `full` and `portal` profiles).
    pub paths: bool,
}

impl Default for WebOptions {
    fn default() -> Self {
        WebOptions {
            timeout: Duration::from_secs(10),
            paths: true,
        }
    }
}

struct Response {
    status: u16,
    headers: HeaderMap,
    body: String,
    request: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn head_text(&self) -> String {
        let mut out = format!("HTTP {}\n", self.status);
        for (name, value) in &self.headers {
            out.push_str(&format!(
                "{}: {}\n",
                name,
                String::from_utf8_lossy(value.as_bytes())
            ));
        }
        out
    }
}

struct Client {
    http: reqwest::Client,
    base: String,
    requests: u32,
}

impl Client {
    async fn get(&mut self, path: &str) -> Option<Response> {
        let url = format!("{}{}", self.base, path);
        self.requests += 1;
        let response = self.http.get(&url).send().await.ok()?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let mut body = Vec::new();
        let mut response = response;
        while let Ok(Some(chunk)) = response.chunk().await {
            body.extend_from_slice(&chunk);
            if body.len() >= BODY_CAP {
                body.truncate(BODY_CAP);
                break;
            }
        }
        Some(Response {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
            request: format!("GET {url}"),
        })
    }
}

/// An HTTP client that reaches `target` under its name and accepts any certificate (the TLS
/// review judges certificates), following no redirects.
pub fn client_for(target: &WebTarget, options: &WebOptions) -> Option<reqwest::Client> {
    reqwest::Client::builder()
        .use_preconfigured_tls((*crate::services::tls_config()).clone())
        .resolve(&target.host, target.addr)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(options.timeout)
        .user_agent(concat!("canhgac-scan/", env!("CARGO_PKG_VERSION")))
        .build()
        .ok()
}

/// Runs the web checks against one portal.
pub async fn check(target: &WebTarget, options: &WebOptions) -> WebReport {
    let base = target.base_url();
    let mut report = WebReport {
        base_url: base.clone(),
        ..WebReport::default()
    };
    let Some(http) = client_for(target, options) else {
        return report;
    };
    let mut client = Client {
        http,
        base: base.clone(),
        requests: 0,
    };
    let Some(home) = client.get("/").await else {
        report.requests = client.requests;
        return report;
    };
    report.status = Some(home.status);
    report.title = title(&home.body);
    let issue = |check: &str,
                 cat: &str,
                 severity: Severity,
                 titles: (&str, &str),
                 fix: (&str, &str),
                 subject: String,
                 evidence: ScanEvidence| ScanIssue {
        check: check.to_owned(),
        category: cat.to_owned(),
        severity,
        title_vi: titles.0.to_owned(),
        title_en: titles.1.to_owned(),
        host: target.host.clone(),
        port: Some(target.addr.port()),
        subject,
        evidence,
        remediation_vi: fix.0.to_owned(),
        remediation_en: fix.1.to_owned(),
        cves: Vec::new(),
        cvss: None,
        known_exploited: false,
    };

    // Plain HTTP should send users to HTTPS.
    if !target.tls {
        let location = home.header("location").unwrap_or_default();
        let redirects = (300..400).contains(&home.status) && location.starts_with("https://");
        if !redirects {
            report.issues.push(issue(
                "http.no_https_redirect",
                category::HTTP_HARDENING,
                Severity::Medium,
                (
                    "Trang HTTP không chuyển hướng sang HTTPS",
                    "HTTP does not redirect to HTTPS",
                ),
                (
                    "Cấu hình máy chủ web trả mã 301 chuyển mọi yêu cầu HTTP sang HTTPS.",
                    "Answer every plain HTTP request with a 301 redirect to HTTPS.",
                ),
                format!("{base}/"),
                ScanEvidence::exchange(home.request.clone(), &home.head_text()),
            ));
        }
    }

    // Security headers: judged on a page that is not a redirect.
    let page = if (300..400).contains(&home.status) {
        None
    } else {
        Some(&home)
    };
    if let Some(page) = page {
        for header in SECURITY_HEADERS {
            if header.https_only && !target.tls {
                continue;
            }
            let present = page.header(header.name).is_some()
                || (header.name == "x-frame-options"
                    && page
                        .header("content-security-policy")
                        .is_some_and(|csp| csp.contains("frame-ancestors")));
            if !present {
                report.issues.push(issue(
                    &format!("http.header.{}", header.name),
                    category::HTTP_HARDENING,
                    header.severity,
                    (header.title_vi, header.title_en),
                    (header.fix_vi, header.fix_en),
                    format!("{base}/"),
                    ScanEvidence::exchange(page.request.clone(), &page.head_text()),
                ));
            }
        }
    }

    // Version banners.
    let banners: Vec<String> = [
        "server",
        "x-powered-by",
        "x-aspnet-version",
        "x-aspnetmvc-version",
    ]
    .iter()
    .filter_map(|name| home.header(name).map(|v| format!("{name}: {v}")))
    .filter(|line| line.chars().any(|c| c.is_ascii_digit()))
    .collect();
    if !banners.is_empty() {
        let mut evidence = ScanEvidence::exchange(home.request.clone(), &home.head_text());
        evidence.extracted = banners.clone();
        report.issues.push(issue(
            "http.banner.version",
            category::HTTP_HARDENING,
            Severity::Low,
            (
                "Máy chủ web để lộ phiên bản phần mềm",
                "Web server discloses software versions",
            ),
            (
                "Ẩn phiên bản trong các tiêu đề Server, X-Powered-By, X-AspNet-Version (ví dụ ServerTokens Prod, server_tokens off, removeServerHeader).",
                "Hide versions in the Server, X-Powered-By and X-AspNet-Version headers (e.g. ServerTokens Prod, server_tokens off, removeServerHeader).",
            ),
            format!("{base}/"),
            evidence,
        ));
    }

    report.technologies = fingerprint(&home);
    if options.paths {
        let soft404 = client
            .get(&format!("/canhgac-{:016x}.html", rand_suffix()))
            .await;
        for probe in PATH_PROBES {
            let Some(response) = client.get(probe.path).await else {
                continue;
            };
            if is_soft404(&response, soft404.as_ref()) || !(probe.matches)(&response) {
                continue;
            }
            let mut evidence = ScanEvidence::exchange(
                response.request.clone(),
                &format!("{}\n{}", response.head_text(), response.body),
            );
            evidence.extracted.push(format!("{base}{}", probe.path));
            report.issues.push(issue(
                probe.check,
                probe.category,
                probe.severity,
                (probe.title_vi, probe.title_en),
                (probe.fix_vi, probe.fix_en),
                format!("{base}{}", probe.path),
                evidence,
            ));
        }
        for (path, extract) in VERSION_PAGES {
            if report
                .technologies
                .iter()
                .any(|t| t.product == extract.0 && t.version.is_some())
                || !report.technologies.iter().any(|t| t.product == extract.0)
            {
                continue;
            }
            if let Some(response) = client.get(path).await {
                if response.status == 200 {
                    if let Some(version) = capture(extract.1, &response.body) {
                        if let Some(tech) = report
                            .technologies
                            .iter_mut()
                            .find(|t| t.product == extract.0)
                        {
                            tech.version = Some(version.clone());
                            tech.cpe = tech.cpe.replacen(":*:", &format!(":{version}:"), 1);
                            tech.evidence = format!("{base}{path}");
                        }
                    }
                }
            }
        }
        // Telerik UI's upload handler answers a plain probe when registered (CVE-2017-11317,
        // CVE-2019-18935 territory).
        if report
            .technologies
            .iter()
            .any(|t| t.product == "Telerik UI for ASP.NET AJAX")
        {
            if let Some(response) = client.get("/Telerik.Web.UI.WebResource.axd?type=rau").await {
                if response
                    .body
                    .contains("RadAsyncUpload handler is registered")
                {
                    report.issues.push(issue(
                        "web.telerik.rau",
                        category::WEB_EXPOSURE,
                        Severity::High,
                        (
                            "Trình xử lý tải lên Telerik RadAsyncUpload đang mở",
                            "Telerik RadAsyncUpload handler is exposed",
                        ),
                        (
                            "Cập nhật Telerik UI lên bản mới nhất, đặt khóa mã hóa riêng (Telerik.AsyncUpload.ConfigurationEncryptionKey) hoặc tắt trình xử lý nếu không dùng.",
                            "Update Telerik UI, set your own encryption keys (Telerik.AsyncUpload.ConfigurationEncryptionKey) or disable the handler if unused.",
                        ),
                        format!("{base}/Telerik.Web.UI.WebResource.axd?type=rau"),
                        ScanEvidence::exchange(response.request.clone(), &response.body),
                    ));
                }
            }
        }
    }
    for tech in &report.technologies {
        let mut evidence = ScanEvidence::default();
        evidence.extracted = vec![match &tech.version {
            Some(v) => format!("{} {v}", tech.product),
            None => tech.product.clone(),
        }];
        evidence.details = serde_json::json!({ "cpe": tech.cpe, "seen_at": tech.evidence });
        report.issues.push(issue(
            &format!("web.tech.{}", slug(&tech.product)),
            category::FINGERPRINT,
            Severity::Informational,
            (
                &format!("Nhận diện phần mềm: {}", tech.product),
                &format!("Software identified: {}", tech.product),
            ),
            (
                "Theo dõi phiên bản và các cảnh báo lỗ hổng của phần mềm này; cập nhật thường xuyên.",
                "Track this software's version and vulnerability advisories; keep it updated.",
            ),
            format!("{base}/"),
            evidence,
        ));
    }
    report.requests = client.requests;
    report
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(std::process::id().into());
    hasher.finish()
}

fn slug(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect::<String>()
        .trim_matches('_')
        .to_owned()
}

/// A response that looks like the site's answer to a path that does not exist.
fn is_soft404(response: &Response, soft404: Option<&Response>) -> bool {
    if matches!(response.status, 404 | 410 | 400 | 500..=599)
        || (300..400).contains(&response.status)
    {
        return true;
    }
    let Some(soft) = soft404 else {
        return false;
    };
    if soft.status != response.status || soft.status == 404 {
        return false;
    }
    let (a, b) = (soft.body.len() as f64, response.body.len() as f64);
    a.max(b) == 0.0 || (a - b).abs() / a.max(b) < 0.05
}

fn title(body: &str) -> Option<String> {
    let re = Regex::new(r"(?is)<title[^>]*>(.*?)</title>").ok()?;
    let title = re.captures(body)?.get(1)?.as_str().trim();
    let title: String = title.split_whitespace().collect::<Vec<_>>().join(" ");
    (!title.is_empty()).then(|| title.chars().take(200).collect())
}

fn capture(pattern: &str, text: &str) -> Option<String> {
    let re = Regex::new(pattern).ok()?;
    let value = re.captures(text)?.get(1)?.as_str().trim().to_owned();
    (!value.is_empty()).then_some(value)
}

struct SecurityHeader {
    name: &'static str,
    https_only: bool,
    severity: Severity,
    title_vi: &'static str,
    title_en: &'static str,
    fix_vi: &'static str,
    fix_en: &'static str,
}

const SECURITY_HEADERS: &[SecurityHeader] = &[
    SecurityHeader {
        name: "strict-transport-security",
        https_only: true,
        severity: Severity::Medium,
        title_vi: "Thiếu tiêu đề HSTS (Strict-Transport-Security)",
        title_en: "Missing HSTS (Strict-Transport-Security)",
        fix_vi: "Thêm tiêu đề Strict-Transport-Security: max-age=31536000; includeSubDomains cho mọi trang HTTPS.",
        fix_en: "Send Strict-Transport-Security: max-age=31536000; includeSubDomains on every HTTPS page.",
    },
    SecurityHeader {
        name: "content-security-policy",
        https_only: false,
        severity: Severity::Low,
        title_vi: "Thiếu chính sách bảo mật nội dung (Content-Security-Policy)",
        title_en: "Missing Content-Security-Policy",
        fix_vi: "Khai báo Content-Security-Policy giới hạn nguồn script, style và khung (bắt đầu bằng default-src 'self').",
        fix_en: "Declare a Content-Security-Policy restricting script, style and frame sources (start from default-src 'self').",
    },
    SecurityHeader {
        name: "x-frame-options",
        https_only: false,
        severity: Severity::Low,
        title_vi: "Thiếu chống nhúng trang (X-Frame-Options)",
        title_en: "Missing X-Frame-Options (clickjacking)",
        fix_vi: "Thêm X-Frame-Options: SAMEORIGIN hoặc frame-ancestors 'self' trong CSP.",
        fix_en: "Send X-Frame-Options: SAMEORIGIN or frame-ancestors 'self' in the CSP.",
    },
    SecurityHeader {
        name: "x-content-type-options",
        https_only: false,
        severity: Severity::Low,
        title_vi: "Thiếu X-Content-Type-Options: nosniff",
        title_en: "Missing X-Content-Type-Options: nosniff",
        fix_vi: "Thêm tiêu đề X-Content-Type-Options: nosniff.",
        fix_en: "Send X-Content-Type-Options: nosniff.",
    },
    SecurityHeader {
        name: "referrer-policy",
        https_only: false,
        severity: Severity::Informational,
        title_vi: "Thiếu Referrer-Policy",
        title_en: "Missing Referrer-Policy",
        fix_vi: "Thêm Referrer-Policy: strict-origin-when-cross-origin.",
        fix_en: "Send Referrer-Policy: strict-origin-when-cross-origin.",
    },
    SecurityHeader {
        name: "permissions-policy",
        https_only: false,
        severity: Severity::Informational,
        title_vi: "Thiếu Permissions-Policy",
        title_en: "Missing Permissions-Policy",
        fix_vi: "Thêm Permissions-Policy tắt các tính năng không dùng (camera=(), microphone=(), geolocation=()).",
        fix_en: "Send a Permissions-Policy turning off unused features (camera=(), microphone=(), geolocation=()).",
    },
];

struct PathProbe {
    path: &'static str,
    check: &'static str,
    category: &'static str,
    severity: Severity,
    title_vi: &'static str,
    title_en: &'static str,
    fix_vi: &'static str,
    fix_en: &'static str,
    matches: fn(&Response) -> bool,
}

fn not_html(body: &str) -> bool {
    let lower = body.to_ascii_lowercase();
    !lower.contains("<html") && !lower.contains("<body")
}

fn listing(r: &Response) -> bool {
    r.status == 200
        && (r.body.contains("<title>Index of /")
            || r.body.contains("Directory listing for /")
            || r.body.contains("[To Parent Directory]"))
}

fn login_form(r: &Response) -> bool {
    (r.status == 200 && r.body.to_ascii_lowercase().contains("type=\"password\""))
        || (r.status == 401 && r.headers.contains_key("www-authenticate"))
}

const FIX_REMOVE_VI: &str = "Xóa tệp khỏi thư mục web hoặc chặn truy cập trong cấu hình máy chủ web; nếu tệp chứa mật khẩu hoặc khóa, đổi ngay các mật khẩu và khóa đó.";
const FIX_REMOVE_EN: &str = "Remove the file from the web root or deny access to it in the web server; if it holds passwords or keys, change them now.";
const FIX_PANEL_VI: &str =
    "Chỉ cho phép truy cập trang quản trị từ mạng nội bộ hoặc VPN, bật xác thực hai yếu tố.";
const FIX_PANEL_EN: &str =
    "Allow the admin page only from the internal network or a VPN, with two-factor authentication.";

const PATH_PROBES: &[PathProbe] = &[
    PathProbe {
        path: "/.git/config",
        check: "web.exposed.git",
        category: category::WEB_EXPOSURE,
        severity: Severity::High,
        title_vi: "Lộ thư mục mã nguồn .git",
        title_en: "Exposed .git repository",
        fix_vi: "Chặn truy cập /.git/ trên máy chủ web và không triển khai thư mục .git lên máy chủ; kiểm tra lịch sử mã nguồn có chứa mật khẩu không.",
        fix_en: "Deny access to /.git/ and do not deploy the .git folder; check the history for secrets.",
        matches: |r| r.status == 200 && r.body.contains("[core]") && not_html(&r.body),
    },
    PathProbe {
        path: "/.env",
        check: "web.exposed.env",
        category: category::WEB_EXPOSURE,
        severity: Severity::High,
        title_vi: "Lộ tệp cấu hình môi trường .env",
        title_en: "Exposed .env file",
        fix_vi: FIX_REMOVE_VI,
        fix_en: FIX_REMOVE_EN,
        matches: |r| {
            r.status == 200
                && not_html(&r.body)
                && r.body
                    .lines()
                    .filter(|l| {
                        let l = l.trim();
                        l.split_once('=').is_some_and(|(k, _)| {
                            !k.is_empty() && k.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                        })
                    })
                    .count()
                    >= 2
        },
    },
    PathProbe {
        path: "/.svn/entries",
        check: "web.exposed.svn",
        category: category::WEB_EXPOSURE,
        severity: Severity::Medium,
        title_vi: "Lộ thư mục mã nguồn .svn",
        title_en: "Exposed .svn folder",
        fix_vi: FIX_REMOVE_VI,
        fix_en: FIX_REMOVE_EN,
        matches: |r| r.status == 200 && not_html(&r.body) && r.body.trim_start().starts_with(|c: char| c.is_ascii_digit()) && r.body.contains("dir"),
    },
    PathProbe {
        path: "/backup.zip",
        check: "web.exposed.backup",
        category: category::WEB_EXPOSURE,
        severity: Severity::High,
        title_vi: "Lộ tệp sao lưu trên trang web",
        title_en: "Exposed backup file",
        fix_vi: FIX_REMOVE_VI,
        fix_en: FIX_REMOVE_EN,
        matches: |r| r.status == 200 && r.body.starts_with("PK\u{3}\u{4}"),
    },
    PathProbe {
        path: "/backup.sql",
        check: "web.exposed.sql",
        category: category::WEB_EXPOSURE,
        severity: Severity::High,
        title_vi: "Lộ tệp sao lưu cơ sở dữ liệu",
        title_en: "Exposed database dump",
        fix_vi: FIX_REMOVE_VI,
        fix_en: FIX_REMOVE_EN,
        matches: |r| r.status == 200 && not_html(&r.body) && (r.body.contains("CREATE TABLE") || r.body.contains("INSERT INTO")),
    },
    PathProbe {
        path: "/phpinfo.php",
        check: "web.exposed.phpinfo",
        category: category::WEB_EXPOSURE,
        severity: Severity::Medium,
        title_vi: "Lộ trang phpinfo()",
        title_en: "Exposed phpinfo() page",
        fix_vi: FIX_REMOVE_VI,
        fix_en: FIX_REMOVE_EN,
        matches: |r| r.status == 200 && r.body.contains("PHP Version") && r.body.contains("phpinfo"),
    },
    PathProbe {
        path: "/server-status",
        check: "web.exposed.server_status",
        category: category::WEB_EXPOSURE,
        severity: Severity::Medium,
        title_vi: "Lộ trang trạng thái Apache (server-status)",
        title_en: "Exposed Apache server-status",
        fix_vi: "Chỉ cho phép /server-status từ localhost (Require local).",
        fix_en: "Allow /server-status from localhost only (Require local).",
        matches: |r| r.status == 200 && r.body.contains("Apache Server Status"),
    },
    PathProbe {
        path: "/phpmyadmin/",
        check: "web.panel.phpmyadmin",
        category: category::WEB_EXPOSURE,
        severity: Severity::High,
        title_vi: "Trang phpMyAdmin truy cập được từ bên ngoài",
        title_en: "phpMyAdmin reachable from outside",
        fix_vi: FIX_PANEL_VI,
        fix_en: FIX_PANEL_EN,
        matches: |r| r.status == 200 && r.body.contains("phpMyAdmin"),
    },
    PathProbe {
        path: "/administrator/",
        check: "web.panel.joomla",
        category: category::WEB_EXPOSURE,
        severity: Severity::Low,
        title_vi: "Trang quản trị Joomla truy cập được từ bên ngoài",
        title_en: "Joomla administrator page reachable",
        fix_vi: FIX_PANEL_VI,
        fix_en: FIX_PANEL_EN,
        matches: |r| login_form(r) && r.body.contains("Joomla"),
    },
    PathProbe {
        path: "/wp-login.php",
        check: "web.panel.wordpress",
        category: category::WEB_EXPOSURE,
        severity: Severity::Low,
        title_vi: "Trang đăng nhập WordPress truy cập được từ bên ngoài",
        title_en: "WordPress login page reachable",
        fix_vi: FIX_PANEL_VI,
        fix_en: FIX_PANEL_EN,
        matches: |r| login_form(r) && r.body.contains("wp-submit"),
    },
    PathProbe {
        path: "/manager/html",
        check: "web.panel.tomcat",
        category: category::WEB_EXPOSURE,
        severity: Severity::High,
        title_vi: "Trang quản lý Tomcat truy cập được từ bên ngoài",
        title_en: "Tomcat manager reachable",
        fix_vi: FIX_PANEL_VI,
        fix_en: FIX_PANEL_EN,
        matches: |r| r.status == 401 && r.header("www-authenticate").is_some_and(|v| v.contains("Tomcat")),
    },
    PathProbe {
        path: "/admin/",
        check: "web.panel.admin",
        category: category::WEB_EXPOSURE,
        severity: Severity::Low,
        title_vi: "Trang quản trị truy cập được từ bên ngoài",
        title_en: "Admin page reachable from outside",
        fix_vi: FIX_PANEL_VI,
        fix_en: FIX_PANEL_EN,
        matches: login_form,
    },
    PathProbe {
        path: "/uploads/",
        check: "web.listing.uploads",
        category: category::WEB_EXPOSURE,
        severity: Severity::Medium,
        title_vi: "Liệt kê thư mục được bật (uploads)",
        title_en: "Directory listing enabled (uploads)",
        fix_vi: "Tắt liệt kê thư mục (Options -Indexes, autoindex off, directoryBrowse enabled=false).",
        fix_en: "Turn directory listing off (Options -Indexes, autoindex off, directoryBrowse enabled=false).",
        matches: listing,
    },
    PathProbe {
        path: "/files/",
        check: "web.listing.files",
        category: category::WEB_EXPOSURE,
        severity: Severity::Medium,
        title_vi: "Liệt kê thư mục được bật (files)",
        title_en: "Directory listing enabled (files)",
        fix_vi: "Tắt liệt kê thư mục (Options -Indexes, autoindex off, directoryBrowse enabled=false).",
        fix_en: "Turn directory listing off (Options -Indexes, autoindex off, directoryBrowse enabled=false).",
        matches: listing,
    },
];

/// Pages that give a product's version away, tried when the product was seen without one:
/// (path, (product, regex with the version in group 1)).
const VERSION_PAGES: &[(&str, (&str, &str))] = &[
    ("/feed/", ("WordPress", r"wordpress\.org/\?v=([\d.]+)")),
    (
        "/readme.html",
        (
            "WordPress",
            r"(?i)<br />\s*(?:version|phiên bản)\s*([\d.]+)",
        ),
    ),
    (
        "/administrator/manifests/files/joomla.xml",
        ("Joomla", r"<version>([\d.]+)</version>"),
    ),
    ("/CHANGELOG.txt", ("Drupal", r"Drupal ([\d.]+),")),
];

/// Products seen in the home page (generator tags, headers, cookies, markup).
fn fingerprint(home: &Response) -> Vec<Technology> {
    let mut out: Vec<Technology> = Vec::new();
    let body = &home.body;
    let generator = capture(
        r#"(?i)<meta[^>]+name=["']generator["'][^>]+content=["']([^"']+)["']"#,
        body,
    )
    .or_else(|| {
        capture(
            r#"(?i)<meta[^>]+content=["']([^"']+)["'][^>]+name=["']generator["']"#,
            body,
        )
    });
    let cookies: String = home
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect::<Vec<_>>()
        .join("; ");
    let mut add = |product: &str, version: Option<String>, cpe: &str, evidence: &str| {
        if out.iter().any(|t| t.product == product) {
            return;
        }
        let cpe = cpe.replace("{v}", version.as_deref().unwrap_or("*"));
        out.push(Technology {
            product: product.to_owned(),
            version,
            cpe,
            evidence: evidence.to_owned(),
        });
    };
    let gen = generator.as_deref().unwrap_or("");
    if gen.starts_with("WordPress")
        || body.contains("/wp-content/")
        || body.contains("/wp-includes/")
    {
        add(
            "WordPress",
            capture(r"WordPress ([\d.]+)", gen),
            "cpe:2.3:a:wordpress:wordpress:{v}:*:*:*:*:*:*:*",
            "generator / wp-content",
        );
    }
    if gen.starts_with("Joomla")
        || body.contains("/media/jui/")
        || body.contains("/media/system/js/")
    {
        add(
            "Joomla",
            None,
            "cpe:2.3:a:joomla:joomla\\!:{v}:*:*:*:*:*:*:*",
            "generator / media",
        );
    }
    let x_generator = home.header("x-generator").unwrap_or("");
    if gen.starts_with("Drupal")
        || x_generator.starts_with("Drupal")
        || body.contains("Drupal.settings")
    {
        let version =
            capture(r"Drupal ([\d.]+)", gen).or_else(|| capture(r"Drupal ([\d.]+)", x_generator));
        add(
            "Drupal",
            version,
            "cpe:2.3:a:drupal:drupal:{v}:*:*:*:*:*:*:*",
            "generator / X-Generator",
        );
    }
    if let Some(liferay) = home.header("liferay-portal") {
        add(
            "Liferay Portal",
            capture(r"Portal ([\d.]+)", liferay),
            "cpe:2.3:a:liferay:liferay_portal:{v}:*:*:*:*:*:*:*",
            "Liferay-Portal header",
        );
    } else if body.contains("Liferay.ThemeDisplay") || body.contains("/o/frontend-js-web/") {
        add(
            "Liferay Portal",
            None,
            "cpe:2.3:a:liferay:liferay_portal:{v}:*:*:*:*:*:*:*",
            "markup",
        );
    }
    if let Some(sharepoint) = home.header("microsoftsharepointteamservices") {
        add(
            "Microsoft SharePoint",
            capture(r"^([\d.]+)", sharepoint),
            "cpe:2.3:a:microsoft:sharepoint_server:{v}:*:*:*:*:*:*:*",
            "MicrosoftSharePointTeamServices header",
        );
    }
    if cookies.contains("dnn_IsMobile")
        || cookies.contains(".DOTNETNUKE")
        || body.contains("DNN Platform")
        || body.contains("/DesktopModules/")
    {
        add(
            "DotNetNuke",
            None,
            "cpe:2.3:a:dnnsoftware:dotnetnuke:{v}:*:*:*:*:*:*:*",
            "cookie / markup",
        );
    }
    if gen.contains("NukeViet") || body.contains("nv_base_siteurl") || body.contains("NukeViet") {
        add(
            "NukeViet",
            capture(r"NukeViet v?([\d.]+)", gen),
            "cpe:2.3:a:vinades:nukeviet:{v}:*:*:*:*:*:*:*",
            "generator / markup",
        );
    }
    if let Some(server) = home
        .header("server")
        .filter(|s| s.contains("Microsoft-IIS"))
    {
        add(
            "Microsoft IIS",
            capture(r"Microsoft-IIS/([\d.]+)", server),
            "cpe:2.3:a:microsoft:internet_information_services:{v}:*:*:*:*:*:*:*",
            "Server header",
        );
    }
    if let Some(aspnet) = home.header("x-aspnet-version") {
        add(
            "ASP.NET",
            Some(aspnet.trim().to_owned()),
            "cpe:2.3:a:microsoft:asp.net:{v}:*:*:*:*:*:*:*",
            "X-AspNet-Version header",
        );
    } else if home
        .header("x-powered-by")
        .is_some_and(|v| v.contains("ASP.NET"))
        || body.contains("__VIEWSTATE")
    {
        add(
            "ASP.NET",
            None,
            "cpe:2.3:a:microsoft:asp.net:{v}:*:*:*:*:*:*:*",
            "X-Powered-By / __VIEWSTATE",
        );
    }
    if body.contains("Telerik.Web.UI") {
        add(
            "Telerik UI for ASP.NET AJAX",
            capture(r"Telerik\.Web\.UI, Version=([\d.]+)", body),
            "cpe:2.3:a:telerik:ui_for_asp.net_ajax:{v}:*:*:*:*:*:*:*",
            "Telerik.Web.UI resources",
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{header, StatusCode};
    use axum::response::IntoResponse;
    use axum::routing::get;
    use axum::Router;
    use std::net::Ipv4Addr;

    async fn serve(router: Router) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        addr
    }

    fn checks(report: &WebReport) -> Vec<&str> {
        report.issues.iter().map(|i| i.check.as_str()).collect()
    }

    #[tokio::test]
    async fn a_weak_portal_shows_its_weaknesses_with_evidence() {
        let router = Router::new()
            .route(
                "/",
                get(|| async {
                    (
                        [
                            (header::SERVER, "Apache/2.4.49 (Unix)"),
                            (header::HeaderName::from_static("x-powered-by"), "PHP/7.4.3"),
                        ],
                        "<html><head><meta name=\"generator\" content=\"WordPress 6.1.1\"><title>Cổng thông tin điện tử tỉnh</title></head><body><link href=\"/wp-content/x.css\"></body></html>",
                    )
                }),
            )
            .route("/.git/config", get(|| async { "[core]\n\trepositoryformatversion = 0\n" }))
            .route("/.env", get(|| async { "APP_KEY=base64:abc\nDB_PASSWORD=secret\n" }))
            .route(
                "/uploads/",
                get(|| async { "<html><head><title>Index of /uploads</title></head><body></body></html>" }),
            )
            .fallback(|| async { (StatusCode::NOT_FOUND, "not found").into_response() });
        let addr = serve(router).await;
        let target = WebTarget {
            host: "127.0.0.1".into(),
            addr,
            tls: false,
        };
        let report = check(&target, &WebOptions::default()).await;
        let found = checks(&report);
        for expected in [
            "http.no_https_redirect",
            "http.header.content-security-policy",
            "http.header.x-frame-options",
            "http.banner.version",
            "web.exposed.git",
            "web.exposed.env",
            "web.listing.uploads",
            "web.tech.wordpress",
        ] {
            assert!(
                found.contains(&expected),
                "{expected} missing from {found:?}"
            );
        }
        // HSTS is only asked of HTTPS pages; the 404s are not findings.
        assert!(!found.contains(&"http.header.strict-transport-security"));
        assert!(!found.contains(&"web.exposed.backup"));
        let git = report
            .issues
            .iter()
            .find(|i| i.check == "web.exposed.git")
            .unwrap();
        assert_eq!(
            git.subject,
            format!("http://127.0.0.1:{}/.git/config", addr.port())
        );
        assert!(git.evidence.response.as_deref().unwrap().contains("[core]"));
        assert_eq!(git.severity, Severity::High);
        let wordpress = &report.technologies[0];
        assert_eq!(wordpress.version.as_deref(), Some("6.1.1"));
        assert_eq!(
            wordpress.cpe,
            "cpe:2.3:a:wordpress:wordpress:6.1.1:*:*:*:*:*:*:*"
        );
        assert_eq!(report.title.as_deref(), Some("Cổng thông tin điện tử tỉnh"));
        let banner = report
            .issues
            .iter()
            .find(|i| i.check == "http.banner.version")
            .unwrap();
        assert!(banner
            .evidence
            .extracted
            .contains(&"server: Apache/2.4.49 (Unix)".to_owned()));
    }

    #[tokio::test]
    async fn a_portal_that_answers_everything_raises_no_exposures() {
        let router = Router::new().fallback(|| async {
            (
                [
                    (
                        header::HeaderName::from_static("x-frame-options"),
                        "SAMEORIGIN",
                    ),
                    (
                        header::HeaderName::from_static("x-content-type-options"),
                        "nosniff",
                    ),
                    (
                        header::HeaderName::from_static("content-security-policy"),
                        "default-src 'self'",
                    ),
                    (
                        header::HeaderName::from_static("referrer-policy"),
                        "no-referrer",
                    ),
                    (
                        header::HeaderName::from_static("permissions-policy"),
                        "camera=()",
                    ),
                ],
                "<html><body>Trang chủ [core] APP_KEY=1\nDB=2\n CREATE TABLE</body></html>",
            )
        });
        let addr = serve(router).await;
        let target = WebTarget {
            host: "127.0.0.1".into(),
            addr,
            tls: false,
        };
        let report = check(&target, &WebOptions::default()).await;
        assert_eq!(checks(&report), vec!["http.no_https_redirect"]);
    }

    #[tokio::test]
    async fn a_redirect_to_https_is_not_a_finding() {
        let router = Router::new().fallback(|| async {
            (
                StatusCode::MOVED_PERMANENTLY,
                [(header::LOCATION, "https://portal.example/")],
            )
        });
        let addr = serve(router).await;
        let target = WebTarget {
            host: "127.0.0.1".into(),
            addr,
            tls: false,
        };
        let report = check(
            &target,
            &WebOptions {
                paths: false,
                ..WebOptions::default()
            },
        )
        .await;
        assert!(report.issues.is_empty(), "{:?}", checks(&report));
        assert_eq!(report.status, Some(301));
    }

    #[test]
    fn platforms_are_recognised_from_headers_and_markup() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "liferay-portal",
            "Liferay Community Edition Portal 7.4.3.112 CE GA112"
                .parse()
                .unwrap(),
        );
        headers.insert("server", "Microsoft-IIS/10.0".parse().unwrap());
        headers.insert("x-aspnet-version", "4.0.30319".parse().unwrap());
        headers.insert("set-cookie", "dnn_IsMobile=False; path=/".parse().unwrap());
        let response = Response {
            status: 200,
            headers,
            body: "<meta name=\"generator\" content=\"NukeViet v4.5\"><script src=\"/Telerik.Web.UI.WebResource.axd?d=x&t=Telerik.Web.UI, Version=2013.2.717.40\"></script>".into(),
            request: "GET /".into(),
        };
        let found = fingerprint(&response);
        let get = |p: &str| {
            found
                .iter()
                .find(|t| t.product == p)
                .and_then(|t| t.version.clone())
        };
        assert_eq!(get("Liferay Portal").as_deref(), Some("7.4.3.112"));
        assert_eq!(get("Microsoft IIS").as_deref(), Some("10.0"));
        assert_eq!(get("ASP.NET").as_deref(), Some("4.0.30319"));
        assert_eq!(get("NukeViet").as_deref(), Some("4.5"));
        assert_eq!(
            get("Telerik UI for ASP.NET AJAX").as_deref(),
            Some("2013.2.717.40")
        );
        assert!(found.iter().any(|t| t.product == "DotNetNuke"));
    }
}
