//! `edl-interop-isomdl`: exists only to test and benchmark the platform's ISO/IEC 18013-5 mdoc
//! against [isomdl](https://crates.io/crates/isomdl), an independent Rust implementation. It has
//! no code of its own: everything is in `tests/` (isomdl accepts our DeviceResponse; we accept
//! one isomdl produced) and `benches/verify.rs` (both verifiers on the same input, with one
//! ECDSA P-256 verification as the unit). Its findings are in `docs/interop.md`.
