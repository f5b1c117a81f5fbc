//! Evaluation of compiled detections against one event, with a per-thread [`Scratch`] that
//! caches field positions and case-folded values for the event being evaluated.

use canhgac_model::{Event, FieldValue};

use crate::condition::Expr;
use crate::detection::{FieldId, Item, Matcher, RefMode, Selection, TimePart};
use crate::mapping::WhenValue;
use crate::pattern::fold_into;

/// Reusable per-thread working memory for [`crate::RuleSet::matches_with`]: field positions
/// and case-folded values of the current event. Create one per thread and reuse it.
#[derive(Debug, Default)]
pub struct Scratch {
    pub(crate) stamp: u32,
    /// Per field id: stamp when set for the current event, and the event position.
    slot_stamp: Vec<u32>,
    slot_pos: Vec<u32>,
    /// Per event position: stamp when folded, and the folded text.
    fold_stamp: Vec<u32>,
    fold: Vec<String>,
    msg_stamp: u32,
    msg_fold: String,
    /// Per compiled rule: stamp when already a candidate for this event.
    pub(crate) cand_stamp: Vec<u32>,
    /// Per rule: stamp when already reported for this event.
    pub(crate) rule_stamp: Vec<u32>,
    /// Candidate compiled rules of the current event.
    pub(crate) cands: Vec<u32>,
    tmp: String,
}

impl Scratch {
    /// Empty working memory; it grows to the rule set's needs on first use.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a new event: bumps the stamp (clearing every cache at once) and sizes arrays.
    pub(crate) fn begin(&mut self, fields: usize, compiled: usize, rules: usize, positions: usize) {
        if self.slot_stamp.len() < fields {
            self.slot_stamp.resize(fields, 0);
            self.slot_pos.resize(fields, 0);
        }
        if self.cand_stamp.len() < compiled {
            self.cand_stamp.resize(compiled, 0);
        }
        if self.rule_stamp.len() < rules {
            self.rule_stamp.resize(rules, 0);
        }
        if self.fold_stamp.len() < positions {
            self.fold_stamp.resize(positions, 0);
            self.fold.resize_with(positions, String::new);
        }
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            // Wrapped: old stamps could collide; clear them all once.
            self.slot_stamp.iter_mut().for_each(|s| *s = 0);
            self.fold_stamp.iter_mut().for_each(|s| *s = 0);
            self.cand_stamp.iter_mut().for_each(|s| *s = 0);
            self.rule_stamp.iter_mut().for_each(|s| *s = 0);
            self.msg_stamp = 0;
            self.stamp = 1;
        }
        self.cands.clear();
    }

    /// Records that field `id` is at event position `pos` (the first occurrence wins).
    pub(crate) fn set_slot(&mut self, id: FieldId, pos: usize) {
        let i = id as usize;
        if self.slot_stamp[i] != self.stamp {
            self.slot_stamp[i] = self.stamp;
            self.slot_pos[i] = pos as u32;
        }
    }

    /// The event position of field `id`, when the event has it.
    pub(crate) fn slot(&self, id: FieldId) -> Option<usize> {
        let i = id as usize;
        match self.slot_stamp.get(i) {
            Some(&s) if s == self.stamp => Some(self.slot_pos[i] as usize),
            _ => None,
        }
    }

    /// The case-folded text of the value at event position `pos` (empty for null and lists).
    pub(crate) fn folded<'s>(&'s mut self, event: &Event, pos: usize) -> &'s str {
        if self.fold_stamp[pos] != self.stamp {
            self.fold_stamp[pos] = self.stamp;
            let buf = &mut self.fold[pos];
            match &event.fields.0[pos].1 {
                FieldValue::Str(s) => fold_into(s, buf),
                FieldValue::List(_) | FieldValue::Null => buf.clear(),
                other => fold_into(&other.to_text(), buf),
            }
        }
        &self.fold[pos]
    }

    fn message_folded<'s>(&'s mut self, event: &Event) -> &'s str {
        self.message_folded_mut(event)
    }

    /// The folded message, computed once per event.
    pub(crate) fn message_folded_mut<'s>(&'s mut self, event: &Event) -> &'s mut String {
        if self.msg_stamp != self.stamp {
            self.msg_stamp = self.stamp;
            fold_into(&event.message, &mut self.msg_fold);
        }
        &mut self.msg_fold
    }

    /// [`Self::folded`], mutable (to take the text out while marking candidates).
    pub(crate) fn folded_mut<'s>(&'s mut self, event: &Event, pos: usize) -> &'s mut String {
        self.folded(event, pos);
        &mut self.fold[pos]
    }

    /// Marks compiled rule `c` as a candidate of the current event.
    pub(crate) fn mark(&mut self, c: u32, stamp: u32) {
        let slot = &mut self.cand_stamp[c as usize];
        if *slot != stamp {
            *slot = stamp;
            self.cands.push(c);
        }
    }
}

/// Evaluation of one event.
pub(crate) struct Ctx<'e, 's> {
    pub event: &'e Event,
    pub sc: &'s mut Scratch,
}

impl Ctx<'_, '_> {
    fn value(&self, id: FieldId) -> Option<(usize, &FieldValue)> {
        self.sc.slot(id).map(|p| (p, &self.event.fields.0[p].1))
    }

    /// Tests a logsource `when` condition.
    pub(crate) fn when_holds(&mut self, id: FieldId, values: &[WhenValue]) -> bool {
        let Some((pos, value)) = self.value(id) else {
            return false;
        };
        match value {
            FieldValue::Int(i) => values.iter().any(|w| match w {
                WhenValue::Int(x) => x == i,
                WhenValue::Text(t) => *t == i.to_string(),
            }),
            FieldValue::Null | FieldValue::List(_) => false,
            _ => {
                let folded = self.sc.folded(self.event, pos);
                values.iter().any(|w| match w {
                    WhenValue::Int(x) => folded.trim().parse::<i64>().ok() == Some(*x),
                    WhenValue::Text(t) => folded == t,
                })
            }
        }
    }

    pub(crate) fn has(&self, id: FieldId) -> bool {
        self.sc.slot(id).is_some()
    }

    pub(crate) fn eval_expr(&mut self, expr: &Expr, sels: &[Selection]) -> bool {
        match expr {
            Expr::Sel(i) => self.eval_selection(&sels[*i]),
            Expr::And(items) => items.iter().all(|e| self.eval_expr(e, sels)),
            Expr::Or(items) => items.iter().any(|e| self.eval_expr(e, sels)),
            Expr::Not(e) => !self.eval_expr(e, sels),
            Expr::AtLeast(n, items) => {
                let mut hits = 0;
                for (i, e) in items.iter().enumerate() {
                    if self.eval_expr(e, sels) {
                        hits += 1;
                        if hits >= *n {
                            return true;
                        }
                    }
                    if hits + (items.len() - i - 1) < *n {
                        return false;
                    }
                }
                false
            }
        }
    }

    fn eval_selection(&mut self, sel: &Selection) -> bool {
        sel.groups
            .iter()
            .any(|group| group.iter().all(|item| self.eval_item(item)))
    }

    fn eval_item(&mut self, item: &Item) -> bool {
        if item.field.is_none() {
            return self.eval_keywords(item);
        }
        match self.value(item.field_id) {
            None => {
                if item.negate {
                    return false;
                }
                if item.all {
                    item.matchers.iter().all(Matcher::matches_absent)
                } else {
                    item.matchers.iter().any(Matcher::matches_absent)
                }
            }
            Some((pos, _)) => {
                let hit = if item.all {
                    item.matchers.iter().all(|m| self.matcher_at(m, pos))
                } else {
                    item.matchers.iter().any(|m| self.matcher_at(m, pos))
                };
                hit != item.negate
            }
        }
    }

    /// A matcher against the field value at event position `pos`.
    fn matcher_at(&mut self, m: &Matcher, pos: usize) -> bool {
        let event = self.event;
        let value = &event.fields.0[pos].1;
        match m {
            Matcher::Exists(b) => *b,
            Matcher::Null => matches!(value, FieldValue::Null),
            Matcher::Str { pats, cased } => match value {
                FieldValue::Null => false,
                FieldValue::List(items) => items.iter().any(|v| self.str_on_value(pats, *cased, v)),
                FieldValue::Str(s) if *cased => pats.iter().any(|p| p.is_match(s.as_bytes())),
                _ if *cased => {
                    let t = value.to_text();
                    pats.iter().any(|p| p.is_match(t.as_bytes()))
                }
                _ => {
                    let text = self.sc.folded(event, pos).as_bytes();
                    pats.iter().any(|p| p.is_match(text))
                }
            },
            Matcher::FieldRef {
                id, mode, cased, ..
            } => {
                let Some((opos, other)) = self.value(*id) else {
                    return false;
                };
                if matches!(value, FieldValue::Null | FieldValue::List(_))
                    || matches!(other, FieldValue::Null | FieldValue::List(_))
                {
                    return false;
                }
                let (a, b) = if *cased {
                    (value.to_text().into_owned(), other.to_text().into_owned())
                } else {
                    let a = self.sc.folded(event, pos).to_string();
                    let b = self.sc.folded(event, opos).to_string();
                    (a, b)
                };
                match mode {
                    RefMode::Equal => a == b,
                    RefMode::Contains => a.contains(&b),
                    RefMode::StartsWith => a.starts_with(&b),
                    RefMode::EndsWith => a.ends_with(&b),
                }
            }
            other => value_matches(other, value, &mut self.sc.tmp),
        }
    }

    fn str_on_value(
        &mut self,
        pats: &[crate::pattern::StrPattern],
        cased: bool,
        v: &FieldValue,
    ) -> bool {
        match v {
            FieldValue::Null => false,
            FieldValue::List(items) => items.iter().any(|x| self.str_on_value(pats, cased, x)),
            _ => {
                let text = v.to_text();
                if cased {
                    pats.iter().any(|p| p.is_match(text.as_bytes()))
                } else {
                    let mut buf = std::mem::take(&mut self.sc.tmp);
                    fold_into(&text, &mut buf);
                    let hit = pats.iter().any(|p| p.is_match(buf.as_bytes()));
                    self.sc.tmp = buf;
                    hit
                }
            }
        }
    }

    /// Keyword items: each value searched in the message and in every field value.
    fn eval_keywords(&mut self, item: &Item) -> bool {
        let test = |this: &mut Self, m: &Matcher| -> bool {
            match m {
                Matcher::Time { .. } => time_matches(m, this.event.time),
                Matcher::Str { pats, cased } => {
                    let event = this.event;
                    let hit_msg = if *cased {
                        pats.iter().any(|p| p.is_match(event.message.as_bytes()))
                    } else {
                        let msg = this.sc.message_folded(event).as_bytes();
                        pats.iter().any(|p| p.is_match(msg))
                    };
                    if hit_msg {
                        return true;
                    }
                    for pos in 0..event.fields.0.len() {
                        let value = &event.fields.0[pos].1;
                        let hit = match value {
                            FieldValue::Null => false,
                            FieldValue::List(items) => {
                                items.iter().any(|v| this.str_on_value(pats, *cased, v))
                            }
                            FieldValue::Str(s) if *cased => {
                                pats.iter().any(|p| p.is_match(s.as_bytes()))
                            }
                            _ if *cased => {
                                let t = value.to_text();
                                pats.iter().any(|p| p.is_match(t.as_bytes()))
                            }
                            _ => {
                                let t = this.sc.folded(event, pos).as_bytes();
                                pats.iter().any(|p| p.is_match(t))
                            }
                        };
                        if hit {
                            return true;
                        }
                    }
                    false
                }
                Matcher::Re(re) => {
                    let event = this.event;
                    re.is_match(&event.message)
                        || event.fields.0.iter().any(|(_, v)| re_on_value(re, v))
                }
                _ => false,
            }
        };
        let hit = if item.all {
            item.matchers.iter().all(|m| test(self, m))
        } else {
            item.matchers.iter().any(|m| test(self, m))
        };
        hit != item.negate
    }
}

fn re_on_value(re: &crate::detection::LazyRegex, v: &FieldValue) -> bool {
    match v {
        FieldValue::Null => false,
        FieldValue::Str(s) => re.is_match(s),
        FieldValue::List(items) => items.iter().any(|x| re_on_value(re, x)),
        other => re.is_match(&other.to_text()),
    }
}

fn number_of(v: &FieldValue) -> Option<f64> {
    match v {
        FieldValue::Int(i) => Some(*i as f64),
        FieldValue::Float(f) => Some(*f),
        FieldValue::Str(s) => {
            let t = s.trim();
            if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                return i64::from_str_radix(hex, 16).ok().map(|i| i as f64);
            }
            t.parse::<f64>().ok()
        }
        _ => None,
    }
}

/// Matchers that need neither the scratch cache nor other fields.
fn value_matches(m: &Matcher, value: &FieldValue, tmp: &mut String) -> bool {
    if let FieldValue::List(items) = value {
        return items.iter().any(|v| value_matches(m, v, tmp));
    }
    match m {
        Matcher::Int { value: want, text } => match value {
            FieldValue::Int(i) => i == want,
            FieldValue::Float(f) => *f == *want as f64,
            FieldValue::Str(s) => {
                // Decimal digits fold to themselves; compare the text as written.
                s.as_bytes() == text.as_slice()
            }
            _ => false,
        },
        Matcher::Re(re) => match value {
            FieldValue::Null => false,
            FieldValue::Str(s) => re.is_match(s),
            other => re.is_match(&other.to_text()),
        },
        Matcher::Cidr(net) => match value {
            FieldValue::Str(s) => net.contains(s),
            _ => false,
        },
        Matcher::Num { cmp, value: want } => match number_of(value) {
            Some(n) => cmp.test(n, *want),
            None => false,
        },
        Matcher::Time { .. } => match value {
            FieldValue::Str(s) => match parse_time(s) {
                Some(ts) => time_matches(m, ts),
                None => false,
            },
            _ => false,
        },
        Matcher::Null => matches!(value, FieldValue::Null),
        Matcher::Exists(b) => *b,
        Matcher::Str { pats, cased } => {
            let text = value.to_text();
            if *cased {
                pats.iter().any(|p| p.is_match(text.as_bytes()))
            } else {
                fold_into(&text, tmp);
                pats.iter().any(|p| p.is_match(tmp.as_bytes()))
            }
        }
        Matcher::FieldRef { .. } => false,
    }
}

/// Parses the date formats events carry: RFC 3339, or `YYYY-MM-DD HH:MM:SS[.f]` taken as UTC.
pub(crate) fn parse_time(s: &str) -> Option<jiff::Timestamp> {
    let s = s.trim();
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        return Some(ts);
    }
    let dt: jiff::civil::DateTime = s.parse().ok()?;
    dt.to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

fn time_matches(m: &Matcher, ts: jiff::Timestamp) -> bool {
    let Matcher::Time { part, cmp, value } = m else {
        return false;
    };
    let dt = ts.to_zoned(jiff::tz::TimeZone::UTC).datetime();
    let got: i64 = match part {
        TimePart::Minute => dt.minute() as i64,
        TimePart::Hour => dt.hour() as i64,
        TimePart::Day => dt.day() as i64,
        TimePart::Week => dt.date().iso_week_date().week() as i64,
        TimePart::Month => dt.month() as i64,
        TimePart::Year => dt.year() as i64,
    };
    cmp.test(got as f64, *value as f64)
}
