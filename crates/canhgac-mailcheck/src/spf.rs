//! SPF records (RFC 7208): the parser, and the walk through includes and redirects that counts
//! DNS-querying terms.

use std::future::Future;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::pin::Pin;

use canhgac_dns::{RecordType, Resolver};
use serde::{Deserialize, Serialize};

/// RFC 7208 §4.6.4: more DNS-querying terms than this make the result a permanent error.
pub const LOOKUP_LIMIT: usize = 10;

/// RFC 7208 §4.6.4: more lookups answered with nothing than this make it a permanent error.
pub const VOID_LOOKUP_LIMIT: usize = 2;

/// The walk stops past this many terms or this depth; the verdict is known by then.
const WALK_CAP: usize = 40;
const DEPTH_CAP: usize = 12;

/// What a matching term makes of the sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Qualifier {
    /// `+`: authorised.
    Pass,
    /// `-`: not authorised.
    Fail,
    /// `~`: probably not authorised.
    SoftFail,
    /// `?`: no statement.
    Neutral,
}

impl Qualifier {
    /// The qualifier as written before `all`: `+`, `-`, `~`, `?`.
    pub fn symbol(self) -> char {
        match self {
            Qualifier::Pass => '+',
            Qualifier::Fail => '-',
            Qualifier::SoftFail => '~',
            Qualifier::Neutral => '?',
        }
    }
}

/// A mechanism and its argument (the domain, or the network for `ip4`/`ip6`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mechanism {
    /// `all`.
    All,
    /// `include:<domain>`.
    Include(String),
    /// `a[:<domain>][/<cidr>]`.
    A(Option<String>),
    /// `mx[:<domain>][/<cidr>]`.
    Mx(Option<String>),
    /// `ptr[:<domain>]`.
    Ptr(Option<String>),
    /// `ip4:<network>`.
    Ip4(String),
    /// `ip6:<network>`.
    Ip6(String),
    /// `exists:<domain>`.
    Exists(String),
}

impl Mechanism {
    /// Terms that cost a DNS query against the limit of ten.
    pub fn queries_dns(&self) -> bool {
        matches!(
            self,
            Mechanism::Include(_)
                | Mechanism::A(_)
                | Mechanism::Mx(_)
                | Mechanism::Ptr(_)
                | Mechanism::Exists(_)
        )
    }
}

/// A qualified mechanism.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// `+`, `-`, `~` or `?` (`+` when not written).
    pub qualifier: Qualifier,
    /// The mechanism.
    pub mechanism: Mechanism,
}

/// One parsed SPF record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpfRecord {
    /// The mechanisms in order.
    pub directives: Vec<Directive>,
    /// `redirect=<domain>`.
    pub redirect: Option<String>,
    /// `exp=<domain>`.
    pub explanation: Option<String>,
    /// Terms that are no mechanism of RFC 7208 (a permanent error for receivers).
    pub unknown_mechanisms: Vec<String>,
    /// Modifiers RFC 7208 does not define (ignored by receivers; often a typo).
    pub unknown_modifiers: Vec<String>,
    /// Known terms written wrongly: a missing argument, a bad address, a repeated modifier
    /// (permanent errors for receivers).
    pub invalid_terms: Vec<String>,
}

/// Whether a TXT record is an SPF record: `v=spf1` alone or followed by a space.
pub fn is_spf(text: &str) -> bool {
    let trimmed = text.trim_start();
    let Some(head) = trimmed.get(..6) else {
        return false;
    };
    head.eq_ignore_ascii_case("v=spf1") && trimmed[6..].chars().next().is_none_or(|c| c == ' ')
}

impl SpfRecord {
    /// Parses an SPF record; `None` when the text is not one (see [`is_spf`]).
    pub fn parse(text: &str) -> Option<SpfRecord> {
        if !is_spf(text) {
            return None;
        }
        let mut record = SpfRecord::default();
        for term in text.trim_start()[6..].split_ascii_whitespace() {
            record.add_term(term);
        }
        Some(record)
    }

    fn add_term(&mut self, term: &str) {
        let name_end = term.find([':', '/', '=']).unwrap_or(term.len());
        if term[name_end..].starts_with('=') {
            let name = term[..name_end].to_ascii_lowercase();
            let value = term[name_end + 1..].to_owned();
            let slot = match name.as_str() {
                "redirect" => &mut self.redirect,
                "exp" => &mut self.explanation,
                _ => {
                    self.unknown_modifiers.push(term.to_owned());
                    return;
                }
            };
            if slot.is_some() || value.is_empty() {
                self.invalid_terms.push(term.to_owned());
            } else {
                *slot = Some(value);
            }
            return;
        }
        let (qualifier, body) = match term.chars().next() {
            Some('+') => (Qualifier::Pass, &term[1..]),
            Some('-') => (Qualifier::Fail, &term[1..]),
            Some('~') => (Qualifier::SoftFail, &term[1..]),
            Some('?') => (Qualifier::Neutral, &term[1..]),
            _ => (Qualifier::Pass, term),
        };
        let name_end = body.find([':', '/']).unwrap_or(body.len());
        let name = body[..name_end].to_ascii_lowercase();
        let rest = &body[name_end..];
        let argument = rest.strip_prefix(':').map(|a| a.to_owned());
        // The domain of a, mx, ptr without its /cidr suffix.
        let domain = || {
            argument
                .as_deref()
                .map(|a| a.split('/').next().unwrap_or_default().to_owned())
        };
        let mechanism = match name.as_str() {
            "all" if rest.is_empty() => Some(Mechanism::All),
            "include" => argument.filter(|a| !a.is_empty()).map(Mechanism::Include),
            "exists" => argument.filter(|a| !a.is_empty()).map(Mechanism::Exists),
            "a" => Some(Mechanism::A(domain())).filter(|_| valid_cidr_suffix(rest)),
            "mx" => Some(Mechanism::Mx(domain())).filter(|_| valid_cidr_suffix(rest)),
            "ptr" if !rest.contains('/') => Some(Mechanism::Ptr(domain())),
            "ip4" => argument
                .filter(|a| valid_network::<Ipv4Addr>(a, 32))
                .map(Mechanism::Ip4),
            "ip6" => argument
                .filter(|a| valid_network::<Ipv6Addr>(a, 128))
                .map(Mechanism::Ip6),
            "all" | "ptr" => None,
            _ => {
                self.unknown_mechanisms.push(term.to_owned());
                return;
            }
        };
        match mechanism {
            Some(mechanism) => self.directives.push(Directive {
                qualifier,
                mechanism,
            }),
            None => self.invalid_terms.push(term.to_owned()),
        }
    }

    /// The qualifier of `all`, when the record has one.
    pub fn all(&self) -> Option<Qualifier> {
        self.directives
            .iter()
            .find(|d| d.mechanism == Mechanism::All)
            .map(|d| d.qualifier)
    }

    /// Whether receivers would reject the record as a permanent error.
    pub fn has_errors(&self) -> bool {
        !self.unknown_mechanisms.is_empty() || !self.invalid_terms.is_empty()
    }
}

/// `/len` suffixes of `a` and `mx`: an IPv4 length, an IPv6 `//len`, or both.
fn valid_cidr_suffix(rest: &str) -> bool {
    let Some(slash) = rest.find('/') else {
        return true;
    };
    let suffix = &rest[slash..];
    let (v4, v6) = match suffix.strip_prefix('/') {
        Some(after) => match after.split_once("//") {
            Some((v4, v6)) => (Some(v4), Some(v6)),
            None => match after.strip_prefix('/') {
                Some(v6) => (None, Some(v6)),
                None => (Some(after), None),
            },
        },
        None => return false,
    };
    v4.is_none_or(|l| l.parse::<u8>().is_ok_and(|l| l <= 32))
        && v6.is_none_or(|l| l.parse::<u8>().is_ok_and(|l| l <= 128))
}

fn valid_network<T: std::str::FromStr>(text: &str, max_length: u8) -> bool {
    let (address, length) = match text.split_once('/') {
        Some((address, length)) => (address, Some(length)),
        None => (text, None),
    };
    address.parse::<T>().is_ok()
        && length.is_none_or(|l| l.parse::<u8>().is_ok_and(|l| l <= max_length))
}

/// What the walk through a domain's SPF record and everything it includes found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpfWalk {
    /// DNS-querying terms counted through includes and redirects.
    pub lookups: usize,
    /// Include and redirect chains that come back to a domain already on the chain
    /// (`a.vn -> b.vn -> a.vn`).
    pub loops: Vec<String>,
    /// Include or redirect targets without exactly one valid SPF record, with why.
    pub broken_targets: Vec<String>,
    /// Names whose lookups came back empty or NXDOMAIN (RFC 7208 §4.6.4 allows two).
    pub void_lookups: Vec<String>,
    /// Domains whose records were read, in order.
    pub domains: Vec<String>,
    /// The `all` that decides when nothing else matches: the record's own, else its
    /// redirect target's.
    pub effective_all: Option<Qualifier>,
    /// The walk stopped early (too many terms or too deep).
    pub cut_short: bool,
}

/// Walks `record` (published at `domain`) through includes and redirects.
pub async fn walk(resolver: &Resolver, domain: &str, record: &SpfRecord) -> SpfWalk {
    let mut walk = SpfWalk {
        domains: vec![domain.to_ascii_lowercase()],
        ..SpfWalk::default()
    };
    let mut chain = vec![domain.to_ascii_lowercase()];
    walk.effective_all = visit(resolver, record, &mut chain, &mut walk).await;
    walk
}

type Visit<'a> = Pin<Box<dyn Future<Output = Option<Qualifier>> + Send + 'a>>;

/// Counts the terms of `record` and follows its includes and redirect; returns the `all` that
/// decides for this record.
fn visit<'a>(
    resolver: &'a Resolver,
    record: &'a SpfRecord,
    chain: &'a mut Vec<String>,
    walk: &'a mut SpfWalk,
) -> Visit<'a> {
    Box::pin(async move {
        for directive in &record.directives {
            if !directive.mechanism.queries_dns() {
                continue;
            }
            walk.lookups += 1;
            let current = chain.last().cloned().unwrap_or_default();
            match &directive.mechanism {
                Mechanism::Include(target) => {
                    follow(resolver, target, chain, walk).await;
                }
                Mechanism::A(domain) => {
                    let name = domain.as_deref().unwrap_or(&current);
                    note_void(resolver, name, &[RecordType::A, RecordType::AAAA], walk).await;
                }
                Mechanism::Mx(domain) => {
                    let name = domain.as_deref().unwrap_or(&current);
                    note_void(resolver, name, &[RecordType::MX], walk).await;
                }
                Mechanism::Exists(name) => {
                    note_void(resolver, name, &[RecordType::A], walk).await;
                }
                // ptr needs the connecting address; nothing to ask without one.
                _ => {}
            }
            if walk.cut_short {
                return record.all();
            }
        }
        match (&record.redirect, record.all()) {
            // RFC 7208 §6.1: redirect is ignored when the record has `all`.
            (Some(target), None) => {
                walk.lookups += 1;
                follow(resolver, target, chain, walk).await
            }
            (_, all) => all,
        }
    })
}

/// Asks for `name`'s records of the given types and notes a void lookup when none answer
/// (every answer empty or NXDOMAIN). Names with macros and failed lookups are left out.
async fn note_void(resolver: &Resolver, name: &str, types: &[RecordType], walk: &mut SpfWalk) {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if name.contains('%') || name.is_empty() {
        return;
    }
    for record_type in types {
        match resolver.lookup(&name, *record_type).await {
            Ok(answer) if answer.is_noerror() && !answer.texts(*record_type).is_empty() => return,
            Ok(answer) if answer.is_noerror() || answer.is_nxdomain() => {}
            _ => return,
        }
    }
    walk.void_lookups.push(name);
}

/// Reads and visits the SPF record of an include or redirect target.
async fn follow(
    resolver: &Resolver,
    target: &str,
    chain: &mut Vec<String>,
    walk: &mut SpfWalk,
) -> Option<Qualifier> {
    let target = target.trim_end_matches('.').to_ascii_lowercase();
    if target.contains('%') {
        // Macros expand per message; the target cannot be read without one.
        return None;
    }
    if chain.contains(&target) {
        let mut looped = chain.clone();
        looped.push(target);
        walk.loops.push(looped.join(" -> "));
        return None;
    }
    if walk.lookups > WALK_CAP || chain.len() > DEPTH_CAP {
        walk.cut_short = true;
        return None;
    }
    let records = match resolver.lookup(&target, RecordType::TXT).await {
        Ok(answer) if answer.is_noerror() || answer.is_nxdomain() => {
            let texts = answer.texts(RecordType::TXT);
            if texts.is_empty() {
                walk.void_lookups.push(target.clone());
            }
            texts.into_iter().filter(|t| is_spf(t)).collect::<Vec<_>>()
        }
        Ok(answer) => {
            walk.broken_targets
                .push(format!("{target}: máy chủ DNS trả lời {}", answer.rcode));
            return None;
        }
        Err(error) => {
            walk.broken_targets.push(format!("{target}: {error}"));
            return None;
        }
    };
    walk.domains.push(target.clone());
    let text = match records.as_slice() {
        [one] => one,
        [] => {
            walk.broken_targets
                .push(format!("{target}: không có bản ghi SPF"));
            return None;
        }
        _ => {
            walk.broken_targets
                .push(format!("{target}: có {} bản ghi SPF", records.len()));
            return None;
        }
    };
    let record = SpfRecord::parse(text)?;
    if record.has_errors() {
        let terms: Vec<&str> = record
            .unknown_mechanisms
            .iter()
            .chain(&record.invalid_terms)
            .map(String::as_str)
            .collect();
        walk.broken_targets
            .push(format!("{target}: sai cú pháp ({})", terms.join(" ")));
    }
    chain.push(target);
    let all = visit(resolver, &record, chain, walk).await;
    chain.pop();
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_parse_into_directives_and_modifiers() {
        let record = SpfRecord::parse(
            "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx:mail.example.vn/24 include:_spf.example.vn ~all exp=explain.example.vn",
        )
        .unwrap();
        assert_eq!(record.directives.len(), 6);
        assert_eq!(record.all(), Some(Qualifier::SoftFail));
        assert_eq!(
            record.directives[3].mechanism,
            Mechanism::Mx(Some("mail.example.vn".into()))
        );
        assert_eq!(record.explanation.as_deref(), Some("explain.example.vn"));
        assert!(!record.has_errors());
        assert_eq!(
            record
                .directives
                .iter()
                .filter(|d| d.mechanism.queries_dns())
                .count(),
            3
        );
    }

    #[test]
    fn unknown_and_broken_terms_are_named() {
        let record = SpfRecord::parse(
            "v=spf1 ip4:300.1.1.1 include: inclde:x.vn mx/33 redirect=a.vn redirect=b.vn foo=bar ?all",
        )
        .unwrap();
        assert_eq!(record.unknown_mechanisms, ["inclde:x.vn"]);
        assert_eq!(record.unknown_modifiers, ["foo=bar"]);
        assert_eq!(
            record.invalid_terms,
            ["ip4:300.1.1.1", "include:", "mx/33", "redirect=b.vn"]
        );
        assert_eq!(record.all(), Some(Qualifier::Neutral));
        assert!(record.has_errors());
    }

    #[test]
    fn only_v_spf1_records_are_spf() {
        assert!(is_spf("v=spf1"));
        assert!(is_spf("V=SPF1 -all"));
        assert!(!is_spf("v=spf10 -all"));
        assert!(!is_spf("v=DMARC1; p=none"));
        assert!(!is_spf("v=spf"));
        assert!(SpfRecord::parse("google-site-verification=x").is_none());
    }

    #[test]
    fn cidr_suffixes_of_a_and_mx() {
        assert!(valid_cidr_suffix(""));
        assert!(valid_cidr_suffix(":x.vn/24"));
        assert!(valid_cidr_suffix("//64"));
        assert!(valid_cidr_suffix("/24//64"));
        assert!(!valid_cidr_suffix("/33"));
        assert!(!valid_cidr_suffix("/x"));
    }
}
