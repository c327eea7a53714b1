//! Typed model on arbitrary bytes: `Vcon::from_slice`, then write and read back.
//!
//! Properties checked (beyond "no panic, no hang, no OOM"):
//! * a `Vcon` that was read serialises (`to_vec`), and the bytes read back to a
//!   `Vcon` with the same JSON value (the model is stable after one round trip);
//! * `from_slice` accepts nothing that the bounded reader refuses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vcon_core::model::Vcon;
use vcon_core::read::{ReadLimits, read};

fuzz_target!(|data: &[u8]| {
    let Ok(vcon) = Vcon::from_slice(data) else {
        return;
    };
    assert!(read(data, &ReadLimits::default()).is_ok());
    let bytes = vcon.to_vec().expect("a model that was read serialises");
    let again = Vcon::from_slice(&bytes).expect("serialised model reads back");
    assert_eq!(again.to_value(), vcon.to_value());
});
