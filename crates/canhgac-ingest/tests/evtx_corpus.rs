//! EVTX decoding against the shared attack-samples corpus (read in place, never copied into
//! the repository); the tests print SKIPPED and pass where the corpus is absent.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use canhgac_ingest::evtx;
use canhgac_model::{EventKind, FieldValue};

const CORPUS: &str = "../../../shared/corpora/evtx-attack-samples";

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(CORPUS);
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIPPED: EVTX corpus not found at {}", dir.display());
        None
    }
}

fn all_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            all_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "evtx") {
            out.push(path);
        }
    }
}

#[test]
fn whole_corpus_decodes_without_errors() {
    let Some(dir) = corpus() else { return };
    let mut files = Vec::new();
    all_files(&dir, &mut files);
    let (mut records, mut errors) = (0, 0);
    for file in &files {
        for item in evtx::read_path(file).unwrap() {
            match item {
                Ok(event) => {
                    records += 1;
                    assert_eq!(event.kind, EventKind::Evtx);
                    assert!(
                        matches!(event.fields.get("EventID"), Some(FieldValue::Int(_))),
                        "{}: {:?}",
                        file.display(),
                        event.fields.get("EventID")
                    );
                }
                Err(err) => {
                    errors += 1;
                    eprintln!("{err}");
                }
            }
        }
    }
    assert_eq!(files.len(), 277);
    assert_eq!((records, errors), (8255, 0));
}

#[test]
fn sysmon_process_creation_has_the_flat_shape() {
    let Some(dir) = corpus() else { return };
    let file = dir.join("Execution/exec_sysmon_1_ftp.evtx");
    let events: Vec<_> = evtx::read_path(&file)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let e = events
        .iter()
        .find(|e| e.fields.get("EventID") == Some(&FieldValue::Int(1)))
        .expect("a Sysmon process creation");
    let f = &e.fields;
    assert_eq!(f.get_str("Provider_Name"), Some("Microsoft-Windows-Sysmon"));
    assert_eq!(
        f.get_str("Channel"),
        Some("Microsoft-Windows-Sysmon/Operational")
    );
    let image = f.get_str("Image").expect("Image");
    assert!(image.to_lowercase().ends_with(".exe"), "{image}");
    assert!(f.get_str("CommandLine").is_some());
    assert!(f.get_str("ParentImage").is_some());
    let computer = f.get_str("Computer").unwrap();
    assert_eq!(e.host.as_deref(), Some(computer.to_lowercase().as_str()));
    let created: jiff::Timestamp = f.get_str("TimeCreated").unwrap().parse().unwrap();
    assert_eq!(e.time, created);
    assert!(matches!(f.get("EventRecordID"), Some(FieldValue::Int(_))));
    // The message is the record as JSON, so free text finds what the fields hold.
    assert!(e.message.starts_with("{\"Event\""), "{}", &e.message[..40]);
    assert!(e.message.contains("Microsoft-Windows-Sysmon"));
}

#[test]
fn security_log_cleared_reads_user_data() {
    let Some(dir) = corpus() else { return };
    let file = dir.join("Defense Evasion/DE_1102_security_log_cleared.evtx");
    let cleared = evtx::read_path(&file)
        .unwrap()
        .filter_map(Result::ok)
        .find(|e| e.fields.get("EventID") == Some(&FieldValue::Int(1102)))
        .expect("an event 1102");
    assert!(
        cleared.fields.get_str("SubjectUserName").is_some(),
        "{:?}",
        cleared.fields
    );
    assert_eq!(cleared.fields.get_str("Channel"), Some("Security"));
}

#[test]
fn corrupt_and_truncated_files_report_and_go_on() {
    let Some(dir) = corpus() else { return };
    let file = dir.join("Defense Evasion/DE_1102_security_log_cleared.evtx");
    let bytes = std::fs::read(&file).unwrap();
    let clean = evtx::read_bytes(bytes.clone(), "clean").unwrap().count();
    assert!(clean > 100);

    // Garbage over the records of the first chunk (file header 4 KiB, chunk header 512 B).
    let mut corrupt = bytes.clone();
    for b in &mut corrupt[0x1000 + 0x200 + 0x400..0x1000 + 0x200 + 0x2400] {
        *b = 0xA5;
    }
    let items: Vec<_> = evtx::read_bytes(corrupt, "corrupt.evtx").unwrap().collect();
    let ok = items.iter().filter(|i| i.is_ok()).count();
    let errors: Vec<_> = items.iter().filter_map(|i| i.as_ref().err()).collect();
    assert!(!errors.is_empty(), "corruption must be reported");
    eprintln!("corrupt: {ok} ok of {clean}; errors: {errors:?}");
    assert!(
        ok > 0 && ok < clean,
        "the records outside the damage still decode: {ok} of {clean}"
    );
    assert!(
        errors[0].reason.starts_with("corrupt.evtx: chunk 0"),
        "{}",
        errors[0]
    );

    // Cut in the middle of the second chunk.
    let truncated = bytes[..0x1000 + 0x10000 + 0x8000].to_vec();
    let items: Vec<_> = evtx::read_bytes(truncated, "cut.evtx").unwrap().collect();
    let ok = items.iter().filter(|i| i.is_ok()).count();
    let errors: Vec<_> = items.iter().filter_map(|i| i.as_ref().err()).collect();
    eprintln!("truncated: {ok} ok of {clean}; errors: {errors:?}");
    assert!(ok > 0 && ok < clean, "{ok} of {clean}");
    assert!(!errors.is_empty());

    // Not EVTX at all.
    assert!(
        evtx::read_bytes(b"ElfFile\0short".to_vec(), "tiny").is_err() || {
            evtx::read_bytes(b"ElfFile\0short".to_vec(), "tiny")
                .unwrap()
                .all(|i| i.is_err())
        }
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 200, ..Default::default() })]

    /// Flipped bytes anywhere in a real file: errors, never a panic or a hang.
    #[test]
    fn damaged_real_files_never_panic(
        damage in proptest::collection::vec((0usize..69632, proptest::prelude::any::<u8>()), 1..40),
    ) {
        let Some(dir) = corpus() else { return Ok(()) };
        let mut bytes = std::fs::read(dir.join("Execution/exec_sysmon_1_ftp.evtx")).unwrap();
        for (at, value) in damage {
            if let Some(b) = bytes.get_mut(at) {
                *b = value;
            }
        }
        if let Ok(reader) = evtx::read_bytes(bytes, "damaged") {
            for _ in reader.take(100_000) {}
        }
    }
}

#[test]
fn chunks_decoded_on_threads_match_the_sequential_reader() {
    let Some(dir) = corpus() else { return };
    let file = dir.join("Defense Evasion/DE_1102_security_log_cleared.evtx");
    let received = jiff::Timestamp::now();
    let sequential: Vec<_> = evtx::EvtxReader::new(evtx::chunks(&file).unwrap(), received)
        .map(Result::unwrap)
        .collect();
    let handles: Vec<_> = evtx::chunks(&file)
        .unwrap()
        .map(|chunk| {
            let chunk = chunk.unwrap();
            std::thread::spawn(move || chunk.decode(received))
        })
        .collect();
    let parallel: Vec<_> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .map(Result::unwrap)
        .collect();
    assert!(!sequential.is_empty());
    assert_eq!(parallel, sequential);
}
