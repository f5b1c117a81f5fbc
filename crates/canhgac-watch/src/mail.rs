//! SMTP and IMAP checks: banner, EHLO / CAPABILITY, STARTTLS. Ports 465 (SMTP) and 993 (IMAP)
//! speak TLS from the first byte.

use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader,
};

use crate::conditions::Condition;
use crate::net::{connect, handshake, host_port};
use crate::{text, Session, Verdict};

/// Longest line read from a server.
const LINE_CAP: u64 = 4096;
/// Most lines in one reply.
const REPLY_LINES_CAP: usize = 100;
/// Name sent in EHLO.
const EHLO_NAME: &str = "canhgac.invalid";

/// One line, without its line ending.
async fn read_line<R: AsyncBufRead + Unpin>(reader: &mut R) -> Result<String, String> {
    let mut line = Vec::new();
    let read = (&mut *reader)
        .take(LINE_CAP)
        .read_until(b'\n', &mut line)
        .await
        .map_err(|e| format!("lỗi khi đọc: {}", crate::net::connect_error(&e)))?;
    if read == 0 {
        return Err("máy chủ đóng kết nối".to_owned());
    }
    if !line.ends_with(b"\n") {
        return Err(format!("dòng trả lời dài quá {LINE_CAP} byte"));
    }
    Ok(String::from_utf8_lossy(&line)
        .trim_end_matches(['\r', '\n'])
        .to_owned())
}

async fn send<W: AsyncWrite + Unpin>(writer: &mut W, line: &str) -> Result<(), String> {
    writer
        .write_all(format!("{line}\r\n").as_bytes())
        .await
        .map_err(|e| format!("lỗi khi gửi {line}: {}", crate::net::connect_error(&e)))?;
    writer
        .flush()
        .await
        .map_err(|e| format!("lỗi khi gửi {line}: {}", crate::net::connect_error(&e)))
}

/// An SMTP reply: code and text lines.
async fn smtp_reply<R: AsyncBufRead + Unpin>(reader: &mut R) -> Result<(u16, Vec<String>), String> {
    let mut lines = Vec::new();
    loop {
        let line = read_line(reader).await?;
        let code = line
            .get(..3)
            .and_then(|c| c.parse::<u16>().ok())
            .ok_or_else(|| format!("trả lời SMTP không hợp lệ: «{}»", text::clip(&line, 80)))?;
        let last = line.as_bytes().get(3) != Some(&b'-');
        lines.push(line.get(4..).unwrap_or_default().to_owned());
        if last {
            return Ok((code, lines));
        }
        if lines.len() >= REPLY_LINES_CAP {
            return Err("trả lời SMTP quá dài".to_owned());
        }
    }
}

/// SMTP: a 220 banner, EHLO, and STARTTLS when asked.
pub(crate) async fn check_smtp(session: &mut Session<'_>, conditions: &[Condition]) -> Verdict {
    let (host, port) = match host_port(&session.input.target, Some(25)) {
        Ok(target) => target,
        Err(problem) => return Verdict::fail(format!("Địa chỉ sai: {problem}")),
    };
    session.detail("port", port);
    let stream = match connect(session, &host, port).await {
        Ok(stream) => stream,
        Err(message) => return Verdict::fail(message),
    };
    let result = if port == 465 {
        match handshake(session, stream, &host).await {
            Ok(tls) => smtp_session(session, BufReader::new(tls), None).await,
            Err(message) => Err(message),
        }
    } else {
        smtp_session(session, BufReader::new(stream), Some(&host)).await
    };
    session.measure();
    finish(session, conditions, result, "SMTP")
}

/// The SMTP conversation; `starttls_host` when the connection is plain and may be upgraded.
async fn smtp_session<S>(
    session: &mut Session<'_>,
    mut reader: BufReader<S>,
    starttls_host: Option<&str>,
) -> Result<String, String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    session.stage = Some("chờ lời chào SMTP".to_owned());
    let (code, banner) = smtp_reply(&mut reader).await?;
    let banner_text = banner.join(" ");
    session.context.body = Some(banner_text.clone());
    session.detail("banner", banner_text.clone());
    if code != 220 {
        return Err(format!(
            "lời chào SMTP {code}: {}",
            text::clip(&banner_text, 120)
        ));
    }
    session.stage = Some("chờ trả lời EHLO".to_owned());
    send(&mut reader, &format!("EHLO {EHLO_NAME}")).await?;
    let (code, lines) = smtp_reply(&mut reader).await?;
    if code != 250 {
        return Err(format!(
            "EHLO bị từ chối ({code}: {})",
            text::clip(&lines.join(" "), 120)
        ));
    }
    let capabilities: Vec<String> = lines.iter().skip(1).map(|l| l.trim().to_owned()).collect();
    session.detail("capabilities", capabilities.clone());
    let offers_starttls = capabilities
        .iter()
        .any(|c| c.eq_ignore_ascii_case("STARTTLS"));
    session.detail("starttls_offered", offers_starttls);
    let wants_tls = session.input.settings.starttls;
    let Some(host) = starttls_host.filter(|_| wants_tls) else {
        let _ = send(&mut reader, "QUIT").await;
        return Ok(banner_text);
    };
    if !offers_starttls {
        return Err("máy chủ không đề nghị STARTTLS".to_owned());
    }
    session.stage = Some("chờ trả lời STARTTLS".to_owned());
    send(&mut reader, "STARTTLS").await?;
    let (code, lines) = smtp_reply(&mut reader).await?;
    if code != 220 {
        return Err(format!(
            "STARTTLS bị từ chối ({code}: {})",
            text::clip(&lines.join(" "), 120)
        ));
    }
    let stream = plain_stream(reader)?;
    let tls = handshake(session, stream, host).await?;
    let mut reader = BufReader::new(tls);
    send(&mut reader, &format!("EHLO {EHLO_NAME}")).await?;
    let (code, _) = smtp_reply(&mut reader).await?;
    if code != 250 {
        return Err(format!("EHLO sau STARTTLS bị từ chối ({code})"));
    }
    let _ = send(&mut reader, "QUIT").await;
    Ok(banner_text)
}

/// The connection under a reader, refusing bytes sent before the TLS handshake (they would be
/// read as if protected: the STARTTLS injection attack).
fn plain_stream<S: AsyncRead>(reader: BufReader<S>) -> Result<S, String> {
    if !reader.buffer().is_empty() {
        return Err("máy chủ gửi dữ liệu thừa trước khi bắt tay TLS".to_owned());
    }
    Ok(reader.into_inner())
}

/// IMAP: an OK banner, CAPABILITY, and STARTTLS when asked.
pub(crate) async fn check_imap(session: &mut Session<'_>, conditions: &[Condition]) -> Verdict {
    let (host, port) = match host_port(&session.input.target, Some(143)) {
        Ok(target) => target,
        Err(problem) => return Verdict::fail(format!("Địa chỉ sai: {problem}")),
    };
    session.detail("port", port);
    let stream = match connect(session, &host, port).await {
        Ok(stream) => stream,
        Err(message) => return Verdict::fail(message),
    };
    let result = if port == 993 {
        match handshake(session, stream, &host).await {
            Ok(tls) => imap_session(session, BufReader::new(tls), None).await,
            Err(message) => Err(message),
        }
    } else {
        imap_session(session, BufReader::new(stream), Some(&host)).await
    };
    session.measure();
    finish(session, conditions, result, "IMAP")
}

/// Lines up to the tagged completion; the completion's status (`OK`, `NO`, `BAD`) and the
/// untagged lines.
async fn imap_command<S>(
    reader: &mut BufReader<S>,
    tag: &str,
    command: &str,
) -> Result<(String, Vec<String>), String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    send(reader, &format!("{tag} {command}")).await?;
    let mut untagged = Vec::new();
    loop {
        let line = read_line(reader).await?;
        if let Some(rest) = line.strip_prefix(tag).and_then(|r| r.strip_prefix(' ')) {
            let status = rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_ascii_uppercase();
            return Ok((status, untagged));
        }
        untagged.push(line);
        if untagged.len() >= REPLY_LINES_CAP {
            return Err(format!("trả lời IMAP cho {command} quá dài"));
        }
    }
}

fn imap_capabilities(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|l| {
            let upper = l.to_ascii_uppercase();
            let at = upper.find("CAPABILITY ")?;
            let rest = &l[at + "CAPABILITY ".len()..];
            let rest = rest.split(']').next().unwrap_or_default();
            Some(
                rest.split_whitespace()
                    .map(str::to_owned)
                    .collect::<Vec<_>>(),
            )
        })
        .flatten()
        .collect()
}

async fn imap_session<S>(
    session: &mut Session<'_>,
    mut reader: BufReader<S>,
    starttls_host: Option<&str>,
) -> Result<String, String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    session.stage = Some("chờ lời chào IMAP".to_owned());
    let banner = read_line(&mut reader).await?;
    session.context.body = Some(banner.clone());
    session.detail("banner", banner.clone());
    let upper = banner.to_ascii_uppercase();
    if !(upper.starts_with("* OK") || upper.starts_with("* PREAUTH")) {
        return Err(format!(
            "lời chào IMAP không phải OK: «{}»",
            text::clip(&banner, 120)
        ));
    }
    session.stage = Some("chờ trả lời CAPABILITY".to_owned());
    let (status, lines) = imap_command(&mut reader, "a1", "CAPABILITY").await?;
    if status != "OK" {
        return Err(format!("CAPABILITY bị từ chối ({status})"));
    }
    let capabilities = imap_capabilities(&lines);
    let offers_starttls = capabilities
        .iter()
        .any(|c| c.eq_ignore_ascii_case("STARTTLS"));
    session.detail("capabilities", capabilities);
    session.detail("starttls_offered", offers_starttls);
    let wants_tls = session.input.settings.starttls;
    let Some(host) = starttls_host.filter(|_| wants_tls) else {
        let _ = send(&mut reader, "a9 LOGOUT").await;
        return Ok(banner);
    };
    if !offers_starttls {
        return Err("máy chủ không đề nghị STARTTLS".to_owned());
    }
    session.stage = Some("chờ trả lời STARTTLS".to_owned());
    let (status, _) = imap_command(&mut reader, "a2", "STARTTLS").await?;
    if status != "OK" {
        return Err(format!("STARTTLS bị từ chối ({status})"));
    }
    let stream = plain_stream(reader)?;
    let tls = handshake(session, stream, host).await?;
    let mut reader = BufReader::new(tls);
    let (status, _) = imap_command(&mut reader, "a3", "CAPABILITY").await?;
    if status != "OK" {
        return Err(format!("CAPABILITY sau STARTTLS bị từ chối ({status})"));
    }
    let _ = send(&mut reader, "a9 LOGOUT").await;
    Ok(banner)
}

fn finish(
    session: &mut Session<'_>,
    conditions: &[Condition],
    result: Result<String, String>,
    protocol: &str,
) -> Verdict {
    let ms = session.latency_ms();
    match result {
        Ok(_banner) => {
            let mut headline = format!("{protocol} trả lời trong {ms} ms");
            if let Some(certificate) = &session.certificate {
                headline.push_str(&format!(
                    ", TLS hợp lệ, chứng thư hết hạn sau {} ngày ({})",
                    certificate.days_left,
                    text::date(certificate.not_after)
                ));
            }
            let failed = session.failed_conditions(conditions);
            Verdict::from_problems(headline, &failed)
        }
        Err(problem) => Verdict::fail(format!("{protocol}: {problem}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn smtp_replies_span_lines() {
        let mut input: &[u8] = b"250-mail.example.vn\r\n250-SIZE 1000\r\n250 STARTTLS\r\n";
        let (code, lines) = smtp_reply(&mut input).await.unwrap();
        assert_eq!(code, 250);
        assert_eq!(lines, vec!["mail.example.vn", "SIZE 1000", "STARTTLS"]);
        let mut input: &[u8] = b"hello\r\n";
        assert!(smtp_reply(&mut input).await.is_err());
        let mut input: &[u8] = b"250-unterminated";
        assert!(smtp_reply(&mut input).await.is_err());
    }

    #[test]
    fn imap_capabilities_come_from_untagged_and_banner_lines() {
        let lines = vec![
            "* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED".to_owned(),
            "* OK [CAPABILITY IMAP4rev1 IDLE] ready".to_owned(),
        ];
        let caps = imap_capabilities(&lines);
        assert!(caps.contains(&"STARTTLS".to_owned()));
        assert!(caps.contains(&"IDLE".to_owned()));
    }
}
