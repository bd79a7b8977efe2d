#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| lojal_fuzz::products_json(data));
