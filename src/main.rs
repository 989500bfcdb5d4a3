// Parsing allocates many small strings, and threads free each other's: mimalloc does both
// faster than the system allocator (docs/performance.md). Counted per thread, so the sandbox
// can bound the memory a rule takes on one host.
#[cfg(not(feature = "system-alloc"))]
#[global_allocator]
static GLOBAL: kbdiag::alloc::Counting<mimalloc::MiMalloc> =
    kbdiag::alloc::Counting(mimalloc::MiMalloc);

#[cfg(feature = "system-alloc")]
#[global_allocator]
static GLOBAL: kbdiag::alloc::Counting<std::alloc::System> =
    kbdiag::alloc::Counting(std::alloc::System);

use clap::Parser;

fn main() {
    std::process::exit(kbdiag::cli::run(kbdiag::cli::Cli::parse()));
}
