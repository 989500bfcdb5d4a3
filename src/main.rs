// Parsing allocates many small strings, and threads free each other's: mimalloc does both
// faster than the system allocator (docs/performance.md).
#[cfg(not(feature = "system-alloc"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;

fn main() {
    std::process::exit(kbdiag::cli::run(kbdiag::cli::Cli::parse()));
}
