//! The open-alert count in every page's header, per scope, recounted at most every
//! [`REFRESH`].
//!
//! Counting is one grouped query over the open alerts in scope, and it is not cheap enough to
//! run on every page: measured with 100,000 open alerts (debug build, a loaded 2-core machine;
//! `tests/header_cost.rs`), 450–670 ms per count on SQLite and 95 ms on PostgreSQL for a caller
//! who sees every unit, 13–20 ms for an officer of one unit with 2,000. So a count is kept per
//! scope: the first
//! page of a scope counts, later pages show the kept number and, once it is older than
//! [`REFRESH`], recount in the background. Triage forgets every count, so the triager's next
//! page is exact.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use canhgac_model::{Id, Scope};
use canhgac_store::Store;

/// How old a count may be before it is recounted (in the background).
pub const REFRESH: Duration = Duration::from_secs(30);

/// Most scopes remembered (distinct unit sets of signed-in officers); beyond it, all are
/// forgotten at once.
const MAX_SCOPES: usize = 10_000;

/// `None` for every unit, else the sorted units.
type Key = Option<Vec<Id>>;

struct Count {
    open: u64,
    at: Instant,
    refreshing: bool,
}

/// Open-alert counts per scope. Cheap to clone (shared).
#[derive(Clone, Default)]
pub struct AlertCounts(Arc<Mutex<HashMap<Key, Count>>>);

fn key(scope: &Scope) -> Key {
    match scope {
        Scope::All => None,
        Scope::Units(units) => {
            let mut units = units.clone();
            units.sort_unstable();
            units.dedup();
            Some(units)
        }
    }
}

impl AlertCounts {
    /// Open alerts in `scope`: counted now the first time, else the kept count (recounted in
    /// the background when stale). `None` when the store fails.
    pub async fn open(&self, store: &Arc<dyn Store>, scope: &Scope) -> Option<u64> {
        let key = key(scope);
        let stale = {
            let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
            match map.get_mut(&key) {
                Some(count) => {
                    let stale = count.at.elapsed() >= REFRESH && !count.refreshing;
                    if stale {
                        count.refreshing = true;
                    }
                    Some((count.open, stale))
                }
                None => None,
            }
        };
        match stale {
            Some((open, false)) => Some(open),
            Some((open, true)) => {
                let counts = self.clone();
                let store = store.clone();
                let scope = scope.clone();
                tokio::spawn(async move {
                    counts.count(&store, &scope).await;
                });
                Some(open)
            }
            None => self.count(store, scope).await,
        }
    }

    async fn count(&self, store: &Arc<dyn Store>, scope: &Scope) -> Option<u64> {
        let counted = store.alert_summary(scope).await;
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match counted {
            Ok(summary) => {
                if map.len() >= MAX_SCOPES {
                    map.clear();
                }
                map.insert(
                    key(scope),
                    Count {
                        open: summary.open,
                        at: Instant::now(),
                        refreshing: false,
                    },
                );
                Some(summary.open)
            }
            Err(error) => {
                tracing::warn!(%error, "cannot count open alerts for the page header");
                if let Some(count) = map.get_mut(&key(scope)) {
                    count.refreshing = false;
                }
                None
            }
        }
    }

    /// Forgets every count (after a triage, which changes them).
    pub fn forget(&self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_with_the_same_units_share_a_count() {
        assert_eq!(
            key(&Scope::Units(vec![3, 1, 3])),
            key(&Scope::Units(vec![1, 3]))
        );
        assert_ne!(key(&Scope::All), key(&Scope::Units(vec![])));
    }
}
