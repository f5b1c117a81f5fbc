#![no_main]
use std::io::Cursor;

use canhgac_passwords::parse_dump;
use libfuzzer_sys::fuzz_target;

// Any dump: no panic, no computer account kept, each name once.
fuzz_target!(|data: &[u8]| {
    let dump = parse_dump(Cursor::new(data)).expect("reading from memory cannot fail");
    let mut names = std::collections::HashSet::new();
    for account in &dump.accounts {
        assert!(!account.name.ends_with('$'));
        assert!(names.insert(account.name.to_lowercase()));
    }
});
