//! The console in a real browser: headless Debian Chromium, driven through chromedriver, against
//! the real `canhgac serve` on loopback with a fresh SQLite data directory.
//!
//! Skips (printing `SKIPPED: ...`) when Chromium or chromedriver is missing, unless
//! `CANHGAC_REQUIRE_SERVICES=1`. Screenshots go to `target/e2e-artifacts/`.

use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use canhgac_e2e::{artifacts_dir, canhgac_binary, Canhgac, Chromium, ChromiumPaths};
use fantoccini::{Client, Locator};

const ADMIN: &str = "admin";
const ADMIN_NAME: &str = "Quản trị viên";
const PASSWORD: &str = "Hoa-Binh-Xanh-2026-bao-mat";
const UNIT: &str = "Sở Y tế";
const SYSTEM: &str = "Cổng thông tin điện tử Sở Y tế";
/// Every file the test may write into the artifacts directory.
const ARTIFACTS: [&str; 8] = [
    "dashboard-empty.png",
    "dashboard-en.png",
    "system.png",
    "dashboard.png",
    "systems.png",
    "login-error.png",
    "failure.png",
    "failure.html",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_sets_up_then_creates_a_unit_and_a_system_in_chromium() {
    let Some(paths) = ChromiumPaths::find() else {
        canhgac_store::testing::skip_for_missing_service(
            "Chromium/chromedriver",
            "apt-get install chromium chromium-driver",
        );
        return;
    };
    // A failed run must not leave the previous run's screenshots looking like its own.
    let artifacts = artifacts_dir().expect("the artifacts directory can be created");
    for name in ARTIFACTS {
        let _ = std::fs::remove_file(artifacts.join(name));
    }
    let bin = canhgac_binary().expect("the canhgac binary builds");
    let server = Canhgac::start(&bin).expect("canhgac serve starts and prints its setup link");
    let browser = Chromium::start(&paths)
        .await
        .expect("chromedriver opens a Chromium session");

    let outcome = walk_through(&server, &browser.client).await;
    if outcome.is_err() {
        // Leave evidence for CI: what the browser showed and what the server said.
        let _ = screenshot(&browser.client, "failure.png").await;
        if let Ok(html) = browser.client.source().await {
            if let Ok(dir) = artifacts_dir() {
                let _ = std::fs::write(dir.join("failure.html"), html);
            }
        }
        eprintln!("--- canhgac output ---\n{}", server.output());
        eprintln!("--- chromedriver output ---\n{}", browser.driver_output());
    }
    let closed = browser.close().await;
    if let Err(error) = outcome {
        panic!("browser walk-through failed: {error:#}");
    }
    closed.expect("the browser session ends cleanly");
}

async fn walk_through(server: &Canhgac, client: &Client) -> Result<()> {
    // 1. The one-time setup link creates the first admin and signs them in.
    client.goto(&server.setup_link).await?;
    let form = form_with(client, "password_confirm").await?;
    fill(client, &form, "username", ADMIN).await?;
    fill(client, &form, "display_name", ADMIN_NAME).await?;
    fill(client, &form, "password", PASSWORD).await?;
    fill(client, &form, "password_confirm", PASSWORD).await?;
    submit(&form).await?;
    wait_for_path(client, "the dashboard after setup", |p| p == "/").await?;
    assert_counts(
        client,
        [("units", 0), ("systems", 0), ("assets", 0), ("contacts", 0)],
    )
    .await?;
    screenshot(client, "dashboard-empty.png").await?;

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
    screenshot(client, "dashboard-en.png").await?;
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
    client.goto(&server.url("/units/new")).await?;
    let form = form_with(client, "kind").await?;
    fill(client, &form, "name", UNIT).await?;
    fill(client, &form, "kind", "department").await?;
    submit(&form).await?;
    let unit_path =
        wait_for_path(client, "the new unit's page", |p| record_path(p, "units")).await?;
    let unit_id = unit_path.trim_start_matches("/units/").to_owned();
    ensure_h1(client, UNIT).await?;

    // 4. An information system owned by it, level 3, through the form.
    client.goto(&server.url("/systems/new")).await?;
    let form = form_with(client, "owner_unit_id").await?;
    fill(client, &form, "name", SYSTEM).await?;
    fill(client, &form, "kind", "portal").await?;
    fill(client, &form, "owner_unit_id", &unit_id).await?;
    fill(client, &form, "security_level", "3").await?;
    submit(&form).await?;
    wait_for_path(client, "the new system's page", |p| {
        record_path(p, "systems")
    })
    .await?;
    ensure_h1(client, SYSTEM).await?;
    let page = body_text(client).await?;
    ensure!(
        page.contains(UNIT),
        "the system page should name its owner unit {UNIT:?}:\n{page}"
    );
    screenshot(client, "system.png").await?;

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
    screenshot(client, "dashboard.png").await?;
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
    screenshot(client, "systems.png").await?;

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
    let error = client
        .find(Locator::Css(r#"[role="alert"], .error, .alert"#))
        .await
        .context("a wrong password should show an error message")?;
    ensure!(
        !error.text().await?.trim().is_empty(),
        "the sign-in error message is empty"
    );
    screenshot(client, "login-error.png").await?;

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

async fn sign_in(client: &Client, password: &str) -> Result<()> {
    let form = client
        .find(Locator::Id("login-form"))
        .await
        .context("no #login-form")?;
    fill(client, &form, "username", ADMIN).await?;
    fill(client, &form, "password", password).await?;
    submit(&form).await
}

/// The form that holds a field named `field` (pages also carry the sign-out and language forms).
async fn form_with(client: &Client, field: &str) -> Result<fantoccini::elements::Element> {
    let xpath = format!("//form[.//*[@name='{field}']]");
    let page = current_path(client).await;
    client
        .find(Locator::XPath(&xpath))
        .await
        .with_context(|| format!("no form with a `{field}` field on {page}"))
}

/// Types into an input or textarea; picks an option of a select by value, else by its label.
async fn fill(
    client: &Client,
    form: &fantoccini::elements::Element,
    name: &str,
    value: &str,
) -> Result<()> {
    let page = current_path(client).await;
    let field = form
        .find(Locator::Css(&format!(r#"[name="{name}"]"#)))
        .await
        .with_context(|| format!("no `{name}` field on {page}"))?;
    if field.tag_name().await?.eq_ignore_ascii_case("select") {
        if field.select_by_value(value).await.is_ok() {
            return Ok(());
        }
        for option in field.find_all(Locator::Css("option")).await? {
            if option.text().await?.contains(value) {
                return Ok(option.click().await?);
            }
        }
        bail!("select `{name}` has no option {value:?}");
    }
    field.clear().await?;
    field.send_keys(value).await?;
    Ok(())
}

async fn submit(form: &fantoccini::elements::Element) -> Result<()> {
    let button = form
        .find(Locator::Css(r#"button[type="submit"]"#))
        .await
        .context("form without a submit button")?;
    button.click().await?;
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

async fn ensure_h1(client: &Client, name: &str) -> Result<()> {
    let h1 = client
        .find(Locator::Css("h1"))
        .await
        .context("page without <h1>")?
        .text()
        .await?;
    ensure!(
        h1.contains(name),
        "<h1> is {h1:?}, expected it to name {name:?}"
    );
    Ok(())
}

async fn body_text(client: &Client) -> Result<String> {
    Ok(client.find(Locator::Css("body")).await?.text().await?)
}

async fn current_path(client: &Client) -> String {
    client
        .current_url()
        .await
        .map(|u| u.path().to_owned())
        .unwrap_or_default()
}

/// `/{kind}/{id}` with a numeric id.
fn record_path(path: &str, kind: &str) -> bool {
    path.strip_prefix(&format!("/{kind}/"))
        .is_some_and(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()))
}

/// Waits until the browser's path satisfies `ok`; returns it.
async fn wait_for_path(client: &Client, what: &str, ok: impl Fn(&str) -> bool) -> Result<String> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let path = current_path(client).await;
        if ok(&path) {
            return Ok(path);
        }
        if Instant::now() > deadline {
            let text = body_text(client).await.unwrap_or_default();
            bail!("waiting for {what}: still on {path}, which shows:\n{text}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn screenshot(client: &Client, name: &str) -> Result<()> {
    debug_assert!(
        ARTIFACTS.contains(&name),
        "{name} is missing from ARTIFACTS"
    );
    let png = client.screenshot().await?;
    let path = artifacts_dir()?.join(name);
    std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
    println!("screenshot: {}", path.display());
    Ok(())
}
