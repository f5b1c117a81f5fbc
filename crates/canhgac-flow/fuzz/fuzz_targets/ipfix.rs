//! Fuzzes the decoder with datagrams whose version says ipfix.
#![no_main]

mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::run(data, &[0, 10]));
