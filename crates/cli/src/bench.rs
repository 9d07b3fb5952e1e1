//! `edl bench claims`: a load generator for the wallet's claim API on loopback. It registers
//! holders for licences taken from a registry CSV (those that may claim today), then keeps
//! `--concurrency` holders claiming (challenge, proof of possession, claim) for `--seconds`, and
//! prints claims per second with latency percentiles. The figures go in `BENCHMARKS.md`.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use edl_pki::{InMemorySigner, Signer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

macro_rules! outln {
    ($($arg:tt)*) => {{
        let _ = writeln!(io::stdout(), $($arg)*);
    }};
}

/// `edl bench claims`.
#[derive(Debug, Args)]
pub(crate) struct ClaimBenchArgs {
    /// The running service, e.g. http://127.0.0.1:8080/ (loopback only: this is a benchmark).
    #[arg(long)]
    url: String,
    /// A registry CSV of licences in that service (e.g. `edl gen-licences --seed 2021` for the demo set).
    #[arg(long)]
    licences: PathBuf,
    /// Holders to register.
    #[arg(long, default_value_t = 32)]
    holders: usize,
    /// Claims in flight at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// How long to claim.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
}

struct Reply {
    status: u16,
    headers: String,
    body: String,
}

async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<Reply> {
    let mut stream = TcpStream::connect(addr).await?;
    let mut text = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        text.push_str(&format!("{k}: {v}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(body);
    stream.write_all(text.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .context("no HTTP status")?;
    Ok(Reply {
        status,
        headers: head.to_owned(),
        body: body.to_owned(),
    })
}

fn cookie(reply: &Reply, name: &str) -> Option<String> {
    reply.headers.lines().find_map(|l| {
        let value = l
            .strip_prefix("set-cookie: ")
            .or_else(|| l.strip_prefix("Set-Cookie: "))?;
        let pair = value.split(';').next()?;
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| v.to_owned())
    })
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

struct Holder {
    session: String,
    csrf: String,
    key: InMemorySigner,
}

async fn register(addr: SocketAddr, citizen_id: &str, file_number: &str) -> Result<Holder> {
    let page = http(addr, "GET", "/wallet", &[], "").await?;
    let token = cookie(&page, "edl_form").context("no form token")?;
    let form = format!(
        "citizen_id={}&second_factor={}&password=bench-password-1&password_again=bench-password-1&csrf={token}",
        urlencode(citizen_id),
        urlencode(file_number)
    );
    let form_cookie = format!("edl_form={token}");
    let reply = http(
        addr,
        "POST",
        "/wallet/register",
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("cookie", &form_cookie),
        ],
        &form,
    )
    .await?;
    if reply.status != 303 {
        bail!("registration answered {}", reply.status);
    }
    let session = cookie(&reply, "edl_session").context("no session")?;
    let session_cookie = format!("edl_session={session}");
    let page = http(
        addr,
        "GET",
        "/wallet/licence",
        &[("cookie", &session_cookie)],
        "",
    )
    .await?;
    let csrf = page
        .body
        .split("data-csrf=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .context("the licence may not be claimed (no claim button)")?
        .to_owned();
    Ok(Holder {
        session,
        csrf,
        key: InMemorySigner::generate()?,
    })
}

async fn claim_once(addr: SocketAddr, holder: &Holder) -> Result<()> {
    let cookie = format!("edl_session={}", holder.session);
    let headers = [
        ("cookie", cookie.as_str()),
        ("x-csrf-token", holder.csrf.as_str()),
    ];
    let challenge = http(addr, "POST", "/wallet/api/claim/challenge", &headers, "").await?;
    if challenge.status != 200 {
        bail!("challenge answered {}", challenge.status);
    }
    let json: serde_json::Value = serde_json::from_str(&challenge.body)?;
    let nonce = json["nonce"].as_str().context("no nonce")?.to_owned();
    let public = holder.key.public_key().as_sec1().to_vec();
    let mut message = b"EDL1-CLAIM".to_vec();
    message
        .extend((0..32).filter_map(|i| u8::from_str_radix(nonce.get(2 * i..2 * i + 2)?, 16).ok()));
    message.extend_from_slice(&public);
    let signature = holder.key.sign(&message)?;
    let body = serde_json::json!({ "nonce": nonce, "public_key": hex(&public), "signature": hex(&signature) }).to_string();
    let mut with_type = headers.to_vec();
    with_type.push(("content-type", "application/json"));
    let reply = http(addr, "POST", "/wallet/api/claim", &with_type, &body).await?;
    if reply.status != 200 {
        bail!("claim answered {}: {}", reply.status, reply.body);
    }
    Ok(())
}

pub(crate) async fn claims(args: ClaimBenchArgs) -> Result<()> {
    let authority = args
        .url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let addr: SocketAddr = authority
        .parse()
        .context("--url must be http://IP:PORT/ on loopback")?;
    if !addr.ip().is_loopback() {
        bail!("this load generator only targets loopback");
    }
    let text = std::fs::read_to_string(&args.licences).context("--licences")?;
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let rows: Vec<(String, String)> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_owned).collect::<Vec<_>>())
        .filter(|r| r.len() > 13 && r[13] == "A" && (r[10] == "长期" || r[10] > today))
        .map(|r| (r[1].clone(), r[0].clone()))
        .collect();
    let mut holders = Vec::new();
    let mut refused = 0;
    for (citizen_id, file_number) in &rows {
        if holders.len() == args.holders {
            break;
        }
        match register(addr, citizen_id, file_number).await {
            Ok(h) => holders.push(Arc::new(h)),
            Err(_) => refused += 1,
        }
    }
    if holders.is_empty() {
        bail!(
            "no holder could register and claim ({refused} refused): are these licences in the service, their regions on?"
        );
    }
    outln!(
        "{} holders registered ({refused} licences skipped: bound already, or may not claim)",
        holders.len()
    );
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for w in 0..args.concurrency {
        let (stop, done, failed) = (stop.clone(), done.clone(), failed.clone());
        let holders = holders.clone();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut i = w;
            while !stop.load(Ordering::Relaxed) {
                let holder = &holders[i % holders.len()];
                i += args.concurrency;
                let t = Instant::now();
                match claim_once(addr, holder).await {
                    Ok(()) => {
                        done.fetch_add(1, Ordering::Relaxed);
                        latencies.push(t.elapsed());
                    }
                    Err(_) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            latencies
        }));
    }
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    for w in workers {
        latencies.extend(w.await?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let pct = |p: f64| -> f64 {
        latencies
            .get(((latencies.len() as f64 - 1.0) * p) as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    outln!(
        "{} claims in {elapsed:.1} s: {:.0} claims/s; {} failed; latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms",
        done.load(Ordering::Relaxed),
        done.load(Ordering::Relaxed) as f64 / elapsed,
        failed.load(Ordering::Relaxed),
        pct(0.5),
        pct(0.9),
        pct(0.99)
    );
    Ok(())
}
