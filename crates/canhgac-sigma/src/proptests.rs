//! Property tests: modifiers agree with their definitions for arbitrary values, and the rule
//! index never changes a result.

use canhgac_model::{Event, EventKind, FieldValue};
use proptest::prelude::*;

use crate::{load, LoadOptions, RuleSet, RuleSource};

fn one_rule(item: &str) -> RuleSet {
    let text = format!(
        "title: P\nlogsource: {{ product: test }}\ndetection:\n  sel:\n    {item}\n  condition: sel\n"
    );
    let loaded = load(
        &[RuleSource {
            origin: "p.yml".into(),
            text: text.clone(),
        }],
        &LoadOptions::default(),
    );
    assert!(
        loaded.report.errors.is_empty(),
        "{:?}\n{text}",
        loaded.report.errors
    );
    loaded.rules
}

/// A YAML single-quoted Sigma literal for `s` (quotes doubled, wildcards escaped).
fn quoted(s: &str) -> String {
    let mut out = String::from("'");
    for c in s.chars() {
        match c {
            '\'' => out.push_str("''"),
            '*' | '?' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn matches(set: &RuleSet, field: &str, value: &str) -> bool {
    let mut e = Event::new(EventKind::Json, "");
    e.fields.push(field, FieldValue::Str(value.to_string()));
    let mut a = Vec::new();
    let mut b = Vec::new();
    set.matches(&e, &mut a);
    set.matches_exhaustive(&e, &mut b);
    assert_eq!(a, b, "index and exhaustive evaluation disagree");
    !a.is_empty()
}

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 ._:/'*?\\\\éÉßΣσ-]{0,12}"
}

fn needle() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 ._:/'*?\\\\éÉßΣσ-]{1,12}"
}

/// Random case changes (what case-insensitive matching must ignore): simple one-to-one
/// case mappings only (`ß` → `SS` is full case folding, which Sigma does not ask for).
fn recase(s: &str, flips: &[bool]) -> String {
    s.chars()
        .zip(flips.iter().cycle())
        .map(|(c, f)| {
            let mut up = c.to_uppercase();
            match (up.next(), up.next()) {
                (Some(u), None) if *f => u,
                _ => c,
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn contains_startswith_endswith_hold_for_wrapped_values(
        n in needle(), pre in text(), post in text(), flips in prop::collection::vec(any::<bool>(), 1..8)
    ) {
        let contains = one_rule(&format!("F|contains: {}", quoted(&n)));
        let starts = one_rule(&format!("F|startswith: {}", quoted(&n)));
        let ends = one_rule(&format!("F|endswith: {}", quoted(&n)));
        let exact = one_rule(&format!("F: {}", quoted(&n)));
        let cased = one_rule(&format!("F|contains|cased: {}", quoted(&n)));
        let shown = recase(&n, &flips);
        let wrapped = format!("{pre}{shown}{post}");
        let head = format!("{shown}{post}");
        let tail = format!("{pre}{shown}");
        let exact_case = format!("{pre}{n}{post}");
        prop_assert!(matches(&contains, "F", &wrapped));
        prop_assert!(matches(&starts, "F", &head));
        prop_assert!(matches(&ends, "F", &tail));
        prop_assert!(matches(&exact, "F", &shown));
        prop_assert!(matches(&cased, "F", &exact_case));
        // And never on another field.
        prop_assert!(!matches(&contains, "G", &n));
    }

    #[test]
    fn contains_agrees_with_a_folded_substring_search(n in needle(), hay in "[a-zA-Z0-9 ._:/'*?\\\\éÉ-]{0,24}") {
        let set = one_rule(&format!("F|contains: {}", quoted(&n)));
        let fold = |s: &str| s.chars().flat_map(char::to_lowercase).collect::<String>();
        prop_assert_eq!(matches(&set, "F", &hay), fold(&hay).contains(&fold(&n)));
        let set = one_rule(&format!("F|startswith: {}", quoted(&n)));
        prop_assert_eq!(matches(&set, "F", &hay), fold(&hay).starts_with(&fold(&n)));
        let set = one_rule(&format!("F|endswith: {}", quoted(&n)));
        prop_assert_eq!(matches(&set, "F", &hay), fold(&hay).ends_with(&fold(&n)));
    }

    #[test]
    fn wildcard_patterns_match_what_they_describe(
        pieces in prop::collection::vec("[a-z0-9 .:-]{1,4}", 1..4),
        fillers in prop::collection::vec("[a-zA-Z0-9 .:-]{0,5}", 4),
    ) {
        // `a*b*c` matches a + anything + b + anything + c.
        let pattern = pieces.join("*");
        let set = one_rule(&format!("F: '{pattern}'"));
        let mut value = String::new();
        for (i, p) in pieces.iter().enumerate() {
            if i > 0 {
                value.push_str(&fillers[i]);
            }
            value.push_str(p);
        }
        prop_assert!(matches(&set, "F", &value));
        let longer = format!("{value}#");
        prop_assert!(!matches(&set, "F", &longer));
    }

    #[test]
    fn windash_accepts_every_dash_variant(
        word in "[a-z]{1,6}", arg in "[a-z]{1,6}", dashes in prop::collection::vec(0usize..5, 2)
    ) {
        const D: [&str; 5] = ["-", "/", "\u{2013}", "\u{2014}", "\u{2015}"];
        let set = one_rule(&format!("F|windash|contains: ' -{word} -{arg}'"));
        let value = format!("tool.exe {}{word} {}{arg} x", D[dashes[0]], D[dashes[1]]);
        prop_assert!(matches(&set, "F", &value));
        let plus = format!("tool.exe +{word} +{arg}");
        prop_assert!(!matches(&set, "F", &plus));
    }

    #[test]
    fn base64offset_finds_the_value_at_any_offset(
        n in "[a-zA-Z0-9 ._:/-]{3,12}", pre in prop::collection::vec(any::<u8>(), 0..7), post in prop::collection::vec(any::<u8>(), 0..7)
    ) {
        let set = one_rule(&format!("F|base64offset|contains: '{n}'"));
        let mut data = pre.clone();
        data.extend_from_slice(n.as_bytes());
        data.extend_from_slice(&post);
        let enc = String::from_utf8(crate::pattern::base64(&data)).unwrap_or_default();
        prop_assert!(matches(&set, "F", &enc));
    }

    #[test]
    fn utf16_then_base64offset_finds_encoded_commands(
        n in "[a-zA-Z0-9 .()$-]{3,10}", pre in "[a-zA-Z0-9 ]{0,5}", post in "[a-zA-Z0-9 ]{0,5}"
    ) {
        let set = one_rule(&format!("F|utf16le|base64offset|contains: '{n}'"));
        let wide = one_rule(&format!("F|wide|base64offset|contains: '{n}'"));
        let be = one_rule(&format!("F|utf16be|base64offset|contains: '{n}'"));
        let script = format!("{pre}{n}{post}");
        let le: Vec<u8> = script.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        let bev: Vec<u8> = script.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        let enc_le = String::from_utf8(crate::pattern::base64(&le)).unwrap_or_default();
        let enc_be = String::from_utf8(crate::pattern::base64(&bev)).unwrap_or_default();
        prop_assert!(matches(&set, "F", &enc_le));
        prop_assert!(matches(&wide, "F", &enc_le));
        prop_assert!(matches(&be, "F", &enc_be));
        // utf16 (with BOM) at the start of the text.
        let bom = one_rule(&format!("F|utf16|base64|contains: '{n}'"));
        let mut with_bom = vec![0xFF, 0xFE];
        with_bom.extend(n.encode_utf16().flat_map(|u| u.to_le_bytes()));
        let enc = String::from_utf8(crate::pattern::base64(&with_bom)).unwrap_or_default();
        prop_assert!(matches(&bom, "F", &enc));
    }
}
