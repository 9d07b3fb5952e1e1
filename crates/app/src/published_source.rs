//! Where an offline verifier takes the published files from: a directory (a copy of what the
//! platform publishes, e.g. on a USB stick) or the platform's HTTP service, directly or through a
//! CDN (`GET {base}/trust-list.cbor`, `GET {base}/status/{region}.cwt`).
//!
//! Only fetching lives here; what is fetched is verified and kept or left by
//! [`crate::verifier_dir::VerifierDir::sync`], the same for both sources.
//!
//! Downloads are limited to [`MAX_DOWNLOAD`] bytes and [`TIMEOUT`] (connecting and reading
//! together). HTTPS uses rustls with the aws-lc-rs provider (the one edl-pki signs with) and the
//! Mozilla root certificates (webpki-roots), so it does not depend on the machine's certificate
//! store. Errors name the URL and what failed, never what the server sent.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The largest file a sync downloads. A national trust list or a status list of 10 million
/// credentials (2 bits each, compressed) is far smaller.
pub const MAX_DOWNLOAD: u64 = 16 * 1024 * 1024;
/// How long one download may take, connecting included.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// Where the published files come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishedSource {
    /// A published directory: `trust-list.cbor` and `status/<region>.cwt`.
    Dir(PathBuf),
    /// The base URL of the platform (or a CDN in front of it), without a trailing `/`.
    Url(String),
}

impl PublishedSource {
    /// `http://…` or `https://…` is a URL, anything else a directory.
    pub fn parse(text: &str) -> PublishedSource {
        let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            PublishedSource::Url(text.trim_end_matches('/').to_owned())
        } else {
            PublishedSource::Dir(PathBuf::from(text))
        }
    }

    /// Where the file `name` (e.g. `status/110000.cwt`) is: a path or a URL.
    pub fn location(&self, name: &str) -> String {
        match self {
            PublishedSource::Dir(dir) => dir.join(name).display().to_string(),
            PublishedSource::Url(base) => format!("{base}/{name}"),
        }
    }
}

/// What a conditional request sends: what the server said about the copy held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Validators {
    pub(crate) etag: Option<String>,
    pub(crate) last_modified: Option<String>,
}

/// The answer to one download.
#[derive(Debug)]
pub(crate) enum Fetched {
    /// The file, and what to send next time to ask whether it changed.
    Body(Vec<u8>, Validators),
    /// 304: the copy held is current.
    NotModified,
    /// 404: nothing is published under this name.
    NotFound,
}

/// An HTTP client with the limits above.
#[derive(Debug)]
pub(crate) struct HttpClient {
    agent: ureq::Agent,
}

impl HttpClient {
    pub(crate) fn new() -> HttpClient {
        let tls = ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::Rustls)
            .root_certs(ureq::tls::RootCerts::WebPki)
            .unversioned_rustls_crypto_provider(Arc::new(
                rustls::crypto::aws_lc_rs::default_provider(),
            ))
            .build();
        let agent = ureq::Agent::config_builder()
            .tls_config(tls)
            .timeout_global(Some(TIMEOUT))
            .http_status_as_error(false)
            .user_agent(concat!("edl-verifier/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        HttpClient { agent }
    }

    /// `GET url`, conditional when `held` is given. The error is what failed, without the URL.
    pub(crate) fn get(&self, url: &str, held: Option<&Validators>) -> Result<Fetched, String> {
        let mut request = self.agent.get(url);
        if let Some(held) = held {
            if let Some(etag) = &held.etag {
                request = request.header("If-None-Match", etag);
            }
            if let Some(date) = &held.last_modified {
                request = request.header("If-Modified-Since", date);
            }
        }
        let mut response = request.call().map_err(reason)?;
        let status = response.status();
        match status.as_u16() {
            200 => {}
            304 => return Ok(Fetched::NotModified),
            404 => return Ok(Fetched::NotFound),
            _ => {
                return Err(format!(
                    "the server answered {} {}",
                    status.as_u16(),
                    status.canonical_reason().unwrap_or("")
                )
                .trim_end()
                .to_owned());
            }
        }
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let validators = Validators {
            etag: header("etag"),
            last_modified: header("last-modified"),
        };
        let bytes = response
            .body_mut()
            .with_config()
            .limit(MAX_DOWNLOAD)
            .read_to_vec()
            .map_err(reason)?;
        Ok(Fetched::Body(bytes, validators))
    }
}

/// What failed, in words, naming no content.
fn reason(e: ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(_) => format!("timed out after {} s", TIMEOUT.as_secs()),
        ureq::Error::BodyExceedsLimit(_) => {
            format!("too large: more than {} MiB", MAX_DOWNLOAD / (1024 * 1024))
        }
        ureq::Error::Rustls(e) => format!("TLS failed: {e}"),
        ureq::Error::Tls(e) => format!("TLS failed: {e}"),
        ureq::Error::TlsRequired => "TLS failed: the server did not speak TLS".to_owned(),
        ureq::Error::HostNotFound => "host not found".to_owned(),
        ureq::Error::ConnectionFailed => "cannot connect".to_owned(),
        ureq::Error::Io(e) => {
            // rustls reports a failed handshake through the stream it wraps.
            if let Some(tls) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                return format!("TLS failed: {tls}");
            }
            match e.kind() {
                std::io::ErrorKind::TimedOut => {
                    format!("timed out after {} s", TIMEOUT.as_secs())
                }
                _ => format!("cannot connect or read: {e}"),
            }
        }
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => "not a valid URL".to_owned(),
        e => format!("the download failed: {e}"),
    }
}

/// The validators kept for each URL, with the digest of the copy they describe: they are sent
/// only while the copy held is that copy (a sync from a directory may have replaced it since).
#[derive(Debug, Default)]
pub(crate) struct ValidatorCache {
    path: PathBuf,
    entries: serde_json::Map<String, serde_json::Value>,
}

impl ValidatorCache {
    /// The cache at `path`; an unreadable or missing one is empty (it only saves downloads).
    pub(crate) fn open(path: &Path) -> ValidatorCache {
        let entries = std::fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| v.as_object().cloned())
            .unwrap_or_default();
        ValidatorCache {
            path: path.to_owned(),
            entries,
        }
    }

    /// What to send for `url` when `held` is the copy held.
    pub(crate) fn get(&self, url: &str, held: Option<&[u8]>) -> Option<Validators> {
        let entry = self.entries.get(url)?;
        let text = |k: &str| entry.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        let held = held?;
        if text("sha256")? != hex(&crate::verification::sha256(held)) {
            return None;
        }
        let v = Validators {
            etag: text("etag"),
            last_modified: text("last_modified"),
        };
        (v != Validators::default()).then_some(v)
    }

    /// Records the validators of `bytes`, now the copy held, or forgets `url` with `None`.
    pub(crate) fn set(&mut self, url: &str, held: Option<(&[u8], &Validators)>) {
        match held {
            Some((bytes, v)) if *v != Validators::default() => {
                self.entries.insert(
                    url.to_owned(),
                    serde_json::json!({
                        "sha256": hex(&crate::verification::sha256(bytes)),
                        "etag": v.etag,
                        "last_modified": v.last_modified,
                    }),
                );
            }
            _ => {
                self.entries.remove(url);
            }
        }
    }

    /// Writes the cache (best effort: without it the next sync downloads everything again).
    pub(crate) fn save(&self) {
        let text = serde_json::to_vec_pretty(&self.entries).unwrap_or_default();
        if let Err(e) = crate::credentials::write_atomically(&self.path, &text) {
            tracing::warn!(error = %e, "cannot keep the HTTP validators");
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_directories_are_told_apart() {
        assert_eq!(
            PublishedSource::parse("https://edl.example.cn/"),
            PublishedSource::Url("https://edl.example.cn".into())
        );
        assert_eq!(
            PublishedSource::parse("HTTP://127.0.0.1:8080"),
            PublishedSource::Url("HTTP://127.0.0.1:8080".into())
        );
        assert_eq!(
            PublishedSource::parse("pub"),
            PublishedSource::Dir("pub".into())
        );
        assert_eq!(
            PublishedSource::Url("https://cdn.example.cn/edl".into()).location("status/110000.cwt"),
            "https://cdn.example.cn/edl/status/110000.cwt"
        );
    }
}
