//! The rule index: per event, only candidate rules are evaluated.
//!
//! Two stages:
//! 1. **Routing** by (`Channel`, `EventID`): every compiled rule sits in the
//!    buckets its logsource alternative allows (the `EventID` comes from the mapping, or, when
//!    the mapping names none, from the detection when its condition requires `EventID` to be
//!    one of a few numbers). An event visits at most four buckets: with and without its
//!    channel and event id.
//! 2. **Witnesses** inside a bucket: for each rule a *necessary* set of (field, literal)
//!    pairs is chosen from its condition, such that the rule cannot match unless one of the
//!    literals occurs (case-folded) in its field. One Aho-Corasick automaton per field scans
//!    the event's folded value for every rule's literals at once; only rules with a literal
//!    found (and rules for which no literal could be chosen) are evaluated in full.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use canhgac_model::FieldValue;

use crate::condition::Expr;
use crate::detection::{FieldId, Item, Matcher, Selection};
use crate::engine::{CompiledRule, FieldTable, FxMap};
use crate::mapping::WhenValue;
use crate::pattern::{fold_bytes, StrPattern};

/// Pseudo field of keyword witnesses: the message and every field value.
const ANY: FieldId = u32::MAX - 1;

/// A literal that must occur in a field for a rule to match.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Atom {
    field: FieldId,
    needle: Vec<u8>,
}

/// How selective a witness set is (higher is better).
fn quality(atoms: &[Atom], eid_field: Option<FieldId>) -> u32 {
    atoms
        .iter()
        .map(|a| {
            let len = a.needle.len().min(16) as u32;
            if Some(a.field) == eid_field {
                0
            } else if a.field == ANY {
                len / 2
            } else {
                len
            }
        })
        .min()
        .unwrap_or(0)
}

/// A witness set with its quality, computed once.
struct W {
    q: u32,
    atoms: Vec<Atom>,
}

struct Witness<'a> {
    eid_field: Option<FieldId>,
    sels: &'a [Selection],
}

impl Witness<'_> {
    fn make(&self, mut atoms: Vec<Atom>) -> W {
        atoms.sort_by(|a, b| (a.field, &a.needle).cmp(&(b.field, &b.needle)));
        atoms.dedup();
        W {
            q: quality(&atoms, self.eid_field),
            atoms,
        }
    }

    /// For AND: the more selective of two.
    fn better(a: Option<W>, b: Option<W>) -> Option<W> {
        match (a, b) {
            (None, x) | (x, None) => x,
            (Some(a), Some(b)) => {
                if a.q > b.q || (a.q == b.q && a.atoms.len() <= b.atoms.len()) {
                    Some(a)
                } else {
                    Some(b)
                }
            }
        }
    }

    /// For OR: all of them, or none when one has no witness.
    fn union(&self, parts: impl IntoIterator<Item = Option<W>>) -> Option<W> {
        let mut out: Vec<Atom> = Vec::new();
        for p in parts {
            out.extend(p?.atoms);
        }
        Some(self.make(out))
    }

    fn expr(&self, e: &Expr) -> Option<W> {
        match e {
            Expr::Sel(i) => self.selection(&self.sels[*i]),
            Expr::And(items) => items
                .iter()
                .fold(None, |best, x| Self::better(best, self.expr(x))),
            Expr::Or(items) | Expr::AtLeast(_, items) => {
                self.union(items.iter().map(|x| self.expr(x)))
            }
            Expr::Not(_) => None,
        }
    }

    fn selection(&self, sel: &Selection) -> Option<W> {
        if sel.groups.len() == 1 {
            return self.group(&sel.groups[0]);
        }
        self.union(sel.groups.iter().map(|group| self.group(group)))
    }

    fn group(&self, group: &[Item]) -> Option<W> {
        group
            .iter()
            .fold(None, |best, item| Self::better(best, self.item(item)))
    }

    fn item(&self, item: &Item) -> Option<W> {
        if item.negate || item.matchers.iter().any(Matcher::matches_absent) {
            return None;
        }
        let field = if item.field.is_some() {
            item.field_id
        } else {
            ANY
        };
        if item.all {
            item.matchers.iter().fold(None, |best, m| {
                Self::better(best, matcher_atoms(m, field).map(|a| self.make(a)))
            })
        } else {
            let mut out = Vec::new();
            for m in &item.matchers {
                out.extend(matcher_atoms(m, field)?);
            }
            Some(self.make(out))
        }
    }
}

/// The literal every value matched by `m` contains, per pattern.
fn matcher_atoms(m: &Matcher, field: FieldId) -> Option<Vec<Atom>> {
    match m {
        Matcher::Str { pats, .. } => {
            let mut out = Vec::with_capacity(pats.len());
            for p in pats {
                let needle = pattern_literal(p)?;
                if needle.is_empty() {
                    return None;
                }
                out.push(Atom {
                    field,
                    needle: fold_bytes(&needle),
                });
            }
            Some(out)
        }
        Matcher::Int { text, .. } if field != ANY => Some(vec![Atom {
            field,
            needle: text.clone(),
        }]),
        _ => None,
    }
}

/// The longest literal run a pattern requires.
fn pattern_literal(p: &StrPattern) -> Option<Vec<u8>> {
    match p {
        StrPattern::Exact(b) | StrPattern::Prefix(b) | StrPattern::Suffix(b) => Some(b.clone()),
        StrPattern::Contains(f) => Some(f.needle().to_vec()),
        StrPattern::Any => None,
        StrPattern::Glob(parts) => parts
            .iter()
            .filter_map(|p| match p {
                crate::pattern::Part::Lit(b) => Some(b.clone()),
                _ => None,
            })
            .max_by_key(Vec::len),
    }
}

/// The `EventID` values a condition requires (when it requires a few).
fn required_ids(e: &Expr, sels: &[Selection], eid: FieldId) -> Option<Vec<i64>> {
    fn union(parts: impl IntoIterator<Item = Option<Vec<i64>>>) -> Option<Vec<i64>> {
        let mut out = Vec::new();
        for p in parts {
            for v in p? {
                if !out.contains(&v) {
                    out.push(v);
                }
            }
        }
        Some(out)
    }
    fn pick(a: Option<Vec<i64>>, b: Option<Vec<i64>>) -> Option<Vec<i64>> {
        match (a, b) {
            (None, x) | (x, None) => x,
            (Some(a), Some(b)) => Some(if a.len() <= b.len() { a } else { b }),
        }
    }
    match e {
        Expr::Sel(i) => union(sels[*i].groups.iter().map(|group| {
            group.iter().fold(None, |best, item| {
                let ids =
                    if item.field.is_some() && item.field_id == eid && !item.negate && !item.all {
                        let mut ids = Vec::new();
                        let mut ok = true;
                        for m in &item.matchers {
                            match m {
                                Matcher::Int { value, .. } => ids.push(*value),
                                _ => ok = false,
                            }
                        }
                        ok.then_some(ids)
                    } else {
                        None
                    };
                pick(best, ids)
            })
        })),
        Expr::And(items) => items
            .iter()
            .fold(None, |best, x| pick(best, required_ids(x, sels, eid))),
        Expr::Or(items) | Expr::AtLeast(_, items) => {
            union(items.iter().map(|x| required_ids(x, sels, eid)))
        }
        Expr::Not(_) => None,
    }
}

/// One field's automaton over the literals of a bucket's rules.
#[derive(Debug)]
struct Scan {
    field: FieldId,
    ac: AhoCorasick,
    /// Per pattern: the compiled rules it witnesses.
    rules: Vec<Vec<u32>>,
}

/// The rules of one route.
#[derive(Debug, Default)]
struct Bucket {
    /// Rules with no witness: always evaluated.
    always: Vec<u32>,
    scans: Vec<Scan>,
}

/// Buckets by channel then event id (event kinds are checked per candidate: a bucket holds
/// the same rules for every kind, so keying by kind would only duplicate automata).
#[derive(Debug, Default)]
struct Routes {
    by_channel: FxMap<Box<str>, IdRoutes>,
    any_channel: IdRoutes,
}

#[derive(Debug, Default)]
struct IdRoutes {
    by_id: FxMap<i64, u32>,
    any_id: Option<u32>,
}

/// The index over compiled rules.
#[derive(Debug, Default)]
pub(crate) struct Index {
    routes: Routes,
    buckets: Vec<Bucket>,
    pub channel: Option<FieldId>,
    pub event_id: Option<FieldId>,
    /// Statistics for tests and reports: rules without a witness.
    pub unwitnessed: usize,
}

/// Rules of one bucket while building.
#[derive(Default)]
struct Building {
    always: Vec<u32>,
    /// field → needle → rules
    needles: FxMap<FieldId, FxMap<Vec<u8>, Vec<u32>>>,
}

impl Index {
    /// Builds the index; `fields` gains `Channel` and `EventID` if no rule named them.
    pub(crate) fn build(compiled: &[CompiledRule], fields: &mut FieldTable) -> Index {
        let channel = fields.intern("Channel");
        let event_id = fields.intern("EventID");
        let mut routes: FxMap<(Option<String>, Option<i64>), Building> = FxMap::default();
        let mut unwitnessed = 0;
        for (ci, c) in compiled.iter().enumerate() {
            let ci = ci as u32;
            let channels: Vec<Option<String>> = match c.when.iter().find(|(f, _)| *f == channel) {
                Some((_, values)) => values
                    .iter()
                    .map(|v| match v {
                        WhenValue::Text(t) => Some(t.clone()),
                        WhenValue::Int(i) => Some(i.to_string()),
                    })
                    .collect(),
                None => vec![None],
            };
            let ids: Vec<Option<i64>> = match c.when.iter().find(|(f, _)| *f == event_id) {
                Some((_, values)) => values
                    .iter()
                    .map(|v| match v {
                        WhenValue::Int(i) => Some(*i),
                        WhenValue::Text(t) => t.parse().ok(),
                    })
                    .collect(),
                None => match required_ids(&c.expr, &c.selections, event_id) {
                    Some(ids) if !ids.is_empty() && ids.len() <= 16 => {
                        ids.into_iter().map(Some).collect()
                    }
                    _ => vec![None],
                },
            };
            let witness = Witness {
                eid_field: Some(event_id),
                sels: &c.selections,
            }
            .expr(&c.expr)
            .filter(|w| !w.atoms.is_empty() && w.q > 0)
            .map(|w| w.atoms);
            if witness.is_none() {
                unwitnessed += 1;
            }
            for ch in &channels {
                for id in &ids {
                    let b = routes.entry((ch.clone(), *id)).or_default();
                    match &witness {
                        None => b.always.push(ci),
                        Some(atoms) => {
                            for a in atoms {
                                let rules = b
                                    .needles
                                    .entry(a.field)
                                    .or_default()
                                    .entry(a.needle.clone())
                                    .or_default();
                                if rules.last() != Some(&ci) {
                                    rules.push(ci);
                                }
                            }
                        }
                    }
                }
            }
        }
        let mut index = Index {
            routes: Routes::default(),
            buckets: Vec::with_capacity(routes.len()),
            channel: Some(channel),
            event_id: Some(event_id),
            unwitnessed,
        };
        // Deterministic order.
        let mut routes: Vec<_> = routes.into_iter().collect();
        routes.sort_by(|a, b| a.0.cmp(&b.0));
        for ((ch, id), building) in routes {
            let bi = index.buckets.len() as u32;
            let mut scans = Vec::with_capacity(building.needles.len());
            let mut always = building.always;
            let mut fields: Vec<_> = building.needles.into_iter().collect();
            fields.sort_by_key(|(f, _)| *f);
            for (field, needles) in fields {
                let mut needles: Vec<(Vec<u8>, Vec<u32>)> = needles.into_iter().collect();
                needles.sort();
                let ac = AhoCorasickBuilder::new()
                    .match_kind(MatchKind::Standard)
                    .build(needles.iter().map(|(n, _)| n.as_slice()));
                match ac {
                    Ok(ac) => scans.push(Scan {
                        field,
                        ac,
                        rules: needles.into_iter().map(|(_, r)| r).collect(),
                    }),
                    // Too large for an automaton: evaluate these rules always.
                    Err(_) => always.extend(needles.into_iter().flat_map(|(_, r)| r)),
                }
            }
            always.sort_unstable();
            always.dedup();
            index.buckets.push(Bucket { always, scans });
            let kr = &mut index.routes;
            let ir = match ch {
                Some(ch) => kr.by_channel.entry(ch.into_boxed_str()).or_default(),
                None => &mut kr.any_channel,
            };
            match id {
                Some(id) => {
                    ir.by_id.insert(id, bi);
                }
                None => ir.any_id = Some(bi),
            }
        }
        index
    }

    /// A description of the buckets (for benchmarks and debugging).
    pub(crate) fn describe(&self, fields: &FieldTable) -> String {
        let mut out = format!(
            "{} buckets; {} compiled rules have no witness literal\n",
            self.buckets.len(),
            self.unwitnessed
        );
        let mut line = |name: String, b: u32| {
            let bucket = &self.buckets[b as usize];
            let scans: Vec<String> = bucket
                .scans
                .iter()
                .map(|s| format!("{}:{}", fields.name(s.field), s.rules.len()))
                .collect();
            out.push_str(&format!(
                "{name}: always {} scans [{}]\n",
                bucket.always.len(),
                scans.join(" ")
            ));
        };
        let r = &self.routes;
        let mut keys: Vec<_> = r.by_channel.iter().collect();
        keys.sort_by(|a, b| a.0.cmp(b.0));
        for (ch, ir) in keys
            .into_iter()
            .map(|(c, i)| (Some(c), i))
            .chain([(None, &r.any_channel)])
        {
            let ch = ch.map(|c| c.to_string()).unwrap_or_else(|| "*".into());
            let mut ids: Vec<_> = ir.by_id.iter().collect();
            ids.sort();
            for (id, b) in ids {
                line(format!("{ch} / {id}"), *b);
            }
            if let Some(b) = ir.any_id {
                line(format!("{ch} / *"), b);
            }
        }
        out
    }

    /// Collects the candidate compiled rules of the event into `sc.cands`.
    pub(crate) fn candidates(&self, ctx: &mut crate::eval::Ctx<'_, '_>) {
        let kr = &self.routes;
        let event = ctx.event;
        let id: Option<i64> = self
            .event_id
            .and_then(|f| ctx.sc.slot(f))
            .and_then(|p| match &event.fields.0[p].1 {
                FieldValue::Int(i) => Some(*i),
                FieldValue::Str(s) => s.trim().parse().ok(),
                FieldValue::Float(f) if f.fract() == 0.0 => Some(*f as i64),
                _ => None,
            });
        let mut buckets: [Option<u32>; 4] = [None; 4];
        let ids_of = |ir: &IdRoutes, out: &mut [Option<u32>]| {
            if let Some(id) = id {
                out[0] = ir.by_id.get(&id).copied();
            }
            out[1] = ir.any_id;
        };
        if !kr.by_channel.is_empty() {
            if let Some(p) = self.channel.and_then(|f| ctx.sc.slot(f)) {
                let ch = ctx.sc.folded(event, p);
                if let Some(ir) = kr.by_channel.get(ch) {
                    ids_of(ir, &mut buckets[0..2]);
                }
            }
        }
        ids_of(&kr.any_channel, &mut buckets[2..4]);
        for b in buckets.into_iter().flatten() {
            self.bucket_candidates(&self.buckets[b as usize], ctx);
        }
    }

    fn bucket_candidates(&self, bucket: &Bucket, ctx: &mut crate::eval::Ctx<'_, '_>) {
        let stamp = ctx.sc.stamp;
        for &c in &bucket.always {
            ctx.sc.mark(c, stamp);
        }
        let event = ctx.event;
        for scan in &bucket.scans {
            if scan.field == ANY {
                let msg = std::mem::take(ctx.sc.message_folded_mut(event));
                mark_hits(scan, msg.as_bytes(), ctx.sc, stamp);
                *ctx.sc.message_folded_mut(event) = msg;
                for pos in 0..event.fields.0.len() {
                    scan_value(scan, pos, ctx, stamp);
                }
                continue;
            }
            if let Some(pos) = ctx.sc.slot(scan.field) {
                scan_value(scan, pos, ctx, stamp);
            }
        }
    }
}

fn scan_value(scan: &Scan, pos: usize, ctx: &mut crate::eval::Ctx<'_, '_>, stamp: u32) {
    let event = ctx.event;
    match &event.fields.0[pos].1 {
        FieldValue::List(items) => {
            for v in items {
                let text = crate::pattern::fold_str(&v.to_text());
                mark_hits(scan, text.as_bytes(), ctx.sc, stamp);
            }
        }
        FieldValue::Null => {}
        _ => {
            // Borrow the folded text out of the scratch while marking into it.
            let text = std::mem::take(ctx.sc.folded_mut(event, pos));
            mark_hits(scan, text.as_bytes(), ctx.sc, stamp);
            *ctx.sc.folded_mut(event, pos) = text;
        }
    }
}

fn mark_hits(scan: &Scan, text: &[u8], sc: &mut crate::eval::Scratch, stamp: u32) {
    for m in scan.ac.find_overlapping_iter(text) {
        for &c in &scan.rules[m.pattern().as_usize()] {
            sc.mark(c, stamp);
        }
    }
}
