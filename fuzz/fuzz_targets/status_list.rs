//! Any bytes as a status list token and as a compressed list: never a panic, never more memory
//! than the cap.
#![no_main]

use edl_status_list::{StatusList, verify_token};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = verify_token(data, &[], time::macros::datetime!(2026-03-01 00:00 UTC), None);
    if let Some((&bits, lst)) = data.split_first()
        && let Ok(list) = StatusList::decompress(u64::from(bits % 9), lst)
    {
        let _ = list.get(list.len().saturating_sub(1));
    }
});
