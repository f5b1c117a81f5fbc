//! Awareness bulletins: the email each official receives, with a personal confirmation link, and
//! the automatic reminders.
//!
//! The link is `{public_url}/bulletins/confirm/{token}` with a random 256-bit token; the store
//! keeps only its SHA-256 ([`token_hash`]). A random token rather than an HMAC-signed one with
//! an expiry: it needs no signing key to configure, keep secret and rotate; it can be revoked by
//! deleting its row; and an official who opens the mail weeks later can still confirm. The
//! bulletin and each reminder carry a fresh token, and every link sent keeps working.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use canhgac_model::bulletin::{BulletinAddressee, BulletinMail};
use canhgac_model::{Actor, Timestamp};
use canhgac_store::Store;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};
use tokio::sync::Notify;

/// Path of confirmation links under the public URL; the token follows.
pub const CONFIRM_PATH: &str = "/bulletins/confirm/";

/// The SHA-256 (hex) of a link token, as the store keeps it.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether `token` looks like one this module issues (43 URL-safe base64 characters); other
/// input is refused before it reaches the store.
pub fn is_token(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Writes bulletin emails (Vietnamese) with their personal links.
#[derive(Debug, Clone)]
pub struct BulletinMailer {
    public_url: String,
}

impl BulletinMailer {
    /// A mailer whose links start with `public_url` (e.g. `https://canhgac.example.gov.vn`).
    pub fn new(public_url: &str) -> Self {
        Self {
            public_url: public_url.trim().trim_end_matches('/').to_string(),
        }
    }

    /// The link carrying `token`.
    pub fn link(&self, token: &str) -> String {
        format!("{}{CONFIRM_PATH}{token}", self.public_url)
    }

    /// Writes the email of one addressee with a fresh token.
    pub fn write(&self, to: &BulletinAddressee<'_>) -> BulletinMail {
        let token = new_token();
        let link = self.link(&token);
        let subject = if to.reminder == 0 {
            format!("[Bản tin ATTT] {}", to.title)
        } else {
            format!("[Nhắc lại] [Bản tin ATTT] {}", to.title)
        };
        let reminder_text = if to.reminder == 0 {
            String::new()
        } else {
            "Đây là thư nhắc lại: chúng tôi chưa nhận được xác nhận đã đọc của anh/chị.\n\n"
                .to_string()
        };
        let body_text = format!(
            "Kính gửi {name} ({unit}),\n\n{reminder_text}{title}\n\n{body}\n\n\
             Đề nghị anh/chị xác nhận đã đọc bản tin này bằng cách mở đường dẫn sau:\n{link}\n\n\
             Đường dẫn dành riêng cho anh/chị, xin không chuyển tiếp thư này.\n",
            name = to.name,
            unit = to.unit_name,
            title = to.title,
            body = to.body,
        );
        let paragraphs: String = to
            .body
            .split("\n\n")
            .map(|p| format!("<p>{}</p>", escape_html(p).replace('\n', "<br>")))
            .collect();
        let reminder_html = if to.reminder == 0 {
            String::new()
        } else {
            "<p><em>Đây là thư nhắc lại: chúng tôi chưa nhận được xác nhận đã đọc của anh/chị.</em></p>"
                .to_string()
        };
        let body_html = format!(
            "<!doctype html><html lang=\"vi\"><body>\
             <p>Kính gửi {name} ({unit}),</p>{reminder_html}<h2>{title}</h2>{paragraphs}\
             <p>Đề nghị anh/chị xác nhận đã đọc bản tin này: \
             <a href=\"{link}\">Tôi đã đọc bản tin</a></p>\
             <p><small>Đường dẫn dành riêng cho anh/chị, xin không chuyển tiếp thư này.</small></p>\
             </body></html>",
            name = escape_html(to.name),
            unit = escape_html(to.unit_name),
            title = escape_html(to.title),
            link = escape_html(&link),
        );
        BulletinMail {
            token_hash: token_hash(&token),
            subject,
            body_text,
            body_html: Some(body_html),
        }
    }
}

/// Queues the automatic reminders of bulletins that ask for them, every `every`, until
/// `shutdown`; wakes `outbox` when something was queued.
pub async fn run_reminders(
    store: Arc<dyn Store>,
    mailer: BulletinMailer,
    max_reminders: u32,
    every: Duration,
    outbox: Arc<Notify>,
    shutdown: impl Future<Output = ()> + Send,
) {
    tokio::pin!(shutdown);
    let actor = Actor::system("nhắc lại tự động");
    loop {
        match store
            .bulletins_due_for_reminder(Timestamp::now(), max_reminders)
            .await
        {
            Ok(ids) => {
                for id in ids {
                    let write = |to: &BulletinAddressee<'_>| mailer.write(to);
                    match store.remind_bulletin(&actor, id, &write).await {
                        Ok(n) if n > 0 => {
                            tracing::info!(
                                bulletin = id,
                                reminders = n,
                                "bulletin reminders queued"
                            );
                            outbox.notify_one();
                        }
                        Ok(_) => {}
                        Err(e) => tracing::warn!(bulletin = id, error = %e, "reminders failed"),
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot look for due reminders"),
        }
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn each_mail_gets_its_own_link_and_only_the_hash_is_handed_over() {
        let mailer = BulletinMailer::new("https://canhgac.example.vn/");
        let to = BulletinAddressee {
            bulletin_id: 7,
            title: "Cảnh báo <lừa đảo>",
            body: "Đoạn một.\n\nĐoạn hai & ba.",
            name: "Nguyễn Văn An",
            unit_name: "Sở A",
            reminder: 0,
        };
        let a = mailer.write(&to);
        let b = mailer.write(&to);
        assert_ne!(a.token_hash, b.token_hash);
        assert_eq!(a.subject, "[Bản tin ATTT] Cảnh báo <lừa đảo>");
        let link_line = a
            .body_text
            .lines()
            .find(|l| l.starts_with("https://"))
            .unwrap();
        let token = link_line
            .strip_prefix("https://canhgac.example.vn/bulletins/confirm/")
            .unwrap();
        assert!(is_token(token));
        assert_eq!(token_hash(token), a.token_hash);
        assert!(!a.body_text.contains(&a.token_hash));
        let html = a.body_html.unwrap();
        assert!(html.contains("Cảnh báo &lt;lừa đảo&gt;"));
        assert!(html.contains("<p>Đoạn hai &amp; ba.</p>"));
        assert!(html.contains(link_line));
        let reminder = mailer.write(&BulletinAddressee { reminder: 1, ..to });
        assert!(reminder.subject.starts_with("[Nhắc lại]"));
        assert!(!is_token("../../etc/passwd"));
    }
}
