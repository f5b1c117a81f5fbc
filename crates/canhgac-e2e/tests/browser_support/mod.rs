//! What the browser tests share: starting the server and Chromium and leaving evidence when a
//! walk-through fails ([`drive`]), the console's first steps as a user takes them (the setup
//! link, a unit, a system), and small WebDriver helpers for forms, paths and screenshots.
//!
//! Each test file includes it with `mod browser_support;`; a file may use only part of it.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use canhgac_e2e::{artifacts_dir, canhgac_binary, Canhgac, Chromium, ChromiumPaths};
use fantoccini::elements::Element;
use fantoccini::{Client, Locator};

pub const ADMIN: &str = "admin";
pub const ADMIN_NAME: &str = "Quản trị viên";
pub const PASSWORD: &str = "Hoa-Binh-Xanh-2026-bao-mat";

/// The files a test may write into the artifacts directory.
pub struct Artifacts {
    /// Every name, so a run starts by removing the previous run's files.
    pub names: &'static [&'static str],
    /// The screenshot and the page source saved when the walk-through fails (both in `names`).
    pub failure: (&'static str, &'static str),
}

impl Artifacts {
    /// Removes the previous run's files, so a failed run cannot pass them off as its own.
    fn clear(&self) -> Result<()> {
        let dir = artifacts_dir()?;
        for name in self.names {
            let _ = std::fs::remove_file(dir.join(name));
        }
        Ok(())
    }

    /// Saves what the browser shows as `name` (one of `names`).
    pub async fn screenshot(&self, client: &Client, name: &str) -> Result<()> {
        ensure!(
            self.names.contains(&name),
            "{name} is missing from the test's artifacts list"
        );
        let png = client.screenshot().await?;
        let path = artifacts_dir()?.join(name);
        std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
        println!("screenshot: {}", path.display());
        Ok(())
    }

    async fn save_failure(&self, client: &Client) {
        let (png, html) = self.failure;
        let _ = self.screenshot(client, png).await;
        if let (Ok(source), Ok(dir)) = (client.source().await, artifacts_dir()) {
            let _ = std::fs::write(dir.join(html), source);
        }
    }
}

/// Starts `canhgac serve` (with `env` on top of the harness's environment) and a Chromium
/// session, and runs `walk` with both. On failure it saves a screenshot and the page source,
/// prints what the server and chromedriver said, and panics with the error.
///
/// Skips (printing `SKIPPED: ...`) when Chromium or chromedriver is missing, unless
/// `CANHGAC_REQUIRE_SERVICES=1`.
pub async fn drive(
    artifacts: &Artifacts,
    env: &[(&str, &str)],
    walk: impl AsyncFnOnce(&Canhgac, &Client) -> Result<()>,
) {
    let Some(paths) = ChromiumPaths::find() else {
        canhgac_store::testing::skip_for_missing_service(
            "Chromium/chromedriver",
            "apt-get install chromium chromium-driver",
        );
        return;
    };
    artifacts
        .clear()
        .expect("the artifacts directory can be created");
    let bin = canhgac_binary().expect("the canhgac binary builds");
    let server =
        Canhgac::start_with_env(&bin, env).expect("canhgac serve starts and prints its setup link");
    let browser = Chromium::start(&paths)
        .await
        .expect("chromedriver opens a Chromium session");

    let outcome = walk(&server, &browser.client).await;
    if outcome.is_err() {
        // Leave evidence for CI: what the browser showed and what the server said.
        artifacts.save_failure(&browser.client).await;
        eprintln!("--- canhgac output ---\n{}", server.output());
        eprintln!("--- chromedriver output ---\n{}", browser.driver_output());
    }
    let closed = browser.close().await;
    if let Err(error) = outcome {
        panic!("browser walk-through failed: {error:#}");
    }
    closed.expect("the browser session ends cleanly");
}

/// Follows the one-time setup link: creates the first admin, who lands signed in on the
/// dashboard.
pub async fn set_up_admin(server: &Canhgac, client: &Client) -> Result<()> {
    client.goto(&server.setup_link).await?;
    let form = form_with(client, "password_confirm").await?;
    fill(client, &form, "username", ADMIN).await?;
    fill(client, &form, "display_name", ADMIN_NAME).await?;
    fill(client, &form, "password", PASSWORD).await?;
    fill(client, &form, "password_confirm", PASSWORD).await?;
    submit(&form).await?;
    wait_for_path(client, "the dashboard after setup", |p| p == "/").await?;
    Ok(())
}

/// Creates a unit through `/units/new`; returns its id, leaving the browser on its page.
pub async fn create_unit(server: &Canhgac, client: &Client, name: &str) -> Result<String> {
    client.goto(&server.url("/units/new")).await?;
    let form = form_with(client, "kind").await?;
    fill(client, &form, "name", name).await?;
    fill(client, &form, "kind", "department").await?;
    submit(&form).await?;
    let path = wait_for_path(client, "the new unit's page", |p| record_path(p, "units")).await?;
    ensure_h1(client, name).await?;
    Ok(path.trim_start_matches("/units/").to_owned())
}

/// Creates an information system of `kind`, owned by `unit_id`, at security level 3 through
/// `/systems/new`; returns its id, leaving the browser on its page.
pub async fn create_system(
    server: &Canhgac,
    client: &Client,
    name: &str,
    kind: &str,
    unit_id: &str,
) -> Result<String> {
    client.goto(&server.url("/systems/new")).await?;
    let form = form_with(client, "owner_unit_id").await?;
    fill(client, &form, "name", name).await?;
    fill(client, &form, "kind", kind).await?;
    fill(client, &form, "owner_unit_id", unit_id).await?;
    fill(client, &form, "security_level", "3").await?;
    submit(&form).await?;
    let path = wait_for_path(client, "the new system's page", |p| {
        record_path(p, "systems")
    })
    .await?;
    ensure_h1(client, name).await?;
    Ok(path.trim_start_matches("/systems/").to_owned())
}

/// Fills and sends the sign-in form of the page the browser is on.
pub async fn sign_in(client: &Client, password: &str) -> Result<()> {
    let form = client
        .find(Locator::Id("login-form"))
        .await
        .context("no #login-form")?;
    fill(client, &form, "username", ADMIN).await?;
    fill(client, &form, "password", password).await?;
    submit(&form).await
}

/// The form that holds a field named `field` (pages also carry the sign-out and language forms).
pub async fn form_with(client: &Client, field: &str) -> Result<Element> {
    let xpath = format!("//form[.//*[@name='{field}']]");
    let page = current_path(client).await;
    client
        .find(Locator::XPath(&xpath))
        .await
        .with_context(|| format!("no form with a `{field}` field on {page}"))
}

/// Types into an input or textarea; picks an option of a select by value, else by its label.
pub async fn fill(client: &Client, form: &Element, name: &str, value: &str) -> Result<()> {
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

/// Clicks the form's submit button.
pub async fn submit(form: &Element) -> Result<()> {
    let button = form
        .find(Locator::Css(r#"button[type="submit"]"#))
        .await
        .context("form without a submit button")?;
    button.click().await?;
    Ok(())
}

/// Clicks `button` and waits until the page it leads to has replaced the current one: for a
/// form that posts and comes back to the same address, the path cannot tell.
pub async fn click_and_wait(client: &Client, button: Element) -> Result<()> {
    let before = client.find(Locator::Css("html")).await?;
    button.click().await?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match before.tag_name().await {
            // Chromium reports a node of a replaced document either as stale or, at times, as an
            // "unknown error" saying the node does not belong to the document: both mean the
            // new page is there.
            Err(error)
                if error.is_stale_element_reference()
                    || error.is_no_such_element()
                    || error
                        .to_string()
                        .contains("does not belong to the document") =>
            {
                break
            }
            Err(error) => return Err(error.into()),
            Ok(_) => {}
        }
        ensure!(
            Instant::now() < deadline,
            "the page did not change after the click on {}",
            current_path(client).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Loaded, so the next `find` sees the new page whole.
    while client.execute("return document.readyState", vec![]).await? != "complete" {
        ensure!(
            Instant::now() < deadline,
            "the page after the click did not finish loading"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

pub async fn ensure_h1(client: &Client, name: &str) -> Result<()> {
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

pub async fn body_text(client: &Client) -> Result<String> {
    Ok(client.find(Locator::Css("body")).await?.text().await?)
}

pub async fn current_path(client: &Client) -> String {
    client
        .current_url()
        .await
        .map(|u| u.path().to_owned())
        .unwrap_or_default()
}

/// `/{kind}/{id}` with a numeric id.
pub fn record_path(path: &str, kind: &str) -> bool {
    path.strip_prefix(&format!("/{kind}/"))
        .is_some_and(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()))
}

/// Waits until the browser's path satisfies `ok`; returns it.
pub async fn wait_for_path(
    client: &Client,
    what: &str,
    ok: impl Fn(&str) -> bool,
) -> Result<String> {
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
