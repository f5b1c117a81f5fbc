//! Property tests: every decoder takes arbitrary input without panicking, and the framer
//! splits any stream back into the messages that made it, whatever the read boundaries.
#![allow(clippy::unwrap_used)]

use canhgac_ingest::syslog::{self, Frame, Framer};
use canhgac_ingest::{access_log, evtx, json, ndjson};
use jiff::Timestamp;
use proptest::prelude::*;

fn received() -> Timestamp {
    "2026-11-26T00:00:00Z".parse().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn syslog_decode_takes_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let event = syslog::decode(&bytes, received(), None);
        // The message is the line, whatever else was read.
        let text = String::from_utf8_lossy(&bytes);
        prop_assert!(text.contains(event.message.as_str()));
    }

    #[test]
    fn syslog_decode_takes_near_syslog(line in "(<[0-9]{1,3}>)?(1 )?([A-Z][a-z]{2} [ 0-9]{2} [0-9:.]{8,12} |[0-9T:.+Z-]{10,32} |- )?([a-z0-9.:-]{0,12} )?([a-z]{1,8}(\\[[0-9]{0,5}\\])?:? )?(\\[[a-z@0-9]{0,8}( [a-z]{1,4}=\"[^\"]{0,6}\")*\\]){0,2} ?.{0,20}") {
        let _ = syslog::decode(line.as_bytes(), received(), None);
    }

    #[test]
    fn access_log_json_and_batches_take_anything(text in ".{0,200}", bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = access_log::decode(&text, received());
        let _ = json::decode(text.as_bytes(), received());
        let _ = json::decode(&bytes, received());
        let _ = ndjson::decode_batch(&bytes, false, received(), 64);
        let _ = ndjson::decode_batch(&bytes, true, received(), 64);
    }

    #[test]
    fn framer_takes_any_stream(
        chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..20),
        max in 1usize..40,
    ) {
        let mut framer = Framer::new(max);
        let total: usize = chunks.iter().map(Vec::len).sum();
        let mut seen = 0;
        for chunk in &chunks {
            framer.push(chunk);
            while let Some(frame) = framer.next_frame() {
                if let Frame::Message(m) = frame {
                    prop_assert!(m.len() <= max);
                    seen += m.len();
                }
            }
        }
        if let Some(Frame::Message(m)) = framer.finish() {
            seen += m.len();
        }
        prop_assert!(seen <= total);
    }

    #[test]
    fn framer_gives_back_the_messages(
        messages in proptest::collection::vec(("<[0-9]{1,3}>[ -~]{0,30}", any::<bool>()), 1..20),
        cuts in proptest::collection::vec(1usize..50, 1..50),
    ) {
        let mut stream = Vec::new();
        for (message, counted) in &messages {
            if *counted {
                stream.extend_from_slice(format!("{} {message}", message.len()).as_bytes());
            } else {
                stream.extend_from_slice(message.as_bytes());
                stream.push(b'\n');
            }
        }
        let mut framer = Framer::new(1024);
        let mut got = Vec::new();
        let mut rest = &stream[..];
        let mut cut = cuts.iter().cycle();
        while !rest.is_empty() {
            let n = (*cut.next().unwrap()).min(rest.len());
            framer.push(&rest[..n]);
            rest = &rest[n..];
            while let Some(frame) = framer.next_frame() {
                match frame {
                    Frame::Message(m) => got.push(String::from_utf8(m.to_vec()).unwrap()),
                    Frame::Oversized { len } => prop_assert!(false, "oversized {len}"),
                }
            }
        }
        let want: Vec<String> = messages.into_iter().map(|(m, _)| m).collect();
        prop_assert_eq!(got, want);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn evtx_takes_any_bytes_after_the_magic(tail in proptest::collection::vec(any::<u8>(), 0..70000)) {
        let mut bytes = evtx::MAGIC.to_vec();
        bytes.extend_from_slice(&tail);
        if let Ok(reader) = evtx::read_bytes(bytes, "fuzz") {
            for _ in reader.take(10_000) {}
        }
    }
}
