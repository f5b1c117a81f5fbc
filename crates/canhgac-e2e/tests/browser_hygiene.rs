//! The account-hygiene console in a real browser (issue 8): headless Debian Chromium against the
//! real `canhgac serve`. The admin records the province's mail system and its domain through
//! the forms, uploads a breach list on the hygiene page, sees which official addresses were used
//! on social networks, follows the count to the finding, and accepts one risk with a reason.
//!
//! Skips (printing `SKIPPED: ...`) when Chromium or chromedriver is missing, unless
//! `CANHGAC_REQUIRE_SERVICES=1`. Screenshots go to `target/e2e-artifacts/`.

mod browser_support;

use anyhow::{ensure, Context, Result};
use browser_support::{
    body_text, click_and_wait, create_system, create_unit, drive, fill, form_with, record_path,
    set_up_admin, submit, wait_for_path, Artifacts,
};
use canhgac_e2e::Canhgac;
use fantoccini::{Client, Locator};

const UNIT: &str = "Sở Thông tin và Truyền thông thử nghiệm";
const ARTIFACTS: Artifacts = Artifacts {
    names: &[
        "hygiene-imported.png",
        "hygiene-finding.png",
        "hygiene-failure.png",
        "hygiene-failure.html",
    ],
    failure: ("hygiene-failure.png", "hygiene-failure.html"),
};

/// A combo list: two sites of one official address, a password, and an outside address.
const LIST: &str = "nam.nv@sotttt.tinh-thu.gov.vn:facebook.com\n\
                    nam.nv@sotttt.tinh-thu.gov.vn:Adobe\n\
                    lan.pt@sotttt.tinh-thu.gov.vn:Matkhau@123\n\
                    ai.do@gmail.com:facebook.com\n";

/// An inert web shell of our test corpus: it matches our PHP rule, it does nothing.
const WEB_SHELL: &str = include_str!(
    "../../canhgac-malware/tests/fixtures/webshells/match/php_eval_request_input.eval_post.php"
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn breach_list_upload_and_remediation_in_chromium() {
    drive(
        &ARTIFACTS,
        &[],
        async |server: &Canhgac, client: &Client| walk_through(server, client).await,
    )
    .await;
}

async fn cell(client: &Client, unit_id: &str, category: &str) -> Result<(i64, i64)> {
    let selector =
        format!(r#"table.hygiene tr[data-unit="{unit_id}"] td[data-category="{category}"]"#);
    let cell = client
        .find(Locator::Css(&selector))
        .await
        .with_context(|| format!("no hygiene cell {selector}"))?;
    let mut numbers = Vec::new();
    for name in ["data-open", "data-total"] {
        let value = cell
            .attr(name)
            .await?
            .and_then(|v| v.parse::<i64>().ok())
            .with_context(|| format!("{selector} has no {name}"))?;
        numbers.push(value);
    }
    Ok((numbers[0], numbers[1]))
}

async fn walk_through(server: &Canhgac, client: &Client) -> Result<()> {
    // 1. The unit, its mail system and the mail domain, through the forms.
    set_up_admin(server, client).await?;
    let unit_id = create_unit(server, client, UNIT).await?;
    let system_id = create_system(server, client, "Thư điện tử công vụ", "email", &unit_id).await?;
    client
        .goto(&server.url(&format!("/assets/new?system_id={system_id}")))
        .await?;
    let form = form_with(client, "value").await?;
    fill(client, &form, "system_id", &system_id).await?;
    fill(client, &form, "kind", "domain").await?;
    fill(client, &form, "value", "sotttt.tinh-thu.gov.vn").await?;
    submit(&form).await?;
    wait_for_path(client, "the new asset's page", |p| record_path(p, "assets")).await?;

    // 2. The hygiene page: nothing yet; upload the breach list.
    client.goto(&server.url("/hygiene")).await?;
    client
        .find(Locator::Id("hygiene-empty"))
        .await
        .context("an empty hygiene page says so")?;
    let dir = tempfile::tempdir()?;
    let list = dir.path().join("lo-lot.txt");
    std::fs::write(&list, LIST)?;
    let form = client
        .find(Locator::Id("exposure-form"))
        .await
        .context("the admin sees the import form")?;
    form.find(Locator::Css(r#"input[name="list"]"#))
        .await?
        .send_keys(&list.display().to_string())
        .await?;
    let button = form.find(Locator::Css(r#"button[type="submit"]"#)).await?;
    click_and_wait(client, button).await?;
    let result = client
        .find(Locator::Id("exposure-result"))
        .await
        .context("the import says what it did")?;
    let matched = result
        .find(Locator::Css("[data-matched]"))
        .await?
        .attr("data-matched")
        .await?;
    let text = result.text().await?;
    ensure!(
        matched.as_deref() == Some("3") && !text.contains("Matkhau"),
        "3 official addresses expected, no password shown: {text}"
    );
    let page = body_text(client).await?;
    ensure!(
        !page.contains("Matkhau@123"),
        "the password is on the page:\n{page}"
    );
    ensure!(
        cell(client, &unit_id, "email_on_social_site").await? == (1, 1),
        "one address on a social network for the unit"
    );
    ensure!(
        cell(client, &unit_id, "email_breached").await? == (2, 2),
        "two other breached entries (Adobe, and the unknown source)"
    );
    ARTIFACTS.screenshot(client, "hygiene-imported.png").await?;

    // 3. Follow the count to the finding.
    let link = client
        .find(Locator::Css(&format!(
            r#"tr[data-unit="{unit_id}"] td[data-category="email_on_social_site"] a.open-count"#
        )))
        .await?;
    click_and_wait(client, link).await?;
    let rows = client
        .find_all(Locator::Css("table.findings tbody tr"))
        .await?;
    ensure!(
        rows.len() == 1,
        "the filtered listing shows {} rows",
        rows.len()
    );
    let title = client
        .find(Locator::Css(
            "table.findings tbody tr td a[href^='/findings/']",
        ))
        .await?;
    let title_text = title.text().await?;
    ensure!(
        title_text.contains("nam.nv@sotttt.tinh-thu.gov.vn") && title_text.contains("mạng xã hội"),
        "the finding says the address was used on a social network: {title_text}"
    );
    click_and_wait(client, title).await?;
    wait_for_path(client, "the finding's page", |p| record_path(p, "findings")).await?;
    ensure!(
        body_text(client).await?.contains("Cách khắc phục"),
        "the finding says what to do"
    );

    // 4. Accepting a risk needs a reason; with one, the state changes.
    let form = form_with(client, "reason").await?;
    fill(client, &form, "status", "accepted").await?;
    submit(&form).await?;
    client
        .wait()
        .for_element(Locator::Css("#status-form div.notice.error"))
        .await
        .context("accepting without a reason shows an error")?;
    let form = form_with(client, "reason").await?;
    fill(client, &form, "status", "accepted").await?;
    fill(
        client,
        &form,
        "reason",
        "Tài khoản mạng xã hội của cơ quan, đã đổi mật khẩu",
    )
    .await?;
    let button = form.find(Locator::Css(r#"button[type="submit"]"#)).await?;
    click_and_wait(client, button).await?;
    let badge = client
        .find(Locator::Css("span.badge[data-status]"))
        .await?
        .attr("data-status")
        .await?;
    ensure!(
        badge.as_deref() == Some("accepted"),
        "state after accepting: {badge:?}"
    );
    ARTIFACTS.screenshot(client, "hygiene-finding.png").await?;

    // 5. The hygiene view counts it as handled.
    client.goto(&server.url("/hygiene")).await?;
    ensure!(
        cell(client, &unit_id, "email_on_social_site").await? == (0, 1),
        "the accepted finding is no longer open"
    );

    // 6. The dashboard counts the two findings still open.
    client.goto(&server.url("/")).await?;
    let open = client
        .find(Locator::Css(
            r#"#open-findings [data-count="open-findings"]"#,
        ))
        .await
        .context("the dashboard has an open-findings card")?
        .text()
        .await?;
    ensure!(open == "2", "open findings on the dashboard: {open}");

    // 7. A suspicious file found on a server, scanned from the console: our web-shell rule names
    // it; a clean page matches nothing.
    for (file, text, expect_match) in [
        ("avatar.php", WEB_SHELL, true),
        (
            "lien-he.php",
            "<?php echo htmlspecialchars($_GET['ten'] ?? ''); ?>",
            false,
        ),
    ] {
        client.goto(&server.url("/malware/scan")).await?;
        let path = dir.path().join(file);
        std::fs::write(&path, text)?;
        let form = client
            .find(Locator::Id("scan-form"))
            .await
            .context("the scan form")?;
        form.find(Locator::Css(r#"input[name="file"]"#))
            .await?
            .send_keys(&path.display().to_string())
            .await?;
        let button = form.find(Locator::Css(r#"button[type="submit"]"#)).await?;
        click_and_wait(client, button).await?;
        let result = client
            .find(Locator::Id("scan-result"))
            .await
            .context("the scan shows its result")?;
        let matches = result.attr("data-matches").await?.unwrap_or_default();
        let text = result.text().await?;
        if expect_match {
            ensure!(
                matches != "0" && text.contains("php_eval_request_input"),
                "the web shell {file} should match our rule: {text}"
            );
        } else {
            ensure!(matches == "0", "the clean page {file} matched: {text}");
        }
    }
    Ok(())
}
