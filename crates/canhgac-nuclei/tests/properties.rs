//! Parsers of outside text never panic.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use canhgac_nuclei::dsl::{self, Vars};
use canhgac_nuclei::template::parse_template;
use proptest::prelude::*;

proptest! {
    #[test]
    fn the_dsl_parser_never_panics(text in ".{0,200}") {
        if let Ok(expr) = dsl::parse(&text) {
            let _ = expr.eval(&Vars::new());
        }
        let _ = dsl::interpolate(&text, &Vars::new());
    }

    #[test]
    fn dsl_like_text_never_panics(text in r#"[a-z_(),'" 0-9!&|=<>+*/%.?:{}-]{0,120}"#) {
        if let Ok(expr) = dsl::parse(&text) {
            let _ = expr.eval(&Vars::new());
        }
        let _ = dsl::interpolate(&format!("{{{{{text}}}}}"), &Vars::new());
    }

    #[test]
    fn the_yaml_loader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse_template(&text, Path::new("fuzz.yaml"));
    }

    #[test]
    fn template_shaped_yaml_never_panics(
        key in "(http|dns|ssl|tcp|network|requests)",
        field in "(path|raw|matchers|extractors|payloads|inputs|name|address|host)",
        value in r#"[a-z{}\[\]:'" 0-9|-]{0,40}"#,
    ) {
        let text = format!("id: x\ninfo:\n  name: x\n{key}:\n  - {field}: {value}\n");
        let _ = parse_template(&text, Path::new("fuzz.yaml"));
    }
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let deep = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
    assert!(dsl::parse(&deep).is_err());
    let bangs = format!("{}true", "!".repeat(10_000));
    assert!(dsl::parse(&bangs).is_err());
}

#[test]
fn deeply_nested_yaml_is_an_error_not_a_stack_overflow() {
    let deep = format!("id: x\ninfo: {}\n", "[".repeat(100_000));
    assert!(parse_template(&deep, Path::new("deep.yaml")).is_err());
    let deep_maps = format!("id: x\ninfo: {}1\n", "{a: ".repeat(100_000));
    assert!(parse_template(&deep_maps, Path::new("deep.yaml")).is_err());
    // Balanced nesting in free metadata: whatever the parser accepts is converted without
    // overflowing.
    let n = 20_000;
    let balanced = format!(
        "id: x\ninfo:\n  name: x\n  metadata: {}{}\nhttp:\n  - path: ['{{{{BaseURL}}}}']\n",
        "[".repeat(n),
        "]".repeat(n)
    );
    let _ = parse_template(&balanced, Path::new("deep.yaml"));
}
