//! The published files: the signed trust list (`GET /trust-list.cbor`) and each issuer's status
//! list (`GET /status/{region}.cwt`), what offline verifiers download. They are static files in
//! all but name: cacheable (`Cache-Control: public, max-age`), with an `ETag` and `Last-Modified`
//! that answer a conditional request with 304, so any CDN can serve them.
//!
//! Each is signed on first request and kept in memory; a status list is signed again only when
//! the registry changed what it says ([`Store::last_status_change`] moved past its issue time,
//! asked at most every [`STATUS_CHECK_INTERVAL`]) or when half its validity has passed; the trust
//! list when the PKI directory changed (a signer added, rotated or revoked) or after a day.
//! Decisions in `docs/verification-api.md`.

use std::collections::HashMap;
use std::time::{Duration as StdDuration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use edl_app::credentials::{
    CredentialError, Issuer, STATUS_LIST_VALIDITY, build_status_list, sign_built_status_list,
};
use edl_domain::RegionCode;
use edl_status_list::StatusList;
use edl_store::Store;
use time::{Duration, OffsetDateTime};

use super::errors::ApiError;
use crate::startup::{AppState, WalletIssuer};

/// `Content-Type` of the trust list (a COSE_Sign1 in CBOR).
pub(crate) const TRUST_LIST_TYPE: &str = "application/cbor";
/// `Content-Type` of a status list token (IETF Token Status List, CWT form).
pub(crate) const STATUS_LIST_TYPE: &str = "application/statuslist+cwt";
/// How long a cache may keep a status list without asking again: a suspension reaches verifiers
/// that go through a CDN within this (online verifiers ask the registry directly).
pub(crate) const STATUS_MAX_AGE: u32 = 60;
/// How long a cache may keep the trust list (it changes when a signer is added or revoked).
pub(crate) const TRUST_LIST_MAX_AGE: u32 = 3600;
/// How often the registry is asked whether a region's list changed.
pub(crate) const STATUS_CHECK_INTERVAL: StdDuration = StdDuration::from_secs(1);
/// How long a signed trust list is served before it is signed again (it says `nextUpdate` in 7
/// days; verifiers compare issue IDs).
pub(crate) const TRUST_LIST_RESIGN: Duration = Duration::days(1);

/// A signed file kept in memory.
#[derive(Debug, Clone)]
pub(crate) struct SignedFile {
    pub(crate) bytes: Bytes,
    pub(crate) etag: String,
    /// When it was signed (its `iat` / trust-list date).
    pub(crate) issued_at: OffsetDateTime,
    /// When it stops speaking for the registry (a status list's `exp`).
    pub(crate) expires_at: OffsetDateTime,
    /// The PKI's fingerprint when signed (the trust list), or when the registry was last asked.
    fingerprint: u64,
    checked: Instant,
    /// A status list's basis: the registry's last status change of the region, read before it
    /// was built.
    basis: Option<OffsetDateTime>,
    /// A status list's content, to tell a real change from a registry write that changed no
    /// status (a list is not signed again, with a new ETag, for nothing).
    list: Option<StatusList>,
}

impl SignedFile {
    fn new(
        bytes: Vec<u8>,
        issued_at: OffsetDateTime,
        expires_at: OffsetDateTime,
        fingerprint: u64,
    ) -> SignedFile {
        let digest = edl_app::verification::sha256(&bytes);
        let etag = format!("\"{}\"", crate::auth::hex(&digest[..16]));
        SignedFile {
            bytes: Bytes::from(bytes),
            etag,
            issued_at,
            expires_at,
            fingerprint,
            checked: Instant::now(),
            basis: None,
            list: None,
        }
    }
}

/// The files, signed on demand.
#[derive(Debug, Default)]
pub(crate) struct Published {
    trust_list: tokio::sync::Mutex<Option<SignedFile>>,
    status: tokio::sync::Mutex<HashMap<RegionCode, SignedFile>>,
}

/// Why a file could not be served.
#[derive(Debug)]
pub(crate) enum PublishError {
    /// No such region has a document signer.
    UnknownRegion,
    /// The service has no PKI, or signing or the registry failed.
    Unavailable(String),
}

impl From<CredentialError> for PublishError {
    fn from(e: CredentialError) -> PublishError {
        PublishError::Unavailable(e.to_string())
    }
}

impl PublishError {
    fn into_response(self) -> Response {
        match self {
            PublishError::UnknownRegion => ApiError::UnknownRegion.into_response(),
            PublishError::Unavailable(why) => {
                tracing::error!(error = %why, "published files: cannot sign");
                ApiError::Unavailable.into_response()
            }
        }
    }
}

fn issuer(state: &AppState) -> Result<&WalletIssuer, PublishError> {
    state
        .issuer
        .as_deref()
        .ok_or_else(|| PublishError::Unavailable("no PKI is configured".into()))
}

impl Published {
    /// The trust list, signed again when the PKI changed or it is a day old.
    pub(crate) async fn trust_list(&self, state: &AppState) -> Result<SignedFile, PublishError> {
        let issuer = state
            .issuer
            .clone()
            .ok_or_else(|| PublishError::Unavailable("no PKI is configured".into()))?;
        let fingerprint = issuer.signers.pki().fingerprint();
        let now = state.clock.now();
        let mut held = self.trust_list.lock().await;
        if let Some(file) = held.as_ref()
            && file.fingerprint == fingerprint
            && now - file.issued_at < TRUST_LIST_RESIGN
            && now >= file.issued_at
        {
            return Ok(file.clone());
        }
        // Opening the trust-list signer's key file is deliberately slow (scrypt): off the async
        // workers.
        let signed = tokio::task::spawn_blocking(move || {
            issuer
                .signers
                .pki()
                .trust_list(issuer.signers.passphrase(), now)
        })
        .await
        .map_err(|e| PublishError::Unavailable(e.to_string()))?
        .map_err(|e| PublishError::Unavailable(e.to_string()))?;
        let file = SignedFile::new(
            signed.as_bytes().to_vec(),
            now,
            now + edl_app::pki_dir::TRUST_LIST_NEXT_UPDATE,
            fingerprint,
        );
        *held = Some(file.clone());
        Ok(file)
    }

    /// The status list of `region`, signed again when the registry changed what it says or half
    /// its validity has passed.
    pub(crate) async fn status_list(
        &self,
        state: &AppState,
        region: RegionCode,
    ) -> Result<SignedFile, PublishError> {
        let issuer = issuer(state)?;
        let pki = issuer.signers.pki();
        let regions = pki
            .regions()
            .map_err(|e| PublishError::Unavailable(e.to_string()))?;
        if !regions.contains(&region) {
            return Err(PublishError::UnknownRegion);
        }
        let now = state.clock.now();
        let mut held = self.status.lock().await;
        if let Some(file) = held.get_mut(&region) {
            let fresh = file.expires_at - now >= STATUS_LIST_VALIDITY / 2 && now >= file.issued_at;
            if fresh && file.checked.elapsed() < STATUS_CHECK_INTERVAL {
                return Ok(file.clone());
            }
            if fresh {
                let last = state
                    .store
                    .last_status_change(region)
                    .await
                    .map_err(|e| PublishError::Unavailable(e.to_string()))?;
                // Nothing newer than the list's basis, nothing at or after its signing.
                let quiet = last == file.basis && last.is_none_or(|at| at < file.issued_at);
                if quiet {
                    file.checked = Instant::now();
                    return Ok(file.clone());
                }
            }
        }
        let basis = state
            .store
            .last_status_change(region)
            .await
            .map_err(|e| PublishError::Unavailable(e.to_string()))?;
        let list = build_status_list(&state.store, region).await?;
        if let Some(file) = held.get_mut(&region)
            && file.expires_at - now >= STATUS_LIST_VALIDITY / 2
            && now >= file.issued_at
            && file.list.as_ref() == Some(&list)
        {
            // The registry moved but no status did: the list held still says it all.
            file.basis = basis;
            file.checked = Instant::now();
            return Ok(file.clone());
        }
        let signing = Issuer {
            pki,
            passphrase: issuer.signers.passphrase(),
            public_url: &issuer.public_url,
            opened: Some(&issuer.signers),
        };
        let token = sign_built_status_list(&signing, region, list.clone(), now)?;
        let mut file = SignedFile::new(token, now, now + STATUS_LIST_VALIDITY, 0);
        file.basis = basis;
        file.list = Some(list);
        held.insert(region, file.clone());
        Ok(file)
    }

    /// Every region's status list (the scanner's offline material).
    pub(crate) async fn all_status_lists(
        &self,
        state: &AppState,
    ) -> Result<Vec<(RegionCode, SignedFile)>, PublishError> {
        let regions = issuer(state)?
            .signers
            .pki()
            .regions()
            .map_err(|e| PublishError::Unavailable(e.to_string()))?;
        let mut out = Vec::with_capacity(regions.len());
        for region in regions {
            out.push((region, self.status_list(state, region).await?));
        }
        Ok(out)
    }
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 IMF-fixdate).
pub(crate) fn http_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    t.format(time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    ))
    .unwrap_or_default()
}

fn parse_http_date(text: &str) -> Option<OffsetDateTime> {
    time::PrimitiveDateTime::parse(
        text.trim(),
        time::macros::format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        ),
    )
    .ok()
    .map(time::PrimitiveDateTime::assume_utc)
}

/// Whether the client's cached copy is current (RFC 9110 §13.1: `If-None-Match` first, then
/// `If-Modified-Since`).
fn not_modified(headers: &HeaderMap, file: &SignedFile) -> bool {
    if let Some(tags) = headers.get(IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        return tags.split(',').map(str::trim).any(|tag| {
            tag == "*" || tag == file.etag || tag.strip_prefix("W/") == Some(file.etag.as_str())
        });
    }
    headers
        .get(IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_http_date)
        .is_some_and(|since| {
            file.issued_at
                .replace_nanosecond(0)
                .unwrap_or(file.issued_at)
                <= since
        })
}

fn serve(
    headers: &HeaderMap,
    file: &SignedFile,
    content_type: &'static str,
    max_age: u32,
) -> Response {
    let mut response = if not_modified(headers, file) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(CONTENT_TYPE, HeaderValue::from_static(content_type))],
            file.bytes.clone(),
        )
            .into_response()
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={max_age}")) {
        h.insert(CACHE_CONTROL, v);
    }
    if let Ok(v) = HeaderValue::from_str(&file.etag) {
        h.insert(ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&http_date(file.issued_at)) {
        h.insert(LAST_MODIFIED, v);
    }
    response
}

/// `GET /trust-list.cbor`.
pub(crate) async fn trust_list(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match state.published.trust_list(&state).await {
        Ok(file) => serve(&headers, &file, TRUST_LIST_TYPE, TRUST_LIST_MAX_AGE),
        Err(e) => e.into_response(),
    }
}

/// `GET /status/{region}.cwt`.
pub(crate) async fn status_list(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(region) = file
        .strip_suffix(".cwt")
        .and_then(|r| RegionCode::parse(r).ok())
    else {
        return ApiError::UnknownRegion.into_response();
    };
    match state.published.status_list(&state, region).await {
        Ok(file) => serve(&headers, &file, STATUS_LIST_TYPE, STATUS_MAX_AGE),
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn http_dates_round_trip() {
        let t = datetime!(1994-11-06 08:49:37 UTC);
        assert_eq!(http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(t));
        assert_eq!(parse_http_date("yesterday"), None);
    }

    #[test]
    fn conditional_requests_match_the_etag_or_the_date() {
        let file = SignedFile::new(
            b"list".to_vec(),
            datetime!(2026-03-01 10:00:00.5 UTC),
            datetime!(2026-03-02 10:00 UTC),
            0,
        );
        let mut h = HeaderMap::new();
        assert!(!not_modified(&h, &file));
        h.insert(IF_NONE_MATCH, HeaderValue::from_str(&file.etag).unwrap());
        assert!(not_modified(&h, &file));
        h.insert(
            IF_NONE_MATCH,
            HeaderValue::from_static("\"other\", W/\"x\""),
        );
        assert!(!not_modified(&h, &file));
        let mut h = HeaderMap::new();
        h.insert(
            IF_MODIFIED_SINCE,
            HeaderValue::from_static("Sun, 01 Mar 2026 10:00:00 GMT"),
        );
        assert!(not_modified(&h, &file));
        h.insert(
            IF_MODIFIED_SINCE,
            HeaderValue::from_static("Sun, 01 Mar 2026 09:59:59 GMT"),
        );
        assert!(!not_modified(&h, &file));
    }
}
