//! Tuning: rules switched on or off or given another level, globally or per unit, and
//! suppressions, applied to hits before they become alert drafts.
//!
//! Precedence, per field of the setting:
//! - *enabled*: the unit's override when there is one, else the global override, else on;
//! - *level*: the unit's override when it sets one, else the global override's, else the
//!   rule's own level.
//!
//! So a unit can switch back on a rule switched off everywhere, and a unit override that only
//! switches a rule on keeps the global level.
//!
//! A suppression drops a hit when its rule key (if any) and unit (if any) match, it has not
//! expired, and the event's `field` equals its `value` ignoring case. The pseudo-field `host`
//! compares [`Event::host`] (and, failing that, a field named `host`); for a list value any
//! element may equal.

use std::collections::HashMap;

use canhgac_model::{Event, FieldValue, Id, RuleOverride, Severity, Suppression, Timestamp};

/// Overrides and suppressions, indexed by rule key. Cheap to share (`Arc`).
#[derive(Debug, Clone, Default)]
pub struct Tuning {
    overrides: HashMap<String, Overrides>,
    /// Suppressions for every rule.
    any_rule: Vec<Suppression>,
    /// Suppressions for one rule, by rule key.
    by_rule: HashMap<String, Vec<Suppression>>,
}

#[derive(Debug, Clone, Default)]
struct Overrides {
    global: Option<RuleOverride>,
    units: HashMap<Id, RuleOverride>,
}

/// Where a suppression looks for values: an event, or a correlation's group.
pub(crate) enum Subject<'a> {
    /// An event's fields and host.
    Event(&'a Event),
    /// A correlation's group-by values, and the host of the event that completed it.
    Group(&'a [(String, String)], Option<&'a str>),
}

impl Tuning {
    /// Indexes `overrides` (a later override for the same rule and unit replaces an earlier
    /// one) and `suppressions`.
    pub fn new(overrides: Vec<RuleOverride>, suppressions: Vec<Suppression>) -> Self {
        let mut tuning = Tuning::default();
        for o in overrides {
            let slot = tuning.overrides.entry(o.rule_key.clone()).or_default();
            match o.unit_id {
                None => slot.global = Some(o),
                Some(unit) => {
                    slot.units.insert(unit, o);
                }
            }
        }
        for mut s in suppressions {
            s.value = s.value.to_lowercase();
            match s.rule_key.clone() {
                None => tuning.any_rule.push(s),
                Some(key) => tuning.by_rule.entry(key).or_default().push(s),
            }
        }
        tuning
    }

    /// The level a hit of `rule_key` on an event of `unit` gets, or `None` when the rule is
    /// switched off there.
    pub fn level(
        &self,
        rule_key: &str,
        unit: Option<Id>,
        rule_level: Severity,
    ) -> Option<Severity> {
        let Some(o) = self.overrides.get(rule_key) else {
            return Some(rule_level);
        };
        let unit = unit.and_then(|u| o.units.get(&u));
        let enabled = unit
            .map(|u| u.enabled)
            .or(o.global.as_ref().map(|g| g.enabled))
            .unwrap_or(true);
        if !enabled {
            return None;
        }
        Some(
            unit.and_then(|u| u.severity)
                .or(o.global.as_ref().and_then(|g| g.severity))
                .unwrap_or(rule_level),
        )
    }

    /// The first unexpired suppression that drops a hit of `rule_key` on `event`.
    pub fn suppression(
        &self,
        rule_key: &str,
        event: &Event,
        now: Timestamp,
    ) -> Option<&Suppression> {
        self.suppression_for(rule_key, event.unit_id, &Subject::Event(event), now)
    }

    /// True when there is no suppression at all (the common case: nothing to check).
    pub fn has_suppressions(&self) -> bool {
        !(self.any_rule.is_empty() && self.by_rule.is_empty())
    }

    pub(crate) fn suppression_for(
        &self,
        rule_key: &str,
        unit: Option<Id>,
        subject: &Subject<'_>,
        now: Timestamp,
    ) -> Option<&Suppression> {
        let specific = self
            .by_rule
            .get(rule_key)
            .map(Vec::as_slice)
            .unwrap_or_default();
        specific.iter().chain(&self.any_rule).find(|s| {
            s.expires_at.is_none_or(|e| e > now)
                && s.unit_id.is_none_or(|u| unit == Some(u))
                && subject_has(subject, &s.field, &s.value)
        })
    }
}

/// Whether `subject`'s `field` equals `value` (already lower-case), ignoring case.
fn subject_has(subject: &Subject<'_>, field: &str, value: &str) -> bool {
    match subject {
        Subject::Event(event) => {
            if field == "host" {
                if let Some(host) = &event.host {
                    if same(host, value) {
                        return true;
                    }
                }
            }
            event
                .fields
                .iter()
                .any(|(name, v)| name == field && value_has(v, value))
        }
        Subject::Group(group, host) => {
            (field == "host" && host.is_some_and(|h| same(h, value)))
                || group
                    .iter()
                    .any(|(name, v)| name == field && same(v, value))
        }
    }
}

fn value_has(v: &FieldValue, value: &str) -> bool {
    match v {
        FieldValue::List(items) => items.iter().any(|item| value_has(item, value)),
        FieldValue::Str(s) => same(s, value),
        other => same(&other.to_text(), value),
    }
}

/// `text` equals `lower` (lower-case) ignoring case.
fn same(text: &str, lower: &str) -> bool {
    text.eq_ignore_ascii_case(lower) || (!text.is_ascii() && text.to_lowercase() == lower)
}

#[cfg(test)]
mod tests {
    use super::*;
    use canhgac_model::EventKind;

    fn o(key: &str, unit: Option<Id>, enabled: bool, severity: Option<Severity>) -> RuleOverride {
        RuleOverride {
            rule_key: key.into(),
            unit_id: unit,
            enabled,
            severity,
        }
    }

    fn s(key: Option<&str>, unit: Option<Id>, field: &str, value: &str) -> Suppression {
        Suppression {
            id: 0,
            rule_key: key.map(String::from),
            unit_id: unit,
            field: field.into(),
            value: value.into(),
            comment: String::new(),
            expires_at: None,
        }
    }

    fn now() -> Timestamp {
        "2026-11-26T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn unit_overrides_win_over_global_ones_field_by_field() {
        let t = Tuning::new(
            vec![
                o("r1", None, false, None),
                o("r1", Some(7), true, None),
                o("r2", None, true, Some(Severity::Critical)),
                o("r2", Some(7), true, Some(Severity::Low)),
                o("r2", Some(8), true, None),
                o("r3", Some(7), false, Some(Severity::High)),
            ],
            vec![],
        );
        let m = Severity::Medium;
        // Off everywhere, back on for unit 7 at the rule's level.
        assert_eq!(t.level("r1", None, m), None);
        assert_eq!(t.level("r1", Some(8), m), None);
        assert_eq!(t.level("r1", Some(7), m), Some(m));
        // Global level, unit level, unit override without level keeps the global level.
        assert_eq!(t.level("r2", None, m), Some(Severity::Critical));
        assert_eq!(t.level("r2", Some(7), m), Some(Severity::Low));
        assert_eq!(t.level("r2", Some(8), m), Some(Severity::Critical));
        // Off for one unit only.
        assert_eq!(t.level("r3", Some(7), m), None);
        assert_eq!(t.level("r3", Some(9), m), Some(m));
        assert_eq!(
            t.level("other", Some(7), Severity::High),
            Some(Severity::High)
        );
    }

    #[test]
    fn a_later_override_of_the_same_rule_and_unit_replaces_the_earlier() {
        let t = Tuning::new(
            vec![o("r", None, false, None), o("r", None, true, None)],
            vec![],
        );
        assert_eq!(t.level("r", None, Severity::Low), Some(Severity::Low));
    }

    #[test]
    fn suppressions_match_rule_unit_field_case_insensitively_until_expiry() {
        let mut expired = s(None, None, "User", "old");
        expired.expires_at = Some("2026-11-25T00:00:00Z".parse().unwrap());
        let mut later = s(Some("r1"), None, "CommandLine", "backup.exe --daily");
        later.expires_at = Some("2026-11-27T00:00:00Z".parse().unwrap());
        let t = Tuning::new(
            vec![],
            vec![
                s(Some("r1"), Some(7), "host", "WS-KeToan-01"),
                s(None, None, "TargetUserName", "Quản Trị"),
                expired,
                later,
            ],
        );
        let mut e = Event::new(EventKind::Evtx, "");
        e.host = Some("ws-ketoan-01".into());
        e.unit_id = Some(7);
        e.fields.push("User", "OLD");
        assert!(t.suppression("r1", &e, now()).is_some());
        assert!(t.suppression("r2", &e, now()).is_none(), "other rule");
        e.unit_id = Some(8);
        assert!(t.suppression("r1", &e, now()).is_none(), "other unit");
        e.fields.push("TargetUserName", "QUẢN TRỊ");
        assert_eq!(
            t.suppression("any", &e, now()).map(|s| s.field.as_str()),
            Some("TargetUserName")
        );
        let mut e2 = Event::new(EventKind::Evtx, "");
        e2.fields.push("CommandLine", "BACKUP.EXE --daily");
        assert!(t.suppression("r1", &e2, now()).is_some());
        let after: Timestamp = "2026-11-28T00:00:00Z".parse().unwrap();
        assert!(t.suppression("r1", &e2, after).is_none(), "expired");
        // A prefix is not equality.
        let mut e3 = Event::new(EventKind::Evtx, "");
        e3.fields.push("CommandLine", "backup.exe --daily --full");
        assert!(t.suppression("r1", &e3, now()).is_none());
    }

    #[test]
    fn host_pseudo_field_and_list_and_number_values() {
        let t = Tuning::new(
            vec![],
            vec![
                s(None, None, "host", "gw"),
                s(None, None, "EventID", "4625"),
            ],
        );
        let mut json = Event::new(EventKind::Json, "{}");
        json.fields.push("host", "GW");
        assert!(t.suppression("r", &json, now()).is_some());
        let mut e = Event::new(EventKind::Evtx, "");
        e.fields.push("EventID", 4625i64);
        assert!(t.suppression("r", &e, now()).is_some());
        let mut l = Event::new(EventKind::Json, "{}");
        l.fields.push(
            "EventID",
            FieldValue::List(vec![1i64.into(), 4625i64.into()]),
        );
        assert!(t.suppression("r", &l, now()).is_some());
        let group = [("EventID".to_string(), "4625".to_string())];
        assert!(t
            .suppression_for("r", None, &Subject::Group(&group, None), now())
            .is_some());
        assert!(t
            .suppression_for("r", None, &Subject::Group(&[], Some("GW")), now())
            .is_some());
    }
}
