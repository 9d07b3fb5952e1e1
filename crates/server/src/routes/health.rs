//! Liveness (`/health`: the process answers) and readiness (`/ready`: the database answers too).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use edl_store::Store;
use serde_json::{Value, json};

use crate::startup::AppState;

/// `GET /health`: 200 while the process runs.
pub(crate) async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /ready`: 200 when the database answers, 503 otherwise (so a load balancer stops sending traffic).
pub(crate) async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let engine = state.info.database_url.engine();
    match state.store.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({ "status": "ready", "database": engine })),
        ),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "database": engine })),
            )
        }
    }
}
