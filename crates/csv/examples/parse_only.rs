//! Parses every record of an exchange file and does nothing else: the client side of an import without a store.
//!
//! ```text
//! cargo run --release -p edl-csv --example parse_only -- FILE [auto|utf-8|gbk]
//! ```
//!
//! Prints the encoding, how many records were parsed and rejected, a checksum over every parsed row's line and
//! digest and one over every rejection's message, so two builds can be checked to read a file identically
//! (the checksums are std's `DefaultHasher`: compare them between builds of the same toolchain only). Meant for
//! profiling the parser, e.g. `valgrind --tool=callgrind target/release/examples/parse_only FILE`; the
//! checksums cost about 200 instructions a row, under 1 % of the parse.

use std::fs::File;
use std::hash::{DefaultHasher, Hasher};
use std::io::BufReader;
use std::process::ExitCode;

use edl_csv::{EncodingChoice, RowOutcome, RowReader};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: parse_only FILE [auto|utf-8|gbk]");
        return ExitCode::FAILURE;
    };
    let choice = match args.next().as_deref() {
        None | Some("auto") => EncodingChoice::Auto,
        Some("utf-8") => EncodingChoice::Utf8,
        Some("gbk") => EncodingChoice::Gbk,
        Some(other) => {
            eprintln!("unknown encoding {other:?}: expected auto, utf-8 or gbk");
            return ExitCode::FAILURE;
        }
    };
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The same buffering as `edl import`.
    let reader = match RowReader::new(BufReader::with_capacity(1 << 20, file), choice) {
        Ok(reader) => reader,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("encoding: {}", reader.encoding());
    let (mut parsed, mut rejected) = (0u64, 0u64);
    let mut digests = DefaultHasher::new();
    let mut rejections = DefaultHasher::new();
    for outcome in reader {
        match outcome {
            Ok(RowOutcome::Parsed(row)) => {
                parsed += 1;
                digests.write_u64(row.line);
                digests.write(&row.digest);
            }
            Ok(RowOutcome::Rejected(r)) => {
                rejected += 1;
                rejections.write(format!("{r}\n").as_bytes());
            }
            Err(e) => {
                eprintln!("{path}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    println!("parsed: {parsed}");
    println!("rejected: {rejected}");
    println!("digests: {:016x}", digests.finish());
    println!("rejections: {:016x}", rejections.finish());
    ExitCode::SUCCESS
}
