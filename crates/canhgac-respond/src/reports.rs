//! From a stored incident to the official report that leaves for the authorities: who issues it
//! and who receives it on a given date ([`ReportProfile`], configuration with effective dates,
//! because ministries and departments are reorganised), the affected system's details filled
//! from the inventory ([`affected_system`]), the Mẫu 03/04/05 documents ([`initial_docx`],
//! [`closing_docx`], [`summary_docx`]) and the email that carries one ([`ReportMailer`]).
//!
//! Numbers are allocated by the store (`Store::create_report`), which calls back here to render
//! the DOCX with the number it chose.

use std::net::IpAddr;
use std::sync::Arc;

use async_trait::async_trait;
use canhgac_model::{
    is_public_address, AffectedSystem, Asset, AssetKind, Date, Incident, IncidentInput,
    InformationSystem, Timestamp,
};
use canhgac_model::{Actor, Id, IncidentReport, PageRequest, ReportDraft, ReportFormKind, Scope};
use canhgac_store::Store;
use serde::{Deserialize, Serialize};

use crate::documents::{
    closing_report, initial_report, summary_report, ClosingReport, ContactPerson, DocumentError,
    DocumentFrame, InitialReport, Letterhead, ReportForm, ReportNumber, ReportingParty, Signer,
    SummaryPeriod, SummaryReport, SummaryRow,
};

/// The issuing organisation of reports for a period: letterhead, number code, signer and the
/// contact person printed on Mẫu 03.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Issuer {
    /// First day this entry applies (inclusive); `None`: since always.
    pub valid_from: Option<Date>,
    /// Last day this entry applies (inclusive); `None`: still in effect.
    pub valid_to: Option<Date>,
    /// The parent body printed above the issuer ("UBND TỈNH LÂM ĐỒNG"), if any.
    pub parent_body: String,
    /// The issuing body ("Sở Khoa học và Công nghệ").
    pub name: String,
    /// The place of the date line ("Lâm Đồng").
    pub place: String,
    /// Postal address.
    pub address: String,
    /// Phone.
    pub phone: String,
    /// Email.
    pub email: String,
    /// Number code after the slash ("BC-SKHCN"); numbers run per year per code.
    pub code: String,
    /// Response-network member code (Mẫu 05), if any.
    pub member_code: String,
    /// "KT. GIÁM ĐỐC", if the signer signs for someone.
    pub signer_prefix: String,
    /// Signer's position ("Phó Giám đốc").
    pub signer_position: String,
    /// Signer's name.
    pub signer_name: String,
    /// Contact person for the incident (Mẫu 03 section B): name ...
    pub contact_name: String,
    /// ... position ...
    pub contact_position: String,
    /// ... phone ...
    pub contact_phone: String,
    /// ... and email.
    pub contact_email: String,
    /// "Nơi nhận:" lines after the recipients ("Lưu: VT, CNTT").
    pub distribution: Vec<String>,
}

/// A body that receives reports during a period (VNCERT/CC, the provincial body...).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Recipient {
    /// First day this entry applies (inclusive); `None`: since always.
    pub valid_from: Option<Date>,
    /// Last day this entry applies (inclusive); `None`: still in effect.
    pub valid_to: Option<Date>,
    /// Name as printed after "Kính gửi:".
    pub name: String,
    /// Email address reports are sent to.
    pub email: String,
}

fn in_effect(from: Option<Date>, to: Option<Date>, day: Date) -> bool {
    from.is_none_or(|f| f <= day) && to.is_none_or(|t| day <= t)
}

/// Issuers and recipients over time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportProfile {
    /// Issuers; the one in effect on a report's date issues it.
    pub issuers: Vec<Issuer>,
    /// Recipients; those in effect on a report's date receive it.
    pub recipients: Vec<Recipient>,
}

/// Why a report cannot be made or sent.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// No issuer is configured for the date.
    #[error("chưa cấu hình đơn vị ban hành báo cáo cho ngày {0} ([[reports.issuers]]) (no report issuer configured for that date)")]
    NoIssuer(String),
    /// No recipient is configured for the date.
    #[error("chưa cấu hình nơi nhận báo cáo cho ngày {0} ([[reports.recipients]]) (no report recipient configured for that date)")]
    NoRecipient(String),
    /// The document could not be made.
    #[error(transparent)]
    Document(#[from] DocumentError),
}

impl ReportProfile {
    /// The issuer in effect on `day`: the latest-starting entry that covers it.
    pub fn issuer_on(&self, day: Date) -> Result<&Issuer, ReportError> {
        self.issuers
            .iter()
            .filter(|i| in_effect(i.valid_from, i.valid_to, day))
            .max_by_key(|i| i.valid_from)
            .ok_or_else(|| ReportError::NoIssuer(crate::documents::short_date(day)))
    }

    /// The recipients in effect on `day`, in configuration order.
    pub fn recipients_on(&self, day: Date) -> Result<Vec<&Recipient>, ReportError> {
        let found: Vec<&Recipient> = self
            .recipients
            .iter()
            .filter(|r| in_effect(r.valid_from, r.valid_to, day))
            .collect();
        if found.is_empty() {
            return Err(ReportError::NoRecipient(crate::documents::short_date(day)));
        }
        Ok(found)
    }

    /// The Decree 30 frame of a report numbered `number` issued on `day`.
    pub fn frame(&self, number: ReportNumber, day: Date) -> Result<DocumentFrame, ReportError> {
        let issuer = self.issuer_on(day)?;
        let recipients = self.recipients_on(day)?;
        let mut distribution: Vec<String> = vec!["Như trên".into()];
        distribution.extend(issuer.distribution.iter().cloned());
        Ok(DocumentFrame {
            letterhead: Letterhead {
                parent_body: non_empty(&issuer.parent_body),
                issuing_body: issuer.name.clone(),
                place: issuer.place.clone(),
            },
            number,
            issued_on: day,
            legal_basis: None,
            recipients: recipients.iter().map(|r| r.name.clone()).collect(),
            distribution,
            signer: Signer {
                prefix: non_empty(&issuer.signer_prefix),
                position: issuer.signer_position.clone(),
                name: issuer.signer_name.clone(),
            },
        })
    }
}

fn non_empty(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

fn reporter(issuer: &Issuer) -> ReportingParty {
    ReportingParty {
        name: issuer.name.clone(),
        address: issuer.address.clone(),
        phone: issuer.phone.clone(),
        email: issuer.email.clone(),
    }
}

/// The affected system's details from the inventory: the system, its assets (public addresses,
/// domains, operating system) and the names of its owner and operator units.
pub fn affected_system(
    system: &InformationSystem,
    assets: &[Asset],
    owner: &str,
    operator: Option<&str>,
) -> AffectedSystem {
    let mut public_ips: Vec<IpAddr> = Vec::new();
    let mut domains: Vec<String> = Vec::new();
    let mut os = None;
    for asset in assets {
        match asset.kind {
            AssetKind::Ip => {
                if let Ok(ip) = asset.value.parse::<IpAddr>() {
                    if is_public_address(&ip) && !public_ips.contains(&ip) {
                        public_ips.push(ip);
                    }
                }
            }
            AssetKind::Domain if !domains.contains(&asset.value) => {
                domains.push(asset.value.clone());
            }
            _ => {}
        }
        if os.is_none() {
            if let Some(name) = asset.os.as_ref().filter(|o| !o.trim().is_empty()) {
                os = Some((name.clone(), asset.os_version.clone()));
            }
        }
    }
    AffectedSystem {
        system_id: Some(system.id),
        name: system.name.clone(),
        operator: operator.unwrap_or(owner).to_string(),
        owner: owner.to_string(),
        security_level: system.security_level,
        security_provider: system.security_provider.clone(),
        isp: system.isp.clone(),
        other_provider_name: None,
        other_provider_details: None,
        os: os.as_ref().map(|(name, _)| name.clone()),
        os_version: os.and_then(|(_, version)| version),
        services: system.services.clone(),
        security_controls: system.security_controls.clone(),
        public_ips,
        domains,
        purpose: system.purpose.clone(),
    }
}

/// Mẫu 03 of `incident`, numbered `number`, issued on `day`, made at `reported_at`.
pub fn initial_docx(
    profile: &ReportProfile,
    incident: &IncidentInput,
    number: ReportNumber,
    day: Date,
    reported_at: Timestamp,
) -> Result<Vec<u8>, ReportError> {
    let issuer = profile.issuer_on(day)?;
    let frame = profile.frame(number, day)?;
    let contact = ContactPerson {
        name: issuer.contact_name.clone(),
        position: non_empty(&issuer.contact_position),
        phone: issuer.contact_phone.clone(),
        email: issuer.contact_email.clone(),
    };
    let report =
        InitialReport::from_incident(frame, reporter(issuer), contact, incident, reported_at);
    Ok(initial_report(&report)?)
}

/// Mẫu 04 of `incident`, linked to the initial report `initial` issued on `initial_day`.
pub fn closing_docx(
    profile: &ReportProfile,
    incident: &IncidentInput,
    number: ReportNumber,
    day: Date,
    initial: ReportNumber,
    initial_day: Date,
) -> Result<Vec<u8>, ReportError> {
    let issuer = profile.issuer_on(day)?;
    let frame = profile.frame(number, day)?;
    let report = ClosingReport::from_incident(
        frame,
        reporter(issuer),
        initial,
        initial_day,
        incident,
        Vec::new(),
    );
    Ok(closing_report(&report)?)
}

/// Mẫu 05 over the incidents of `period` (those outside it are left out).
pub fn summary_docx(
    profile: &ReportProfile,
    period: SummaryPeriod,
    incidents: &[Incident],
    number: ReportNumber,
    day: Date,
) -> Result<Vec<u8>, ReportError> {
    let issuer = profile.issuer_on(day)?;
    let frame = profile.frame(number, day)?;
    let covered: Vec<&IncidentInput> = incidents
        .iter()
        .map(|i| &i.details)
        .filter(|i| period.covers(i.times.detected_at))
        .collect();
    let (domestic_helpers, foreign_helpers) = SummaryReport::helpers(covered.iter().copied());
    let report = SummaryReport {
        frame,
        period,
        organisation: issuer.name.clone(),
        address: issuer.address.clone(),
        member_code: issuer.member_code.clone(),
        rows: SummaryRow::tally(covered.iter().copied()),
        domestic_helpers,
        foreign_helpers,
        recommendations: String::new(),
    };
    Ok(summary_report(&report)?)
}

/// The email body accompanying a report.
pub fn email_body(form: ReportForm, number: &ReportNumber, issuer: &str) -> String {
    format!(
        "Kính gửi Quý cơ quan,\n\n{issuer} gửi kèm theo thư này {} số {} ({}).\n\n\
         Trân trọng.\n",
        form.label_vi().to_lowercase(),
        number.format(),
        form.form_vi()
    )
}

/// Sends a report by email with its DOCX attached.
#[async_trait]
pub trait ReportMailer: Send + Sync {
    /// Sends one message to every address of `to`; the error text is fit for the archive.
    async fn send_report(
        &self,
        to: &[String],
        subject: &str,
        body: &str,
        file_name: &str,
        docx: &[u8],
    ) -> Result<(), String>;
}

/// What the web layer needs to make and send reports: the profile and, when SMTP is
/// configured, the mailer.
#[derive(Clone, Default)]
pub struct ReportDesk {
    /// Issuers and recipients over time.
    pub profile: ReportProfile,
    /// The mailer; `None` when no `[smtp]` server is configured.
    pub mailer: Option<Arc<dyn ReportMailer>>,
}

impl std::fmt::Debug for ReportDesk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportDesk")
            .field("profile", &self.profile)
            .field("mailer", &self.mailer.is_some())
            .finish()
    }
}

/// What making or sending a report through the store can fail with.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// The report cannot be made (configuration, missing field, no initial report...).
    #[error(transparent)]
    Report(#[from] ReportError),
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] canhgac_store::StoreError),
    /// Email is not configured.
    #[error("chưa cấu hình máy chủ thư [smtp] (no SMTP server configured)")]
    NoMailer,
    /// The request makes no sense for this incident (a closing report without an initial one).
    #[error("{0}")]
    Precondition(String),
}

/// The affected system of inventory system `system_id` as `scope` sees it.
pub async fn fill_from_inventory(
    store: &dyn Store,
    scope: &Scope,
    system_id: Id,
) -> Result<AffectedSystem, canhgac_store::StoreError> {
    let system = store.get_system(scope, system_id).await?;
    let filter = canhgac_store::AssetFilter {
        system_id: Some(system_id),
        unit_id: None,
    };
    let assets = store
        .list_assets(
            scope,
            &filter,
            &PageRequest::new(1, PageRequest::MAX_PER_PAGE),
        )
        .await?
        .items;
    let names = store
        .unit_names(
            &Scope::All,
            &[system.owner_unit_id]
                .into_iter()
                .chain(system.operator_unit_id)
                .collect::<Vec<_>>(),
        )
        .await?;
    let name_of = |id: Id| {
        names
            .iter()
            .find(|(unit, _)| *unit == id)
            .map(|(_, name)| name.as_str())
    };
    let owner = name_of(system.owner_unit_id)
        .unwrap_or_default()
        .to_string();
    let operator = system.operator_unit_id.and_then(name_of);
    Ok(affected_system(&system, &assets, &owner, operator))
}

/// The inventory system an alert's host belongs to, if an asset of the scope has that address
/// or name.
pub async fn system_of_host(
    store: &dyn Store,
    scope: &Scope,
    host: &str,
) -> Result<Option<Id>, canhgac_store::StoreError> {
    let host = host.trim().to_lowercase();
    if host.is_empty() {
        return Ok(None);
    }
    let mut page = PageRequest::new(1, 50);
    page.q = Some(host.clone());
    let assets = store
        .list_assets(scope, &canhgac_store::AssetFilter::default(), &page)
        .await?;
    Ok(assets
        .items
        .iter()
        .find(|a| a.value.to_lowercase() == host)
        .map(|a| a.system_id))
}

/// Makes and archives the Mẫu 03 or 04 of incident `incident_id`, issued on `day` (a Mẫu 04
/// names the incident's latest initial report).
pub async fn make_incident_report(
    store: &dyn Store,
    actor: &Actor,
    profile: &ReportProfile,
    incident_id: Id,
    form: ReportFormKind,
    day: Date,
    now: Timestamp,
) -> Result<IncidentReport, DeskError> {
    let detail = store.get_incident(&actor.scope, incident_id).await?;
    let incident = detail.incident.details;
    let issuer = profile.issuer_on(day)?.clone();
    let recipients = profile
        .recipients_on(day)?
        .iter()
        .map(|r| r.email.clone())
        .collect();
    let initial = detail
        .reports
        .iter()
        .rev()
        .find(|r| r.draft.form == ReportFormKind::Initial)
        .map(|r| {
            ReportNumber::new(r.sequence, r.draft.code.clone()).map(|n| (n, r.draft.issued_on))
        })
        .transpose()
        .map_err(ReportError::from)?;
    if form == ReportFormKind::Summary {
        return Err(DeskError::Precondition(
            "Mẫu 05 tổng hợp theo kỳ, không theo sự cố (a summary covers a period)".into(),
        ));
    }
    if form == ReportFormKind::Closing && initial.is_none() {
        return Err(DeskError::Precondition(
            "chưa có báo cáo ban đầu (Mẫu 03) cho sự cố này (no initial report yet)".into(),
        ));
    }
    let draft = ReportDraft {
        form,
        incident_id: Some(incident_id),
        unit_id: incident.unit_id,
        code: issuer.code.clone(),
        issued_on: day,
        recipients,
        period: None,
    };
    let render = |sequence: u32| -> Result<(String, Vec<u8>), String> {
        let number = ReportNumber::new(sequence, issuer.code.clone()).map_err(|e| e.to_string())?;
        let docx = match (form, &initial) {
            (ReportFormKind::Closing, Some((initial, initial_day))) => closing_docx(
                profile,
                &incident,
                number.clone(),
                day,
                initial.clone(),
                *initial_day,
            ),
            _ => initial_docx(profile, &incident, number.clone(), day, now),
        }
        .map_err(|e| e.to_string())?;
        Ok((ReportForm::from(form).file_name(&number), docx))
    };
    Ok(store.create_report(actor, draft, &render).await?)
}

/// Makes and archives the Mẫu 05 of `unit_id` (and its sub-units) for `period`.
pub async fn make_summary(
    store: &dyn Store,
    actor: &Actor,
    profile: &ReportProfile,
    unit_id: Id,
    period: SummaryPeriod,
    day: Date,
) -> Result<IncidentReport, DeskError> {
    let unit_scope = Scope::Units(vec![unit_id]);
    // The caller must see the unit; the incidents counted are the unit's subtree.
    store.get_unit(&actor.scope, unit_id).await?;
    let start = Date::new(period.year, period.first_month, 1)
        .map_err(|e| DeskError::Precondition(e.to_string()))?;
    let incidents = store
        .list_incidents(
            &unit_scope,
            &canhgac_store::IncidentFilter {
                detected_from: Some(crate::deadlines::start_of_day(start)),
                ..Default::default()
            },
            &PageRequest::new(1, PageRequest::MAX_PER_PAGE),
        )
        .await?
        .items;
    let issuer = profile.issuer_on(day)?.clone();
    let recipients = profile
        .recipients_on(day)?
        .iter()
        .map(|r| r.email.clone())
        .collect();
    let draft = ReportDraft {
        form: ReportFormKind::Summary,
        incident_id: None,
        unit_id,
        code: issuer.code.clone(),
        issued_on: day,
        recipients,
        period: Some(period.text()),
    };
    let render = |sequence: u32| -> Result<(String, Vec<u8>), String> {
        let number = ReportNumber::new(sequence, issuer.code.clone()).map_err(|e| e.to_string())?;
        let docx = summary_docx(profile, period, &incidents, number.clone(), day)
            .map_err(|e| e.to_string())?;
        Ok((ReportForm::Summary.file_name(&number), docx))
    };
    Ok(store.create_report(actor, draft, &render).await?)
}

/// Sends archived report `report_id` to its recipients with the DOCX attached, and records the
/// outcome (sent, or failed with the error; failed reports can be sent again).
pub async fn send_report(
    store: &dyn Store,
    actor: &Actor,
    desk: &ReportDesk,
    report_id: Id,
) -> Result<IncidentReport, DeskError> {
    let (report, docx) = store.report_docx(&actor.scope, report_id).await?;
    let mailer = desk.mailer.as_ref().ok_or(DeskError::NoMailer)?;
    let number =
        ReportNumber::new(report.sequence, report.draft.code.clone()).map_err(ReportError::from)?;
    let form = ReportForm::from(report.draft.form);
    let about = match report.draft.incident_id {
        Some(id) => store
            .get_incident(&actor.scope, id)
            .await
            .map(|d| d.incident.details.title)
            .unwrap_or_default(),
        None => report.draft.period.clone().unwrap_or_default(),
    };
    let issuer = desk
        .profile
        .issuer_on(report.draft.issued_on)
        .map(|i| i.name.clone())
        .unwrap_or_default();
    let outcome = mailer
        .send_report(
            &report.draft.recipients,
            &form.email_subject(&number, &about),
            &email_body(form, &number, &issuer),
            &report.file_name,
            &docx,
        )
        .await
        .map(|()| Timestamp::now());
    if let Err(error) = &outcome {
        tracing::warn!(report = report_id, %error, "report email failed");
    }
    Ok(store
        .record_report_sending(actor, report_id, outcome)
        .await?)
}

impl From<ReportFormKind> for ReportForm {
    fn from(kind: ReportFormKind) -> Self {
        match kind {
            ReportFormKind::Initial => ReportForm::Initial,
            ReportFormKind::Closing => ReportForm::Closing,
            ReportFormKind::Summary => ReportForm::Summary,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn day(text: &str) -> Date {
        text.parse().unwrap()
    }

    #[test]
    fn the_entry_in_effect_on_the_date_is_chosen() {
        let profile = ReportProfile {
            issuers: vec![
                Issuer {
                    valid_to: Some(day("2025-06-30")),
                    name: "Sở Thông tin và Truyền thông".into(),
                    code: "BC-STTTT".into(),
                    ..Default::default()
                },
                Issuer {
                    valid_from: Some(day("2025-07-01")),
                    name: "Sở Khoa học và Công nghệ".into(),
                    code: "BC-SKHCN".into(),
                    ..Default::default()
                },
            ],
            recipients: vec![
                Recipient {
                    valid_to: Some(day("2025-02-28")),
                    name: "Cục An toàn thông tin".into(),
                    email: "old@example.vn".into(),
                    ..Default::default()
                },
                Recipient {
                    name: "VNCERT/CC".into(),
                    email: "ir@example.vn".into(),
                    ..Default::default()
                },
            ],
        };
        assert_eq!(
            profile.issuer_on(day("2025-06-30")).unwrap().code,
            "BC-STTTT"
        );
        assert_eq!(
            profile.issuer_on(day("2025-07-01")).unwrap().code,
            "BC-SKHCN"
        );
        let names: Vec<&str> = profile
            .recipients_on(day("2025-03-01"))
            .unwrap()
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(names, ["VNCERT/CC"]);
        assert_eq!(profile.recipients_on(day("2025-01-01")).unwrap().len(), 2);
        assert!(matches!(
            ReportProfile::default().issuer_on(day("2026-01-01")),
            Err(ReportError::NoIssuer(_))
        ));
    }
}
