//! Export of indicators and sightings: a STIX 2.1 bundle whose object ids are UUIDv5 names of
//! the values (so that a re-export names the same indicator the same way), and CSV.

use canhgac_model::{IndicatorKind, Timestamp};
use serde_json::{json, Map, Value};
use sha1::{Digest, Sha1};

use super::pattern::quote;
use super::{Sighting, TLP_MARKINGS};
use crate::indicators::{ImportedIndicator, Tlp};

/// The UUIDv5 namespace of canhgac's STIX ids.
const NAMESPACE: [u8; 16] = [
    0xa1, 0x70, 0x79, 0xe6, 0xc4, 0x74, 0x47, 0x31, 0x9c, 0x42, 0xd7, 0x46, 0x3e, 0x1b, 0x93, 0xfc,
];

/// The TLP 2.0 extension that defines the TLP 2.0 marking definitions.
const TLP2_EXTENSION: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";

/// Indicator types of the STIX vocabulary; other tags go to `labels`.
const INDICATOR_TYPES: [&str; 7] = [
    "anomalous-activity",
    "anonymization",
    "benign",
    "compromised",
    "malicious-activity",
    "attribution",
    "unknown",
];

/// The columns of [`to_csv`].
pub const CSV_HEADER: [&str; 11] = [
    "kind",
    "value",
    "source",
    "description",
    "severity",
    "tlp",
    "confidence",
    "first_seen",
    "last_seen",
    "expires_at",
    "tags",
];

/// The organisation exporting (the province's centre): the bundle's `created_by_ref`, and where
/// sightings were made unless they name a unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StixIdentity {
    /// Name, e.g. "Sở Thông tin và Truyền thông tỉnh X".
    pub name: String,
}

impl StixIdentity {
    fn id(&self) -> String {
        identity_id(&self.name)
    }
}

fn identity_id(name: &str) -> String {
    format!("identity--{}", uuid_v5(&format!("identity:{name}")))
}

fn indicator_id(kind: IndicatorKind, value: &str) -> String {
    format!(
        "indicator--{}",
        uuid_v5(&format!("indicator:{kind}:{value}"))
    )
}

/// A UUID version 5 (RFC 4122 §4.3, SHA-1) of `name` in canhgac's namespace, in the usual
/// hyphenated form.
pub fn uuid_v5(name: &str) -> String {
    let mut hasher = Sha1::new();
    hasher.update(NAMESPACE);
    hasher.update(name.as_bytes());
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x50;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// STIX timestamps: UTC, millisecond precision, `Z`.
fn stix_time(timestamp: Timestamp) -> String {
    timestamp.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// The pattern of one value.
fn pattern_of(kind: IndicatorKind, value: &str) -> String {
    let path = match kind {
        IndicatorKind::Ip | IndicatorKind::Cidr if value.contains(':') => "ipv6-addr:value",
        IndicatorKind::Ip | IndicatorKind::Cidr => "ipv4-addr:value",
        IndicatorKind::Domain => "domain-name:value",
        IndicatorKind::Url => "url:value",
        IndicatorKind::Email => "email-addr:value",
        IndicatorKind::Md5 => "file:hashes.MD5",
        IndicatorKind::Sha1 => "file:hashes.'SHA-1'",
        IndicatorKind::Sha256 => "file:hashes.'SHA-256'",
    };
    format!("[{path} = {}]", quote(value))
}

fn tlp2_marking_id(tlp: Tlp) -> &'static str {
    // The first five entries are the TLP 2.0 ids, one per level.
    TLP_MARKINGS[..5]
        .iter()
        .find(|(_, level)| *level == tlp)
        .map_or(TLP_MARKINGS[4].0, |(id, _)| id)
}

fn tlp2_marking(tlp: Tlp) -> Value {
    let level = tlp.label().trim_start_matches("TLP:").to_ascii_lowercase();
    json!({
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": tlp2_marking_id(tlp),
        "created": "2022-10-01T00:00:00.000Z",
        "name": tlp.label(),
        "extensions": {
            TLP2_EXTENSION: {
                "extension_type": "property-extension",
                "tlp_2_0": level,
            }
        }
    })
}

fn identity_object(name: &str, created: &str) -> Value {
    json!({
        "type": "identity",
        "spec_version": "2.1",
        "id": identity_id(name),
        "created": created,
        "modified": created,
        "name": name,
        "identity_class": "organization",
    })
}

/// A STIX 2.1 bundle of `indicators` and `sightings`, made by `identity` at `exported_at`.
///
/// Ids are stable: the same value always gets the same `indicator--` id, the same sighting the
/// same `sighting--` id. `created` is the indicator's first-seen time when known (else the export
/// time), `modified` the export time. TLP markings use the TLP 2.0 marking definitions, which are
/// included. canhgac's own fields (severity, source, last seen, advisory) travel as
/// `x_canhgac_…` properties.
pub fn to_bundle(
    indicators: &[ImportedIndicator],
    sightings: &[Sighting],
    identity: &StixIdentity,
    exported_at: Timestamp,
) -> Value {
    let now = stix_time(exported_at);
    let creator = identity.id();
    let mut objects = vec![identity_object(&identity.name, &now)];
    let mut identity_names = vec![identity.name.clone()];
    let mut used_markings: Vec<Tlp> = Vec::new();

    for indicator in indicators {
        let input = &indicator.input;
        let created_at = indicator
            .first_seen
            .filter(|first| *first <= exported_at)
            .unwrap_or(exported_at);
        let mut object = Map::new();
        object.insert("type".into(), json!("indicator"));
        object.insert("spec_version".into(), json!("2.1"));
        object.insert("id".into(), json!(indicator_id(input.kind, &input.value)));
        object.insert("created_by_ref".into(), json!(creator));
        object.insert("created".into(), json!(stix_time(created_at)));
        object.insert("modified".into(), json!(now));
        object.insert(
            "pattern".into(),
            json!(pattern_of(input.kind, &input.value)),
        );
        object.insert("pattern_type".into(), json!("stix"));
        object.insert("pattern_version".into(), json!("2.1"));
        object.insert(
            "valid_from".into(),
            json!(stix_time(indicator.first_seen.unwrap_or(created_at))),
        );
        if let Some(expiry) = input.expires_at {
            object.insert("valid_until".into(), json!(stix_time(expiry)));
        }
        if !input.description.is_empty() {
            object.insert("description".into(), json!(input.description));
        }
        let (types, labels): (Vec<&String>, Vec<&String>) = input
            .tags
            .iter()
            .partition(|tag| INDICATOR_TYPES.contains(&tag.as_str()));
        if !types.is_empty() {
            object.insert("indicator_types".into(), json!(types));
        }
        if !labels.is_empty() {
            object.insert("labels".into(), json!(labels));
        }
        if let Some(confidence) = indicator.confidence {
            object.insert("confidence".into(), json!(confidence));
        }
        if let Some(tlp) = indicator.tlp {
            object.insert("object_marking_refs".into(), json!([tlp2_marking_id(tlp)]));
            if !used_markings.contains(&tlp) {
                used_markings.push(tlp);
            }
        }
        object.insert("x_canhgac_severity".into(), json!(input.severity.code()));
        object.insert("x_canhgac_source".into(), json!(input.source));
        if let Some(last_seen) = indicator.last_seen {
            object.insert("x_canhgac_last_seen".into(), json!(stix_time(last_seen)));
        }
        if let Some(advisory) = &indicator.advisory {
            object.insert("x_canhgac_advisory".into(), json!(advisory));
        }
        objects.push(Value::Object(object));
    }

    for sighting in sightings {
        let place = sighting.sighted_by.as_deref().unwrap_or(&identity.name);
        if !identity_names.iter().any(|name| name == place) {
            identity_names.push(place.to_string());
            objects.push(identity_object(place, &now));
        }
        let target = indicator_id(sighting.kind, &sighting.value);
        let id = format!(
            "sighting--{}",
            uuid_v5(&format!(
                "sighting:{}:{}:{place}",
                sighting.kind, sighting.value
            ))
        );
        let mut object = Map::new();
        object.insert("type".into(), json!("sighting"));
        object.insert("spec_version".into(), json!("2.1"));
        object.insert("id".into(), json!(id));
        object.insert("created_by_ref".into(), json!(creator));
        object.insert("created".into(), json!(now));
        object.insert("modified".into(), json!(now));
        object.insert("sighting_of_ref".into(), json!(target));
        // STIX caps the count at 999,999,999.
        object.insert("count".into(), json!(sighting.count.min(999_999_999)));
        if let Some(first) = sighting.first_seen {
            object.insert("first_seen".into(), json!(stix_time(first)));
        }
        if let Some(last) = sighting.last_seen {
            object.insert("last_seen".into(), json!(stix_time(last)));
        }
        object.insert("where_sighted_refs".into(), json!([identity_id(place)]));
        objects.push(Value::Object(object));
    }

    used_markings.sort();
    objects.extend(used_markings.into_iter().map(tlp2_marking));
    let bundle_name: String = std::iter::once(now.as_str())
        .chain(
            objects
                .iter()
                .filter_map(|o| o.get("id").and_then(Value::as_str)),
        )
        .collect::<Vec<_>>()
        .join("|");
    json!({
        "type": "bundle",
        "id": format!("bundle--{}", uuid_v5(&format!("bundle:{bundle_name}"))),
        "objects": objects,
    })
}

/// Indicators as CSV with the columns of [`CSV_HEADER`]: TLP as its label (`TLP:AMBER`), times
/// in RFC 3339, tags joined by `;`.
pub fn to_csv(indicators: &[ImportedIndicator]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let time = |t: Option<Timestamp>| t.map(|t| t.to_string()).unwrap_or_default();
    // Writing to a Vec<u8> cannot fail, and every row has the header's length.
    writer
        .write_record(CSV_HEADER)
        .expect("writing to memory does not fail");
    for indicator in indicators {
        let input = &indicator.input;
        writer
            .write_record([
                input.kind.code().to_string(),
                input.value.clone(),
                input.source.clone(),
                input.description.clone(),
                input.severity.code().to_string(),
                indicator
                    .tlp
                    .map(Tlp::label)
                    .unwrap_or_default()
                    .to_string(),
                indicator
                    .confidence
                    .map(|c| c.to_string())
                    .unwrap_or_default(),
                time(indicator.first_seen),
                time(indicator.last_seen),
                time(input.expires_at),
                input.tags.join(";"),
            ])
            .expect("writing to memory does not fail");
    }
    let bytes = writer
        .into_inner()
        .expect("flushing to memory does not fail");
    String::from_utf8(bytes).expect("the CSV writer writes the UTF-8 it is given")
}
