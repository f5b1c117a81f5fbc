//! Shared by every target: feed the input as datagrams to one decoder, after forcing the
//! format's version bytes so the fuzzer spends its time inside that decoder. The input is cut
//! into several datagrams at 0xFE 0xFE markers so templates learnt from one datagram are used
//! by the next.

use std::net::IpAddr;

use canhgac_flow::decode::Decoder;

pub fn run(data: &[u8], version: &[u8]) {
    let exporter = IpAddr::from([192, 0, 2, 1]);
    let mut decoder = Decoder::default();
    let mut out = Vec::new();
    for piece in data.split(|byte| *byte == 0xfe).filter(|piece| !piece.is_empty()) {
        let mut datagram = version.to_vec();
        datagram.extend_from_slice(piece.get(version.len()..).unwrap_or_default());
        out.clear();
        let result = decoder.decode(exporter, 1_700_000_000_000, &datagram, &mut out);
        if result.is_err() {
            assert!(out.is_empty(), "a failed datagram leaves no records");
        }
    }
    let stats = decoder.stats();
    assert!(stats.iter().all(|exporter| exporter.decode_errors <= exporter.datagrams));
}
