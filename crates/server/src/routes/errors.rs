//! The verification API's errors: an HTTP status and a stable machine-readable code, as JSON
//! `{"error": {"code": "…", "message": "…"}}`. Messages never carry what was sent (a key, a code,
//! personal data); clients branch on the code, people read the message. The codes are listed in
//! `openapi.json` and `docs/verification-api.md`.

use axum::Json;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

/// An error answer of the verification API and the published files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ApiError {
    /// No `Authorization: Bearer` header (401).
    MissingApiKey,
    /// The key is not one the platform issued (401).
    InvalidApiKey,
    /// The key was revoked (401).
    RevokedApiKey,
    /// No logged-in verifier session for a scanner call, or its CSRF token is wrong (401).
    NotLoggedIn,
    /// The CSRF token does not match the session's (403).
    CsrfMismatch,
    /// The organisation may not verify for this purpose (403).
    PurposeNotAllowed,
    /// The body is not the JSON the endpoint takes (400).
    MalformedRequest(&'static str),
    /// The body is larger than the endpoint takes (413).
    BodyTooLarge,
    /// The body is not `application/json` (415).
    UnsupportedMediaType,
    /// Too many requests with this key; retry after the given seconds (429).
    RateLimited(u64),
    /// The registry or the PKI is unavailable (503).
    Unavailable,
    /// No such region has a status list (404).
    UnknownRegion,
    /// No such portrait handle, or not this organisation's (404).
    NotFound,
}

/// Every code, for the OpenAPI test.
#[cfg(test)]
pub(crate) const CODES: [&str; 13] = [
    "missing_api_key",
    "invalid_api_key",
    "revoked_api_key",
    "not_logged_in",
    "csrf_mismatch",
    "purpose_not_allowed",
    "malformed_request",
    "body_too_large",
    "unsupported_media_type",
    "rate_limited",
    "unavailable",
    "unknown_region",
    "not_found",
];

impl ApiError {
    /// The stable code.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            ApiError::MissingApiKey => "missing_api_key",
            ApiError::InvalidApiKey => "invalid_api_key",
            ApiError::RevokedApiKey => "revoked_api_key",
            ApiError::NotLoggedIn => "not_logged_in",
            ApiError::CsrfMismatch => "csrf_mismatch",
            ApiError::PurposeNotAllowed => "purpose_not_allowed",
            ApiError::MalformedRequest(_) => "malformed_request",
            ApiError::BodyTooLarge => "body_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::RateLimited(_) => "rate_limited",
            ApiError::Unavailable => "unavailable",
            ApiError::UnknownRegion => "unknown_region",
            ApiError::NotFound => "not_found",
        }
    }

    /// The HTTP status.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            ApiError::MissingApiKey
            | ApiError::InvalidApiKey
            | ApiError::RevokedApiKey
            | ApiError::NotLoggedIn => StatusCode::UNAUTHORIZED,
            ApiError::CsrfMismatch | ApiError::PurposeNotAllowed => StatusCode::FORBIDDEN,
            ApiError::MalformedRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::UnknownRegion | ApiError::NotFound => StatusCode::NOT_FOUND,
        }
    }

    /// The code and message, as the answer's `error` member.
    pub(crate) fn body(&self) -> ErrorBody {
        ErrorBody {
            code: self.code(),
            message: self.message(),
        }
    }

    fn message(&self) -> &'static str {
        match self {
            ApiError::MissingApiKey => {
                "send the organisation's API key as `Authorization: Bearer edl_…`"
            }
            ApiError::InvalidApiKey => "the API key is not one the platform issued",
            ApiError::RevokedApiKey => {
                "the API key was revoked; ask the organisation's administrator for a new one"
            }
            ApiError::NotLoggedIn => "log in to the console as a verifier first",
            ApiError::CsrfMismatch => "the X-CSRF-Token header does not match the session",
            ApiError::PurposeNotAllowed => "the organisation is not registered for this purpose",
            ApiError::MalformedRequest(why) => why,
            ApiError::BodyTooLarge => "the request body is larger than the endpoint accepts",
            ApiError::UnsupportedMediaType => "send the body as application/json",
            ApiError::RateLimited(_) => {
                "too many requests with this API key; retry after the Retry-After seconds"
            }
            ApiError::Unavailable => "the service is unavailable; retry later",
            ApiError::UnknownRegion => {
                "no issuing authority of this region publishes a status list here"
            }
            ApiError::NotFound => "not found",
        }
    }
}

/// The `error` member of an error answer (and of a failed item of a batch answer).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ErrorBody {
    code: &'static str,
    message: &'static str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.body() });
        let mut response = (self.status(), Json(body)).into_response();
        if let ApiError::RateLimited(seconds) = self
            && let Ok(v) = HeaderValue::from_str(&seconds.max(1).to_string())
        {
            response.headers_mut().insert(RETRY_AFTER, v);
        }
        response
            .headers_mut()
            .insert("cache-control", HeaderValue::from_static("no-store"));
        response
    }
}
