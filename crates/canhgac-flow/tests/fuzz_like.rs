//! Property tests: random and mutated-valid datagrams never panic any decoder, and every
//! failure is counted.

#![allow(clippy::unwrap_used)] // a fixture that fails should stop the test

mod common;

use std::net::IpAddr;

use canhgac_flow::decode::Decoder;
use canhgac_flow::exporter::{ExportFormat, FlowExporter, SamplingExport};
use common::{sample_flows, single_packet_flows, EXPORT_MS};
use proptest::prelude::*;

fn router() -> IpAddr {
    "192.0.2.1".parse().unwrap()
}

/// Valid datagrams of every format (templates first), to mutate.
fn valid_datagrams(format_index: usize, ipv6: bool) -> Vec<Vec<u8>> {
    let format = [
        ExportFormat::NetflowV5,
        ExportFormat::NetflowV9,
        ExportFormat::Ipfix,
        ExportFormat::Sflow,
    ][format_index % 4];
    let flows = if format == ExportFormat::Sflow {
        single_packet_flows(router(), ipv6)
    } else {
        sample_flows(router(), ipv6 && format != ExportFormat::NetflowV5)
    };
    FlowExporter::new(format)
        .with_sampling(64, SamplingExport::Options)
        .datagrams(&flows, EXPORT_MS)
}

/// Decodes every datagram and checks the counters add up.
fn decode_and_account(decoder: &mut Decoder, datagrams: &[Vec<u8>]) {
    let before = decoder.exporter_stats(router());
    let mut errors = 0u64;
    let mut flows = 0u64;
    for datagram in datagrams {
        let mut out = Vec::new();
        match decoder.decode(router(), EXPORT_MS, datagram, &mut out) {
            Ok(decoded) => {
                assert_eq!(decoded.records, out.len());
                flows += out.len() as u64;
                for record in &out {
                    assert!(record.sampling_rate >= 1);
                }
            }
            Err(_) => {
                assert!(out.is_empty());
                errors += 1;
            }
        }
    }
    let after = decoder.exporter_stats(router()).unwrap();
    let (errors_before, flows_before, datagrams_before) = before
        .map(|stats| (stats.decode_errors, stats.flows, stats.datagrams))
        .unwrap_or((0, 0, 0));
    assert_eq!(after.decode_errors - errors_before, errors);
    assert_eq!(after.flows - flows_before, flows);
    assert_eq!(after.datagrams - datagrams_before, datagrams.len() as u64);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(
        head in prop::sample::select(vec![vec![0u8, 5], vec![0, 9], vec![0, 10], vec![0, 0, 0, 5], vec![]]),
        tail in prop::collection::vec(any::<u8>(), 0..600),
    ) {
        let mut datagram = head;
        datagram.extend(tail);
        decode_and_account(&mut Decoder::default(), &[datagram]);
    }

    #[test]
    fn mutated_valid_datagrams_never_panic(
        format_index in 0usize..4,
        ipv6 in any::<bool>(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut datagrams = valid_datagrams(format_index, ipv6);
        // Mutate every datagram (templates included) at a few places, sometimes truncate.
        for datagram in &mut datagrams {
            if datagram.is_empty() {
                continue;
            }
            for (at, value) in &flips {
                let at = at.index(datagram.len());
                datagram[at] = *value;
            }
            if truncate {
                let keep = cut.index(datagram.len() + 1);
                datagram.truncate(keep);
            }
        }
        let mut decoder = Decoder::default();
        decode_and_account(&mut decoder, &datagrams);
        // Decoding the same stream again (templates now known) must hold up as well.
        decode_and_account(&mut decoder, &datagrams);
    }

    #[test]
    fn enormous_counters_decode_without_overflow(packets in any::<u64>(), bytes in any::<u64>(), rate in 1u32..) {
        let mut flows = sample_flows(router(), false);
        flows[0].packets = packets;
        flows[0].bytes = bytes;
        let datagrams = FlowExporter::new(ExportFormat::Ipfix)
            .with_sampling(rate, SamplingExport::PerRecord)
            .datagrams(&flows, EXPORT_MS);
        let mut out = Vec::new();
        let mut decoder = Decoder::default();
        for datagram in &datagrams {
            decoder.decode(router(), EXPORT_MS, datagram, &mut out).unwrap();
        }
        prop_assert_eq!(out[0].packets, packets);
        prop_assert_eq!(out[0].bytes, bytes);
        prop_assert_eq!(out[0].sampling_rate, rate);
        prop_assert_eq!(out[0].scaled_bytes(), bytes.saturating_mul(u64::from(rate)));
    }
}
