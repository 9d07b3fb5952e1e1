//! A 10-million-entry status list: building it (set the non-valid entries, compress, sign) and
//! looking one credential up in a verified list.
//! Run: `cargo bench -p edl-status-list --bench status_list`.

#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use edl_domain::{AuthorityName, IssuingAuthority, RegionCode};
use edl_pki::DemoPki;
use edl_status_list::{CredentialStatus, StatusList, StatusListToken, verify_token};
use time::macros::datetime;

const ENTRIES: u64 = 10_000_000;

/// About 2% of credentials not valid (suspended, revoked, withdrawn, superseded), spread out.
fn status_of(i: u64) -> CredentialStatus {
    // splitmix64's finaliser: a well-mixed, reproducible choice per index (a plain multiplicative
    // hash is nearly periodic and would compress unrealistically well).
    let mut z = i.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    match z % 100 {
        0 => CredentialStatus::Suspended,
        1 => CredentialStatus::Invalid,
        _ => CredentialStatus::Valid,
    }
}

fn build() -> StatusList {
    let mut list = StatusList::new(2, ENTRIES).unwrap();
    for i in 0..ENTRIES {
        let s = status_of(i);
        if s != CredentialStatus::Valid {
            list.set(i, s).unwrap();
        }
    }
    list
}

fn bench(c: &mut Criterion) {
    let authority = IssuingAuthority {
        name: AuthorityName::parse("天津市公安局交通警察总队").unwrap(),
        region: RegionCode::parse("120100").unwrap(),
    };
    let pki = DemoPki::new(authority, datetime!(2026-01-01 00:00 UTC), 365).unwrap();
    let token = |list: StatusList| StatusListToken {
        uri: "https://edl.example.cn/status/120100.cwt".into(),
        issued_at: datetime!(2026-03-01 00:00 UTC),
        expires_at: datetime!(2026-03-02 00:00 UTC),
        ttl_seconds: 900,
        list,
    };

    let mut group = c.benchmark_group("status_list_10m");
    group.sample_size(10);
    group.bench_function("fill", |b| b.iter(build));
    let list = build();
    group.bench_function("compress", |b| b.iter(|| black_box(&list).compress()));
    group.bench_function("build_compress_sign", |b| {
        b.iter(|| {
            token(build())
                .sign(&pki.document_signer, &pki.document_signer_key)
                .unwrap()
        })
    });
    let bytes = token(list)
        .sign(&pki.document_signer, &pki.document_signer_key)
        .unwrap();
    eprintln!("10M entries, 2% not valid: token {} bytes", bytes.len());
    let at = datetime!(2026-03-01 01:00 UTC);
    group.bench_function("verify_and_inflate", |b| {
        b.iter(|| {
            verify_token(
                black_box(&bytes),
                std::slice::from_ref(&pki.anchor),
                at,
                None,
            )
            .unwrap()
        })
    });
    group.finish();

    let verified = verify_token(&bytes, std::slice::from_ref(&pki.anchor), at, None).unwrap();
    c.bench_function("status_list_10m/lookup", |b| {
        let mut i = 0u64;
        b.iter(|| {
            i = (i + 7_919) % ENTRIES;
            verified.list.get(black_box(i)).unwrap()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
