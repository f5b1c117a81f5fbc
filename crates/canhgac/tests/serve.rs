//! End-to-end tests of `canhgac serve`: the real binary on a free loopback port.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{admin_token, client, complete_setup, run, Server, PASSWORD};

#[tokio::test]
async fn first_start_prints_a_setup_link_that_creates_the_admin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let data_arg = data.to_str().expect("utf-8");
    // Debug logging, to check that not even debug output carries the setup secret.
    let server = Server::start_with_env(
        dir.path(),
        &["--data", data_arg],
        &[("CANHGAC_LOG", "debug")],
    );

    let link = server.setup_link().expect("setup link on stdout");
    assert!(
        link.starts_with(&format!("{}/setup?token=", server.base)),
        "{link}"
    );
    assert!(
        server
            .banner
            .iter()
            .any(|l| l.starts_with("Mở liên kết sau")),
        "{:?}",
        server.banner
    );
    let file = data.join("first-admin-setup.txt");
    let saved = std::fs::read_to_string(&file).expect("setup file");
    assert!(saved.contains(&link), "{saved}");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "setup file mode {mode:o}");
    }

    let health = reqwest::get(format!("{}/healthz", server.base))
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
    let body: serde_json::Value = health.json().await.expect("json");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["store"], "sqlite");

    // A wrong token is refused; the printed one creates the admin and signs them in.
    let refused = client()
        .post(format!("{}/setup", server.base))
        .form(&[
            ("token", "guess"),
            ("username", "mallory"),
            ("display_name", "M"),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ])
        .send()
        .await
        .expect("POST setup");
    assert_eq!(refused.status(), 403);
    let http = complete_setup(&server, "quantri").await;
    let me: serde_json::Value = http
        .get(format!("{}/api/v1/me", server.base))
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    assert_eq!(me["username"], "quantri", "{me}");
    let again = client().get(&link).send().await.expect("GET setup again");
    assert_ne!(again.status(), 200, "the link works once");
    let secret = link.split_once("token=").map(|(_, t)| t).expect("token");
    assert!(
        !server.stderr().contains(secret),
        "the setup secret must not reach the log, even through request logging"
    );

    assert_eq!(server.stop().code(), Some(0));

    // Next start: a user exists, so no link, and the file is gone.
    let server = Server::start(dir.path(), &["--data", data_arg]);
    assert_eq!(server.setup_link(), None, "{:?}", server.banner);
    assert!(
        !file.exists(),
        "the setup file is removed once a user exists"
    );
    assert_eq!(server.stop().code(), Some(0));
}

#[tokio::test]
async fn a_second_server_on_the_same_data_dir_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let data_arg = data.to_str().expect("utf-8");
    let server = Server::start(dir.path(), &["--data", data_arg]);
    let second = run(
        dir.path(),
        &["serve", "--listen", "127.0.0.1:0", "--data", data_arg],
        None,
    );
    assert_eq!(second.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("another canhgac server"), "{stderr}");
    assert_eq!(server.stop().code(), Some(0));
}

/// Writes through the API while SIGTERM arrives: the server exits 0 and every write it
/// acknowledged with a 2xx is there after a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_during_writes_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let data_arg = data.to_str().expect("utf-8");
    let token = admin_token(dir.path(), &["--data", data_arg]);
    let server = Server::start(dir.path(), &["--data", data_arg]);
    assert_eq!(server.setup_link(), None, "an admin exists already");
    let acknowledged = writes_until_sigterm(server, &token).await;
    let server = Server::start(dir.path(), &["--data", data_arg]);
    assert_all_present(&server, &token, &acknowledged).await;
    assert_eq!(server.stop().code(), Some(0));
}

/// Four writers create units through the API; after 40 acknowledged writes the server gets
/// SIGTERM. Returns the acknowledged (id, name) pairs once the server has exited with 0.
pub async fn writes_until_sigterm(mut server: Server, token: &str) -> Vec<(i64, String)> {
    let acknowledged: Arc<Mutex<Vec<(i64, String)>>> = Arc::default();
    let terminated = Arc::new(AtomicBool::new(false));
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let mut writers = Vec::new();
    for writer in 0..4 {
        let (http, base, token) = (http.clone(), server.base.clone(), token.to_string());
        let (acknowledged, terminated) = (acknowledged.clone(), terminated.clone());
        writers.push(tokio::spawn(async move {
            for i in 0.. {
                let name = format!("Đơn vị ghi {writer}-{i}");
                let sent = http
                    .post(format!("{base}/api/v1/units"))
                    .bearer_auth(&token)
                    .json(&serde_json::json!({ "name": name, "kind": "province" }))
                    .send()
                    .await;
                let Ok(response) = sent else { break };
                let status = response.status();
                if !status.is_success() {
                    // Before SIGTERM every write must succeed; after it, refusals are fine.
                    assert!(
                        terminated.load(Ordering::SeqCst),
                        "write refused before SIGTERM: {status} {:?}",
                        response.text().await
                    );
                    break;
                }
                // A 2xx whose body did not arrive completely was never seen by a client.
                let Ok(unit) = response.json::<serde_json::Value>().await else {
                    break;
                };
                let id = unit["id"].as_i64().expect("unit id");
                acknowledged.lock().expect("lock").push((id, name));
            }
        }));
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while acknowledged.lock().expect("lock").len() < 40 {
        assert!(
            std::time::Instant::now() < deadline,
            "writes too slow:\n{}",
            server.stderr()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    terminated.store(true, Ordering::SeqCst);
    server.signal_term();
    let status = tokio::task::spawn_blocking(move || {
        let status = server.wait();
        (status, server.stderr())
    })
    .await
    .expect("wait");
    for writer in writers {
        writer.await.expect("writer");
    }
    assert_eq!(
        status.0.code(),
        Some(0),
        "graceful exit; log:\n{}",
        status.1
    );
    assert!(status.1.contains("SIGTERM"), "{}", status.1);
    let acknowledged = acknowledged.lock().expect("lock").clone();
    assert!(acknowledged.len() >= 40);
    println!("{} writes acknowledged around SIGTERM", acknowledged.len());
    acknowledged
}

/// Every acknowledged unit is stored with its name.
pub async fn assert_all_present(server: &Server, token: &str, acknowledged: &[(i64, String)]) {
    let http = reqwest::Client::new();
    for (id, name) in acknowledged {
        let response = http
            .get(format!("{}/api/v1/units/{id}", server.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("GET unit");
        assert_eq!(
            response.status(),
            200,
            "acknowledged unit {id} ({name}) lost"
        );
        let unit: serde_json::Value = response.json().await.expect("json");
        assert_eq!(unit["name"], name.as_str());
    }
}

#[tokio::test]
async fn demo_populates_and_prints_random_passwords() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let data_arg = data.to_str().expect("utf-8");
    let server = Server::start(dir.path(), &["--data", data_arg, "--demo"]);
    assert_eq!(
        server.setup_link(),
        None,
        "demo users exist: {:?}",
        server.banner
    );
    let password = |user: &str| -> String {
        server
            .banner
            .iter()
            .find_map(|line| {
                let mut words = line.split_whitespace();
                (words.next() == Some(user)).then(|| words.nth(1).map(str::to_string))?
            })
            .unwrap_or_else(|| panic!("no password line for {user}: {:?}", server.banner))
    };
    let admin_password = password("demo-admin");
    assert!(admin_password.len() >= 16);
    for user in ["demo-analyst", "demo-officer", "demo-viewer"] {
        assert_ne!(
            password(user),
            admin_password,
            "passwords are random per user"
        );
    }

    let http = client();
    let login = http
        .post(format!("{}/login", server.base))
        .form(&[
            ("username", "demo-admin"),
            ("password", admin_password.as_str()),
            ("next", "/"),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(
        login.status(),
        303,
        "demo-admin signs in with the printed password"
    );
    let dashboard: serde_json::Value = http
        .get(format!("{}/api/v1/dashboard", server.base))
        .send()
        .await
        .expect("dashboard")
        .json()
        .await
        .expect("json");
    for count in ["units", "systems", "assets", "contacts"] {
        assert!(
            dashboard[count].as_u64().unwrap_or(0) > 0,
            "{count} populated: {dashboard}"
        );
    }

    // The demo unit officer sees their department's systems, and less than the admin.
    let officer = client();
    let officer_password = password("demo-officer");
    let login = officer
        .post(format!("{}/login", server.base))
        .form(&[
            ("username", "demo-officer"),
            ("password", officer_password.as_str()),
            ("next", "/"),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(login.status(), 303);
    let scoped: serde_json::Value = officer
        .get(format!("{}/api/v1/dashboard", server.base))
        .send()
        .await
        .expect("dashboard")
        .json()
        .await
        .expect("json");
    assert!(scoped["systems"].as_u64().unwrap_or(0) > 0, "{scoped}");
    assert!(
        scoped["units"].as_u64() < dashboard["units"].as_u64(),
        "{scoped} vs {dashboard}"
    );
    assert_eq!(server.stop().code(), Some(0));

    // A second --demo start leaves the data alone and prints no new passwords.
    let server = Server::start(dir.path(), &["--data", data_arg, "--demo"]);
    assert!(
        server.banner.iter().all(|l| !l.contains("demo-admin")),
        "{:?}",
        server.banner
    );
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn a_bad_configuration_key_or_value_fails_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    // ./canhgac.toml is picked up without --config.
    std::fs::write(
        dir.path().join("canhgac.toml"),
        "[web]\nsesion_ttl = \"8h\"\n",
    )
    .expect("write config");
    let out = run(dir.path(), &["serve", "--listen", "127.0.0.1:0"], None);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown key web.sesion_ttl"), "{stderr}");
    assert!(!dir.path().join("canhgac-data").exists(), "nothing started");

    std::fs::write(
        dir.path().join("canhgac.toml"),
        "[web]\nsession_ttl = \"8h\"\n",
    )
    .expect("write config");
    let mut command = common::canhgac(dir.path());
    let out = command
        .args(["config", "check"])
        .env("CANHGAC_WEB__LOGIN_ATTEMPTS", "abc")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("CANHGAC_WEB__LOGIN_ATTEMPTS (web.login_attempts): invalid digit"),
        "{stderr}"
    );

    let explicit = dir.path().join("other.toml");
    std::fs::write(&explicit, "[locale]\ntime_zone = \"Mars/Olympus\"\n").expect("write");
    let out = run(
        dir.path(),
        &[
            "--config",
            explicit.to_str().expect("utf-8"),
            "config",
            "check",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("other.toml: locale.time_zone: unknown time zone"),
        "{stderr}"
    );

    // A valid file: `config check` prints the effective configuration, password masked.
    let mut command = common::canhgac(dir.path());
    let out = command
        .args(["config", "check"])
        .env(
            "CANHGAC_DATABASE_URL",
            "postgres://canhgac:s3cr3t-pw@db/canhgac",
        )
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("session_ttl = \"8h\""), "{stdout}");
    assert!(
        stdout.contains("postgres://canhgac:***@db/canhgac"),
        "{stdout}"
    );
    assert!(!stdout.contains("s3cr3t"), "{stdout}");
}

#[test]
fn config_example_is_the_deploy_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = common::run_ok(dir.path(), &["config", "example"], None);
    let file = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/canhgac.example.toml"
    ))
    .expect("example file");
    assert_eq!(out, file);
    // And the example itself passes `config check`.
    let path = dir.path().join("example.toml");
    std::fs::write(&path, &file).expect("write");
    common::run_ok(
        dir.path(),
        &["--config", path.to_str().expect("utf-8"), "config", "check"],
        None,
    );
}

/// The same start-up, setup and SIGTERM guarantees on PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_serve_setup_and_sigterm() {
    let Some(admin_url) = common::postgres_admin_url() else {
        return;
    };
    let db = common::PgDatabase::create(&admin_url).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let data_arg = data.to_str().expect("utf-8");
    // An admin URL without a password means the server trusts loopback and ignores one: give
    // one anyway, to check it never reaches the log.
    let mut url = url::Url::parse(&db.url).expect("url");
    if url.password().is_none() {
        url.set_password(Some("pw-never-logged")).expect("password");
    }
    let secret = url.password().expect("password").to_string();
    let url = url.to_string();
    let store = ["--data", data_arg, "--database", url.as_str()];

    let server = Server::start(dir.path(), &store);
    let health: serde_json::Value = reqwest::get(format!("{}/healthz", server.base))
        .await
        .expect("healthz")
        .json()
        .await
        .expect("json");
    assert_eq!(health["store"], "postgres", "{health}");
    complete_setup(&server, "quantri").await;
    let log = server.stderr();
    assert!(
        log.contains("postgres://"),
        "the store is named in the log: {log}"
    );
    assert!(
        !log.contains(&secret),
        "the database password was logged: {log}"
    );
    assert_eq!(server.stop().code(), Some(0));

    let mut create = vec!["token", "create", "--user", "quantri", "--name", "e2e"];
    create.extend_from_slice(&store);
    let token = common::run_ok(dir.path(), &create, None).trim().to_string();
    let server = Server::start(dir.path(), &store);
    assert_eq!(server.setup_link(), None);
    let acknowledged = writes_until_sigterm(server, &token).await;
    let server = Server::start(dir.path(), &store);
    assert_all_present(&server, &token, &acknowledged).await;
    assert_eq!(server.stop().code(), Some(0));
    db.drop_database().await;
}
