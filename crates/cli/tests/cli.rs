//! The `edl` binary as an operator uses it: generate, import (UTF-8, GBK, bad rows, re-runs, a killed
//! run), change licences, roll out regions, and bad input. Every test runs the real binary against a
//! real SQLite file in a temporary directory; `postgres.rs` repeats the import tests on PostgreSQL.

#![allow(clippy::unwrap_used)] // Test helpers: a panic is the test failing, with its message.

mod support;

use support::{Edl, count_data_lines};

#[test]
fn gen_licences_is_deterministic_and_a_prefix_for_smaller_counts() {
    let edl = Edl::new();
    let a = edl
        .ok(&["gen-licences", "--count", "300", "--seed", "9"])
        .stdout;
    let b = edl
        .ok(&["gen-licences", "--count", "300", "--seed", "9"])
        .stdout;
    let small = edl
        .ok(&["gen-licences", "--count", "30", "--seed", "9"])
        .stdout;
    let other = edl
        .ok(&["gen-licences", "--count", "30", "--seed", "10"])
        .stdout;
    assert_eq!(a, b);
    assert!(a.starts_with(&small));
    assert_ne!(small, other);
    assert_eq!(count_data_lines(&a), 300);
    assert!(a.starts_with("档案编号,证号,姓名"), "header: {}", &a[..40]);
}

#[test]
fn import_keeps_every_record_and_a_second_import_changes_nothing() {
    let edl = Edl::new();
    let csv = edl.path("licences.csv");
    edl.ok(&[
        "gen-licences",
        "--count",
        "2000",
        "--seed",
        "3",
        "-o",
        csv.to_str().unwrap(),
    ]);

    let first = edl
        .ok(&["import", csv.to_str().unwrap(), "--no-progress"])
        .stdout;
    assert!(first.contains("2000 records"), "{first}");
    assert!(
        first.contains("2000 new, 0 already present, 0 rejected"),
        "{first}"
    );
    assert_eq!(edl.total_licences(), 2000);

    let second = edl
        .ok(&["import", csv.to_str().unwrap(), "--no-progress"])
        .stdout;
    assert!(
        second.contains("0 new, 2000 already present, 0 rejected"),
        "{second}"
    );
    assert_eq!(edl.total_licences(), 2000);
}

#[test]
fn gbk_files_are_detected_and_imported() {
    let edl = Edl::new();
    let csv = edl.path("gbk.csv");
    edl.ok(&[
        "gen-licences",
        "--count",
        "500",
        "--seed",
        "4",
        "--encoding",
        "gbk",
        "-o",
        csv.to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&csv).unwrap();
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the file must really be GBK"
    );
    let out = edl
        .ok(&["import", csv.to_str().unwrap(), "--no-progress"])
        .stdout;
    assert!(out.contains("(GBK)"), "{out}");
    assert!(out.contains("500 new"), "{out}");

    // The same records written as UTF-8 are recognised as already present (same digest).
    let utf8 = edl.path("utf8.csv");
    edl.ok(&[
        "gen-licences",
        "--count",
        "500",
        "--seed",
        "4",
        "-o",
        utf8.to_str().unwrap(),
    ]);
    let out = edl
        .ok(&["import", utf8.to_str().unwrap(), "--no-progress"])
        .stdout;
    assert!(out.contains("0 new, 500 already present"), "{out}");
}

#[test]
fn a_gbk_file_forced_as_utf8_is_refused_at_the_header_with_the_reason() {
    let edl = Edl::new();
    let csv = edl.path("gbk.csv");
    edl.ok(&[
        "gen-licences",
        "--count",
        "20",
        "--seed",
        "4",
        "--encoding",
        "gbk",
        "-o",
        csv.to_str().unwrap(),
    ]);
    let result = edl.run(&[
        "import",
        csv.to_str().unwrap(),
        "--no-progress",
        "--encoding",
        "utf-8",
    ]);
    // The header itself is Chinese, so a GBK header read as UTF-8 cannot match: a clear error, nothing imported.
    assert_eq!(result.code, 1);
    assert!(
        result
            .stderr
            .contains("header cell 1 is not valid UTF-8; the file is probably in another encoding"),
        "the error must name the encoding problem: {}",
        result.stderr
    );
    assert_eq!(edl.total_licences(), 0);
}

#[test]
fn bad_rows_are_rejected_with_line_and_reason_and_good_rows_are_kept() {
    let edl = Edl::new();
    let good = edl.path("good.csv");
    edl.ok(&[
        "gen-licences",
        "--count",
        "5",
        "--seed",
        "11",
        "-o",
        good.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&good).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let template = lines[1].clone();
    let fields: Vec<&str> = template.split(',').collect();
    let with = |index: usize, value: &str| {
        let mut f: Vec<String> = fields.iter().map(|s| s.to_string()).collect();
        f[index] = value.to_owned();
        f.join(",")
    };
    // Line numbers in the file: header is line 1, the 5 good rows are lines 2-6.
    lines.push(with(1, "11010519491231002Y")); // 7: bad check character
    lines.push(with(8, "C1Q")); // 8: unknown class
    lines.push(with(5, "1990-02-30")); // 9: impossible date
    lines.push("1,2,3".to_owned()); // 10: wrong column count
    lines.push(template.clone()); // 11: duplicate 档案编号 (of line 2), identical row
    let mut other = with(6, "另一个地址");
    other = other.replacen(fields[0], "999999999999", 1);
    lines.push(other); // 12: a good new row
    let bad = edl.path("bad.csv");
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();

    let out = edl
        .ok(&["import", bad.to_str().unwrap(), "--no-progress"])
        .stdout;
    assert!(
        out.contains("6 new, 0 already present, 5 rejected"),
        "{out}"
    );
    let rejects = std::fs::read_to_string(edl.path("bad.csv.rejects.csv")).unwrap();
    let rows: Vec<&str> = rejects.lines().collect();
    assert_eq!(rows[0], "line,code,reason");
    let lines_rejected: Vec<&str> = rows[1..]
        .iter()
        .map(|r| r.split(',').next().unwrap())
        .collect();
    assert_eq!(lines_rejected, ["7", "8", "9", "10", "11"], "{rejects}");
    assert!(rows[5].contains("first at line 2"), "{rejects}");
    // The report names the column, never the value (personal data stays out of it).
    assert!(!rejects.contains("11010519491231002Y"), "{rejects}");
    assert!(
        !rejects.contains(fields[2]),
        "a name leaked into the report: {rejects}"
    );
    assert_eq!(edl.total_licences(), 6);
}

#[test]
fn an_import_killed_half_way_and_restarted_stores_every_record_exactly_once() {
    let edl = Edl::new();
    let csv = edl.path("big.csv");
    let total = 150_000;
    edl.ok(&[
        "gen-licences",
        "--count",
        &total.to_string(),
        "--seed",
        "5",
        "-o",
        csv.to_str().unwrap(),
    ]);

    let after_kill = edl.import_and_kill_once_committed(&csv);
    assert!(
        after_kill > 0,
        "the import should have committed something before the kill"
    );
    assert!(
        after_kill < total,
        "the kill should land mid-way (committed {after_kill} of {total}); make the file larger if this fails"
    );

    let out = edl
        .ok(&["import", csv.to_str().unwrap(), "--no-progress"])
        .stdout;
    assert_eq!(edl.total_licences(), total, "{out}");
    let new = total - after_kill;
    assert!(
        out.contains(&format!(
            "{new} new, {after_kill} already present, 0 rejected"
        )),
        "{out}"
    );
}

#[test]
fn licence_changes_are_applied_and_recorded_in_the_history() {
    let edl = Edl::new();
    let csv = edl.path("l.csv");
    edl.ok(&[
        "gen-licences",
        "--count",
        "200",
        "--seed",
        "8",
        "-o",
        csv.to_str().unwrap(),
    ]);
    edl.ok(&["import", csv.to_str().unwrap(), "--no-progress"]);
    let number = edl.first_normal_file_number(&csv);

    let out = edl
        .ok(&[
            "licence",
            "set-status",
            "--file-number",
            &number,
            "--status",
            "D",
            "--by",
            "tj-0042",
            "--reason",
            "暂扣 decision 118",
        ])
        .stdout;
    assert!(out.contains("status=D"), "{out}");
    assert!(out.contains("RedQr"), "{out}");
    assert!(
        out.contains("refused"),
        "a suspended licence may not claim: {out}"
    );

    let out = edl
        .ok(&[
            "licence",
            "set-status",
            "--file-number",
            &number,
            "--status",
            "A",
            "--by",
            "tj-0042",
            "--reason",
            "restored",
        ])
        .stdout;
    assert!(out.contains("BlackQr"), "{out}");

    let out = edl
        .ok(&[
            "licence",
            "add-points",
            "--file-number",
            &number,
            "--points",
            "12",
            "--by",
            "tj-0007",
            "--reason",
            "offence 3301",
        ])
        .stdout;
    assert!(out.contains("status=B"), "twelve points set 超分: {out}");

    let out = edl
        .ok(&[
            "licence",
            "renew",
            "--file-number",
            &number,
            "--until",
            "长期",
            "--classes",
            "C1E",
            "--by",
            "tj-0007",
            "--reason",
            "换证",
        ])
        .stdout;
    assert!(out.contains("classes=C1E"), "{out}");
    assert!(
        out.contains("edition=2"),
        "a renewal is a new edition: {out}"
    );

    let history = edl
        .ok(&["licence", "history", "--file-number", &number])
        .stdout;
    let entries = history.lines().filter(|l| l.contains(" by ")).count();
    assert_eq!(entries, 4, "{history}");
    assert!(
        history.contains("by tj-0042  reason: 暂扣 decision 118"),
        "{history}"
    );
    assert!(history.contains("before: status=A"), "{history}");

    let shown = edl
        .ok(&["licence", "show", "--file-number", &number])
        .stdout;
    assert!(shown.contains("长期"), "{shown}");
}

#[test]
fn bad_input_gets_a_specific_error_and_no_panic() {
    let edl = Edl::new();
    let csv = edl.path("l.csv");
    edl.ok(&[
        "gen-licences",
        "--count",
        "20",
        "--seed",
        "8",
        "-o",
        csv.to_str().unwrap(),
    ]);
    edl.ok(&["import", csv.to_str().unwrap(), "--no-progress"]);
    let number = edl.first_normal_file_number(&csv);

    let cases: &[(&[&str], &str)] = &[
        (
            &["licence", "show", "--file-number", "12345"],
            "--file-number",
        ),
        (
            &["licence", "show", "--file-number", "999999999998"],
            "no licence found",
        ),
        (
            &[
                "licence",
                "set-status",
                "--file-number",
                &number,
                "--status",
                "AQ",
                "--by",
                "x",
                "--reason",
                "y",
            ],
            "--status",
        ),
        (
            &[
                "licence",
                "add-points",
                "--file-number",
                &number,
                "--points",
                "2",
                "--by",
                "x",
                "--reason",
                "y",
            ],
            "--points",
        ),
        (
            &[
                "licence",
                "set-status",
                "--file-number",
                &number,
                "--status",
                "D",
                "--by",
                " ",
                "--reason",
                "y",
            ],
            "--by",
        ),
        (
            &[
                "licence",
                "renew",
                "--file-number",
                &number,
                "--classes",
                "C6",
                "--by",
                "x",
                "--reason",
                "y",
            ],
            "--classes",
        ),
        (
            &["rollout", "enable", "999999", "--from", "2021-06-01"],
            "region",
        ),
        (
            &["rollout", "enable", "120100", "--from", "2021-13-01"],
            "--from",
        ),
        (&["import", "/nonexistent/file.csv"], "cannot read"),
        (
            &[
                "licence",
                "show",
                "--file-number",
                "120100000001",
                "--database-url",
                "mysql://x/y",
            ],
            "unsupported database scheme",
        ),
    ];
    for (args, expected) in cases {
        let result = edl.run(args);
        assert_eq!(result.code, 1, "{args:?} should fail: {}", result.stderr);
        assert!(
            result.stderr.contains(expected),
            "{args:?}: expected `{expected}` in: {}",
            result.stderr
        );
        assert!(
            !result.stderr.contains("panicked"),
            "{args:?}: {}",
            result.stderr
        );
    }
}

#[test]
fn an_unreachable_database_is_reported_clearly() {
    let edl = Edl::new();
    let result = edl.run(&[
        "stats",
        "regions",
        "--database-url",
        "postgres://postgres:secret@127.0.0.1:1/edl",
    ]);
    assert_eq!(result.code, 1);
    assert!(result.stderr.contains("127.0.0.1:1"), "{}", result.stderr);
    assert!(
        !result.stderr.contains("secret"),
        "password leaked: {}",
        result.stderr
    );
    assert!(!result.stderr.contains("panicked"), "{}", result.stderr);
}

#[test]
fn rollout_and_region_counts() {
    let edl = Edl::new();
    let csv = edl.path("l.csv");
    edl.ok(&[
        "gen-licences",
        "--count",
        "300",
        "--seed",
        "2",
        "-o",
        csv.to_str().unwrap(),
    ]);
    edl.ok(&["import", csv.to_str().unwrap(), "--no-progress"]);
    let out = edl
        .ok(&[
            "rollout",
            "enable",
            "120100",
            "--from",
            "2021-06-01",
            "--phase",
            "pilot",
        ])
        .stdout;
    assert!(out.contains("2021-06-01"), "{out}");
    edl.ok(&[
        "rollout",
        "enable",
        "510000",
        "--from",
        "2099-01-01",
        "--phase",
        "later",
    ]);
    let list = edl.ok(&["rollout", "list"]).stdout;
    assert!(list.contains("120100") && list.contains("pilot"), "{list}");
    assert!(list.contains("510000") && list.contains("later"), "{list}");
    let stats = edl.ok(&["stats", "regions"]).stdout;
    assert!(stats.contains("total 300 licences"), "{stats}");
    if let Some(line) = stats.lines().find(|l| l.starts_with("120100")) {
        assert!(line.contains("open since 2021-06-01"), "{line}");
    }
    if let Some(line) = stats.lines().find(|l| l.starts_with("5101")) {
        assert!(line.contains("from 2099-01-01"), "{line}");
    }
}

#[test]
fn organisations_get_purposes_and_api_keys_shown_once() {
    let edl = Edl::new();
    let bad = edl.run(&["org", "add", "--name", "X", "--purpose", "police"]);
    assert_ne!(bad.code, 0);
    assert!(bad.stderr.contains("--purpose police"), "{}", bad.stderr);
    let added = edl.run(&[
        "org",
        "add",
        "--name",
        "环球汽车租赁",
        "--kind",
        "car_rental",
        "--purpose",
        "car_rental",
        "--purpose",
        "insurer",
    ]);
    assert_eq!(added.code, 0, "{}", added.stderr);
    assert!(
        added
            .stdout
            .contains("registered as 1 for car_rental, insurer")
    );
    let key = edl.run(&["org", "add-key", "--organisation", "1", "--label", "desk"]);
    assert_eq!(key.code, 0, "{}", key.stderr);
    let key = key.stdout.trim().to_owned();
    assert!(edl_server::api_key::is_well_formed(&key), "{key}");
    // The list shows the prefix only, never the key.
    let list = edl.run(&["org", "list"]);
    assert!(list.stdout.contains(&key[..12]), "{}", list.stdout);
    assert!(!list.stdout.contains(&key), "{}", list.stdout);
    assert!(list.stdout.contains("desk"));
    assert_eq!(
        edl.run(&["org", "revoke-key", "--organisation", "1", "--key", "1"])
            .code,
        0
    );
    assert!(edl.run(&["org", "list"]).stdout.contains("revoked"));
    assert_ne!(
        edl.run(&["org", "revoke-key", "--organisation", "1", "--key", "1"])
            .code,
        0,
        "already revoked"
    );
}

#[test]
fn staff_accounts_are_added_listed_disabled_and_enabled() {
    let edl = Edl::new();
    let password = edl.path("pw.txt");
    std::fs::write(&password, "correct horse battery\n").expect("password file");
    let password = password.to_str().expect("utf-8 path");
    let added = edl.run(&[
        "staff",
        "add",
        "--username",
        "admin",
        "--role",
        "platform",
        "--password-file",
        password,
    ]);
    assert_eq!(added.code, 0, "{}", added.stderr);
    assert!(!added.stdout.contains("correct horse"), "{}", added.stdout);

    let disabled = edl.run(&["staff", "disable", "admin"]);
    assert_eq!(disabled.code, 0, "{}", disabled.stderr);
    assert!(
        edl.run(&["staff", "list"])
            .stdout
            .contains("admin  platform  national  (disabled)")
    );
    let enabled = edl.run(&["staff", "enable", "admin"]);
    assert_eq!(enabled.code, 0, "{}", enabled.stderr);
    let list = edl.run(&["staff", "list"]).stdout;
    assert!(
        list.contains("admin  platform  national") && !list.contains("disabled"),
        "{list}"
    );

    let unknown = edl.run(&["staff", "disable", "nobody"]);
    assert_ne!(unknown.code, 0);
    assert!(
        unknown
            .stderr
            .contains("no staff account is named \"nobody\""),
        "{}",
        unknown.stderr
    );
}
