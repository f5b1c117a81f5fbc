//! The HTTP(S) check.

use std::sync::{Arc, Mutex};

use reqwest::redirect::Policy;
use reqwest::Method;
use url::Url;

use crate::conditions::Operand;
use crate::conditions::{Condition, Placeholder};
use crate::tls::Recorder;
use crate::{page, text, Session, Verdict};

/// Redirects followed at most.
const MAX_REDIRECTS: usize = 10;

/// Why a redirect was not followed.
#[derive(Debug, thiserror::Error)]
enum RedirectProblem {
    #[error("Chuyển hướng vòng lặp: {}", .0.join(" → "))]
    Loop(Vec<String>),
    #[error("Quá {MAX_REDIRECTS} lần chuyển hướng (lần cuối tới {0})")]
    TooMany(String),
}

pub(crate) async fn check(session: &mut Session<'_>, conditions: &[Condition]) -> Verdict {
    let url = match Url::parse(&session.input.target) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => url,
        _ => {
            return Verdict::fail(format!(
                "Địa chỉ sai: «{}» không phải URL http:// hoặc https://",
                session.input.target
            ))
        }
    };
    let method_name = session
        .input
        .settings
        .method
        .as_deref()
        .map(|m| m.trim().to_ascii_uppercase())
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| "GET".to_owned());
    let Ok(method) = Method::from_bytes(method_name.as_bytes()) else {
        return Verdict::fail(format!("Phương thức HTTP «{method_name}» không hợp lệ"));
    };
    let recorder = match session.trust().recorder() {
        Ok(recorder) => recorder,
        Err(message) => return Verdict::fail(message),
    };
    let tls = match recorder.client_config() {
        Ok(tls) => tls,
        Err(message) => return Verdict::fail(message),
    };
    let hops = Arc::new(Mutex::new(Vec::<String>::new()));
    let policy_hops = hops.clone();
    let client = reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .redirect(Policy::custom(move |attempt| {
            let next = attempt.url().to_string();
            let previous: Vec<String> = attempt.previous().iter().map(Url::to_string).collect();
            if previous.contains(&next) {
                let mut chain = previous;
                chain.push(next);
                attempt.error(RedirectProblem::Loop(chain))
            } else if previous.len() > MAX_REDIRECTS {
                attempt.error(RedirectProblem::TooMany(next))
            } else {
                if let Ok(mut hops) = policy_hops.lock() {
                    hops.push(next);
                }
                attempt.follow()
            }
        }))
        .user_agent(session.options.user_agent.clone())
        // A monitor checks the path from this probe, not through a proxy of the environment.
        .no_proxy()
        .build();
    let client = match client {
        Ok(client) => client,
        Err(error) => {
            return Verdict::fail(format!(
                "Không tạo được máy khách HTTP: {}",
                text::error_chain(&error)
            ))
        }
    };

    session.stage = Some(format!("đang gửi {method_name} {url}"));
    let sent = client.request(method.clone(), url.clone()).send().await;
    let redirects = hops.lock().map(|h| h.clone()).unwrap_or_default();
    if !redirects.is_empty() {
        session.detail("redirects", redirects);
    }
    let mut response = match sent {
        Ok(response) => response,
        Err(error) => {
            let message = describe_error(session, &error, &url, &recorder);
            return Verdict::fail(message);
        }
    };
    let status = response.status();
    let final_url = response.url().clone();
    session.context.connected = true;
    session.context.status = Some(status.as_u16());
    if let Some(address) = response.remote_addr() {
        session.context.ip = Some(address.ip().to_string());
    }
    session.detail("status", status.as_u16());
    if final_url != url {
        session.detail("final_url", final_url.to_string());
    }
    take_certificate(session, &recorder, &final_url);
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);

    session.stage = Some(format!(
        "đã nhận HTTP {}, đang đọc nội dung",
        status.as_u16()
    ));
    let limit = session.options.max_body_bytes;
    let mut body = Vec::new();
    let mut truncated = false;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = limit.saturating_sub(body.len());
                if chunk.len() > room {
                    body.extend_from_slice(&chunk[..room]);
                    truncated = true;
                    break;
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(error) => {
                session.measure();
                return Verdict::fail(format!(
                    "HTTP {}: lỗi khi đọc nội dung: {}",
                    status.as_u16(),
                    text::error_chain(&error)
                ));
            }
        }
    }
    drop(response);
    let latency = session.measure();
    session.detail("body_bytes", body.len());
    if truncated {
        session.detail("truncated", true);
        session.notes.push(format!(
            "Nội dung dài hơn {}, chỉ đọc {} đầu",
            text::bytes(limit),
            text::bytes(limit)
        ));
    }

    let settings = &session.input.settings;
    let needs_text = !settings.body_contains.is_empty()
        || !settings.body_not_contains.is_empty()
        || conditions.iter().any(mentions_body);
    if needs_text {
        let decoded = page::decode(&body, content_type.as_deref());
        session.context.body = Some(decoded.text);
    }

    let mut problems = Vec::new();
    if conditions.is_empty() && !(200..400).contains(&status.as_u16()) {
        problems.push("mã trạng thái ngoài khoảng 200–399".to_owned());
    }
    let body_text = session.context.body.as_deref().unwrap_or_default();
    for needle in &settings.body_contains {
        if !body_text.contains(needle.as_str()) {
            problems.push(format!("nội dung thiếu «{}»", text::clip(needle, 80)));
        }
    }
    for needle in &settings.body_not_contains {
        if body_text.contains(needle.as_str()) {
            problems.push(format!("nội dung có «{}»", text::clip(needle, 80)));
        }
    }
    problems.extend(session.failed_conditions(conditions));

    if let Some(defacement) = session.input.settings.defacement.clone() {
        if status.is_success() {
            let page_url = final_url.clone();
            let content_type = content_type.clone();
            let parsed = tokio::task::spawn_blocking(move || {
                page::snapshot(&body, content_type.as_deref(), &page_url, &defacement)
            })
            .await;
            match parsed {
                Ok(mut snapshot) => {
                    if truncated {
                        snapshot.notes.push(format!(
                            "Trang dài hơn {}, chỉ so sánh phần đầu",
                            text::bytes(limit)
                        ));
                    }
                    session.snapshot = Some(snapshot);
                }
                Err(error) => {
                    tracing::error!(%error, "page snapshot failed");
                    session
                        .notes
                        .push("Không phân tích được trang để so sánh giao diện".to_owned());
                }
            }
        }
    }

    let headline = format!("HTTP {} trong {} ms", status.as_u16(), latency.as_millis());
    Verdict::from_problems(headline, &problems)
}

fn mentions_body(condition: &Condition) -> bool {
    let is_body = |operand: &Operand| match operand {
        Operand::Placeholder(p) => *p == Placeholder::Body,
        Operand::Len(inner) => matches!(**inner, Operand::Placeholder(Placeholder::Body)),
        _ => false,
    };
    is_body(&condition.left) || is_body(&condition.right)
}

/// The certificate of an HTTPS exchange, for expiry alerts.
fn take_certificate(session: &mut Session<'_>, recorder: &Recorder, url: &Url) {
    if url.scheme() != "https" && recorder.seen().is_empty() {
        return;
    }
    let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']);
    if let Some((certificate, _)) = recorder.certificate_for(host) {
        session.set_certificate(certificate);
    }
}

fn describe_error(
    session: &mut Session<'_>,
    error: &reqwest::Error,
    url: &Url,
    recorder: &Recorder,
) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    let mut io_error = None;
    while let Some(cause) = source {
        if let Some(problem) = cause.downcast_ref::<RedirectProblem>() {
            return problem.to_string();
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            io_error.get_or_insert(io);
        }
        source = cause.source();
    }
    let refused = recorder.seen().into_iter().any(|s| s.error.is_some());
    let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']);
    if refused {
        if let Some((certificate, _)) = recorder.certificate_for(host) {
            let summary = certificate.summary();
            session.set_certificate(certificate);
            return summary;
        }
    }
    let chain = text::error_chain(error);
    if error.is_connect() {
        let port = url.port_or_known_default().unwrap_or(80);
        if chain.contains("dns error") {
            return format!("Không phân giải được tên máy {host}");
        }
        let reason = io_error.map_or(chain, crate::net::connect_error);
        return format!("Không kết nối được tới {host}:{port}: {reason}");
    }
    format!("Lỗi HTTP: {chain}")
}
