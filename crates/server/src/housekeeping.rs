//! Housekeeping the service does on its own: deleting expired holder and console sessions. A session
//! is refused once expired whether or not it was deleted (the store compares `expires_at`), so the
//! sweep only keeps the session tables from growing; it runs at start-up and then once an hour.

use std::time::Duration;

use edl_app::AnyStore;
use edl_store::{Store, StoreError};
use time::OffsetDateTime;

use crate::startup::AppState;

/// How often expired sessions are deleted.
pub const SWEEP_EVERY: Duration = Duration::from_secs(60 * 60);

/// How many expired sessions one sweep deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    /// Holders' wallet sessions.
    pub holder_sessions: u64,
    /// Staff console sessions.
    pub console_sessions: u64,
}

/// Deletes every holder and console session expired at `now`.
pub async fn sweep_expired_sessions(
    store: &AnyStore,
    now: OffsetDateTime,
) -> Result<Swept, StoreError> {
    Ok(Swept {
        holder_sessions: store.delete_expired_sessions(now).await?,
        console_sessions: store.delete_expired_console_sessions(now).await?,
    })
}

/// Starts the hourly sweep on the current runtime. A failed sweep is logged and tried again at the
/// next hour; it never stops the service.
pub(crate) fn start(state: &AppState) {
    let store = state.store.clone();
    let clock = state.clock.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(SWEEP_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            match sweep_expired_sessions(&store, clock.now()).await {
                Ok(swept) => tracing::debug!(
                    holder_sessions = swept.holder_sessions,
                    console_sessions = swept.console_sessions,
                    "expired sessions deleted"
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "session sweep failed; tried again in an hour")
                }
            }
        }
    });
}
