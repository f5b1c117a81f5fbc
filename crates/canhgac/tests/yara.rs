//! `canhgac yara` and `canhgac sweep` with the real binary over a web root in a temporary
//! directory: a planted (inert) web shell among clean pages, a rule directory with a broken
//! file, a symlink loop, an unreadable file; the JSON and CSV outputs parsed, the exit codes,
//! and `yara --watch` posting its batch to a server.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{admin_token, run, Server};

/// The planted web shell: text our PHP rule matches, in a branch that never runs.
const SHELL: &str =
    "<?php\n// canhgac test: inert\nif (false) { @eval($_POST['canhgac_test']); }\n";
const MARKER: &str = "CANHGAC-TEST-MARKER-7f3a";

struct WebRoot {
    _dir: tempfile::TempDir,
    cwd: PathBuf,
    root: PathBuf,
    rules: PathBuf,
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .is_some_and(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

fn web_root() -> WebRoot {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path().to_path_buf();
    let root = cwd.join("www");
    for sub in ["news", "uploads/2025/11", "assets", "images"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    std::fs::write(
        root.join("index.php"),
        "<?php\n$page = htmlspecialchars($_GET['p'] ?? 'home');\ninclude 'pages/home.php';\n",
    )
    .unwrap();
    std::fs::write(
        root.join("news/article.aspx"),
        "<%@ Page Language=\"C#\" %>\n<% var id = Request.QueryString[\"id\"]; %>\n",
    )
    .unwrap();
    std::fs::write(
        root.join("assets/app.js"),
        "document.title = 'Cổng thông tin';\n",
    )
    .unwrap();
    std::fs::write(
        root.join("images/logo.png"),
        (0..4096u32)
            .map(|i| (i * 7 % 251) as u8)
            .collect::<Vec<u8>>(),
    )
    .unwrap();
    std::fs::write(root.join("uploads/2025/11/avatar.php"), SHELL).unwrap();
    std::fs::write(root.join("uploads/notes.txt"), format!("x {MARKER} y")).unwrap();
    // A loop: www/news/back -> www.
    std::os::unix::fs::symlink(&root, root.join("news/back")).unwrap();

    let rules = cwd.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("marker.yar"),
        format!("rule test_marker : custom {{\n  meta: severity = \"low\"\n  strings: $m = \"{MARKER}\"\n  condition: $m\n}}\n"),
    )
    .unwrap();
    // Line 3 refers to an identifier that does not exist.
    std::fs::write(
        rules.join("broken.yar"),
        "rule broken_rule {\n  condition:\n    undefined_identifier\n}\n",
    )
    .unwrap();
    WebRoot {
        _dir: dir,
        cwd,
        root,
        rules,
    }
}

fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_scan_of_a_web_root_finds_the_planted_web_shell() {
    let w = web_root();
    let out = run(
        &w.cwd,
        &[
            "yara",
            "--rules",
            arg(&w.rules),
            "--format",
            "json",
            arg(&w.root),
        ],
        None,
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "hits exit 1: {err}");
    // The broken file is named with its line; the other rules still ran.
    assert!(err.contains("broken.yar:3:"), "{err}");
    assert!(err.contains("rule file not loaded"), "{err}");
    let hits = json_lines(&out);
    let mut found: Vec<(String, String)> = hits
        .iter()
        .map(|h| {
            let path = h["path"].as_str().unwrap();
            let relative = Path::new(path).strip_prefix(&w.root).unwrap();
            (
                h["rule"].as_str().unwrap().to_owned(),
                relative.display().to_string(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            (
                "php_eval_request_input".to_owned(),
                "uploads/2025/11/avatar.php".to_owned()
            ),
            ("test_marker".to_owned(), "uploads/notes.txt".to_owned()),
        ]
    );
    let shell = hits
        .iter()
        .find(|h| h["rule"] == "php_eval_request_input")
        .unwrap();
    assert_eq!(shell["severity"], "critical");
    assert!(shell["tags"]
        .as_array()
        .unwrap()
        .contains(&"webshell".into()));
    let eval = shell["matches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["identifier"] == "$eval_input")
        .unwrap();
    assert_eq!(eval["offset"], SHELL.find("eval(").unwrap());
    assert!(eval["excerpt"].as_str().unwrap().starts_with("eval($_POST"));
    let marker = hits.iter().find(|h| h["rule"] == "test_marker").unwrap();
    assert_eq!(marker["severity"], "low");
    assert_eq!(marker["namespace"], "marker");
    // Links are not followed by default: the loop is never entered, nothing to report.
    assert!(!err.contains("loop"), "{err}");
    assert!(err.contains("6 files"), "{err}");
}

#[test]
fn csv_and_table_outputs() {
    let w = web_root();
    let out = run(
        &w.cwd,
        &[
            "yara",
            "--rules",
            arg(&w.rules),
            "--format",
            "csv",
            "-q",
            arg(&w.root),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("path,rule,namespace,tags,severity,matches")
    );
    let mut rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect();
    rows.sort();
    assert_eq!(rows.len(), 2, "{text}");
    assert!(rows[0][0].ends_with("uploads/2025/11/avatar.php"));
    assert_eq!(rows[0][1], "php_eval_request_input");
    assert_eq!(rows[0][2], "canhgac.webshells.php");
    assert_eq!(rows[0][3], "webshell;php");
    assert_eq!(rows[0][4], "critical");
    assert!(rows[0][5].contains("$eval_input@"), "{}", rows[0][5]);
    assert_eq!(rows[1][1], "test_marker");
    // -q: no summary, only the problems (the broken rule file).
    assert!(!stderr(&out).contains("files,"), "{}", stderr(&out));

    let out = run(&w.cwd, &["yara", "-q", arg(&w.root)], None);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.starts_with("critical"));
    assert!(text.contains("php_eval_request_input"));
    assert!(text.contains("avatar.php"));
}

#[test]
fn clean_trees_skips_and_limits() {
    let w = web_root();
    // Without the uploads directory the tree is clean: exit 0, nothing on stdout.
    let out = run(&w.cwd, &["yara", "--skip", "uploads", arg(&w.root)], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");

    // Over the size limit the shell is skipped, and said so.
    let out = run(
        &w.cwd,
        &["yara", "--max-size", "40", arg(&w.root.join("uploads"))],
        None,
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("skipped:") && err.contains("avatar.php"),
        "{err}"
    );

    // A file named directly is scanned too.
    let out = run(
        &w.cwd,
        &["yara", arg(&w.root.join("uploads/2025/11/avatar.php"))],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

#[test]
fn symlink_loops_and_unreadable_files_are_reported_not_fatal() {
    let w = web_root();
    let locked = w.root.join("news/locked.php");
    std::fs::write(&locked, SHELL).unwrap();
    let mut perms = std::fs::metadata(&locked).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o000);
    std::fs::set_permissions(&locked, perms).unwrap();

    let out = run(
        &w.cwd,
        &[
            "yara",
            "--follow-symlinks",
            "--format",
            "json",
            arg(&w.root),
        ],
        None,
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("symbolic link loop"), "{err}");
    assert!(err.contains("news/back"), "{err}");
    let hits = json_lines(&out);
    let paths: Vec<&str> = hits.iter().map(|h| h["path"].as_str().unwrap()).collect();
    assert!(
        paths
            .iter()
            .any(|p| p.ends_with("uploads/2025/11/avatar.php")),
        "{paths:?}"
    );
    if running_as_root() {
        // root reads a mode-000 file: it is simply scanned.
        assert!(paths.iter().any(|p| p.ends_with("news/locked.php")));
    } else {
        assert!(
            err.contains("not scanned:") && err.contains("locked.php"),
            "{err}"
        );
        assert!(!paths.iter().any(|p| p.ends_with("news/locked.php")));
    }
}

#[test]
fn runs_that_cannot_start_exit_2() {
    let w = web_root();
    let missing = w.cwd.join("no-such-dir");
    let out = run(&w.cwd, &["yara", arg(&missing)], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no-such-dir"));

    // Only the broken rule file, without the built-in rules: nothing to scan with.
    std::fs::remove_file(w.rules.join("marker.yar")).unwrap();
    let out = run(
        &w.cwd,
        &[
            "yara",
            "--no-builtin",
            "--rules",
            arg(&w.rules),
            arg(&w.root),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no YARA rule loaded"),
        "{}",
        stderr(&out)
    );

    let out = run(&w.cwd, &["yara", "--skip", "a[", arg(&w.root)], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--skip"), "{}", stderr(&out));
}

fn sha256_hex(data: &[u8]) -> String {
    // The binary's own test dependencies have no SHA-256; `sha256sum` is everywhere we test.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f");
    std::fs::write(&file, data).unwrap();
    let out = std::process::Command::new("sha256sum")
        .arg(&file)
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

fn md5_hex(data: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f");
    std::fs::write(&file, data).unwrap();
    let out = std::process::Command::new("md5sum")
        .arg(&file)
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn a_hash_sweep_reports_listed_files_and_bad_lines() {
    let w = web_root();
    let list = w.cwd.join("bad-hashes.txt");
    std::fs::write(
        &list,
        format!(
            "# test list\n{},webshell mẫu\n{}  notes\nnot-a-hash\n{}\n",
            sha256_hex(SHELL.as_bytes()).to_uppercase(),
            md5_hex(format!("x {MARKER} y").as_bytes()),
            "ab".repeat(20) + "cd",
        ),
    )
    .unwrap();
    let out = run(
        &w.cwd,
        &[
            "sweep",
            "--hashes",
            arg(&list),
            "--format",
            "csv",
            arg(&w.root),
        ],
        None,
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("bad-hashes.txt:4:"), "{err}");
    assert!(err.contains("bad-hashes.txt:5:"), "{err}");
    let text = stdout(&out);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("path,algorithm,hash,label"));
    let mut rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    rows.sort();
    assert_eq!(rows.len(), 2, "{text}");
    assert!(rows[0][0].ends_with("uploads/2025/11/avatar.php"));
    assert_eq!(rows[0][1], "sha256");
    assert_eq!(rows[0][2], sha256_hex(SHELL.as_bytes()));
    assert_eq!(rows[0][3], "webshell mẫu");
    assert!(rows[1][0].ends_with("uploads/notes.txt"));
    assert_eq!(rows[1][1], "md5");

    let clean = w.cwd.join("clean-list.txt");
    std::fs::write(&clean, format!("{}\n", "0".repeat(64))).unwrap();
    let out = run(
        &w.cwd,
        &["sweep", "--hashes", arg(&clean), arg(&w.root)],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_hash_sweep_takes_the_indicators_of_the_server() {
    let w = web_root();
    let data = w.cwd.join("data");
    let data_arg = arg(&data).to_owned();
    let token = admin_token(&w.cwd, &["--data", &data_arg]);
    let server = Server::start(&w.cwd, &["--data", &data_arg]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let sha = sha256_hex(SHELL.as_bytes());
    runtime.block_on(async {
        let response = reqwest::Client::new()
            .post(format!("{}/api/v1/indicators", server.base))
            .bearer_auth(&token)
            .json(&serde_json::json!([
                {"kind": "sha256", "value": sha, "description": "web shell thử nghiệm"},
                {"kind": "domain", "value": "bad.example"}
            ]))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{:?}", response.text().await);
    });
    let out = run(
        &w.cwd,
        &[
            "sweep",
            "--server",
            &server.base,
            "--token",
            &token,
            "--format",
            "json",
            arg(&w.root),
        ],
        None,
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(!err.contains(&token) && !stdout(&out).contains(&token));
    let hits = json_lines(&out);
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0]["hash"], sha.as_str());
    assert_eq!(hits[0]["label"], "web shell thử nghiệm");
    assert!(hits[0]["path"].as_str().unwrap().ends_with("avatar.php"));
    server.stop();
}

/// A one-request HTTP server: answers `status` and returns the request it read.
fn one_request_server(status: u16) -> (String, std::thread::JoinHandle<(String, Vec<u8>)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut head = String::new();
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap();
                }
            }
            head.push_str(&line);
            if line == "\r\n" || line.is_empty() {
                break;
            }
        }
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body).unwrap();
        let answer = r#"{"created":1,"updated":0,"reopened":0,"fixed":0}"#;
        let mut stream = stream;
        write!(
            stream,
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
            answer.len()
        )
        .unwrap();
        (head, body)
    });
    (base, handle)
}

#[test]
fn watch_posts_a_complete_run_of_the_directory() {
    let w = web_root();
    let (base, server) = one_request_server(200);
    let token = "cg_test_secret_token_value";
    let out = run(
        &w.cwd,
        &[
            "yara",
            "--watch",
            arg(&w.root),
            "--server",
            &base,
            "--token",
            token,
            "--host",
            "web01",
            "--once",
        ],
        None,
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(!err.contains(token), "{err}");
    let (head, body) = server.join().unwrap();
    assert!(head.starts_with("POST /api/v1/findings "), "{head}");
    assert!(
        head.to_lowercase()
            .contains(&format!("authorization: bearer {token}")),
        "{head}"
    );
    let batch: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let root = w.root.display().to_string();
    assert_eq!(
        batch["snapshot"],
        serde_json::json!({"source": "malware", "categories": ["webshell", "malware_file"], "unit_ids": [null], "subject_prefix": format!("web01:{root}")})
    );
    let findings = batch["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "built-in rules only: {findings:?}");
    let f = &findings[0];
    let path = format!("{root}/uploads/2025/11/avatar.php");
    assert_eq!(
        f["key"],
        format!("yara:php_eval_request_input:web01:{path}")
    );
    assert_eq!(f["category"], "webshell");
    assert_eq!(f["subject"], format!("web01:{path}"));
    assert_eq!(f["host"], "web01");
    assert_eq!(f["severity"], "critical");
    assert_eq!(f["evidence"]["rule"], "php_eval_request_input");
    assert!(err.contains("posted"), "{err}");
}

#[test]
fn watch_says_when_the_server_refuses_and_exits_2_with_once() {
    let w = web_root();
    let (base, server) = one_request_server(500);
    let token = "cg_test_secret_token_value";
    let out = run(
        &w.cwd,
        &[
            "yara",
            "--watch",
            arg(&w.root),
            "--server",
            &base,
            "--token",
            token,
            "--once",
        ],
        None,
    );
    let err = stderr(&out);
    server.join().unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("not posted") && err.contains("500"), "{err}");
    assert!(!err.contains(token), "{err}");
}

#[test]
fn watch_reports_to_a_real_server_and_a_cleaned_file_is_fixed() {
    let w = web_root();
    let data = w.cwd.join("data");
    let data_arg = arg(&data).to_owned();
    let token = admin_token(&w.cwd, &["--data", &data_arg]);
    let server = Server::start(&w.cwd, &["--data", &data_arg]);
    let watch = |expect: i32| {
        let out = run(
            &w.cwd,
            &[
                "yara",
                "--watch",
                arg(&w.root),
                "--server",
                &server.base,
                "--token",
                &token,
                "--host",
                "web01",
                "--once",
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(expect), "{}", stderr(&out));
    };
    let list = |runtime: &tokio::runtime::Runtime| -> serde_json::Value {
        runtime.block_on(async {
            reqwest::Client::new()
                .get(format!("{}/api/v1/findings?source=malware", server.base))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap()
        })
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    watch(1);
    let open = list(&runtime);
    assert_eq!(open["items"][0]["status"], "open", "{open}");
    std::fs::remove_file(w.root.join("uploads/2025/11/avatar.php")).unwrap();
    watch(0);
    let fixed = list(&runtime);
    assert_eq!(fixed["items"][0]["status"], "fixed", "{fixed}");
    server.stop();
}
