//! Users, roles and API tokens.

use serde::{Deserialize, Serialize};

use crate::validate::{self, FieldError};
use crate::{string_enum, Id, Timestamp};

string_enum! {
    /// What a user may do. Which units they may do it to is their [`crate::Scope`].
    Role {
        /// Everything, including users, authorities and the audit log.
        Admin = "admin",
        /// The provincial SOC: reads and changes the inventory of every unit.
        Analyst = "analyst",
        /// A unit's IT officer: reads and changes only their units' subtrees.
        UnitOfficer = "unit_officer",
        /// Reads only, within their units (or everywhere when none are assigned).
        Viewer = "viewer",
    }
}

impl Role {
    /// May change units, systems, assets and contacts (within scope).
    pub fn can_edit_inventory(self) -> bool {
        matches!(self, Role::Admin | Role::Analyst | Role::UnitOfficer)
    }

    /// May change authorities, which every unit shares.
    pub fn can_edit_authorities(self) -> bool {
        matches!(self, Role::Admin | Role::Analyst)
    }

    /// May manage users and read the audit log.
    pub fn is_admin(self) -> bool {
        self == Role::Admin
    }

    /// True when the role always sees every unit, whatever units are assigned.
    pub fn sees_everything(self) -> bool {
        matches!(self, Role::Admin | Role::Analyst)
    }
}

/// A stored user (the password hash never leaves the store).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    /// Database id.
    pub id: Id,
    /// Login name, lower-case.
    pub username: String,
    /// Name shown in the console.
    pub display_name: String,
    /// Email, for notifications.
    pub email: Option<String>,
    /// What the user may do.
    pub role: Role,
    /// Roots of the unit subtrees the user works on (for unit officers and viewers).
    pub unit_ids: Vec<Id>,
    /// Disabled users cannot sign in and their tokens stop working.
    pub disabled: bool,
    /// When the record was created.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}

impl User {
    /// The units this user may see.
    pub fn scope(&self) -> crate::Scope {
        if self.role.sees_everything() || (self.role == Role::Viewer && self.unit_ids.is_empty()) {
            crate::Scope::All
        } else {
            crate::Scope::Units(self.unit_ids.clone())
        }
    }

    /// The actor this user is when changing data.
    pub fn actor(&self) -> crate::Actor {
        crate::Actor {
            user_id: Some(self.id),
            name: self.username.clone(),
            scope: self.scope(),
        }
    }
}

/// What an admin supplies to create or change a user. The password is hashed by the caller.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    /// Login name.
    pub username: String,
    /// Name shown in the console.
    #[serde(default)]
    pub display_name: String,
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
    /// Role.
    pub role: Role,
    /// Unit subtree roots.
    #[serde(default)]
    pub unit_ids: Vec<Id>,
    /// Disabled flag.
    #[serde(default)]
    pub disabled: bool,
}

impl UserInput {
    /// Normalises and checks every field.
    pub fn validate(&mut self) -> Result<(), FieldError> {
        let username = self.username.trim().to_lowercase();
        let ok = (2..=64).contains(&username.len())
            && username
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
        if !ok {
            return Err(FieldError::new(
                "username",
                "must be 2–64 characters of a-z, 0-9, '.', '_', '-' or '@'",
            ));
        }
        self.username = username;
        if self.display_name.trim().is_empty() {
            self.display_name = self.username.clone();
        }
        validate::required_text("display_name", &mut self.display_name, 200)?;
        validate::optional_text("email", &mut self.email, 254)?;
        if let Some(email) = &mut self.email {
            validate::email("email", email)?;
        }
        if self.role == Role::UnitOfficer && self.unit_ids.is_empty() {
            return Err(FieldError::new(
                "unit_ids",
                "a unit officer needs at least one unit",
            ));
        }
        self.unit_ids.sort_unstable();
        self.unit_ids.dedup();
        Ok(())
    }
}

/// Checks a new password: 12 characters at least, not all one character class.
pub fn check_password_strength(password: &str) -> Result<(), FieldError> {
    if password.chars().count() < 12 {
        return Err(FieldError::new(
            "password",
            "must have at least 12 characters",
        ));
    }
    let classes = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_numeric()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ];
    if classes.iter().filter(|present| **present).count() < 2 {
        return Err(FieldError::new(
            "password",
            "must mix letters with digits, capitals or symbols",
        ));
    }
    Ok(())
}

/// A machine credential. The secret is shown once at creation; only its hash is stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiToken {
    /// Database id.
    pub id: Id,
    /// The user the token acts as (same role and scope).
    pub user_id: Id,
    /// What the token is for, e.g. "syslog relay Sở Y tế".
    pub name: String,
    /// The first characters of the secret, to tell tokens apart.
    pub prefix: String,
    /// When the token was created.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    /// When the token was last used.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub last_used_at: Option<Timestamp>,
    /// Revoked tokens no longer authenticate.
    pub revoked: bool,
}
