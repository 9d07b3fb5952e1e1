//! `GET /`: the landing page, which says what runs where and what the registry holds.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use edl_store::Store;

use crate::html::{escape, page};
use crate::startup::AppState;

/// Renders the landing page.
pub(crate) async fn landing(State(state): State<AppState>) -> Response {
    match render(&state).await {
        Ok(html) => Html(html).into_response(),
        Err(error) => {
            tracing::error!(%error, "landing page: the database failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Html(page(
                    "电子驾驶证平台",
                    "<main><section><h2>数据库暂不可用 · The database is unavailable</h2><p>See <code>/ready</code> and the service log.</p></section></main>",
                )),
            )
                .into_response()
        }
    }
}

async fn render(state: &AppState) -> Result<String, edl_store::StoreError> {
    let store = &state.store;
    let today = state.clock.today();
    let licences = store.count_licences().await?;
    let authorities = store.list_authorities().await?;
    let rollout = store.rollout().await?;
    let mut regions = store.region_counts().await?;
    regions.sort_by(|a, b| b.licences.cmp(&a.licences).then(a.region.cmp(&b.region)));

    let mut body = String::new();
    let _ = write!(
        body,
        r#"<header><h1>电子驾驶证平台 <small style="font-weight:normal;font-size:15px">Electronic Driving Licence Platform</small></h1>
<p>全国统一样式 · 与实体驾驶证具有同等法律效力 · ISO/IEC 18013-5</p></header>
<main>
<section id="runs">
<h2>运行情况<small>What runs where</small></h2>
<table>
<tr><th>服务 Service</th><td>this process: landing page <code>/</code>, liveness <code>/health</code>, readiness <code>/ready</code></td></tr>
<tr><th>数据库 Database</th><td>{engine}: <code>{location}</code></td></tr>
<tr><th>演示数据 Demo data</th><td>{demo}</td></tr>
<tr><th>今日 Today (UTC+8)</th><td>{today}</td></tr>
<tr><th>命令行 Command line</th><td><code>edl import FILE.csv</code>, <code>edl licence show|set-status|add-points|renew|history</code>, <code>edl rollout enable|list</code>, <code>edl stats regions</code>, <code>edl gen-licences</code>, <code>edl migrate</code></td></tr>
</table>
</section>
"#,
        engine = state.info.database_url.engine(),
        location = escape(&state.info.database_url.to_string()),
        demo = if state.info.demo {
            "yes: synthetic licences, demo authorities and the 2021 rollout phases (<code>edl serve --demo</code>)"
        } else {
            "no"
        },
    );

    let enabled_regions = regions
        .iter()
        .filter(|r| rollout.is_enabled(r.region, today))
        .count();
    let _ = write!(
        body,
        r#"<section id="registry"><h2>登记库<small>Registry</small></h2><div class="stats">
<div class="stat"><b>{licences}</b><span>驾驶证 licences</span></div>
<div class="stat"><b>{authorities}</b><span>发证机关 issuing authorities</span></div>
<div class="stat"><b>{regions}</b><span>地区 regions with licences</span></div>
<div class="stat"><b>{enabled_regions}</b><span>已开通申领 regions open for claiming</span></div>
</div></section>
"#,
        authorities = authorities.len(),
        regions = regions.len(),
    );

    // Rollout phases, in date order.
    let mut phases: BTreeMap<(time::Date, String), usize> = BTreeMap::new();
    for entry in rollout.entries() {
        *phases
            .entry((entry.enabled_from, entry.phase.clone()))
            .or_default() += 1;
    }
    let _ = write!(
        body,
        r#"<section id="rollout"><h2>推广阶段<small>Rollout phases</small></h2><table>
<tr><th>开通日期 From</th><th>阶段 Phase</th><th class="num">地区 Regions</th><th>状态 State</th></tr>
"#
    );
    if phases.is_empty() {
        body.push_str(r#"<tr><td colspan="4" class="muted">No region is switched on yet: <code>edl rollout enable REGION --from DATE</code>.</td></tr>"#);
    }
    for ((from, phase), n) in &phases {
        let state_text = if *from <= today {
            r#"<span class="ok">已开通 open</span>"#
        } else {
            r#"<span class="muted">计划中 scheduled</span>"#
        };
        let _ = writeln!(
            body,
            r#"<tr><td>{from}</td><td>{}</td><td class="num">{n}</td><td>{state_text}</td></tr>"#,
            escape(phase)
        );
    }
    body.push_str("</table></section>\n");

    let _ = write!(
        body,
        r#"<section id="regions"><h2>各地区驾驶证<small>Licences per region (top 20)</small></h2><table>
<tr><th>代码 Code</th><th>地区 Region</th><th class="num">驾驶证 Licences</th><th class="num">黑码 Black</th><th class="num">红码 Red</th><th class="num">失效 Invalid</th><th class="num">不显示 Hidden</th><th>申领开通 Claiming since</th></tr>
"#
    );
    for r in regions.iter().take(20) {
        let since = match rollout.enabled_from(r.region) {
            Some(date) => date.to_string(),
            None => "—".to_owned(),
        };
        let _ = writeln!(
            body,
            r#"<tr><td>{code}</td><td>{name}</td><td class="num">{l}</td><td class="num">{b}</td><td class="num red">{red}</td><td class="num">{i}</td><td class="num">{h}</td><td>{since}</td></tr>"#,
            code = r.region,
            name = escape(&r.region.full_name()),
            l = r.licences,
            b = r.black,
            red = r.red,
            i = r.invalid,
            h = r.not_displayed,
        );
    }
    body.push_str("</table></section>\n</main>");
    Ok(page(
        "电子驾驶证平台 · Electronic Driving Licence Platform",
        &body,
    ))
}
