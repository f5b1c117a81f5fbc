#![no_main]
use canhgac_intel::shadowserver::{
    import_list, import_report, DeadlinePolicy, Directory, MinistryList,
};
use canhgac_intel::table::ImportDefaults;
use libfuzzer_sys::fuzz_target;

// Any text as a report and as a ministry list: every data row ends up a finding, in
// `unmatched`, merged with another row, or the file is refused.
fuzz_target!(|text: &str| {
    let directory = Directory {
        networks: vec![("0.0.0.0/0".parse().expect("network"), 1)],
        domains: vec![("vn".to_string(), 2)],
        email_domains: vec![("vn".to_string(), 2)],
    };
    let now = jiff::Timestamp::UNIX_EPOCH;
    let policy = DeadlinePolicy::default();
    if let Ok(report) = import_report(
        text,
        Some("2025-01-01-scan_rdp-x.csv"),
        &directory,
        &policy,
        now,
    ) {
        assert!(report.findings.len() + report.unmatched.len() <= report.rows);
    }
    let list = MinistryList {
        name: "fuzz".to_string(),
        // The defaults' severity (high), without a dependency on canhgac-model here.
        severity: ImportDefaults::default().severity,
    };
    let _ = import_list(text, &list, &directory, &policy, now);
});
