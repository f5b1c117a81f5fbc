#![no_main]
use std::io::Cursor;

use canhgac_passwords::{import_with, BreachedSet, HashKind, ImportOptions, PasswordsError};
use libfuzzer_sys::fuzz_target;

// The first byte picks the kind and the sort chunk (tiny chunks force many runs); the rest is
// the list. Any input either writes a file that opens and answers, or writes nothing.
fuzz_target!(|data: &[u8]| {
    let Some((&knob, list)) = data.split_first() else {
        return;
    };
    let kind = if knob & 1 == 0 { HashKind::Sha1 } else { HashKind::Ntlm };
    let options = ImportOptions {
        chunk_bytes: usize::from(knob >> 1) * 24 + 24,
        ..ImportOptions::default()
    };
    let dir = tempfile::tempdir().expect("temporary directory");
    let out = dir.path().join("fuzz.cgpw");
    match import_with(Cursor::new(list), kind, &out, &options, |_| {}) {
        Ok(report) => {
            let set = BreachedSet::open(&out).expect("an imported file opens");
            assert_eq!(set.len(), report.records);
            let _ = set.lookup(&vec![0; kind.hash_len()]).expect("lookup");
        }
        Err(PasswordsError::Empty { .. }) => assert!(!out.exists()),
        Err(e) => panic!("{e}"),
    }
});
