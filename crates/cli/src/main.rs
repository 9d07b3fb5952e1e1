//! `edl`: the command line of the e-licence platform. Parsing lives in [`args`]; each subcommand
//! is a module under `commands` that turns arguments into domain values and calls `edl-app`.

mod args;
mod bench;
mod commands;
mod qr;
mod trust;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc rather than the system allocator: the service allocates many small, short-lived
/// objects per request on several threads, where glibc's malloc spent a fifth of the verification
/// API's CPU time (BENCHMARKS.md, "The verification API").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(error) => {
            // The chain says what failed and why; domain errors never carry personal data.
            eprintln!("edl: error: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(1)
        }
    }
}
