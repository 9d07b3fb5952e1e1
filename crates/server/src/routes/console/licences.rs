//! Looking up a licence of the operator's own authority and changing it: status letters (暂扣,
//! 吊销, restore …), points (reaching 12 sets 超分), renewal or class change (换证). Every change goes
//! through `edl_app::changes::apply_change`, which appends who, when and why to the licence's
//! append-only history; online verification reads the registry at once, and the published status
//! list is re-signed from the history's newest entry.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use edl_app::changes::{Actor, Change, ChangeError, Reason, apply_change};
use edl_domain::{
    CitizenId, ClassSet, DisplayState, FileNumber, Licence, PointValue, StatusLetter, StatusSet,
    ValidityEnd,
};
use edl_store::{ConsoleRole, Store, StoredLicence};
use serde::Deserialize;

use super::{Refusal, Staff, frame, see_other, staff, store_failure};
use crate::html::escape;
use crate::i18n::Lang;
use crate::startup::AppState;

/// `?q=` (a 证号 or a 档案编号) and `?lang=`.
#[derive(Debug, Deserialize)]
pub(crate) struct SearchQuery {
    q: Option<String>,
    lang: Option<String>,
}

/// `?lang=` and the outcome of the last change (`?done=`).
#[derive(Debug, Deserialize)]
pub(crate) struct PageQuery {
    lang: Option<String>,
    done: Option<String>,
}

/// The status form.
#[derive(Debug, Deserialize)]
pub(crate) struct StatusForm {
    csrf: String,
    /// A preset's button (`status=D`), when one was pressed.
    #[serde(default)]
    status: Option<String>,
    /// The letters typed, when the plain submit button was pressed.
    #[serde(default)]
    letters: Option<String>,
    reason: String,
}

/// The points form.
#[derive(Debug, Deserialize)]
pub(crate) struct PointsForm {
    csrf: String,
    points: String,
    on: String,
    reason: String,
}

/// The renewal form.
#[derive(Debug, Deserialize)]
pub(crate) struct RenewForm {
    csrf: String,
    until: String,
    classes: String,
    reason: String,
}

/// Whether `staff` may read `licence`: an operator or auditor of its authority.
pub(crate) fn may_read(staff: &Staff, licence: &Licence) -> Result<(), Refusal> {
    match staff.role() {
        ConsoleRole::Operator | ConsoleRole::Auditor => {}
        ConsoleRole::Platform | ConsoleRole::Verifier => return Err(Refusal::Role),
    }
    match &staff.authority {
        Some(a) if a.authority.name == licence.authority().name => Ok(()),
        _ => Err(Refusal::OutsideAuthority),
    }
}

/// Whether `staff` may change `licence`: an operator of its authority.
pub(crate) fn may_change(staff: &Staff, licence: &Licence) -> Result<(), Refusal> {
    may_read(staff, licence)?;
    if staff.role() == ConsoleRole::Operator {
        Ok(())
    } else {
        Err(Refusal::Role)
    }
}

fn state_label(lang: Lang, state: DisplayState) -> &'static str {
    match state {
        DisplayState::BlackQr => lang.t("正常（黑码）", "Normal (black code)"),
        DisplayState::RedQr => lang.t("受限（红码）", "Restricted (red code)"),
        DisplayState::Invalid => lang.t("无效", "Invalid"),
        DisplayState::NotDisplayed => lang.t("不再显示", "No longer shown"),
    }
}

/// A name as lists show it: the first character, then one `*` per character.
fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|first| std::iter::once(first).chain(chars.map(|_| '*')).collect())
        .unwrap_or_default()
}

fn status_text(status: StatusSet) -> String {
    status
        .iter()
        .map(|l| format!("{} {}", l.letter(), l.name_zh()))
        .collect::<Vec<_>>()
        .join("、")
}

/// `GET /console/licences?q=`: search by 证号 or 档案编号, the operator's own authority only;
/// results are masked.
pub(crate) async fn search(
    State(state): State<AppState>,
    Query(query): Query<SearchQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::of(query.lang.as_deref(), &headers);
    let s = match staff(&state, &headers).await {
        Ok(Some(s)) => s,
        Ok(None) => return Refusal::NotLoggedIn.page(lang, None),
        Err(e) => return store_failure(lang, &e),
    };
    if !matches!(s.role(), ConsoleRole::Operator | ConsoleRole::Auditor) {
        return Refusal::Role.page(lang, Some(&s));
    }
    let q = query.q.as_deref().map(str::trim).unwrap_or_default();
    let mut status = StatusCode::OK;
    let results = if q.is_empty() {
        String::new()
    } else {
        let found: Result<Vec<StoredLicence>, _> = if let Ok(n) = FileNumber::parse(q) {
            state
                .store
                .licence(&n)
                .await
                .map(|l| l.into_iter().collect())
        } else if let Ok(cid) = CitizenId::parse(&q.to_ascii_uppercase()) {
            state.store.licences_by_citizen_id(&cid).await
        } else {
            status = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(Vec::new())
        };
        let found = match found {
            Ok(f) => f,
            Err(e) => return store_failure(lang, &e),
        };
        let total = found.len();
        let own: Vec<&StoredLicence> = found
            .iter()
            .filter(|l| may_read(&s, &l.licence).is_ok())
            .collect();
        if status == StatusCode::UNPROCESSABLE_ENTITY {
            format!(
                r#"<p class="error" role="alert" data-code="bad_query">{}</p>"#,
                lang.t(
                    "请输入 18 位证号（身份证号码）或 12 位档案编号。",
                    "Enter an 18-character licence number (citizen ID) or a 12-digit file number."
                )
            )
        } else if own.is_empty() {
            if total > 0 {
                status = StatusCode::FORBIDDEN;
                format!(
                    r#"<p class="error" role="alert" data-code="outside_authority">{}</p>"#,
                    lang.t(
                        "没有属于您的发证机关的驾驶证与之匹配。",
                        "No licence of your issuing authority matches."
                    )
                )
            } else {
                status = StatusCode::NOT_FOUND;
                format!(
                    r#"<p class="muted" data-code="not_found">{}</p>"#,
                    lang.t("未找到驾驶证。", "No licence found.")
                )
            }
        } else {
            let today = state.clock.today();
            let rows = own
                .iter()
                .map(|l| {
                    let licence = &l.licence;
                    format!(
                        r#"<tr><td><a href="/console/licences/{fn_}">{fn_masked}</a></td><td>{name}</td><td>{cid}</td><td>{classes}</td><td>{status}</td><td>{state}</td></tr>"#,
                        fn_ = licence.file_number().as_str(),
                        fn_masked = escape(&licence.file_number().masked()),
                        name = escape(&mask_name(licence.name().as_str())),
                        cid = escape(&licence.citizen_id().masked()),
                        classes = licence.classes(),
                        status = licence.status(),
                        state = state_label(lang, licence.display_state(today)),
                    )
                })
                .collect::<String>();
            format!(
                r#"<table id="results"><thead><tr><th>{h_fn}</th><th>{h_name}</th><th>{h_cid}</th><th>{h_classes}</th><th>{h_status}</th><th>{h_state}</th></tr></thead><tbody>{rows}</tbody></table>"#,
                h_fn = lang.t("档案编号", "File number"),
                h_name = lang.t("姓名", "Name"),
                h_cid = lang.t("证号", "Licence number"),
                h_classes = lang.t("准驾车型", "Classes"),
                h_status = lang.t("状态", "Status"),
                h_state = lang.t("电子证显示", "E-licence shows"),
            )
        }
    };
    let body = format!(
        r#"<section>
  <h2>{title}</h2>
  <form method="get" action="/console/licences" class="row" id="search">
    <input name="q" value="{q}" maxlength="18" placeholder="{placeholder}" aria-label="{placeholder}" autocomplete="off">
    <button type="submit">{find}</button>
  </form>
  {results}
</section>"#,
        title = lang.t("查询驾驶证", "Find a licence"),
        q = escape(q),
        placeholder = lang.t("证号或档案编号", "Licence number or file number"),
        find = lang.t("查询", "Search"),
    );
    (
        status,
        Html(frame(
            lang,
            lang.t("驾驶证", "Licences"),
            "/console/licences",
            Some(&s),
            &body,
        )),
    )
        .into_response()
}

/// The staff member and the licence, once the role and the authority allow it.
async fn load(
    state: &AppState,
    headers: &HeaderMap,
    lang: Lang,
    file_number: &str,
    change: bool,
) -> Result<(Staff, StoredLicence), Response> {
    let s = match staff(state, headers).await {
        Ok(Some(s)) => s,
        Ok(None) => return Err(Refusal::NotLoggedIn.page(lang, None)),
        Err(e) => return Err(store_failure(lang, &e)),
    };
    let Ok(n) = FileNumber::parse(file_number) else {
        return Err(Refusal::NotFound.page(lang, Some(&s)));
    };
    let stored = match state.store.licence(&n).await {
        Ok(Some(l)) => l,
        Ok(None) => return Err(Refusal::NotFound.page(lang, Some(&s))),
        Err(e) => return Err(store_failure(lang, &e)),
    };
    let allowed = if change {
        may_change(&s, &stored.licence)
    } else {
        may_read(&s, &stored.licence)
    };
    if let Err(refusal) = allowed {
        tracing::warn!(
            user_id = s.user.id,
            code = refusal.code(),
            "console: refused access to a licence"
        );
        return Err(refusal.page(lang, Some(&s)));
    }
    Ok((s, stored))
}

/// `GET /console/licences/{file_number}`: the licence, its history and (for operators) the
/// change forms.
pub(crate) async fn page(
    State(state): State<AppState>,
    Path(file_number): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::of(query.lang.as_deref(), &headers);
    let (s, stored) = match load(&state, &headers, lang, &file_number, false).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    render(
        &state,
        lang,
        &s,
        &stored.licence,
        query.done.as_deref(),
        None,
        StatusCode::OK,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn render(
    state: &AppState,
    lang: Lang,
    s: &Staff,
    licence: &Licence,
    done: Option<&str>,
    error: Option<(&str, String)>,
    status: StatusCode,
) -> Response {
    let history = match state.store.history(licence.file_number()).await {
        Ok(h) => h,
        Err(e) => return store_failure(lang, &e),
    };
    let credentials = match state.store.credentials(licence.file_number()).await {
        Ok(c) => c,
        Err(e) => return store_failure(lang, &e),
    };
    let today = state.clock.today();
    let display = licence.display_state(today);
    let notice = match (done, &error) {
        (_, Some((code, text))) => format!(
            r#"<p class="error" role="alert" data-code="{code}">{}</p>"#,
            escape(text)
        ),
        (Some(_), None) => format!(
            r#"<p class="notice" role="status" data-code="changed">{}</p>"#,
            lang.t(
                "已更改并记入历史。在线核验即时生效，离线核验在下次同步状态列表后生效。",
                "Changed and recorded in the history. Online verification sees it at once, offline verifiers at their next status-list sync."
            )
        ),
        (None, None) => String::new(),
    };
    let rows = [
        (
            lang.t("档案编号", "File number"),
            licence.file_number().as_str().to_owned(),
        ),
        (lang.t("姓名", "Name"), licence.name().as_str().to_owned()),
        (
            lang.t("证号", "Licence number"),
            licence.citizen_id().as_str().to_owned(),
        ),
        (lang.t("准驾车型", "Classes"), licence.classes().to_string()),
        (
            lang.t("有效期限", "Valid"),
            format!(
                "{} — {}",
                licence.validity().start(),
                licence.validity().end()
            ),
        ),
        (
            lang.t("发证机关", "Issuing authority"),
            licence.authority().name.as_str().to_owned(),
        ),
        (lang.t("状态", "Status"), status_text(licence.status())),
        (
            lang.t("累积记分", "Points"),
            format!("{} / 12", licence.points_as_of(today)),
        ),
        (
            lang.t("电子证显示", "E-licence shows"),
            state_label(lang, display).to_owned(),
        ),
        (
            lang.t("已申领设备", "Claimed devices"),
            credentials
                .iter()
                .filter(|c| c.withdrawn_at.is_none())
                .count()
                .to_string(),
        ),
    ]
    .iter()
    .map(|(k, v)| format!("<tr><th>{}</th><td>{}</td></tr>", escape(k), escape(v)))
    .collect::<String>();
    let history_rows = history
        .iter()
        .rev()
        .map(|h| {
            format!(
                "<tr><td>{at}</td><td>{actor}</td><td>{kind}</td><td>{reason}</td><td><code>{before}</code> → <code>{after}</code></td></tr>",
                at = h.at.to_offset(time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC)).format(&time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]")).unwrap_or_default(),
                actor = escape(&h.actor),
                kind = h.kind.as_str(),
                reason = escape(&h.reason),
                before = escape(&h.before),
                after = escape(&h.after),
            )
        })
        .collect::<String>();
    let forms = if may_change(s, licence).is_ok() {
        change_forms(lang, s, licence)
    } else {
        format!(
            r#"<p class="muted">{}</p>"#,
            lang.t(
                "审计员只能查看，不能更改。",
                "Auditors read; they cannot change."
            )
        )
    };
    let body = format!(
        r#"{notice}
<section>
  <h2>{title} <small>{fn_masked}</small></h2>
  <table class="kv" id="licence" data-status="{status}" data-display="{display_code}">{rows}</table>
</section>
<section>
  <h2>{change_title}</h2>
  {forms}
</section>
<section>
  <h2>{history_title} <small>{history_hint}</small></h2>
  <table id="history"><thead><tr><th>{h_at}</th><th>{h_actor}</th><th>{h_kind}</th><th>{h_reason}</th><th>{h_change}</th></tr></thead><tbody>{history_rows}</tbody></table>
</section>"#,
        title = lang.t("驾驶证", "Licence"),
        fn_masked = escape(&licence.file_number().masked()),
        status = licence.status(),
        display_code = match display {
            DisplayState::BlackQr => "black",
            DisplayState::RedQr => "red",
            DisplayState::Invalid => "invalid",
            DisplayState::NotDisplayed => "not_displayed",
        },
        change_title = lang.t("变更", "Change"),
        history_title = lang.t("变更历史", "History"),
        history_hint = lang.t("只增不改（北京时间）", "append-only (Beijing time)"),
        h_at = lang.t("时间", "When"),
        h_actor = lang.t("经办人", "Who"),
        h_kind = lang.t("类型", "Kind"),
        h_reason = lang.t("原因", "Why"),
        h_change = lang.t("变更内容", "Change"),
    );
    let path = format!("/console/licences/{}", licence.file_number().as_str());
    (
        status,
        Html(frame(
            lang,
            lang.t("驾驶证", "Licence"),
            &path,
            Some(s),
            &body,
        )),
    )
        .into_response()
}

fn change_forms(lang: Lang, s: &Staff, licence: &Licence) -> String {
    let base = format!("/console/licences/{}", licence.file_number().as_str());
    let current = licence.status();
    let suspend = current.without(StatusLetter::A).with(StatusLetter::D);
    let presets = [
        (StatusSet::NORMAL, lang.t("恢复正常 (A)", "Restore to normal (A)")),
        (suspend, lang.t("暂扣 (D)", "Suspend (D)")),
        (
            StatusSet::NORMAL.without(StatusLetter::A).with(StatusLetter::F),
            lang.t("吊销 (F)", "Revoke (F)"),
        ),
        (
            StatusSet::NORMAL.without(StatusLetter::A).with(StatusLetter::G),
            lang.t("注销 (G)", "Cancel (G)"),
        ),
    ]
    .iter()
    .map(|(set, label)| {
        format!(
            r#"<button type="submit" name="status" value="{set}" class="secondary">{label}</button>"#,
            label = escape(label)
        )
    })
    .collect::<String>();
    format!(
        r#"<form method="post" action="{base}/status" id="status-form" class="change">
  <input type="hidden" name="csrf" value="{csrf}">
  <h3>{status_title}</h3>
  <label>{reason} <input name="reason" maxlength="500" required></label>
  <div class="row">{presets}</div>
  <label>{letters} <input name="letters" value="" maxlength="19" pattern="[A-Za-z]*" placeholder="{current}"></label>
  <button type="submit">{set_letters}</button>
</form>
<form method="post" action="{base}/points" id="points-form" class="change">
  <input type="hidden" name="csrf" value="{csrf}">
  <h3>{points_title}</h3>
  <label>{points} <select name="points"><option>1</option><option>3</option><option>6</option><option>9</option><option>12</option></select></label>
  <label>{on} <input name="on" type="date" required></label>
  <label>{reason} <input name="reason" maxlength="500" required></label>
  <button type="submit">{add}</button>
</form>
<form method="post" action="{base}/renew" id="renew-form" class="change">
  <input type="hidden" name="csrf" value="{csrf}">
  <h3>{renew_title}</h3>
  <label>{until} <input name="until" placeholder="{until_hint}" maxlength="10"></label>
  <label>{classes} <input name="classes" placeholder="{current_classes}" maxlength="40"></label>
  <label>{reason} <input name="reason" maxlength="500" required></label>
  <button type="submit">{renew}</button>
</form>"#,
        csrf = escape(s.csrf()),
        status_title = lang.t("状态", "Status"),
        reason = lang.t("原因（记入历史）", "Reason (recorded in the history)"),
        letters = lang.t("或输入状态字母", "or type status letters"),
        current = current,
        set_letters = lang.t("设置", "Set"),
        points_title = lang.t("记分", "Points"),
        points = lang.t("分值", "Points"),
        on = lang.t("违法日期", "Offence date"),
        add = lang.t("记分", "Add points"),
        renew_title = lang.t("换证", "Renew or change classes"),
        until = lang.t("有效期至", "Valid until"),
        until_hint = lang.t(
            "留空：按 6→10→长期 顺延；或 YYYY-MM-DD、长期",
            "empty: next term of 6→10→long; or YYYY-MM-DD, 长期"
        ),
        classes = lang.t("准驾车型（留空不变）", "Classes (empty: unchanged)"),
        current_classes = licence.classes(),
        renew = lang.t("换证", "Renew"),
    )
}

/// Applies a change for an operator of the licence's authority and shows the page again.
async fn change(
    state: &AppState,
    headers: &HeaderMap,
    lang: Lang,
    file_number: &str,
    csrf: &str,
    reason: &str,
    make: impl FnOnce(&Licence) -> Result<Change, (&'static str, String)>,
) -> Response {
    let (s, stored) = match load(state, headers, lang, file_number, true).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if !s.csrf_ok(csrf) {
        return Refusal::Csrf.page(lang, Some(&s));
    }
    let bad = |code: &'static str, text: String| (code, text);
    let reason = match Reason::parse(reason) {
        Ok(r) => r,
        Err(_) => {
            let e = bad(
                "bad_reason",
                lang.t(
                    "请填写原因（1 至 500 个字符）。",
                    "Give a reason (1 to 500 characters).",
                )
                .to_owned(),
            );
            return render(
                state,
                lang,
                &s,
                &stored.licence,
                None,
                Some((e.0, e.1)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let change = match make(&stored.licence) {
        Ok(c) => c,
        Err((code, text)) => {
            return render(
                state,
                lang,
                &s,
                &stored.licence,
                None,
                Some((code, text)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let Ok(actor) = Actor::parse(s.username()) else {
        return Refusal::Role.page(lang, Some(&s));
    };
    match apply_change(
        &state.store,
        state.clock.as_ref(),
        stored.licence.file_number(),
        &change,
        &actor,
        &reason,
    )
    .await
    {
        Ok(_) => {
            tracing::info!(user_id = s.user.id, "console: licence changed");
            see_other(&format!(
                "/console/licences/{}?done=1",
                stored.licence.file_number().as_str()
            ))
        }
        Err(ChangeError::Store(e)) => store_failure(lang, &e),
        Err(ChangeError::NotFound) => Refusal::NotFound.page(lang, Some(&s)),
        Err(e) => {
            let code = match e {
                ChangeError::NoChange => "no_change",
                _ => "refused_by_rule",
            };
            // The domain errors name rules, never values.
            render(
                state,
                lang,
                &s,
                &stored.licence,
                None,
                Some((code, e.to_string())),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// `POST /console/licences/{file_number}/status`.
pub(crate) async fn set_status(
    State(state): State<AppState>,
    Path(file_number): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
    Form(form): Form<StatusForm>,
) -> Response {
    let lang = Lang::of(query.lang.as_deref(), &headers);
    let text = form
        .status
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .or(form.letters.as_deref())
        .unwrap_or_default()
        .trim()
        .to_ascii_uppercase();
    change(
        &state,
        &headers,
        lang,
        &file_number,
        &form.csrf,
        &form.reason,
        |_| {
            StatusSet::parse(&text)
                .map(Change::SetStatus)
                .map_err(|e| ("bad_status", e.to_string()))
        },
    )
    .await
}

/// `POST /console/licences/{file_number}/points`.
pub(crate) async fn add_points(
    State(state): State<AppState>,
    Path(file_number): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
    Form(form): Form<PointsForm>,
) -> Response {
    let lang = Lang::of(query.lang.as_deref(), &headers);
    let value = form
        .points
        .trim()
        .parse::<u8>()
        .ok()
        .and_then(|n| PointValue::try_from(n).ok());
    let on = time::Date::parse(
        form.on.trim(),
        &time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok();
    change(
        &state,
        &headers,
        lang,
        &file_number,
        &form.csrf,
        &form.reason,
        |_| match (value, on) {
            (Some(value), Some(on)) => Ok(Change::AddPoints { value, on }),
            (None, _) => Err((
                "bad_points",
                lang.t(
                    "分值须为 1、3、6、9 或 12。",
                    "Points must be 1, 3, 6, 9 or 12.",
                )
                .to_owned(),
            )),
            (_, None) => Err((
                "bad_date",
                lang.t(
                    "违法日期须为 YYYY-MM-DD。",
                    "The offence date must be YYYY-MM-DD.",
                )
                .to_owned(),
            )),
        },
    )
    .await
}

/// `POST /console/licences/{file_number}/renew`.
pub(crate) async fn renew(
    State(state): State<AppState>,
    Path(file_number): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
    Form(form): Form<RenewForm>,
) -> Response {
    let lang = Lang::of(query.lang.as_deref(), &headers);
    let until = form.until.trim().to_owned();
    let classes = form.classes.trim().to_owned();
    change(
        &state,
        &headers,
        lang,
        &file_number,
        &form.csrf,
        &form.reason,
        |_| {
            let until = if until.is_empty() {
                None
            } else {
                Some(ValidityEnd::parse(&until).map_err(|e| ("bad_until", e.to_string()))?)
            };
            let classes = if classes.is_empty() {
                None
            } else {
                Some(ClassSet::parse(&classes).map_err(|e| ("bad_classes", e.to_string()))?)
            };
            Ok(Change::Renew {
                until,
                classes,
                full_score_during_term: false,
            })
        },
    )
    .await
}
