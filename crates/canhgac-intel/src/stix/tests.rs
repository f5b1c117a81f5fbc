use super::*;
use serde_json::json;

const FIXTURE: &str = include_str!("../../tests/fixtures/ncsc-bundle.json");

fn time(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn find<'a>(import: &'a StixImport, value: &str) -> &'a ImportedIndicator {
    import
        .indicators
        .iter()
        .find(|indicator| indicator.input.value == value)
        .unwrap_or_else(|| panic!("{value} not imported"))
}

#[test]
fn a_bundle_maps_every_field_and_keeps_what_it_cannot_evaluate() {
    let import = read_bundle(FIXTURE, "tệp tải lên").unwrap();
    let values: Vec<(&str, IndicatorKind)> = import
        .indicators
        .iter()
        .map(|i| (i.input.value.as_str(), i.input.kind))
        .collect();
    assert_eq!(
        values,
        [
            ("203.0.113.45", IndicatorKind::Ip),
            ("198.51.100.0/24", IndicatorKind::Cidr),
            ("update.example-cdn.net", IndicatorKind::Domain),
            (
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                IndicatorKind::Sha256
            ),
            ("d41d8cd98f00b204e9800998ecf8427e", IndicatorKind::Md5),
        ]
    );

    let c2 = find(&import, "203.0.113.45");
    assert_eq!(c2.input.source, "NCSC");
    assert_eq!(
        c2.input.description,
        "C2 của chiến dịch nhắm vào cơ quan nhà nước"
    );
    assert_eq!(c2.input.tags, ["apt", "c2", "malicious-activity"]);
    assert_eq!(c2.input.severity, Severity::High);
    assert_eq!(c2.input.expires_at, Some(time("2025-09-02T08:00:00Z")));
    assert_eq!(c2.first_seen, Some(time("2025-03-02T08:00:00Z")));
    assert_eq!(c2.confidence, Some(85));
    assert_eq!(c2.tlp, Some(Tlp::Amber));

    // No creator: the caller's source; no description: the name; two TLP 1.0 markings: the
    // stricter one.
    let hash = find(&import, "d41d8cd98f00b204e9800998ecf8427e");
    assert_eq!(hash.input.source, "tệp tải lên");
    assert_eq!(hash.input.description, "Tệp mã độc đính kèm thư");
    assert_eq!(hash.tlp, Some(Tlp::Red));
    assert_eq!(hash.confidence, None);

    let reasons: Vec<(&str, &Unsupported)> = import
        .not_evaluated
        .iter()
        .map(|n| (n.id.as_str(), &n.reason))
        .collect();
    assert_eq!(
        reasons,
        [
            (
                "indicator--6b1e4c5e-7d0f-4e8a-9a51-3f0f7a2f6c11",
                &Unsupported::Operator("MATCHES".into())
            ),
            (
                "indicator--3c9a1f0e-59d2-4f5e-8f3b-0c1c1e8f2b7a",
                &Unsupported::Language("yara".into())
            ),
        ]
    );
    assert_eq!(
        import.not_evaluated[0].context.description,
        "Tên miền giả mạo trang đăng nhập"
    );
    assert!(import.not_evaluated[0].pattern.contains("MATCHES"));
    assert_eq!(import.revoked, 1);

    assert_eq!(import.sighting_objects, 1);
    assert_eq!(import.sightings.len(), 3, "one per value of the indicator");
    assert_eq!(import.sightings[0].count, 3);
    assert_eq!(import.sightings[0].sighted_by.as_deref(), Some("NCSC"));
    assert_eq!(
        import.sightings[0].last_seen,
        Some(time("2025-03-03T05:00:00Z"))
    );
    assert_eq!(
        import.observables,
        [Observable {
            id: "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd".into(),
            kind: IndicatorKind::Ip,
            value: "192.0.2.77".into(),
        }]
    );
    assert_eq!(import.other_objects, 1);
}

fn with_object_changed(index: usize, change: impl FnOnce(&mut Map<String, Value>)) -> String {
    let mut bundle: Value = serde_json::from_str(FIXTURE).unwrap();
    let object = bundle["objects"][index].as_object_mut().unwrap();
    change(object);
    bundle.to_string()
}

#[test]
fn a_malformed_object_fails_the_whole_bundle_naming_it() {
    let c2 = "indicator--a932fcc6-e032-476c-826f-cb970a5a1ade";
    let cases: Vec<(String, &str, &str)> = vec![
        (
            with_object_changed(1, |o| {
                o.insert("pattern".into(), json!("[ipv4-addr:value = '203.0.113.45'"));
            }),
            c2,
            "expected ']'",
        ),
        (
            with_object_changed(1, |o| {
                o.insert(
                    "pattern".into(),
                    json!("[ipv4-addr:value = 'not-an-address']"),
                );
            }),
            c2,
            "not an IP address",
        ),
        (
            with_object_changed(1, |o| {
                o.insert("confidence".into(), json!(140));
            }),
            c2,
            "confidence",
        ),
        (
            with_object_changed(1, |o| {
                o.insert("valid_from".into(), json!("yesterday"));
            }),
            c2,
            "valid_from",
        ),
        (
            with_object_changed(1, |o| {
                o.remove("pattern");
            }),
            c2,
            "no \"pattern\"",
        ),
        (
            with_object_changed(2, |o| {
                o.remove("id");
            }),
            "#2",
            "no \"id\"",
        ),
        (
            with_object_changed(6, |o| {
                o.insert("count".into(), json!("many"));
            }),
            "sighting--e1b2c3d4-0a1b-4c2d-8e3f-405162738495",
            "count",
        ),
        (
            with_object_changed(7, |o| {
                o.insert("value".into(), json!("999.1.1.1"));
            }),
            "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd",
            "not an IP address",
        ),
        (
            with_object_changed(3, |o| {
                o.insert(
                    "id".into(),
                    json!("malware--6b1e4c5e-7d0f-4e8a-9a51-3f0f7a2f6c11"),
                );
            }),
            "malware--6b1e4c5e-7d0f-4e8a-9a51-3f0f7a2f6c11",
            "does not start with \"indicator--\"",
        ),
    ];
    for (json, object, problem) in cases {
        match read_bundle(&json, "x") {
            Err(StixError::Object {
                object: named,
                problem: said,
            }) => {
                assert_eq!(named, object, "{said}");
                assert!(said.contains(problem), "{said:?} does not say {problem:?}");
            }
            other => panic!("expected an object error about {problem}, got {other:?}"),
        }
    }
    assert!(matches!(
        read_bundle("{\"type\": \"report\"}", "x"),
        Err(StixError::NotABundle(_))
    ));
    assert!(matches!(read_bundle("[1", "x"), Err(StixError::Json(_))));
    let error = read_bundle(
        &with_object_changed(1, |o| {
            o.insert("confidence".into(), json!(-1));
        }),
        "x",
    )
    .unwrap_err();
    assert!(error.message_vi().contains("indicator--a932fcc6"));
}

fn sample_indicators() -> Vec<ImportedIndicator> {
    let mut indicators = Vec::new();
    let rows: [(IndicatorKind, &str); 8] = [
        (IndicatorKind::Ip, "203.0.113.45"),
        (IndicatorKind::Ip, "2001:db8::45"),
        (IndicatorKind::Cidr, "198.51.100.0/24"),
        (IndicatorKind::Domain, "update.example-cdn.net"),
        (
            IndicatorKind::Url,
            "http://update.example-cdn.net/it's/a\\path",
        ),
        (IndicatorKind::Email, "thu.moi@example.org"),
        (
            IndicatorKind::Sha1,
            "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        ),
        (
            IndicatorKind::Sha256,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
    ];
    for (n, (kind, value)) in rows.into_iter().enumerate() {
        let mut input = IndicatorInput::new(kind, value);
        input.validate().unwrap();
        input.source = if n % 2 == 0 { "NCSC" } else { "VNCERT" }.to_string();
        input.description = format!("Chỉ dấu số {n}, \"trích\" từ công văn");
        input.severity = Severity::ALL[n % Severity::ALL.len()];
        input.tags = if n % 3 == 0 {
            vec!["apt".into(), "malicious-activity".into()]
        } else {
            vec![]
        };
        input.expires_at = (n % 2 == 1).then(|| time("2026-01-01T00:00:00Z"));
        indicators.push(ImportedIndicator {
            input,
            confidence: (n % 4 != 0).then_some(10 * n as u8),
            tlp: [
                None,
                Some(Tlp::Clear),
                Some(Tlp::Green),
                Some(Tlp::Amber),
                Some(Tlp::AmberStrict),
                Some(Tlp::Red),
            ][n % 6],
            first_seen: Some(time("2025-03-01T10:00:00.250Z")),
            last_seen: (n % 2 == 0).then(|| time("2025-03-05T00:00:00Z")),
            advisory: (n == 0).then(|| "2216/CATTT-NCSC".to_string()),
        });
    }
    indicators
}

#[test]
fn export_then_import_gives_the_same_indicators_and_sightings() {
    let indicators = sample_indicators();
    let sightings = vec![
        Sighting {
            kind: IndicatorKind::Domain,
            value: "update.example-cdn.net".into(),
            count: 7,
            first_seen: Some(time("2025-03-02T00:00:00Z")),
            last_seen: Some(time("2025-03-04T00:00:00Z")),
            sighted_by: Some("UBND huyện A".into()),
        },
        Sighting {
            kind: IndicatorKind::Ip,
            value: "203.0.113.45".into(),
            count: 1,
            first_seen: None,
            last_seen: None,
            sighted_by: None,
        },
    ];
    let identity = StixIdentity {
        name: "Sở TT&TT tỉnh X".into(),
    };
    let exported_at = time("2025-03-06T00:00:00Z");
    let bundle = to_bundle(&indicators, &sightings, &identity, exported_at);
    let text = serde_json::to_string_pretty(&bundle).unwrap();
    let import = read_bundle(&text, "ignored").unwrap();
    assert_eq!(import.indicators, indicators);
    assert!(import.not_evaluated.is_empty());
    let mut expected_sightings = sightings.clone();
    expected_sightings[1].sighted_by = Some(identity.name.clone());
    assert_eq!(import.sightings, expected_sightings);

    // Re-exporting names every object the same way.
    let again = to_bundle(&indicators, &sightings, &identity, exported_at);
    assert_eq!(again, bundle);
    let later = to_bundle(
        &indicators,
        &sightings,
        &identity,
        time("2025-04-01T00:00:00Z"),
    );
    let ids = |bundle: &Value| -> Vec<String> {
        bundle["objects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&later), ids(&bundle));
    assert_ne!(later["id"], bundle["id"], "a new bundle is a new bundle");
}

#[test]
fn the_exported_bundle_follows_stix_2_1() {
    let indicators = sample_indicators();
    let identity = StixIdentity {
        name: "Sở TT&TT tỉnh X".into(),
    };
    let bundle = to_bundle(&indicators, &[], &identity, time("2025-03-06T00:00:00Z"));
    assert_eq!(bundle["type"], "bundle");
    let uuid_shape = |id: &str, prefix: &str| {
        let uuid = id.strip_prefix(prefix).unwrap_or_else(|| panic!("{id}"));
        let groups: Vec<usize> = uuid.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12], "{id}");
        assert!(uuid.chars().all(|c| c.is_ascii_hexdigit() || c == '-'));
        assert_eq!(&uuid[14..15], "5", "{id} is a version 5 UUID");
        assert!(
            "89ab".contains(&uuid[19..20]),
            "{id} has the RFC 4122 variant"
        );
    };
    uuid_shape(bundle["id"].as_str().unwrap(), "bundle--");
    let objects = bundle["objects"].as_array().unwrap();
    let first = &objects[1];
    uuid_shape(first["id"].as_str().unwrap(), "indicator--");
    assert_eq!(first["spec_version"], "2.1");
    assert_eq!(first["pattern"], "[ipv4-addr:value = '203.0.113.45']");
    assert_eq!(first["pattern_type"], "stix");
    assert_eq!(first["created"], "2025-03-01T10:00:00.250Z");
    assert_eq!(first["modified"], "2025-03-06T00:00:00.000Z");
    assert_eq!(first["valid_from"], "2025-03-01T10:00:00.250Z");
    assert_eq!(first["indicator_types"], json!(["malicious-activity"]));
    assert_eq!(first["labels"], json!(["apt"]));
    assert_eq!(first["created_by_ref"], objects[0]["id"]);
    assert_eq!(objects[0]["type"], "identity");
    assert_eq!(objects[2]["pattern"], "[ipv6-addr:value = '2001:db8::45']");
    assert_eq!(
        objects[5]["pattern"],
        // The URL parser turned the backslash into a slash; the quote is escaped.
        "[url:value = 'http://update.example-cdn.net/it\\'s/a/path']"
    );
    assert_eq!(
        objects[7]["pattern"],
        "[file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']"
    );
    // The TLP 2.0 marking definitions referenced are in the bundle.
    let markings: Vec<&str> = objects
        .iter()
        .filter(|o| o["type"] == "marking-definition")
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        markings,
        [
            "TLP:CLEAR",
            "TLP:GREEN",
            "TLP:AMBER",
            "TLP:AMBER+STRICT",
            "TLP:RED"
        ]
    );
    // A UUIDv5 computed elsewhere (Python's uuid.uuid5) for the same namespace and name.
    assert_eq!(
        uuid_v5("indicator:ip:1.2.3.4"),
        "e5f03d86-35be-5202-be78-3d5e88ea871b"
    );
}

#[test]
fn csv_export_has_the_documented_columns() {
    let indicators = sample_indicators();
    let text = to_csv(&indicators[..2]);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, CSV_HEADER);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0].iter().collect::<Vec<_>>(),
        [
            "ip",
            "203.0.113.45",
            "NCSC",
            "Chỉ dấu số 0, \"trích\" từ công văn",
            "informational",
            "",
            "",
            "2025-03-01T10:00:00.25Z",
            "2025-03-05T00:00:00Z",
            "",
            "apt;malicious-activity",
        ]
    );
    assert_eq!(&rows[1][5], "TLP:CLEAR");
    assert_eq!(&rows[1][6], "10");
    assert_eq!(&rows[1][9], "2026-01-01T00:00:00Z");
}

proptest::proptest! {
    #[test]
    fn the_bundle_reader_never_panics_on_damaged_bundles(
        cuts in proptest::collection::vec((0usize..FIXTURE.len(), 0usize..40, ".{0,8}"), 1..6)
    ) {
        let mut text = FIXTURE.to_string();
        for (at, length, insert) in cuts {
            let start = (0..=at.min(text.len())).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
            let end = (start + length).min(text.len());
            let end = (end..=text.len()).find(|&i| text.is_char_boundary(i)).unwrap_or(text.len());
            text.replace_range(start..end, &insert);
        }
        let _ = read_bundle(&text, "x");
    }
}
