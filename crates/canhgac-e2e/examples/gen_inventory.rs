//! Writes a synthetic inventory as YAML, for `bench/inventory.sh`.
//!
//! ```text
//! cargo run --release -p canhgac-e2e --example gen_inventory -- UNITS SYSTEMS ASSETS [SEED] > inventory.yaml
//! ```
//!
//! The document comes from `canhgac_inventory::generate_document`, so the same arguments always
//! give the same file, and it imports cleanly into an empty store.

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let numbers: Result<Vec<u64>, _> = args.iter().map(|a| a.parse::<u64>()).collect();
    let (units, systems, assets, seed) = match numbers.as_deref() {
        Ok([u, s, a]) => (*u, *s, *a, 42),
        Ok([u, s, a, seed]) => (*u, *s, *a, *seed),
        _ => {
            eprintln!(
                "usage: gen_inventory UNITS SYSTEMS ASSETS [SEED]  (numbers; YAML on stdout)"
            );
            return ExitCode::from(2);
        }
    };
    let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    let document =
        canhgac_inventory::generate_document(size(units), size(systems), size(assets), seed);
    let yaml = canhgac_inventory::to_yaml(&document);
    let mut stdout = std::io::stdout().lock();
    if let Err(error) = stdout
        .write_all(yaml.as_bytes())
        .and_then(|()| stdout.flush())
    {
        eprintln!("gen_inventory: writing the YAML: {error}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
