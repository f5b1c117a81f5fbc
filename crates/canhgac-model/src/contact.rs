//! Contacts (focal points inside units) and authorities (outside bodies that receive reports).

use serde::{Deserialize, Serialize};

use crate::validate::{self, FieldError};
use crate::{Date, Id, Timestamp};

/// A person to call inside a unit (đầu mối).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Contact {
    /// Database id.
    pub id: Id,
    /// The unit the person belongs to.
    pub unit_id: Id,
    /// Full name.
    pub name: String,
    /// Position (chức vụ).
    pub position: Option<String>,
    /// What they are the contact for, e.g. "lãnh đạo phụ trách ATTT", "đầu mối ứng cứu sự cố".
    pub responsibility: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// When the record was created.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    /// When the record last changed.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
}

/// What a caller supplies to create or change a contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    /// The unit.
    #[serde(default)]
    pub unit_id: Id,
    /// Full name.
    pub name: String,
    /// Position.
    #[serde(default)]
    pub position: Option<String>,
    /// Responsibility.
    #[serde(default)]
    pub responsibility: Option<String>,
    /// Phone.
    #[serde(default)]
    pub phone: Option<String>,
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
}

impl ContactInput {
    /// Normalises and checks every field.
    pub fn validate(&mut self) -> Result<(), FieldError> {
        validate::required_text("name", &mut self.name, 200)?;
        validate::optional_text("position", &mut self.position, 200)?;
        validate::optional_text("responsibility", &mut self.responsibility, 300)?;
        validate::optional_text("phone", &mut self.phone, 40)?;
        validate::optional_text("email", &mut self.email, 254)?;
        if let Some(phone) = &mut self.phone {
            validate::phone("phone", phone)?;
        }
        if let Some(email) = &mut self.email {
            validate::email("email", email)?;
        }
        Ok(())
    }
}

impl From<&Contact> for ContactInput {
    fn from(c: &Contact) -> Self {
        Self {
            unit_id: c.unit_id,
            name: c.name.clone(),
            position: c.position.clone(),
            responsibility: c.responsibility.clone(),
            phone: c.phone.clone(),
            email: c.email.clone(),
        }
    }
}

/// An outside body that receives reports or sends advisories (VNCERT/CC, NCSC, provincial
/// police...). Names and addresses change with reorganisations, so each record has effective dates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Authority {
    /// Database id.
    pub id: Id,
    /// Stable code, e.g. `vncert`.
    pub code: String,
    /// Official name.
    pub name: String,
    /// Postal address.
    pub address: Option<String>,
    /// Phone numbers.
    pub phones: Vec<String>,
    /// Email addresses (reports go to all of them).
    pub emails: Vec<String>,
    /// First day this record is in force.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub valid_from: Option<Date>,
    /// Last day this record is in force.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub valid_to: Option<Date>,
    /// Free-form note (legal basis, what they receive).
    pub note: Option<String>,
    /// When the record was created.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    /// When the record last changed.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
}

/// What a caller supplies to create or change an authority.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AuthorityInput {
    /// Stable code; derived from the name when left empty. Several records may share a code
    /// when their validity periods do not overlap (the same body before and after a reorganisation).
    #[serde(default)]
    pub code: String,
    /// Official name.
    pub name: String,
    /// Postal address.
    #[serde(default)]
    pub address: Option<String>,
    /// Phone numbers.
    #[serde(default)]
    pub phones: Vec<String>,
    /// Email addresses.
    #[serde(default)]
    pub emails: Vec<String>,
    /// First day in force.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub valid_from: Option<Date>,
    /// Last day in force.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub valid_to: Option<Date>,
    /// Note.
    #[serde(default)]
    pub note: Option<String>,
}

impl AuthorityInput {
    /// Normalises and checks every field.
    pub fn validate(&mut self) -> Result<(), FieldError> {
        validate::required_text("name", &mut self.name, 300)?;
        if self.code.trim().is_empty() {
            self.code = crate::slugify(&self.name);
        }
        validate::code("code", &mut self.code)?;
        validate::optional_text("address", &mut self.address, 500)?;
        validate::optional_text("note", &mut self.note, 2000)?;
        validate::text_list("phones", &mut self.phones, 40)?;
        validate::text_list("emails", &mut self.emails, 254)?;
        for phone in &mut self.phones {
            validate::phone("phones", phone)?;
        }
        for email in &mut self.emails {
            validate::email("emails", email)?;
        }
        validate::date_range(self.valid_from, self.valid_to)
    }
}

impl From<&Authority> for AuthorityInput {
    fn from(a: &Authority) -> Self {
        Self {
            code: a.code.clone(),
            name: a.name.clone(),
            address: a.address.clone(),
            phones: a.phones.clone(),
            emails: a.emails.clone(),
            valid_from: a.valid_from,
            valid_to: a.valid_to,
            note: a.note.clone(),
        }
    }
}
