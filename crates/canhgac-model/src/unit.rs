//! Units (đơn vị): the organisation tree every other record hangs from.

use serde::{Deserialize, Serialize};

use crate::validate::{self, FieldError};
use crate::{string_enum, Date, Id, Timestamp};

string_enum! {
    /// What level of the administration a unit is.
    UnitKind {
        /// The province (tỉnh) itself: its People's Committee.
        Province = "province",
        /// A department, board or agency (Sở, ban, ngành).
        Department = "department",
        /// A district (huyện); historical, abolished on 01/07/2025.
        District = "district",
        /// A commune, ward or special zone (xã, phường, đặc khu).
        Commune = "commune",
        /// A public-service unit (đơn vị sự nghiệp), e.g. the provincial IT centre.
        PublicServiceUnit = "public_service_unit",
        /// A telecom or Internet service provider.
        Isp = "isp",
        /// An enterprise.
        Enterprise = "enterprise",
    }
}

/// A stored unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Unit {
    /// Database id.
    pub id: Id,
    /// Stable code, unique across units (used by inventory files).
    pub code: String,
    /// Official name, e.g. "Sở Khoa học và Công nghệ".
    pub name: String,
    /// Level in the administration.
    pub kind: UnitKind,
    /// The parent unit; `None` for a root (usually the province).
    pub parent_id: Option<Id>,
    /// Postal address.
    pub address: Option<String>,
    /// First day the unit exists in this form.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub valid_from: Option<Date>,
    /// Last day the unit exists in this form (e.g. 30/06/2025 for districts).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub valid_to: Option<Date>,
    /// When the record was created.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    /// When the record last changed.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
}

impl Unit {
    /// True when the unit exists on `day` (inclusive bounds; open bounds always match).
    pub fn is_valid_on(&self, day: Date) -> bool {
        self.valid_from.is_none_or(|from| from <= day) && self.valid_to.is_none_or(|to| day <= to)
    }
}

/// What a caller supplies to create or change a unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UnitInput {
    /// Stable code; derived from the name when left empty.
    #[serde(default)]
    pub code: String,
    /// Official name.
    pub name: String,
    /// Level in the administration.
    pub kind: UnitKind,
    /// Parent unit id.
    #[serde(default)]
    pub parent_id: Option<Id>,
    /// Postal address.
    #[serde(default)]
    pub address: Option<String>,
    /// First valid day.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub valid_from: Option<Date>,
    /// Last valid day.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub valid_to: Option<Date>,
}

impl UnitInput {
    /// A minimal input.
    pub fn new(name: impl Into<String>, kind: UnitKind, parent_id: Option<Id>) -> Self {
        Self {
            code: String::new(),
            name: name.into(),
            kind,
            parent_id,
            address: None,
            valid_from: None,
            valid_to: None,
        }
    }

    /// Normalises and checks every field.
    pub fn validate(&mut self) -> Result<(), FieldError> {
        validate::required_text("name", &mut self.name, 300)?;
        if self.code.trim().is_empty() {
            self.code = crate::slugify(&self.name);
        }
        validate::code("code", &mut self.code)?;
        validate::optional_text("address", &mut self.address, 500)?;
        validate::date_range(self.valid_from, self.valid_to)
    }
}

impl From<&Unit> for UnitInput {
    fn from(unit: &Unit) -> Self {
        Self {
            code: unit.code.clone(),
            name: unit.name.clone(),
            kind: unit.kind,
            parent_id: unit.parent_id,
            address: unit.address.clone(),
            valid_from: unit.valid_from,
            valid_to: unit.valid_to,
        }
    }
}
