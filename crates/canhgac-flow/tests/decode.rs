//! Decoder behaviour on datagrams from our exporter: round trips, templates arriving late,
//! template refresh and withdrawal, sampling, sequence gaps and malformed input.

#![allow(clippy::unwrap_used)] // a fixture that fails should stop the test

mod common;

use std::net::IpAddr;

use canhgac_flow::decode::{DecodeError, Decoder, DecoderLimits};
use canhgac_flow::exporter::{ExportFormat, FlowExporter, SamplingExport, TemplateLayout};
use canhgac_flow::FlowRecord;
use common::{expected_after, sample_flows, single_packet_flows, EXPORT_MS};

const ALL_FORMATS: [ExportFormat; 4] = [
    ExportFormat::NetflowV5,
    ExportFormat::NetflowV9,
    ExportFormat::Ipfix,
    ExportFormat::Sflow,
];

fn router() -> IpAddr {
    "192.0.2.1".parse().unwrap()
}

fn decode_all(decoder: &mut Decoder, datagrams: &[Vec<u8>]) -> Vec<FlowRecord> {
    let mut out = Vec::new();
    for datagram in datagrams {
        decoder
            .decode(router(), EXPORT_MS + 100, datagram, &mut out)
            .unwrap_or_else(|error| panic!("{error}"));
    }
    out
}

fn flows_for(format: ExportFormat, ipv6: bool) -> Vec<FlowRecord> {
    if format == ExportFormat::Sflow {
        single_packet_flows(router(), ipv6)
            .into_iter()
            .map(|mut flow| {
                // sFlow has no flow times: the decoder stamps the receive time.
                flow.first_ms = EXPORT_MS + 100;
                flow.last_ms = EXPORT_MS + 100;
                flow
            })
            .collect()
    } else {
        sample_flows(router(), ipv6)
    }
}

#[test]
fn every_format_round_trips_ipv4_and_ipv6() {
    for format in ALL_FORMATS {
        for ipv6 in [false, true] {
            let flows = flows_for(format, ipv6);
            let mut exporter = FlowExporter::new(format);
            let mut decoder = Decoder::default();
            let decoded = decode_all(&mut decoder, &exporter.datagrams(&flows, EXPORT_MS));
            assert_eq!(
                decoded,
                expected_after(format, &flows),
                "{format:?} ipv6={ipv6}"
            );
            if let Some(stats) = decoder.exporter_stats(router()) {
                assert_eq!(stats.flows, decoded.len() as u64);
                assert!(stats.format.is_some());
                assert_eq!((stats.decode_errors, stats.template_misses), (0, 0));
            } else {
                assert!(decoded.is_empty(), "v5 has no IPv6: nothing to send");
            }
        }
    }
}

#[test]
fn many_flows_split_over_datagrams_keep_their_order() {
    for format in ALL_FORMATS {
        let mut flows = Vec::new();
        for round in 0..40u16 {
            for mut flow in flows_for(format, round % 3 == 0) {
                if flow.src_port != 0 {
                    flow.src_port = round + 1;
                }
                flows.push(flow);
            }
        }
        let mut exporter = FlowExporter::new(format);
        let datagrams = exporter.datagrams(&flows, EXPORT_MS);
        assert!(datagrams.len() > 2, "{format:?}");
        assert!(datagrams.iter().all(|datagram| datagram.len() <= 1400));
        let mut decoder = Decoder::default();
        assert_eq!(
            decode_all(&mut decoder, &datagrams),
            expected_after(format, &flows),
            "{format:?}"
        );
        let stats = decoder.exporter_stats(router()).unwrap();
        assert_eq!(stats.sequence_gaps, 0, "{format:?}");
    }
}

#[test]
fn data_before_its_template_is_a_miss_kept_briefly_until_the_template_arrives() {
    for format in [ExportFormat::NetflowV9, ExportFormat::Ipfix] {
        for (template_delay_ms, replayed) in [(2_000, true), (6_000, false)] {
            let flows = sample_flows(router(), false);
            let mut exporter = FlowExporter::new(format);
            let mut decoder = Decoder::default();
            let mut out = Vec::new();
            let early = exporter.data_datagrams(&flows, EXPORT_MS);
            let result = decoder
                .decode(router(), EXPORT_MS, &early[0], &mut out)
                .unwrap();
            assert_eq!((result.records, result.template_misses), (0, 1));
            assert!(out.is_empty());

            let template = exporter.template_datagram(EXPORT_MS).unwrap();
            let arrival = EXPORT_MS + template_delay_ms;
            let result = decoder
                .decode(router(), arrival, &template, &mut out)
                .unwrap();
            if replayed {
                // The kept data set is decoded as soon as its template arrives.
                assert_eq!(result.records, flows.len(), "{format:?}");
                assert_eq!(out, flows, "{format:?}");
            } else {
                assert!(out.is_empty(), "{format:?}: a set kept too long is dropped");
            }
            out.clear();
            let data = exporter.data_datagrams(&flows, EXPORT_MS);
            decoder
                .decode(router(), arrival, &data[0], &mut out)
                .unwrap();
            assert_eq!(out, flows, "{format:?}");
            let stats = decoder.exporter_stats(router()).unwrap();
            assert_eq!(stats.template_misses, 1, "{format:?}");
            assert_eq!(stats.templates, 2, "{format:?}");
            let expected_flows = if replayed { 2 } else { 1 } * flows.len() as u64;
            assert_eq!(stats.flows, expected_flows, "{format:?}");
        }
    }
}

#[test]
fn a_template_refresh_with_another_layout_is_followed() {
    for format in [ExportFormat::NetflowV9, ExportFormat::Ipfix] {
        let mut flows = sample_flows(router(), false);
        // The compact layout has 4-byte counters: stay within them.
        for flow in &mut flows {
            flow.packets = flow.packets.min(1_000_000);
            flow.bytes = flow.bytes.min(1_000_000_000);
        }
        let mut exporter = FlowExporter::new(format);
        let mut decoder = Decoder::default();
        let before = decode_all(&mut decoder, &exporter.datagrams(&flows, EXPORT_MS));
        exporter.set_layout(TemplateLayout::Compact);
        // Compact data written before the refresh reaches us: decoded with the standard
        // template it would be garbage.
        let compact_early = exporter.data_datagrams(&flows, EXPORT_MS);
        let mut garbage = Vec::new();
        for datagram in &compact_early {
            decoder
                .decode(router(), EXPORT_MS, datagram, &mut garbage)
                .unwrap();
        }
        assert_ne!(garbage, flows, "{format:?}");
        let after = decode_all(&mut decoder, &exporter.datagrams(&flows, EXPORT_MS));
        assert_eq!(before, flows, "{format:?}");
        assert_eq!(after, flows, "{format:?}");
        // Read again after the refresh, the same bytes are right: the layout was replaced
        // under the same template id.
        assert_eq!(
            decode_all(&mut decoder, &compact_early),
            flows,
            "{format:?}"
        );
    }
}

#[test]
fn ipfix_template_withdrawal_forgets_the_template() {
    let flows = sample_flows(router(), false);
    let mut exporter = FlowExporter::new(ExportFormat::Ipfix).with_domain(7);
    let mut decoder = Decoder::default();
    decode_all(&mut decoder, &exporter.datagrams(&flows, EXPORT_MS));
    // A withdrawal message for template 256 in domain 7: header, then set 2 with (256, 0).
    let mut withdrawal = vec![0, 10, 0, 24];
    withdrawal.extend_from_slice(&((EXPORT_MS / 1000) as u32).to_be_bytes());
    withdrawal.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 7]);
    withdrawal.extend_from_slice(&[0, 2, 0, 8, 1, 0, 0, 0]);
    decode_all(&mut decoder, &[withdrawal]);
    let mut out = Vec::new();
    let data = exporter.data_datagrams(&flows, EXPORT_MS);
    let result = decoder
        .decode(router(), EXPORT_MS, &data[0], &mut out)
        .unwrap();
    assert_eq!(result.template_misses, 1);
    assert_eq!(decoder.exporter_stats(router()).unwrap().templates, 1);
}

#[test]
fn sampling_rates_are_honoured_in_every_format() {
    let cases = [
        (ExportFormat::NetflowV5, SamplingExport::Options),
        (ExportFormat::NetflowV9, SamplingExport::Options),
        (ExportFormat::NetflowV9, SamplingExport::PerRecord),
        (ExportFormat::Ipfix, SamplingExport::Options),
        (ExportFormat::Ipfix, SamplingExport::PerRecord),
        (ExportFormat::Sflow, SamplingExport::Options),
    ];
    for (format, how) in cases {
        let flows = flows_for(format, false);
        let mut exporter = FlowExporter::new(format).with_sampling(512, how);
        let mut decoder = Decoder::default();
        let decoded = decode_all(&mut decoder, &exporter.datagrams(&flows, EXPORT_MS));
        assert_eq!(decoded.len(), expected_after(format, &flows).len());
        for flow in &decoded {
            assert_eq!(flow.sampling_rate, 512, "{format:?} {how:?}");
        }
        assert_eq!(
            decoded[0].scaled_packets(),
            decoded[0].packets * 512,
            "{format:?}"
        );
    }
}

#[test]
fn sequence_gaps_count_lost_export_datagrams_and_records() {
    for format in ALL_FORMATS {
        let flows = flows_for(format, false);
        let mut exporter = FlowExporter::new(format).with_domain(3);
        let mut decoder = Decoder::default();
        decode_all(&mut decoder, &exporter.datagrams(&flows, EXPORT_MS));
        decode_all(&mut decoder, &exporter.data_datagrams(&flows, EXPORT_MS));
        exporter.skip_sequence(3);
        decode_all(&mut decoder, &exporter.data_datagrams(&flows, EXPORT_MS));
        let stats = decoder.exporter_stats(router()).unwrap();
        assert_eq!(stats.sequence_gaps, 1, "{format:?}");
        let lost = match format {
            ExportFormat::NetflowV9 | ExportFormat::Sflow => stats.lost_datagrams,
            ExportFormat::NetflowV5 | ExportFormat::Ipfix => stats.lost_records,
        };
        assert_eq!(lost, 3, "{format:?}");
    }
}

#[test]
fn truncated_datagrams_are_errors_never_partial_output() {
    for format in ALL_FORMATS {
        let flows = flows_for(format, format != ExportFormat::NetflowV5);
        let mut exporter = FlowExporter::new(format).with_sampling(10, SamplingExport::Options);
        let datagrams = exporter.datagrams(&flows, EXPORT_MS);
        let data = datagrams.last().unwrap();
        let mut decoder = Decoder::default();
        decode_all(&mut decoder, &datagrams[..datagrams.len() - 1]);
        let mut errors = 0;
        for cut in 0..data.len() {
            let mut out = Vec::new();
            if decoder
                .decode(router(), EXPORT_MS, &data[..cut], &mut out)
                .is_err()
            {
                errors += 1;
                assert!(out.is_empty(), "{format:?} cut at {cut}");
            }
        }
        // A v9 datagram may end cleanly at a flowset boundary (and fewer than 4 trailing bytes
        // are padding); every other cut must fail.
        let clean_ends = if format == ExportFormat::NetflowV9 {
            4
        } else {
            0
        };
        assert!(
            errors + clean_ends >= data.len(),
            "{format:?}: {errors} of {}",
            data.len()
        );
        let stats = decoder.exporter_stats(router()).unwrap();
        assert_eq!(stats.decode_errors, errors as u64);
        assert!(stats.last_error.is_some());
    }
}

#[test]
fn malformed_templates_and_lengths_are_typed_errors() {
    let mut decoder = Decoder::default();
    let mut out = Vec::new();
    let v9 = |sets: &[u8]| {
        let mut datagram = vec![0, 9, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        datagram.extend_from_slice(sets);
        datagram
    };
    // A template with a zero-length field.
    let zero_length = v9(&[0, 0, 0, 12, 1, 0, 0, 1, 0, 8, 0, 0]);
    assert!(matches!(
        decoder.decode(router(), 0, &zero_length, &mut out),
        Err(DecodeError::BadTemplate {
            template_id: 256,
            ..
        })
    ));
    // A template without fields would make zero-length records: refused.
    let no_fields = v9(&[0, 0, 0, 8, 1, 0, 0, 0]);
    assert!(matches!(
        decoder.decode(router(), 0, &no_fields, &mut out),
        Err(DecodeError::BadTemplate { .. })
    ));
    // An IPv4 address field that is not 4 bytes.
    let bad_address = v9(&[0, 0, 0, 12, 1, 0, 0, 1, 0, 8, 0, 5]);
    assert!(decoder.decode(router(), 0, &bad_address, &mut out).is_err());
    // A set length past the end of the datagram.
    let past_end = v9(&[1, 0, 0, 200, 0, 0, 0, 0]);
    assert!(matches!(
        decoder.decode(router(), 0, &past_end, &mut out),
        Err(DecodeError::BadLength { .. })
    ));
    // A set length below its own header.
    let too_short = v9(&[1, 0, 0, 2, 0, 0, 0, 0]);
    assert!(decoder.decode(router(), 0, &too_short, &mut out).is_err());
    // An IPFIX message whose length field disagrees with the datagram.
    let ipfix = [0, 10, 0, 99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    assert!(decoder.decode(router(), 0, &ipfix, &mut out).is_err());
    // v5 announcing more records than it holds.
    let mut v5 = vec![0, 5, 0, 30];
    v5.resize(24 + 48, 0);
    assert!(decoder.decode(router(), 0, &v5, &mut out).is_err());
    // sFlow with an enormous sample count and nothing behind it.
    let mut sflow = vec![0, 0, 0, 5, 0, 0, 0, 1, 192, 0, 2, 1];
    sflow.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff]);
    assert!(decoder.decode(router(), 0, &sflow, &mut out).is_err());
    let stats = decoder.exporter_stats(router()).unwrap();
    assert_eq!(stats.decode_errors, 8);
    assert_eq!(stats.datagrams, 8);
    assert!(out.is_empty());
    // The error text leads in Vietnamese and carries the English after it.
    let message = stats.last_error.unwrap().to_string();
    assert!(message.starts_with("gói tin bị cắt"), "{message}");
    assert!(message.contains("truncated datagram"), "{message}");
}

#[test]
fn an_exporter_cannot_grow_the_template_cache_without_limit() {
    let limits = DecoderLimits {
        max_templates_per_exporter: 16,
        ..DecoderLimits::default()
    };
    let mut decoder = Decoder::new(limits);
    let mut out = Vec::new();
    let mut refused = 0;
    for template_id in 256..1256u16 {
        let mut datagram = vec![0, 9, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        datagram.extend_from_slice(&[0, 0, 0, 12]);
        datagram.extend_from_slice(&template_id.to_be_bytes());
        datagram.extend_from_slice(&[0, 1, 0, 8, 0, 4]);
        if let Err(error) = decoder.decode(router(), 0, &datagram, &mut out) {
            assert_eq!(error, DecodeError::TemplateLimit { limit: 16 });
            refused += 1;
        }
    }
    assert_eq!(refused, 1000 - 16);
    assert_eq!(decoder.exporter_stats(router()).unwrap().templates, 16);
}

#[test]
fn sflow_counter_samples_are_skipped_and_non_ip_frames_make_no_flow() {
    let flows = single_packet_flows(router(), false);
    let mut exporter = FlowExporter::new(ExportFormat::Sflow);
    let mut datagram = exporter.datagrams(&flows[..1], EXPORT_MS).remove(0);
    // Add a counter sample (format 2) and bump the sample count from 1 to 2.
    datagram[27] = 2;
    datagram.extend_from_slice(&[0, 0, 0, 2, 0, 0, 0, 12, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    let mut decoder = Decoder::default();
    let mut out = Vec::new();
    decoder
        .decode(router(), EXPORT_MS, &datagram, &mut out)
        .unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].src, flows[0].src);
    // Turn the sampled frame into ARP (EtherType 0x0806): no flow, no error.
    let position = datagram
        .windows(2)
        .position(|pair| pair == [0x08, 0x00])
        .unwrap();
    datagram[position + 1] = 0x06;
    out.clear();
    let result = decoder
        .decode(router(), EXPORT_MS, &datagram, &mut out)
        .unwrap();
    assert_eq!((result.records, out.len()), (0, 0));
}

#[test]
fn sflow_vlan_tagged_frames_and_expanded_flow_samples_decode() {
    for ipv6 in [false, true] {
        let flows = flows_for(ExportFormat::Sflow, ipv6);
        let mut exporter = FlowExporter::new(ExportFormat::Sflow)
            .with_vlan(42)
            .with_sampling(2048, SamplingExport::Options);
        let datagrams = exporter.datagrams(&flows, EXPORT_MS);
        let mut decoder = Decoder::default();
        let decoded = decode_all(&mut decoder, &datagrams);
        let expected: Vec<FlowRecord> = flows
            .iter()
            .map(|flow| FlowRecord {
                sampling_rate: 2048,
                ..*flow
            })
            .collect();
        assert_eq!(decoded, expected, "VLAN-tagged, ipv6={ipv6}");
    }

    // Rewrite the first flow sample of a datagram as an expanded flow sample (format 3).
    let flows = flows_for(ExportFormat::Sflow, false);
    let mut exporter =
        FlowExporter::new(ExportFormat::Sflow).with_sampling(100, SamplingExport::Options);
    let datagram = exporter.datagrams(&flows[..1], EXPORT_MS).remove(0);
    let word = |at: usize| u32::from_be_bytes(datagram[at..at + 4].try_into().unwrap());
    let sample_at = 28;
    assert_eq!(word(sample_at), 1, "a flow sample");
    let body_at = sample_at + 8;
    let (sequence, rate, pool, drops, input, output) = (
        word(body_at),
        word(body_at + 8),
        word(body_at + 12),
        word(body_at + 16),
        word(body_at + 20),
        word(body_at + 24),
    );
    let mut expanded = datagram[..sample_at].to_vec();
    expanded.extend_from_slice(&3u32.to_be_bytes());
    expanded.extend_from_slice(&(word(sample_at + 4) + 12).to_be_bytes());
    for value in [sequence, 0, 1, rate, pool, drops, 0, input, 0, output] {
        expanded.extend_from_slice(&value.to_be_bytes());
    }
    expanded.extend_from_slice(&datagram[body_at + 28..]);
    let mut decoder = Decoder::default();
    let decoded = decode_all(&mut decoder, &[expanded]);
    assert_eq!(
        decoded,
        vec![FlowRecord {
            sampling_rate: 100,
            ..flows[0]
        }]
    );
}

/// An IPFIX message by hand: fields our exporter never writes (enterprise and variable-length
/// elements, reduced-size counters, seconds and NTP times, fragmentOffset, sampling described by
/// samplingSize/samplingPopulation options).
#[test]
fn ipfix_variable_length_enterprise_fields_and_other_encodings_decode() {
    let export_secs: u32 = 1_795_687_200;
    let mut sets = Vec::new();
    let set = |id: u16, body: &[u8]| {
        let mut set = id.to_be_bytes().to_vec();
        set.extend_from_slice(&((body.len() + 4) as u16).to_be_bytes());
        set.extend_from_slice(body);
        set
    };
    // Template 300.
    let mut template = vec![1, 44, 0, 10];
    template.extend_from_slice(&[0x80, 0x01, 0xff, 0xff, 0, 0, 0, 9]); // enterprise 9, variable
    for (id, len) in [
        (8u16, 4u16),
        (12, 4),
        (150, 4),
        (155, 8),
        (4, 1),
        (88, 2),
        (1, 2),
        (2, 1),
    ] {
        template.extend_from_slice(&id.to_be_bytes());
        template.extend_from_slice(&len.to_be_bytes());
    }
    template.extend_from_slice(&[0, 82, 0xff, 0xff]); // interfaceName, variable
    sets.extend(set(2, &template));
    // Options template 301: selectorId scope, samplingSize, samplingPopulation.
    let mut options = vec![1, 45, 0, 3, 0, 1];
    for (id, len) in [(302u16, 4u16), (309, 4), (310, 4)] {
        options.extend_from_slice(&id.to_be_bytes());
        options.extend_from_slice(&len.to_be_bytes());
    }
    sets.extend(set(3, &options));
    let mut sampling = 9u32.to_be_bytes().to_vec();
    sampling.extend_from_slice(&1u32.to_be_bytes());
    sampling.extend_from_slice(&250u32.to_be_bytes());
    sets.extend(set(301, &sampling));
    // Two data records.
    let mut data = vec![3, b'a', b'b', b'c'];
    data.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2]);
    data.extend_from_slice(&1_795_687_000u32.to_be_bytes());
    let ntp_end = ((1_795_687_100u64 + 2_208_988_800) << 32) | 0x8000_0000;
    data.extend_from_slice(&ntp_end.to_be_bytes());
    data.extend_from_slice(&[17, 0, 185]); // UDP, fragment offset 185
    data.extend_from_slice(&1500u16.to_be_bytes());
    data.push(1);
    data.extend_from_slice(&[255, 1, 44]); // a 300-byte interface name in the long form
    data.extend(std::iter::repeat_n(b'x', 300));
    data.push(0); // empty enterprise field
    data.extend_from_slice(&[10, 0, 0, 3, 10, 0, 0, 4]);
    data.extend_from_slice(&1_795_687_150u32.to_be_bytes());
    data.extend_from_slice(&(((1_795_687_160u64 + 2_208_988_800) << 32).to_be_bytes()));
    data.extend_from_slice(&[1, 0, 0]); // ICMP, not a fragment
    data.extend_from_slice(&84u16.to_be_bytes());
    data.push(1);
    data.extend_from_slice(&[2, b'e', b'0']);
    sets.extend(set(300, &data));

    let mut message = vec![0, 10];
    message.extend_from_slice(&((16 + sets.len()) as u16).to_be_bytes());
    message.extend_from_slice(&export_secs.to_be_bytes());
    message.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1]);
    message.extend_from_slice(&sets);

    let mut decoder = Decoder::default();
    let mut out = Vec::new();
    let decoded = decoder
        .decode(router(), EXPORT_MS, &message, &mut out)
        .unwrap();
    assert_eq!(decoded.records, 2);
    let base = FlowRecord {
        exporter: router(),
        src: "10.0.0.1".parse().unwrap(),
        dst: "10.0.0.2".parse().unwrap(),
        src_port: 0,
        dst_port: 0,
        protocol: canhgac_flow::Protocol::UDP,
        tcp_flags: 0,
        packets: 1,
        bytes: 1500,
        sampling_rate: 250,
        fragment: true,
        first_ms: 1_795_687_000_000,
        last_ms: 1_795_687_100_500,
    };
    let icmp = FlowRecord {
        src: "10.0.0.3".parse().unwrap(),
        dst: "10.0.0.4".parse().unwrap(),
        protocol: canhgac_flow::Protocol::ICMP,
        bytes: 84,
        fragment: false,
        first_ms: 1_795_687_150_000,
        last_ms: 1_795_687_160_000,
        ..base
    };
    assert_eq!(out, vec![base, icmp]);

    // A variable-length field whose length runs past the set is an error, not a panic.
    let mut broken = message.clone();
    let at = broken.windows(3).position(|w| w == [255, 1, 44]).unwrap();
    broken[at + 1] = 0xff; // 65,324 bytes announced
    out.clear();
    assert!(decoder
        .decode(router(), EXPORT_MS, &broken, &mut out)
        .is_err());
    assert!(out.is_empty());
}

/// NetFlow v9 by hand, the way many routers configure sampling: an options record with
/// SAMPLING_INTERVAL (34) and SAMPLING_ALGORITHM (35) for the whole system, data records that
/// name no sampler, and flowsets padded to four bytes.
#[test]
fn netflow_v9_system_wide_sampling_options_and_padding() {
    let flowset = |id: u16, body: &[u8]| {
        let mut set = id.to_be_bytes().to_vec();
        let padded = (body.len() + 4).div_ceil(4) * 4;
        set.extend_from_slice(&(padded as u16).to_be_bytes());
        set.extend_from_slice(body);
        set.resize(padded, 0);
        set
    };
    let mut datagram = vec![0, 9, 0, 3];
    datagram.extend_from_slice(&100_000u32.to_be_bytes()); // sysUptime
    datagram.extend_from_slice(&1_795_687_200u32.to_be_bytes()); // unix secs
    datagram.extend_from_slice(&[0, 0, 0, 7, 0, 0, 0, 42]); // sequence, source id
                                                            // Options template 260: scope System (4 bytes); options 34 (4 bytes), 35 (1 byte).
    datagram.extend(flowset(
        1,
        &[1, 4, 0, 4, 0, 8, 0, 1, 0, 4, 0, 34, 0, 4, 0, 35, 0, 1],
    ));
    // Template 261: src, dst, protocol, packets (4), bytes (4), first, last.
    let mut template = vec![1, 5, 0, 7];
    for (id, len) in [
        (8u16, 4u16),
        (12, 4),
        (4, 1),
        (2, 4),
        (1, 4),
        (22, 4),
        (21, 4),
    ] {
        template.extend_from_slice(&id.to_be_bytes());
        template.extend_from_slice(&len.to_be_bytes());
    }
    datagram.extend(flowset(0, &template));
    datagram.extend(flowset(260, &[0, 0, 0, 0, 0, 0, 0, 100, 2]));
    let mut record = vec![192, 0, 2, 9, 198, 51, 100, 1, 6];
    record.extend_from_slice(&10u32.to_be_bytes());
    record.extend_from_slice(&4000u32.to_be_bytes());
    record.extend_from_slice(&40_000u32.to_be_bytes()); // 60 s before export
    record.extend_from_slice(&99_000u32.to_be_bytes()); // 1 s before export
    datagram.extend(flowset(261, &record)); // 29 bytes + 3 of padding

    let mut decoder = Decoder::default();
    let mut out = Vec::new();
    decoder
        .decode(router(), EXPORT_MS, &datagram, &mut out)
        .unwrap();
    assert_eq!(out.len(), 1, "padding is not a record");
    let flow = out[0];
    assert_eq!(flow.sampling_rate, 100);
    assert_eq!((flow.packets, flow.bytes), (10, 4000));
    assert_eq!(flow.scaled_bytes(), 400_000);
    assert_eq!(flow.first_ms, 1_795_687_200_000 - 60_000);
    assert_eq!(flow.last_ms, 1_795_687_200_000 - 1_000);
    assert_eq!(flow.dst, "198.51.100.1".parse::<IpAddr>().unwrap());
}

/// NetFlow v5 keeps the sampling interval in the low 14 bits of its header, the mode above.
#[test]
fn netflow_v5_sampling_header_mode_bits_are_not_part_of_the_interval() {
    let flows = sample_flows(router(), false);
    let mut datagram = FlowExporter::new(ExportFormat::NetflowV5)
        .datagrams(&flows, EXPORT_MS)
        .remove(0);
    // Mode 2 (0b10) with interval 1000.
    datagram[22..24].copy_from_slice(&(0x8000u16 | 1000).to_be_bytes());
    let mut out = Vec::new();
    Decoder::default()
        .decode(router(), EXPORT_MS, &datagram, &mut out)
        .unwrap();
    assert!(out.iter().all(|flow| flow.sampling_rate == 1000));
}
