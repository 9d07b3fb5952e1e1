//! Holder authentication: Argon2id password hashes, random session and CSRF tokens (only their
//! SHA-256 is stored), cookies, and the login throttle. Decisions in `docs/decisions/wallet.md`.

use std::collections::HashMap;
use std::sync::Mutex;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use axum::http::HeaderMap;
use time::{Duration, OffsetDateTime};

/// The session cookie.
pub(crate) const SESSION_COOKIE: &str = "edl_session";
/// The CSRF cookie of the forms shown before login (double submit).
pub(crate) const FORM_COOKIE: &str = "edl_form";
/// How long a session lasts.
pub(crate) const SESSION_LIFETIME: Duration = Duration::hours(12);
/// Passwords: at least this many characters.
pub(crate) const MIN_PASSWORD_CHARS: usize = 8;
/// Passwords: at most this many bytes (Argon2 takes any length; a cap stops a 1 MB "password").
pub(crate) const MAX_PASSWORD_BYTES: usize = 256;

/// 32 random bytes.
pub(crate) fn random_token() -> [u8; 32] {
    let mut out = [0u8; 32];
    // The system's random source failing is not recoverable.
    SystemRandom::new()
        .fill(&mut out)
        .expect("the operating system's random source works");
    out
}

/// SHA-256 of a token: what the database keeps.
pub(crate) fn token_hash(token: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, token).as_ref());
    out
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads 64 hex digits.
pub(crate) fn token_from_hex(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// Constant-time equality of two strings' bytes.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Hashes a password with Argon2id (the crate's defaults: 19 MiB, 2 passes, 1 lane, OWASP's
/// recommendation), off the async threads.
pub(crate) async fn hash_password(password: String) -> Result<String, &'static str> {
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        SystemRandom::new()
            .fill(&mut salt)
            .map_err(|_| "no random salt")?;
        Argon2::default()
            .hash_password_with_salt(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|_| "password hashing failed")
    })
    .await
    .map_err(|_| "password hashing task failed")?
}

/// A PHC string of the same cost, for checking a password when no account exists (so that a
/// missing account takes as long as a wrong password).
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$4j1Ui9RhWmcxO7oa1aa6FOfDAUNDrkEeWvQ0PmOyCpk";

/// Checks a password against a stored hash, off the async threads; `None` hash checks against a
/// dummy and fails.
pub(crate) async fn verify_password(hash: Option<String>, password: String) -> bool {
    let real = hash.is_some();
    let hash = hash.unwrap_or_else(|| DUMMY_HASH.to_owned());
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
        && real
}

/// The value of a cookie in the request.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, the whole site. `secure` adds `Secure`
/// (behind TLS).
pub(crate) fn set_cookie(name: &str, value: &str, max_age: Duration, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        max_age.whole_seconds().max(0),
        if secure { "; Secure" } else { "" }
    )
}

/// Failed logins tolerated per account, and per address, in [`THROTTLE_WINDOW`].
pub(crate) const MAX_FAILURES_PER_ACCOUNT: usize = 5;
/// Per address (a shared NAT holds many honest holders).
pub(crate) const MAX_FAILURES_PER_ADDRESS: usize = 20;
/// The throttle's window.
pub(crate) const THROTTLE_WINDOW: Duration = Duration::minutes(15);

/// Counts recent failures per key (an account's 证号 hash, a client address) in memory. One
/// process's view: several instances behind a balancer each throttle on their own
/// (`docs/decisions/wallet.md`).
#[derive(Debug, Default)]
pub(crate) struct Throttle {
    failures: Mutex<HashMap<String, Vec<OffsetDateTime>>>,
}

impl Throttle {
    /// `Err(seconds to wait)` when `key` has `max` failures in the window.
    pub(crate) fn check(&self, key: &str, max: usize, now: OffsetDateTime) -> Result<(), i64> {
        let Ok(mut map) = self.failures.lock() else {
            return Ok(());
        };
        let Some(times) = map.get_mut(key) else {
            return Ok(());
        };
        times.retain(|t| now - *t < THROTTLE_WINDOW);
        if times.len() >= max {
            let oldest = times.iter().min().copied().unwrap_or(now);
            return Err((oldest + THROTTLE_WINDOW - now).whole_seconds().max(1));
        }
        Ok(())
    }

    /// Records a failure.
    pub(crate) fn fail(&self, key: &str, now: OffsetDateTime) {
        if let Ok(mut map) = self.failures.lock() {
            if map.len() > 100_000 {
                // Bounded memory under a flood: forget the oldest view entirely.
                map.clear();
            }
            map.entry(key.to_owned()).or_default().push(now);
        }
    }

    /// Forgets a key's failures (after a successful login).
    pub(crate) fn clear(&self, key: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn tokens_round_trip_and_hash() {
        let t = random_token();
        assert_eq!(token_from_hex(&hex(&t)), Some(t));
        assert_ne!(token_hash(&t), t);
        assert_eq!(token_from_hex("zz"), None);
        assert_eq!(token_from_hex(&"g".repeat(64)), None);
    }

    #[test]
    fn cookies_are_read_and_written_strictly() {
        let mut headers = HeaderMap::new();
        headers.insert("cookie", "a=1; edl_session=abc; b=2".parse().unwrap());
        assert_eq!(cookie(&headers, "edl_session").as_deref(), Some("abc"));
        assert_eq!(cookie(&headers, "missing"), None);
        let set = set_cookie("edl_session", "v", Duration::hours(1), false);
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"));
        assert!(set_cookie("x", "v", Duration::hours(1), true).ends_with("; Secure"));
    }

    #[test]
    fn the_throttle_blocks_after_the_limit_and_forgets_after_the_window() {
        let t = Throttle::default();
        let t0 = datetime!(2026-03-01 10:00 UTC);
        for i in 0..5 {
            assert_eq!(t.check("k", 5, t0 + Duration::seconds(i)), Ok(()));
            t.fail("k", t0 + Duration::seconds(i));
        }
        let wait = t.check("k", 5, t0 + Duration::seconds(10)).unwrap_err();
        assert!(wait > 0 && wait <= 15 * 60);
        assert_eq!(t.check("k", 5, t0 + Duration::minutes(16)), Ok(()));
        t.fail("k", t0);
        t.clear("k");
        assert_eq!(t.check("k", 1, t0), Ok(()));
    }

    #[tokio::test]
    async fn passwords_verify_only_against_their_hash() {
        let hash = hash_password("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(Some(hash.clone()), "correct horse".into()).await);
        assert!(!verify_password(Some(hash), "wrong horse".into()).await);
        assert!(!verify_password(None, "anything".into()).await);
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn constant_time_comparison() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
    }
}
