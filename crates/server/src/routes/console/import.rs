//! Bulk import from the browser: the file is streamed to a temporary file, then imported by the
//! same code as `edl import` (`edl_app::import::import_file`) in a background task whose progress
//! the page polls; the reject report is downloadable when it ends. An authority's operator imports
//! only their own authority's rows (the others are rejected as `other_authority`).

use std::collections::HashMap;
use std::io::BufWriter;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Json, Response};
use axum::routing::post;
use edl_app::import::{ImportOptions, ImportProgress, RejectWriter, import_file};
use edl_store::ConsoleRole;
use http_body_util::BodyExt;
use serde::Deserialize;
use serde_json::json;
use tokio::io::AsyncWriteExt;

use super::{Refusal, Staff, frame, staff, store_failure};
use crate::auth::{hex, random_token};
use crate::html::escape;
use crate::i18n::Lang;
use crate::startup::AppState;

/// The largest file the browser may upload (larger national loads use `edl import`).
pub(crate) const MAX_UPLOAD_BYTES: usize = 1 << 30;

/// Imports running or finished in this process, by id.
#[derive(Debug, Default)]
pub(crate) struct ImportJobs {
    next: AtomicU64,
    jobs: Mutex<HashMap<u64, Job>>,
}

#[derive(Debug, Clone)]
struct Job {
    /// Who started it: only they see it.
    user_id: i64,
    progress: ImportProgress,
    done: bool,
    /// Why it stopped, if it failed (no personal data: import errors name lines and rules).
    error: Option<String>,
    rejects: PathBuf,
}

impl ImportJobs {
    fn get(&self, id: u64, user_id: i64) -> Option<Job> {
        let jobs = self.jobs.lock().ok()?;
        jobs.get(&id).filter(|j| j.user_id == user_id).cloned()
    }

    fn update(&self, id: u64, f: impl FnOnce(&mut Job)) {
        if let Ok(mut jobs) = self.jobs.lock()
            && let Some(job) = jobs.get_mut(&id)
        {
            f(job);
        }
    }
}

/// `?lang=`.
#[derive(Debug, Deserialize)]
pub(crate) struct ImportQuery {
    lang: Option<String>,
}

/// The upload route, with its own body limit.
pub(crate) fn upload_routes() -> Router<AppState> {
    Router::new()
        .route("/console/import", post(upload))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES))
}

fn may_import(s: &Staff) -> Result<(), Refusal> {
    match s.role() {
        ConsoleRole::Operator if s.authority.is_some() => Ok(()),
        ConsoleRole::Platform => Ok(()),
        _ => Err(Refusal::Role),
    }
}

/// `GET /console/import`: the upload form.
pub(crate) async fn page(
    State(state): State<AppState>,
    Query(query): Query<ImportQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::of(query.lang.as_deref(), &headers);
    let s = match staff(&state, &headers).await {
        Ok(Some(s)) => s,
        Ok(None) => return Refusal::NotLoggedIn.page(lang, None),
        Err(e) => return store_failure(lang, &e),
    };
    if let Err(r) = may_import(&s) {
        return r.page(lang, Some(&s));
    }
    let scope = match &s.authority {
        Some(a) => format!(
            "{}{}",
            lang.t(
                "只导入本发证机关的记录：",
                "Only your authority's rows are imported: "
            ),
            a.authority.name.as_str()
        ),
        None => lang
            .t(
                "导入全部发证机关的记录。",
                "Rows of every authority are imported.",
            )
            .to_owned(),
    };
    let body = format!(
        r#"<section>
  <h2>{title}</h2>
  <p class="muted">{hint}</p>
  <p>{scope}</p>
  <form id="import-form" class="change" data-csrf="{csrf}">
    <label>{file} <input type="file" id="import-file" accept=".csv,text/csv" required></label>
    <button type="submit">{start}</button>
  </form>
  <div id="import-progress" hidden>
    <progress id="import-bar" max="100" value="0"></progress>
    <p id="import-status" role="status"></p>
    <p><a id="import-rejects" href="" hidden download>{rejects}</a></p>
  </div>
</section>
<script type="module" src="/console/assets/import.js"></script>"#,
        title = lang.t("批量导入", "Bulk import"),
        hint = lang.t(
            "上传登记系统导出的 CSV 文件（UTF-8 或 GBK）。与命令行 edl import 使用同一导入程序：同一文件可重复导入，已有记录不会重复；有问题的行写入拒收报告。",
            "Upload the registry export (CSV, UTF-8 or GBK). The same import code as edl import: a file may be imported again without duplicates; bad rows go to the reject report."
        ),
        scope = escape(&scope),
        csrf = escape(s.csrf()),
        file = lang.t("文件", "File"),
        start = lang.t("开始导入", "Import"),
        rejects = lang.t("下载拒收报告", "Download the reject report"),
    );
    Html(frame(
        lang,
        lang.t("批量导入", "Bulk import"),
        "/console/import",
        Some(&s),
        &body,
    ))
    .into_response()
}

fn json_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({ "error": { "code": code, "message": message } })),
    )
        .into_response()
}

/// `POST /console/import` with the file as the body and the session's CSRF token in
/// `X-CSRF-Token`: `202` with the job's id.
pub(crate) async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(Some(s)) => s,
        Ok(None) => return json_error(StatusCode::UNAUTHORIZED, "not_logged_in", "log in first"),
        Err(e) => {
            tracing::error!(%e, "console import: the registry failed");
            return json_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the service is unavailable",
            );
        }
    };
    let csrf = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !s.csrf_ok(csrf) {
        return json_error(
            StatusCode::FORBIDDEN,
            "csrf",
            "the CSRF token is missing or wrong",
        );
    }
    if let Err(r) = may_import(&s) {
        return json_error(StatusCode::FORBIDDEN, r.code(), "this role may not import");
    }
    let name = hex(&random_token()[..12]);
    let dir = std::env::temp_dir();
    let upload_path = dir.join(format!("edl-console-import-{name}.csv"));
    let rejects_path = dir.join(format!("edl-console-import-{name}.rejects.csv"));
    // Stream the body to the file: a large export never sits in memory.
    let written = async {
        let mut file = tokio::fs::File::create(&upload_path).await?;
        let mut body = body;
        let mut total = 0usize;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(std::io::Error::other)?;
            if let Ok(data) = frame.into_data() {
                total += data.len();
                file.write_all(&data).await?;
            }
        }
        file.flush().await?;
        Ok::<usize, std::io::Error>(total)
    }
    .await;
    match written {
        Ok(0) => {
            let _ = tokio::fs::remove_file(&upload_path).await;
            return json_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "empty_file",
                "the file is empty",
            );
        }
        Ok(_) => {}
        Err(e) => {
            let _ = tokio::fs::remove_file(&upload_path).await;
            // A body over the limit fails here: say so.
            let too_large = e.to_string().contains("length limit");
            tracing::warn!(too_large, "console import: the upload failed");
            return if too_large {
                json_error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "body_too_large",
                    "the file is larger than 1 GiB; use edl import",
                )
            } else {
                json_error(
                    StatusCode::BAD_REQUEST,
                    "upload_failed",
                    "the upload did not complete",
                )
            };
        }
    }
    let id = state.imports.next.fetch_add(1, Ordering::Relaxed) + 1;
    if let Ok(mut jobs) = state.imports.jobs.lock() {
        jobs.insert(
            id,
            Job {
                user_id: s.user.id,
                progress: ImportProgress::default(),
                done: false,
                error: None,
                rejects: rejects_path.clone(),
            },
        );
    }
    let options = ImportOptions {
        only_authority: s.authority.as_ref().map(|a| a.authority.name.clone()),
        ..ImportOptions::default()
    };
    let jobs = Arc::clone(&state.imports);
    let store = state.store.clone();
    let clock = Arc::clone(&state.clock);
    let user_id = s.user.id;
    tokio::spawn(async move {
        let result = async {
            let file = std::fs::File::create(&rejects_path).map_err(|e| e.to_string())?;
            let mut rejects = RejectWriter::new(BufWriter::new(file)).map_err(|e| e.to_string())?;
            let summary = import_file(
                &store,
                clock.as_ref(),
                &upload_path,
                &options,
                &mut rejects,
                |p| {
                    jobs.update(id, |job| job.progress = p.clone());
                },
            )
            .await
            .map_err(|e| e.to_string())?;
            rejects.finish().map_err(|e| e.to_string())?;
            Ok::<ImportProgress, String>(summary.progress)
        }
        .await;
        let _ = tokio::fs::remove_file(&upload_path).await;
        match &result {
            Ok(p) => tracing::info!(
                user_id,
                inserted = p.inserted,
                rejected = p.rejected,
                "console import: done"
            ),
            Err(_) => tracing::warn!(user_id, "console import: failed"),
        }
        jobs.update(id, |job| {
            job.done = true;
            match result {
                Ok(p) => job.progress = p,
                Err(e) => job.error = Some(e),
            }
        });
    });
    (
        StatusCode::ACCEPTED,
        Json(json!({ "id": id, "progress": format!("/console/import/{id}") })),
    )
        .into_response()
}

/// `GET /console/import/{id}`: the job's progress as JSON.
pub(crate) async fn progress(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    headers: HeaderMap,
) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(Some(s)) => s,
        Ok(None) => return json_error(StatusCode::UNAUTHORIZED, "not_logged_in", "log in first"),
        Err(_) => {
            return json_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the service is unavailable",
            );
        }
    };
    let Some(job) = state.imports.get(id, s.user.id) else {
        return json_error(StatusCode::NOT_FOUND, "not_found", "no such import");
    };
    let p = &job.progress;
    (
        [(CACHE_CONTROL, "no-store")],
        Json(json!({
            "done": job.done,
            "error": job.error,
            "bytes_read": p.bytes_read,
            "total_bytes": p.total_bytes,
            "rows": p.rows,
            "inserted": p.inserted,
            "unchanged": p.unchanged,
            "rejected": p.rejected,
            "rejects": format!("/console/import/{id}/rejects.csv"),
        })),
    )
        .into_response()
}

/// `GET /console/import/{id}/rejects.csv`: the reject report of a finished import.
pub(crate) async fn rejects(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    headers: HeaderMap,
) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(Some(s)) => s,
        Ok(None) => return json_error(StatusCode::UNAUTHORIZED, "not_logged_in", "log in first"),
        Err(_) => {
            return json_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the service is unavailable",
            );
        }
    };
    let Some(job) = state.imports.get(id, s.user.id).filter(|j| j.done) else {
        return json_error(
            StatusCode::NOT_FOUND,
            "not_found",
            "no finished import with this id",
        );
    };
    match tokio::fs::read(&job.rejects).await {
        Ok(bytes) => (
            [
                (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    CONTENT_DISPOSITION,
                    format!("attachment; filename=\"rejects-{id}.csv\""),
                ),
                (CACHE_CONTROL, "no-store".to_owned()),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => json_error(
            StatusCode::NOT_FOUND,
            "not_found",
            "the reject report is gone",
        ),
    }
}
