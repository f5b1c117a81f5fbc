#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let line = String::from_utf8_lossy(data);
    let _ = canhgac_ingest::access_log::decode(&line, jiff::Timestamp::UNIX_EPOCH);
});
