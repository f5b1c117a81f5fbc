//! Compatibility figure over the public template set, when it is present on this machine.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use canhgac_nuclei::loader::load_dir;

const CORPUS: &str = "/work/shared/corpora/nuclei-templates";

#[test]
fn most_of_the_public_http_dns_ssl_and_network_templates_load() {
    let dir = Path::new(CORPUS);
    if !dir.is_dir() {
        println!("SKIPPED: corpus not found at {CORPUS}");
        return;
    }
    let report = load_dir(dir);
    println!("{report}");
    for skipped in &report.skipped {
        println!("skip {}: {}", skipped.path.display(), skipped.reason);
    }
    let (loaded, seen) = report.load_ratio(&["http", "dns", "ssl", "tcp"]);
    let percent = loaded as f64 * 100.0 / seen as f64;
    println!("http+dns+ssl+network: {loaded} of {seen} load ({percent:.1}%)");
    println!("load_dir took {:?}", report.elapsed);
    assert!(percent >= 90.0, "only {percent:.1}% load");
}

/// Every loaded corpus template runs against a local weak server without a panic or a hang.
/// DNS goes to a local zone server; every other request goes to the loopback target.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_loaded_corpus_template_runs_against_a_local_server() {
    use canhgac_dns::zone::{Zone, ZoneServer};
    use canhgac_nuclei::engine::{Engine, EngineOptions};
    use canhgac_nuclei::target::Target;
    use std::time::{Duration, Instant};

    let dir = Path::new(CORPUS);
    if !dir.is_dir() {
        println!("SKIPPED: corpus not found at {CORPUS}");
        return;
    }
    let report = load_dir(dir);
    let app = axum::Router::new().fallback(|| async {
        (
            [("Server", "Apache/2.4.49"), ("Content-Type", "text/html")],
            "<html><title>Apache Tomcat/9.0.1</title>[core] WordPress</html>",
        )
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let zone = ZoneServer::start(Zone::new()).await.unwrap();
    let engine = Engine::new(EngineOptions {
        timeout: Duration::from_secs(2),
        resolver: Some(zone.resolver()),
        ..EngineOptions::default()
    });
    let target = Target::parse(&format!("http://localhost:{}", address.port())).unwrap();
    let started = Instant::now();
    let mut requests = 0;
    let mut hits = 0;
    let mut unresolved = Vec::new();
    for template in &report.templates {
        let outcome = engine.run(template, &target).await;
        requests += outcome.requests_sent;
        hits += outcome.hits.len();
        unresolved.extend(
            outcome
                .errors
                .into_iter()
                .filter(|e| e.contains("unresolved")),
        );
    }
    for error in &unresolved {
        println!("{error}");
    }
    println!(
        "{} templates, {requests} requests, {hits} hits in {:?}",
        report.templates.len(),
        started.elapsed()
    );
    assert!(requests >= report.templates.len());
}
