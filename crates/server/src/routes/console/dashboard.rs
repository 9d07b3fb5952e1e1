//! The adoption dashboard: licences and the share claimed per region, claims per day, verifications
//! per day and purpose, as server-drawn charts and tables, exportable as CSV. The platform operator
//! sees the nation; an authority's staff see their own region. Every figure comes from the rollup
//! tables the store keeps as it writes (`region_status_counts`, `region_claims`, `daily_claims`,
//! `daily_verifications`, and for the nation `national_daily_verifications`), never from a scan of
//! licences or audit records. The national view reads one row per day (claims) and per day and
//! purpose (verifications), whatever the number of regions; the CSV export gives the regional rows.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use edl_domain::RegionCode;
use edl_mdoc::Purpose;
use edl_store::{
    ConsoleRole, NationalDailyClaims, NationalDailyVerifications, RegionCount, Store, StoreError,
};
use serde::Deserialize;
use time::{Date, Duration};

use super::chart::{PALETTE, Series, stacked_bars};
use super::{Refusal, Staff, frame, staff, store_failure};
use crate::html::escape;
use crate::i18n::Lang;
use crate::startup::AppState;

/// The longest period one view or export covers.
const MAX_DAYS: i64 = 366;

/// `?from=&to=` (inclusive, `YYYY-MM-DD`; default: the last 30 days), `?kind=` for CSV, `?lang=`.
#[derive(Debug, Deserialize)]
pub(crate) struct DashboardQuery {
    from: Option<String>,
    to: Option<String>,
    kind: Option<String>,
    lang: Option<String>,
}

/// The scope and period of one view or export.
#[derive(Clone, Copy)]
struct Period {
    scope: Option<RegionCode>,
    from: Date,
    to: Date,
}

/// What one view shows: the regions in scope, and the claims per day and verifications per day and purpose
/// over the scope (for one region, its own rows; for the nation, the national rollups).
struct Figures {
    scope: Option<RegionCode>,
    from: Date,
    to: Date,
    regions: Vec<RegionCount>,
    claims: Vec<NationalDailyClaims>,
    verifications: Vec<NationalDailyVerifications>,
}

fn parse_day(text: Option<&str>) -> Result<Option<Date>, ()> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => Date::parse(
            t,
            &time::macros::format_description!("[year]-[month]-[day]"),
        )
        .map(Some)
        .map_err(|_| ()),
    }
}

/// The region a member of staff sees: `None` is the nation.
fn scope_of(s: &Staff) -> Result<Option<RegionCode>, Refusal> {
    match s.role() {
        ConsoleRole::Platform => Ok(None),
        ConsoleRole::Operator | ConsoleRole::Auditor => s
            .authority
            .as_ref()
            .map(|a| Some(a.authority.region))
            .ok_or(Refusal::OutsideAuthority),
        ConsoleRole::Verifier => Err(Refusal::Role),
    }
}

async fn figures(state: &AppState, period: Period) -> Result<Figures, StoreError> {
    let Period { scope, from, to } = period;
    let store = &state.store;
    // The three reads are independent: on PostgreSQL they run at once, on separate connections.
    let regions = async { store.region_counts().await };
    let claims = async {
        match scope {
            None => store.national_daily_claims(from, to).await,
            // One region's rows are already one per day.
            Some(region) => Ok(store
                .daily_claims(Some(region), from, to)
                .await?
                .into_iter()
                .map(|c| NationalDailyClaims {
                    day: c.day,
                    claims: c.claims,
                    first_claims: c.first_claims,
                })
                .collect()),
        }
    };
    let verifications = async {
        match scope {
            None => store.national_daily_verifications(from, to).await,
            // One region's rows are already one per day and purpose.
            Some(region) => Ok(store
                .daily_verifications(Some(region), from, to)
                .await?
                .into_iter()
                .map(|v| NationalDailyVerifications {
                    day: v.day,
                    purpose: v.purpose,
                    valid: v.valid,
                    not_valid: v.not_valid,
                })
                .collect()),
        }
    };
    let (regions, claims, verifications) = tokio::try_join!(regions, claims, verifications)?;
    let regions = regions
        .into_iter()
        .filter(|r| scope.is_none_or(|s| s == r.region))
        .collect();
    Ok(Figures {
        scope,
        from,
        to,
        regions,
        claims,
        verifications,
    })
}

/// The period and scope of a request, or the page that refuses it.
async fn prepare(
    state: &AppState,
    headers: &HeaderMap,
    query: &DashboardQuery,
    lang: Lang,
) -> Result<(Staff, Period), Response> {
    let s = match staff(state, headers).await {
        Ok(Some(s)) => s,
        Ok(None) => return Err(Refusal::NotLoggedIn.page(lang, None)),
        Err(e) => return Err(store_failure(lang, &e)),
    };
    let scope = match scope_of(&s) {
        Ok(scope) => scope,
        Err(r) => return Err(r.page(lang, Some(&s))),
    };
    let today = state.clock.today();
    let (Ok(from), Ok(to)) = (
        parse_day(query.from.as_deref()),
        parse_day(query.to.as_deref()),
    ) else {
        return Err(bad_period(lang, &s));
    };
    let to = to.unwrap_or(today);
    let from = from.unwrap_or(to - Duration::days(29));
    if from > to || (to - from).whole_days() >= MAX_DAYS {
        return Err(bad_period(lang, &s));
    }
    Ok((s, Period { scope, from, to }))
}

fn bad_period(lang: Lang, s: &Staff) -> Response {
    let body = format!(
        r#"<section><p class="error" role="alert" data-code="bad_period">{}</p></section>"#,
        lang.t(
            "统计期间须为 YYYY-MM-DD 格式的起止日期，起始不晚于截止，最长 366 天。",
            "The period needs from and to dates as YYYY-MM-DD, from not after to, at most 366 days."
        )
    );
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Html(frame(
            lang,
            lang.t("应用统计", "Dashboard"),
            "/console/dashboard",
            Some(s),
            &body,
        )),
    )
        .into_response()
}

fn days(from: Date, to: Date) -> Vec<Date> {
    let mut out = Vec::new();
    let mut d = from;
    while d <= to {
        out.push(d);
        match d.next_day() {
            Some(n) => d = n,
            None => break,
        }
    }
    out
}

fn purpose_label(lang: Lang, code: &str) -> String {
    match Purpose::parse(code) {
        Ok(p) => match lang {
            Lang::Zh => p.name_zh().to_owned(),
            Lang::En => code.replace('_', " "),
        },
        Err(_) => code.to_owned(),
    }
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "—".to_owned()
    } else {
        let share = part as f64 * 100.0 / whole as f64;
        // Early in a rollout the shares are small: keep two significant decimals there.
        if share > 0.0 && share < 1.0 {
            format!("{share:.2}%")
        } else {
            format!("{share:.1}%")
        }
    }
}

/// `GET /console/dashboard`.
pub(crate) async fn page(
    State(state): State<AppState>,
    Query(query): Query<DashboardQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::of(query.lang.as_deref(), &headers);
    let (s, period) = match prepare(&state, &headers, &query, lang).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let f = match figures(&state, period).await {
        Ok(f) => f,
        Err(e) => return store_failure(lang, &e),
    };
    let all_days = days(f.from, f.to);
    let index = |d: Date| (d - f.from).whole_days() as usize;
    let mut claims = vec![0u64; all_days.len()];
    let mut first_claims = vec![0u64; all_days.len()];
    for c in &f.claims {
        if let Some(slot) = claims.get_mut(index(c.day)) {
            *slot += c.claims;
        }
        if let Some(slot) = first_claims.get_mut(index(c.day)) {
            *slot += c.first_claims;
        }
    }
    let again: Vec<u64> = claims
        .iter()
        .zip(&first_claims)
        .map(|(a, b)| a - b.min(a))
        .collect();
    let mut per_purpose: BTreeMap<String, (Vec<u64>, u64, u64)> = BTreeMap::new();
    for v in &f.verifications {
        let entry = per_purpose
            .entry(v.purpose.clone())
            .or_insert_with(|| (vec![0; all_days.len()], 0, 0));
        if let Some(slot) = entry.0.get_mut(index(v.day)) {
            *slot += v.valid + v.not_valid;
        }
        entry.1 += v.valid;
        entry.2 += v.not_valid;
    }
    let licences: u64 = f.regions.iter().map(|r| r.licences).sum();
    let claimed: u64 = f.regions.iter().map(|r| r.claimed).sum();
    let period_claims: u64 = claims.iter().sum();
    let period_checks: u64 = per_purpose.values().map(|(_, v, n)| v + n).sum();
    let claims_chart = stacked_bars(
        "claims-chart",
        lang.t("每日申领", "Claims per day"),
        lang.t("此期间没有申领", "No claims in this period"),
        &all_days,
        &[
            Series {
                label: lang.t("首次申领", "First claims").to_owned(),
                colour: PALETTE[0],
                values: first_claims,
            },
            Series {
                label: lang
                    .t(
                        "再次申领（换机、换证）",
                        "Claims again (new phone, renewal)",
                    )
                    .to_owned(),
                colour: PALETTE[1],
                values: again,
            },
        ],
    );
    let checks_chart = stacked_bars(
        "verifications-chart",
        lang.t("每日核验（按用途）", "Verifications per day, by purpose"),
        lang.t(
            "此期间没有在线核验",
            "No online verifications in this period",
        ),
        &all_days,
        &per_purpose
            .iter()
            .enumerate()
            .map(|(i, (code, (values, _, _)))| Series {
                label: purpose_label(lang, code),
                colour: PALETTE[i % PALETTE.len()],
                values: values.clone(),
            })
            .collect::<Vec<_>>(),
    );
    let region_rows = f
        .regions
        .iter()
        .map(|r| {
            format!(
                r#"<tr data-region="{code}"><td>{code}</td><td>{name}</td><td class="num">{licences}</td><td class="num">{claimed}</td><td class="num">{share}</td><td>{from}</td></tr>"#,
                code = r.region,
                name = escape(&r.region.full_name()),
                licences = r.licences,
                claimed = r.claimed,
                share = percent(r.claimed, r.licences),
                from = r.enabled_from.map(|d| d.to_string()).unwrap_or_else(|| lang.t("未开通", "not scheduled").to_owned()),
            )
        })
        .collect::<String>();
    let purpose_rows = per_purpose
        .iter()
        .map(|(code, (_, valid, not_valid))| {
            format!(
                r#"<tr data-purpose="{code}"><td>{label}</td><td class="num">{valid}</td><td class="num">{not_valid}</td></tr>"#,
                code = escape(code),
                label = escape(&purpose_label(lang, code)),
            )
        })
        .collect::<String>();
    let purpose_rows = if purpose_rows.is_empty() {
        format!(
            r#"<tr><td colspan="3" class="muted">{}</td></tr>"#,
            lang.t("无", "None")
        )
    } else {
        purpose_rows
    };
    let period = format!("from={}&to={}", f.from, f.to);
    let scope_name = match f.scope {
        None => lang.t("全国", "National").to_owned(),
        Some(r) => r.full_name(),
    };
    let body = format!(
        r#"<section>
  <h2>{title} <small>{scope} · {from} — {to}</small></h2>
  <form method="get" action="/console/dashboard" class="row" id="period">
    <label>{l_from} <input type="date" name="from" value="{from}"></label>
    <label>{l_to} <input type="date" name="to" value="{to}"></label>
    <button type="submit">{show}</button>
  </form>
  <div class="stats">
    <div class="stat"><b data-testid="licences">{licences}</b><span>{l_licences}</span></div>
    <div class="stat"><b data-testid="claimed">{claimed}</b><span>{l_claimed} ({share})</span></div>
    <div class="stat"><b data-testid="period-claims">{period_claims}</b><span>{l_period_claims}</span></div>
    <div class="stat"><b data-testid="period-verifications">{period_checks}</b><span>{l_period_checks}</span></div>
  </div>
</section>
<section>
  <h2>{l_claims_chart} <small><a href="/console/dashboard.csv?kind=claims&{period}" download>CSV</a></small></h2>
  {claims_chart}
</section>
<section>
  <h2>{l_checks_chart} <small><a href="/console/dashboard.csv?kind=verifications&{period}" download>CSV</a></small></h2>
  {checks_chart}
  <table id="purposes"><thead><tr><th>{l_purpose}</th><th class="num">{l_valid}</th><th class="num">{l_not_valid}</th></tr></thead><tbody>{purpose_rows}</tbody></table>
</section>
<section>
  <h2>{l_regions} <small><a href="/console/dashboard.csv?kind=regions&{period}" download>CSV</a></small></h2>
  <table id="regions"><thead><tr><th>{l_code}</th><th>{l_region}</th><th class="num">{l_licences}</th><th class="num">{l_claimed}</th><th class="num">{l_share}</th><th>{l_open}</th></tr></thead><tbody>{region_rows}</tbody></table>
</section>"#,
        title = lang.t("应用统计", "Adoption"),
        scope = escape(&scope_name),
        from = f.from,
        to = f.to,
        l_from = lang.t("自", "From"),
        l_to = lang.t("至", "To"),
        show = lang.t("查看", "Show"),
        share = percent(claimed, licences),
        l_licences = lang.t("驾驶证", "Licences"),
        l_claimed = lang.t("已申领电子证", "Claimed"),
        l_period_claims = lang.t("期间申领次数", "Claims in the period"),
        l_period_checks = lang.t("期间核验次数", "Verifications in the period"),
        l_claims_chart = lang.t("每日申领", "Claims per day"),
        l_checks_chart = lang.t("每日核验（按用途）", "Verifications per day, by purpose"),
        l_purpose = lang.t("用途", "Purpose"),
        l_valid = lang.t("有效", "Valid"),
        l_not_valid = lang.t("无效", "Not valid"),
        l_regions = lang.t("各地区", "Regions"),
        l_code = lang.t("代码", "Code"),
        l_region = lang.t("地区", "Region"),
        l_share = lang.t("申领率", "Share claimed"),
        l_open = lang.t("开通日期", "Open from"),
    );
    Html(frame(
        lang,
        lang.t("应用统计", "Dashboard"),
        "/console/dashboard",
        Some(&s),
        &body,
    ))
    .into_response()
}

/// Quotes a CSV field when it needs it (RFC 4180).
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// `GET /console/dashboard.csv?kind=claims|verifications|regions`: the figures behind the view, as
/// UTF-8 CSV with a header row.
pub(crate) async fn csv(
    State(state): State<AppState>,
    Query(query): Query<DashboardQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::of(query.lang.as_deref(), &headers);
    let (_, f) = match prepare(&state, &headers, &query, lang).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let kind = query.kind.as_deref().unwrap_or("regions");
    let mut out = String::new();
    match kind {
        "claims" => {
            let rows = match state.store.daily_claims(f.scope, f.from, f.to).await {
                Ok(rows) => rows,
                Err(e) => return store_failure(lang, &e),
            };
            out.push_str("day,region,claims,first_claims\n");
            for c in &rows {
                out.push_str(&format!(
                    "{},{},{},{}\n",
                    c.day, c.region, c.claims, c.first_claims
                ));
            }
        }
        "verifications" => {
            let rows = match state.store.daily_verifications(f.scope, f.from, f.to).await {
                Ok(rows) => rows,
                Err(e) => return store_failure(lang, &e),
            };
            out.push_str("day,region,purpose,valid,not_valid\n");
            for v in &rows {
                out.push_str(&format!(
                    "{},{},{},{},{}\n",
                    v.day,
                    v.region.map(|r| r.to_string()).unwrap_or_default(),
                    csv_field(&v.purpose),
                    v.valid,
                    v.not_valid
                ));
            }
        }
        "regions" => {
            let regions = match state.store.region_counts().await {
                Ok(regions) => regions,
                Err(e) => return store_failure(lang, &e),
            };
            out.push_str(
                "region,name,licences,claimed,black,red,invalid,not_displayed,enabled_from\n",
            );
            for r in regions
                .iter()
                .filter(|r| f.scope.is_none_or(|s| s == r.region))
            {
                out.push_str(&format!(
                    "{},{},{},{},{},{},{},{},{}\n",
                    r.region,
                    csv_field(&r.region.full_name()),
                    r.licences,
                    r.claimed,
                    r.black,
                    r.red,
                    r.invalid,
                    r.not_displayed,
                    r.enabled_from.map(|d| d.to_string()).unwrap_or_default()
                ));
            }
        }
        _ => {
            return (
                StatusCode::BAD_REQUEST,
                [(CONTENT_TYPE, "text/plain; charset=utf-8")],
                "kind must be claims, verifications or regions\n",
            )
                .into_response();
        }
    }
    let name = format!("edl-{kind}-{}-{}.csv", f.from, f.to);
    (
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (CACHE_CONTROL, "no-store".to_owned()),
        ],
        out,
    )
        .into_response()
}
