//! The console in a real browser: headless Debian Chromium, driven through chromedriver, against
//! the real `canhgac serve` on loopback with a fresh SQLite data directory.
//!
//! Skips (printing `SKIPPED: ...`) when Chromium or chromedriver is missing, unless
//! `CANHGAC_REQUIRE_SERVICES=1`. Screenshots go to `target/e2e-artifacts/`.

mod browser_support;

use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use browser_support::{
    body_text, create_system, create_unit, current_path, drive, ensure_h1, set_up_admin, sign_in,
    submit, wait_for_path, Artifacts, PASSWORD,
};
use canhgac_e2e::Canhgac;
use fantoccini::{Client, Locator};

const UNIT: &str = "Sở Y tế";
const SYSTEM: &str = "Cổng thông tin điện tử Sở Y tế";
const ARTIFACTS: Artifacts = Artifacts {
    names: &[
        "dashboard-empty.png",
        "dashboard-en.png",
        "system.png",
        "dashboard.png",
        "systems.png",
        "login-error.png",
        "failure.png",
        "failure.html",
    ],
    failure: ("failure.png", "failure.html"),
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_sets_up_then_creates_a_unit_and_a_system_in_chromium() {
    drive(&ARTIFACTS, &[], walk_through).await;
}

async fn walk_through(server: &Canhgac, client: &Client) -> Result<()> {
    // 1. The one-time setup link creates the first admin and signs them in.
    set_up_admin(server, client).await?;
    assert_counts(
        client,
        [("units", 0), ("systems", 0), ("assets", 0), ("contacts", 0)],
    )
    .await?;
    ARTIFACTS.screenshot(client, "dashboard-empty.png").await?;

    // 2. English on the switch, and back to Vietnamese (the default).
    let vietnamese = body_text(client).await?;
    ensure!(
        lang(client).await? == "vi",
        "the console should start in Vietnamese"
    );
    switch_language(client, "en").await?;
    let english = body_text(client).await?;
    ensure!(
        lang(client).await? == "en",
        "<html lang> should be en after the switch"
    );
    ensure!(
        english != vietnamese,
        "the dashboard text did not change after switching to English"
    );
    ensure!(
        client.get_named_cookie("canhgac_lang").await?.value() == "en",
        "the language switch should set the canhgac_lang cookie"
    );
    ensure_h1(client, "Dashboard").await?;
    ARTIFACTS.screenshot(client, "dashboard-en.png").await?;
    switch_language(client, "vi").await?;
    ensure!(
        lang(client).await? == "vi",
        "<html lang> should be vi after switching back"
    );
    ensure!(
        body_text(client).await? == vietnamese,
        "switching back should restore the Vietnamese dashboard"
    );

    // 3. A unit, through the form.
    let unit_id = create_unit(server, client, UNIT).await?;

    // 4. An information system owned by it, level 3, through the form.
    create_system(server, client, SYSTEM, "portal", &unit_id).await?;
    let page = body_text(client).await?;
    ensure!(
        page.contains(UNIT),
        "the system page should name its owner unit {UNIT:?}:\n{page}"
    );
    ARTIFACTS.screenshot(client, "system.png").await?;

    // 5. The dashboard counts them, and the listings name them.
    client.goto(&server.url("/")).await?;
    assert_counts(
        client,
        [("units", 1), ("systems", 1), ("assets", 0), ("contacts", 0)],
    )
    .await?;
    let dashboard = body_text(client).await?;
    ensure!(
        dashboard.contains(UNIT),
        "the dashboard's per-unit table should name {UNIT:?}:\n{dashboard}"
    );
    ARTIFACTS.screenshot(client, "dashboard.png").await?;
    client.goto(&server.url("/units")).await?;
    ensure!(
        body_text(client).await?.contains(UNIT),
        "/units should list {UNIT:?}"
    );
    client.goto(&server.url("/systems")).await?;
    let systems = body_text(client).await?;
    ensure!(
        systems.contains(SYSTEM),
        "/systems should list {SYSTEM:?}:\n{systems}"
    );
    ARTIFACTS.screenshot(client, "systems.png").await?;

    // 6. Sign out: the console is closed again.
    let logout = client
        .find(Locator::Css(r#"form[action="/logout"]"#))
        .await
        .context("no sign-out form")?;
    submit(&logout).await?;
    wait_for_path(client, "the sign-in page after sign-out", |p| {
        p == "/login" || p == "/"
    })
    .await?;
    client.goto(&server.url("/units")).await?;
    wait_for_path(client, "the sign-in redirect", |p| p == "/login").await?;

    // 7. A wrong password is refused with a visible message.
    sign_in(client, PASSWORD.to_uppercase().as_str()).await?;
    wait_for_path(client, "the sign-in page after a wrong password", |p| {
        p == "/login"
    })
    .await?;
    // The sign-in page was already showing, so the path alone does not say the answer to the
    // POST has loaded: wait for the message itself.
    let error = client
        .wait()
        .at_most(std::time::Duration::from_secs(30))
        .for_element(Locator::Css(r#"[role="alert"], .error, .alert"#))
        .await
        .context("a wrong password should show an error message")?;
    ensure!(
        !error.text().await?.trim().is_empty(),
        "the sign-in error message is empty"
    );
    ARTIFACTS.screenshot(client, "login-error.png").await?;

    // 8. The right one lets the admin back in, to the page they asked for.
    sign_in(client, PASSWORD).await?;
    wait_for_path(client, "the console after sign-in", |p| {
        p == "/units" || p == "/"
    })
    .await?;
    client.goto(&server.url("/")).await?;
    assert_counts(client, [("units", 1), ("systems", 1)]).await?;
    Ok(())
}

async fn switch_language(client: &Client, lang: &str) -> Result<()> {
    let before = current_path(client).await;
    let link = client
        .find(Locator::Css(&format!(r#"a[href^="/lang/{lang}"]"#)))
        .await
        .with_context(|| format!("no link to /lang/{lang} on {before}"))?;
    link.click().await?;
    // The switch sends the user back to the page they were on.
    let deadline = Instant::now() + Duration::from_secs(10);
    while lang_of(client).await.as_deref() != Some(lang) {
        ensure!(
            Instant::now() < deadline,
            "the page did not switch to {lang}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    ensure!(
        current_path(client).await == before,
        "the language switch should return to {before}"
    );
    Ok(())
}

async fn lang(client: &Client) -> Result<String> {
    lang_of(client)
        .await
        .context("<html> has no lang attribute")
}

async fn lang_of(client: &Client) -> Option<String> {
    client
        .find(Locator::Css("html"))
        .await
        .ok()?
        .attr("lang")
        .await
        .ok()?
}

/// Checks the numbers in the dashboard's `data-count` elements.
async fn assert_counts<const N: usize>(client: &Client, expected: [(&str, u64); N]) -> Result<()> {
    for (what, want) in expected {
        let element = client
            .find(Locator::Css(&format!(r#"[data-count="{what}"]"#)))
            .await
            .with_context(|| format!("no [data-count={what:?}] on the dashboard"))?;
        let text = element.text().await?;
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        let shown: u64 = digits
            .parse()
            .with_context(|| format!("[data-count={what:?}] shows {text:?}"))?;
        ensure!(
            shown == want,
            "dashboard shows {shown} {what}, expected {want}"
        );
    }
    Ok(())
}
