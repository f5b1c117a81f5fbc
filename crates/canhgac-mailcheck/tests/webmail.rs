//! Webmail probing against a real HTTP server on loopback serving our sample pages.
#![allow(clippy::unwrap_used)] // fixtures that fail should stop the test

use std::net::SocketAddr;

use canhgac_mailcheck::probe_webmail;
use canhgac_model::Severity;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves `pages` (path, extra headers, body) over HTTP/1.1; 404 for other paths.
async fn web_server(pages: Vec<(&'static str, &'static str, &'static str)>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let pages = pages.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buffer = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(read) => request.extend_from_slice(&buffer[..read]),
                    }
                }
                let request = String::from_utf8_lossy(&request);
                let path = request.split(' ').nth(1).unwrap_or_default().to_owned();
                let response = match pages.iter().find(|(p, _, _)| *p == path) {
                    Some((_, headers, body)) => format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    ),
                    None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .to_owned(),
                };
                let _ = stream.write_all(response.as_bytes()).await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn the_usual_pages_name_the_products() {
    let addr = web_server(vec![
        ("/", "", "<html><title>Cổng thông tin</title></html>"),
        (
            "/owa/auth/logon.aspx",
            "X-FEServer: EX01\r\n",
            include_str!("fixtures/owa_logon.html"),
        ),
        (
            "/webmail/",
            "Set-Cookie: roundcube_sessid=x; path=/\r\n",
            include_str!("fixtures/roundcube_login.html"),
        ),
    ])
    .await;
    let client = reqwest::Client::new();
    let found = probe_webmail(&client, &format!("http://{addr}")).await;
    let named: Vec<(&str, Option<&str>)> = found
        .iter()
        .map(|f| (f.product.product.as_str(), f.product.version.as_deref()))
        .collect();
    assert_eq!(
        named,
        [
            ("microsoft:exchange_server", Some("15.2.1118")),
            ("roundcube:webmail", Some("1.6.5"))
        ]
    );
    assert_eq!(found[0].url, format!("http://{addr}/owa/auth/logon.aspx"));
    let issue = found[1].issue("webmail.example.vn");
    assert_eq!(issue.severity, Severity::Informational);
    assert_eq!(issue.category, "fingerprint");
    assert_eq!(issue.evidence.extracted, ["roundcube:webmail 1.6.5"]);
}

#[tokio::test]
async fn a_site_without_webmail_names_nothing() {
    let addr = web_server(vec![("/", "", "<html><title>Sở Y tế</title></html>")]).await;
    let found = probe_webmail(&reqwest::Client::new(), &format!("http://{addr}/")).await;
    assert!(found.is_empty(), "{found:?}");
}
