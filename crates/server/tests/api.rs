//! The HTTP service on a real SQLite file and a real socket: landing page, health, readiness,
//! graceful shutdown.

#![allow(clippy::unwrap_used)] // Test helpers: a panic is the test failing, with its message.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;

use edl_app::{AnyStore, Clock, DatabaseUrl, FixedClock};
use edl_server::startup::{AppState, Application, ServiceInfo};
use time::macros::datetime;

struct TestApp {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    served: tokio::task::JoinHandle<std::io::Result<()>>,
    _dir: tempfile::TempDir,
}

async fn spawn_app(demo_licences: u64) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = DatabaseUrl::Sqlite(dir.path().join("registry.sqlite3"));
    let store = AnyStore::open(&url).await.expect("open store");
    let clock: Arc<dyn Clock> = Arc::new(FixedClock(datetime!(2026-11-26 08:00 UTC)));
    if demo_licences > 0 {
        edl_app::demo::seed_demo(&store, clock.as_ref(), demo_licences)
            .await
            .expect("demo data");
    }
    let state = AppState::new(
        store,
        clock,
        ServiceInfo {
            database_url: url,
            demo: demo_licences > 0,
        },
        None,
    );
    let app = Application::build("127.0.0.1:0".parse().unwrap(), state)
        .await
        .expect("bind");
    let addr = app.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    TestApp {
        addr,
        stop: Some(stop),
        served,
        _dir: dir,
    }
}

/// A plain HTTP/1.1 GET over a real socket; returns (status, body).
async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(addr).expect("connect");
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).unwrap();
        let text = String::from_utf8(response).expect("UTF-8 response");
        let status = text[9..12].parse().expect("status code");
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        (status, body)
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = spawn_app(0).await;
    let (status, body) = get(app.addr, "/health").await;
    assert_eq!(status, 200);
    assert!(body.contains(r#""status":"ok""#), "{body}");
    let (status, body) = get(app.addr, "/ready").await;
    assert_eq!(status, 200);
    assert!(body.contains(r#""database":"SQLite""#), "{body}");
    let (status, _) = get(app.addr, "/no-such-page").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_landing_page_says_what_runs_where_and_what_the_demo_registry_holds() {
    let app = spawn_app(300).await;
    let (status, body) = get(app.addr, "/").await;
    assert_eq!(status, 200);
    assert!(body.contains("电子驾驶证平台"), "title");
    assert!(body.contains("SQLite"), "engine");
    assert!(body.contains("registry.sqlite3"), "database location");
    assert!(body.contains("<b>300</b>"), "licence count");
    assert!(body.contains("2021-06-01"), "pilot phase date");
    assert!(body.contains("已开通 open"), "open phases");
    assert!(
        body.contains("天津") || body.contains("成都") || body.contains("苏州"),
        "region names"
    );
}

#[tokio::test]
async fn graceful_shutdown_stops_the_server() {
    let mut app = spawn_app(0).await;
    let (status, _) = get(app.addr, "/health").await;
    assert_eq!(status, 200);
    app.stop.take().unwrap().send(()).unwrap();
    app.served.await.unwrap().expect("server ended cleanly");
    assert!(TcpStream::connect(app.addr).is_err(), "no longer listening");
}
