//! End-to-end tests of the administration commands: inventory import/export, users, tokens,
//! backup and restore, with the real binary.

mod common;

use std::path::Path;

use common::{run, run_ok, Server, PASSWORD};

fn export(cwd: &Path, data: &str) -> String {
    run_ok(cwd, &["inventory", "export", "--data", data], None)
}

#[test]
fn a_bad_inventory_file_exits_2_naming_file_and_line_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let data = data.to_str().expect("utf-8");
    std::fs::write(
        dir.path().join("base.yaml"),
        "units:\n  - code: ubnd\n    name: UBND tỉnh Hòa Bình Xanh\n    kind: province\n",
    )
    .expect("write");
    run_ok(
        dir.path(),
        &["inventory", "import", "base.yaml", "--data", data],
        None,
    );
    let before = export(dir.path(), data);

    // One good file and one bad: neither is applied.
    std::fs::write(
        dir.path().join("more.yaml"),
        "units:\n  - code: so-khcn\n    name: Sở Khoa học và Công nghệ\n    kind: department\n    parent: ubnd\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("bad.yaml"),
        "units:\n  - code: so-yte\n    name: Sở Y tế\n    kind: sở\n    parent: ubnd\n  - code: so-tc\n    name: Sở Tài chính\n    kind: department\n    parent: khong-co\n",
    )
    .expect("write");
    let out = run(
        dir.path(),
        &[
            "inventory",
            "import",
            "more.yaml",
            "bad.yaml",
            "--data",
            data,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.yaml:4: kind: unknown value \"sở\""),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    assert_eq!(export(dir.path(), data), before, "nothing written");

    // An error found only when planning against the store (unknown parent) fails the same way.
    std::fs::write(
        dir.path().join("orphan.yaml"),
        "units:\n  - code: so-tc\n    name: Sở Tài chính\n    kind: department\n    parent: khong-co\n",
    )
    .expect("write");
    let out = run(
        dir.path(),
        &["inventory", "import", "orphan.yaml", "--data", data],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("orphan.yaml:5: parent:"), "{stderr}");
    assert_eq!(export(dir.path(), data), before, "nothing written");

    // --dry-run shows the plan and writes nothing.
    let dry = run_ok(
        dir.path(),
        &[
            "inventory",
            "import",
            "more.yaml",
            "--dry-run",
            "--data",
            data,
        ],
        None,
    );
    assert!(dry.contains("create unit"), "{dry}");
    assert!(dry.contains("so-khcn"), "{dry}");
    assert!(
        dry.contains("1 to create, 0 to update, 0 to delete"),
        "{dry}"
    );
    assert!(dry.contains("dry run"), "{dry}");
    assert_eq!(export(dir.path(), data), before, "nothing written");
}

#[test]
fn import_then_export_then_import_again_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let data = data.to_str().expect("utf-8");
    std::fs::write(dir.path().join("demo.yaml"), canhgac_inventory::demo_yaml()).expect("write");
    let first = run_ok(
        dir.path(),
        &["inventory", "import", "demo.yaml", "--data", data],
        None,
    );
    assert!(first.contains("applied:"), "{first}");
    assert!(
        first.contains(
            "create monitor   portal url https://hoabinhxanh.gov.vn/: Trang chủ Cổng thông tin"
        ),
        "{first}"
    );

    run_ok(
        dir.path(),
        &["inventory", "export", "-o", "export.yaml", "--data", data],
        None,
    );
    let exported = std::fs::read_to_string(dir.path().join("export.yaml")).expect("export");
    assert!(exported.contains("units:"), "{exported}");
    let again = run_ok(
        dir.path(),
        &["inventory", "import", "export.yaml", "--data", data],
        None,
    );
    assert!(again.starts_with("no changes"), "{again}");
    // Same with --prune: the export is the whole inventory.
    let pruned = run_ok(
        dir.path(),
        &[
            "inventory",
            "import",
            "export.yaml",
            "--prune",
            "--data",
            data,
        ],
        None,
    );
    assert!(pruned.starts_with("no changes"), "{pruned}");

    // The CSV export, imported as a set of files, changes nothing either.
    run_ok(
        dir.path(),
        &[
            "inventory",
            "export",
            "--format",
            "csv",
            "-o",
            "csv",
            "--data",
            data,
        ],
        None,
    );
    let mut files: Vec<String> = std::fs::read_dir(dir.path().join("csv"))
        .expect("csv dir")
        .map(|e| format!("csv/{}", e.expect("entry").file_name().to_string_lossy()))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "{files:?}");
    let mut args = vec!["inventory", "import"];
    args.extend(files.iter().map(String::as_str));
    args.extend(["--data", data]);
    let csv = run_ok(dir.path(), &args, None);
    assert!(csv.starts_with("no changes"), "{csv}");

    // stdout export equals the file export.
    assert_eq!(export(dir.path(), data), exported);
}

#[test]
fn users_and_tokens_from_the_command_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let data = data.to_str().expect("utf-8");
    std::fs::write(dir.path().join("demo.yaml"), canhgac_inventory::demo_yaml()).expect("write");
    run_ok(
        dir.path(),
        &["inventory", "import", "demo.yaml", "--data", data],
        None,
    );
    let unit = canhgac_inventory::demo_document()
        .units
        .iter()
        .find(|u| u.kind == canhgac_model::UnitKind::Department)
        .map(|u| u.code.clone())
        .expect("a department");

    // A weak password is refused.
    let weak = run(
        dir.path(),
        &[
            "user",
            "add",
            "--username",
            "yeu",
            "--role",
            "viewer",
            "--password-stdin",
            "--data",
            data,
        ],
        Some("short\n"),
    );
    assert_eq!(weak.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&weak.stderr).contains("password"));
    // Without a terminal and without --password-stdin, it refuses instead of hanging.
    let no_tty = run(
        dir.path(),
        &[
            "user",
            "add",
            "--username",
            "x1",
            "--role",
            "viewer",
            "--data",
            data,
        ],
        None,
    );
    assert_eq!(no_tty.status.code(), Some(2));
    // Unknown unit code.
    let bad_unit = run(
        dir.path(),
        &[
            "user",
            "add",
            "--username",
            "cb",
            "--role",
            "unit_officer",
            "--unit",
            "khong-co",
            "--password-stdin",
            "--data",
            data,
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    assert_eq!(bad_unit.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_unit.stderr).contains("khong-co"));

    run_ok(
        dir.path(),
        &[
            "user",
            "add",
            "--username",
            "canbo",
            "--role",
            "unit_officer",
            "--unit",
            &unit,
            "--display-name",
            "Cán bộ",
            "--password-stdin",
            "--data",
            data,
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    let list = run_ok(dir.path(), &["user", "list", "--data", data], None);
    let line = list
        .lines()
        .find(|l| l.contains("canbo"))
        .unwrap_or_else(|| panic!("{list}"));
    assert!(
        line.contains("unit_officer") && line.contains(&unit),
        "{line}"
    );

    let token = run_ok(
        dir.path(),
        &[
            "token", "create", "--user", "canbo", "--name", "relay", "--data", data,
        ],
        None,
    );
    let token = token.trim().to_string();
    assert!(token.starts_with("cgk_"), "{token}");
    run_ok(
        dir.path(),
        &[
            "user",
            "set-password",
            "--username",
            "canbo",
            "--password-stdin",
            "--data",
            data,
        ],
        Some("Mật-khẩu-mới-2026\n"),
    );

    // The token works against the server and is scoped to the officer's unit.
    let server = Server::start(dir.path(), &["--data", data]);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let http = reqwest::Client::new();
        let me: serde_json::Value = http
            .get(format!("{}/api/v1/me", server.base))
            .bearer_auth(&token)
            .send()
            .await
            .expect("me")
            .json()
            .await
            .expect("json");
        assert_eq!(me["username"], "canbo", "{me}");
        let all = canhgac_inventory::demo_document().units.len() as u64;
        let units: serde_json::Value = http
            .get(format!("{}/api/v1/units?per_page=500", server.base))
            .bearer_auth(&token)
            .send()
            .await
            .expect("units")
            .json()
            .await
            .expect("json");
        let seen = units["total"].as_u64().expect("total");
        assert!(seen >= 1 && seen < all, "scoped listing: {seen} of {all}");
        // The new password signs in.
        let login = common::client()
            .post(format!("{}/login", server.base))
            .form(&[
                ("username", "canbo"),
                ("password", "Mật-khẩu-mới-2026"),
                ("next", "/"),
            ])
            .send()
            .await
            .expect("login");
        assert_eq!(login.status(), 303);
    });
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn backup_while_serving_then_restore_gives_the_same_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("data");
    let data = data_dir.to_str().expect("utf-8");
    std::fs::write(dir.path().join("demo.yaml"), canhgac_inventory::demo_yaml()).expect("write");
    run_ok(
        dir.path(),
        &["inventory", "import", "demo.yaml", "--data", data],
        None,
    );
    let at_backup = export(dir.path(), data);

    // Without the watch engine, which would add automatic monitors (exported data) on its own.
    let config = dir.path().join("no-watch.toml");
    std::fs::write(&config, "[watch]\nenabled = false\n").expect("write");
    let server = Server::start(
        dir.path(),
        &["--data", data, "--config", config.to_str().expect("utf-8")],
    );
    let path = run_ok(dir.path(), &["backup", "backups", "--data", data], None);
    let path = path.trim().to_string();
    assert!(
        path.contains("backups/canhgac-") && path.ends_with(".db"),
        "{path}"
    );
    let backup = dir.path().join(&path);
    assert!(backup.is_file(), "{path}");

    // A change after the backup, while the server runs.
    std::fs::write(
        dir.path().join("later.yaml"),
        "units:\n  - code: don-vi-sau\n    name: Đơn vị thêm sau sao lưu\n    kind: enterprise\n",
    )
    .expect("write");
    run_ok(
        dir.path(),
        &["inventory", "import", "later.yaml", "--data", data],
        None,
    );
    assert_ne!(export(dir.path(), data), at_backup);

    // Restore refuses while the server holds the data directory.
    let busy = run(
        dir.path(),
        &["restore", &path, "--force", "--data", data],
        None,
    );
    assert_eq!(busy.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&busy.stderr).contains("another canhgac server"),
        "{}",
        String::from_utf8_lossy(&busy.stderr)
    );
    assert_eq!(server.stop().code(), Some(0));

    // Not a canhgac database: refused.
    std::fs::write(dir.path().join("notes.db"), "SQLite? no, just text").expect("write");
    let wrong = run(
        dir.path(),
        &["restore", "notes.db", "--force", "--data", data],
        None,
    );
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("is not a canhgac backup"));
    // An SQLite database that is not canhgac's: refused too.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        use sqlx::{ConnectOptions, Connection};
        let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(dir.path().join("other.db"))
            .create_if_missing(true)
            .connect()
            .await
            .expect("sqlite");
        sqlx::query("CREATE TABLE notes (body TEXT)")
            .execute(&mut conn)
            .await
            .expect("create");
        conn.close().await.expect("close");
    });
    let other = run(
        dir.path(),
        &["restore", "other.db", "--force", "--data", data],
        None,
    );
    assert_eq!(other.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&other.stderr);
    assert!(stderr.contains("no schema_migrations table"), "{stderr}");
    // An existing database needs --force.
    let unforced = run(dir.path(), &["restore", &path, "--data", data], None);
    assert_eq!(unforced.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unforced.stderr).contains("--force"));

    let restored = run_ok(
        dir.path(),
        &["restore", &path, "--force", "--data", data],
        None,
    );
    assert!(restored.contains("restored"), "{restored}");
    assert_eq!(
        export(dir.path(), data),
        at_backup,
        "the data as at the backup"
    );
    let aside: Vec<_> = std::fs::read_dir(&data_dir)
        .expect("data dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("canhgac.db.before-restore-"))
        .collect();
    assert!(!aside.is_empty(), "the previous database is kept");

    // The restored store serves.
    let server = Server::start(dir.path(), &["--data", data]);
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn commands_on_a_missing_store_say_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(
        dir.path(),
        &["user", "list", "--data", "khong-ton-tai"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("khong-ton-tai"), "{stderr}");
    assert!(
        !dir.path().join("khong-ton-tai").exists(),
        "no store created by a read"
    );
}
