//! Information systems (hệ thống thông tin) and their classification.

use serde::{Deserialize, Serialize};

use crate::validate::{self, FieldError};
use crate::{string_enum, Date, Id, Timestamp};

string_enum! {
    /// What an information system is for; `portal` and `email` get the strongest defaults.
    SystemKind {
        /// The web portal (cổng thông tin điện tử).
        Portal = "portal",
        /// The official email system (thư điện tử công vụ).
        Email = "email",
        /// Document management and operations (quản lý văn bản và điều hành).
        DocumentManagement = "document_management",
        /// Online public services (dịch vụ công trực tuyến, một cửa).
        PublicServices = "public_services",
        /// The local government service platform (LGSP).
        Lgsp = "lgsp",
        /// Any other website.
        Website = "website",
        /// Network infrastructure (WAN, data centre).
        Network = "network",
        /// Anything else.
        Other = "other",
    }
}

string_enum! {
    /// The most sensitive class of information a system processes (Decree 85/2016, Art. 6).
    InformationClass {
        /// Public information (thông tin công cộng).
        Public = "public",
        /// Private information (thông tin riêng).
        Private = "private",
        /// Personal information (thông tin cá nhân).
        Personal = "personal",
        /// State secrets (thông tin bí mật nhà nước).
        StateSecret = "state_secret",
    }
}

/// A stored information system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InformationSystem {
    /// Database id.
    pub id: Id,
    /// Stable code, unique across systems.
    pub code: String,
    /// Name, e.g. "Cổng thông tin điện tử tỉnh".
    pub name: String,
    /// What the system is for.
    pub kind: SystemKind,
    /// The owner unit (cơ quan chủ quản).
    pub owner_unit_id: Id,
    /// The operator unit (đơn vị vận hành), when not the owner.
    pub operator_unit_id: Option<Id>,
    /// Approved security level, 1–5.
    pub security_level: Option<u8>,
    /// Number of the decision approving the level, e.g. "123/QĐ-UBND".
    pub level_decision_number: Option<String>,
    /// Date of that decision.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub level_decision_date: Option<Date>,
    /// Most sensitive information class processed.
    pub information_class: Option<InformationClass>,
    /// Main purpose (mục đích sử dụng).
    pub purpose: Option<String>,
    /// Services offered (web, mail, database...).
    pub services: Vec<String>,
    /// Security controls in place (firewall, antivirus, IDS, WAF...).
    pub security_controls: Vec<String>,
    /// The Internet connectivity provider.
    pub isp: Option<String>,
    /// The security service provider, if any.
    pub security_provider: Option<String>,
    /// When the record was created.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    /// When the record last changed.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
}

/// What a caller supplies to create or change an information system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SystemInput {
    /// Stable code; derived from the name when left empty.
    #[serde(default)]
    pub code: String,
    /// Name.
    pub name: String,
    /// What the system is for.
    pub kind: SystemKind,
    /// Owner unit id.
    pub owner_unit_id: Id,
    /// Operator unit id.
    #[serde(default)]
    pub operator_unit_id: Option<Id>,
    /// Security level 1–5.
    #[serde(default)]
    pub security_level: Option<u8>,
    /// Level decision number.
    #[serde(default)]
    pub level_decision_number: Option<String>,
    /// Level decision date.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub level_decision_date: Option<Date>,
    /// Information class.
    #[serde(default)]
    pub information_class: Option<InformationClass>,
    /// Purpose.
    #[serde(default)]
    pub purpose: Option<String>,
    /// Services.
    #[serde(default)]
    pub services: Vec<String>,
    /// Security controls.
    #[serde(default)]
    pub security_controls: Vec<String>,
    /// ISP.
    #[serde(default)]
    pub isp: Option<String>,
    /// Security provider.
    #[serde(default)]
    pub security_provider: Option<String>,
}

impl SystemInput {
    /// A minimal input.
    pub fn new(name: impl Into<String>, kind: SystemKind, owner_unit_id: Id) -> Self {
        Self {
            code: String::new(),
            name: name.into(),
            kind,
            owner_unit_id,
            operator_unit_id: None,
            security_level: None,
            level_decision_number: None,
            level_decision_date: None,
            information_class: None,
            purpose: None,
            services: Vec::new(),
            security_controls: Vec::new(),
            isp: None,
            security_provider: None,
        }
    }

    /// Normalises and checks every field.
    pub fn validate(&mut self) -> Result<(), FieldError> {
        validate::required_text("name", &mut self.name, 300)?;
        if self.code.trim().is_empty() {
            self.code = crate::slugify(&self.name);
        }
        validate::code("code", &mut self.code)?;
        if let Some(level) = self.security_level {
            if !(1..=5).contains(&level) {
                return Err(FieldError::new(
                    "security_level",
                    format!("{level} is not a level from 1 to 5"),
                ));
            }
        }
        validate::optional_text(
            "level_decision_number",
            &mut self.level_decision_number,
            100,
        )?;
        validate::optional_text("purpose", &mut self.purpose, 2000)?;
        validate::text_list("services", &mut self.services, 200)?;
        validate::text_list("security_controls", &mut self.security_controls, 200)?;
        validate::optional_text("isp", &mut self.isp, 300)?;
        validate::optional_text("security_provider", &mut self.security_provider, 300)?;
        Ok(())
    }
}

impl From<&InformationSystem> for SystemInput {
    fn from(s: &InformationSystem) -> Self {
        Self {
            code: s.code.clone(),
            name: s.name.clone(),
            kind: s.kind,
            owner_unit_id: s.owner_unit_id,
            operator_unit_id: s.operator_unit_id,
            security_level: s.security_level,
            level_decision_number: s.level_decision_number.clone(),
            level_decision_date: s.level_decision_date,
            information_class: s.information_class,
            purpose: s.purpose.clone(),
            services: s.services.clone(),
            security_controls: s.security_controls.clone(),
            isp: s.isp.clone(),
            security_provider: s.security_provider.clone(),
        }
    }
}
