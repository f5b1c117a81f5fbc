//! Connections shared by the checks (targets, TCP connect, TLS handshake) and the TCP and TLS
//! checks themselves.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use crate::conditions::Condition;
use crate::{Session, Verdict};

/// `host:port`, `[v6]:port`, `v6`, or `host` with the kind's default port.
pub(crate) fn host_port(target: &str, default_port: Option<u16>) -> Result<(String, u16), String> {
    let target = target.trim();
    let missing_port = || format!("«{target}» cần có cổng, ví dụ {target}:443");
    let bad_port = |p: &str| format!("cổng «{p}» không hợp lệ");
    if let Some(rest) = target.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("thiếu dấu ] trong «{target}»"))?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().map_err(|_| bad_port(p))?,
            None if after.is_empty() => default_port.ok_or_else(missing_port)?,
            None => return Err(format!("không đọc được «{target}»")),
        };
        return Ok((host.to_owned(), port));
    }
    if target.matches(':').count() > 1 {
        // A bare IPv6 address.
        return Ok((target.to_owned(), default_port.ok_or_else(missing_port)?));
    }
    match target.split_once(':') {
        Some((host, port)) if !host.is_empty() => {
            Ok((host.to_owned(), port.parse().map_err(|_| bad_port(port))?))
        }
        Some(_) => Err(format!("«{target}» thiếu tên máy")),
        None if target.is_empty() => Err("thiếu tên máy".to_owned()),
        None => Ok((target.to_owned(), default_port.ok_or_else(missing_port)?)),
    }
}

/// Connects to the first address of `host` that answers.
pub(crate) async fn connect(
    session: &mut Session<'_>,
    host: &str,
    port: u16,
) -> Result<TcpStream, String> {
    session.stage = Some(format!("đang phân giải tên {host}"));
    let addresses: Vec<SocketAddr> = match tokio::net::lookup_host((host, port)).await {
        Ok(addresses) => addresses.collect(),
        Err(error) => return Err(format!("Không phân giải được tên máy {host}: {error}")),
    };
    if addresses.is_empty() {
        return Err(format!("Không phân giải được tên máy {host}"));
    }
    let mut last_error = String::new();
    for address in &addresses {
        session.stage = Some(format!("đang kết nối tới {address}"));
        match TcpStream::connect(address).await {
            Ok(stream) => {
                session.context.connected = true;
                session.context.ip = Some(address.ip().to_string());
                session.stage = Some(format!("đã kết nối tới {address}"));
                return Ok(stream);
            }
            Err(error) => last_error = connect_error(&error),
        }
    }
    Err(format!(
        "Không kết nối được tới {host}:{port}: {last_error}"
    ))
}

/// An I/O error of a connection attempt, in Vietnamese where it is a common one.
pub(crate) fn connect_error(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::ConnectionRefused => "kết nối bị từ chối (cổng đóng)".to_owned(),
        io::ErrorKind::ConnectionReset => "kết nối bị ngắt".to_owned(),
        io::ErrorKind::HostUnreachable => "không tới được máy".to_owned(),
        io::ErrorKind::NetworkUnreachable => "không tới được mạng".to_owned(),
        io::ErrorKind::TimedOut => "hết thời gian kết nối".to_owned(),
        _ => error.to_string(),
    }
}

/// A TLS handshake naming `host` (SNI); the certificate shown is kept in the session, also
/// when it is refused.
pub(crate) async fn handshake<S>(
    session: &mut Session<'_>,
    stream: S,
    host: &str,
) -> Result<TlsStream<S>, String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let recorder = session.trust().recorder()?;
    let config = recorder.client_config()?;
    let name = ServerName::try_from(host.to_owned())
        .map_err(|_| format!("«{host}» không phải tên máy hợp lệ cho TLS"))?;
    session.stage = Some("đang bắt tay TLS".to_owned());
    let result = TlsConnector::from(Arc::new(config))
        .connect(name, stream)
        .await;
    if let Some((certificate, _)) = recorder.certificate_for(host) {
        session.set_certificate(certificate);
    }
    match result {
        Ok(stream) => {
            session.stage = Some("đã bắt tay TLS".to_owned());
            Ok(stream)
        }
        Err(error) => Err(match &session.certificate {
            Some(certificate) if !certificate.valid() => certificate.summary(),
            _ => format!("Bắt tay TLS thất bại: {}", crate::text::error_chain(&error)),
        }),
    }
}

/// The port accepts a connection.
pub(crate) async fn check_tcp(session: &mut Session<'_>, conditions: &[Condition]) -> Verdict {
    let (host, port) = match host_port(&session.input.target, None) {
        Ok(target) => target,
        Err(problem) => return Verdict::fail(format!("Địa chỉ sai: {problem}")),
    };
    session.detail("port", port);
    let connected = connect(session, &host, port).await;
    let latency = session.measure();
    match connected {
        Ok(_stream) => {
            let failed = session.failed_conditions(conditions);
            Verdict::from_problems(
                format!("Cổng {port} mở, kết nối trong {} ms", latency.as_millis()),
                &failed,
            )
        }
        Err(message) => {
            session.latency = None;
            // `[CONNECTED] == false` watches a port that must stay closed.
            if !conditions.is_empty() && session.failed_conditions(conditions).is_empty() {
                return Verdict {
                    ok: true,
                    message: format!("{message} (đúng như điều kiện)"),
                };
            }
            Verdict::fail(message)
        }
    }
}

/// The TLS certificate: trusted, for this host, not expired.
pub(crate) async fn check_tls(session: &mut Session<'_>, conditions: &[Condition]) -> Verdict {
    let (host, port) = match host_port(&session.input.target, Some(443)) {
        Ok(target) => target,
        Err(problem) => return Verdict::fail(format!("Địa chỉ sai: {problem}")),
    };
    session.detail("port", port);
    let stream = match connect(session, &host, port).await {
        Ok(stream) => stream,
        Err(message) => return Verdict::fail(message),
    };
    let result = handshake(session, stream, &host).await;
    session.measure();
    if let Err(message) = result {
        return Verdict::fail(message);
    }
    let Some(certificate) = session.certificate.clone() else {
        return Verdict::fail("Máy chủ không gửi chứng thư".to_owned());
    };
    if !certificate.valid() {
        return Verdict::fail(certificate.summary());
    }
    let failed = session.failed_conditions(conditions);
    Verdict::from_problems(certificate.summary(), &failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_read_with_and_without_ports() {
        assert_eq!(
            host_port("mail.x.vn", Some(25)),
            Ok(("mail.x.vn".into(), 25))
        );
        assert_eq!(
            host_port("mail.x.vn:587", Some(25)),
            Ok(("mail.x.vn".into(), 587))
        );
        assert_eq!(host_port("[::1]:993", None), Ok(("::1".into(), 993)));
        assert_eq!(host_port("[::1]", Some(443)), Ok(("::1".into(), 443)));
        assert_eq!(
            host_port("2001:db8::1", Some(443)),
            Ok(("2001:db8::1".into(), 443))
        );
        assert!(host_port("10.0.0.1", None).unwrap_err().contains("cổng"));
        assert!(host_port("10.0.0.1:http", None).is_err());
        assert!(host_port(":80", None).is_err());
        assert!(host_port("[::1", Some(1)).is_err());
    }
}
