//! Who is acting, and which units they may see.

use serde::{Deserialize, Serialize};

use crate::Id;

/// The units a caller may see and change: everything, or the subtrees under some units.
///
/// Every store query takes a scope; there is no unscoped read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    /// Every unit (admins, analysts, the CLI run by the machine's administrator).
    All,
    /// The listed units and all their descendants.
    Units(Vec<Id>),
}

impl Scope {
    /// True for [`Scope::All`].
    pub fn is_all(&self) -> bool {
        matches!(self, Scope::All)
    }
}

/// Who is making a change: written into the audit log, and bounded by `scope`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The user, when a person or their token acts; `None` for the system itself.
    pub user_id: Option<Id>,
    /// Name for the audit log: the username, or e.g. `cli` or `system`.
    pub name: String,
    /// What the actor may touch.
    pub scope: Scope,
}

impl Actor {
    /// The system acting on its own (start-up, demo data, the CLI run by the host's administrator).
    pub fn system(name: &str) -> Self {
        Self {
            user_id: None,
            name: name.to_string(),
            scope: Scope::All,
        }
    }
}
