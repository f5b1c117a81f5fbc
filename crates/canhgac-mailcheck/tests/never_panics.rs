//! The record parsers take any text from DNS: they must never panic.

use canhgac_mailcheck::dkim::DkimRecord;
use canhgac_mailcheck::dmarc::DmarcRecord;
use canhgac_mailcheck::fingerprint_webmail;
use canhgac_mailcheck::mta_sts::{record_id, MtaStsPolicy};
use canhgac_mailcheck::spf::SpfRecord;
use proptest::prelude::*;

/// Text shaped like the records: their vocabulary mixed with anything.
fn record_like() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "v=spf1",
        " ",
        "+",
        "-",
        "~",
        "?",
        "all",
        "include:",
        "a",
        "mx",
        "ptr",
        "ip4:",
        "ip6:",
        "exists:",
        "redirect=",
        "exp=",
        "/",
        "//",
        ":",
        "=",
        ";",
        "v=DMARC1",
        "p=",
        "sp=",
        "pct=",
        "rua=",
        "mailto:",
        ",",
        "ă",
        "例",
        "\u{0}",
        "9999",
        "192.0.2.1",
        "::1",
        "v=DKIM1",
        "k=rsa",
        "MIIB",
        "version: STSv1\n",
        "mode:",
        "mx:",
        "max_age:",
        "*.",
        "%{i}",
    ]);
    prop_oneof![
        prop::collection::vec(pieces, 0..40).prop_map(|p| p.concat()),
        any::<String>(),
        any::<String>().prop_map(|s| format!("v=spf1 {s}")),
        any::<String>().prop_map(|s| format!("v=DMARC1; {s}")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn spf_parsing_never_panics(text in record_like()) {
        if let Some(record) = SpfRecord::parse(&text) {
            let _ = record.all();
            let _ = record.has_errors();
        }
    }

    #[test]
    fn dmarc_parsing_never_panics(text in record_like()) {
        let record = DmarcRecord::parse(&text);
        prop_assert!(record.effective_pct() <= 100);
    }

    #[test]
    fn dkim_mta_sts_and_webmail_parsing_never_panic(text in record_like()) {
        let _ = DkimRecord::parse(&text);
        let _ = record_id(&text);
        let policy = MtaStsPolicy::parse(&text);
        let _ = policy.covers(&text);
        let _ = fingerprint_webmail("https://x.vn/", 200, &[("X-OWA-Version".into(), text.clone())], &text);
        let _ = fingerprint_webmail("https://x.vn/", 200, &[], &text);
    }
}
