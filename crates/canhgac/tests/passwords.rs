//! `canhgac passwords` with the real binary: import a generated list, check a password through
//! standard input, audit a generated NTLM dump; no password and no full hash is ever printed.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use canhgac_passwords::{ntlm_of, sha1_of, EMPTY_PASSWORD_NT};
use common::{run, run_ok};

const BREACHED: &str = "Password1";
const SHARED: &str = "Chung-Mật-Khẩu-2025";
const UNIQUE: &str = "Riêng-của-Dũng-77";

/// A Pwned-Passwords-style list: the breached password (seen 42 times), the empty password and
/// filler hashes, sorted, upper-case hex, CRLF line ends.
fn write_list(path: &Path, hashes: &mut [(Vec<u8>, u32)]) {
    hashes.sort();
    let text: String = hashes
        .iter()
        .map(|(h, n)| format!("{}:{n}\r\n", hex::encode_upper(h)))
        .collect();
    std::fs::write(path, text).unwrap();
}

fn ntlm_list() -> Vec<(Vec<u8>, u32)> {
    let mut hashes: Vec<(Vec<u8>, u32)> = (0..500)
        .map(|i| (ntlm_of(&format!("filler-{i}")).to_vec(), i + 1))
        .collect();
    hashes.push((ntlm_of(BREACHED).to_vec(), 42));
    hashes.push((EMPTY_PASSWORD_NT.to_vec(), 7));
    hashes
}

fn assert_nothing_secret(text: &str) {
    for password in [BREACHED, SHARED, UNIQUE] {
        assert!(!text.contains(password), "a password was printed:\n{text}");
        for hash in [ntlm_of(password).to_vec(), sha1_of(password).to_vec()] {
            let lower = hex::encode(&hash);
            assert!(
                !text.to_lowercase().contains(&lower[..16]),
                "a hash was printed:\n{text}"
            );
        }
    }
}

#[test]
fn import_check_and_audit() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let list = cwd.join("pwned-ntlm.txt");
    let db = cwd.join("ntlm.cgpw");
    write_list(&list, &mut ntlm_list());
    let db_arg = db.to_str().unwrap();

    // Import.
    let out = run(
        cwd,
        &[
            "passwords",
            "import",
            "--kind",
            "ntlm",
            list.to_str().unwrap(),
            "--out",
            db_arg,
        ],
        None,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("502 ntlm hashes written") && stderr.contains("lines/s"),
        "{stderr}"
    );

    // One password through standard input: breached (exit 1, how often), or not (exit 0).
    let out = run(
        cwd,
        &["passwords", "check", "--db", db_arg],
        Some("Password1\n"),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("BỊ LỘ") && stdout.contains("42 lần"),
        "{stdout}"
    );
    assert_nothing_secret(&format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)));
    let stdout = run_ok(cwd, &["passwords", "check", "--db", db_arg], Some(UNIQUE));
    assert!(stdout.contains("Không có"), "{stdout}");
    let out = run(cwd, &["passwords", "check", "--db", db_arg], Some(""));
    assert_eq!(out.status.code(), Some(2));

    // A list of hashes.
    let hashes = cwd.join("hashes.txt");
    std::fs::write(
        &hashes,
        format!(
            "{}\n{}:someone\nnot-a-hash\n",
            hex::encode(ntlm_of(BREACHED)),
            hex::encode_upper(ntlm_of(UNIQUE))
        ),
    )
    .unwrap();
    let out = run(
        cwd,
        &[
            "passwords",
            "check-hashes",
            "--db",
            db_arg,
            hashes.to_str().unwrap(),
            "--format",
            "csv",
        ],
        None,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            "line,hash_prefix,breach_count".to_string(),
            format!("1,{},42", &hex::encode(ntlm_of(BREACHED))[..8])
        ]
    );
    assert!(stderr.contains("line 3: wrong hash length"), "{stderr}");
    assert!(
        stderr.contains("2 ntlm hashes checked: 1 breached, 1 malformed"),
        "{stderr}"
    );

    // An AD dump: one breached account, two sharing a password, one clean, one empty
    // password, a computer account.
    let lm = "aad3b435b51404eeaad3b435b51404ee";
    let nt = |p: &str| hex::encode(ntlm_of(p));
    // A stored LM hash (any non-empty one): reported, never printed.
    let weak_lm = "e52cac67419a9a224a3b108f3fa6cb6d";
    let dump = cwd.join("ntds.txt");
    std::fs::write(
        &dump,
        format!(
            "[*] Dumping Domain Credentials (domain\\uid:rid:lmhash:nthash)\n\
             SOTTTT\\an.nguyen:1104:{weak_lm}:{}:::\n\
             SOTTTT\\binh.tran:1105:{lm}:{}:::\n\
             SOTTTT\\chi.le:1106:{lm}:{}:::\n\
             SOTTTT\\dung.pham:1107:{lm}:{}:::\n\
             SOTTTT\\Guest:501:{lm}:{}:::\n\
             SOTTTT\\MAYCHU01$:1000:{lm}:{}:::\n",
            nt(BREACHED),
            nt(SHARED),
            nt(SHARED),
            nt(UNIQUE),
            nt(""),
            nt(SHARED),
        ),
    )
    .unwrap();
    let dump_arg = dump.to_str().unwrap();
    let out = run(cwd, &["passwords", "audit", "--db", db_arg, dump_arg], None);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("Tài khoản") && stdout.contains("Số lần lộ"),
        "{stdout}"
    );
    let line_of = |name: &str| {
        stdout
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} not in\n{stdout}"))
            .to_string()
    };
    assert!(line_of("an.nguyen").contains("42") && line_of("an.nguyen").contains("còn lưu băm LM"));
    assert!(
        !stdout.contains(weak_lm) && !stdout.contains(&weak_lm[..8]),
        "{stdout}"
    );
    assert!(line_of("Guest").contains("mật khẩu rỗng"));
    assert!(
        !stdout.contains("dung.pham") && !stdout.contains("MAYCHU01"),
        "{stdout}"
    );
    assert!(
        stdout.contains("(2 tài khoản): SOTTTT\\binh.tran, SOTTTT\\chi.le"),
        "{stdout}"
    );
    assert!(
        stderr.contains("5 tài khoản đã kiểm tra") && stderr.contains("1 tài khoản máy"),
        "{stderr}"
    );
    assert_nothing_secret(&stdout);
    assert_nothing_secret(&stderr);
    assert!(
        !stdout.contains(&nt("")) && !stdout.contains("31d6cfe0d16a"),
        "{stdout}"
    );

    // JSON for tools: English field names, the same findings.
    let out = run(
        cwd,
        &[
            "passwords",
            "audit",
            "--db",
            db_arg,
            dump_arg,
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["accounts_checked"], 5);
    assert_eq!(
        json["breached_accounts"], 2,
        "an.nguyen and the empty Guest"
    );
    assert_eq!(json["shared_accounts"], 2);
    assert_eq!(json["lm_hash_accounts"], 1);
    let group = &json["shared_groups"][0];
    assert_eq!(group["accounts"].as_array().unwrap().len(), 2);
    assert_eq!(group["id"].as_str().unwrap().len(), 4);
    assert_nothing_secret(&String::from_utf8_lossy(&out.stdout));

    // A clean dump exits 0; a missing one is bad input.
    let clean = cwd.join("clean.txt");
    std::fs::write(&clean, format!("dung.pham:1107:{lm}:{}:::\n", nt(UNIQUE))).unwrap();
    let out = run(
        cwd,
        &[
            "passwords",
            "audit",
            "--db",
            db_arg,
            clean.to_str().unwrap(),
            "--format",
            "csv",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "account,rid,breach_count,empty_password,shared_group,lm_hash_stored"
    );
    let out = run(
        cwd,
        &["passwords", "audit", "--db", db_arg, "missing.txt"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn bad_input_writes_nothing_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let list = cwd.join("plain.txt");
    // A plaintext list given by mistake: refused, and its lines are never echoed.
    std::fs::write(&list, format!("{SHARED}\n{UNIQUE}\n")).unwrap();
    let out = run(
        cwd,
        &[
            "passwords",
            "import",
            "--kind",
            "sha1",
            "plain.txt",
            "--out",
            "sha1.cgpw",
        ],
        None,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("line 2: missing or invalid count"),
        "{stderr}"
    );
    assert_nothing_secret(&stderr);
    assert!(!cwd.join("sha1.cgpw").exists());
    assert_eq!(
        std::fs::read_dir(cwd).unwrap().count(),
        1,
        "no temporary file left"
    );

    // An SHA-1 file works for `check` but not for an audit.
    let mut hashes = vec![(sha1_of(BREACHED).to_vec(), 9), (sha1_of("x").to_vec(), 1)];
    write_list(&list, &mut hashes);
    run_ok(
        cwd,
        &[
            "passwords",
            "import",
            "--kind",
            "sha1",
            "plain.txt",
            "--out",
            "sha1.cgpw",
        ],
        None,
    );
    let out = run(
        cwd,
        &["passwords", "check", "--db", "sha1.cgpw"],
        Some("Password1\r\n"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("9 lần"));
    let out = run(
        cwd,
        &["passwords", "audit", "--db", "sha1.cgpw", "plain.txt"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let out = run(
        cwd,
        &["passwords", "check", "--db", "plain.txt"],
        Some("x\n"),
    );
    assert_eq!(out.status.code(), Some(2));
}

/// The "Done when" of the audit: a dump of two units' accounts is audited and reported to the
/// server; each unit sees its breached and shared passwords (and only its own), no password or
/// hash reaches the server, and a later run marks fixed the accounts that changed password.
#[tokio::test]
async fn audit_findings_reach_the_server_per_unit() {
    use common::{admin_token, api, complete_setup, Server};
    use reqwest::Method;
    use serde_json::json;

    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let data = cwd.join("data");
    let data_arg = data.to_str().unwrap();
    let token = admin_token(cwd, &["--data", data_arg]);
    let server = Server::start(cwd, &["--data", data_arg]);
    let _ = complete_setup;
    let http = reqwest::Client::new();

    // Two units; an officer of the department.
    let mut unit_ids = Vec::new();
    for (name, code) in [
        ("Sở Thông tin", "so-tttt"),
        ("UBND xã An Bình", "xa-an-binh"),
    ] {
        let (status, unit) = api(
            &http,
            &server,
            &token,
            Method::POST,
            "/api/v1/units",
            Some(json!({"name": name, "code": code, "kind": "department"})),
        )
        .await;
        assert_eq!(status, 201, "{unit}");
        unit_ids.push(unit["id"].as_i64().unwrap());
    }
    let (status, officer) = api(
        &http,
        &server,
        &token,
        Method::POST,
        "/api/v1/users",
        Some(json!({"username": "canbo.so", "role": "unit_officer", "unit_ids": [unit_ids[0]]})),
    )
    .await;
    assert_eq!(status, 201, "{officer}");
    let (status, officer_token) = api(
        &http,
        &server,
        &token,
        Method::POST,
        &format!("/api/v1/users/{}/tokens", officer["id"]),
        Some(json!({"name": "kiểm tra"})),
    )
    .await;
    assert_eq!(status, 201, "{officer_token}");
    let officer_token = officer_token["secret"].as_str().unwrap().to_string();

    let list = cwd.join("pwned-ntlm.txt");
    let db = cwd.join("ntlm.cgpw");
    write_list(&list, &mut ntlm_list());
    let db_arg = db.to_str().unwrap();
    run_ok(
        cwd,
        &[
            "passwords",
            "import",
            "--kind",
            "ntlm",
            list.to_str().unwrap(),
            "--out",
            db_arg,
        ],
        None,
    );
    let lm = "aad3b435b51404eeaad3b435b51404ee";
    let nt = |p: &str| hex::encode(ntlm_of(p));
    // an.nguyen (department) uses a breached password; binh.tran (department) and chi.le (the
    // commune) share one.
    let write_dump = |an_password: &str| {
        let dump = cwd.join("ntds.txt");
        std::fs::write(
            &dump,
            format!(
                "TINH\\an.nguyen:1104:{lm}:{}:::\n\
                 TINH\\binh.tran:1105:{lm}:{}:::\n\
                 TINH\\chi.le:1106:e52cac67419a9a224a3b108f3fa6cb6d:{}:::\n\
                 TINH\\dung.pham:1107:{lm}:{}:::\n",
                nt(an_password),
                nt(SHARED),
                nt(SHARED),
                nt(UNIQUE),
            ),
        )
        .unwrap();
        dump
    };
    let accounts = cwd.join("accounts.csv");
    std::fs::write(&accounts, "account,unit\nchi.le,xa-an-binh\n").unwrap();
    let audit_args = |dump: &Path, token: &str, unit: &str| -> Vec<String> {
        [
            "passwords",
            "audit",
            "--db",
            db_arg,
            "--server",
            &server.base,
            "--token",
            token,
            "--unit",
            unit,
            "--accounts",
            accounts.to_str().unwrap(),
            dump.to_str().unwrap(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let run_audit = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(cwd, &args, None)
    };

    let dump = write_dump(BREACHED);
    let out = run_audit(audit_args(&dump, &token, "so-tttt"));
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("đã gửi 4 phát hiện") && stderr.contains("4 mới"),
        "{stderr}"
    );
    assert!(!stderr.contains(&token), "the token was printed");

    let (status, found) = api(
        &http,
        &server,
        &token,
        Method::GET,
        "/api/v1/findings?source=passwords&per_page=100",
        None,
    )
    .await;
    assert_eq!(status, 200);
    let items = found["items"].as_array().unwrap();
    let find = |category: &str, unit: i64| {
        items
            .iter()
            .find(|f| f["category"] == category && f["unit_id"] == unit)
            .unwrap_or_else(|| panic!("no {category} in unit {unit}: {found}"))
            .clone()
    };
    let breached = find("breached_password", unit_ids[0]);
    assert_eq!(breached["subject"], "TINH\\an.nguyen");
    assert_eq!(breached["evidence"]["breach_count"], 42);
    let shared_so = find("shared_password", unit_ids[0]);
    assert_eq!(shared_so["subject"], "TINH\\binh.tran");
    let shared_xa = find("shared_password", unit_ids[1]);
    assert_eq!(shared_xa["subject"], "TINH\\chi.le");
    assert_eq!(shared_xa["evidence"]["accounts_in_other_units"], 1);
    assert_eq!(find("lm_hash", unit_ids[1])["subject"], "TINH\\chi.le");
    assert_nothing_secret(&found.to_string());

    // The department's officer sees the department's findings only, and its hygiene counts.
    let (_, mine) = api(
        &http,
        &server,
        &officer_token,
        Method::GET,
        "/api/v1/findings?per_page=100",
        None,
    )
    .await;
    assert_eq!(mine["total"], 2, "{mine}");
    assert!(mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["unit_id"] == unit_ids[0]));
    let (_, counts) = api(
        &http,
        &server,
        &officer_token,
        Method::GET,
        "/api/v1/findings/counts",
        None,
    )
    .await;
    assert!(
        counts
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["unit_id"] == unit_ids[0]),
        "{counts}"
    );
    // Nor may the officer report the commune's accounts.
    let out = run_audit(audit_args(&dump, &officer_token, "so-tttt"));
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr.contains("xa-an-binh"), "{stderr}");

    // an.nguyen changes password: the next complete run marks it fixed.
    let dump = write_dump("Mật-khẩu-mới-2026!");
    let out = run_audit(audit_args(&dump, &token, "so-tttt"));
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(stderr.contains("1 đã khắc phục"), "{stderr}");
    let (_, fixed) = api(
        &http,
        &server,
        &token,
        Method::GET,
        &format!("/api/v1/findings/{}", breached["id"]),
        None,
    )
    .await;
    assert_eq!(fixed["status"], "fixed", "{fixed}");

    // Unknown unit codes and a missing token are refused before anything is sent.
    let out = run_audit(audit_args(&dump, &token, "khong-co"));
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("khong-co"));
    let out = run(
        cwd,
        &[
            "passwords",
            "audit",
            "--db",
            db_arg,
            "--server",
            &server.base,
            dump.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    server.stop();
}
