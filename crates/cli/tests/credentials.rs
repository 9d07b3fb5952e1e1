//! The credential commands as an operator, a holder and a verifier use them, with the real binary:
//! a PKI on disk, claiming into a command-line wallet, presenting, verifying (exit status and
//! report), status lists following the registry, the Annex D response, and bad input.

#![allow(clippy::unwrap_used)] // Test helpers: a panic is the test failing, with its message.

mod support;

use support::Edl;

use support::{FAST_KDF, PKI_PASS, WALLET_PASS, platform};

fn p(edl: &Edl, name: &str) -> String {
    edl.path(name).to_str().unwrap().to_owned()
}

fn verify(edl: &Edl, extra: &[&str]) -> support::Output {
    let (response, transcript, trust) = (
        p(edl, "response.cbor"),
        p(edl, "transcript.cbor"),
        p(edl, "iaca.pem"),
    );
    let mut args = vec![
        "verify",
        "--device-response",
        &response,
        "--session-transcript",
        &transcript,
        "--trust",
        &trust,
    ];
    args.extend_from_slice(extra);
    edl.run(&args)
}

#[test]
fn claim_present_verify_and_status_changes_reach_the_verifier() {
    let (edl, file_number, region) = platform();
    // The operator publishes the trust material.
    edl.ok_env(
        &[
            "pki",
            "export-trust-list",
            "-o",
            &p(&edl, "trust-list.cbor"),
            "--pem",
            &p(&edl, "iaca.pem"),
        ],
        &[PKI_PASS],
    );
    assert!(
        std::fs::metadata(edl.path("trust-list.cbor"))
            .unwrap()
            .len()
            > 400
    );

    // The holder makes a wallet and claims.
    edl.ok_env(
        &[&["wallet", "init"][..], &FAST_KDF].concat(),
        &[WALLET_PASS],
    );
    let claimed = edl.ok_env(
        &["wallet", "claim", "--file-number", &file_number],
        &[PKI_PASS],
    );
    assert!(
        claimed.stdout.contains("status index 0"),
        "{}",
        claimed.stdout
    );

    // A car-rental desk asks with a fresh nonce; the holder presents for that purpose.
    edl.ok(&[
        "interop",
        "transcript",
        "--nonce",
        "rental-7f3a",
        "-o",
        &p(&edl, "transcript.cbor"),
    ]);
    edl.ok_env(
        &[
            "wallet",
            "present",
            "--purpose",
            "car_rental",
            "--session-transcript",
            &p(&edl, "transcript.cbor"),
            "-o",
            &p(&edl, "response.cbor"),
        ],
        &[WALLET_PASS],
    );
    edl.ok_env(
        &["status-list", "publish", "--out", &p(&edl, "status")],
        &[PKI_PASS],
    );
    let list = p(&edl, &format!("status/{region}.cwt"));

    let good = verify(&edl, &["--status-list", &list, "--json"]);
    assert_eq!(good.code, 0, "{}\n{}", good.stdout, good.stderr);
    let report: serde_json::Value = serde_json::from_str(&good.stdout).unwrap();
    assert_eq!(report["valid"], true);
    assert_eq!(report["status"]["state"], "valid");
    let iso = &report["disclosed"]["org.iso.18013.5.1"];
    assert!(
        iso["portrait"]["base16"]
            .as_str()
            .unwrap()
            .starts_with("ffd8ff")
    );
    assert!(
        iso.get("resident_address").is_none(),
        "car rental must not see the address"
    );
    assert!(
        iso.get("document_number").is_none(),
        "car rental must not see the 证号"
    );
    assert_eq!(
        report["disclosed"]["org.iso.18013.5.1.CN"]["status_letters"],
        "A"
    );

    // The human-readable report says VALID and lists the checks.
    let text = verify(&edl, &["--status-list", &list]);
    assert_eq!(text.code, 0);
    assert!(text.stdout.starts_with("VALID\n"), "{}", text.stdout);
    assert!(text.stdout.contains("ok    device_authentication"));

    // Without the status list the status is unknown: not valid, and the report says why.
    let unknown = verify(&edl, &["--json"]);
    assert_eq!(unknown.code, 2);
    let report: serde_json::Value = serde_json::from_str(&unknown.stdout).unwrap();
    assert_eq!(report["status"]["state"], "unknown");

    // An operator suspends the licence (暂扣); publishing picks the change up from the history.
    edl.ok(&[
        "licence",
        "set-status",
        "--file-number",
        &file_number,
        "--status",
        "D",
        "--by",
        "tj-0042",
        "--reason",
        "暂扣 test",
    ]);
    let published = edl.ok_env(
        &["status-list", "publish", "--out", &p(&edl, "status")],
        &[PKI_PASS],
    );
    assert!(
        published.stdout.contains("published (changed)"),
        "{}",
        published.stdout
    );
    let suspended = verify(&edl, &["--status-list", &list, "--json"]);
    assert_eq!(suspended.code, 2);
    let report: serde_json::Value = serde_json::from_str(&suspended.stdout).unwrap();
    assert_eq!(report["status"]["state"], "suspended");
    let failed = not_passed(&report);
    assert_eq!(failed, ["status"]);

    // Restored: the next publication says valid again.
    edl.ok(&[
        "licence",
        "set-status",
        "--file-number",
        &file_number,
        "--status",
        "A",
        "--by",
        "tj-0042",
        "--reason",
        "restore",
    ]);
    edl.ok_env(
        &["status-list", "publish", "--out", &p(&edl, "status")],
        &[PKI_PASS],
    );
    assert_eq!(verify(&edl, &["--status-list", &list]).code, 0);

    // A response replayed into another session fails device authentication only.
    edl.ok(&[
        "interop",
        "transcript",
        "--nonce",
        "another-session",
        "-o",
        &p(&edl, "transcript.cbor"),
    ]);
    let replay = verify(&edl, &["--status-list", &list, "--json"]);
    assert_eq!(replay.code, 2);
    let report: serde_json::Value = serde_json::from_str(&replay.stdout).unwrap();
    let failed = not_passed(&report);
    assert_eq!(failed, ["device_authentication"]);
}

#[test]
fn rotation_keeps_old_credentials_verifying_and_signs_new_ones_with_the_new_signer() {
    let (edl, file_number, region) = platform();
    edl.ok_env(
        &[
            "pki",
            "export-trust-list",
            "-o",
            &p(&edl, "tl.cbor"),
            "--pem",
            &p(&edl, "iaca.pem"),
        ],
        &[PKI_PASS],
    );
    edl.ok_env(
        &[&["wallet", "init"][..], &FAST_KDF].concat(),
        &[WALLET_PASS],
    );
    edl.ok_env(
        &["wallet", "claim", "--file-number", &file_number],
        &[PKI_PASS],
    );
    edl.ok(&[
        "interop",
        "transcript",
        "--nonce",
        "n1",
        "-o",
        &p(&edl, "transcript.cbor"),
    ]);
    edl.ok_env(
        &[
            "wallet",
            "present",
            "--session-transcript",
            &p(&edl, "transcript.cbor"),
            "-o",
            &p(&edl, "old.cbor"),
        ],
        &[WALLET_PASS],
    );

    edl.ok_env(
        &[&["pki", "rotate", "--region", &region][..], &FAST_KDF].concat(),
        &[PKI_PASS],
    );
    let listed = edl.ok(&["pki", "list"]).stdout;
    assert!(
        listed.contains(&format!("{region}  #1")) && listed.contains(&format!("{region}  #2")),
        "{listed}"
    );
    edl.ok_env(
        &["wallet", "claim", "--file-number", &file_number],
        &[PKI_PASS],
    );
    edl.ok_env(
        &[
            "wallet",
            "present",
            "--session-transcript",
            &p(&edl, "transcript.cbor"),
            "-o",
            &p(&edl, "response.cbor"),
        ],
        &[WALLET_PASS],
    );
    edl.ok_env(
        &["status-list", "publish", "--out", &p(&edl, "status")],
        &[PKI_PASS],
    );
    let list = p(&edl, &format!("status/{region}.cwt"));

    let new = verify(&edl, &["--status-list", &list, "--json"]);
    assert_eq!(new.code, 0, "{}", new.stdout);
    std::fs::copy(edl.path("old.cbor"), edl.path("response.cbor")).unwrap();
    let old = verify(&edl, &["--status-list", &list, "--json"]);
    assert_eq!(
        old.code, 0,
        "credentials of the first signer still verify: {}",
        old.stdout
    );
    let new_signer: serde_json::Value = serde_json::from_str(&new.stdout).unwrap();
    let old_signer: serde_json::Value = serde_json::from_str(&old.stdout).unwrap();
    assert_ne!(new_signer["signer"]["not_before"], serde_json::Value::Null);
    assert_eq!(
        new_signer["signer"]["common_name"],
        old_signer["signer"]["common_name"]
    );
}

/// The names of the checks of a JSON report that neither passed nor were not applicable.
fn not_passed(report: &serde_json::Value) -> Vec<&str> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["outcome"] != "passed" && c["outcome"] != "not_applicable")
        .map(|c| c["name"].as_str().unwrap())
        .collect()
}

fn annex_d_files(edl: &Edl) {
    let text = include_str!("../../mdoc/tests/data/iso18013-5-annex-d.json");
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    let hex = |name: &str| -> Vec<u8> {
        let h = v["hex"][name].as_str().unwrap();
        (0..h.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
            .collect()
    };
    std::fs::write(edl.path("response.cbor"), hex("device_response")).unwrap();
    std::fs::write(edl.path("transcript.cbor"), hex("session_transcript_bytes")).unwrap();
    let iaca = edl_pki::CertificateDer::new(hex("iaca_cert"));
    std::fs::write(edl.path("iaca.pem"), iaca.to_pem()).unwrap();
    let reader = v["keys"]["ephemeral_reader_key"]["d"]
        .as_str()
        .unwrap()
        .to_owned();
    std::fs::write(edl.path("reader.hex"), reader).unwrap();
}

#[test]
fn the_annex_d_response_verifies_at_its_date_and_not_today() {
    let edl = Edl::new();
    annex_d_files(&edl);
    let reader = std::fs::read_to_string(edl.path("reader.hex")).unwrap();
    let then = verify(
        &edl,
        &["--at", "2021-01-01T00:00:00Z", "--reader-key", &reader],
    );
    assert_eq!(then.code, 0, "{}\n{}", then.stdout, then.stderr);
    assert!(then.stdout.contains("family_name = \"Doe\""));
    let today = verify(&edl, &["--reader-key", &reader, "--json"]);
    assert_eq!(today.code, 2);
    let report: serde_json::Value = serde_json::from_str(&today.stdout).unwrap();
    let failed = not_passed(&report);
    assert_eq!(
        failed,
        ["certificate.document_signer.validity", "mso_validity"]
    );
    // Without the reader key the MAC cannot be checked, and the report says so.
    let no_key = verify(&edl, &["--at", "2021-01-01T00:00:00Z"]);
    assert_eq!(no_key.code, 2);
    assert!(no_key.stdout.contains(
        "FAIL  device_authentication: deviceMac needs the reader's ephemeral private key"
    ));
}

#[test]
fn interop_export_writes_an_example_that_verifies() {
    let edl = Edl::new();
    let out = edl
        .ok(&["interop", "export", "--out", &p(&edl, "example")])
        .stdout;
    for name in [
        "iaca.pem",
        "document-signer.pem",
        "device-response.cbor",
        "session-transcript.cbor",
        "status-list.cwt",
        "expected.json",
        "qr.txt",
        "qr.png",
    ] {
        assert!(edl.path("example").join(name).exists(), "{name}");
    }
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(edl.path("example/expected.json")).unwrap())
            .unwrap();
    let at = expected["validation_time"].as_str().unwrap();
    assert!(out.contains(at));
    let dir = p(&edl, "example");
    let report = edl.ok(&[
        "verify",
        "--device-response",
        &format!("{dir}/device-response.cbor"),
        "--session-transcript",
        &format!("{dir}/session-transcript.cbor"),
        "--trust",
        &format!("{dir}/iaca.pem"),
        "--status-list",
        &format!("{dir}/status-list.cwt"),
        "--at",
        at,
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&report.stdout).unwrap();
    assert_eq!(report["disclosed"], expected["disclosed"]);
    assert_eq!(report["validity"]["valid_until"], expected["valid_until"]);

    // The QR code of the default purpose, from its image and from its text.
    let qr_text = std::fs::read_to_string(edl.path("example/qr.txt")).unwrap();
    for input in [
        ["--image", &format!("{dir}/qr.png")],
        ["--qr-text", qr_text.trim()],
    ] {
        let report = edl.ok(&[
            "verify",
            input[0],
            input[1],
            "--trust",
            &format!("{dir}/iaca.pem"),
            "--signer",
            &format!("{dir}/document-signer.pem"),
            "--status-list",
            &format!("{dir}/status-list.cwt"),
            "--at",
            at,
            "--json",
        ]);
        let report: serde_json::Value = serde_json::from_str(&report.stdout).unwrap();
        assert_eq!(report["valid"], true);
        assert_eq!(report["fields"], expected["qr"]["fields"]);
        assert_eq!(report["generated_at"], expected["qr"]["generated_at"]);
    }
}

#[test]
fn bad_input_gets_a_specific_error_and_no_key_is_printed() {
    let edl = Edl::new();
    // No passphrase anywhere: refused before anything is written.
    let out = edl.run(&["pki", "init"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("EDL_PKI_PASSPHRASE"), "{}", out.stderr);
    assert!(!edl.path("edl-data/pki/iaca.pem").exists());
    // A short passphrase.
    let out = edl.run_env(&["pki", "init"], &[("EDL_PKI_PASSPHRASE", "short")]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    // Init twice.
    edl.ok_env(&[&["pki", "init"][..], &FAST_KDF].concat(), &[PKI_PASS]);
    let again = edl.run_env(&[&["pki", "init"][..], &FAST_KDF].concat(), &[PKI_PASS]);
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("already holds a PKI"),
        "{}",
        again.stderr
    );
    // A wrong passphrase.
    let wrong = edl.run_env(
        &[
            "pki",
            "add-authority",
            "--region",
            "120100",
            "--name",
            "天津市公安局交通警察总队",
            "--kdf-cost",
            "14",
        ],
        &[("EDL_PKI_PASSPHRASE", "a wrong but long passphrase")],
    );
    assert_eq!(wrong.code, 1);
    assert!(
        wrong.stderr.contains("wrong passphrase"),
        "{}",
        wrong.stderr
    );
    // The key files hold no key in the clear.
    let key = std::fs::read_to_string(edl.path("edl-data/pki/iaca.key")).unwrap();
    assert!(key.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));

    // The verifier on garbage: a clear error (exit 1) or a failed structure check (exit 2), never a panic.
    std::fs::write(edl.path("iaca.pem"), "not a certificate").unwrap();
    std::fs::write(edl.path("response.cbor"), [0xa1, 0x61]).unwrap();
    std::fs::write(edl.path("transcript.cbor"), [0x83, 0xf6, 0xf6, 0xf6]).unwrap();
    let out = verify(&edl, &[]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("trust file"), "{}", out.stderr);
    edl.ok_env(
        &[
            "pki",
            "export-trust-list",
            "-o",
            &p(&edl, "tl.cbor"),
            "--pem",
            &p(&edl, "iaca.pem"),
        ],
        &[PKI_PASS],
    );
    let out = verify(&edl, &["--json"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["checks"][0]["name"], "cbor_structure");
    assert_eq!(report["checks"][0]["outcome"], "failed");
    assert!(!out.stderr.contains("panicked"));
    let out = verify(&edl, &["--at", "yesterday"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("--at must be RFC 3339"));
    let out = verify(&edl, &["--reader-key", "xyz"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("--reader-key must be hex"));
    // A purpose nobody defined.
    let out = edl.run_env(
        &[
            "wallet",
            "present",
            "--purpose",
            "police",
            "--session-transcript",
            &p(&edl, "transcript.cbor"),
            "-o",
            &p(&edl, "x.cbor"),
        ],
        &[WALLET_PASS],
    );
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("unknown purpose"), "{}", out.stderr);
}
