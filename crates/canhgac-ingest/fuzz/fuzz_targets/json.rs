#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = canhgac_ingest::json::decode(data, jiff::Timestamp::UNIX_EPOCH);
    let _ = canhgac_ingest::ndjson::decode_batch(data, false, jiff::Timestamp::UNIX_EPOCH, 1024);
});
