//! The edl-store conformance suite on PostgreSQL, one fresh `edl_test_<hex>` database per check.
//!
//! Skipped (with `SKIPPED: PostgreSQL unreachable`) when no server answers at `EDL_TEST_DATABASE_URL`, unless
//! `EDL_REQUIRE_POSTGRES=1`.

mod common;

edl_store::store_conformance_tests!(common::fresh);
