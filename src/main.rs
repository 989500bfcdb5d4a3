#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;

fn main() {
    std::process::exit(kbdiag::cli::run(kbdiag::cli::Cli::parse()));
}
