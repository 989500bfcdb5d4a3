//! Writes a synthetic fleet as NDJSON to standard output: `cargo run --release --example
//! generate_fleet -- 10000 > fleet.ndjson` (hosts of ~4 KB; see benches/support/fleet_gen.rs).

#[path = "../benches/support/fleet_gen.rs"]
mod fleet_gen;

use std::io::Write;

fn main() {
    let n = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut rng = fleet_gen::Rng::new(42);
    for i in 0..n {
        let doc = fleet_gen::host(&mut rng, i, 20, 30);
        if writeln!(out, "{doc}").is_err() {
            return;
        }
    }
}
