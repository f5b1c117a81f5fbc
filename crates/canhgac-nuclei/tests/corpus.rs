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
