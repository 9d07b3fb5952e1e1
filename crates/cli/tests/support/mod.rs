//! Running the `edl` binary in a temporary working directory with its own SQLite registry.

#![allow(dead_code, unreachable_pub)] // Each test binary uses a different part of this module.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// One test's `edl`: a temp directory as working directory and a database URL.
pub struct Edl {
    dir: tempfile::TempDir,
    database_url: String,
}

/// What a run printed.
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Edl {
    /// `edl` on a fresh SQLite file.
    pub fn new() -> Edl {
        let dir = tempfile::tempdir().expect("temp dir");
        let database_url = format!("sqlite://{}", dir.path().join("registry.sqlite3").display());
        Edl { dir, database_url }
    }

    /// `edl` on the given database URL.
    pub fn with_database(database_url: String) -> Edl {
        Edl {
            dir: tempfile::tempdir().expect("temp dir"),
            database_url,
        }
    }

    /// A path inside the test's directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_edl"));
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("EDL_DATABASE_URL", &self.database_url)
            .env_remove("RUST_LOG");
        command
    }

    /// Runs `edl ARGS` to completion.
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_env(args, &[])
    }

    /// Runs `edl ARGS` with extra environment variables.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut command = self.command(args);
        command.envs(env.iter().copied());
        let out = command.output().expect("run edl");
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs `edl ARGS` and asserts success.
    pub fn ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        assert_eq!(
            out.code, 0,
            "edl {args:?} failed:\n{}\n{}",
            out.stdout, out.stderr
        );
        out
    }

    /// Runs `edl ARGS` with extra environment variables and asserts success.
    pub fn ok_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let out = self.run_env(args, env);
        assert_eq!(
            out.code, 0,
            "edl {args:?} failed:\n{}\n{}",
            out.stdout, out.stderr
        );
        out
    }

    /// Starts `edl ARGS` in the background.
    pub fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn edl")
    }

    /// Starts `edl ARGS` in the background with extra environment variables, its standard output
    /// piped (to read what it prints, e.g. the address `edl serve` listens on).
    pub fn spawn_piped(&self, args: &[&str], env: &[(&str, &str)]) -> Child {
        self.command(args)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn edl")
    }

    /// Starts `edl import CSV` with small batches, waits until some are committed, kills the process hard
    /// (SIGKILL: no clean-up runs) and returns how many licences the registry then holds.
    pub fn import_and_kill_once_committed(&self, csv: &std::path::Path) -> u64 {
        let csv = csv.to_str().expect("UTF-8 temp path");
        let mut child = self.spawn(&["import", csv, "--no-progress", "--batch-size", "2000"]);
        for _ in 0..2000 {
            std::thread::sleep(std::time::Duration::from_millis(20));
            if self.total_licences_if_ready() > 0 {
                break;
            }
        }
        child.kill().expect("kill edl import");
        child.wait().expect("reap edl import");
        self.total_licences()
    }

    /// The registry's licence count, from `edl stats regions`.
    pub fn total_licences(&self) -> u64 {
        let out = self.ok(&["stats", "regions"]).stdout;
        parse_total(&out).unwrap_or_else(|| panic!("no total line in: {out}"))
    }

    /// The count, or 0 if the registry cannot be read yet (e.g. the database is being created).
    pub fn total_licences_if_ready(&self) -> u64 {
        let out = self.run(&["stats", "regions"]);
        if out.code != 0 {
            return 0;
        }
        parse_total(&out.stdout).unwrap_or(0)
    }

    /// The 档案编号 of the first row of `csv` whose status is `A` and whose validity has not ended.
    pub fn first_normal_file_number(&self, csv: &std::path::Path) -> String {
        let text = std::fs::read_to_string(csv).expect("read csv");
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            if f[13] == "A" && (f[10] == "长期" || f[10] > "2027-01-01") {
                return f[0].to_owned();
            }
        }
        panic!("no normal licence in the sample");
    }
}

fn parse_total(stats: &str) -> Option<u64> {
    stats
        .lines()
        .find_map(|l| l.strip_prefix("total "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// Data lines (not the header) of a CSV text.
pub fn count_data_lines(csv: &str) -> usize {
    csv.lines().count().saturating_sub(1)
}

pub const PKI_PASS: (&str, &str) = ("EDL_PKI_PASSPHRASE", "operator test passphrase");
pub const WALLET_PASS: (&str, &str) = ("EDL_WALLET_PASSPHRASE", "holder test passphrase");
pub const FAST_KDF: [&str; 2] = ["--kdf-cost", "14"];

/// A registry of 300 licences and a PKI with a document signer for the authority of one normal
/// licence, whose region is switched on. Returns (edl, file number, region).
pub fn platform() -> (Edl, String, String) {
    let edl = Edl::new();
    let csv = edl.path("licences.csv");
    edl.ok(&[
        "gen-licences",
        "--count",
        "300",
        "--seed",
        "5",
        "-o",
        csv.to_str().unwrap(),
    ]);
    edl.ok(&["import", csv.to_str().unwrap(), "--no-progress"]);
    let file_number = edl.first_normal_file_number(&csv);
    let text = std::fs::read_to_string(&csv).unwrap();
    let row: Vec<&str> = text
        .lines()
        .find(|l| l.starts_with(&file_number))
        .unwrap()
        .split(',')
        .collect();
    let (authority, region) = (row[11].to_owned(), row[12].to_owned());
    edl.ok_env(&[&["pki", "init"][..], &FAST_KDF].concat(), &[PKI_PASS]);
    edl.ok_env(
        &[
            &[
                "pki",
                "add-authority",
                "--region",
                &region,
                "--name",
                &authority,
            ][..],
            &FAST_KDF,
        ]
        .concat(),
        &[PKI_PASS],
    );
    edl.ok(&[
        "rollout",
        "enable",
        &region,
        "--from",
        "2021-01-01",
        "--phase",
        "test",
    ]);
    (edl, file_number, region)
}
