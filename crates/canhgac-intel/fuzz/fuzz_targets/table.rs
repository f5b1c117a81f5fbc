#![no_main]
use canhgac_intel::table::{import, preview, ImportDefaults, TableFormat};
use libfuzzer_sys::fuzz_target;

// Any bytes, read as CSV and as XLSX: the readers return a preview, indicators or an error,
// and an import that succeeds gives only validated, de-duplicated values.
fuzz_target!(|data: &[u8]| {
    for format in [TableFormat::Csv, TableFormat::Xlsx { sheet: None }] {
        let Ok(shown) = preview(data, &format, 20) else {
            continue;
        };
        if let Ok(indicators) = import(data, &format, &shown.mapping, &ImportDefaults::default()) {
            let mut keys: Vec<_> = indicators
                .iter()
                .map(|i| (i.input.kind, i.input.value.clone()))
                .collect();
            let count = keys.len();
            keys.sort();
            keys.dedup();
            assert_eq!(keys.len(), count, "duplicates merge");
        }
    }
});
