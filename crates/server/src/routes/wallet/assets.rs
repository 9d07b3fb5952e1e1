//! The wallet's static files (`web/wallet/`, `web/vendor/`), built into the binary so that running
//! the platform needs no npm and no files beside it. Served with their content types and
//! `no-cache` (revalidated each time: a new binary's scripts are picked up at once; the service
//! worker keeps copies for offline use).

use axum::extract::Path;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

const JS: &str = "text/javascript; charset=utf-8";

/// `(name, content type, content)` of every asset under `/wallet/assets/`.
const ASSETS: [(&str, &str, &str); 5] = [
    (
        "wallet.css",
        "text/css; charset=utf-8",
        include_str!("../../../../../web/wallet/wallet.css"),
    ),
    (
        "wallet-db.js",
        JS,
        include_str!("../../../../../web/wallet/wallet-db.js"),
    ),
    (
        "claim.js",
        JS,
        include_str!("../../../../../web/wallet/claim.js"),
    ),
    (
        "card.js",
        JS,
        include_str!("../../../../../web/wallet/card.js"),
    ),
    (
        "edl-qr.js",
        JS,
        include_str!("../../../../../web/wallet/edl-qr.js"),
    ),
];

fn serve(content_type: &'static str, body: &'static str) -> Response {
    (
        [(CONTENT_TYPE, content_type), (CACHE_CONTROL, "no-cache")],
        body,
    )
        .into_response()
}

/// `GET /wallet/assets/{name}`.
pub(crate) async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, body)) => serve(content_type, body),
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}

/// `GET /wallet/vendor/qrcode-generator/qrcode.mjs`: the vendored QR encoder (MIT; see its
/// README in `web/vendor/qrcode-generator/`), imported by `edl-qr.js`.
pub(crate) async fn qrcode_generator() -> Response {
    serve(
        JS,
        include_str!("../../../../../web/vendor/qrcode-generator/qrcode.mjs"),
    )
}

/// `GET /wallet/vendor/jsbarcode/JsBarcode.code128.min.js`: the vendored Code 128 encoder (MIT;
/// see its README in `web/vendor/jsbarcode/`) for the card's 1-D barcode.
pub(crate) async fn jsbarcode() -> Response {
    serve(
        JS,
        include_str!("../../../../../web/vendor/jsbarcode/JsBarcode.code128.min.js"),
    )
}

/// `GET /wallet/sw.js`: the service worker (its path sets its scope: `/wallet/`).
pub(crate) async fn service_worker() -> Response {
    serve(JS, include_str!("../../../../../web/wallet/sw.js"))
}
