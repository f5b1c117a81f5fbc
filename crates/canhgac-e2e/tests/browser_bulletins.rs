//! Awareness bulletins in a real browser (issue 8): headless Debian Chromium against the real
//! `canhgac serve`, with a real SMTP server (Debian's aiosmtpd) on loopback.
//!
//! The admin adds a unit and two officials through the console, sends a bulletin with the form,
//! sees both officials pending; one official opens their emailed link and confirms; the
//! bulletin's page shows who confirmed; "Nhắc lại" writes only to the other; the outbox page
//! ("Hộp thư đi") shows the three emails sent.
//!
//! Skips (printing `SKIPPED: ...`) when Chromium, chromedriver or aiosmtpd is missing, unless
//! `CANHGAC_REQUIRE_SERVICES=1`. Screenshots go to `target/e2e-artifacts/`.

mod browser_support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use browser_support::{
    body_text, click_and_wait, create_unit, fill, form_with, record_path, set_up_admin, submit,
    wait_for_path, Artifacts,
};
use canhgac_e2e::Canhgac;
use fantoccini::{Client, Locator};

const UNIT: &str = "Sở Thông tin và Truyền thông thử nghiệm";
const TITLE: &str = "Cảnh giác thư giả mạo dịp nghỉ lễ";
const ARTIFACTS: Artifacts = Artifacts {
    names: &[
        "bulletins-detail.png",
        "bulletins-confirm.png",
        "bulletins-reminded.png",
        "bulletins-outbox.png",
        "bulletins-failure.png",
        "bulletins-failure.html",
    ],
    failure: ("bulletins-failure.png", "bulletins-failure.html"),
};

const PYTHON: &str = "/usr/bin/python3";

/// aiosmtpd writing each message to a directory as JSON (the email channel's test sink).
struct Sink {
    child: Child,
    inbox: tempfile::TempDir,
    port: u16,
}

impl Sink {
    fn start() -> Option<Sink> {
        let available = Command::new(PYTHON)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !available {
            canhgac_store::testing::skip_for_missing_service(
                "aiosmtpd",
                "apt-get install python3-aiosmtpd",
            );
            return None;
        }
        let port = canhgac_e2e::free_port().expect("a free port");
        let inbox = tempfile::tempdir().expect("a temporary directory");
        let script = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../canhgac-respond/tests/fixtures/smtp_sink.py");
        let mut child = Command::new(PYTHON)
            .arg(script)
            .arg(port.to_string())
            .arg(inbox.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("aiosmtpd starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("aiosmtpd prints");
        assert_eq!(line.trim(), "ready");
        Some(Sink { child, inbox, port })
    }

    /// The messages received, oldest first, once there are at least `count`.
    async fn wait_for(&self, count: usize) -> Result<Vec<serde_json::Value>> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let mut files: Vec<PathBuf> = std::fs::read_dir(self.inbox.path())?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            files.sort();
            if files.len() >= count {
                return files
                    .iter()
                    .map(|p| Ok(serde_json::from_str(&std::fs::read_to_string(p)?)?))
                    .collect();
            }
            ensure!(
                Instant::now() < deadline,
                "{} of {count} emails arrived",
                files.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulletin_sent_confirmed_and_reminded_in_chromium() {
    let Some(sink) = Sink::start() else { return };
    let port = sink.port.to_string();
    browser_support::drive(
        &ARTIFACTS,
        &[
            ("CANHGAC_SMTP__HOST", "127.0.0.1"),
            ("CANHGAC_SMTP__PORT", &port),
            ("CANHGAC_SMTP__SECURITY", "none"),
            ("CANHGAC_SMTP__FROM", "canhgac@stttt.example.gov.vn"),
            ("CANHGAC_OUTBOX__POLL", "1s"),
        ],
        async |server: &Canhgac, client: &Client| walk_through(server, client, &sink).await,
    )
    .await;
}

async fn add_contact(
    server: &Canhgac,
    client: &Client,
    unit: &str,
    name: &str,
    email: &str,
) -> Result<()> {
    client
        .goto(&server.url(&format!("/contacts/new?unit_id={unit}")))
        .await?;
    let form = form_with(client, "email").await?;
    fill(client, &form, "unit_id", unit).await?;
    fill(client, &form, "name", name).await?;
    fill(client, &form, "email", email).await?;
    submit(&form).await?;
    wait_for_path(client, "the new contact's page", |p| {
        record_path(p, "contacts")
    })
    .await?;
    Ok(())
}

fn link_of(mail: &serde_json::Value) -> Result<String> {
    mail["text"]
        .as_str()
        .unwrap_or_default()
        .lines()
        .find(|l| l.contains("/bulletins/confirm/"))
        .map(|l| l.trim().to_owned())
        .context("no confirmation link in the email")
}

async fn walk_through(server: &Canhgac, client: &Client, sink: &Sink) -> Result<()> {
    // 1. The admin, a unit and two officials with addresses, through the forms.
    set_up_admin(server, client).await?;
    let unit = create_unit(server, client, UNIT).await?;
    add_contact(
        server,
        client,
        &unit,
        "Nguyễn Văn An",
        "an@stttt.example.gov.vn",
    )
    .await?;
    add_contact(
        server,
        client,
        &unit,
        "Trần Thị Bình",
        "binh@stttt.example.gov.vn",
    )
    .await?;

    // 2. The bulletin, from the navigation's "Bản tin ATTT" to the form.
    client.goto(&server.url("/")).await?;
    let nav = client
        .find(Locator::Css(r#"nav a[href="/bulletins"]"#))
        .await
        .context("no Bản tin ATTT in the navigation")?;
    click_and_wait(client, nav).await?;
    let send = client
        .find(Locator::Css(r#"a[href="/bulletins/new"]"#))
        .await
        .context("no Gửi bản tin button")?;
    click_and_wait(client, send).await?;
    let form = form_with(client, "unit_ids").await?;
    fill(client, &form, "title", TITLE).await?;
    fill(
        client,
        &form,
        "body",
        "Không mở tệp đính kèm lạ.\n\nBáo ngay cho bộ phận CNTT khi nghi ngờ.",
    )
    .await?;
    fill(client, &form, "unit_ids", &unit).await?;
    submit(&form).await?;
    let bulletin = wait_for_path(client, "the bulletin's page", |p| {
        record_path(p, "bulletins")
    })
    .await?;
    let text = body_text(client).await?;
    ensure!(
        text.contains(TITLE) && text.contains("0/2") && text.contains("Nguyễn Văn An"),
        "the bulletin page should list both officials, none confirmed:\n{text}"
    );

    // 3. Both emails arrive; An opens the link and confirms with the button.
    let mails = sink.wait_for(2).await?;
    let an = mails
        .iter()
        .find(|m| m["rcpt_tos"][0] == "an@stttt.example.gov.vn")
        .context("An's email")?;
    client.goto(&link_of(an)?).await?;
    ensure!(body_text(client)
        .await?
        .contains("Không mở tệp đính kèm lạ."));
    let confirm = client.find(Locator::Id("confirm")).await?;
    click_and_wait(client, confirm).await?;
    let thanks = body_text(client).await?;
    ensure!(
        thanks.contains("Xin cảm ơn Nguyễn Văn An"),
        "thank-you page:\n{thanks}"
    );
    ARTIFACTS
        .screenshot(client, "bulletins-confirm.png")
        .await?;

    // 4. The bulletin page: 1 of 2, An confirmed, Bình not, both emails sent.
    client.goto(&server.url(&bulletin)).await?;
    let text = body_text(client).await?;
    ensure!(text.contains("1/2"), "one of two confirmed:\n{text}");
    let an_row = client
        .find(Locator::Css(
            r#"tr[data-recipient="an@stttt.example.gov.vn"]"#,
        ))
        .await?;
    ensure!(an_row.attr("data-state").await?.as_deref() == Some("confirmed"));
    let binh_row = client
        .find(Locator::Css(
            r#"tr[data-recipient="binh@stttt.example.gov.vn"]"#,
        ))
        .await?;
    ensure!(binh_row.attr("data-state").await?.as_deref() == Some("pending"));
    ensure!(
        binh_row.text().await?.contains("Đã gửi"),
        "Bình's email is shown as sent"
    );
    ARTIFACTS.screenshot(client, "bulletins-detail.png").await?;

    // 5. "Nhắc lại": one reminder, to Bình only.
    let remind = client
        .find(Locator::XPath("//button[normalize-space()='Nhắc lại']"))
        .await
        .context("no Nhắc lại button")?;
    click_and_wait(client, remind).await?;
    let notice = client.find(Locator::Id("reminded")).await?.text().await?;
    ensure!(notice.ends_with('1'), "one reminder queued: {notice}");
    ARTIFACTS
        .screenshot(client, "bulletins-reminded.png")
        .await?;
    let mails = sink.wait_for(3).await?;
    ensure!(mails[2]["rcpt_tos"][0] == "binh@stttt.example.gov.vn");
    ensure!(mails[2]["subject"]
        .as_str()
        .unwrap_or_default()
        .starts_with("[Nhắc lại]"));

    // 6. The outbox shows the three emails, sent.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        client.goto(&server.url("/outbox")).await?;
        let sent = client
            .find(Locator::Css(r#"[data-count="sent"]"#))
            .await?
            .text()
            .await?;
        if sent == "3" {
            break;
        }
        ensure!(Instant::now() < deadline, "outbox shows {sent} sent");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let rows = client.find_all(Locator::Css("#outbox tbody tr")).await?;
    ensure!(rows.len() == 3, "three messages in the outbox");
    ARTIFACTS.screenshot(client, "bulletins-outbox.png").await?;
    Ok(())
}
