#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let event = canhgac_ingest::syslog::decode(data, jiff::Timestamp::UNIX_EPOCH, None);
    assert!(String::from_utf8_lossy(data).contains(event.message.as_str()));
});
