//! One SMTP server seen from outside: banner, EHLO, STARTTLS, AUTH in clear, open relay.

use std::net::SocketAddr;
use std::time::Duration;

use canhgac_model::scan::{category, ScanEvidence, ScanIssue};
use canhgac_model::Severity;
use regex::Regex;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::{IssueText, ProductVersion};

/// The longest reply line read; longer ones are cut (a server must not fill our memory).
const LINE_CAP: usize = 2048;
/// The most lines of one multi-line reply.
const REPLY_LINES_CAP: usize = 100;

/// How [`check_smtp`] talks.
#[derive(Debug, Clone)]
pub struct SmtpOptions {
    /// Run the open-relay probe. The caller decides whether the target is in scope.
    pub relay_test: bool,
    /// The name sent in EHLO.
    pub ehlo_name: String,
    /// The outside sender of the relay probe.
    pub relay_from: String,
    /// The outside recipient of the relay probe (at a domain the server does not serve).
    pub relay_to: String,
    /// Timeout of the connection and of every reply.
    pub timeout: Duration,
}

impl Default for SmtpOptions {
    fn default() -> Self {
        SmtpOptions {
            relay_test: false,
            ehlo_name: "canhgac-scanner.invalid".to_owned(),
            // Reserved example domains (RFC 2606): nothing is ever delivered there, and the
            // probe never sends DATA anyway.
            relay_from: "relay-probe@example.com".to_owned(),
            relay_to: "relay-probe@example.net".to_owned(),
            timeout: Duration::from_secs(10),
        }
    }
}

/// What the relay probe saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayProbe {
    /// The server accepted the outside recipient (250/251): an open relay.
    pub accepted: bool,
    /// The dialogue, commands prefixed `C:` and replies `S:`.
    pub dialogue: String,
}

/// What one SMTP server showed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmtpReport {
    /// The address talked to.
    pub addr: SocketAddr,
    /// The host as the target named it.
    pub host: String,
    /// The greeting (all lines).
    pub banner: Option<String>,
    /// EHLO keywords with their parameters (`STARTTLS`, `AUTH PLAIN LOGIN`, `SIZE 10240000`).
    pub capabilities: Vec<String>,
    /// STARTTLS is advertised.
    pub starttls: bool,
    /// AUTH mechanisms offered before TLS.
    pub auth_in_clear: Vec<String>,
    /// The product the banner or EHLO greeting names.
    pub product: Option<ProductVersion>,
    /// The relay probe, when it ran.
    pub relay: Option<RelayProbe>,
    /// Why the conversation stopped early (refused, timeout, an error reply).
    pub error: Option<String>,
    /// The issues found.
    pub issues: Vec<ScanIssue>,
}

impl SmtpReport {
    /// The issues found.
    pub fn issues(&self) -> &[ScanIssue] {
        &self.issues
    }
}

/// A reply: the code and its text lines.
struct Reply {
    code: u16,
    lines: Vec<String>,
}

impl Reply {
    fn text(&self) -> String {
        self.lines
            .iter()
            .map(|line| format!("{} {line}", self.code))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

struct Conversation {
    stream: BufReader<TcpStream>,
    timeout: Duration,
    transcript: Vec<String>,
}

impl Conversation {
    async fn send(&mut self, command: &str) -> Result<Reply, String> {
        self.transcript.push(format!("C: {command}"));
        let line = format!("{command}\r\n");
        tokio::time::timeout(
            self.timeout,
            self.stream.get_mut().write_all(line.as_bytes()),
        )
        .await
        .map_err(|_| format!("hết thời gian gửi {command}"))?
        .map_err(|e| format!("không gửi được {command}: {e}"))?;
        self.reply().await
    }

    async fn reply(&mut self) -> Result<Reply, String> {
        let mut lines = Vec::new();
        loop {
            let mut raw = Vec::new();
            // Read up to a newline, bounded in time and length.
            let read = tokio::time::timeout(self.timeout, async {
                let mut limited = (&mut self.stream).take(LINE_CAP as u64);
                limited.read_until(b'\n', &mut raw).await
            })
            .await
            .map_err(|_| {
                format!(
                    "hết thời gian chờ trả lời sau {} giây",
                    self.timeout.as_secs()
                )
            })?
            .map_err(|e| format!("lỗi đọc trả lời: {e}"))?;
            if read == 0 {
                return Err("máy chủ đóng kết nối".to_owned());
            }
            let line = String::from_utf8_lossy(&raw).trim_end().to_owned();
            self.transcript.push(format!("S: {line}"));
            let code = line.get(..3).and_then(|c| c.parse::<u16>().ok());
            let Some(code) = code else {
                return Err(format!("trả lời không đúng SMTP: {line}"));
            };
            let more = line.as_bytes().get(3) == Some(&b'-');
            lines.push(line.get(4..).unwrap_or_default().to_owned());
            if !more || lines.len() >= REPLY_LINES_CAP {
                return Ok(Reply { code, lines });
            }
        }
    }
}

/// Talks to the SMTP server at `addr` (named `host` by the target) and judges what it offers.
/// Every read is bounded by `options.timeout`; the relay probe runs only when
/// `options.relay_test` is set, and never sends DATA.
pub async fn check_smtp(addr: SocketAddr, host: &str, options: &SmtpOptions) -> SmtpReport {
    let mut report = SmtpReport {
        addr,
        host: host.to_owned(),
        banner: None,
        capabilities: Vec::new(),
        starttls: false,
        auth_in_clear: Vec::new(),
        product: None,
        relay: None,
        error: None,
        issues: Vec::new(),
    };
    if let Err(error) = converse(addr, options, &mut report).await {
        report.error = Some(error);
    }
    judge(&mut report);
    report
}

async fn converse(
    addr: SocketAddr,
    options: &SmtpOptions,
    report: &mut SmtpReport,
) -> Result<(), String> {
    let stream = tokio::time::timeout(options.timeout, TcpStream::connect(addr))
        .await
        .map_err(|_| format!("hết thời gian kết nối tới {addr}"))?
        .map_err(|e| format!("không kết nối được tới {addr}: {e}"))?;
    let mut talk = Conversation {
        stream: BufReader::new(stream),
        timeout: options.timeout,
        transcript: Vec::new(),
    };
    let banner = talk
        .reply()
        .await
        .map_err(|e| format!("không nhận được lời chào: {e}"))?;
    report.banner = Some(banner.text());
    report.product = product_from_text(&banner.lines.join(" "), "banner");
    if banner.code != 220 {
        return Err(format!("máy chủ không nhận phiên: {}", banner.text()));
    }
    let ehlo = talk.send(&format!("EHLO {}", options.ehlo_name)).await?;
    if ehlo.code == 250 {
        if report.product.is_none() {
            report.product = ehlo
                .lines
                .first()
                .and_then(|l| product_from_text(l, "ehlo"));
        }
        report.capabilities = ehlo
            .lines
            .iter()
            .skip(1)
            .map(|l| l.trim().to_owned())
            .collect();
    } else {
        let helo = talk.send(&format!("HELO {}", options.ehlo_name)).await?;
        if helo.code != 250 {
            return Err(format!("máy chủ từ chối EHLO và HELO: {}", helo.text()));
        }
    }
    report.starttls = report
        .capabilities
        .iter()
        .any(|c| c.eq_ignore_ascii_case("STARTTLS"));
    report.auth_in_clear = report
        .capabilities
        .iter()
        .filter_map(|c| {
            let upper = c.to_ascii_uppercase();
            let rest = upper
                .strip_prefix("AUTH")
                .filter(|r| r.starts_with([' ', '=']))?;
            Some(
                rest[1..]
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect::<Vec<_>>(),
            )
        })
        .flatten()
        .fold(Vec::new(), |mut unique, mechanism| {
            // `AUTH LOGIN` and the old `AUTH=LOGIN` often both appear.
            if !unique.contains(&mechanism) {
                unique.push(mechanism);
            }
            unique
        });
    if options.relay_test {
        let start = talk.transcript.len();
        let from = talk
            .send(&format!("MAIL FROM:<{}>", options.relay_from))
            .await?;
        let mut accepted = false;
        if from.code == 250 {
            let rcpt = talk
                .send(&format!("RCPT TO:<{}>", options.relay_to))
                .await?;
            accepted = rcpt.code == 250 || rcpt.code == 251;
        }
        // Reset whatever the server holds; the probe never sends DATA.
        let _ = talk.send("RSET").await;
        report.relay = Some(RelayProbe {
            accepted,
            dialogue: talk.transcript[start..].join("\n"),
        });
    }
    let _ = talk.send("QUIT").await;
    Ok(())
}

/// Connects, greets and sends STARTTLS; on the server's 220 the stream is returned where the
/// TLS handshake begins, so TLS checks (protocol versions, ciphers, certificate) can run on
/// mail ports as on HTTPS. Every read is bounded by `timeout`.
pub async fn open_starttls(
    addr: SocketAddr,
    ehlo_name: &str,
    timeout: Duration,
) -> Result<TcpStream, String> {
    let stream = tokio::time::timeout(timeout, TcpStream::connect(addr))
        .await
        .map_err(|_| format!("hết thời gian kết nối tới {addr}"))?
        .map_err(|e| format!("không kết nối được tới {addr}: {e}"))?;
    let mut talk = Conversation {
        stream: BufReader::new(stream),
        timeout,
        transcript: Vec::new(),
    };
    let banner = talk.reply().await?;
    if banner.code != 220 {
        return Err(format!("máy chủ không nhận phiên: {}", banner.text()));
    }
    let ehlo = talk.send(&format!("EHLO {ehlo_name}")).await?;
    let offered = ehlo.code == 250
        && ehlo
            .lines
            .iter()
            .skip(1)
            .any(|l| l.trim().eq_ignore_ascii_case("STARTTLS"));
    if !offered {
        return Err("máy chủ không quảng bá STARTTLS".to_owned());
    }
    let ready = talk.send("STARTTLS").await?;
    if ready.code != 220 {
        return Err(format!("máy chủ từ chối STARTTLS: {}", ready.text()));
    }
    // Bytes already buffered after the 220 would be plaintext injected into TLS
    // (CVE-2011-0411 style); a well-behaved server sends nothing more.
    if !talk.stream.buffer().is_empty() {
        return Err("máy chủ gửi thêm dữ liệu sau 220 STARTTLS".to_owned());
    }
    Ok(talk.stream.into_inner())
}

fn judge(report: &mut SmtpReport) {
    let host = report.host.clone();
    let port = report.addr.port();
    let subject = format!("{host}:{port}/tcp");
    let banner = report.banner.clone().unwrap_or_default();
    let mut issues = Vec::new();
    if let Some(product) = &report.product {
        let mut evidence = ScanEvidence::banner(&banner);
        evidence.extracted = vec![match &product.version {
            Some(version) => format!("{} {version}", product.product),
            None => product.product.clone(),
        }];
        issues.push(
            IssueText {
                check: "mail.smtp.product",
                category: category::FINGERPRINT,
                severity: Severity::Informational,
                title_vi: format!("Máy chủ thư {subject} là {}", evidence.extracted[0]),
                title_en: format!("Mail server {subject} runs {}", evidence.extracted[0]),
                remediation_vi:
                    "Cập nhật phần mềm thư thường xuyên; có thể ẩn tên và phiên bản khỏi lời chào.",
                remediation_en:
                    "Keep the mail software up to date; the banner may hide product and version.",
            }
            .issue(&host, Some(port), &subject, evidence),
        );
    }
    // Judged only when EHLO was answered; a server that said nothing has nothing to judge.
    if report.banner.is_some() && report.error.is_none() {
        if !report.starttls && port != 465 {
            let submission = port == 587;
            let mut evidence = ScanEvidence::exchange("EHLO", &report.capabilities.join("\n"));
            evidence.extracted = report.capabilities.clone();
            issues.push(
                IssueText {
                    check: "mail.smtp.no_starttls",
                    category: category::MAIL_SERVER,
                    severity: if submission { Severity::High } else { Severity::Medium },
                    title_vi: format!("Máy chủ thư {subject} không hỗ trợ STARTTLS (thư truyền không mã hóa)"),
                    title_en: format!("Mail server {subject} does not offer STARTTLS"),
                    remediation_vi: if submission {
                        "Bật STARTTLS với chứng thư hợp lệ và bắt buộc TLS trước khi xác thực ở cổng 587."
                    } else {
                        "Bật STARTTLS với chứng thư hợp lệ để thư giữa các máy chủ được mã hóa."
                    },
                    remediation_en: if submission {
                        "Enable STARTTLS with a valid certificate and require TLS before AUTH on port 587."
                    } else {
                        "Enable STARTTLS with a valid certificate so server-to-server mail is encrypted."
                    },
                }
                .issue(&host, Some(port), &subject, evidence),
            );
        }
        if !report.auth_in_clear.is_empty() {
            let mut evidence = ScanEvidence::exchange("EHLO", &report.capabilities.join("\n"));
            evidence.extracted = report.auth_in_clear.clone();
            issues.push(
                IssueText {
                    check: "mail.smtp.auth_in_clear",
                    category: category::MAIL_SERVER,
                    severity: Severity::Medium,
                    title_vi: format!(
                        "Máy chủ thư {subject} cho đăng nhập ({}) khi chưa mã hóa",
                        report.auth_in_clear.join(" ")
                    ),
                    title_en: format!(
                        "Mail server {subject} offers AUTH ({}) before TLS",
                        report.auth_in_clear.join(" ")
                    ),
                    remediation_vi:
                        "Chỉ quảng bá AUTH sau STARTTLS (Postfix: smtpd_tls_auth_only = yes).",
                    remediation_en:
                        "Offer AUTH only after STARTTLS (Postfix: smtpd_tls_auth_only = yes).",
                }
                .issue(&host, Some(port), &subject, evidence),
            );
        }
    }
    if let Some(relay) = report.relay.as_ref().filter(|r| r.accepted) {
        let mut evidence = ScanEvidence::banner(&relay.dialogue);
        evidence.request = Some("MAIL FROM / RCPT TO (không gửi DATA)".to_owned());
        issues.push(
            IssueText {
                check: "mail.smtp.open_relay",
                category: category::MAIL_SERVER,
                severity: Severity::Critical,
                title_vi: format!("Máy chủ thư {subject} là open relay: nhận chuyển thư từ ngoài tới ngoài"),
                title_en: format!("Mail server {subject} is an open relay"),
                remediation_vi: "Chỉ nhận thư cho tên miền của mình hoặc từ người dùng đã xác thực (Postfix: smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination).",
                remediation_en: "Accept mail only for local domains or from authenticated users (Postfix: reject_unauth_destination).",
            }
            .issue(&host, Some(port), &subject, evidence),
        );
    }
    report.issues = issues;
}

/// Products known by their greeting, with the CPE name and how the version shows.
fn product_patterns() -> &'static [(Regex, &'static str)] {
    static PATTERNS: std::sync::OnceLock<Vec<(Regex, &'static str)>> = std::sync::OnceLock::new();
    PATTERNS.get_or_init(|| {
        [
            (
                r"(?i)\bzimbra\b(?:[^0-9]{0,40}(\d+\.\d+(?:\.\d+)?))?",
                "zimbra:collaboration",
            ),
            (r"(?i)\bpostfix\b", "postfix:postfix"),
            (r"(?i)\bexim\s+(\d+\.\d+(?:\.\d+)?)|\bexim\b", "exim:exim"),
            (
                r"(?i)microsoft esmtp mail service(?:, version: (\d+\.\d+\.\d+(?:\.\d+)?))?",
                "microsoft:exchange_server",
            ),
            (
                r"(?i)\bsendmail\s+(\d+\.\d+\.\d+)|\bsendmail\b",
                "sendmail:sendmail",
            ),
            (r"(?i)\bhmailserver\b", "hmailserver:hmailserver"),
            (
                r"(?i)\bmdaemon\b(?:[^0-9]{0,20}(\d+\.\d+\.\d+))?",
                "alt-n:mdaemon",
            ),
            (r"(?i)\bopensmtpd\b", "openbsd:opensmtpd"),
        ]
        .into_iter()
        .filter_map(|(pattern, product)| Regex::new(pattern).ok().map(|r| (r, product)))
        .collect()
    })
}

/// The product a greeting names, if any.
fn product_from_text(text: &str, seen_in: &str) -> Option<ProductVersion> {
    product_patterns().iter().find_map(|(pattern, product)| {
        let captures = pattern.captures(text)?;
        let version = captures
            .iter()
            .skip(1)
            .flatten()
            .next()
            .map(|m| m.as_str().to_owned());
        Some(ProductVersion {
            product: (*product).to_owned(),
            version,
            seen_in: seen_in.to_owned(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greetings_name_products() {
        let cases = [
            (
                "mail.example.vn ESMTP Postfix (Debian/GNU)",
                "postfix:postfix",
                None,
            ),
            (
                "mx.example.vn ESMTP Exim 4.96 Thu, 26 Nov 2026",
                "exim:exim",
                Some("4.96"),
            ),
            (
                "EX01.example.vn Microsoft ESMTP MAIL Service ready at Thu, 26 Nov 2026",
                "microsoft:exchange_server",
                None,
            ),
            (
                "mail.example.vn ESMTP Zimbra MTA",
                "zimbra:collaboration",
                None,
            ),
            (
                "mail.example.vn ESMTP Sendmail 8.15.2/8.15.2; Thu",
                "sendmail:sendmail",
                Some("8.15.2"),
            ),
        ];
        for (text, product, version) in cases {
            let found = product_from_text(text, "banner").unwrap();
            assert_eq!(found.product, product, "{text}");
            assert_eq!(found.version.as_deref(), version, "{text}");
        }
        assert!(product_from_text("mail.example.vn ESMTP ready", "banner").is_none());
    }

    fn plain_report(port: u16) -> SmtpReport {
        SmtpReport {
            addr: SocketAddr::from(([192, 0, 2, 25], port)),
            host: "mail.example.vn".into(),
            banner: Some("220 mail.example.vn ESMTP".into()),
            capabilities: vec!["SIZE 10240000".into(), "8BITMIME".into()],
            starttls: false,
            auth_in_clear: Vec::new(),
            product: None,
            relay: None,
            error: None,
            issues: Vec::new(),
        }
    }

    #[test]
    fn missing_starttls_is_high_on_submission_medium_on_relay_ports() {
        let severity = |port| {
            let mut report = plain_report(port);
            judge(&mut report);
            report
                .issues
                .iter()
                .find(|i| i.check == "mail.smtp.no_starttls")
                .map(|i| i.severity)
        };
        assert_eq!(severity(587), Some(Severity::High));
        assert_eq!(severity(25), Some(Severity::Medium));
        // Port 465 speaks TLS from the first byte: STARTTLS is not expected there.
        assert_eq!(severity(465), None);
        let mut with_tls = plain_report(587);
        with_tls.starttls = true;
        judge(&mut with_tls);
        assert!(with_tls.issues.is_empty());
    }
}
