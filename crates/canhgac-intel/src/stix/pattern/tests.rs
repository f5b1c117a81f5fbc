use super::*;
use proptest::prelude::*;

fn values_of(text: &str) -> Vec<(IndicatorKind, String)> {
    let pattern = parse_pattern(text).unwrap();
    match simple_values(&pattern) {
        Evaluation::Values(values) => values,
        other => panic!("{text}: {other:?}"),
    }
}

fn unsupported(text: &str) -> Unsupported {
    let pattern = parse_pattern(text).unwrap();
    match simple_values(&pattern) {
        Evaluation::NotEvaluated(reason) => reason,
        other => panic!("{text}: {other:?}"),
    }
}

fn pair(kind: IndicatorKind, value: &str) -> (IndicatorKind, String) {
    (kind, value.to_string())
}

#[test]
fn equality_over_each_supported_property_gives_normalised_values() {
    assert_eq!(
        values_of("[ipv4-addr:value = '198.51.100.7']"),
        [pair(IndicatorKind::Ip, "198.51.100.7")]
    );
    assert_eq!(
        values_of("[ipv4-addr:value = '198.51.100.0/24']"),
        [pair(IndicatorKind::Cidr, "198.51.100.0/24")]
    );
    assert_eq!(
        values_of("[ipv4-addr:value = '198.51.100.9/32']"),
        [pair(IndicatorKind::Ip, "198.51.100.9")]
    );
    assert_eq!(
        values_of("[ipv6-addr:value = '2001:DB8::1']"),
        [pair(IndicatorKind::Ip, "2001:db8::1")]
    );
    assert_eq!(
        values_of("[ipv6-addr:value = '2001:db8:5::/48']"),
        [pair(IndicatorKind::Cidr, "2001:db8:5::/48")]
    );
    assert_eq!(
        values_of("[domain-name:value == 'C2.Example.NET']"),
        [pair(IndicatorKind::Domain, "c2.example.net")]
    );
    assert_eq!(
        values_of("[url:value = 'http://c2.example.net/gate.php']"),
        [pair(IndicatorKind::Url, "http://c2.example.net/gate.php")]
    );
    assert_eq!(
        values_of("[email-addr:value = 'Phish@Example.org']"),
        [pair(IndicatorKind::Email, "phish@example.org")]
    );
    let md5 = "0123456789abcdef0123456789ABCDEF";
    assert_eq!(
        values_of(&format!("[file:hashes.MD5 = '{md5}']")),
        [pair(IndicatorKind::Md5, &md5.to_ascii_lowercase())]
    );
    let sha1 = "a".repeat(40);
    assert_eq!(
        values_of(&format!("[file:hashes.'SHA-1' = '{sha1}']")),
        [pair(IndicatorKind::Sha1, &sha1)]
    );
    let sha256 = "b".repeat(64);
    assert_eq!(
        values_of(&format!("[file:hashes.'SHA-256' = '{sha256}']")),
        [pair(IndicatorKind::Sha256, &sha256)]
    );
    assert_eq!(
        values_of(&format!("[file:hashes.SHA256 = '{sha256}']")),
        [pair(IndicatorKind::Sha256, &sha256)]
    );
}

#[test]
fn in_lists_and_and_or_inside_and_between_observations_flatten() {
    let values = values_of(
        "[ipv4-addr:value IN ('203.0.113.1', '203.0.113.2') OR domain-name:value = 'a.example'] \
         OR ([url:value = 'https://b.example/x'] AND [file:hashes.MD5 = \
         'd41d8cd98f00b204e9800998ecf8427e' AND file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e'])",
    );
    assert_eq!(
        values,
        [
            pair(IndicatorKind::Ip, "203.0.113.1"),
            pair(IndicatorKind::Ip, "203.0.113.2"),
            pair(IndicatorKind::Domain, "a.example"),
            pair(IndicatorKind::Url, "https://b.example/x"),
            pair(IndicatorKind::Md5, "d41d8cd98f00b204e9800998ecf8427e"),
        ]
    );
}

#[test]
fn precedence_puts_and_below_or_and_followedby_lowest() {
    let pattern =
        parse_pattern("[a:x = 1] OR [b:y = 2] AND [c:z = 3] FOLLOWEDBY [d:w = 4]").unwrap();
    let Pattern::Combined { operator, operands } = pattern else {
        panic!("not combined");
    };
    assert_eq!(operator, ObservationOperator::FollowedBy);
    assert_eq!(operands.len(), 2);
    let Pattern::Combined {
        operator,
        operands: inner,
    } = &operands[0]
    else {
        panic!("left side not combined");
    };
    assert_eq!(*operator, ObservationOperator::Or);
    assert!(matches!(
        &inner[1],
        Pattern::Combined {
            operator: ObservationOperator::And,
            ..
        }
    ));

    let comparison = parse_pattern("[a:x = 1 OR a:y = 2 AND a:z = 3]").unwrap();
    let Pattern::Observation(ComparisonExpr::Or(parts)) = comparison else {
        panic!("OR is not the top");
    };
    assert!(matches!(parts[1], ComparisonExpr::And(_)));
}

#[test]
fn matches_like_not_qualifiers_and_other_properties_are_not_evaluated() {
    assert_eq!(
        unsupported("[domain-name:value MATCHES '^evil\\\\.']"),
        Unsupported::Operator("MATCHES".into())
    );
    assert_eq!(
        unsupported("[url:value LIKE '%evil%']"),
        Unsupported::Operator("LIKE".into())
    );
    assert_eq!(
        unsupported("[ipv4-addr:value != '1.2.3.4']"),
        Unsupported::Operator("!=".into())
    );
    assert_eq!(
        unsupported("[ipv4-addr:value NOT = '1.2.3.4']"),
        Unsupported::Operator("NOT =".into())
    );
    assert_eq!(
        unsupported("[ipv4-addr:value ISSUBSET '10.0.0.0/8']"),
        Unsupported::Operator("ISSUBSET".into())
    );
    assert_eq!(
        unsupported(
            "[file:name = 'invoice.exe' AND file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']"
        ),
        Unsupported::Property("file:name".into())
    );
    assert_eq!(
        unsupported("[network-traffic:dst_ref.value = '1.2.3.4']"),
        Unsupported::Property("network-traffic:dst_ref.value".into())
    );
    assert_eq!(
        unsupported("[ipv4-addr:value = '1.2.3.4'] REPEATS 5 TIMES WITHIN 60 SECONDS"),
        Unsupported::Timing("WITHIN".into())
    );
    assert_eq!(
        unsupported(
            "[ipv4-addr:value = '1.2.3.4'] START t'2024-01-01T00:00:00Z' STOP t'2024-02-01T00:00:00Z'"
        ),
        Unsupported::Timing("START/STOP".into())
    );
    assert_eq!(
        unsupported("[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [domain-name:value = 'a.example']"),
        Unsupported::Timing("FOLLOWEDBY".into())
    );
    assert_eq!(
        unsupported("[EXISTS windows-registry-key:values[*].name]"),
        Unsupported::Property("windows-registry-key:values[*].name".into())
    );
    assert_eq!(
        unsupported("[ipv4-addr:value = 42]"),
        Unsupported::Value("ipv4-addr:value".into())
    );
}

#[test]
fn the_full_grammar_parses() {
    for text in [
        "[file:size > 1000 AND file:size <= 2000.5 AND file:x >= -3 AND file:y < .5]",
        "[file:hashes.'SHA-256' = h'00ff' OR artifact:payload_bin = b'AQID']",
        "[process:extensions.'windows-process-ext'.aslr_enabled = true]",
        "[email-message:to_refs[0].value = 'a@b.example'] WITHIN 10.5 SECONDS",
        "[x-custom-thing:field_1 <> 'a\\'b\\\\c']",
        "(([a:b = 'x']) OR [c:d = 'y']) REPEATS 2 TIMES",
    ] {
        parse_pattern(text).unwrap_or_else(|error| panic!("{text}: {error}"));
    }
}

#[test]
fn malformed_patterns_say_where_and_what() {
    let cases = [
        ("ipv4-addr:value = '1.2.3.4'", 0, "expected '['"),
        ("[ipv4-addr:value = '1.2.3.4'", 28, "expected ']'"),
        (
            "[ipv4-addr:value '1.2.3.4']",
            17,
            "expected a comparison operator",
        ),
        ("[ipv4-addr:value = '1.2.3.4]", 19, "string not closed"),
        ("[ipv4-addr value = 'x']", 11, "expected ':'"),
        ("[ipv4-addr:value IN '1.2.3.4']", 20, "expected '('"),
        ("[a:b = 'x'] WITHIN SECONDS", 19, "positive number"),
        ("[a:b = 'x'] ]", 12, "unexpected text"),
        ("[a:b = 'x' @]", 11, "unexpected character"),
        ("[a:b MATCHES 5]", 14, "MATCHES needs a string"),
        ("[a:b = 'x'] REPEATS", 19, "positive integer after REPEATS"),
        ("[a:b[x] = 'x']", 5, "list index"),
    ];
    for (text, offset, message) in cases {
        let error = parse_pattern(text).expect_err(text);
        assert!(
            error.message.contains(message),
            "{text}: {error} does not say {message:?}"
        );
        assert_eq!(error.offset, offset, "{text}: {error}");
    }
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let deep = format!("{}[a:b = 'x']{}", "(".repeat(10_000), ")".repeat(10_000));
    let error = parse_pattern(&deep).unwrap_err();
    assert!(error.message.contains("nested too deeply"));
    let deep = format!("[{}a:b = 'x'{}]", "(".repeat(10_000), ")".repeat(10_000));
    assert!(parse_pattern(&deep).is_err());
}

#[test]
fn invalid_values_of_supported_properties_are_reported() {
    let pattern = parse_pattern("[ipv4-addr:value = 'c2.example.net']").unwrap();
    let Evaluation::Invalid(invalid) = simple_values(&pattern) else {
        panic!("accepted a domain as an address");
    };
    assert_eq!(invalid.path, "ipv4-addr:value");
    assert!(invalid.message.contains("not an IP address"));

    let pattern = parse_pattern("[ipv4-addr:value = '2001:db8::1']").unwrap();
    let Evaluation::Invalid(invalid) = simple_values(&pattern) else {
        panic!("accepted an IPv6 address as ipv4-addr");
    };
    assert!(
        invalid.message.contains("ipv4-addr family"),
        "{}",
        invalid.message
    );
    let pattern = parse_pattern("[ipv6-addr:value = '10.0.0.0/8']").unwrap();
    assert!(matches!(simple_values(&pattern), Evaluation::Invalid(_)));
}

#[test]
fn quoting_round_trips_through_the_parser() {
    let awkward = "http://a.example/it's\\here";
    let text = format!("[url:value = {}]", quote(awkward));
    let Pattern::Observation(ComparisonExpr::Comparison(comparison)) =
        parse_pattern(&text).unwrap()
    else {
        panic!("not one comparison");
    };
    assert_eq!(comparison.value, Some(Literal::String(awkward.to_string())));
}

proptest! {
    #[test]
    fn the_parser_never_panics(text in "\\PC{0,120}") {
        let _ = parse_pattern(&text).map(|pattern| simple_values(&pattern));
    }

    #[test]
    fn the_parser_never_panics_on_pattern_like_text(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("["), Just("]"), Just("("), Just(")"), Just(" AND "), Just(" OR "),
                Just(" FOLLOWEDBY "), Just("ipv4-addr:value"), Just("file:hashes.'SHA-256'"),
                Just(" = "), Just(" IN "), Just(" MATCHES "), Just("'1.2.3.4'"), Just("'x"),
                Just(","), Just(" WITHIN "), Just("5"), Just(" SECONDS"), Just("t'2024'"),
                Just("-"), Just("."), Just("[*]"), Just(" NOT "), Just("h'0'"), Just("\\"),
            ],
            0..40,
        )
    ) {
        let text: String = parts.concat();
        let _ = parse_pattern(&text).map(|pattern| simple_values(&pattern));
    }
}
