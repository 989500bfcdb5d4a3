//! Writes a synthetic fleet as NDJSON to standard output:
//!
//! ```sh
//! cargo run --release --example generate_fleet -- 10000 > fleet.ndjson        # KB 322051's facts
//! cargo run --release --example generate_fleet -- 10000 --kb > kb-fleet.ndjson # the whole KB's
//! ```
//!
//! The first is the fleet of KB 322051 alone (hosts of ~4 KB; benches/support/fleet_gen.rs); with
//! `--kb`, every host carries the facts the thirty articles of `kb/` read
//! (benches/support/kb_fleet.rs).

#[path = "../benches/support/fleet_gen.rs"]
mod fleet_gen;
#[path = "../benches/support/kb_fleet.rs"]
mod kb_fleet;

use std::io::Write;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let kb = args.iter().any(|a| a == "--kb");
    let n = (args.iter()).find_map(|a| a.parse().ok()).unwrap_or(10_000);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut rng = fleet_gen::Rng::new(42);
    for i in 0..n {
        let doc = if kb {
            kb_fleet::host(&mut rng, i)
        } else {
            fleet_gen::host(&mut rng, i, 20, 30)
        };
        if writeln!(out, "{doc}").is_err() {
            return;
        }
    }
}
