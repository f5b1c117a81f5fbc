//! The indicator as importers produce it: the stored fields plus what feeds say about it.

use canhgac_model::IndicatorInput;
use canhgac_model::Timestamp;
use serde::{Deserialize, Serialize};

/// Traffic Light Protocol 2.0 marking: who the indicator may be shared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tlp {
    /// TLP:CLEAR (formerly WHITE): no limit.
    Clear,
    /// TLP:GREEN: the community.
    Green,
    /// TLP:AMBER: the organisation and its clients.
    Amber,
    /// TLP:AMBER+STRICT: the organisation only.
    AmberStrict,
    /// TLP:RED: named recipients only.
    Red,
}

impl Tlp {
    /// Reads `TLP:AMBER`, `amber+strict`, `white` (TLP 1.0) and the like.
    pub fn parse(text: &str) -> Option<Tlp> {
        let lower = text.trim().to_ascii_lowercase();
        let name = lower.strip_prefix("tlp:").unwrap_or(&lower).trim();
        match name {
            "clear" | "white" => Some(Tlp::Clear),
            "green" => Some(Tlp::Green),
            "amber" => Some(Tlp::Amber),
            "amber+strict" | "amber_strict" => Some(Tlp::AmberStrict),
            "red" => Some(Tlp::Red),
            _ => None,
        }
    }

    /// The canonical label, e.g. `TLP:AMBER+STRICT`.
    pub fn label(self) -> &'static str {
        match self {
            Tlp::Clear => "TLP:CLEAR",
            Tlp::Green => "TLP:GREEN",
            Tlp::Amber => "TLP:AMBER",
            Tlp::AmberStrict => "TLP:AMBER+STRICT",
            Tlp::Red => "TLP:RED",
        }
    }
}

/// One indicator read from a feed, table or document, ready for the store.
///
/// `input` is already validated (normalised value). The other fields are what the source said;
/// `None` when it said nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportedIndicator {
    /// Kind, value, source, description, severity, tags, expiry.
    pub input: IndicatorInput,
    /// Confidence 0–100.
    pub confidence: Option<u8>,
    /// Sharing marking.
    pub tlp: Option<Tlp>,
    /// First seen by the source.
    pub first_seen: Option<Timestamp>,
    /// Last seen by the source.
    pub last_seen: Option<Timestamp>,
    /// The advisory it came with (number/code such as "2216/CATTT-NCSC").
    pub advisory: Option<String>,
}

impl ImportedIndicator {
    /// The input the store takes, with what the source said in its `meta` (a value the
    /// importer set in `input.meta` is kept where this one says nothing).
    pub fn into_input(self) -> IndicatorInput {
        let mut input = self.input;
        let said = canhgac_model::IndicatorMeta {
            confidence: self.confidence,
            tlp: self.tlp.map(|t| t.label().to_owned()),
            first_seen: self.first_seen,
            last_seen: self.last_seen,
            advisory: self.advisory,
        };
        input.meta.merge(&said);
        input
    }

    /// A stored indicator, for export: its fields and what its feeds said.
    pub fn from_stored(stored: &canhgac_model::Indicator) -> Self {
        ImportedIndicator {
            input: IndicatorInput {
                kind: stored.kind,
                value: stored.value.clone(),
                source: stored.source.clone(),
                description: stored.description.clone(),
                severity: stored.severity,
                tags: stored.tags.clone(),
                expires_at: stored.expires_at,
                meta: stored.meta.clone(),
            },
            confidence: stored.meta.confidence,
            tlp: stored.meta.tlp.as_deref().and_then(Tlp::parse),
            first_seen: stored.meta.first_seen,
            last_seen: stored.meta.last_seen,
            advisory: stored.meta.advisory.clone(),
        }
    }

    /// An indicator with nothing known beyond its input.
    pub fn new(input: IndicatorInput) -> Self {
        Self {
            input,
            confidence: None,
            tlp: None,
            first_seen: None,
            last_seen: None,
            advisory: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_store_input_carries_what_the_source_said() {
        let mut imported = ImportedIndicator::new(IndicatorInput::new(
            canhgac_model::IndicatorKind::Ip,
            "192.0.2.7",
        ));
        imported.confidence = Some(80);
        imported.tlp = Some(Tlp::Green);
        imported.advisory = Some("2216/CATTT-NCSC".into());
        let input = imported.into_input();
        assert_eq!(input.meta.confidence, Some(80));
        assert_eq!(input.meta.tlp.as_deref(), Some("TLP:GREEN"));
        assert_eq!(input.meta.advisory.as_deref(), Some("2216/CATTT-NCSC"));
    }

    #[test]
    fn tlp_labels_of_both_versions_are_read() {
        assert_eq!(Tlp::parse("TLP:WHITE"), Some(Tlp::Clear));
        assert_eq!(Tlp::parse(" amber+strict "), Some(Tlp::AmberStrict));
        assert_eq!(Tlp::parse("tlp:red").map(Tlp::label), Some("TLP:RED"));
        assert_eq!(Tlp::parse("purple"), None);
    }
}
