//! Building and running the service: bind, route, serve until a shutdown signal.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use edl_app::pki_dir::{OpenedSigners, PkiDir};
use edl_app::{AnyStore, Clock, DatabaseUrl};
use edl_pki::Passphrase;
use tokio::net::TcpListener;

use crate::auth::Throttle;
use crate::routes;
use crate::routes::console::import::ImportJobs;
use crate::routes::published::Published;
use crate::verify_state::{ApiLimits, VerifyState};

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The registry.
    pub store: AnyStore,
    /// The clock (injected for tests).
    pub clock: Arc<dyn Clock>,
    /// Facts shown on the landing page.
    pub info: Arc<ServiceInfo>,
    /// The PKI the wallet issues credentials with; `None`: claiming is unavailable.
    pub issuer: Option<Arc<WalletIssuer>>,
    /// Mark cookies `Secure` (set when the service is behind TLS).
    pub secure_cookies: bool,
    /// Failed logins per account and per address.
    pub(crate) throttle: Arc<Throttle>,
    /// Bulk imports started from the console.
    pub(crate) imports: Arc<ImportJobs>,
    /// The verification API: verifier, key lookups, rate limits, audit writer.
    pub(crate) verify: Arc<VerifyState>,
    /// The trust list and status lists, signed on demand and kept.
    pub(crate) published: Arc<Published>,
}

impl AppState {
    /// The state of a service on `store`; claiming needs `issuer`.
    pub fn new(
        store: AnyStore,
        clock: Arc<dyn Clock>,
        info: ServiceInfo,
        issuer: Option<WalletIssuer>,
    ) -> AppState {
        let issuer = issuer.map(Arc::new);
        let verify = Arc::new(VerifyState::new(
            store.clone(),
            pki_of(issuer.as_deref()),
            ApiLimits::default(),
        ));
        AppState {
            store,
            clock,
            info: Arc::new(info),
            issuer,
            secure_cookies: false,
            throttle: Arc::new(Throttle::default()),
            imports: Arc::new(ImportJobs::default()),
            verify,
            published: Arc::new(Published::default()),
        }
    }

    /// The same state with these verification API limits (per-key rate, burst, signature
    /// cache). Call before the application is built.
    pub fn with_api_limits(mut self, limits: ApiLimits) -> AppState {
        self.verify = Arc::new(VerifyState::new(
            self.store.clone(),
            pki_of(self.issuer.as_deref()),
            limits,
        ));
        self
    }
}

fn pki_of(issuer: Option<&WalletIssuer>) -> Option<(PkiDir, String)> {
    issuer.map(|i| (i.signers.pki().clone(), i.public_url.clone()))
}

/// The PKI the service issues with (each signer key decrypted once, on first use) and the public
/// URL of its status lists.
pub struct WalletIssuer {
    /// The PKI directory and its passphrase (never logged).
    pub signers: OpenedSigners,
    /// The public base URL status-list URIs are made from.
    pub public_url: String,
}

impl WalletIssuer {
    /// Issues with the PKI in `pki`, its keys opened with `passphrase`.
    pub fn new(pki: PkiDir, passphrase: Passphrase, public_url: String) -> WalletIssuer {
        WalletIssuer {
            signers: OpenedSigners::new(pki, passphrase),
            public_url,
        }
    }
}

/// Facts about this running instance, shown on the landing page.
#[derive(Debug, Clone)]
pub struct ServiceInfo {
    /// The database, with any password redacted when displayed.
    pub database_url: DatabaseUrl,
    /// Whether demo data was requested.
    pub demo: bool,
}

/// A bound, ready-to-run service.
pub struct Application {
    listener: TcpListener,
    router: Router,
    verify: Arc<VerifyState>,
}

impl Application {
    /// Binds `listen` (port 0 picks a free port), starts the audit writer and builds the routes.
    pub async fn build(listen: SocketAddr, state: AppState) -> std::io::Result<Application> {
        let listener = TcpListener::bind(listen).await?;
        state.verify.audit.start();
        crate::housekeeping::start(&state);
        if state.issuer.is_some() {
            // Sign the published files now rather than on the first request: a scanner opening
            // right after start-up gets its offline material without waiting for every region's
            // signer key to be opened.
            let warm = state.clone();
            tokio::spawn(async move {
                let trust = warm.published.trust_list(&warm).await.is_ok();
                let lists = warm.published.all_status_lists(&warm).await.is_ok();
                tracing::info!(trust, lists, "published files signed");
            });
        }
        Ok(Application {
            listener,
            verify: Arc::clone(&state.verify),
            router: router(state),
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish and writes the
    /// audit rows still queued.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let served = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        self.verify.audit.close().await;
        served
    }
}

/// All routes of the service.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(routes::landing::landing))
        .route("/health", get(routes::health::health))
        .route("/ready", get(routes::health::ready))
        .merge(routes::wallet::routes())
        .merge(routes::console::routes())
        .merge(routes::scanner_page::routes())
        .merge(routes::verification::routes())
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

/// Logs each request with its route template (never the raw path or query: they may carry personal data).
async fn log_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    // `MatchedPath` is a shared string: cloning it copies no text.
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    tracing::info!(
        %method,
        route = matched.as_ref().map_or("(unmatched)", MatchedPath::as_str),
        status = response.status().as_u16(),
        micros = started.elapsed().as_micros() as u64,
        "request"
    );
    response
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}
