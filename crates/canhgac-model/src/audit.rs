//! The audit log: every change, who made it, and the record before and after.

use serde::{Deserialize, Serialize};

use crate::{Id, Timestamp};

/// One change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    /// Database id (increasing).
    pub id: Id,
    /// When it happened.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    /// The acting user, if any.
    pub actor_user_id: Option<Id>,
    /// The actor's name (`admin`, `cli`, `system`...).
    pub actor: String,
    /// What was done: `create`, `update`, `delete`, `import`, `login`, `login_failed`, ...
    pub action: String,
    /// What kind of record: `unit`, `system`, `asset`, `contact`, `authority`, `user`, `api_token`, `inventory`.
    pub entity: String,
    /// Which record.
    pub entity_id: Option<Id>,
    /// The record before the change.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub before: Option<serde_json::Value>,
    /// The record after the change.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub after: Option<serde_json::Value>,
}

/// Which audit entries to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    /// Only this kind of record.
    pub entity: Option<String>,
    /// Only this record.
    pub entity_id: Option<Id>,
    /// Only this actor name.
    pub actor: Option<String>,
}
