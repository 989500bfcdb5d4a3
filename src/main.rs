// Parsing allocates many small strings, and threads free each other's: mimalloc does both
// faster than the system allocator (docs/performance.md). Counted per thread, so the sandbox
// can bound the memory a rule takes on one host.
#[global_allocator]
static GLOBAL: kbdiag::alloc::Allocator = kbdiag::alloc::ALLOCATOR;

use clap::Parser;

fn main() {
    std::process::exit(kbdiag::cli::run(kbdiag::cli::Cli::parse()));
}
