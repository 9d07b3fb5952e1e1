//! The holder's web wallet (`/wallet`): real-name account, the holder's licence, claiming
//! (申领) with a device key made in the browser, and the card (亮码). Decisions in
//! `docs/decisions/wallet.md`.

pub(crate) mod account;
pub(crate) mod assets;
pub(crate) mod licence;
pub(crate) mod share;
pub(crate) mod share_pdf;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use edl_store::{Account, Session, Store, StoreError};
use serde::Deserialize;

use crate::auth::{SESSION_COOKIE, cookie, token_from_hex, token_hash};
use crate::html::escape;
use crate::i18n::Lang;
use crate::startup::AppState;

/// The largest request body the wallet accepts (forms and claim requests are a few hundred bytes).
pub(crate) const MAX_BODY_BYTES: usize = 16 * 1024;

/// `?lang=` on any page.
#[derive(Debug, Deserialize)]
pub(crate) struct LangQuery {
    pub(crate) lang: Option<String>,
}

/// The wallet's routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/wallet", get(account::entry))
        .route("/wallet/register", post(account::register))
        .route("/wallet/login", post(account::login))
        .route("/wallet/logout", post(account::logout))
        .route("/wallet/licence", get(licence::page))
        .route("/wallet/card", get(licence::card))
        .route("/wallet/devices/{id}/withdraw", post(licence::withdraw))
        .route("/wallet/shares", post(share::create))
        .route("/wallet/shares/{id}/withdraw", post(share::withdraw))
        .route("/share/{token}", get(share::page))
        .route("/share/{token}/card.svg", get(share::image))
        .route("/share/{token}/card.pdf", get(share::pdf))
        .route("/wallet/api/licence", get(licence::display_data))
        .route("/wallet/api/claim/challenge", post(licence::challenge))
        .route("/wallet/api/claim", post(licence::claim))
        .route("/wallet/assets/{name}", get(assets::asset))
        .route(
            "/wallet/vendor/qrcode-generator/qrcode.mjs",
            get(assets::qrcode_generator),
        )
        .route(
            "/wallet/vendor/jsbarcode/JsBarcode.code128.min.js",
            get(assets::jsbarcode),
        )
        .route("/wallet/sw.js", get(assets::service_worker))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// A logged-in holder.
#[derive(Debug)]
pub(crate) struct Holder {
    /// The session (its CSRF token).
    pub(crate) session: Session,
    /// The hash of the session token (to end it).
    pub(crate) token_hash: [u8; 32],
    /// The account.
    pub(crate) account: Account,
}

/// The holder of the request's session cookie, if it names a live session.
pub(crate) async fn holder(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Holder>, StoreError> {
    let Some(token) = cookie(headers, SESSION_COOKIE).and_then(|t| token_from_hex(&t)) else {
        return Ok(None);
    };
    let hash = token_hash(&token);
    let Some(session) = state.store.session(&hash, state.clock.now()).await? else {
        return Ok(None);
    };
    let Some(account) = state.store.account(session.account_id).await? else {
        return Ok(None);
    };
    Ok(Some(Holder {
        session,
        token_hash: hash,
        account,
    }))
}

/// The database failed: a page that says so, without detail (the log has the error kind).
pub(crate) fn store_failure(lang: Lang, error: &StoreError) -> Response {
    tracing::error!(%error, "wallet: the registry failed");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Html(frame(
            lang,
            lang.t("暂不可用", "Unavailable"),
            "/wallet",
            &format!(
                "<section><h2>{}</h2></section>",
                lang.t(
                    "服务暂不可用，请稍后再试。",
                    "The service is unavailable; please try again later."
                )
            ),
        )),
    )
        .into_response()
}

/// The wallet's page frame: header, language switch, the body.
pub(crate) fn frame(lang: Lang, title: &str, path: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="{code}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="/wallet/assets/wallet.css">
</head>
<body>
<header><h1>{brand}</h1>{switch}</header>
<main>
{body}
</main>
</body>
</html>
"#,
        code = lang.code(),
        title = escape(title),
        brand = lang.t("电子驾驶证", "E-driving licence"),
        switch = lang.switch_link(path),
    )
}
