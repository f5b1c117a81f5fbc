use super::*;

const APT: &str = include_str!("../../tests/fixtures/misp-event-apt.json");
const PHISH: &str = include_str!("../../tests/fixtures/misp-event-phish.json");

fn time(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn values(import: &MispImport) -> Vec<(IndicatorKind, &str)> {
    import
        .indicators
        .iter()
        .map(|i| (i.input.kind, i.input.value.as_str()))
        .collect()
}

#[test]
fn an_event_maps_attributes_tags_and_times() {
    let import = read_events(APT, &MispOptions::default()).unwrap();
    assert_eq!(
        values(&import),
        [
            (IndicatorKind::Ip, "203.0.113.10"),
            (IndicatorKind::Ip, "198.51.100.20"),
            (IndicatorKind::Domain, "cdn-update.example.net"),
            (IndicatorKind::Ip, "192.0.2.30"),
            (
                IndicatorKind::Sha256,
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
            ),
        ]
    );
    let c2 = &import.indicators[0];
    assert_eq!(c2.input.source, "VNCERT/CC");
    assert_eq!(
        c2.input.description,
        "Chiến dịch APT nhắm vào cổng dịch vụ công — máy chủ C2"
    );
    assert_eq!(c2.input.severity, Severity::High);
    assert_eq!(c2.input.tags, ["apt"]);
    assert_eq!(c2.tlp, Some(Tlp::Amber));
    assert_eq!(c2.first_seen, Some(time("2025-02-20T00:00:00Z")));
    assert_eq!(
        c2.last_seen,
        Some(Timestamp::from_second(1_740_300_000).unwrap())
    );

    let with_port = &import.indicators[1];
    assert_eq!(with_port.first_seen, Some(time("2025-02-01T00:00:00Z")));
    assert_eq!(with_port.last_seen, Some(time("2025-02-19T12:00:00Z")));
    // The attribute's own TLP tag wins over the event's.
    assert_eq!(import.indicators[2].tlp, Some(Tlp::Red));
    assert_eq!(import.indicators[3].tlp, Some(Tlp::Red));

    assert_eq!(import.events, 1);
    assert_eq!(import.skipped_not_to_ids, 1);
    assert_eq!(import.skipped_deleted, 1);
    assert_eq!(
        import.unsupported_types,
        BTreeMap::from([
            ("filename".to_string(), 1),
            ("text".to_string(), 1),
            ("uri".to_string(), 1),
        ])
    );

    let phish = read_events(PHISH, &MispOptions::default()).unwrap();
    assert_eq!(
        values(&phish),
        [
            (IndicatorKind::Email, "hotro@example.org"),
            (IndicatorKind::Md5, "d41d8cd98f00b204e9800998ecf8427e"),
        ]
    );
    assert_eq!(phish.indicators[0].input.severity, Severity::Medium);
    assert_eq!(phish.indicators[0].tlp, Some(Tlp::Green));
    assert_eq!(phish.indicators[0].input.source, "NCSC");
}

#[test]
fn attributes_without_to_ids_are_taken_when_asked() {
    let options = MispOptions {
        only_to_ids: false,
        ..MispOptions::default()
    };
    let import = read_events(APT, &options).unwrap();
    assert_eq!(import.indicators.len(), 6);
    assert!(import
        .indicators
        .iter()
        .any(|i| i.input.value == "mail.example.net"));
    assert_eq!(import.skipped_not_to_ids, 0);
    assert_eq!(import.skipped_deleted, 1, "deleted stays deleted");
}

#[test]
fn lists_and_api_responses_of_events_are_read() {
    let apt: Value = serde_json::from_str(APT).unwrap();
    let phish: Value = serde_json::from_str(PHISH).unwrap();
    let list = Value::Array(vec![apt.clone(), phish.clone()]).to_string();
    let response = serde_json::json!({ "response": [apt, phish] }).to_string();
    for text in [list, response] {
        let import = read_events(&text, &MispOptions::default()).unwrap();
        assert_eq!(import.events, 2);
        assert_eq!(import.indicators.len(), 7);
    }
}

#[test]
fn a_malformed_attribute_fails_the_event_naming_it() {
    let event_uuid = "5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b";
    let broken = APT.replace("\"198.51.100.20|8443\"", "\"198.51.100.999|8443\"");
    match read_events(&broken, &MispOptions::default()) {
        Err(MispError::Attribute {
            event,
            attribute,
            problem,
        }) => {
            assert_eq!(event, event_uuid);
            assert_eq!(attribute, "a0000001-0000-4000-8000-000000000002");
            assert!(problem.contains("not an IP address"), "{problem}");
        }
        other => panic!("{other:?}"),
    }
    let broken = APT.replace(
        "cdn-update.example.net|192.0.2.30",
        "cdn-update.example.net",
    );
    let error = read_events(&broken, &MispOptions::default()).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("a0000001-0000-4000-8000-000000000003"),
        "{error}"
    );

    let broken = APT.replace("\"to_ids\": \"1\"", "\"to_ids\": \"yes\"");
    let error = read_events(&broken, &MispOptions::default()).unwrap_err();
    assert!(error
        .to_string()
        .contains("a0000001-0000-4000-8000-000000000003"));
    assert!(error.to_string().contains("to_ids"), "{error}");

    let broken = APT.replace("\"threat_level_id\": \"1\"", "\"threat_level_id\": \"9\"");
    match read_events(&broken, &MispOptions::default()) {
        Err(MispError::Event { event, problem }) => {
            assert_eq!(event, event_uuid);
            assert!(problem.contains("threat_level_id"));
        }
        other => panic!("{other:?}"),
    }
    let error = read_events("{\"Event\": ", &MispOptions::default()).unwrap_err();
    assert!(matches!(error, MispError::Json { .. }));
    assert!(error.message_vi().contains("không phải JSON"));
}

fn write_feed(directory: &Path, events: &[(&str, i64)]) {
    let mut manifest = serde_json::Map::new();
    for (text, timestamp) in events {
        let mut event: Value = serde_json::from_str(text).unwrap();
        event["Event"]["timestamp"] = Value::String(timestamp.to_string());
        let uuid = event["Event"]["uuid"].as_str().unwrap().to_string();
        std::fs::write(directory.join(format!("{uuid}.json")), event.to_string()).unwrap();
        manifest.insert(
            uuid,
            serde_json::json!({"info": event["Event"]["info"], "timestamp": timestamp.to_string()}),
        );
    }
    std::fs::write(
        directory.join("manifest.json"),
        Value::Object(manifest).to_string(),
    )
    .unwrap();
}

fn directory_feed(directory: &Path) -> MispFeed {
    MispFeed {
        location: FeedLocation::Directory(directory.to_path_buf()),
        options: MispOptions::default(),
        limits: FetchLimits::default(),
        client: reqwest::Client::new(),
    }
}

#[tokio::test]
async fn a_directory_feed_is_read_again_only_where_it_changed() {
    let directory = tempfile::tempdir().unwrap();
    write_feed(directory.path(), &[(APT, 100), (PHISH, 200)]);
    let feed = directory_feed(directory.path());

    let first = feed.poll(&FeedState::default()).await.unwrap();
    assert_eq!(first.fetched.len(), 2);
    assert_eq!(first.import.indicators.len(), 7);
    assert_eq!(first.state.events.len(), 2);

    let unchanged = feed.poll(&first.state).await.unwrap();
    assert!(unchanged.fetched.is_empty());
    assert_eq!(unchanged.unchanged, 2);
    assert!(unchanged.import.indicators.is_empty());

    // The phishing event changes; the APT event's file is removed to prove it is not read.
    write_feed(directory.path(), &[(APT, 100), (PHISH, 300)]);
    std::fs::remove_file(
        directory
            .path()
            .join("5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b.json"),
    )
    .unwrap();
    let second = feed.poll(&first.state).await.unwrap();
    assert_eq!(second.fetched, ["6a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d"]);
    assert_eq!(second.import.indicators.len(), 2);
    assert_eq!(second.unchanged, 1);
    assert_eq!(
        second
            .state
            .events
            .get("6a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d"),
        Some(&300)
    );
    // The state serialises for the caller to keep.
    let stored = serde_json::to_string(&second.state).unwrap();
    assert_eq!(
        serde_json::from_str::<FeedState>(&stored).unwrap(),
        second.state
    );
}

#[tokio::test]
async fn a_broken_feed_imports_nothing_and_names_the_file() {
    let directory = tempfile::tempdir().unwrap();
    write_feed(directory.path(), &[(APT, 100), (PHISH, 200)]);
    std::fs::write(
        directory
            .path()
            .join("6a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d.json"),
        "{\"Event\": {\"uuid\": ",
    )
    .unwrap();
    let error = directory_feed(directory.path())
        .poll(&FeedState::default())
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("6a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d.json: not JSON"),
        "{error}"
    );

    std::fs::write(
        directory.path().join("manifest.json"),
        r#"{"../../etc/passwd": {"timestamp": "1"}}"#,
    )
    .unwrap();
    let error = directory_feed(directory.path())
        .poll(&FeedState::default())
        .await
        .unwrap_err();
    assert!(matches!(error, MispError::Manifest(_)), "{error}");
    assert!(error.to_string().contains("not an event UUID"));
}
