//! The scanner page (`/scanner`) for a verifier organisation's staff: the shell from
//! `web/scanner/index.html` filled with the session's CSRF token, the language, the organisation
//! and its purposes, and its scripts (built into the binary like the wallet's). The page reads the
//! holder's QR with the camera or from a photo, verifies online through `/scanner/api/verify`, and
//! offline with the material it cached (`web/scanner/README.md`).

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use edl_store::ConsoleRole;

use crate::html::escape;
use crate::i18n::Lang;
use crate::routes::console::{Refusal, see_other, staff, store_failure};
use crate::routes::wallet::LangQuery;
use crate::startup::AppState;

const JS: &str = "text/javascript; charset=utf-8";

/// `(name, content type, content)` of every asset under `/scanner/assets/`.
const ASSETS: [(&str, &str, &str); 3] = [
    (
        "scanner.css",
        "text/css; charset=utf-8",
        include_str!("../../../../web/scanner/scanner.css"),
    ),
    (
        "scanner.js",
        JS,
        include_str!("../../../../web/scanner/scanner.js"),
    ),
    (
        "edl-verify.js",
        JS,
        include_str!("../../../../web/scanner/edl-verify.js"),
    ),
];

/// The scanner page's routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/scanner", get(page))
        .route("/scanner/", get(page))
        .route("/scanner/assets/{name}", get(asset))
        .route("/scanner/vendor/jsqr/jsQR.js", get(jsqr))
        .route("/scanner/sw.js", get(service_worker))
}

fn serve(content_type: &'static str, body: &'static str) -> Response {
    (
        [(CONTENT_TYPE, content_type), (CACHE_CONTROL, "no-cache")],
        body,
    )
        .into_response()
}

/// `GET /scanner`: the page, for a verifier organisation's staff.
async fn page(
    State(state): State<AppState>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::of(query.lang.as_deref(), &headers);
    let s = match staff(&state, &headers).await {
        Ok(Some(s)) => s,
        Ok(None) => return see_other("/console"),
        Err(e) => return store_failure(lang, &e),
    };
    let Some(organisation) = s
        .organisation
        .as_ref()
        .filter(|_| s.role() == ConsoleRole::Verifier)
    else {
        return Refusal::Role.page(lang, Some(&s));
    };
    let purposes = serde_json::to_string(&organisation.organisation.purposes)
        .unwrap_or_else(|_| "[]".to_owned());
    let html = include_str!("../../../../web/scanner/index.html")
        .replace("__CSRF__", &escape(s.csrf()))
        .replace("__LANG__", lang.code())
        .replace("__ORG__", &escape(&organisation.organisation.name))
        // JSON inside <script type="application/json">: `<` cannot close the element.
        .replace("__PURPOSES__", &purposes.replace('<', "\\u003c"));
    ([(CACHE_CONTROL, "no-store")], Html(html)).into_response()
}

/// `GET /scanner/assets/{name}`.
async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, body)) => serve(content_type, body),
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}

/// `GET /scanner/vendor/jsqr/jsQR.js`: the vendored QR decoder (Apache-2.0; see its README in
/// `web/vendor/jsqr/`).
async fn jsqr() -> Response {
    serve(JS, include_str!("../../../../web/vendor/jsqr/jsQR.js"))
}

/// `GET /scanner/sw.js`: the scanner's service worker (scope `/scanner/`).
async fn service_worker() -> Response {
    serve(JS, include_str!("../../../../web/scanner/scanner-sw.js"))
}
