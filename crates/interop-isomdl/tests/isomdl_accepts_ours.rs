#![allow(clippy::unwrap_used)]
mod common;
use common::*;

#[test]
fn explore() {
    let o = ours();
    let t = RawTranscript::from_ours(&o.transcript);
    let reg = isomdl_registry(o.pki.iaca.as_bytes());
    let v = isomdl_verify(&o.response, &t, &reg).unwrap();
    println!("issuer {:?} device {:?}", v.outcome.issuer_authentication, v.outcome.device_authentication);
    println!("errors {:#?}", v.outcome.errors);
    println!("cert errors {:#?}", v.certificate_errors);
    println!("response ns {:#?}", v.outcome.response.keys().collect::<Vec<_>>());
}
