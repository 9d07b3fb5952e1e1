//! `edl-synth`: deterministic synthetic driving licences for demos, tests and benchmarks. Pure: no I/O.
//!
//! [`Generator`] makes [`edl_domain::Licence`] values from a seed: licence `i` depends only on the seed, the
//! generator's `today` and `i`, so any prefix of a run is reproducible and licences can be made in any order.
//! [`demo_authorities`] lists the issuing authorities of the 28 cities of the September 2021 rollout, which the
//! generator uses by default, and [`rollout_phases`] gives the 2021 rollout as [`edl_domain::RolloutEntry`] values.
//!
//! Every generated licence is built through [`edl_domain::Licence::new`], so it satisfies the domain's rules;
//! the mixes (classes, statuses, points, ages) are described in `docs/decisions/synthetic-data.md`.

mod authorities;
mod generator;
mod tables;
mod weighted;

pub use authorities::{demo_authorities, rollout_phases};
pub use generator::{Generator, GeneratorError};

/// The demo portrait: a 120×160 JPEG silhouette (1.7 KiB), the same for every synthetic licence.
/// Synthetic people have no faces; the registry's real portraits replace it in production.
pub fn demo_portrait() -> &'static [u8] {
    include_bytes!("../data/portrait.jpg")
}
