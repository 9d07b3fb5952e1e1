//! What the socket tests share: a fresh PostgreSQL database per test, the backend switch, one
//! HTTP/1.1 request over a real socket and its reply, and the macro that runs a test on both
//! backends.

#![allow(dead_code)] // Each test file uses part of it.
#![allow(clippy::unwrap_used)] // Test helpers: a panic is the test failing, with its message.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use serde_json::Value;

// ------------------------------------------------------------------------------------------------
// A fresh PostgreSQL database per test.

pub(crate) struct PgDatabase {
    admin_url: String,
    name: String,
    /// The new database's URL.
    pub(crate) url: String,
}

fn admin_url() -> String {
    std::env::var("EDL_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

impl PgDatabase {
    /// Creates a fresh database; `None` (skipped, with a message) when no server answers, unless
    /// `EDL_REQUIRE_POSTGRES=1`.
    pub(crate) async fn create() -> Option<PgDatabase> {
        use sqlx::Connection as _;
        let admin_url = admin_url();
        let name = format!(
            "edl_server_test_{:016x}",
            std::hash::BuildHasher::hash_one(
                &std::collections::hash_map::RandomState::new(),
                std::time::SystemTime::now()
            )
        );
        let created = async {
            let mut conn = sqlx::PgConnection::connect(&admin_url).await?;
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await?;
            Ok::<_, sqlx::Error>(())
        }
        .await;
        match created {
            Ok(()) => {
                let base = admin_url.rsplit_once('/').map_or(&*admin_url, |(b, _)| b);
                let url = format!("{base}/{name}");
                Some(PgDatabase {
                    admin_url,
                    name,
                    url,
                })
            }
            Err(error) => {
                assert!(
                    std::env::var("EDL_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                    "PostgreSQL is required (EDL_REQUIRE_POSTGRES=1) but unreachable: {error}"
                );
                eprintln!("SKIPPED: PostgreSQL unreachable ({error})");
                None
            }
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // On its own thread: the test's runtime may be shutting down.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                use sqlx::Connection as _;
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}

/// Which engine a test runs on.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// An HTTP response as read off the socket.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: String,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.headers.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }

    pub(crate) fn code(&self) -> String {
        self.json()["error"]["code"].as_str().unwrap().to_owned()
    }
}

/// One HTTP/1.1 request over a real socket.
pub(crate) async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> Reply {
    let head: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    let mut text = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n{head}\r\n",
        body.len()
    )
    .into_bytes();
    text.extend_from_slice(body);
    tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(addr).unwrap();
        // A server may answer (413) before reading a large body: ignore a reset while writing.
        let _ = stream.write_all(&text);
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        let split = response
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or(response.len());
        let headers = String::from_utf8_lossy(&response[..split]).into_owned();
        let body = response.get(split + 4..).unwrap_or_default().to_vec();
        Reply {
            status: headers[9..12].parse().unwrap(),
            headers,
            body,
        }
    })
    .await
    .unwrap()
}

impl Reply {
    /// The body as text.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The value of a cookie the response sets.
    pub(crate) fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .lines()
            .filter(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
            .find_map(|l| {
                let value = l.split_once(':')?.1.trim();
                let (pair, _) = value.split_once(';').unwrap_or((value, ""));
                let (k, v) = pair.split_once('=')?;
                (k == name).then(|| v.to_owned())
            })
    }
}

/// Runs each named `async fn(Backend)` as a test on SQLite and on PostgreSQL.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test] async fn $name() { super::$name(super::Backend::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test] async fn $name() { super::$name(super::Backend::Postgres).await })*
        }
    };
}
