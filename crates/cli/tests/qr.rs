//! The live QR code with the real binary: claim, `edl wallet qr` to a PNG, a published directory,
//! `edl verifier sync`, and `edl verify --image | --qr-text` offline: valid, stale, red after a
//! suspension, refused after the signer's revocation, and bad images and texts.

#![allow(clippy::unwrap_used)] // Test helpers: a panic is the test failing, with its message.

mod support;

use support::{Edl, FAST_KDF, PKI_PASS, WALLET_PASS, platform};

fn p(edl: &Edl, name: &str) -> String {
    edl.path(name).to_str().unwrap().to_owned()
}

/// The platform publishes its trust list and status lists into `pub/`; the verifier syncs.
fn publish_and_sync(edl: &Edl) {
    std::fs::create_dir_all(edl.path("pub/status")).unwrap();
    edl.ok_env(
        &[
            "pki",
            "export-trust-list",
            "-o",
            &p(edl, "pub/trust-list.cbor"),
            "--pem",
            &p(edl, "iaca.pem"),
        ],
        &[PKI_PASS],
    );
    edl.ok_env(
        &["status-list", "publish", "--out", &p(edl, "pub/status")],
        &[PKI_PASS],
    );
    edl.ok(&[
        "verifier",
        "sync",
        "--from",
        &p(edl, "pub"),
        "--verifier",
        &p(edl, "verifier"),
        "--trust",
        &p(edl, "iaca.pem"),
    ]);
}

fn claimed() -> (Edl, String) {
    let (edl, file_number, _) = platform();
    edl.ok_env(
        &[&["wallet", "init"][..], &FAST_KDF].concat(),
        &[WALLET_PASS],
    );
    edl.ok_env(
        &["wallet", "claim", "--file-number", &file_number],
        &[PKI_PASS],
    );
    publish_and_sync(&edl);
    (edl, file_number)
}

fn qr_png(edl: &Edl, name: &str, extra: &[&str]) -> String {
    let path = p(edl, name);
    let mut args = vec!["wallet", "qr", "--png", &path];
    args.extend_from_slice(extra);
    let out = edl.ok_env(&args, &[WALLET_PASS]);
    assert!(out.stdout.contains("QR version"), "{}", out.stdout);
    path
}

fn verify(edl: &Edl, input: &[&str], extra: &[&str]) -> support::Output {
    let verifier = p(edl, "verifier");
    let mut args = vec!["verify"];
    args.extend_from_slice(input);
    args.extend_from_slice(&["--verifier", &verifier]);
    args.extend_from_slice(extra);
    edl.run(&args)
}

#[test]
fn a_claimed_licence_shows_a_code_that_verifies_offline_from_its_image() {
    let (edl, file_number) = claimed();
    let png = qr_png(&edl, "qr.png", &[]);
    let out = verify(&edl, &["--image", &png], &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.starts_with("\u{1b}[1mVALID"), "{}", out.stdout);
    assert!(out.stdout.contains("colour: black"), "{}", out.stdout);
    assert!(out.stdout.contains(&file_number), "{}", out.stdout);
    assert!(out.stdout.contains("status: valid"), "{}", out.stdout);
    assert!(out.stdout.contains("生成时间"), "{}", out.stdout);

    // The same as JSON, for machines; a car-rental code carries no 证号.
    let rental = qr_png(&edl, "rental.png", &["--purpose", "car_rental"]);
    let out = verify(&edl, &["--image", &rental], &["--json"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["valid"], true);
    assert_eq!(json["purpose"], "car_rental");
    assert_eq!(json["colour"], "black");
    assert!(json["fields"]["document_number"].is_null());
    assert!(json["fields"]["driving_classes"].is_string());
    assert_eq!(json["status"]["state"], "valid");

    // A verifier limited to insurance refuses the car-rental code.
    let out = verify(&edl, &["--image", &rental], &["--purpose", "insurer"]);
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(out.stdout.contains("✗ purpose"), "{}", out.stdout);

    // The text path, and a challenge the holder had to include.
    let text = edl
        .ok_env(
            &["wallet", "qr", "--text", "--challenge", "K7Q2"],
            &[WALLET_PASS],
        )
        .stdout;
    let text = text.trim();
    assert!(text.starts_with("EDL1:"));
    let out = verify(&edl, &["--qr-text", text], &["--challenge", "K7Q2"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let out = verify(&edl, &["--qr-text", text], &["--challenge", "ZZZZ"]);
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(out.stdout.contains("✗ challenge"), "{}", out.stdout);
}

#[test]
fn a_screenshot_older_than_the_window_is_refused_with_its_age() {
    let (edl, _) = claimed();
    let rfc = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let shown = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap();
    let (shown_at, checked_at) = (rfc(shown), rfc(shown + time::Duration::minutes(6)));
    let png = qr_png(&edl, "qr.png", &["--at", &shown_at]);
    let out = verify(&edl, &["--image", &png], &["--at", &checked_at]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("360 s old"), "{}", out.stdout);
    assert!(out.stdout.contains("✗ freshness"), "{}", out.stdout);
    // A wider window, set by the verifier, accepts it.
    let out = verify(
        &edl,
        &["--image", &png],
        &["--at", &checked_at, "--max-age", "600", "--json"],
    );
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let freshness = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "freshness")
        .unwrap()
        .clone();
    assert_eq!(freshness["outcome"], "passed");
    assert_eq!(json["age_seconds"], 360);
}

#[test]
fn a_suspension_turns_the_code_red_at_the_next_sync_and_a_revoked_signer_is_refused() {
    let (edl, file_number) = claimed();
    let png = qr_png(&edl, "qr.png", &[]);
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
    // Offline, before the sync, the verifier still holds the old list.
    assert_eq!(verify(&edl, &["--image", &png], &[]).code, 0);
    publish_and_sync(&edl);
    let out = verify(&edl, &["--image", &png], &[]);
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(out.stdout.contains("colour: RED"), "{}", out.stdout);
    assert!(out.stdout.contains("status: suspended"), "{}", out.stdout);

    // The authority's signer is revoked; the next trust list says so.
    let listed = edl.ok(&["pki", "list"]).stdout;
    assert!(listed.contains("#1"), "{listed}");
    let region = listed
        .lines()
        .find(|l| l.contains("#1"))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    edl.ok(&["pki", "revoke-signer", "--region", &region, "--number", "1"]);
    assert!(edl.ok(&["pki", "list"]).stdout.contains("revoked"));
    // The authority cannot issue with it any more, until it rotates to a new signer.
    let out = edl.run_env(
        &[
            "status-list",
            "build",
            "--region",
            &region,
            "-o",
            &p(&edl, "list.cwt"),
        ],
        &[PKI_PASS],
    );
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stderr.contains("edl pki rotate"), "{}", out.stderr);
    edl.ok_env(
        &[&["pki", "rotate", "--region", &region][..], &FAST_KDF].concat(),
        &[PKI_PASS],
    );
    // A new trust list is a new issue only a second later (issue IDs are times).
    std::thread::sleep(std::time::Duration::from_millis(1100));
    publish_and_sync(&edl);
    let out = verify(&edl, &["--image", &png], &[]);
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(
        out.stdout.contains("✗ issuer.signer_not_revoked"),
        "{}",
        out.stdout
    );
}

#[test]
fn bad_images_and_texts_get_specific_answers() {
    let (edl, _) = claimed();
    // Not an image.
    std::fs::write(edl.path("notes.txt"), "hello").unwrap();
    let out = verify(&edl, &["--image", &p(&edl, "notes.txt")], &[]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("not a PNG or JPEG"), "{}", out.stderr);
    // An image without a code: the trust list file is not one, take an empty PNG instead.
    let png = qr_png(&edl, "qr.png", &[]);
    let mut bytes = std::fs::read(&png).unwrap();
    bytes.truncate(60);
    std::fs::write(edl.path("cut.png"), &bytes).unwrap();
    let out = verify(&edl, &["--image", &p(&edl, "cut.png")], &[]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("could not be decoded"),
        "{}",
        out.stderr
    );
    // Other codes.
    for (text, expected) in [
        (
            "HC1:NCFOXN%TS3DH3ZSUZK+.V0ET",
            "EU Digital COVID Certificate",
        ),
        ("https://example.com/", "web address"),
        ("wxp://f2f0pay", "payment code"),
        ("EDL1:%%%%", "damaged"),
    ] {
        let out = verify(&edl, &["--qr-text", text], &[]);
        assert_eq!(out.code, 2, "{text}: {}", out.stdout);
        assert!(out.stdout.contains(expected), "{text}: {}", out.stdout);
        assert!(out.stdout.contains("colour: none"), "{}", out.stdout);
    }
    // A verifier that was never set up says how to set it up.
    let out = edl.run(&[
        "verify",
        "--qr-text",
        "EDL1:AB",
        "--verifier",
        &p(&edl, "nowhere"),
    ]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("edl verifier sync"), "{}", out.stderr);
}
