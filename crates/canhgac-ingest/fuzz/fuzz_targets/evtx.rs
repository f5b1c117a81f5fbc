#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(reader) = canhgac_ingest::evtx::read_bytes(data.to_vec(), "fuzz") {
        for _ in reader.take(100_000) {}
    }
});
