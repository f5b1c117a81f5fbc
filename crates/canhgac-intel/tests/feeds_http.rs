//! MISP feeds and TAXII 2.1 collections fetched from real HTTP servers on loopback.
#![allow(clippy::unwrap_used)] // fixtures and servers that fail should stop the test

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use canhgac_intel::fetch::{feed_client, FetchError, FetchLimits};
use canhgac_intel::misp::{FeedLocation, FeedState, MispFeed, MispOptions};
use canhgac_intel::taxii::{TaxiiClient, TaxiiError, TAXII_MEDIA_TYPE};
use canhgac_model::{IndicatorKind, Timestamp};
use serde_json::{json, Value};
use url::Url;

const APT: &str = include_str!("fixtures/misp-event-apt.json");
const PHISH: &str = include_str!("fixtures/misp-event-phish.json");
const APT_UUID: &str = "5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b";
const PHISH_UUID: &str = "6a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d";

/// Serves `router` on 127.0.0.1 at a port the system picks; returns the base URL.
async fn serve(router: Router) -> Url {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    Url::parse(&format!("http://{address}/")).unwrap()
}

fn time(text: &str) -> Timestamp {
    text.parse().unwrap()
}

// ---------------------------------------------------------------------------------------------
// MISP feed

#[derive(Default)]
struct FeedFiles {
    files: HashMap<String, String>,
    requests: Vec<String>,
}

type SharedFeed = Arc<Mutex<FeedFiles>>;

async fn feed_file(State(feed): State<SharedFeed>, Path(name): Path<String>) -> Response {
    let mut feed = feed.lock().unwrap();
    feed.requests.push(name.clone());
    match feed.files.get(&name) {
        Some(body) => ([(header::CONTENT_TYPE, "application/json")], body.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Puts the events, with these timestamps, and their manifest in the feed.
fn publish(feed: &SharedFeed, events: &[(&str, i64)]) {
    let mut feed = feed.lock().unwrap();
    let mut manifest = serde_json::Map::new();
    for (text, timestamp) in events {
        let mut event: Value = serde_json::from_str(text).unwrap();
        event["Event"]["timestamp"] = json!(timestamp.to_string());
        let uuid = event["Event"]["uuid"].as_str().unwrap().to_string();
        manifest.insert(
            uuid.clone(),
            json!({ "info": event["Event"]["info"], "timestamp": timestamp }),
        );
        feed.files.insert(format!("{uuid}.json"), event.to_string());
    }
    feed.files
        .insert("manifest.json".into(), Value::Object(manifest).to_string());
}

async fn misp_server() -> (Url, SharedFeed) {
    let feed = SharedFeed::default();
    let router = Router::new()
        .route("/feeds/ncsc/{name}", get(feed_file))
        .with_state(feed.clone());
    let base = serve(router).await;
    (base.join("feeds/ncsc").unwrap(), feed)
}

fn url_feed(url: Url, limits: FetchLimits) -> MispFeed {
    MispFeed {
        location: FeedLocation::Url(url),
        options: MispOptions::default(),
        client: feed_client(&limits).unwrap(),
        limits,
    }
}

#[tokio::test]
async fn a_misp_feed_over_http_is_polled_for_changed_events_only() {
    let (url, files) = misp_server().await;
    publish(&files, &[(APT, 1_740_300_000), (PHISH, 1_740_400_000)]);
    let feed = url_feed(url, FetchLimits::default());

    let first = feed.poll(&FeedState::default()).await.unwrap();
    assert_eq!(first.fetched, [APT_UUID, PHISH_UUID]);
    assert_eq!(first.import.events, 2);
    assert_eq!(first.import.indicators.len(), 7);

    // The phishing event gains an attribute and a new timestamp.
    let changed = PHISH.replace(
        "\"Attribute\": [",
        "\"Attribute\": [{\"uuid\": \"b0000001-0000-4000-8000-000000000003\", \"type\": \
         \"domain\", \"value\": \"bo-gia-mao.example.com\", \"to_ids\": true},",
    );
    publish(&files, &[(APT, 1_740_300_000), (&changed, 1_740_500_000)]);
    let second = feed.poll(&first.state).await.unwrap();
    assert_eq!(second.fetched, [PHISH_UUID]);
    assert_eq!(second.unchanged, 1);
    assert_eq!(second.import.indicators.len(), 3);
    assert!(second.import.indicators.iter().any(
        |i| i.input.kind == IndicatorKind::Domain && i.input.value == "bo-gia-mao.example.com"
    ));
    assert_eq!(second.state.events[PHISH_UUID], 1_740_500_000);

    let requests = files.lock().unwrap().requests.clone();
    assert_eq!(
        requests,
        [
            "manifest.json".to_string(),
            format!("{APT_UUID}.json"),
            format!("{PHISH_UUID}.json"),
            "manifest.json".to_string(),
            format!("{PHISH_UUID}.json"),
        ]
    );
}

#[tokio::test]
async fn a_misp_feed_over_the_size_cap_or_missing_a_file_is_refused_whole() {
    let (url, files) = misp_server().await;
    publish(&files, &[(APT, 1), (PHISH, 2)]);
    let small = FetchLimits {
        max_body_bytes: 1_000,
        ..FetchLimits::default()
    };
    let error = url_feed(url.clone(), small)
        .poll(&FeedState::default())
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains(&format!("{APT_UUID}.json")) && message.contains("larger than 1000"),
        "{message}"
    );

    files
        .lock()
        .unwrap()
        .files
        .remove(&format!("{PHISH_UUID}.json"));
    let error = url_feed(url, FetchLimits::default())
        .poll(&FeedState::default())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("HTTP status 404"), "{error}");
}

// ---------------------------------------------------------------------------------------------
// TAXII 2.1

const COLLECTION: &str = "91a7b528-80eb-42ed-a74d-c6fbd5a26116";
/// Basic credentials analyst:s3cret-Pa55.
const GOOD_AUTHORIZATION: &str = "Basic YW5hbHlzdDpzM2NyZXQtUGE1NQ==";

#[derive(Default)]
struct TaxiiServer {
    /// (date added, object), in the order added.
    objects: Vec<(Timestamp, Value)>,
    /// Page with `next` tokens (else only with `X-TAXII-Date-Added-Last`).
    use_next: bool,
    /// Path and query of every objects request.
    requests: Vec<String>,
}

type SharedTaxii = Arc<Mutex<TaxiiServer>>;

fn taxii_json(body: Value) -> Response {
    ([(header::CONTENT_TYPE, TAXII_MEDIA_TYPE)], body.to_string()).into_response()
}

/// Refuses requests without the right credentials or the TAXII media type.
fn refused(headers: &HeaderMap) -> Option<Response> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    if authorization != Some(GOOD_AUTHORIZATION) {
        return Some(
            (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Basic realm=\"taxii\"")],
                taxii_json(json!({"title": "Unauthorized"})),
            )
                .into_response(),
        );
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if !accept.contains("application/taxii+json") {
        return Some(StatusCode::NOT_ACCEPTABLE.into_response());
    }
    None
}

async fn discovery(headers: HeaderMap) -> Response {
    if let Some(refusal) = refused(&headers) {
        return refusal;
    }
    taxii_json(json!({
        "title": "Máy chủ TAXII thử nghiệm",
        "default": "/api1/",
        "api_roots": ["/api1/"],
    }))
}

async fn api_root(headers: HeaderMap) -> Response {
    if let Some(refusal) = refused(&headers) {
        return refusal;
    }
    taxii_json(json!({
        "title": "Chỉ dấu tấn công",
        "versions": [TAXII_MEDIA_TYPE],
        "max_content_length": 10_485_760,
    }))
}

async fn collections(headers: HeaderMap) -> Response {
    if let Some(refusal) = refused(&headers) {
        return refusal;
    }
    taxii_json(json!({
        "collections": [{
            "id": COLLECTION,
            "title": "IOC của NCSC",
            "can_read": true,
            "can_write": false,
            "media_types": ["application/stix+json;version=2.1"],
        }]
    }))
}

async fn objects(
    State(server): State<SharedTaxii>,
    Path(collection): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    if let Some(refusal) = refused(&headers) {
        return refusal;
    }
    if collection != COLLECTION {
        return StatusCode::NOT_FOUND.into_response();
    }
    let mut server = server.lock().unwrap();
    server.requests.push(uri.to_string());
    let added_after: Option<Timestamp> = query.get("added_after").map(|t| t.parse().unwrap());
    let limit: usize = query.get("limit").map_or(100, |l| l.parse().unwrap());
    let start: usize = query.get("next").map_or(0, |n| n.parse().unwrap());
    let matching: Vec<&(Timestamp, Value)> = server
        .objects
        .iter()
        .filter(|(added, _)| added_after.is_none_or(|after| *added > after))
        .collect();
    let page: Vec<&(Timestamp, Value)> = matching.iter().skip(start).take(limit).copied().collect();
    let more = start + page.len() < matching.len();
    let mut envelope = json!({
        "more": more,
        "objects": page.iter().map(|(_, object)| object.clone()).collect::<Vec<_>>(),
    });
    if more && server.use_next {
        envelope["next"] = json!((start + page.len()).to_string());
    }
    let mut response = taxii_json(envelope);
    if let (Some(first), Some(last)) = (page.first(), page.last()) {
        let headers = response.headers_mut();
        headers.insert(
            "X-TAXII-Date-Added-First",
            first.0.to_string().parse().unwrap(),
        );
        headers.insert(
            "X-TAXII-Date-Added-Last",
            last.0.to_string().parse().unwrap(),
        );
    }
    response
}

fn indicator(n: u32, ip: &str) -> Value {
    json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": format!("indicator--00000000-0000-4000-8000-00000000000{n}"),
        "created": "2025-03-01T00:00:00.000Z",
        "modified": "2025-03-01T00:00:00.000Z",
        "pattern": format!("[ipv4-addr:value = '{ip}']"),
        "pattern_type": "stix",
        "valid_from": "2025-03-01T00:00:00Z",
        "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],
    })
}

async fn taxii_server(use_next: bool) -> (Url, SharedTaxii) {
    let server = Arc::new(Mutex::new(TaxiiServer {
        objects: vec![
            (time("2025-03-01T00:00:01Z"), indicator(1, "203.0.113.1")),
            (time("2025-03-01T00:00:02Z"), indicator(2, "203.0.113.2")),
            (time("2025-03-01T00:00:03.5Z"), indicator(3, "203.0.113.3")),
        ],
        use_next,
        requests: Vec::new(),
    }));
    let router = Router::new()
        .route("/taxii2/", get(discovery))
        .route("/api1/", get(api_root))
        .route("/api1/collections/", get(collections))
        .route("/api1/collections/{id}/objects/", get(objects))
        .with_state(server.clone());
    (serve(router).await, server)
}

fn client(password: &str) -> TaxiiClient {
    let limits = FetchLimits::default();
    TaxiiClient::new(
        feed_client(&limits).unwrap(),
        Some(TaxiiClient::basic_auth("analyst", password)),
        limits,
    )
    .with_page_limit(2)
}

#[tokio::test]
async fn taxii_discovery_collections_and_paged_polling() {
    let (base, server) = taxii_server(true).await;
    let taxii = client("s3cret-Pa55");

    let discovery = taxii.discover(&base).await.unwrap();
    let root_url = base.join("api1/").unwrap();
    assert_eq!(discovery.api_roots, [root_url.to_string()]);
    assert_eq!(discovery.default.as_deref(), Some(root_url.as_str()));
    let root = taxii.api_root(&root_url).await.unwrap();
    assert_eq!(root.versions, [TAXII_MEDIA_TYPE]);
    let listed = taxii.collections(&root_url).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, COLLECTION);
    assert!(listed[0].can_read);

    // First poll: everything, in two pages of two and one.
    let first = taxii.poll(&root_url, COLLECTION, None).await.unwrap();
    assert_eq!(first.objects.len(), 3);
    assert_eq!(first.pages, 2);
    assert_eq!(first.new_since, Some(time("2025-03-01T00:00:03.5Z")));

    // Nothing new: nothing returned, `since` kept.
    let idle = taxii
        .poll(&root_url, COLLECTION, first.new_since)
        .await
        .unwrap();
    assert!(idle.objects.is_empty());
    assert_eq!(idle.new_since, first.new_since);

    // One object added: only it comes back, through the STIX reader.
    server
        .lock()
        .unwrap()
        .objects
        .push((time("2025-03-02T09:00:00Z"), indicator(4, "203.0.113.4")));
    let (import, since) = taxii
        .poll_indicators(&root_url, COLLECTION, first.new_since, "TAXII NCSC")
        .await
        .unwrap();
    assert_eq!(since, Some(time("2025-03-02T09:00:00Z")));
    assert_eq!(import.indicators.len(), 1);
    assert_eq!(import.indicators[0].input.value, "203.0.113.4");
    assert_eq!(import.indicators[0].input.source, "TAXII NCSC");
    assert_eq!(import.indicators[0].tlp, Some(canhgac_intel::Tlp::Green));

    let requests = server.lock().unwrap().requests.clone();
    let path = format!("/api1/collections/{COLLECTION}/objects/");
    assert_eq!(
        requests,
        [
            format!("{path}?limit=2"),
            format!("{path}?limit=2&next=2"),
            format!("{path}?added_after=2025-03-01T00%3A00%3A03.5Z&limit=2"),
            format!("{path}?added_after=2025-03-01T00%3A00%3A03.5Z&limit=2"),
        ]
    );
}

#[tokio::test]
async fn taxii_paging_without_next_tokens_follows_the_date_added_header() {
    let (base, server) = taxii_server(false).await;
    let root_url = base.join("api1/").unwrap();
    let poll = client("s3cret-Pa55")
        .poll(&root_url, COLLECTION, None)
        .await
        .unwrap();
    assert_eq!(poll.objects.len(), 3);
    assert_eq!(poll.pages, 2);
    let requests = server.lock().unwrap().requests.clone();
    assert_eq!(
        requests[1],
        format!(
            "/api1/collections/{COLLECTION}/objects/?added_after=2025-03-01T00%3A00%3A02Z&limit=2"
        )
    );
}

#[tokio::test]
async fn a_wrong_taxii_password_is_refused_without_showing_it() {
    let (base, _server) = taxii_server(true).await;
    let password = "sai-mat-khau-bi-mat";
    let taxii = client(password);
    let error = taxii.discover(&base).await.unwrap_err();
    assert!(
        matches!(
            error,
            TaxiiError::Fetch(FetchError::Unauthorized { status: 401, .. })
        ),
        "{error:?}"
    );
    for shown in [
        error.to_string(),
        format!("{error:?}"),
        error.message_vi(),
        format!("{taxii:?}"),
    ] {
        assert!(!shown.contains(password), "{shown}");
    }
    assert!(error.to_string().contains("refused the credentials"));
    assert!(error.message_vi().contains("từ chối thông tin đăng nhập"));

    // Credentials written into the URL are not shown either.
    let mut with_userinfo = base.clone();
    with_userinfo.set_username("analyst").unwrap();
    with_userinfo.set_password(Some(password)).unwrap();
    let error = TaxiiClient::new(reqwest::Client::new(), None, FetchLimits::default())
        .discover(&with_userinfo)
        .await
        .unwrap_err();
    assert!(!error.to_string().contains(password), "{error}");
}

#[tokio::test]
async fn taxii_objects_that_are_not_stix_fail_the_poll() {
    let (base, server) = taxii_server(true).await;
    server
        .lock()
        .unwrap()
        .objects
        .push((time("2025-03-03T00:00:00Z"), json!({"type": "indicator"})));
    let root_url = base.join("api1/").unwrap();
    let error = client("s3cret-Pa55")
        .poll_indicators(&root_url, COLLECTION, None, "x")
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("#3") && error.to_string().contains("no \"id\""),
        "{error}"
    );
}
