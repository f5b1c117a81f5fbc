//! Scans on the server in a real browser (issue 4, "Done when"): headless Debian Chromium
//! against the real `canhgac serve` with its scan worker, a deliberately weak portal served by
//! the test on 127.0.0.77 (no security headers, an exposed `/.git/config`), and a real SMTP
//! server (aiosmtpd) on 127.0.0.1.
//!
//! The admin puts the portal and the mail server in the inventory, adds the portal's default
//! schedules in one click, scans the portal from "Rà quét ngay", sees the findings with their
//! evidence, removes `/.git/config` from the portal, scans again and sees that finding fixed
//! ("Đã khắc phục"); scans the mail server and sees its SMTP service; and an officer of another
//! unit sees none of these scans.
//!
//! Skips (printing `SKIPPED: ...`) when Chromium, chromedriver or aiosmtpd is missing, unless
//! `CANHGAC_REQUIRE_SERVICES=1`. Screenshots go to `target/e2e-artifacts/`.

mod browser_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use browser_support::{
    body_text, click_and_wait, create_system, create_unit, current_path, drive, fill, form_with,
    record_path, set_up_admin, submit, wait_for_path, Artifacts,
};
use canhgac_e2e::Canhgac;
use fantoccini::{Client, Locator};

const PYTHON: &str = "/usr/bin/python3";
const UNIT: &str = "Sở Thông tin và Truyền thông thử nghiệm";
const OTHER_UNIT: &str = "Sở Tài chính thử nghiệm";
const PORTAL: &str = "Cổng thông tin điện tử thử nghiệm";
const MAIL: &str = "Hệ thống thư điện tử công vụ thử nghiệm";
const OFFICER: &str = "can-bo-tai-chinh";
const OFFICER_PASSWORD: &str = "Tai-Chinh-Xanh-2026-bao-mat";
/// The portal's address: its own loopback address, so the scan meets nothing else.
const PORTAL_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 77);
const GIT_TITLE: &str = "Lộ thư mục mã nguồn .git";
const GIT_TITLE_EN: &str = "Exposed .git repository";
const ARTIFACTS: Artifacts = Artifacts {
    names: &[
        "scan-run.png",
        "scan-finding.png",
        "scan-fixed.png",
        "scan-failure.png",
        "scan-failure.html",
    ],
    failure: ("scan-failure.png", "scan-failure.html"),
};

const HOME: &str = r#"<!doctype html><html lang="vi"><head><meta charset="utf-8">
<title>Cổng thông tin điện tử thử nghiệm</title></head>
<body><h1>Cổng thông tin điện tử thử nghiệm</h1><p>Tin tức, thông báo.</p></body></html>"#;

const GIT_CONFIG: &str = "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\
[remote \"origin\"]\n\turl = https://git.example.gov.vn/cong/portal.git\n";

/// A real SMTP server (aiosmtpd) on 127.0.0.1, killed on drop.
struct Smtp {
    child: Child,
    port: u16,
    _inbox: tempfile::TempDir,
}

impl Smtp {
    fn start() -> Option<Smtp> {
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
        Some(Smtp {
            child,
            port,
            _inbox: inbox,
        })
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portal_and_mail_scans_findings_and_a_fix_in_chromium() {
    let Some(smtp) = Smtp::start() else { return };
    let git_exposed = Arc::new(AtomicBool::new(true));
    let portal = start_portal(Arc::clone(&git_exposed));
    drive(
        &ARTIFACTS,
        &[
            ("CANHGAC_SCAN__ENABLED", "true"),
            ("CANHGAC_SCAN__POLL", "500ms"),
        ],
        async |server: &Canhgac, client: &Client| {
            walk_through(server, client, &portal, &git_exposed, smtp.port).await
        },
    )
    .await;
}

/// A weak portal on [`PORTAL_IP`]: a home page without security headers, and `/.git/config`
/// while `git_exposed` holds; anything else is a 404. Returns its URL.
fn start_portal(git_exposed: Arc<AtomicBool>) -> String {
    let listener = TcpListener::bind((PORTAL_IP, 0)).expect("binding 127.0.0.77:0");
    let addr = listener.local_addr().expect("the portal's address");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let exposed = git_exposed.load(Ordering::SeqCst);
            // A scanner that hangs up mid-request is its own problem; the next one is served.
            let _ = answer(stream, exposed);
        }
    });
    format!("http://{addr}/")
}

fn answer(mut stream: TcpStream, git_exposed: bool) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut request = Vec::new();
    let mut chunk = [0_u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 64 * 1024 {
        let read = stream.read(&mut chunk)?;
        if read == 0 {
            break;
        }
        request.extend_from_slice(&chunk[..read]);
    }
    let head = String::from_utf8_lossy(&request);
    let path = head.split_whitespace().nth(1).unwrap_or("/");
    let (status, kind, body) = match path {
        "/" => ("200 OK", "text/html; charset=utf-8", HOME),
        "/.git/config" if git_exposed => ("200 OK", "text/plain", GIT_CONFIG),
        _ => ("404 Not Found", "text/plain", "not found"),
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\ncontent-type: {kind}\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}

async fn add_asset(
    server: &Canhgac,
    client: &Client,
    system_id: &str,
    kind: &str,
    value: &str,
) -> Result<()> {
    client
        .goto(&server.url(&format!("/assets/new?system_id={system_id}")))
        .await?;
    let form = form_with(client, "value").await?;
    fill(client, &form, "system_id", system_id).await?;
    fill(client, &form, "kind", kind).await?;
    fill(client, &form, "value", value).await?;
    submit(&form).await?;
    wait_for_path(client, "the new asset's page", |p| record_path(p, "assets")).await?;
    Ok(())
}

/// Starts a scan from "Rà quét ngay" on `/scans`; returns the run's path.
async fn scan_now(
    server: &Canhgac,
    client: &Client,
    system: Option<&str>,
    targets: &str,
    profile: &str,
) -> Result<String> {
    client.goto(&server.url("/scans")).await?;
    let form = client
        .find(Locator::Id("scan-now"))
        .await
        .context("no «Rà quét ngay» form (#scan-now) on /scans")?;
    if let Some(system) = system {
        fill(client, &form, "system_id", system).await?;
    }
    fill(client, &form, "profile", profile).await?;
    if !targets.is_empty() {
        fill(client, &form, "targets", targets).await?;
    }
    submit(&form).await?;
    wait_for_path(client, "the scan's page", |p| record_path(p, "scans")).await
}

/// Waits on the run's page (it reloads itself while the run goes) until the run is done.
async fn wait_until_done(client: &Client, path: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        ensure!(
            current_path(client).await == path,
            "left the scan's page for {}",
            current_path(client).await
        );
        // The page may be replaced mid-read by its own refresh: read again then.
        let status = match client.find(Locator::Css("[data-scan-status]")).await {
            Ok(badge) => badge.attr("data-scan-status").await.ok().flatten(),
            Err(_) => None,
        };
        match status.as_deref() {
            Some("done") => return Ok(()),
            Some("failed" | "cancelled") => {
                bail!("the scan ended {status:?}:\n{}", body_text(client).await?)
            }
            _ => {}
        }
        if Instant::now() > deadline {
            bail!(
                "the scan did not finish in time:\n{}",
                body_text(client).await.unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The text of the table `#id` on the page (empty when the section says "none").
async fn section_text(client: &Client, id: &str) -> Result<String> {
    let page = current_path(client).await;
    Ok(client
        .find(Locator::Id(id))
        .await
        .with_context(|| format!("no #{id} on {page}"))?
        .text()
        .await?)
}

async fn walk_through(
    server: &Canhgac,
    client: &Client,
    portal: &str,
    git_exposed: &AtomicBool,
    smtp_port: u16,
) -> Result<()> {
    // 1. The inventory: a unit with a portal (its URL) and a mail system (its address).
    set_up_admin(server, client).await?;
    let unit_id = create_unit(server, client, UNIT).await?;
    let portal_id = create_system(server, client, PORTAL, "portal", &unit_id).await?;
    add_asset(server, client, &portal_id, "url", portal).await?;
    let mail_id = create_system(server, client, MAIL, "email", &unit_id).await?;
    add_asset(server, client, &mail_id, "ip", "127.0.0.1").await?;

    // 2. The portal's usual schedules in one click: quick daily and full weekly.
    client.goto(&server.url("/scans/schedules")).await?;
    let defaults = client
        .find(Locator::Css(&format!(
            "#schedule-defaults tr[data-system=\"{portal_id}\"] button"
        )))
        .await
        .context("no «Thêm lịch mặc định» button for the portal")?;
    click_and_wait(client, defaults).await?;
    let schedules = section_text(client, "scan-schedules").await?;
    ensure!(
        schedules.contains(PORTAL)
            && schedules.contains("Hằng ngày 02:00")
            && schedules.contains("Chủ nhật 03:00"),
        "the portal's default schedules should be listed:\n{schedules}"
    );

    // 3. Scan the portal now; the page follows the run to its end.
    let run_path = scan_now(server, client, Some(&portal_id), "", "portal").await?;
    wait_until_done(client, &run_path).await?;
    let new = section_text(client, "scan-new").await?;
    ensure!(
        new.contains(GIT_TITLE),
        "the first scan should find the exposed .git:\n{new}"
    );
    let services = section_text(client, "services").await?;
    let port = portal
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .context("the portal's port")?;
    ensure!(
        services.contains(port) && services.contains("127.0.0.77"),
        "the services should list the portal's port {port}:\n{services}"
    );
    ARTIFACTS.screenshot(client, "scan-run.png").await?;

    // 4. The finding's page shows its evidence: the request, the response with the file.
    let link = client
        .find(Locator::XPath(&format!(
            "//table[@id='scan-new']//a[contains(., '{GIT_TITLE}')]"
        )))
        .await
        .context("no link to the .git finding")?;
    click_and_wait(client, link).await?;
    let finding_path =
        wait_for_path(client, "the finding's page", |p| record_path(p, "findings")).await?;
    let request = section_text(client, "scan-evidence").await?;
    ensure!(
        request.contains("web.exposed.git"),
        "the evidence should name the check:\n{request}"
    );
    let response = client
        .find(Locator::Css("pre.evidence-response"))
        .await
        .context("no response excerpt (pre.evidence-response)")?
        .text()
        .await?;
    ensure!(
        response.contains("[core]") && response.contains("repositoryformatversion"),
        "the response excerpt should show the exposed file:\n{response}"
    );
    client
        .find(Locator::Css("pre.evidence-request"))
        .await
        .context("no request (pre.evidence-request)")?;
    let page = body_text(client).await?;
    ensure!(
        page.contains("Cách khắc phục") && page.contains("/.git/"),
        "the finding should say what to do:\n{page}"
    );
    ARTIFACTS.screenshot(client, "scan-finding.png").await?;

    // 5. Fixed on the portal; the next scan marks the finding fixed.
    git_exposed.store(false, Ordering::SeqCst);
    let rerun = scan_now(server, client, Some(&portal_id), "", "portal").await?;
    ensure!(rerun != run_path, "the second scan is a new run");
    wait_until_done(client, &rerun).await?;
    let fixed = section_text(client, "scan-fixed").await?;
    ensure!(
        fixed.contains(GIT_TITLE) && fixed.contains("Đã khắc phục"),
        "the second scan should list the .git finding as fixed:\n{fixed}"
    );
    ARTIFACTS.screenshot(client, "scan-fixed.png").await?;
    client.goto(&server.url(&finding_path)).await?;
    let status = client
        .find(Locator::Css("span[data-status]"))
        .await?
        .attr("data-status")
        .await?;
    ensure!(
        status.as_deref() == Some("fixed"),
        "the finding's state is {status:?}"
    );

    // 5b. In English, the findings list speaks English too.
    client.goto(&server.url("/lang/en?next=/findings")).await?;
    let english = body_text(client).await?;
    ensure!(
        english.contains(GIT_TITLE_EN) && !english.contains(GIT_TITLE),
        "the English findings list should show the English title:\n{english}"
    );
    client.goto(&server.url("/lang/vi?next=/scans")).await?;

    // 6. The mail server: its SMTP service is found.
    let target = format!("127.0.0.1:{smtp_port}");
    let mail_run = scan_now(server, client, None, &target, "mail").await?;
    wait_until_done(client, &mail_run).await?;
    let services = section_text(client, "services").await?;
    ensure!(
        services.contains(&smtp_port.to_string()) && services.to_lowercase().contains("smtp"),
        "the mail scan should list the SMTP service on {smtp_port}:\n{services}"
    );
    let page = body_text(client).await?;
    ensure!(
        page.contains(MAIL),
        "the mail run should name its system:\n{page}"
    );

    // 7. Outside the inventory: refused, naming the target.
    client.goto(&server.url("/scans")).await?;
    let form = client.find(Locator::Id("scan-now")).await?;
    fill(client, &form, "profile", "quick").await?;
    fill(client, &form, "targets", "10.254.254.254").await?;
    submit(&form).await?;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let page = body_text(client).await.unwrap_or_default();
        if page.contains("10.254.254.254") && page.contains("không thuộc tài sản nào") {
            break;
        }
        ensure!(
            Instant::now() < deadline,
            "a target outside the inventory should be refused by name:\n{page}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // 8. An officer of another unit sees none of these scans.
    let other_unit = create_unit(server, client, OTHER_UNIT).await?;
    client.goto(&server.url("/users/new")).await?;
    let form = form_with(client, "role").await?;
    fill(client, &form, "username", OFFICER).await?;
    fill(client, &form, "display_name", "Cán bộ Sở Tài chính").await?;
    fill(client, &form, "role", "unit_officer").await?;
    fill(client, &form, "unit_ids", &other_unit).await?;
    fill(client, &form, "password", OFFICER_PASSWORD).await?;
    submit(&form).await?;
    wait_for_path(client, "the new user's page", |p| record_path(p, "users")).await?;
    let logout = client
        .find(Locator::Css(r#"form[action="/logout"]"#))
        .await?;
    submit(&logout).await?;
    wait_for_path(client, "the sign-in page", |p| p == "/login").await?;
    let login = client.find(Locator::Id("login-form")).await?;
    fill(client, &login, "username", OFFICER).await?;
    fill(client, &login, "password", OFFICER_PASSWORD).await?;
    submit(&login).await?;
    wait_for_path(client, "the officer's dashboard", |p| p == "/").await?;
    client.goto(&server.url("/scans")).await?;
    let page = body_text(client).await?;
    ensure!(
        client.find(Locator::Id("scans")).await.is_err() && !page.contains(PORTAL),
        "the officer of another unit should see no scan:\n{page}"
    );
    client.goto(&server.url(&run_path)).await?;
    let page = body_text(client).await?;
    ensure!(
        !page.contains(PORTAL)
            && client
                .find(Locator::Css("[data-scan-status]"))
                .await
                .is_err(),
        "the officer of another unit should not open the portal's scan:\n{page}"
    );
    Ok(())
}
