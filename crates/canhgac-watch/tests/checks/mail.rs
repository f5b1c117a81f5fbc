//! SMTP and IMAP checks against fake servers written here, plain and with STARTTLS.

use std::net::SocketAddr;
use std::sync::Arc;

use canhgac_model::MonitorKind;
use canhgac_watch::CheckOptions;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::support::{check, input, server_config, trusting, Pki};

#[derive(Clone, Copy, PartialEq)]
enum Protocol {
    Smtp,
    Imap,
}

/// How the fake server behaves.
#[derive(Clone)]
struct Script {
    protocol: Protocol,
    banner: &'static str,
    offer_starttls: bool,
    tls: Option<Arc<rustls::ServerConfig>>,
}

async fn start(script: Script) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let script = script.clone();
            tokio::spawn(async move {
                let mut reader = BufReader::new(socket);
                if reader.write_all(script.banner.as_bytes()).await.is_err() {
                    return;
                }
                if converse(&mut reader, &script, false).await == Some(true) {
                    let Some(config) = script.tls.clone() else {
                        return;
                    };
                    let Ok(tls) = TlsAcceptor::from(config).accept(reader.into_inner()).await
                    else {
                        return;
                    };
                    let mut reader = BufReader::new(tls);
                    converse(&mut reader, &script, true).await;
                }
            });
        }
    });
    addr
}

/// Answers commands until the client leaves (`None`) or STARTTLS is accepted (`Some(true)`).
async fn converse<S: AsyncRead + AsyncWrite + Unpin>(
    reader: &mut BufReader<S>,
    script: &Script,
    secure: bool,
) -> Option<bool> {
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        let reply: String = match script.protocol {
            Protocol::Smtp => {
                let verb = line
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_ascii_uppercase();
                match verb.as_str() {
                    "EHLO" if script.offer_starttls && !secure => {
                        "250-mail.test\r\n250-SIZE 10240000\r\n250 STARTTLS\r\n".into()
                    }
                    "EHLO" => "250-mail.test\r\n250 SIZE 10240000\r\n".into(),
                    "STARTTLS" => {
                        reader
                            .write_all(b"220 2.0.0 Ready to start TLS\r\n")
                            .await
                            .ok()?;
                        return Some(true);
                    }
                    "QUIT" => {
                        let _ = reader.write_all(b"221 Bye\r\n").await;
                        return None;
                    }
                    _ => "502 unknown\r\n".into(),
                }
            }
            Protocol::Imap => {
                let mut words = line.split_whitespace();
                let tag = words.next().unwrap_or("*").to_owned();
                let command = words.next().unwrap_or_default().to_ascii_uppercase();
                match command.as_str() {
                    "CAPABILITY" if script.offer_starttls && !secure => {
                        format!(
                            "* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n{tag} OK done\r\n"
                        )
                    }
                    "CAPABILITY" => {
                        format!("* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK done\r\n")
                    }
                    "STARTTLS" => {
                        reader
                            .write_all(format!("{tag} OK Begin TLS negotiation now\r\n").as_bytes())
                            .await
                            .ok()?;
                        return Some(true);
                    }
                    "LOGOUT" => {
                        let _ = reader
                            .write_all(format!("* BYE\r\n{tag} OK bye\r\n").as_bytes())
                            .await;
                        return None;
                    }
                    _ => format!("{tag} BAD unknown\r\n"),
                }
            }
        };
        reader.write_all(reply.as_bytes()).await.ok()?;
    }
}

#[tokio::test]
async fn smtp_banner_ehlo_and_starttls() {
    let pki = Pki::new();
    let options = trusting(&pki);
    let addr = start(Script {
        protocol: Protocol::Smtp,
        banner: "220 mail.test ESMTP ready\r\n",
        offer_starttls: true,
        tls: Some(server_config(pki.server(&["localhost"], -1, 20))),
    })
    .await;
    let target = format!("localhost:{}", addr.port());

    let mut monitor = input(MonitorKind::Smtp, &target);
    let outcome = check(&monitor, &options).await;
    assert!(outcome.result.ok, "{:?}", outcome.result);
    assert!(
        outcome.result.message.starts_with("SMTP trả lời trong "),
        "{}",
        outcome.result.message
    );
    assert_eq!(outcome.result.details["banner"], "mail.test ESMTP ready");
    assert_eq!(outcome.result.details["starttls_offered"], true);
    assert!(outcome.certificate.is_none());

    monitor.settings.starttls = true;
    monitor.settings.conditions = vec!["[BODY] == pat(*ESMTP*)".into()];
    let outcome = check(&monitor, &options).await;
    assert!(outcome.result.ok, "{:?}", outcome.result);
    let cert = outcome.certificate.expect("STARTTLS fills the certificate");
    assert!(cert.trusted && cert.hostname_matches);
    assert!(
        outcome.result.message.contains(&format!(
            ", TLS hợp lệ, chứng thư hết hạn sau {} ngày",
            cert.days_left
        )),
        "{}",
        outcome.result.message
    );

    // Without the province CA the STARTTLS certificate is refused and named.
    let outcome = check(&monitor, &CheckOptions::default()).await;
    assert!(!outcome.result.ok);
    assert!(
        outcome
            .result
            .message
            .starts_with("SMTP: Chứng thư không hợp lệ: chứng thư không được tin cậy"),
        "{}",
        outcome.result.message
    );
}

#[tokio::test]
async fn smtp_without_starttls_or_with_a_refusing_banner_fails() {
    let options = CheckOptions::default();
    let plain = start(Script {
        protocol: Protocol::Smtp,
        banner: "220-mail.test first line\r\n220 mail.test ready\r\n",
        offer_starttls: false,
        tls: None,
    })
    .await;
    let mut monitor = input(MonitorKind::Smtp, &format!("127.0.0.1:{}", plain.port()));
    assert!(check(&monitor, &options).await.result.ok);
    monitor.settings.starttls = true;
    let outcome = check(&monitor, &options).await;
    assert!(!outcome.result.ok);
    assert_eq!(
        outcome.result.message,
        "SMTP: máy chủ không đề nghị STARTTLS"
    );

    let busy = start(Script {
        protocol: Protocol::Smtp,
        banner: "554 5.3.2 too busy\r\n",
        offer_starttls: false,
        tls: None,
    })
    .await;
    let outcome = check(
        &input(MonitorKind::Smtp, &format!("127.0.0.1:{}", busy.port())),
        &options,
    )
    .await;
    assert!(!outcome.result.ok);
    assert_eq!(
        outcome.result.message,
        "SMTP: lời chào SMTP 554: 5.3.2 too busy"
    );
}

#[tokio::test]
async fn imap_banner_capability_and_starttls() {
    let pki = Pki::new();
    let options = trusting(&pki);
    let addr = start(Script {
        protocol: Protocol::Imap,
        banner: "* OK [CAPABILITY IMAP4rev1] Dovecot ready.\r\n",
        offer_starttls: true,
        tls: Some(server_config(pki.server(&["localhost"], -1, 200))),
    })
    .await;
    let mut monitor = input(MonitorKind::Imap, &format!("localhost:{}", addr.port()));
    monitor.settings.starttls = true;
    let outcome = check(&monitor, &options).await;
    assert!(outcome.result.ok, "{:?}", outcome.result);
    assert!(outcome.result.message.starts_with("IMAP trả lời trong "));
    assert!(outcome.certificate.unwrap().days_left >= 199);
    let capabilities = outcome.result.details["capabilities"].as_array().unwrap();
    assert!(capabilities.iter().any(|c| c == "STARTTLS"));

    let plain = start(Script {
        protocol: Protocol::Imap,
        banner: "* OK ready\r\n",
        offer_starttls: false,
        tls: None,
    })
    .await;
    let mut monitor = input(MonitorKind::Imap, &format!("127.0.0.1:{}", plain.port()));
    assert!(check(&monitor, &options).await.result.ok);
    monitor.settings.starttls = true;
    let outcome = check(&monitor, &options).await;
    assert_eq!(
        outcome.result.message,
        "IMAP: máy chủ không đề nghị STARTTLS"
    );

    let bye = start(Script {
        protocol: Protocol::Imap,
        banner: "* BYE too many connections\r\n",
        offer_starttls: false,
        tls: None,
    })
    .await;
    let outcome = check(
        &input(MonitorKind::Imap, &format!("127.0.0.1:{}", bye.port())),
        &options,
    )
    .await;
    assert!(!outcome.result.ok);
    assert_eq!(
        outcome.result.message,
        "IMAP: lời chào IMAP không phải OK: «* BYE too many connections»"
    );
}

#[tokio::test]
async fn a_silent_mail_server_times_out_saying_where() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let mut monitor = input(MonitorKind::Smtp, &format!("127.0.0.1:{}", addr.port()));
    monitor.timeout_secs = 1;
    let outcome = check(&monitor, &CheckOptions::default()).await;
    assert!(!outcome.result.ok);
    assert_eq!(
        outcome.result.message,
        "Hết thời gian chờ sau 1 giây (chờ lời chào SMTP)"
    );
}
