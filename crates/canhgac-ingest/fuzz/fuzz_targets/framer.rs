#![no_main]
use canhgac_ingest::syslog::{Frame, Framer};
use libfuzzer_sys::fuzz_target;

// The first byte picks the size limit and the read size; the rest is the stream.
fuzz_target!(|data: &[u8]| {
    let Some((&knob, stream)) = data.split_first() else {
        return;
    };
    let max = usize::from(knob % 64) + 1;
    let step = usize::from(knob / 64) * 7 + 1;
    let mut framer = Framer::new(max);
    for chunk in stream.chunks(step) {
        framer.push(chunk);
        while let Some(frame) = framer.next_frame() {
            if let Frame::Message(m) = frame {
                assert!(m.len() <= max);
            }
        }
    }
    let _ = framer.finish();
});
