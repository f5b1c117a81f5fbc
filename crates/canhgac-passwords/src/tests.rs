use std::io::Cursor;
use std::path::Path;

use rand::{Rng, SeedableRng};

use super::*;

fn random_hashes(n: usize, len: usize, seed: u64) -> Vec<Vec<u8>> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut hashes: Vec<Vec<u8>> = (0..n)
        .map(|_| (0..len).map(|_| rng.gen()).collect())
        .collect();
    hashes.sort();
    hashes.dedup();
    hashes
}

fn list(hashes: &[Vec<u8>], upper: bool, crlf: bool) -> String {
    hashes
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let hex = hex::encode(h);
            let hex = if upper { hex.to_uppercase() } else { hex };
            format!("{hex}:{}{}", i + 1, if crlf { "\r\n" } else { "\n" })
        })
        .collect()
}

fn import_text(text: &str, kind: HashKind, out: &Path, chunk_bytes: usize) -> ImportReport {
    let options = ImportOptions {
        chunk_bytes,
        ..ImportOptions::default()
    };
    import_with(Cursor::new(text.as_bytes()), kind, out, &options, |_| {}).expect("import")
}

#[test]
fn sha1_follows_the_standard_test_vector() {
    // FIPS 180 example: SHA-1("abc").
    assert_eq!(
        hex::encode(sha1_of("abc")),
        "a9993e364706816aba3e25717850c26c9cd0d89d"
    );
}

#[test]
fn ntlm_is_md4_of_utf16le() {
    use md4::Digest;
    // RFC 1320 test suite: MD4("abc"), so the MD4 below is the algorithm's own.
    assert_eq!(
        hex::encode(md4::Md4::digest(b"abc")),
        "a448017aaf21d8525fc10ae87aa6729d"
    );
    // "Mật khẩu1" in UTF-16LE, spelled out code unit by code unit.
    let units: [u16; 9] = [0x4d, 0x1ead, 0x74, 0x20, 0x6b, 0x68, 0x1ea9, 0x75, 0x31];
    let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
    let expected: [u8; 16] = md4::Md4::digest(&bytes).into();
    assert_eq!(ntlm_of("Mật khẩu1"), expected);
    assert_eq!(ntlm_of(""), EMPTY_PASSWORD_NT);
    assert_eq!(
        hex::encode(EMPTY_PASSWORD_NT),
        "31d6cfe0d16ae931b73c59d7e0c089c0"
    );
}

#[test]
fn sorted_import_finds_every_hash_and_the_edges() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sha1.cgpw");
    let mut hashes = random_hashes(5000, 20, 1);
    // The edges of the key space and of the fan-out table.
    hashes.insert(0, vec![0; 20]);
    hashes.push(vec![0xff; 20]);
    hashes.sort();
    let report = import_text(&list(&hashes, true, true), HashKind::Sha1, &out, 64 << 20);
    assert!(report.sorted_input);
    assert_eq!(report.records, hashes.len() as u64);
    assert_eq!(report.malformed, 0);
    assert_eq!(
        report.file_size,
        std::fs::metadata(&out).unwrap().len(),
        "size reported is the size written"
    );
    let set = BreachedSet::open(&out).unwrap();
    assert_eq!(set.len(), hashes.len() as u64);
    for (i, h) in hashes.iter().enumerate() {
        assert_eq!(set.lookup(h).unwrap(), Some(i as u32 + 1), "hash {i}");
    }
    // Misses just beside the first, the last and a middle record.
    let mut after_first = vec![0; 20];
    after_first[19] = 1;
    let mut before_last = vec![0xff; 20];
    before_last[19] = 0xfe;
    let mut beside = hashes[2500].clone();
    beside[19] ^= 1;
    for miss in [after_first, before_last, beside] {
        if !hashes.contains(&miss) {
            assert_eq!(set.lookup(&miss).unwrap(), None);
        }
    }
    assert!(matches!(
        set.lookup(&[0; 16]),
        Err(PasswordsError::HashLength { .. })
    ));
}

#[test]
fn lookup_in_a_dense_bucket_bisects_beyond_the_window() {
    // Every hash shares its first two bytes: one fan-out bucket of 1000 records.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ntlm.cgpw");
    let hashes: Vec<Vec<u8>> = (0..1000u32)
        .map(|i| {
            let mut h = vec![0xab, 0xcd];
            h.extend_from_slice(&(i * 2).to_be_bytes());
            h.extend_from_slice(&[0; 10]);
            h
        })
        .collect();
    import_text(&list(&hashes, false, false), HashKind::Ntlm, &out, 64 << 20);
    let set = BreachedSet::open(&out).unwrap();
    for (i, h) in hashes.iter().enumerate() {
        assert_eq!(set.lookup(h).unwrap(), Some(i as u32 + 1));
        let mut odd = h.clone();
        odd[5] |= 1;
        assert_eq!(set.lookup(&odd).unwrap(), None);
    }
}

#[test]
fn unsorted_input_is_sorted_externally_with_the_same_result() {
    let dir = tempfile::tempdir().unwrap();
    let hashes = random_hashes(3000, 16, 2);
    let sorted_text = list(&hashes, false, false);
    let sorted_out = dir.path().join("sorted.cgpw");
    import_text(&sorted_text, HashKind::Ntlm, &sorted_out, 64 << 20);

    // The same lines shuffled, one repeated with its count split in two.
    let mut lines: Vec<&str> = sorted_text.lines().collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    for i in (1..lines.len()).rev() {
        lines.swap(i, rng.gen_range(0..=i));
    }
    let first = lines
        .iter()
        .position(|l| l.ends_with(":10"))
        .expect("a line with count 10");
    let hash = lines[first].split(':').next().unwrap().to_string();
    let (a, b) = (format!("{hash}:4"), format!("{}:6", hash.to_uppercase()));
    lines[first] = &a;
    lines.push(&b);
    let text = lines.join("\n");
    let out = dir.path().join("unsorted.cgpw");
    // Chunks of 100 records: many runs to merge.
    let report = import_text(&text, HashKind::Ntlm, &out, 100 * 24);
    assert!(!report.sorted_input);
    assert!(report.runs > 10, "{} runs", report.runs);
    assert_eq!(report.duplicates, 1);
    assert_eq!(report.records, hashes.len() as u64);
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(&sorted_out).unwrap()
    );
    // No temporary file is left beside the output.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn malformed_lines_are_counted_and_named_by_number() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sha1.cgpw");
    let good = random_hashes(3, 20, 4);
    let text = format!(
        "{}:5\n\
         {}:2\n\
         0123:7\n\
         {}:1\n\
         zz{}:3\n\
         {}\n\
         {}:lots\n\
         \n\
         {}\n\
         {}:9\r\n",
        hex::encode(&good[0]),
        hex::encode(&good[0][..19]),
        hex::encode(&good[1]),
        &hex::encode(&good[1])[2..],
        hex::encode(&good[1]),
        hex::encode(&good[1]),
        "x".repeat(100_000),
        hex::encode(&good[2]),
    );
    let report = import_text(&text, HashKind::Sha1, &out, 64 << 20);
    assert_eq!(report.records, 3);
    assert_eq!(report.lines, 10);
    assert_eq!(report.malformed, 6);
    let named: Vec<(u64, MalformedReason)> = report
        .first_malformed
        .iter()
        .map(|m| (m.line, m.reason))
        .collect();
    assert_eq!(
        named,
        vec![
            (2, MalformedReason::WrongLength),
            (3, MalformedReason::WrongLength),
            (5, MalformedReason::NotHex),
            (6, MalformedReason::BadCount),
            (7, MalformedReason::BadCount),
            (9, MalformedReason::TooLong),
        ]
    );
    let set = BreachedSet::open(&out).unwrap();
    assert_eq!(set.lookup(&good[2]).unwrap(), Some(9));
}

#[test]
fn an_input_with_no_valid_line_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ntlm.cgpw");
    std::fs::write(&out, b"old").unwrap();
    let result = import(
        Cursor::new(b"not a hash\nneither:1\n"),
        HashKind::Ntlm,
        &out,
    );
    match result {
        Err(PasswordsError::Empty {
            malformed,
            first_malformed,
            ..
        }) => {
            assert_eq!(malformed, 2);
            assert_eq!(first_malformed[0].line, 1);
        }
        other => panic!("expected Empty, got {other:?}"),
    }
    assert_eq!(std::fs::read(&out).unwrap(), b"old");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn damaged_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sha1.cgpw");
    import_text(
        &list(&random_hashes(10, 20, 5), false, false),
        HashKind::Sha1,
        &out,
        64 << 20,
    );
    let bytes = std::fs::read(&out).unwrap();
    let truncated = dir.path().join("truncated");
    std::fs::write(&truncated, &bytes[..bytes.len() - 1]).unwrap();
    assert!(matches!(
        BreachedSet::open(&truncated),
        Err(PasswordsError::BadFile { .. })
    ));
    let other = dir.path().join("other");
    std::fs::write(&other, b"HASH:COUNT\n").unwrap();
    assert!(matches!(
        BreachedSet::open(&other),
        Err(PasswordsError::BadFile { .. })
    ));
}

#[test]
fn the_audit_reports_breached_empty_and_shared_passwords_without_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ntlm.cgpw");
    let breached = ntlm_of("Password1");
    let shared = ntlm_of("Chung-2025!");
    let unique = ntlm_of("Riêng-của-tôi-7");
    let mut listed = [breached.to_vec(), EMPTY_PASSWORD_NT.to_vec()];
    listed.sort();
    let text: String = listed
        .iter()
        .map(|h| {
            format!(
                "{}:{}\n",
                hex::encode_upper(h),
                if *h == breached { 42 } else { 7 }
            )
        })
        .collect();
    import(Cursor::new(text), HashKind::Ntlm, &out).unwrap();
    let set = BreachedSet::open(&out).unwrap();

    let lm = "aad3b435b51404eeaad3b435b51404ee";
    let hex = |h: &[u8; 16]| hex::encode(h);
    let dump = format!(
        "[*] Dumping Domain Credentials (domain\\uid:rid:lmhash:nthash)\n\
         TINH\\an.nguyen:1104:{lm}:{}:::\n\
         TINH\\binh.tran:1105:{lm}:{}::: (status=Enabled)\n\
         chi.le:1106:{lm}:{}:::\n\
         dung.pham:{}\n\
         TINH\\khach:501:{lm}:{}:::\n\
         TINH\\MAYCHU01$:1000:{lm}:{}:::\n\
         TINH\\an.nguyen_history0:1104:{lm}:{}:::\n\
         TINH\\an.nguyen:aes256-cts-hmac-sha1-96:00ff\n\
         TINH\\hong:1107:{lm}:1234:::\n\
         TINH\\an.nguyen:1104:{lm}:{}:::\n",
        hex(&breached),
        hex(&shared),
        hex(&shared),
        hex(&unique),
        hex(&EMPTY_PASSWORD_NT),
        hex(&shared),
        hex(&shared),
        hex(&breached),
    );
    let parsed = parse_dump(Cursor::new(dump)).unwrap();
    assert_eq!(parsed.accounts.len(), 5);
    assert_eq!(parsed.machine_accounts, 1);
    assert_eq!(parsed.history_entries, 1);
    assert_eq!(parsed.ignored, 2);
    assert_eq!(parsed.repeated, 1);
    assert_eq!(parsed.malformed, 1);
    assert_eq!(parsed.first_malformed[0].line, 10);

    let report = audit(&parsed, &set, b"per-run key").unwrap();
    assert!(report.has_findings());
    assert_eq!(report.accounts_checked, 5);
    assert_eq!(report.breached_accounts, 2, "an.nguyen and the empty khach");
    assert_eq!(report.empty_password_accounts, 1);
    assert_eq!(report.shared_accounts, 2);
    assert_eq!(report.shared_groups.len(), 1);
    let group = &report.shared_groups[0];
    assert_eq!(group.accounts, ["TINH\\binh.tran", "chi.le"]);
    assert_eq!(group.breach_count, None);
    assert_eq!(group.id.len(), 4);
    let names: Vec<&str> = report.findings.iter().map(|f| f.account.as_str()).collect();
    assert_eq!(
        names,
        [
            "TINH\\an.nguyen",
            "TINH\\binh.tran",
            "TINH\\khach",
            "chi.le"
        ]
    );
    assert_eq!(report.findings[0].breach_count, Some(42));
    assert!(report.findings[2].empty_password);

    // Another key, another id: the id says nothing about the password.
    let again = audit(&parsed, &set, b"another key").unwrap();
    let json = format!("{report:?}{again:?}");
    for h in [breached, shared, unique, EMPTY_PASSWORD_NT] {
        assert!(!json.contains(&hex(&h)));
        assert!(!json.contains(&hex(&h)[..12]));
    }
}

#[test]
fn the_audit_needs_an_ntlm_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sha1.cgpw");
    import(
        Cursor::new(format!("{}:1\n", hex::encode(sha1_of("x")))),
        HashKind::Sha1,
        &out,
    )
    .unwrap();
    let set = BreachedSet::open(&out).unwrap();
    assert!(matches!(
        audit(&NtlmDump::default(), &set, b"k"),
        Err(PasswordsError::WrongKind { .. })
    ));
}

mod properties {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any bytes: no panic; an error only when no line is valid, else a file that opens.
        #[test]
        fn import_never_panics(input in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let dir = tempfile::tempdir().unwrap();
            let out = dir.path().join("x.cgpw");
            match import(Cursor::new(input), HashKind::Ntlm, &out) {
                Ok(report) => {
                    prop_assert!(report.records > 0);
                    prop_assert!(BreachedSet::open(&out).is_ok());
                }
                Err(PasswordsError::Empty { .. }) => prop_assert!(!out.exists()),
                Err(e) => prop_assert!(false, "{e}"),
            }
        }

        /// Records in any order, repeated or not, with any chunk size: the file answers what a
        /// map of the same lines answers.
        #[test]
        fn import_matches_a_map(
            lines in proptest::collection::vec((0u8..4, any::<[u8; 15]>(), 0u32..1000), 1..300),
            chunk_records in 1usize..50,
        ) {
            let mut model: BTreeMap<Vec<u8>, u32> = BTreeMap::new();
            let mut text = String::new();
            for (first, rest, count) in &lines {
                // Few distinct first bytes: repeats and shared fan-out buckets are common.
                let mut hash = vec![*first];
                hash.extend_from_slice(rest);
                let entry = model.entry(hash.clone()).or_insert(0);
                *entry = entry.saturating_add(*count);
                text.push_str(&format!("{}:{count}\n", hex::encode(&hash)));
            }
            let dir = tempfile::tempdir().unwrap();
            let out = dir.path().join("x.cgpw");
            let report = import_text(&text, HashKind::Ntlm, &out, chunk_records * 24);
            prop_assert_eq!(report.records, model.len() as u64);
            let set = BreachedSet::open(&out).unwrap();
            for (hash, count) in &model {
                prop_assert_eq!(set.lookup(hash).unwrap(), Some(*count));
                let mut other = hash.clone();
                other[15] ^= 0x55;
                if !model.contains_key(&other) {
                    prop_assert_eq!(set.lookup(&other).unwrap(), None);
                }
            }
        }

        /// Any text: no panic, no computer account among the accounts.
        #[test]
        fn dump_parsing_never_panics(input in "(([A-Za-z\\\\$:0-9a-f_]{0,40})\n){0,30}") {
            let dump = parse_dump(Cursor::new(input)).unwrap();
            prop_assert!(dump.accounts.iter().all(|a| !a.name.ends_with('$')));
        }
    }
}

#[test]
fn stored_lm_hashes_are_noticed_but_not_kept() {
    let nt = hex::encode(ntlm_of("x"));
    let dump = format!(
        "with-lm:1001:e52cac67419a9a224a3b108f3fa6cb6d:{nt}:::\n\
         empty-lm:1002:AAD3B435B51404EEAAD3B435B51404EE:{nt}:::\n\
         zero-lm:1003:00000000000000000000000000000000:{nt}:::\n\
         stars:1004:********************************:{nt}:::\n\
         nt-only:{nt}\n"
    );
    let parsed = parse_dump(dump.as_bytes()).unwrap();
    let lm: Vec<(&str, bool)> = parsed
        .accounts
        .iter()
        .map(|a| (a.name.as_str(), a.lm_stored))
        .collect();
    assert_eq!(
        lm,
        vec![
            ("with-lm", true),
            ("empty-lm", false),
            ("zero-lm", false),
            ("stars", false),
            ("nt-only", false)
        ]
    );
    assert!(!format!("{parsed:?}").contains("e52cac67"));
}
