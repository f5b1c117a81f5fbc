//! Compilation of parsed rules against a logsource mapping into per-alternative compiled
//! detections with interned field names, and the per-event driver.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use canhgac_model::{Event, EventKind};

use crate::condition::{self, Expr};
use crate::detection::{Detection, FieldId, Matcher, Selection};
use crate::eval::{Ctx, Scratch};
use crate::mapping::{Alternative, LogsourceMapping, WhenValue};
use crate::rule::RuleDoc;
use crate::RuleIdx;

/// A small multiplicative hasher for short field names (the std SipHash costs more than the
/// rest of a lookup here; the keys are rule field names, not attacker-chosen).
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ b as u64).wrapping_mul(K);
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ i as u64).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type FxBuild = BuildHasherDefault<FxHasher>;
pub(crate) type FxMap<K, V> = HashMap<K, V, FxBuild>;

/// Interned field names.
#[derive(Debug, Default)]
pub(crate) struct FieldTable {
    ids: FxMap<Box<str>, FieldId>,
    names: Vec<Box<str>>,
}

impl FieldTable {
    pub(crate) fn intern(&mut self, name: &str) -> FieldId {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len() as FieldId;
        self.names.push(name.into());
        self.ids.insert(name.into(), id);
        id
    }

    pub(crate) fn get(&self, name: &str) -> Option<FieldId> {
        self.ids.get(name).copied()
    }

    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    pub(crate) fn name(&self, id: FieldId) -> &str {
        self.names.get(id as usize).map(|n| &**n).unwrap_or("*")
    }
}

/// Bit of an event kind in a kind mask.
pub(crate) fn kind_bit(kind: EventKind) -> u8 {
    let i = EventKind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
    1u8 << i
}

/// One rule under one logsource alternative.
#[derive(Debug)]
pub(crate) struct CompiledRule {
    pub rule: RuleIdx,
    /// Allowed event kinds (bit mask over `EventKind::ALL`).
    pub kinds: u8,
    pub when: Vec<(FieldId, Vec<WhenValue>)>,
    pub exists: Vec<FieldId>,
    pub selections: Vec<Selection>,
    pub expr: Expr,
}

/// All compiled rules and the field table.
#[derive(Debug, Default)]
pub(crate) struct Engine {
    pub fields: FieldTable,
    pub compiled: Vec<CompiledRule>,
    pub rules: usize,
    index: Option<crate::index::Index>,
}

impl Engine {
    /// Compiles one parsed rule for every alternative of its logsource.
    pub(crate) fn add(
        &mut self,
        idx: RuleIdx,
        doc: &RuleDoc,
        mapping: &LogsourceMapping,
    ) -> Result<(), String> {
        let alternatives = mapping.resolve(&doc.info.logsource);
        if alternatives.is_empty() {
            return Err(
                "the logsource mapping's product, service and category contradict each other"
                    .into(),
            );
        }
        // Check the condition before interning anything.
        let (sels, expr) = combine(&doc.detection, &doc.filters)?;
        let mut out = Vec::with_capacity(alternatives.len());
        for alt in &alternatives {
            out.push(self.compile_alt(idx, &sels, &expr, alt));
        }
        self.compiled.extend(out);
        self.rules = self.rules.max(idx.0 as usize + 1);
        Ok(())
    }

    fn compile_alt(
        &mut self,
        idx: RuleIdx,
        sels: &[Selection],
        expr: &Expr,
        alt: &Alternative,
    ) -> CompiledRule {
        let rename = |name: &str| -> String {
            alt.fields
                .iter()
                .find(|(from, _)| from == name)
                .map(|(_, to)| to.clone())
                .unwrap_or_else(|| name.to_string())
        };
        let mut selections = sels.to_vec();
        for sel in &mut selections {
            for group in &mut sel.groups {
                for item in group {
                    if let Some(f) = &item.field {
                        item.field_id = self.fields.intern(&rename(f));
                    }
                    for m in &mut item.matchers {
                        if let Matcher::FieldRef { name, id, .. } = m {
                            *id = self.fields.intern(&rename(name));
                        }
                    }
                }
            }
        }
        let kinds = match &alt.kinds {
            None => u8::MAX,
            Some(ks) => ks.iter().fold(0u8, |acc, k| acc | kind_bit(*k)),
        };
        let when = alt
            .when
            .iter()
            .map(|(f, v)| (self.fields.intern(f), v.clone()))
            .collect();
        let exists = alt.exists.iter().map(|f| self.fields.intern(f)).collect();
        CompiledRule {
            rule: idx,
            kinds,
            when,
            exists,
            selections,
            expr: expr.clone(),
        }
    }

    /// The index's buckets, described.
    pub(crate) fn describe(&self) -> String {
        self.index
            .as_ref()
            .map(|i| i.describe(&self.fields))
            .unwrap_or_default()
    }

    /// Builds the routing and literal indexes once every rule is added.
    pub(crate) fn finish(&mut self) {
        self.index = Some(crate::index::Index::build(&self.compiled, &mut self.fields));
    }

    /// Appends every rule matching `event` to `out` (ascending, each once).
    pub(crate) fn matches(&self, event: &Event, sc: &mut Scratch, out: &mut Vec<RuleIdx>) {
        self.run(event, sc, out, true)
    }

    /// [`Self::matches`] evaluating every compiled rule (no index).
    pub(crate) fn matches_exhaustive(
        &self,
        event: &Event,
        sc: &mut Scratch,
        out: &mut Vec<RuleIdx>,
    ) {
        self.run(event, sc, out, false)
    }

    fn run(&self, event: &Event, sc: &mut Scratch, out: &mut Vec<RuleIdx>, indexed: bool) {
        sc.begin(
            self.fields.len(),
            self.compiled.len(),
            self.rules,
            event.fields.len(),
        );
        for (pos, (name, _)) in event.fields.0.iter().enumerate() {
            if let Some(id) = self.fields.get(name) {
                sc.set_slot(id, pos);
            }
        }
        let start = out.len();
        let stamp = sc.stamp;
        let mut ctx = Ctx { event, sc };
        match self.index.as_ref().filter(|_| indexed) {
            Some(index) => {
                index.candidates(&mut ctx);
                let cands = std::mem::take(&mut ctx.sc.cands);
                for &c in &cands {
                    self.evaluate(&self.compiled[c as usize], &mut ctx, stamp, out);
                }
                ctx.sc.cands = cands;
            }
            None => {
                for c in &self.compiled {
                    self.evaluate(c, &mut ctx, stamp, out);
                }
            }
        }
        out[start..].sort_unstable();
    }
}

impl Engine {
    fn evaluate(
        &self,
        c: &CompiledRule,
        ctx: &mut Ctx<'_, '_>,
        stamp: u32,
        out: &mut Vec<RuleIdx>,
    ) {
        if c.kinds & kind_bit(ctx.event.kind) == 0 {
            return;
        }
        if ctx.sc.rule_stamp[c.rule.0 as usize] == stamp {
            return;
        }
        if !c.exists.iter().all(|f| ctx.has(*f)) {
            return;
        }
        if !c.when.iter().all(|(f, v)| ctx.when_holds(*f, v)) {
            return;
        }
        if ctx.eval_expr(&c.expr, &c.selections) {
            ctx.sc.rule_stamp[c.rule.0 as usize] = stamp;
            out.push(c.rule);
        }
    }
}

/// The rule's selections and condition, with each filter's selections appended (renamed so
/// they cannot collide) and its condition ANDed.
pub(crate) fn combine(
    detection: &Detection,
    filters: &[Detection],
) -> Result<(Vec<Selection>, Expr), String> {
    let names: Vec<String> = detection
        .selections
        .iter()
        .map(|(n, _)| n.clone())
        .collect();
    let mut alts = Vec::with_capacity(detection.conditions.len());
    for c in &detection.conditions {
        alts.push(condition::parse(c, &names)?);
    }
    let mut expr = if alts.len() == 1 {
        alts.remove(0)
    } else {
        Expr::Or(alts)
    };
    let mut sels: Vec<Selection> = detection
        .selections
        .iter()
        .map(|(_, s)| s.clone())
        .collect();
    for (fi, filter) in filters.iter().enumerate() {
        let fnames: Vec<String> = filter.selections.iter().map(|(n, _)| n.clone()).collect();
        let mut falts = Vec::new();
        for c in &filter.conditions {
            falts
                .push(condition::parse(c, &fnames).map_err(|e| format!("filter {}: {e}", fi + 1))?);
        }
        let fexpr = if falts.len() == 1 {
            falts.remove(0)
        } else {
            Expr::Or(falts)
        };
        let offset = sels.len();
        sels.extend(filter.selections.iter().map(|(_, s)| s.clone()));
        expr = Expr::And(vec![expr, shift(fexpr, offset)]);
    }
    Ok((sels, expr))
}

fn shift(expr: Expr, by: usize) -> Expr {
    match expr {
        Expr::Sel(i) => Expr::Sel(i + by),
        Expr::And(v) => Expr::And(v.into_iter().map(|e| shift(e, by)).collect()),
        Expr::Or(v) => Expr::Or(v.into_iter().map(|e| shift(e, by)).collect()),
        Expr::Not(e) => Expr::Not(Box::new(shift(*e, by))),
        Expr::AtLeast(n, v) => Expr::AtLeast(n, v.into_iter().map(|e| shift(e, by)).collect()),
    }
}
