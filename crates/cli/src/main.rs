//! `edl`: the command line of the e-licence platform. Parsing lives in [`args`]; each subcommand
//! is a module under `commands` that turns arguments into domain values and calls `edl-app`.

mod args;
mod bench;
mod commands;
mod qr;
mod trust;

use std::process::ExitCode;

use clap::Parser;

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
