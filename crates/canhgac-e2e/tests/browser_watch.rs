//! The monitors console in a real browser (issue 5, "Watch"): headless Debian Chromium against
//! the real `canhgac serve` with the watch on, and a portal served by the test on loopback.
//!
//! The admin adds a portal system and its page through the console forms; the automatic monitor
//! appears on the board; "check now" shows it up with a response-time chart; the test defaces
//! the page and the next check shows the diff and the injected script; one click approves the
//! change as the new baseline.
//!
//! Skips (printing `SKIPPED: ...`) when Chromium or chromedriver is missing, unless
//! `CANHGAC_REQUIRE_SERVICES=1`. Screenshots go to `target/e2e-artifacts/`.

mod browser_support;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use browser_support::{
    body_text, click_and_wait, create_system, create_unit, drive, ensure_h1, fill, form_with,
    record_path, set_up_admin, submit, wait_for_path, Artifacts, ADMIN,
};
use canhgac_e2e::Canhgac;
use fantoccini::elements::Element;
use fantoccini::{Client, Locator};

const UNIT: &str = "Văn phòng UBND tỉnh thử nghiệm";
const SYSTEM: &str = "Cổng thông tin điện tử tỉnh";
const ARTIFACTS: Artifacts = Artifacts {
    names: &[
        "watch-monitor.png",
        "watch-defacement.png",
        "watch-approved.png",
        "watch-failure.png",
        "watch-failure.html",
    ],
    failure: ("watch-failure.png", "watch-failure.html"),
};

const HOME: &str = r#"<!doctype html><html lang="vi"><head><meta charset="utf-8">
<title>Cổng thông tin điện tử tỉnh thử nghiệm</title></head>
<body><h1>Cổng thông tin điện tử tỉnh</h1>
<p>Ủy ban nhân dân tỉnh thông báo lịch tiếp công dân tháng 12.</p>
<p>Hướng dẫn nộp hồ sơ trực tuyến qua cổng dịch vụ công.</p>
<p>Tin tức hoạt động của các sở, ban, ngành trong tỉnh.</p>
</body></html>"#;

const DEFACED: &str = r#"<!doctype html><html><head><meta charset="utf-8">
<title>Hacked by e2e-team</title>
<script src="https://miner.example.net/c.js"></script></head>
<body><h1>Hacked by e2e-team</h1><p>Your security is a joke.</p></body></html>"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portal_monitor_defacement_and_approval_in_chromium() {
    let page = Arc::new(Mutex::new(HOME.to_owned()));
    let portal = start_portal(Arc::clone(&page));
    drive(
        &ARTIFACTS,
        &[("CANHGAC_WATCH__ENABLED", "true")],
        async |server: &Canhgac, client: &Client| {
            walk_through(server, client, &portal, &page).await
        },
    )
    .await;
}

/// A portal on 127.0.0.1 answering every request with the page `page` holds; returns its URL.
fn start_portal(page: Arc<Mutex<String>>) -> String {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("binding 127.0.0.1:0");
    let addr = listener.local_addr().expect("the portal's address");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let body = page.lock().expect("the page lock").clone();
            // A client that goes away mid-request is its own problem; the next one is served.
            let _ = answer(stream, &body);
        }
    });
    format!("http://{addr}/")
}

fn answer(mut stream: TcpStream, body: &str) -> std::io::Result<()> {
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
    write!(
        stream,
        "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}

async fn walk_through(
    server: &Canhgac,
    client: &Client,
    portal: &str,
    page: &Mutex<String>,
) -> Result<()> {
    // 1. The admin, a unit, and its portal system, through the forms.
    set_up_admin(server, client).await?;
    let unit_id = create_unit(server, client, UNIT).await?;
    let system_id = create_system(server, client, SYSTEM, "portal", &unit_id).await?;

    // 2. The portal's home page as a `url` asset of the system.
    client
        .goto(&server.url(&format!("/assets/new?system_id={system_id}")))
        .await?;
    let form = form_with(client, "value").await?;
    fill(client, &form, "system_id", &system_id).await?;
    fill(client, &form, "kind", "url").await?;
    fill(client, &form, "value", portal).await?;
    submit(&form).await?;
    wait_for_path(client, "the new asset's page", |p| record_path(p, "assets")).await?;
    ensure!(
        body_text(client).await?.contains(portal),
        "the asset page should show {portal}"
    );

    // 3. The engine adds the portal's monitor by itself: the board shows it within seconds.
    let monitor_link = wait_for_monitor(server, client, portal).await?;
    click_and_wait(client, monitor_link).await?;
    let monitor_path =
        wait_for_path(client, "the monitor's page", |p| record_path(p, "monitors")).await?;
    let page_text = body_text(client).await?;
    ensure!(
        page_text.contains(portal) && page_text.contains(SYSTEM) && page_text.contains(UNIT),
        "the monitor page should name its target, system and unit:\n{page_text}"
    );

    // 4. Check now: up, with a point on the response-time chart and the page's baseline.
    check_now(client, &monitor_path).await?;
    let (code, label) = status(client).await?;
    ensure!(
        code == "up" && label == "Hoạt động",
        "after a check of a healthy portal the status is {code:?} ({label:?}):\n{}",
        body_text(client).await?
    );
    let chart = client
        .find(Locator::Css("#chart-day figure.chart"))
        .await
        .context("no response-time chart (#chart-day figure.chart) after a check")?;
    let points: u32 = chart
        .attr("data-points")
        .await?
        .context("the chart has no data-points")?
        .parse()
        .context("data-points is not a number")?;
    ensure!(points >= 1, "the chart plots {points} points");
    let marks = chart
        .find_all(Locator::Css(
            "svg polyline.series, svg circle.point, svg path",
        ))
        .await?;
    ensure!(
        !marks.is_empty(),
        "the chart's <svg> draws no line or point"
    );
    find_in(
        client,
        "#defacement #page-matches",
        "the baseline taken at the first check",
    )
    .await?;
    ARTIFACTS.screenshot(client, "watch-monitor.png").await?;

    // 5. Defaced: the next check shows the change, the diff with the new text and the script.
    *page.lock().expect("the page lock") = DEFACED.to_owned();
    check_now(client, &monitor_path).await?;
    find_in(client, "#defacement #candidate", "the captured change").await?;
    let diff = find_in(client, "#defacement pre.page-diff", "the diff")
        .await?
        .text()
        .await?;
    ensure!(
        diff.contains("+Hacked by e2e-team")
            && diff.contains("-Ủy ban nhân dân tỉnh thông báo lịch tiếp công dân tháng 12."),
        "the diff should show the new text and the Vietnamese text it replaced:\n{diff}"
    );
    let changes = find_in(
        client,
        "#defacement table.page-changes",
        "the changes table",
    )
    .await?
    .text()
    .await?;
    ensure!(
        changes.contains("https://miner.example.net/c.js") && changes.contains("Hacked by"),
        "the changes should name the new title and the injected script:\n{changes}"
    );
    let section = find_in(client, "#defacement", "the defacement section").await?;
    section_screenshot(client, &section, "watch-defacement.png").await?;

    // The same defacement is an alert on the alert list, attributed to the unit.
    client.goto(&server.url("/alerts")).await?;
    let alerts = body_text(client).await?;
    ensure!(
        alerts.contains("Nghi thay đổi giao diện trang"),
        "/alerts should list the defacement alert:\n{alerts}"
    );
    client.goto(&server.url(&monitor_path)).await?;

    // 6. One click approves the page as it is now as the new baseline.
    let approve = find_in(
        client,
        "#defacement form.approve-baseline button[type=\"submit\"]",
        "the approve button",
    )
    .await?;
    ensure!(
        approve.text().await?.contains("Duyệt làm mốc mới"),
        "the approve button reads {:?}",
        approve.text().await?
    );
    click_and_wait(client, approve).await?;
    wait_for_path(client, "the monitor's page after approval", |p| {
        p == monitor_path
    })
    .await?;
    ensure!(
        client.find(Locator::Css("#candidate")).await.is_err(),
        "the pending change is still shown after approval"
    );
    let section = find_in(client, "#defacement", "the defacement section")
        .await?
        .text()
        .await?;
    ensure!(
        section.contains("Trang khớp với mốc đã duyệt.") && section.contains(ADMIN),
        "after approval the page should match a baseline approved by {ADMIN}:\n{section}"
    );
    ARTIFACTS.screenshot(client, "watch-approved.png").await?;

    // And the defaced page, checked again, raises nothing new: it is the baseline now.
    check_now(client, &monitor_path).await?;
    ensure!(
        client.find(Locator::Css("#candidate")).await.is_err(),
        "checking the approved page again should capture no change"
    );

    // 7. The public status page needs no sign-in and shows no monitor that is not public.
    let logout = client
        .find(Locator::Css(r#"form[action="/logout"]"#))
        .await
        .context("no sign-out form")?;
    click_and_wait(client, submit_button(&logout).await?).await?;
    client.goto(&server.url("/status")).await?;
    wait_for_path(client, "the public status page", |p| p == "/status").await?;
    ensure_h1(client, "Trạng thái dịch vụ").await?;
    let public = body_text(client).await?;
    ensure!(
        !public.contains(portal) && !public.contains(SYSTEM),
        "/status shows a monitor that is not public:\n{public}"
    );
    Ok(())
}

/// Reloads the board until a monitor of `target` is listed; returns the link to its page.
async fn wait_for_monitor(server: &Canhgac, client: &Client, target: &str) -> Result<Element> {
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        client.goto(&server.url("/monitors")).await?;
        for row in client.find_all(Locator::Css("tr[data-monitor]")).await? {
            if row.text().await?.contains(target) {
                return row
                    .find(Locator::Css(r#"a[href^="/monitors/"]"#))
                    .await
                    .context("a board row without a link to its monitor");
            }
        }
        if Instant::now() > deadline {
            let board = body_text(client).await.unwrap_or_default();
            bail!("no monitor of {target} on /monitors after 40 s:\n{board}");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Clicks "Kiểm tra ngay" on the monitor's page; the check runs before the page comes back.
async fn check_now(client: &Client, monitor_path: &str) -> Result<()> {
    let form = find_in(
        client,
        &format!(r#"form[action="{monitor_path}/check"]"#),
        "the check-now form",
    )
    .await?;
    let button = submit_button(&form).await?;
    let label = button.text().await?;
    ensure!(
        label.contains("Kiểm tra ngay"),
        "the check-now button reads {label:?}"
    );
    click_and_wait(client, button).await?;
    wait_for_path(client, "the monitor's page after the check", |p| {
        p == monitor_path
    })
    .await?;
    let after = body_text(client).await?;
    ensure!(
        !after.contains("Không chạy được lần kiểm tra"),
        "the check could not run:\n{after}"
    );
    Ok(())
}

/// The monitor's status on its page: the badge's code and its label.
async fn status(client: &Client) -> Result<(String, String)> {
    let badge = find_in(
        client,
        "dl.details [data-monitor-status]",
        "the status badge",
    )
    .await?;
    let code = badge.attr("data-monitor-status").await?.unwrap_or_default();
    Ok((code, badge.text().await?.trim().to_owned()))
}

async fn find_in(client: &Client, css: &str, what: &str) -> Result<Element> {
    match client.find(Locator::Css(css)).await {
        Ok(found) => Ok(found),
        Err(error) => {
            let text = body_text(client).await.unwrap_or_default();
            Err(error).with_context(|| format!("no {what} ({css}) on the page:\n{text}"))
        }
    }
}

async fn submit_button(form: &Element) -> Result<Element> {
    form.find(Locator::Css(r#"button[type="submit"]"#))
        .await
        .context("form without a submit button")
}

/// Scrolls `section` into view and saves the viewport as `name`.
async fn section_screenshot(client: &Client, section: &Element, name: &str) -> Result<()> {
    let element = serde_json::to_value(section)?;
    client
        .execute("arguments[0].scrollIntoView(true);", vec![element])
        .await?;
    ARTIFACTS.screenshot(client, name).await
}
