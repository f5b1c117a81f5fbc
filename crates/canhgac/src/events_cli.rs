//! `canhgac events import`: reads log files (EVTX, JSON lines, syslog, access logs) and sends
//! them to a running server's `POST /api/v1/events` in acknowledged batches; `events convert`
//! prints them as the JSON lines it would send.

use std::path::PathBuf;

use anyhow::Context;
use canhgac_ingest::files::{read_file, FileFormat};
use canhgac_model::{Event, FieldValue};
use serde_json::{Map, Value};

/// Events per HTTP batch.
const BATCH: usize = 1000;

/// A flat JSON object the server's NDJSON decoder reads back into the same event: its time,
/// host and message under the names the decoder looks for, then every field.
pub fn event_to_json(event: &Event) -> Value {
    let mut object = Map::new();
    object.insert("@timestamp".into(), Value::String(event.time.to_string()));
    if let Some(host) = &event.host {
        object.insert("host".into(), Value::String(host.clone()));
    }
    for (name, value) in event.fields.iter() {
        object.insert(name.to_string(), field_json(value));
    }
    if !object.contains_key("message") {
        object.insert("message".into(), Value::String(event.message.clone()));
    }
    Value::Object(object)
}

fn field_json(value: &FieldValue) -> Value {
    match value {
        FieldValue::Null => Value::Null,
        FieldValue::Bool(b) => Value::Bool(*b),
        FieldValue::Int(i) => Value::from(*i),
        FieldValue::Float(f) => Value::from(*f),
        FieldValue::Str(s) => Value::String(s.clone()),
        FieldValue::List(items) => Value::Array(items.iter().map(field_json).collect()),
    }
}

/// Reads `files` and posts their events to `server` with `token`. Lines that do not decode are
/// reported with their file and line and skipped; a refused batch stops the import.
pub async fn import(
    files: &[PathBuf],
    format: Option<FileFormat>,
    server: &str,
    token: &str,
) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/events", server.trim_end_matches('/'));
    let mut sent = 0usize;
    let mut bad = 0usize;
    for path in files {
        let events =
            read_file(path, format).with_context(|| format!("cannot read {}", path.display()))?;
        let mut body = Vec::with_capacity(BATCH * 512);
        let mut in_batch = 0usize;
        for item in events {
            match item {
                Ok(event) => {
                    serde_json::to_writer(&mut body, &event_to_json(&event))?;
                    body.push(b'\n');
                    in_batch += 1;
                    if in_batch == BATCH {
                        sent += post(&http, &url, token, std::mem::take(&mut body)).await?;
                        in_batch = 0;
                    }
                }
                Err(e) => {
                    bad += 1;
                    eprintln!("{}: {e}", path.display());
                }
            }
        }
        if in_batch > 0 {
            sent += post(&http, &url, token, body).await?;
        }
        eprintln!("{}: done ({sent} events sent so far)", path.display());
    }
    println!("{sent} events imported, {bad} records skipped");
    Ok(())
}

async fn post(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    body: Vec<u8>,
) -> anyhow::Result<usize> {
    let response = http
        .post(url)
        .bearer_auth(token)
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .with_context(|| format!("cannot reach {url}"))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if !status.is_success() {
        anyhow::bail!("{url} refused a batch ({status}): {text}");
    }
    let receipt: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    Ok(receipt["accepted"]
        .as_u64()
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(0))
}

/// Prints the events of `files` as JSON lines on standard output; records that do not decode
/// are reported on standard error with their file and line.
pub fn convert(files: &[PathBuf], format: Option<FileFormat>) -> anyhow::Result<()> {
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut bad = 0usize;
    for path in files {
        let events =
            read_file(path, format).with_context(|| format!("cannot read {}", path.display()))?;
        for item in events {
            match item {
                Ok(event) => {
                    serde_json::to_writer(&mut out, &event_to_json(&event))?;
                    out.write_all(b"\n")?;
                }
                Err(e) => {
                    bad += 1;
                    eprintln!("{}: {e}", path.display());
                }
            }
        }
    }
    out.flush()?;
    if bad > 0 {
        eprintln!("{bad} records skipped");
    }
    Ok(())
}
