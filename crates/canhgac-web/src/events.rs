//! Event search as the console and the API share it: the search form's fields read into an
//! [`EventQuery`], with the caller's units as its unit filter.
//!
//! Events live in the event log, not in the store, so the store's scoping does not reach them:
//! this module is where a search is narrowed to the caller's units. `Scope::All` searches every
//! event (unattributed ones included); a unit officer's or a limited viewer's search holds only
//! events of the units in their subtrees, never unattributed ones.

use std::collections::{HashMap, HashSet};

use canhgac_eventlog::{Cursor, EventQuery, UnitFilter};
use canhgac_model::{Id, Scope};
use canhgac_store::{Store, StoreError, UnitBrief};

use crate::console::format;

/// Most events one search answers.
pub const MAX_LIMIT: usize = 1000;

/// The fields of a search, as typed in the console's form or sent in the API's query string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchFields {
    /// Earliest event time (RFC 3339, `dd/mm/yyyy HH:MM` or `dd/mm/yyyy`, local time).
    pub from: Option<String>,
    /// Latest event time, exclusive.
    pub to: Option<String>,
    /// Only events of this unit and its descendants.
    pub unit_id: Option<Id>,
    /// Only events of this host.
    pub host: Option<String>,
    /// `name:value` or `name=value` conditions.
    pub fields: Vec<String>,
    /// Words that must all appear.
    pub q: Option<String>,
    /// Most events to answer.
    pub limit: Option<usize>,
    /// The cursor of the previous page's last event.
    pub before: Option<String>,
}

/// A search field that cannot be read, or the store failing while narrowing the units.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The field named is malformed.
    #[error("{field}: {message}")]
    Invalid {
        /// The field, as named in the query string.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(field: &'static str, message: impl Into<String>) -> SearchError {
    SearchError::Invalid {
        field,
        message: message.into(),
    }
}

fn blank_to_none(text: &Option<String>) -> Option<&str> {
    text.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

/// Splits `name:value` or `name=value` at the first `:` or `=` (field names hold neither;
/// values may hold both, as in `CommandLine=cmd /c a=b`).
pub fn split_condition(condition: &str) -> Option<(String, String)> {
    let at = condition.find([':', '='])?;
    let name = condition[..at].trim();
    let value = condition[at + 1..].trim();
    (!name.is_empty()).then(|| (name.to_string(), value.to_string()))
}

impl SearchFields {
    /// The query these fields ask for, narrowed to `scope`; `default_limit` applies when
    /// `limit` is not given. Times are read in `tz` unless they carry an offset.
    pub async fn to_query(
        &self,
        store: &dyn Store,
        scope: &Scope,
        tz: &jiff::tz::TimeZone,
        default_limit: usize,
    ) -> Result<EventQuery, SearchError> {
        let time = |field: &'static str, text: &Option<String>| {
            format::parse_datetime(text.as_deref().unwrap_or(""), tz).map_err(|_| {
                invalid(
                    field,
                    "is not a time; write it as dd/mm/yyyy HH:MM or RFC 3339",
                )
            })
        };
        let from = time("from", &self.from)?;
        let to = time("to", &self.to)?;
        if let (Some(from), Some(to)) = (from, to) {
            if to <= from {
                return Err(invalid("to", "must be after from"));
            }
        }
        let mut fields = Vec::with_capacity(self.fields.len());
        for condition in self.fields.iter().filter(|c| !c.trim().is_empty()) {
            let pair = split_condition(condition)
                .ok_or_else(|| invalid("field", format!("{condition:?} is not name:value")))?;
            fields.push(pair);
        }
        let limit = self.limit.unwrap_or(default_limit);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(invalid("limit", format!("must be from 1 to {MAX_LIMIT}")));
        }
        let before = match blank_to_none(&self.before) {
            Some(text) => Some(
                text.parse::<Cursor>()
                    .map_err(|_| invalid("before", "is not a cursor from a previous page"))?,
            ),
            None => None,
        };
        let text = blank_to_none(&self.q).map(str::to_string);
        if text.as_ref().is_some_and(|q| q.chars().count() > 500) {
            return Err(invalid("q", "is longer than 500 characters"));
        }
        Ok(EventQuery {
            from,
            to,
            units: unit_filter(store, scope, self.unit_id).await?,
            host: blank_to_none(&self.host).map(str::to_string),
            fields,
            text,
            limit,
            before,
        })
    }
}

/// The events `scope` may see, further narrowed to the subtree of `unit` when given. A unit
/// outside the scope (or unknown) leaves nothing to see.
pub async fn unit_filter(
    store: &dyn Store,
    scope: &Scope,
    unit: Option<Id>,
) -> Result<UnitFilter, StoreError> {
    if scope.is_all() && unit.is_none() {
        return Ok(UnitFilter::Any);
    }
    let briefs = store.unit_briefs(scope).await?;
    let units = match unit {
        None => briefs.iter().map(|u| u.id).collect(),
        Some(root) => subtree(&briefs, root),
    };
    Ok(UnitFilter::Only {
        units,
        unattributed: false,
    })
}

/// `root` and its descendants among `units`; empty when `root` is not among them.
fn subtree(units: &[UnitBrief], root: Id) -> Vec<Id> {
    let known: HashSet<Id> = units.iter().map(|u| u.id).collect();
    if !known.contains(&root) {
        return Vec::new();
    }
    let mut children: HashMap<Id, Vec<Id>> = HashMap::new();
    for unit in units {
        if let Some(parent) = unit.parent_id {
            children.entry(parent).or_default().push(unit.id);
        }
    }
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(id) = stack.pop() {
        out.push(id);
        if let Some(kids) = children.get(&id) {
            stack.extend(kids);
        }
    }
    out.sort_unstable();
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use canhgac_model::UnitKind;

    fn brief(id: Id, parent: Option<Id>) -> UnitBrief {
        UnitBrief {
            id,
            parent_id: parent,
            name: format!("u{id}"),
            kind: UnitKind::Department,
            valid_to: None,
        }
    }

    #[test]
    fn subtrees_hold_descendants_only() {
        let units = [
            brief(1, None),
            brief(2, Some(1)),
            brief(3, Some(2)),
            brief(4, Some(1)),
        ];
        assert_eq!(subtree(&units, 2), vec![2, 3]);
        assert_eq!(subtree(&units, 1), vec![1, 2, 3, 4]);
        assert!(subtree(&units, 9).is_empty());
    }

    #[test]
    fn conditions_split_at_the_first_separator() {
        assert_eq!(
            split_condition("EventID:4688"),
            Some(("EventID".into(), "4688".into()))
        );
        assert_eq!(
            split_condition("CommandLine=cmd /c a=b"),
            Some(("CommandLine".into(), "cmd /c a=b".into()))
        );
        assert_eq!(
            split_condition("c-uri: /a?b=c"),
            Some(("c-uri".into(), "/a?b=c".into()))
        );
        assert_eq!(split_condition("novalue"), None);
        assert_eq!(split_condition("=x"), None);
    }
}
