//! The rollout schedule: which regions may claim from which day, switched on in phases (the model
//! went 3 pilot cities → 28 → 138 → nationwide). The platform operator sets any region; an
//! authority's operator sets regions inside its own.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use edl_domain::{RegionCode, RolloutEntry};
use edl_store::{ConsoleRole, Store};
use serde::Deserialize;

use super::{Refusal, Staff, frame, see_other, short_name, staff, store_failure};
use crate::html::escape;
use crate::i18n::Lang;
use crate::startup::AppState;

/// `?lang=` and `?done=`.
#[derive(Debug, Deserialize)]
pub(crate) struct RolloutQuery {
    lang: Option<String>,
    done: Option<String>,
}

/// The form that switches a region on.
#[derive(Debug, Deserialize)]
pub(crate) struct RolloutForm {
    csrf: String,
    region: String,
    enabled_from: String,
    phase: String,
}

/// Whether `staff` may set the rollout of `region`.
fn may_set(staff: &Staff, region: RegionCode) -> Result<(), Refusal> {
    match staff.role() {
        ConsoleRole::Platform => Ok(()),
        ConsoleRole::Operator => match &staff.authority {
            Some(a) if a.authority.region.contains(&region) => Ok(()),
            _ => Err(Refusal::OutsideAuthority),
        },
        ConsoleRole::Auditor | ConsoleRole::Verifier => Err(Refusal::Role),
    }
}

/// `GET /console/rollout`.
pub(crate) async fn page(
    State(state): State<AppState>,
    Query(query): Query<RolloutQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::of(query.lang.as_deref(), &headers);
    let s = match staff(&state, &headers).await {
        Ok(Some(s)) => s,
        Ok(None) => return Refusal::NotLoggedIn.page(lang, None),
        Err(e) => return store_failure(lang, &e),
    };
    if s.role() == ConsoleRole::Verifier {
        return Refusal::Role.page(lang, Some(&s));
    }
    let notice = query
        .done
        .map(|_| {
            format!(
                r#"<p class="notice" role="status" data-code="changed">{}</p>"#,
                lang.t("已保存。", "Saved.")
            )
        })
        .unwrap_or_default();
    render(&state, lang, &s, &notice, StatusCode::OK).await
}

async fn render(
    state: &AppState,
    lang: Lang,
    s: &Staff,
    notice: &str,
    status: StatusCode,
) -> Response {
    let schedule = match state.store.rollout().await {
        Ok(r) => r,
        Err(e) => return store_failure(lang, &e),
    };
    let today = state.clock.today();
    let mut entries = schedule.entries().to_vec();
    entries.sort_by_key(|e| (e.enabled_from, e.region));
    let rows = entries
        .iter()
        .map(|e| {
            let open = if e.enabled_from <= today {
                format!(r#"<span class="ok">{}</span>"#, lang.t("已开通", "open"))
            } else {
                format!(r#"<span class="muted">{}</span>"#, lang.t("待开通", "scheduled"))
            };
            format!(
                r#"<tr data-region="{code}"><td>{code}</td><td>{name}</td><td>{from}</td><td>{phase}</td><td>{open}</td></tr>"#,
                code = e.region,
                name = escape(&e.region.full_name()),
                from = e.enabled_from,
                phase = escape(&e.phase),
            )
        })
        .collect::<String>();
    let form = match s.role() {
        ConsoleRole::Platform | ConsoleRole::Operator => format!(
            r#"<form method="post" action="/console/rollout" id="rollout-form" class="change">
  <input type="hidden" name="csrf" value="{csrf}">
  <label>{region} <input name="region" inputmode="numeric" pattern="[0-9]{{6}}" maxlength="6" required placeholder="{hint}"></label>
  <label>{from} <input name="enabled_from" type="date" required></label>
  <label>{phase} <input name="phase" maxlength="64" required placeholder="{phase_hint}"></label>
  <button type="submit">{save}</button>
</form>"#,
            csrf = escape(s.csrf()),
            region = lang.t("地区代码（GB/T 2260）", "Region code (GB/T 2260)"),
            hint = match &s.authority {
                Some(a) => a.authority.region.to_string(),
                None => "120000".to_owned(),
            },
            from = lang.t("开通日期", "Open from"),
            phase = lang.t("阶段", "Phase"),
            phase_hint = lang.t(
                "例如：试点、第二批（28 个城市）、全国",
                "e.g. pilot, phase 2 (28 cities), nationwide"
            ),
            save = lang.t("保存", "Save"),
        ),
        _ => String::new(),
    };
    let body = format!(
        r#"{notice}
<section>
  <h2>{title} <small>{hint}</small></h2>
  <table id="rollout"><thead><tr><th>{h_code}</th><th>{h_name}</th><th>{h_from}</th><th>{h_phase}</th><th></th></tr></thead><tbody>{rows}</tbody></table>
</section>
<section>
  <h2>{set_title}</h2>
  {form}
</section>"#,
        title = lang.t("开通地区", "Rollout"),
        hint = lang.t("一个地区从其本身、所属地市或省份最早的开通日期起可申领", "a region may claim from the earliest date set for itself, its prefecture or its province"),
        h_code = lang.t("代码", "Code"),
        h_name = lang.t("地区", "Region"),
        h_from = lang.t("开通日期", "Open from"),
        h_phase = lang.t("阶段", "Phase"),
        set_title = lang.t("开通或改期", "Switch on or reschedule"),
    );
    (
        status,
        Html(frame(
            lang,
            lang.t("开通地区", "Rollout"),
            "/console/rollout",
            Some(s),
            &body,
        )),
    )
        .into_response()
}

/// `POST /console/rollout`.
pub(crate) async fn set(
    State(state): State<AppState>,
    Query(query): Query<RolloutQuery>,
    headers: HeaderMap,
    Form(form): Form<RolloutForm>,
) -> Response {
    let lang = Lang::of(query.lang.as_deref(), &headers);
    let s = match staff(&state, &headers).await {
        Ok(Some(s)) => s,
        Ok(None) => return Refusal::NotLoggedIn.page(lang, None),
        Err(e) => return store_failure(lang, &e),
    };
    if !s.csrf_ok(&form.csrf) {
        return Refusal::Csrf.page(lang, Some(&s));
    }
    let error = |code: &str, text: &str| {
        format!(
            r#"<p class="error" role="alert" data-code="{code}">{}</p>"#,
            escape(text)
        )
    };
    let Ok(region) = RegionCode::parse(form.region.trim()) else {
        let notice = error(
            "bad_region",
            lang.t(
                "地区代码不在 GB/T 2260 表中。",
                "The region code is not in the GB/T 2260 table.",
            ),
        );
        return render(&state, lang, &s, &notice, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    if let Err(refusal) = may_set(&s, region) {
        return refusal.page(lang, Some(&s));
    }
    let Ok(enabled_from) = time::Date::parse(
        form.enabled_from.trim(),
        &time::macros::format_description!("[year]-[month]-[day]"),
    ) else {
        let notice = error(
            "bad_date",
            lang.t("开通日期须为 YYYY-MM-DD。", "The date must be YYYY-MM-DD."),
        );
        return render(&state, lang, &s, &notice, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let Some(phase) = short_name(&form.phase) else {
        let notice = error(
            "bad_phase",
            lang.t(
                "阶段名称须为 1 至 64 个字符。",
                "The phase must be 1 to 64 characters.",
            ),
        );
        return render(&state, lang, &s, &notice, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let entry = RolloutEntry {
        region,
        enabled_from,
        phase: phase.to_owned(),
    };
    if let Err(e) = state.store.set_rollout(&entry).await {
        return store_failure(lang, &e);
    }
    tracing::info!(
        user_id = s.user.id,
        region = region.as_u32(),
        "console: rollout set"
    );
    see_other("/console/rollout?done=1")
}
