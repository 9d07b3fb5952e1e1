//! The verification API (`POST /api/v1/verify`, with an organisation's API key) and the scanner
//! page's twin (`POST /scanner/api/verify`, with a verifier staff member's console session): a
//! QR text, a share link or an ISO 18013-5 DeviceResponse in, the report out, checked against
//! the platform's PKI with the status from the registry now, limited to what the declared purpose
//! discloses, and audited (organisation, purpose, time, result, licence) before it is answered.
//! `POST /api/v1/verify/batch` takes up to [`MAX_BATCH_ITEMS`] such requests in one call and
//! answers each in its place, every one checked and audited as if it had come alone.
//! Also the portraits reports refer to, the scanner's offline material and the OpenAPI
//! description. Decisions in `docs/verification-api.md`; the contract is `openapi.json`.

use axum::Json;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use edl_app::verification::{Channel, Presented, Report, Verified, registry_portrait};
use edl_mdoc::{Purpose, SessionTranscript};
use edl_store::{ConsoleRole, NewVerification};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;
use time::format_description::well_known::Rfc3339;

use super::console::staff;
use super::errors::{ApiError, ErrorBody};
use crate::auth::token_from_hex;
use crate::startup::AppState;
use crate::verify_state::{Caller, KeyLookup, purposes};

/// The largest request body: a DeviceResponse with its portrait (at most 64 KiB) in base64 and a
/// transcript fit many times over; a QR text is at most 4,296 characters.
pub(crate) const MAX_VERIFY_BODY: usize = 256 * 1024;
/// The most presentations one batch call takes.
pub(crate) const MAX_BATCH_ITEMS: usize = 100;
/// The largest batch body: a hundred of the largest QR texts fit many times over, or a few
/// DeviceResponses with their portraits.
pub(crate) const MAX_BATCH_BODY: usize = 1024 * 1024;
/// The OpenAPI 3.1 description of this API.
pub(crate) const OPENAPI: &str = include_str!("openapi.json");

/// The routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/verify", post(api_verify))
        .route("/api/v1/verify/batch", post(api_verify_batch))
        .route("/api/v1/portrait/{handle}", get(api_portrait))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/scanner/api/verify", post(scanner_verify))
        .route("/scanner/api/portrait/{handle}", get(scanner_portrait))
        .route("/scanner/api/material", get(material))
        .route("/trust-list.cbor", get(super::published::trust_list))
        .route("/status/{file}", get(super::published::status_list))
}

/// The request body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyRequest {
    purpose: String,
    qr_text: Option<String>,
    share_token: Option<String>,
    device_response: Option<String>,
    session_transcript: Option<String>,
    challenge_hex: Option<String>,
}

/// The batch request body: the single call's bodies, in order, each read on its own
/// ([`parse_item`]) so that one item of the wrong form is that item's 400, not the batch's.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchRequest {
    items: Vec<serde_json::Value>,
}

/// `edl_` ‖ base64url(32 bytes): the form every API key has, checked before any lookup.
fn key_hash_of(headers: &HeaderMap) -> Result<[u8; 32], ApiError> {
    let value = headers
        .get(AUTHORIZATION)
        .ok_or(ApiError::MissingApiKey)?
        .to_str()
        .map_err(|_| ApiError::InvalidApiKey)?;
    let (scheme, key) = value
        .trim()
        .split_once(' ')
        .ok_or(ApiError::MissingApiKey)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::MissingApiKey);
    }
    let key = key.trim();
    if !crate::api_key::is_well_formed(key) {
        return Err(ApiError::InvalidApiKey);
    }
    Ok(crate::api_key::hash(key))
}

async fn api_caller(state: &AppState, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let hash = key_hash_of(headers)?;
    match state.verify.keys.lookup(&state.store, &hash).await {
        Ok(KeyLookup::Valid(caller)) => Ok(caller),
        Ok(KeyLookup::Revoked) => Err(ApiError::RevokedApiKey),
        Ok(KeyLookup::Unknown) => Err(ApiError::InvalidApiKey),
        Err(error) => {
            tracing::error!(%error, "verification API: the key lookup failed");
            Err(ApiError::Unavailable)
        }
    }
}

/// A verifier staff member of the request's console session (the console's own lookup,
/// [`staff`]); `csrf` also requires the `X-CSRF-Token` header to match the session's.
async fn scanner_caller(
    state: &AppState,
    headers: &HeaderMap,
    csrf: bool,
) -> Result<Caller, ApiError> {
    let member = match staff(state, headers).await {
        Ok(Some(member)) => member,
        Ok(None) => return Err(ApiError::NotLoggedIn),
        Err(error) => {
            tracing::error!(%error, "scanner: the session lookup failed");
            return Err(ApiError::Unavailable);
        }
    };
    if csrf {
        let sent = headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !member.csrf_ok(sent) {
            return Err(ApiError::CsrfMismatch);
        }
    }
    let organisation = match (member.role(), member.organisation) {
        (ConsoleRole::Verifier, Some(organisation)) => organisation,
        _ => return Err(ApiError::NotLoggedIn),
    };
    Ok(Caller {
        organisation_id: organisation.id,
        purposes: purposes(&organisation.organisation.purposes),
        api_key_id: None,
        user_id: Some(member.user.id),
        // Scanner users draw from their own buckets, apart from API keys' ids.
        bucket: -member.user.id,
    })
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"))
}

async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, ApiError> {
    if !is_json(headers) {
        return Err(ApiError::UnsupportedMediaType);
    }
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::BodyTooLarge);
    }
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::BodyTooLarge)
}

fn base64_bytes(text: &str, what: &'static str) -> Result<Vec<u8>, ApiError> {
    use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
    use base64::engine::{DecodePaddingMode, general_purpose};
    let config =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let text = text.trim();
    GeneralPurpose::new(&base64::alphabet::STANDARD, config)
        .decode(text)
        .or_else(|_| GeneralPurpose::new(&base64::alphabet::URL_SAFE, config).decode(text))
        .or_else(|_| general_purpose::STANDARD.decode(text))
        .map_err(|_| ApiError::MalformedRequest(what))
}

fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len() / 2)
        .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok())
        .collect()
}

/// The token of a share link: its 64 hex digits, alone or at the end of the link.
fn share_token(text: &str) -> Option<[u8; 32]> {
    let text = text.trim().trim_end_matches('/');
    let token = text.rsplit_once("/share/").map_or(text, |(_, t)| t);
    token_from_hex(token.split(['?', '#', '/']).next().unwrap_or(""))
}

/// What was asked: the purpose and what was presented, decoded.
struct Asked {
    purpose: Purpose,
    kind: AskedKind,
}

enum AskedKind {
    Qr {
        text: String,
        challenge: Option<Vec<u8>>,
    },
    Share([u8; 32]),
    DeviceResponse {
        response: Vec<u8>,
        transcript: SessionTranscript,
    },
}

fn parse_request(body: &[u8]) -> Result<Asked, ApiError> {
    let request: VerifyRequest = serde_json::from_slice(body).map_err(|_| {
        ApiError::MalformedRequest(
            "the body is not a JSON object with purpose and one of qr_text, share_token, device_response",
        )
    })?;
    asked(request)
}

/// One item of a batch, read and checked as the single call's body would be.
fn parse_item(item: serde_json::Value) -> Result<Asked, ApiError> {
    let request: VerifyRequest = serde_json::from_value(item).map_err(|_| {
        ApiError::MalformedRequest(
            "the item is not a JSON object with purpose and one of qr_text, share_token, device_response",
        )
    })?;
    asked(request)
}

/// A batch body's items, each still to be read and checked on its own ([`parse_item`]): only a
/// body that is not a batch at all, or holds no items or too many, is refused as a whole.
fn parse_batch(body: &[u8]) -> Result<Vec<serde_json::Value>, ApiError> {
    let batch: BatchRequest = serde_json::from_slice(body).map_err(|_| {
        ApiError::MalformedRequest("the body is not a JSON object {\"items\": [...]}")
    })?;
    if batch.items.is_empty() {
        return Err(ApiError::MalformedRequest("items is empty"));
    }
    if batch.items.len() > MAX_BATCH_ITEMS {
        return Err(ApiError::MalformedRequest(
            "items holds more than 100 requests; split the batch",
        ));
    }
    Ok(batch.items)
}

/// One request's purpose and presentation, decoded and checked for form.
fn asked(request: VerifyRequest) -> Result<Asked, ApiError> {
    let purpose = Purpose::parse(&request.purpose).map_err(|_| {
        ApiError::MalformedRequest(
            "unknown purpose; expected roadside, business_window, car_rental, transport_company or insurer",
        )
    })?;
    let challenge = match request.challenge_hex.as_deref() {
        None => None,
        Some(hex) => match hex_bytes(hex.trim()) {
            Some(bytes) if bytes.len() <= edl_qr::presentation::MAX_CHALLENGE => Some(bytes),
            _ => {
                return Err(ApiError::MalformedRequest(
                    "challenge_hex must be at most 32 bytes in hexadecimal",
                ));
            }
        },
    };
    let kind = match (
        request.qr_text,
        request.share_token,
        request.device_response,
        request.session_transcript,
    ) {
        (Some(text), None, None, None) => AskedKind::Qr { text, challenge },
        (None, Some(token), None, None) if challenge.is_none() => {
            AskedKind::Share(share_token(&token).ok_or(ApiError::MalformedRequest(
                "share_token must be the share link or its 64 hexadecimal digits",
            ))?)
        }
        (None, None, Some(response), Some(transcript)) if challenge.is_none() => {
            let transcript = base64_bytes(&transcript, "session_transcript is not base64")?;
            AskedKind::DeviceResponse {
                response: base64_bytes(&response, "device_response is not base64")?,
                transcript: SessionTranscript::from_bytes(&transcript).map_err(|_| {
                    ApiError::MalformedRequest(
                        "session_transcript is not a CBOR SessionTranscript (ISO 18013-5 9.1.5.1)",
                    )
                })?,
            }
        }
        (None, None, Some(_), None) => {
            return Err(ApiError::MalformedRequest(
                "a device_response needs the session_transcript the verifier used",
            ));
        }
        (None, Some(_), None, None) | (None, None, Some(_), Some(_)) => {
            return Err(ApiError::MalformedRequest(
                "challenge_hex applies to qr_text only",
            ));
        }
        _ => {
            return Err(ApiError::MalformedRequest(
                "give exactly one of qr_text, share_token, device_response (with session_transcript)",
            ));
        }
    };
    Ok(Asked { purpose, kind })
}

/// Checks, verifies, audits and answers one call.
async fn verify(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    body: Body,
    channel: Channel,
) -> Result<Response, ApiError> {
    state
        .verify
        .limiter
        .take(caller.bucket, 1)
        .map_err(ApiError::RateLimited)?;
    let body = read_body(headers, body, MAX_VERIFY_BODY).await?;
    let asked = parse_request(&body)?;
    let report = verify_asked(state, caller, &asked, channel).await?;
    Ok(json_answer(&report, 1))
}

/// What a report takes as JSON, about: the buffer is made this large at once instead of
/// growing by doubling from axum's 128 bytes (a QR code's report is about 2.5 KB).
const REPORT_JSON_SIZE: usize = 3 * 1024;

/// `value` as a JSON answer that is not to be cached, written into a buffer sized for `reports`
/// reports.
fn json_answer<T: Serialize>(value: &T, reports: usize) -> Response {
    let mut body = Vec::with_capacity(REPORT_JSON_SIZE * reports);
    match serde_json::to_writer(&mut body, value) {
        Ok(()) => (
            [
                (CONTENT_TYPE, HeaderValue::from_static("application/json")),
                (CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
            body,
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "verification: the answer could not be written as JSON");
            ApiError::Unavailable.into_response()
        }
    }
}

/// Checks the purpose, verifies, audits and reports one presentation.
async fn verify_asked(
    state: &AppState,
    caller: &Caller,
    asked: &Asked,
    channel: Channel,
) -> Result<Report, ApiError> {
    if !caller.purposes.contains(&asked.purpose) {
        return Err(ApiError::PurposeNotAllowed);
    }
    let service = state.verify.verifiers.get().ok_or(ApiError::Unavailable)?;
    let presented = match &asked.kind {
        AskedKind::Qr { text, challenge } => Presented::Qr {
            text,
            challenge: challenge.as_deref(),
        },
        AskedKind::Share(token) => Presented::Share { token },
        AskedKind::DeviceResponse {
            response,
            transcript,
        } => Presented::DeviceResponse {
            response,
            transcript,
        },
    };
    let at = state.clock.now();
    let verified: Verified = service
        .verify_with(
            &state.store,
            &state.verify.reads,
            presented,
            asked.purpose,
            channel,
            at,
        )
        .await
        .map_err(|error| {
            tracing::error!(%error, "verification: the registry failed");
            ApiError::Unavailable
        })?;
    state
        .verify
        .audit
        .record(NewVerification {
            at,
            organisation_id: caller.organisation_id,
            api_key_id: caller.api_key_id,
            user_id: caller.user_id,
            purpose: asked.purpose.as_str().to_owned(),
            channel: channel.as_str().to_owned(),
            result: if verified.valid { "valid" } else { "not_valid" }.to_owned(),
            file_number: verified.file_number.clone(),
            region: verified.region,
        })
        .await
        .map_err(|_| ApiError::Unavailable)?;
    let mut report = verified.report;
    if let Some(portrait) = verified.portrait {
        let handle = state
            .verify
            .portraits
            .issue(caller.organisation_id, portrait);
        let prefix = match channel {
            Channel::Api => "/api/v1/portrait/",
            Channel::Scanner => "/scanner/api/portrait/",
        };
        report.set_portrait_url(format!("{prefix}{handle}"));
    }
    Ok(report)
}

/// One item of a batch answer: `status` is what the call alone would have answered, with its
/// report or its error.
#[derive(Serialize)]
struct BatchItem {
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    report: Option<Report>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorBody>,
}

impl BatchItem {
    fn of(result: Result<Report, ApiError>) -> BatchItem {
        match result {
            Ok(report) => BatchItem {
                status: 200,
                report: Some(report),
                error: None,
            },
            Err(error) => BatchItem {
                status: error.status().as_u16(),
                report: None,
                error: Some(error.body()),
            },
        }
    }
}

/// Checks, verifies, audits and answers a batch: the key's bucket gives a token per item, all
/// or none; the items are verified at once (their registry reads and audit rows go together)
/// and answered in their order.
async fn verify_batch(
    state: &AppState,
    caller: Caller,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    // One token before the body is read, as for a single call: a flood of bodies that are
    // refused is throttled too. The other items' tokens once their number is known.
    let limiter = &state.verify.limiter;
    limiter
        .take(caller.bucket, 1)
        .map_err(ApiError::RateLimited)?;
    let body = read_body(headers, body, MAX_BATCH_BODY).await?;
    let items = parse_batch(&body)?;
    if items.len() > limiter.burst() {
        return Err(ApiError::MalformedRequest(
            "the batch holds more items than this API key may verify at once (its burst); split it",
        ));
    }
    limiter
        .take(caller.bucket, items.len() - 1)
        .map_err(ApiError::RateLimited)?;
    let caller = Arc::new(caller);
    let running: Vec<_> = items
        .into_iter()
        .map(|item| {
            let state = state.clone();
            let caller = Arc::clone(&caller);
            tokio::spawn(async move {
                let asked = parse_item(item)?;
                verify_asked(&state, &caller, &asked, Channel::Api).await
            })
        })
        .collect();
    let mut results = Vec::with_capacity(running.len());
    for task in running {
        let result = task.await.unwrap_or_else(|error| {
            // Not the panic's message: it could carry what the item held.
            tracing::error!(
                panicked = error.is_panic(),
                "verification batch: an item's task failed"
            );
            Err(ApiError::Unavailable)
        });
        results.push(BatchItem::of(result));
    }
    let reports = results.iter().filter(|r| r.report.is_some()).count();
    Ok(json_answer(&BatchAnswer { results }, reports.max(1)))
}

#[derive(Serialize)]
struct BatchAnswer {
    results: Vec<BatchItem>,
}

/// `POST /api/v1/verify`.
async fn api_verify(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let result = match api_caller(&state, &headers).await {
        Ok(caller) => verify(&state, &caller, &headers, body, Channel::Api).await,
        Err(e) => Err(e),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

/// `POST /api/v1/verify/batch`.
async fn api_verify_batch(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result = match api_caller(&state, &headers).await {
        Ok(caller) => verify_batch(&state, caller, &headers, body).await,
        Err(e) => Err(e),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

/// `POST /scanner/api/verify`.
async fn scanner_verify(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let result = match scanner_caller(&state, &headers, true).await {
        Ok(caller) => verify(&state, &caller, &headers, body, Channel::Scanner).await,
        Err(e) => Err(e),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

fn portrait(state: &AppState, caller: &Caller, handle: &str) -> Response {
    let Some(reference) = state.verify.portraits.get(caller.organisation_id, handle) else {
        return ApiError::NotFound.into_response();
    };
    let jpeg = registry_portrait(reference.file_number.as_ref());
    // The registry's photo must be the one the issuer signed the digest of.
    if edl_qr::claims::portrait_digest(jpeg) != reference.digest {
        return ApiError::NotFound.into_response();
    }
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static("image/jpeg")),
            (CACHE_CONTROL, HeaderValue::from_static("private, no-store")),
        ],
        jpeg,
    )
        .into_response()
}

/// `GET /api/v1/portrait/{handle}`: the portrait a report of this organisation referred to.
async fn api_portrait(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    headers: HeaderMap,
) -> Response {
    match api_caller(&state, &headers).await {
        Ok(caller) => portrait(&state, &caller, &handle),
        Err(e) => e.into_response(),
    }
}

/// `GET /scanner/api/portrait/{handle}`.
async fn scanner_portrait(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    headers: HeaderMap,
) -> Response {
    match scanner_caller(&state, &headers, false).await {
        Ok(caller) => portrait(&state, &caller, &handle),
        Err(e) => e.into_response(),
    }
}

/// How long the scanner may use the material offline.
const MATERIAL_USE: time::Duration = time::Duration::hours(24);

/// `GET /scanner/api/material`: what the scanner page needs to verify offline: the document
/// signers (revoked ones with their time), every region's status list, the policy.
async fn material(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(e) = scanner_caller(&state, &headers, false).await {
        return e.into_response();
    }
    let Some(service) = state.verify.verifiers.get() else {
        return ApiError::Unavailable.into_response();
    };
    let lists = match state.published.all_status_lists(&state).await {
        Ok(lists) => lists,
        Err(_) => return ApiError::Unavailable.into_response(),
    };
    let now = state.clock.now();
    let use_until = lists
        .iter()
        .map(|(_, f)| f.expires_at)
        .fold(now + MATERIAL_USE, std::cmp::min);
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let time = |t: time::OffsetDateTime| t.format(&Rfc3339).ok();
    let policy = service.policy();
    let body = json!({
        "generated_at": time(now),
        "use_until": time(use_until),
        "policy": {
            "max_age_seconds": policy.freshness.whole_seconds(),
            "future_skew_seconds": policy.future_skew.whole_seconds(),
        },
        "signers": service.signers().iter().map(|s| json!({
            "certificate": b64(s.certificate.as_bytes()),
            "revoked_at": s.revoked_at.and_then(time),
        })).collect::<Vec<_>>(),
        "status_lists": lists.iter().map(|(region, file)| json!({
            "region": region.as_u32(),
            "token": b64(&file.bytes),
        })).collect::<Vec<_>>(),
    });
    (
        [(CACHE_CONTROL, HeaderValue::from_static("private, no-store"))],
        Json(body),
    )
        .into_response()
}

/// `GET /api/v1/openapi.json`.
async fn openapi() -> Response {
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static("application/json")),
            (
                CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        OPENAPI,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn requests_are_read_strictly() {
        let ok = |body: &str| parse_request(body.as_bytes());
        let bad = |body: &str| match parse_request(body.as_bytes()) {
            Err(ApiError::MalformedRequest(_)) => {}
            Err(other) => panic!("{body}: {other:?}"),
            Ok(_) => panic!("{body}: accepted"),
        };
        assert!(matches!(
            ok(r#"{"purpose":"car_rental","qr_text":"EDL1:X","challenge_hex":"4b375132"}"#)
                .unwrap()
                .kind,
            AskedKind::Qr { challenge: Some(ref c), .. } if c == b"K7Q2"
        ));
        let token = "ab".repeat(32);
        for link in [
            token.clone(),
            format!("https://edl.example.cn/share/{token}"),
            format!("/share/{token}/"),
        ] {
            let body = json!({ "purpose": "insurer", "share_token": link }).to_string();
            assert!(matches!(ok(&body).unwrap().kind, AskedKind::Share(t) if t == [0xab; 32]));
        }
        bad("{not json");
        bad(r#"{"purpose":"police","qr_text":"EDL1:X"}"#);
        bad(r#"{"purpose":"car_rental"}"#);
        bad(r#"{"purpose":"car_rental","qr_text":"x","share_token":"y"}"#);
        bad(r#"{"purpose":"car_rental","qr_text":"x","extra":1}"#);
        bad(r#"{"purpose":"car_rental","qr_text":"x","challenge_hex":"zz"}"#);
        bad(&format!(
            r#"{{"purpose":"car_rental","qr_text":"x","challenge_hex":"{}"}}"#,
            "00".repeat(33)
        ));
        bad(r#"{"purpose":"car_rental","share_token":"abc"}"#);
        bad(r#"{"purpose":"car_rental","device_response":"AAAA"}"#);
        bad(r#"{"purpose":"car_rental","device_response":"!!","session_transcript":"AAAA"}"#);
        bad(r#"{"purpose":"car_rental","device_response":"AAAA","session_transcript":"AAAA"}"#);
    }

    #[test]
    fn batches_are_read_strictly_and_their_items_checked_one_by_one() {
        let item = json!({ "purpose": "roadside", "qr_text": "EDL1:X" });
        let batch = |items: Vec<Value>| json!({ "items": items }).to_string();
        let items = parse_batch(
            batch(vec![
                item.clone(),
                json!({ "purpose": "police", "qr_text": "x" }),
            ])
            .as_bytes(),
        )
        .unwrap();
        assert_eq!(items.len(), 2);
        // The second item's purpose is unknown: that item alone is refused.
        let mut asked_items = items.into_iter().map(parse_item);
        assert!(asked_items.next().unwrap().is_ok());
        assert!(matches!(
            asked_items.next().unwrap(),
            Err(ApiError::MalformedRequest(_))
        ));
        assert_eq!(
            parse_batch(batch(vec![item.clone(); MAX_BATCH_ITEMS]).as_bytes())
                .unwrap()
                .len(),
            MAX_BATCH_ITEMS
        );
        for body in [
            batch(vec![]),
            batch(vec![item.clone(); MAX_BATCH_ITEMS + 1]),
            json!({ "items": item.clone() }).to_string(),
            json!({ "items": [item.clone()], "more": [] }).to_string(),
            json!({ "items": "EDL1:X" }).to_string(),
            json!([item]).to_string(),
            "{".to_owned(),
        ] {
            assert!(
                matches!(
                    parse_batch(body.as_bytes()),
                    Err(ApiError::MalformedRequest(_))
                ),
                "{body}"
            );
        }
    }

    #[test]
    fn the_openapi_document_parses_and_names_every_route_and_error_code() {
        let doc: Value = serde_json::from_str(OPENAPI).unwrap();
        assert_eq!(doc["openapi"].as_str().map(|v| &v[..3]), Some("3.1"));
        for path in [
            "/api/v1/verify",
            "/api/v1/verify/batch",
            "/api/v1/portrait/{handle}",
            "/api/v1/openapi.json",
            "/scanner/api/verify",
            "/scanner/api/portrait/{handle}",
            "/scanner/api/material",
            "/trust-list.cbor",
            "/status/{region}.cwt",
        ] {
            assert!(doc["paths"][path].is_object(), "{path} is not described");
        }
        assert_eq!(
            doc["components"]["schemas"]["Error"]["properties"]["error"]["$ref"],
            "#/components/schemas/ErrorDetail"
        );
        let codes: Vec<&str> =
            doc["components"]["schemas"]["ErrorDetail"]["properties"]["code"]["enum"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|c| c.as_str())
                .collect();
        for code in super::super::errors::CODES {
            assert!(
                codes.contains(&code),
                "{code} is not in the OpenAPI document"
            );
        }
        assert_eq!(codes.len(), super::super::errors::CODES.len());
    }
}
