//! 分享: a purpose-bound, time-limited copy of the licence for a third party (a car-rental desk,
//! an employer, an insurer). The holder picks the purpose and the expiry and gets a link, shown
//! once (only its hash is stored); the page behind it shows what the purpose discloses, from the
//! registry as it is now, under a watermark naming the purpose and the expiry, and an SVG image and
//! a PDF of the same to download (the PDF is drawn in `share_pdf.rs`). Expired or withdrawn links
//! are refused. Every opening and every download is recorded for the holder's "who checked my
//! licence".

use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use edl_domain::{DisplayState, FileNumber, format_date};
use edl_mdoc::Purpose;
use edl_mdoc::elements::element;
use edl_mdoc::{CN_NAMESPACE, ISO_NAMESPACE};
use edl_store::{NewCheckEvent, NewShare, Share, Store};
use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use super::share_pdf::{ShareCard, share_pdf};
use super::{LangQuery, frame, holder, store_failure};
use crate::auth::{hex, random_token, same, token_from_hex, token_hash};
use crate::html::escape;
use crate::i18n::Lang;
use crate::startup::AppState;

/// The longest a share may live.
pub(crate) const MAX_SHARE_DAYS: i64 = 30;

/// The share form.
#[derive(Debug, Deserialize)]
pub(crate) struct ShareForm {
    purpose: String,
    days: i64,
    csrf: String,
}

/// The withdrawal form.
#[derive(Debug, Deserialize)]
pub(crate) struct WithdrawForm {
    csrf: String,
}

/// What a share page shows: (label, mdoc namespace, identifier, the card data's key).
const SHOWN: [(&str, &str, &str, &str); 15] = [
    (
        "姓名",
        ISO_NAMESPACE,
        "family_name_national_character",
        "name",
    ),
    ("性别", ISO_NAMESPACE, "sex", "sex"),
    ("国籍", ISO_NAMESPACE, "nationality", "nationality"),
    ("出生日期", ISO_NAMESPACE, "birth_date", "birth_date"),
    ("证号", ISO_NAMESPACE, "document_number", "document_number"),
    ("准驾车型", CN_NAMESPACE, "driving_classes", "classes"),
    (
        "初次领证日期",
        CN_NAMESPACE,
        "first_issue_date",
        "first_issue_date",
    ),
    ("有效期起始日期", ISO_NAMESPACE, "issue_date", "valid_from"),
    (
        "有效期截止日期",
        ISO_NAMESPACE,
        "expiry_date",
        "valid_until",
    ),
    ("档案编号", CN_NAMESPACE, "file_number", "file_number"),
    ("状态", CN_NAMESPACE, "status_letters", "status"),
    ("累积记分", CN_NAMESPACE, "points", "points"),
    ("住址", ISO_NAMESPACE, "resident_address", "address"),
    (
        "发证机关",
        CN_NAMESPACE,
        "issuing_authority_name",
        "authority",
    ),
    ("照片", ISO_NAMESPACE, "portrait", "portrait_jpeg_hex"),
];

fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to.to_owned())]).into_response()
}

/// `POST /wallet/shares`: makes a share and shows its link once.
pub(crate) async fn create(
    State(state): State<AppState>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<ShareForm>,
) -> Response {
    let lang = Lang::of(query.lang.as_deref(), &headers);
    let holder = match holder(&state, &headers).await {
        Ok(Some(h)) => h,
        Ok(None) => return see_other("/wallet"),
        Err(e) => return store_failure(lang, &e),
    };
    if !same(&form.csrf, &holder.session.csrf_token) {
        return (StatusCode::FORBIDDEN, "CSRF token missing or wrong").into_response();
    }
    let Ok(purpose) = Purpose::parse(&form.purpose) else {
        return (StatusCode::UNPROCESSABLE_ENTITY, "unknown purpose").into_response();
    };
    if !(1..=MAX_SHARE_DAYS).contains(&form.days) {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            "a share lasts 1 to 30 days",
        )
            .into_response();
    }
    let token = random_token();
    let now = state.clock.now();
    let share = NewShare {
        token_hash: token_hash(&token),
        account_id: holder.account.id,
        file_number: holder.account.file_number.clone(),
        purpose: purpose.as_str().to_owned(),
        created_at: now,
        expires_at: now + Duration::days(form.days),
    };
    if let Err(e) = state.store.insert_share(&share).await {
        return store_failure(lang, &e);
    }
    let link = format!("/share/{}", hex(&token));
    let body = format!(
        r#"<section><h2>{title}</h2>
<p>{purpose_label}: <b>{purpose}</b> · {until_label} <b>{until}</b></p>
<p><a id="share-link" href="{link}">{link}</a></p>
<p class="muted">{once}</p>
<p><a href="/wallet/licence">{back}</a></p></section>"#,
        title = lang.t("分享链接已生成", "Share link made"),
        purpose_label = lang.t("用途", "Purpose"),
        purpose = escape(purpose.name_zh()),
        until_label = lang.t("有效期至", "valid until"),
        until = escape(&beijing(share.expires_at)),
        once = lang.t(
            "链接只显示这一次：请现在复制发给对方。到期或撤回后链接失效。",
            "The link is shown only this once: copy it now. It stops working at expiry or when withdrawn."
        ),
        back = lang.t("返回我的驾驶证", "Back to my licence"),
    );
    Html(frame(
        lang,
        lang.t("分享", "Share"),
        "/wallet/licence",
        &body,
    ))
    .into_response()
}

/// `POST /wallet/shares/{id}/withdraw`.
pub(crate) async fn withdraw(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<WithdrawForm>,
) -> Response {
    let lang = Lang::of(query.lang.as_deref(), &headers);
    let holder = match holder(&state, &headers).await {
        Ok(Some(h)) => h,
        Ok(None) => return see_other("/wallet"),
        Err(e) => return store_failure(lang, &e),
    };
    if !same(&form.csrf, &holder.session.csrf_token) {
        return (StatusCode::FORBIDDEN, "CSRF token missing or wrong").into_response();
    }
    match state
        .store
        .withdraw_share(id, holder.account.id, state.clock.now())
        .await
    {
        Ok(true) => see_other("/wallet/licence"),
        Ok(false) => (StatusCode::NOT_FOUND, "no such share").into_response(),
        Err(e) => store_failure(lang, &e),
    }
}

fn beijing(t: OffsetDateTime) -> String {
    let offset = time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC);
    let t = t.to_offset(offset);
    format!(
        "{} {:02}:{:02}",
        format_date(t.date()),
        t.hour(),
        t.minute()
    )
}

/// The holder's shares and the record of checks, for the licence page.
pub(crate) async fn holder_sections(
    state: &AppState,
    lang: Lang,
    account_id: i64,
    file_number: &FileNumber,
    csrf: &str,
) -> Result<String, edl_store::StoreError> {
    let now = state.clock.now();
    let shares = state.store.shares(account_id).await?;
    let rows: String = shares
        .iter()
        .map(|s| {
            let purpose = Purpose::parse(&s.share.purpose).map_or("?", |p| p.name_zh());
            let state_text = if s.withdrawn_at.is_some() {
                lang.t("已撤回", "withdrawn")
            } else if s.share.expires_at <= now {
                lang.t("已过期", "expired")
            } else {
                lang.t("有效", "active")
            };
            let action = if s.withdrawn_at.is_none() && s.share.expires_at > now {
                format!(
                    r#"<form method="post" action="/wallet/shares/{}/withdraw"><input type="hidden" name="csrf" value="{}"><button type="submit" class="withdraw">{}</button></form>"#,
                    s.id,
                    escape(csrf),
                    lang.t("撤回", "Withdraw")
                )
            } else {
                String::new()
            };
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{state_text}</td><td>{action}</td></tr>",
                escape(purpose),
                escape(&beijing(s.share.created_at)),
                escape(&beijing(s.share.expires_at)),
            )
        })
        .collect();
    let options: String = edl_mdoc::purpose::PURPOSES
        .iter()
        .filter(|p| !matches!(p, Purpose::Roadside | Purpose::BusinessWindow))
        .map(|p| format!(r#"<option value="{}">{}</option>"#, p.as_str(), p.name_zh()))
        .collect();
    let events = state.store.check_events(file_number, 50).await?;
    let checks: String = events
        .iter()
        .map(|e| {
            let purpose =
                Purpose::parse(&e.event.purpose).map_or(e.event.purpose.as_str(), |p| p.name_zh());
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&beijing(e.event.at)),
                escape(&e.event.verifier),
                escape(purpose),
                escape(&e.event.channel),
                escape(&e.event.result)
            )
        })
        .collect();
    Ok(format!(
        r#"<section id="shares"><h2>{title}</h2>
<form method="post" action="/wallet/shares" id="share-form">
  <input type="hidden" name="csrf" value="{csrf}">
  <label>{purpose_label} <select name="purpose">{options}</select></label>
  <label>{days_label} <input name="days" type="number" min="1" max="30" value="7" required></label>
  <button type="submit">{make}</button>
</form>
<table><tr><th>{purpose_label}</th><th>{made}</th><th>{until}</th><th>{state_label}</th><th></th></tr>{rows}</table></section>
<section id="checks"><h2>{checks_title}</h2><table><tr><th>{when}</th><th>{who}</th><th>{purpose_label}</th><th>{how}</th><th>{result}</th></tr>{checks}</table></section>"#,
        title = lang.t("分享", "Share"),
        csrf = escape(csrf),
        purpose_label = lang.t("用途", "Purpose"),
        days_label = lang.t("有效天数", "Days valid"),
        make = lang.t("生成分享链接", "Make a share link"),
        made = lang.t("生成时间", "Made"),
        until = lang.t("有效期至", "Valid until"),
        state_label = lang.t("状态", "State"),
        checks_title = lang.t("谁查验了我的驾驶证", "Who checked my licence"),
        when = lang.t("时间", "When"),
        who = lang.t("查验方", "Who"),
        how = lang.t("方式", "How"),
        result = lang.t("结果", "Result"),
    ))
}

/// Why a share link is not honoured.
enum Refusal {
    Unknown,
    Withdrawn,
    Expired(OffsetDateTime),
}

async fn live_share(
    state: &AppState,
    token: &str,
) -> Result<Result<Share, Refusal>, edl_store::StoreError> {
    let Some(token) = token_from_hex(token) else {
        return Ok(Err(Refusal::Unknown));
    };
    let Some(share) = state.store.share_by_token(&token_hash(&token)).await? else {
        return Ok(Err(Refusal::Unknown));
    };
    if share.withdrawn_at.is_some() {
        return Ok(Err(Refusal::Withdrawn));
    }
    if share.share.expires_at <= state.clock.now() {
        return Ok(Err(Refusal::Expired(share.share.expires_at)));
    }
    Ok(Ok(share))
}

fn refused(lang: Lang, refusal: &Refusal) -> Response {
    let (status, text) = match refusal {
        Refusal::Unknown => (
            StatusCode::NOT_FOUND,
            lang.t("没有这个分享链接。", "There is no such share link.")
                .to_owned(),
        ),
        Refusal::Withdrawn => (
            StatusCode::GONE,
            lang.t("持证人已撤回此分享。", "The holder withdrew this share.")
                .to_owned(),
        ),
        Refusal::Expired(at) => (
            StatusCode::GONE,
            format!(
                "{} {}",
                lang.t("此分享已于以下时间过期：", "This share expired at"),
                beijing(*at)
            ),
        ),
    };
    (
        status,
        Html(frame(
            lang,
            lang.t("分享已失效", "Share refused"),
            "/wallet",
            &format!(
                r#"<section><h2 class="error" id="refused">{}</h2></section>"#,
                escape(&text)
            ),
        )),
    )
        .into_response()
}

/// The fields the share's purpose discloses, from the registry now, and whether the licence is
/// valid for driving.
async fn shown(
    state: &AppState,
    share: &Share,
) -> Result<Option<(Vec<(&'static str, String)>, bool)>, edl_store::StoreError> {
    let Some(stored) = state.store.licence(&share.share.file_number).await? else {
        return Ok(None);
    };
    let today = state.clock.today();
    let data = super::licence::display(&stored.licence, today);
    let purpose = Purpose::parse(&share.share.purpose).unwrap_or(Purpose::CarRental);
    let fields = SHOWN
        .iter()
        .filter(|(_, ns, id, _)| element(ns, id).is_some_and(|e| purpose.discloses(e)))
        .map(|(label, _, _, key)| {
            let value = &data[*key];
            (
                *label,
                value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_owned),
            )
        })
        .collect();
    Ok(Some((
        fields,
        stored.licence.display_state(today) == DisplayState::BlackQr,
    )))
}

async fn record(state: &AppState, share: &Share, valid: bool) {
    let event = NewCheckEvent {
        file_number: share.share.file_number.clone(),
        at: state.clock.now(),
        verifier: "分享链接 share link".into(),
        purpose: share.share.purpose.clone(),
        channel: "share".into(),
        result: if valid { "valid" } else { "not_valid" }.into(),
    };
    if let Err(error) = state.store.insert_check_event(&event).await {
        tracing::error!(%error, "share: the check could not be recorded");
    }
}

/// A live share opened by its link: what it discloses now, its opening recorded.
struct Opened {
    share: Share,
    purpose: Purpose,
    /// (label, value) of each field the purpose discloses; the portrait as hex under "照片".
    fields: Vec<(&'static str, String)>,
    /// Whether the licence is valid for driving.
    valid: bool,
}

/// What the page, the image and the PDF do first: find the live share (or the refusal to send:
/// 404 unknown, 410 withdrawn or expired), read what its purpose discloses from the registry, and
/// record the opening as a check.
async fn open(state: &AppState, token: &str, lang: Lang) -> Result<Opened, Response> {
    let share = match live_share(state, token).await {
        Ok(Ok(s)) => s,
        Ok(Err(r)) => return Err(refused(lang, &r)),
        Err(e) => return Err(store_failure(lang, &e)),
    };
    let (fields, valid) = match shown(state, &share).await {
        Ok(Some(shown)) => shown,
        Ok(None) => return Err(refused(lang, &Refusal::Unknown)),
        Err(e) => return Err(store_failure(lang, &e)),
    };
    record(state, &share, valid).await;
    let purpose = Purpose::parse(&share.share.purpose).unwrap_or(Purpose::CarRental);
    Ok(Opened {
        share,
        purpose,
        fields,
        valid,
    })
}

/// The verdict line of the page and the PDF.
fn verdict(lang: Lang, valid: bool) -> &'static str {
    if valid {
        lang.t("驾驶证状态正常", "the licence is valid for driving")
    } else {
        lang.t(
            "驾驶证状态异常，不能驾驶",
            "the licence is NOT valid for driving",
        )
    }
}

/// `GET /share/{token}`: the shared licence, watermarked, for anyone with the link.
pub(crate) async fn page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::of(query.lang.as_deref(), &headers);
    let Opened {
        share,
        purpose,
        fields,
        valid,
    } = match open(&state, &token, lang).await {
        Ok(opened) => opened,
        Err(refusal) => return refusal,
    };
    let mark = watermark(purpose, share.share.expires_at);
    let rows: String = fields
        .iter()
        .map(|(label, value)| {
            if *label == "照片" {
                format!(r#"<tr><th>{label}</th><td><img class="photo" alt="照片" src="data:image/jpeg;base64,{}"></td></tr>"#, base64(value))
            } else {
                format!("<tr><th>{}</th><td>{}</td></tr>", escape(label), escape(value))
            }
        })
        .collect();
    let body = format!(
        r#"<section class="shared" id="shared" data-purpose="{purpose_code}">
<div class="watermark" aria-hidden="true">{marks}</div>
<h2>{title}</h2>
<p id="share-purpose">{purpose_label}: <b>{purpose_zh}</b> · {until_label} <b>{until}</b> · <b class="{verdict_class}">{verdict}</b></p>
<table class="fields">{rows}</table>
<p><a id="share-svg" href="/share/{token}/card.svg" download="licence-share.svg">{download}</a> · <a id="share-pdf" href="/share/{token}/card.pdf" download="licence-share.pdf">{download_pdf}</a></p>
</section>"#,
        purpose_code = purpose.as_str(),
        marks = std::iter::repeat_n(escape(&mark), 24)
            .collect::<Vec<_>>()
            .join(" · "),
        title = lang.t("电子驾驶证（分享件）", "E-driving licence (shared copy)"),
        purpose_label = lang.t("用途", "Purpose"),
        purpose_zh = escape(purpose.name_zh()),
        until_label = lang.t("有效期至", "valid until"),
        until = escape(&beijing(share.share.expires_at)),
        verdict_class = if valid { "ok" } else { "error" },
        verdict = verdict(lang, valid),
        token = escape(&token),
        download = lang.t("下载图片", "Download the image"),
        download_pdf = lang.t("下载 PDF", "Download the PDF"),
    );
    (
        [(CACHE_CONTROL, "no-store")],
        Html(frame(
            lang,
            lang.t("电子驾驶证分享", "Shared e-licence"),
            "/wallet",
            &body,
        )),
    )
        .into_response()
}

fn watermark(purpose: Purpose, expires_at: OffsetDateTime) -> String {
    format!(
        "仅供{}使用 有效期至{}",
        purpose.name_zh(),
        beijing(expires_at)
    )
}

/// `GET /share/{token}/card.svg`: the same as an image, with the watermark across it.
pub(crate) async fn image(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::of(None, &headers);
    let Opened {
        share,
        purpose,
        fields,
        ..
    } = match open(&state, &token, lang).await {
        Ok(opened) => opened,
        Err(refusal) => return refusal,
    };
    let mark = escape(&watermark(purpose, share.share.expires_at));
    let mut lines = String::new();
    let mut y = 110;
    for (label, value) in &fields {
        if *label == "照片" {
            lines.push_str(&format!(
                r#"<image x="460" y="80" width="120" height="160" href="data:image/jpeg;base64,{}"/>"#,
                base64(value)
            ));
            continue;
        }
        lines.push_str(&format!(
            r##"<text x="30" y="{y}" font-size="16" fill="#5b6b7b">{}</text><text x="160" y="{y}" font-size="16" font-weight="bold" fill="#1b2733">{}</text>"##,
            escape(label),
            escape(value)
        ));
        y += 28;
    }
    let height = y + 40;
    let marks: String = (0..8)
        .map(|i| {
            format!(
                r##"<text x="{}" y="{}" font-size="22" fill="#b3261e" fill-opacity="0.18" transform="rotate(-30 300 {})">{mark}</text>"##,
                -100,
                60 + i * 70,
                60 + i * 70
            )
        })
        .collect();
    let svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="620" height="{height}" viewBox="0 0 620 {height}" font-family="Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif">
<rect width="620" height="{height}" fill="#fbfcf7" stroke="#c8d3bd" stroke-width="2"/>
<text x="30" y="45" font-size="20" font-weight="bold" fill="#1b2733">电子驾驶证（分享件）· {purpose}</text>
<text x="30" y="72" font-size="14" fill="#b3261e">{mark}</text>
{lines}{marks}
</svg>
"##,
        purpose = escape(purpose.name_zh()),
    );
    (
        [
            (CONTENT_TYPE, "image/svg+xml; charset=utf-8"),
            (CACHE_CONTROL, "no-store"),
            (
                CONTENT_DISPOSITION,
                "attachment; filename=\"licence-share.svg\"",
            ),
        ],
        svg,
    )
        .into_response()
}

/// `GET /share/{token}/card.pdf`: the same as a one-page PDF, with the watermark across it and,
/// when the service knows its public URL, a QR code of the share page.
pub(crate) async fn pdf(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::of(None, &headers);
    let Opened {
        share,
        purpose,
        fields,
        valid,
    } = match open(&state, &token, lang).await {
        Ok(opened) => opened,
        Err(refusal) => return refusal,
    };
    let expires = beijing(share.share.expires_at);
    let mark = watermark(purpose, share.share.expires_at);
    let title = format!("电子驾驶证（分享件）· {}", purpose.name_zh());
    let expiry = format!("分享链接有效期至 {expires}（北京时间），到期或持证人撤回后失效。");
    let portrait = fields
        .iter()
        .find(|(label, _)| *label == "照片")
        .map(|(_, value)| hex_bytes(value));
    let text_fields: Vec<(&str, String)> = fields
        .into_iter()
        .filter(|(label, _)| *label != "照片")
        .collect();
    let link = state.issuer.as_ref().map(|issuer| {
        format!(
            "{}/share/{}",
            issuer.public_url.trim_end_matches('/'),
            token.to_ascii_lowercase()
        )
    });
    let card = ShareCard {
        title: &title,
        watermark: &mark,
        verdict: verdict(Lang::Zh, valid),
        valid,
        expiry: &expiry,
        fields: &text_fields,
        portrait_jpeg: portrait.as_deref(),
        link: link.as_deref(),
        link_caption: "扫码打开在线分享页，查看登记机关的当前信息；到期或撤回后失效。",
    };
    match share_pdf(&card) {
        Ok(bytes) => (
            [
                (CONTENT_TYPE, "application/pdf"),
                (CACHE_CONTROL, "no-store"),
                (
                    CONTENT_DISPOSITION,
                    "attachment; filename=\"licence-share.pdf\"",
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "share: the PDF could not be made");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the PDF could not be made",
            )
                .into_response()
        }
    }
}

/// The bytes behind a hex string (the portrait in the card data).
fn hex_bytes(hex_text: &str) -> Vec<u8> {
    (0..hex_text.len() / 2)
        .filter_map(|i| u8::from_str_radix(hex_text.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// Standard base64 (RFC 4648) of the bytes behind a hex string (the portrait in the card data).
fn base64(hex_text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(hex_bytes(hex_text))
}
