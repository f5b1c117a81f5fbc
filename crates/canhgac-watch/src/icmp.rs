//! The ICMP check: echo requests through an unprivileged ping socket (Linux
//! `net.ipv4.ping_group_range`), or a raw socket where the process holds CAP_NET_RAW.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use tokio::net::UdpSocket;

use crate::conditions::Condition;
use crate::{Session, Verdict};

/// Echo requests sent at most, one a second, until one is answered.
const ATTEMPTS: u16 = 3;

const NO_PERMISSION: &str = "Không có quyền gửi ping (ICMP): cấp quyền CAP_NET_RAW cho tiến trình (ví dụ AmbientCapabilities=CAP_NET_RAW trong dịch vụ systemd) hoặc đặt sysctl net.ipv4.ping_group_range để bao gồm nhóm của tiến trình";

/// How the socket delivers replies.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Ping socket: no IP header, the kernel owns the identifier.
    Datagram,
    /// Raw socket: IPv4 replies carry the IP header; every ICMP message arrives.
    Raw,
}

pub(crate) async fn check(session: &mut Session<'_>, conditions: &[Condition]) -> Verdict {
    let host = session
        .input
        .target
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    session.stage = Some(format!("đang phân giải tên {host}"));
    let ip = match host.parse::<IpAddr>() {
        Ok(ip) => ip,
        Err(_) => match tokio::net::lookup_host((host.as_str(), 0)).await {
            Ok(mut addresses) => match addresses.next() {
                Some(address) => address.ip(),
                None => return Verdict::fail(format!("Không phân giải được tên máy {host}")),
            },
            Err(error) => {
                return Verdict::fail(format!("Không phân giải được tên máy {host}: {error}"))
            }
        },
    };
    session.context.ip = Some(ip.to_string());
    let (socket, kind) = match open(ip) {
        Ok(opened) => opened,
        Err(error) if error.kind() == io::ErrorKind::PermissionDenied => {
            return Verdict::fail(NO_PERMISSION.to_owned())
        }
        Err(error) => return Verdict::fail(format!("Không mở được socket ICMP: {error}")),
    };
    session.detail(
        "socket",
        if kind == Kind::Datagram {
            "datagram"
        } else {
            "raw"
        },
    );
    let identifier: u16 = rand::random();
    let token: [u8; 8] = rand::random();
    session.stage = Some(format!("chờ phản hồi ping từ {ip}"));
    let mut buffer = vec![0u8; 2048];
    let mut sent_at = Vec::new();
    let mut next_send = Instant::now();
    let reply = loop {
        if sent_at.len() < usize::from(ATTEMPTS) && Instant::now() >= next_send {
            let sequence = sent_at.len() as u16 + 1;
            let packet = echo_request(ip.is_ipv4(), identifier, sequence, &token);
            if let Err(error) = socket.send(&packet).await {
                return Verdict::fail(format!("Không gửi được ping tới {ip}: {error}"));
            }
            sent_at.push(Instant::now());
            next_send = Instant::now() + Duration::from_secs(1);
        }
        let wait = next_send.saturating_duration_since(Instant::now());
        let received = if sent_at.len() < usize::from(ATTEMPTS) {
            match tokio::time::timeout(wait, socket.recv(&mut buffer)).await {
                Ok(received) => received,
                Err(_) => continue,
            }
        } else {
            // The check's own timeout bounds the last wait.
            socket.recv(&mut buffer).await
        };
        let read = match received {
            Ok(read) => read,
            Err(error) => return Verdict::fail(format!("Lỗi khi nhận phản hồi ping: {error}")),
        };
        if let Some(sequence) = echo_reply(&buffer[..read], ip.is_ipv4(), kind, identifier, &token)
        {
            if let Some(at) = sent_at.get(usize::from(sequence).wrapping_sub(1)) {
                break (sequence, at.elapsed());
            }
        }
    };
    let (sequence, rtt) = reply;
    session.context.connected = true;
    session.set_latency(rtt);
    session.detail("sequence", sequence);
    let failed = session.failed_conditions(conditions);
    Verdict::from_problems(
        format!(
            "Ping {ip}: phản hồi trong {} ms",
            format!("{:.1}", rtt.as_secs_f64() * 1000.0).replace('.', ",")
        ),
        &failed,
    )
}

/// A ping socket, or a raw socket when ping sockets are not allowed.
fn open(ip: IpAddr) -> io::Result<(UdpSocket, Kind)> {
    let (domain, protocol) = if ip.is_ipv4() {
        (Domain::IPV4, Protocol::ICMPV4)
    } else {
        (Domain::IPV6, Protocol::ICMPV6)
    };
    let (socket, kind) = match Socket::new(domain, Type::DGRAM, Some(protocol)) {
        Ok(socket) => (socket, Kind::Datagram),
        Err(datagram_error) => match Socket::new(domain, Type::RAW, Some(protocol)) {
            Ok(socket) => (socket, Kind::Raw),
            // Report the ping socket's refusal: it is the one a sysctl can allow.
            Err(_) => return Err(datagram_error),
        },
    };
    socket.set_nonblocking(true)?;
    socket.connect(&SockAddr::from(SocketAddr::new(ip, 0)))?;
    let socket = UdpSocket::from_std(std::net::UdpSocket::from(socket))?;
    Ok((socket, kind))
}

fn echo_request(v4: bool, identifier: u16, sequence: u16, token: &[u8; 8]) -> Vec<u8> {
    let mut packet = vec![if v4 { 8 } else { 128 }, 0, 0, 0];
    packet.extend_from_slice(&identifier.to_be_bytes());
    packet.extend_from_slice(&sequence.to_be_bytes());
    packet.extend_from_slice(token);
    if v4 {
        // ICMPv6 checksums cover a pseudo-header; the kernel fills them in.
        let sum = checksum(&packet);
        packet[2..4].copy_from_slice(&sum.to_be_bytes());
    }
    packet
}

/// The sequence number of an echo reply to us.
fn echo_reply(
    packet: &[u8],
    v4: bool,
    kind: Kind,
    identifier: u16,
    token: &[u8; 8],
) -> Option<u16> {
    let icmp = if v4 && kind == Kind::Raw {
        let header = usize::from(packet.first()? & 0x0f) * 4;
        packet.get(header..)?
    } else {
        packet
    };
    let reply_type = if v4 { 0 } else { 129 };
    if icmp.len() < 16 || icmp[0] != reply_type || icmp[1] != 0 {
        return None;
    }
    // Ping sockets replace the identifier with their own; raw sockets see every reply.
    if kind == Kind::Raw && icmp[4..6] != identifier.to_be_bytes() {
        return None;
    }
    if &icmp[8..16] != token {
        return None;
    }
    Some(u16::from_be_bytes([icmp[6], icmp[7]]))
}

fn checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for pair in bytes.chunks(2) {
        let word = u16::from_be_bytes([pair[0], pair.get(1).copied().unwrap_or(0)]);
        sum += u32::from(word);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_carry_a_valid_checksum_and_replies_are_matched() {
        let token = [1, 2, 3, 4, 5, 6, 7, 8];
        let request = echo_request(true, 0x1234, 2, &token);
        assert_eq!(
            checksum(&request),
            0,
            "a packet with its checksum sums to zero"
        );
        let mut reply = request.clone();
        reply[0] = 0;
        assert_eq!(echo_reply(&reply, true, Kind::Datagram, 0, &token), Some(2));
        let mut raw = vec![0x45; 1];
        raw.extend_from_slice(&[0u8; 19]);
        raw.extend_from_slice(&reply);
        assert_eq!(echo_reply(&raw, true, Kind::Raw, 0x1234, &token), Some(2));
        assert_eq!(echo_reply(&raw, true, Kind::Raw, 0x9999, &token), None);
        assert_eq!(echo_reply(&reply, true, Kind::Datagram, 0, &[0; 8]), None);
        assert_eq!(echo_reply(&request, true, Kind::Datagram, 0, &token), None);
        assert_eq!(echo_reply(&[0x45], true, Kind::Raw, 0, &token), None);
    }
}
