//! The HTTP service of the e-licence platform (`edl serve`).
//!
//! - [`configuration`]: file + environment + flags → [`configuration::Settings`].
//! - [`telemetry`]: structured logs without personal data.
//! - [`startup`]: [`startup::Application`] binds, routes and serves with graceful shutdown.
//! - `routes`: one module per resource; handlers are thin and call `edl-app`. `routes::wallet`
//!   is the holder's web wallet (accounts, claim, the card), `auth` its passwords, sessions, CSRF
//!   and login throttle. `routes::console` is the staff console (issuing authorities, the
//!   platform operator, verifier organisations); [`demo`] makes its demo staff.
//! - [`housekeeping`]: the hourly sweep of expired holder and console sessions.
//!
//! Handlers never touch SQL: they reach the registry through [`edl_store::Store`].

pub mod api_key;
mod auth;
pub mod configuration;
pub mod demo;
pub mod housekeeping;
mod html;
mod i18n;
mod routes;
pub mod staff;
pub mod startup;
pub mod telemetry;
pub mod verify_state;
