//! STIX 2.1: reading bundles into indicators, and exporting indicators and sightings as a bundle
//! or CSV.
//!
//! [`read_bundle`] (and [`read_objects`], for the object lists TAXII returns) reads `indicator`
//! objects whose pattern is in the simple subset of [`pattern::simple_values`]; every other
//! indicator is kept in [`StixImport::not_evaluated`] with the reason. `sighting` objects are
//! counted and, when they point at an indicator of the same bundle, returned. Top-level
//! cyber-observables (`ipv4-addr`, `domain-name`, `url`, `email-addr`, `file`) are listed as
//! [`Observable`]s, not indicators: seeing a thing is not saying it is malicious.
//!
//! Reading is all or nothing: the first malformed object fails the whole bundle, naming the
//! object (its id, or its index when it has none) and the problem.
//!
//! Mapping: `valid_from` → first seen, `valid_until` → expiry, `confidence`, `labels` and
//! `indicator_types` → tags, `object_marking_refs` (TLP 1.0 and 2.0 marking definitions) → TLP,
//! `description` (else `name`) → description, the `created_by_ref` identity's name → source.
//! What STIX has no field for travels in `x_canhgac_severity`, `x_canhgac_source`,
//! `x_canhgac_last_seen` and `x_canhgac_advisory`, so that our exports read back unchanged.
//!
//! ```
//! use canhgac_intel::stix::{read_bundle, to_bundle, StixIdentity};
//!
//! let received = r#"{"type": "bundle", "id": "bundle--0b5ad2f5-3c8e-4a4e-9a57-3d0c1b2a9f10",
//!   "objects": [{"type": "indicator", "spec_version": "2.1",
//!     "id": "indicator--7c1f1d0e-2b3a-4c5d-8e9f-0a1b2c3d4e5f",
//!     "created": "2025-03-01T00:00:00Z", "modified": "2025-03-01T00:00:00Z",
//!     "pattern": "[domain-name:value = 'C2.Example.NET' OR url:value MATCHES '^http']",
//!     "pattern_type": "stix", "valid_from": "2025-03-01T00:00:00Z"}]}"#;
//! let import = read_bundle(received, "NCSC")?;
//! // MATCHES is outside the evaluated subset: the indicator is kept aside, with the reason.
//! assert!(import.indicators.is_empty());
//! assert_eq!(import.not_evaluated[0].reason.to_string(), "operator MATCHES is not evaluated");
//!
//! let received = received.replace(" OR url:value MATCHES '^http'", "");
//! let import = read_bundle(&received, "NCSC")?;
//! assert_eq!(import.indicators[0].input.value, "c2.example.net");
//! let province = StixIdentity { name: "Sở TT&TT tỉnh X".into() };
//! let shared = to_bundle(&import.indicators, &[], &province, jiff::Timestamp::now());
//! assert_eq!(shared["objects"][1]["pattern"], "[domain-name:value = 'c2.example.net']");
//! # Ok::<(), canhgac_intel::stix::StixError>(())
//! ```

mod export;
pub mod pattern;

use std::collections::HashMap;

use canhgac_model::{IndicatorInput, IndicatorKind, Severity, Timestamp};
use serde_json::{Map, Value};

use crate::indicators::{ImportedIndicator, Tlp};
pub use export::{to_bundle, to_csv, uuid_v5, StixIdentity, CSV_HEADER};
use pattern::{parse_pattern, simple_values, Evaluation, Unsupported};

/// The TLP marking definitions STIX 2.1 and the TLP 2.0 extension publish, by id.
pub const TLP_MARKINGS: [(&str, Tlp); 9] = [
    // TLP 2.0 (OASIS extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d).
    (
        "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        Tlp::Clear,
    ),
    (
        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        Tlp::Green,
    ),
    (
        "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        Tlp::Amber,
    ),
    (
        "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        Tlp::AmberStrict,
    ),
    (
        "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        Tlp::Red,
    ),
    // TLP 1.0, defined in the STIX 2.1 specification itself.
    (
        "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
        Tlp::Clear,
    ),
    (
        "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
        Tlp::Green,
    ),
    (
        "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
        Tlp::Amber,
    ),
    (
        "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
        Tlp::Red,
    ),
];

/// Why a bundle was refused.
#[derive(Debug, thiserror::Error)]
pub enum StixError {
    /// The text is not JSON.
    #[error("not JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The JSON is not a bundle.
    #[error("not a STIX bundle: {0}")]
    NotABundle(String),
    /// An object is malformed.
    #[error("STIX object {object}: {problem}")]
    Object {
        /// The object's id, or `#index` (0-based) when it has none.
        object: String,
        /// What is wrong.
        problem: String,
    },
}

impl StixError {
    /// Vietnamese message for the console.
    pub fn message_vi(&self) -> String {
        match self {
            StixError::Json(error) => format!("Tệp không phải JSON hợp lệ: {error}"),
            StixError::NotABundle(problem) => format!("Không phải gói STIX (bundle): {problem}"),
            StixError::Object { object, problem } => {
                format!("Đối tượng STIX {object} không hợp lệ: {problem}")
            }
        }
    }
}

/// An indicator kept but not turned into indicators: its pattern is outside the subset.
#[derive(Debug, Clone, PartialEq)]
pub struct NotEvaluated {
    /// The STIX id.
    pub id: String,
    /// The pattern as written.
    pub pattern: String,
    /// The pattern language (`stix`, `sigma`, `snort`, `yara`…).
    pub pattern_type: String,
    /// Why it is not evaluated.
    pub reason: Unsupported,
    /// Everything else the indicator said.
    pub context: IndicatorContext,
}

/// What a STIX indicator says besides its pattern.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IndicatorContext {
    /// Source (identity name, `x_canhgac_source`, or the caller's default).
    pub source: String,
    /// Description (else name).
    pub description: String,
    /// Labels and indicator types, sorted, without duplicates.
    pub tags: Vec<String>,
    /// Confidence 0–100.
    pub confidence: Option<u8>,
    /// The strictest TLP marking.
    pub tlp: Option<Tlp>,
    /// `valid_from`.
    pub first_seen: Option<Timestamp>,
    /// `x_canhgac_last_seen`.
    pub last_seen: Option<Timestamp>,
    /// `valid_until`.
    pub expires_at: Option<Timestamp>,
    /// `x_canhgac_severity`.
    pub severity: Option<Severity>,
    /// `x_canhgac_advisory`.
    pub advisory: Option<String>,
}

/// A sighting of an indicator, for export or as read back from a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    /// The indicator's kind.
    pub kind: IndicatorKind,
    /// The indicator's normalised value.
    pub value: String,
    /// How many times it was seen.
    pub count: u32,
    /// First time seen.
    pub first_seen: Option<Timestamp>,
    /// Last time seen.
    pub last_seen: Option<Timestamp>,
    /// Where it was seen (a unit or organisation name); on export, `None` means the exporting
    /// identity.
    pub sighted_by: Option<String>,
}

/// A cyber-observable object found at the top level of a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observable {
    /// The STIX id.
    pub id: String,
    /// Kind.
    pub kind: IndicatorKind,
    /// Normalised value.
    pub value: String,
}

/// What a bundle held.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StixImport {
    /// Indicators from patterns in the simple subset.
    pub indicators: Vec<ImportedIndicator>,
    /// Indicators whose pattern is outside the subset, with the reason.
    pub not_evaluated: Vec<NotEvaluated>,
    /// Revoked indicators, skipped.
    pub revoked: usize,
    /// `sighting` objects in the bundle.
    pub sighting_objects: usize,
    /// Sightings of indicators of this bundle, one per indicator value.
    pub sightings: Vec<Sighting>,
    /// `observed-data` objects in the bundle.
    pub observed_data: usize,
    /// Top-level observables of the kinds canhgac knows.
    pub observables: Vec<Observable>,
    /// Objects of other types (reports, malware, relationships…).
    pub other_objects: usize,
}

/// Reads a STIX 2.1 bundle. `default_source` names the source when an indicator names none.
pub fn read_bundle(json: &str, default_source: &str) -> Result<StixImport, StixError> {
    let bundle: Value = serde_json::from_str(json)?;
    let Some(bundle) = bundle.as_object() else {
        return Err(StixError::NotABundle(
            "the top level is not an object".into(),
        ));
    };
    if bundle.get("type").and_then(Value::as_str) != Some("bundle") {
        return Err(StixError::NotABundle(
            "the top-level \"type\" is not \"bundle\"".into(),
        ));
    }
    match bundle.get("objects") {
        None => Ok(StixImport::default()),
        Some(Value::Array(objects)) => read_objects(objects, default_source),
        Some(_) => Err(StixError::NotABundle("\"objects\" is not a list".into())),
    }
}

/// Reads a list of STIX 2.1 objects (a bundle's `objects`, or a TAXII envelope's).
pub fn read_objects(objects: &[Value], default_source: &str) -> Result<StixImport, StixError> {
    let mut identities: HashMap<&str, &str> = HashMap::new();
    let mut markings: HashMap<&str, Tlp> = TLP_MARKINGS.iter().copied().collect();
    let mut checked = Vec::with_capacity(objects.len());
    for (index, object) in objects.iter().enumerate() {
        let fields = object_fields(index, object)?;
        match fields.kind {
            "identity" => {
                if let Some(name) = fields.map.get("name").and_then(Value::as_str) {
                    identities.insert(fields.id, name);
                }
            }
            "marking-definition" => {
                if let Some(tlp) = marking_tlp(fields.map) {
                    markings.insert(fields.id, tlp);
                }
            }
            _ => {}
        }
        checked.push(fields);
    }

    let mut import = StixImport::default();
    // Indicator id → the values it produced, for sightings.
    let mut indicator_values: HashMap<&str, Vec<(IndicatorKind, String)>> = HashMap::new();
    let mut sighting_objects = Vec::new();
    for fields in &checked {
        match fields.kind {
            "indicator" => {
                let reader = IndicatorReader {
                    fields,
                    identities: &identities,
                    markings: &markings,
                    default_source,
                };
                if let Some(values) = reader.read(&mut import)? {
                    indicator_values.insert(fields.id, values);
                }
            }
            "sighting" => sighting_objects.push(fields),
            "observed-data" => import.observed_data += 1,
            "ipv4-addr" | "ipv6-addr" | "domain-name" | "url" | "email-addr" | "file" => {
                read_observable(fields, &mut import.observables)?;
            }
            "identity" | "marking-definition" => {}
            _ => import.other_objects += 1,
        }
    }
    import.sighting_objects = sighting_objects.len();
    for fields in sighting_objects {
        read_sighting(
            fields,
            &indicator_values,
            &identities,
            &mut import.sightings,
        )?;
    }
    Ok(import)
}

/// An object's checked common properties.
struct ObjectFields<'a> {
    map: &'a Map<String, Value>,
    kind: &'a str,
    id: &'a str,
}

impl ObjectFields<'_> {
    fn error(&self, problem: impl Into<String>) -> StixError {
        StixError::Object {
            object: self.id.to_string(),
            problem: problem.into(),
        }
    }

    fn string(&self, name: &str) -> Result<Option<&str>, StixError> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(self.error(format!("\"{name}\" is not a string"))),
        }
    }

    fn strings(&self, name: &str) -> Result<Vec<&str>, StixError> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .ok_or_else(|| self.error(format!("\"{name}\" holds a non-string")))
                })
                .collect(),
            Some(_) => Err(self.error(format!("\"{name}\" is not a list"))),
        }
    }

    fn timestamp(&self, name: &str) -> Result<Option<Timestamp>, StixError> {
        self.string(name)?
            .map(|text| {
                text.parse::<Timestamp>().map_err(|_| {
                    self.error(format!("\"{name}\" {text:?} is not an RFC 3339 timestamp"))
                })
            })
            .transpose()
    }
}

fn object_fields(index: usize, object: &Value) -> Result<ObjectFields<'_>, StixError> {
    let at_index = |problem: &str| StixError::Object {
        object: format!("#{index}"),
        problem: problem.to_string(),
    };
    let map = object
        .as_object()
        .ok_or_else(|| at_index("is not a JSON object"))?;
    let kind = map
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| at_index("has no \"type\""))?;
    let id = map
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| at_index(&format!("{kind} object has no \"id\"")))?;
    let well_formed = id
        .strip_prefix(kind)
        .and_then(|rest| rest.strip_prefix("--"))
        .is_some_and(|uuid| !uuid.is_empty());
    if !well_formed {
        return Err(StixError::Object {
            object: id.to_string(),
            problem: format!("the id does not start with \"{kind}--\""),
        });
    }
    Ok(ObjectFields { map, kind, id })
}

/// The TLP level a marking definition in the bundle declares (TLP 1.0 `definition`, the TLP 2.0
/// extension's `tlp_2_0`, or a `TLP:…` name).
fn marking_tlp(map: &Map<String, Value>) -> Option<Tlp> {
    let declared = map
        .get("definition")
        .and_then(|definition| definition.get("tlp"))
        .and_then(Value::as_str)
        .or_else(|| {
            map.get("extensions")
                .and_then(Value::as_object)
                .and_then(|extensions| {
                    extensions
                        .values()
                        .find_map(|extension| extension.get("tlp_2_0").and_then(Value::as_str))
                })
        })
        .or_else(|| map.get("name").and_then(Value::as_str));
    declared.and_then(Tlp::parse)
}

struct IndicatorReader<'a> {
    fields: &'a ObjectFields<'a>,
    identities: &'a HashMap<&'a str, &'a str>,
    markings: &'a HashMap<&'a str, Tlp>,
    default_source: &'a str,
}

impl IndicatorReader<'_> {
    /// Reads one indicator into `import`; returns the values it produced, if any.
    fn read(
        &self,
        import: &mut StixImport,
    ) -> Result<Option<Vec<(IndicatorKind, String)>>, StixError> {
        let fields = self.fields;
        let pattern_text = fields
            .string("pattern")?
            .ok_or_else(|| fields.error("indicator has no \"pattern\""))?;
        // STIX 2.0 indicators have no pattern_type; their patterns are STIX patterns.
        let pattern_type = fields.string("pattern_type")?.unwrap_or("stix");
        let context = self.context()?;
        if fields.map.get("revoked").and_then(Value::as_bool) == Some(true) {
            import.revoked += 1;
            return Ok(None);
        }
        let not_evaluated = |reason: Unsupported| NotEvaluated {
            id: fields.id.to_string(),
            pattern: pattern_text.to_string(),
            pattern_type: pattern_type.to_string(),
            reason,
            context: context.clone(),
        };
        if pattern_type != "stix" {
            let reason = Unsupported::Language(pattern_type.to_string());
            import.not_evaluated.push(not_evaluated(reason));
            return Ok(None);
        }
        let pattern =
            parse_pattern(pattern_text).map_err(|error| fields.error(error.to_string()))?;
        let values = match simple_values(&pattern) {
            Evaluation::Values(values) => values,
            Evaluation::NotEvaluated(reason) => {
                import.not_evaluated.push(not_evaluated(reason));
                return Ok(None);
            }
            Evaluation::Invalid(invalid) => {
                return Err(fields.error(format!(
                    "pattern value of {}: {}",
                    invalid.path, invalid.message
                )))
            }
        };
        for (kind, value) in &values {
            import.indicators.push(indicator_of(*kind, value, &context));
        }
        Ok(Some(values))
    }

    fn context(&self) -> Result<IndicatorContext, StixError> {
        let fields = self.fields;
        let source = match fields.string("x_canhgac_source")? {
            Some(source) if !source.trim().is_empty() => source.trim().to_string(),
            _ => fields
                .string("created_by_ref")?
                .and_then(|creator| self.identities.get(creator))
                .map_or_else(|| self.default_source.to_string(), |name| name.to_string()),
        };
        let description = match fields.string("description")? {
            Some(text) if !text.trim().is_empty() => text.trim().to_string(),
            _ => fields
                .string("name")?
                .unwrap_or_default()
                .trim()
                .to_string(),
        };
        let mut tags: Vec<String> = fields
            .strings("labels")?
            .into_iter()
            .chain(fields.strings("indicator_types")?)
            .map(|tag| tag.trim().to_string())
            .filter(|tag| !tag.is_empty())
            .collect();
        tags.sort();
        tags.dedup();
        let confidence = match fields.map.get("confidence") {
            None | Some(Value::Null) => None,
            Some(value) => Some(
                value
                    .as_u64()
                    .filter(|&c| c <= 100)
                    .map(|c| c as u8)
                    .ok_or_else(|| fields.error("\"confidence\" is not an integer 0–100"))?,
            ),
        };
        let tlp = fields
            .strings("object_marking_refs")?
            .into_iter()
            .filter_map(|marking| self.markings.get(marking).copied())
            .max();
        let severity = fields
            .string("x_canhgac_severity")?
            .map(|code| {
                Severity::from_code(code)
                    .ok_or_else(|| fields.error(format!("unknown x_canhgac_severity {code:?}")))
            })
            .transpose()?;
        Ok(IndicatorContext {
            source,
            description,
            tags,
            confidence,
            tlp,
            first_seen: fields.timestamp("valid_from")?,
            last_seen: fields.timestamp("x_canhgac_last_seen")?,
            expires_at: fields.timestamp("valid_until")?,
            severity,
            advisory: fields
                .string("x_canhgac_advisory")?
                .map(str::trim)
                .filter(|text| !text.is_empty())
                .map(str::to_string),
        })
    }
}

/// An imported indicator from an already normalised value and its context.
fn indicator_of(kind: IndicatorKind, value: &str, context: &IndicatorContext) -> ImportedIndicator {
    let mut input = IndicatorInput::new(kind, value);
    input.source = context.source.clone();
    input.description = context.description.clone();
    if let Some(severity) = context.severity {
        input.severity = severity;
    }
    input.tags = context.tags.clone();
    input.expires_at = context.expires_at;
    ImportedIndicator {
        input,
        confidence: context.confidence,
        tlp: context.tlp,
        first_seen: context.first_seen,
        last_seen: context.last_seen,
        advisory: context.advisory.clone(),
    }
}

fn read_observable(
    fields: &ObjectFields<'_>,
    observables: &mut Vec<Observable>,
) -> Result<(), StixError> {
    let mut found: Vec<(IndicatorKind, &str)> = Vec::new();
    if fields.kind == "file" {
        if let Some(hashes) = fields.map.get("hashes").and_then(Value::as_object) {
            for (algorithm, value) in hashes {
                if let (Some(kind), Some(value)) = (pattern::hash_kind(algorithm), value.as_str()) {
                    found.push((kind, value));
                }
            }
        }
    } else if let Some(value) = fields.string("value")? {
        let kind = match fields.kind {
            "domain-name" => IndicatorKind::Domain,
            "url" => IndicatorKind::Url,
            "email-addr" => IndicatorKind::Email,
            _ => IndicatorKind::Ip,
        };
        found.push((kind, value));
    } else {
        return Err(fields.error("has no \"value\""));
    }
    for (kind, value) in found {
        let (kind, value) = pattern::indicator_value(kind, value)
            .map_err(|message| fields.error(format!("value: {message}")))?;
        observables.push(Observable {
            id: fields.id.to_string(),
            kind,
            value,
        });
    }
    Ok(())
}

fn read_sighting(
    fields: &ObjectFields<'_>,
    indicator_values: &HashMap<&str, Vec<(IndicatorKind, String)>>,
    identities: &HashMap<&str, &str>,
    sightings: &mut Vec<Sighting>,
) -> Result<(), StixError> {
    let target = fields
        .string("sighting_of_ref")?
        .ok_or_else(|| fields.error("sighting has no \"sighting_of_ref\""))?;
    let count = match fields.map.get("count") {
        None | Some(Value::Null) => 1,
        Some(value) => value
            .as_u64()
            .and_then(|count| u32::try_from(count).ok())
            .ok_or_else(|| fields.error("\"count\" is not a non-negative integer"))?,
    };
    let first_seen = fields.timestamp("first_seen")?;
    let last_seen = fields.timestamp("last_seen")?;
    let sighted_by = fields
        .strings("where_sighted_refs")?
        .into_iter()
        .find_map(|reference| identities.get(reference))
        .map(|name| name.to_string());
    for (kind, value) in indicator_values.get(target).into_iter().flatten() {
        sightings.push(Sighting {
            kind: *kind,
            value: value.clone(),
            count,
            first_seen,
            last_seen,
            sighted_by: sighted_by.clone(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
