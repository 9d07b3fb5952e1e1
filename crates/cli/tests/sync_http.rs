//! `edl verifier sync --from URL` against the real platform: `edl serve` on loopback with the
//! test's registry and PKI. A verifier set up from the IACA PEM takes the trust list and the
//! status list, revalidates them (304) on the next sync, takes the re-signed list after a
//! suspension, and `edl verify --verifier DIR` uses what it took. Failures name the URL: no
//! server, a 404 for the trust list. A plain static mirror (a CDN's view: files or 404) shows a
//! missing region's list left with its reason, the size limit, and that HTTPS is configured
//! (a plain-HTTP server behind an https:// URL fails the TLS handshake, by name).

#![allow(clippy::unwrap_used)] // Test helpers: a panic is the test failing, with its message.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::Child;

use support::{Edl, FAST_KDF, PKI_PASS, WALLET_PASS, platform};

fn p(edl: &Edl, name: &str) -> String {
    edl.path(name).to_str().unwrap().to_owned()
}

/// `edl serve` on 127.0.0.1:0 over the test's registry and PKI; stopped when dropped.
struct Platform {
    child: Child,
    base: String,
}

impl Platform {
    fn start(edl: &Edl) -> Platform {
        let mut child = edl.spawn_piped(&["serve", "--listen", "127.0.0.1:0"], &[PKI_PASS]);
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        // "edl serve: http://127.0.0.1:PORT/  (database: …)"
        let base = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_owned();
        // Keep reading what it prints, so it never blocks on a full pipe.
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut out, &mut std::io::sink());
        });
        Platform { child, base }
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A registry, a PKI with one authority, a claimed licence and the IACA as PEM (`iaca.pem`).
/// Returns (edl, file number, region).
fn claimed() -> (Edl, String, String) {
    let (edl, file_number, region) = platform();
    edl.ok_env(
        &[&["wallet", "init"][..], &FAST_KDF].concat(),
        &[WALLET_PASS],
    );
    edl.ok_env(
        &["wallet", "claim", "--file-number", &file_number],
        &[PKI_PASS],
    );
    edl.ok_env(
        &[
            "pki",
            "export-trust-list",
            "-o",
            &p(&edl, "exported-trust-list.cbor"),
            "--pem",
            &p(&edl, "iaca.pem"),
        ],
        &[PKI_PASS],
    );
    (edl, file_number, region)
}

fn sync(edl: &Edl, from: &str, verifier: &str) -> support::Output {
    edl.run(&[
        "verifier",
        "sync",
        "--from",
        from,
        "--verifier",
        &p(edl, verifier),
        "--trust",
        &p(edl, "iaca.pem"),
    ])
}

fn verify_text(edl: &Edl, text: &str, verifier: &str) -> support::Output {
    edl.run(&["verify", "--qr-text", text, "--verifier", &p(edl, verifier)])
}

#[test]
fn a_verifier_syncs_from_the_platform_and_takes_a_suspension_once_it_is_re_signed() {
    let (edl, file_number, region) = claimed();
    let platform = Platform::start(&edl);
    let status_file = format!("{region}.cwt");

    // A fresh verifier: the trust list and the region's status list are taken.
    let out = sync(&edl, &platform.base, "verifier");
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("(updated)"), "{}", out.stdout);
    assert!(out.stdout.contains("1 document signers"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains(&format!("status list {status_file}: issued")),
        "{}",
        out.stdout
    );
    assert!(edl.path("verifier/trust-list.cbor").is_file());
    assert!(
        edl.path(&format!("verifier/status/{status_file}"))
            .is_file()
    );
    assert!(edl.path("verifier/http-cache.json").is_file());

    // The holder's code verifies offline with what was taken.
    let text = edl
        .ok_env(&["wallet", "qr", "--text"], &[WALLET_PASS])
        .stdout;
    let text = text.trim().to_owned();
    let out = verify_text(&edl, &text, "verifier");
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("VALID"), "{}", out.stdout);
    assert!(out.stdout.contains("status: valid"), "{}", out.stdout);
    assert!(out.stdout.contains(&file_number), "{}", out.stdout);

    // Again: nothing newer; the server answers the conditional requests with 304.
    let out = sync(&edl, &platform.base, "verifier");
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("(unchanged)"), "{}", out.stdout);
    assert!(
        out.stdout.contains(&format!(
            "status list {status_file} left: not newer than the list held (304 Not Modified)"
        )),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains(": issued"), "{}", out.stdout);

    // A suspension in the registry: the platform re-signs the region's list (it asks the
    // registry at most once a second), the next sync takes it and the code turns red.
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
        "暂扣 sync test",
    ]);
    assert_eq!(verify_text(&edl, &text, "verifier").code, 0);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let out = sync(&edl, &platform.base, "verifier");
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("(unchanged)"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains(&format!("status list {status_file}: issued")),
        "{}",
        out.stdout
    );
    let out = verify_text(&edl, &text, "verifier");
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(out.stdout.contains("colour: RED"), "{}", out.stdout);
    assert!(out.stdout.contains("status: suspended"), "{}", out.stdout);
}

#[test]
fn failures_name_the_url_and_what_failed() {
    let (edl, _, region) = claimed();

    // Nothing listens there.
    let free = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let url = format!("http://{free}/");
    let out = sync(&edl, &url, "v1");
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stderr
            .contains(&format!("http://{free}/trust-list.cbor: cannot connect")),
        "{}",
        out.stderr
    );

    // The platform, but not at that path: 404 for the trust list.
    let platform = Platform::start(&edl);
    let url = format!("{}elsewhere", platform.base);
    let out = sync(&edl, &url, "v2");
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stderr
            .contains(&format!("{url}/trust-list.cbor: the server answered 404")),
        "{}",
        out.stderr
    );
    assert!(!edl.path("v2/trust-list.cbor").exists());
    drop(platform);

    // A mirror holding the trust list but not the region's status list yet: the trust list is
    // taken, the status list left with the reason.
    let trust_list = std::fs::read(edl.path("exported-trust-list.cbor")).unwrap();
    let mirror = static_server(vec![("/trust-list.cbor".into(), trust_list)]);
    let out = sync(&edl, &mirror, "v3");
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("(updated)"), "{}", out.stdout);
    assert!(
        out.stdout.contains(&format!(
            "status list {region}.cwt left: not published there (the server answered 404 Not Found)"
        )),
        "{}",
        out.stdout
    );

    // Too large: refused at the limit, without being kept or printed.
    let huge = static_server(vec![(
        "/trust-list.cbor".into(),
        vec![0x41; 17 * 1024 * 1024],
    )]);
    let out = sync(&edl, &huge, "v4");
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stderr.contains(&format!(
            "{huge}/trust-list.cbor: too large: more than 16 MiB"
        )),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("AAAA"), "{}", out.stderr);

    // https:// to a server that speaks plain HTTP: the TLS client (rustls with aws-lc-rs) is set
    // up and the handshake fails, by name.
    let tls_url = mirror.replacen("http://", "https://", 1);
    let out = sync(&edl, &tls_url, "v5");
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stderr
            .contains(&format!("{tls_url}/trust-list.cbor: TLS failed")),
        "{}",
        out.stderr
    );
}

/// A minimal HTTP/1.1 server on loopback serving `files` by path and 404 for anything else, as a
/// static mirror or CDN would; returns its base URL.
fn static_server(files: Vec<(String, Vec<u8>)>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            let mut line = Vec::new();
            // The request line and headers; a TLS handshake is not text and gets a 400.
            let mut bad = false;
            loop {
                line.clear();
                match reader.by_ref().take(8192).read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                let Ok(text) = std::str::from_utf8(&line) else {
                    bad = true;
                    break;
                };
                if text.trim().is_empty() {
                    break;
                }
                if request.is_empty() {
                    request = text.to_owned();
                }
            }
            let path = request.split_whitespace().nth(1).unwrap_or("");
            let found = files.iter().find(|(p, _)| p == path);
            let (head, body): (String, &[u8]) = match (bad, found) {
                (true, _) => ("400 Bad Request".into(), b""),
                (false, Some((_, body))) => ("200 OK".into(), body),
                (false, None) => ("404 Not Found".into(), b""),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {head}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(body);
        }
    });
    base
}
