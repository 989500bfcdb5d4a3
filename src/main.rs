use clap::Parser;

fn main() {
    std::process::exit(kbdiag::cli::run(kbdiag::cli::Cli::parse()));
}
