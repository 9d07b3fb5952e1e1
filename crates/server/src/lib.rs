//! The HTTP service of the e-licence platform (`edl serve`).
//!
//! - [`configuration`]: file + environment + flags → [`configuration::Settings`].
//! - [`telemetry`]: structured logs without personal data.
//! - [`startup`]: [`startup::Application`] binds, routes and serves with graceful shutdown.
//! - `routes`: one module per resource; handlers are thin and call `edl-app`.
//!
//! Handlers never touch SQL: they reach the registry through [`edl_store::Store`].

pub mod configuration;
mod html;
mod routes;
pub mod startup;
pub mod telemetry;
