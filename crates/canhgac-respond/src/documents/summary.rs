//! Mẫu 05 of Circular 20/2017: BÁO CÁO TỔNG HỢP 06 THÁNG / 01 NĂM VỀ HOẠT ĐỘNG TIẾP NHẬN VÀ XỬ
//! LÝ SỰ CỐ (the periodic summary), with one table row per incident kind.

use std::collections::BTreeSet;

use canhgac_model::{IncidentInput, IncidentKind, Timestamp};
use serde::{Deserialize, Serialize};

use super::layout::Body;
use super::{ooxml, require, DocumentError, DocumentFrame};
use crate::deadlines::SummaryKind;

const FORM: &str = "Mẫu 05";

/// The months a summary covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryPeriod {
    /// Half-year or annual.
    pub kind: SummaryKind,
    /// The year.
    pub year: i16,
    /// First month covered, 1–12.
    pub first_month: i8,
    /// Last month covered, 1–12.
    pub last_month: i8,
}

impl SummaryPeriod {
    /// January to June for the half year, January to December for the year; change the months
    /// when the recipient asks for another cut (an annual report due on 15/12 may stop at
    /// November).
    pub fn new(kind: SummaryKind, year: i16) -> Self {
        Self {
            kind,
            year,
            first_month: 1,
            last_month: match kind {
                SummaryKind::HalfYear => 6,
                SummaryKind::Annual => 12,
            },
        }
    }

    /// When the summary is late: the start of 20/6 or 15/12, Vietnam time.
    pub fn due_at(&self) -> Timestamp {
        self.kind.due_at(self.year)
    }

    /// True when `at` falls in the period, by its date in Vietnam.
    pub fn covers(&self, at: Timestamp) -> bool {
        let date = crate::deadlines::vietnam_date(at);
        date.year() == self.year && (self.first_month..=self.last_month).contains(&date.month())
    }

    /// "Từ tháng 01/2026 đến tháng 06/2026".
    pub fn text(&self) -> String {
        format!(
            "Từ tháng {:02}/{} đến tháng {:02}/{}",
            self.first_month, self.year, self.last_month, self.year
        )
    }

    fn check(&self) -> Result<(), DocumentError> {
        let months_ok = (1..=12).contains(&self.first_month)
            && (1..=12).contains(&self.last_month)
            && self.first_month <= self.last_month;
        if months_ok {
            Ok(())
        } else {
            Err(DocumentError::InvalidValue {
                field: "period",
                reason: format!(
                    "tháng {}–{} không hợp lệ (months must be 1–12, first not after last)",
                    self.first_month, self.last_month
                ),
            })
        }
    }
}

/// One row of table 1: the incidents of one kind and how they were handled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// The kind.
    pub kind: IncidentKind,
    /// Number of incidents.
    pub count: u32,
    /// Handled in-house.
    pub handled_in_house: u32,
    /// Handled with help from other (domestic) organisations.
    pub helped_by_others: u32,
    /// Handled with help from foreign organisations.
    pub helped_by_foreign: u32,
    /// VNCERT/CC asked for help.
    pub vncert_requested: u32,
    /// Estimated damage in đồng, when any incident of the kind was assessed.
    pub estimated_damage_vnd: Option<u64>,
}

impl SummaryRow {
    /// An empty row.
    pub fn empty(kind: IncidentKind) -> Self {
        Self {
            kind,
            count: 0,
            handled_in_house: 0,
            helped_by_others: 0,
            helped_by_foreign: 0,
            vncert_requested: 0,
            estimated_damage_vnd: None,
        }
    }

    /// One row per kind, in the form's order, counting `incidents` (already filtered to the
    /// period by the caller, e.g. with [`SummaryPeriod::covers`] on the detection time).
    pub fn tally<'a>(incidents: impl IntoIterator<Item = &'a IncidentInput>) -> Vec<SummaryRow> {
        let mut rows: Vec<SummaryRow> = IncidentKind::ALL
            .iter()
            .map(|kind| SummaryRow::empty(*kind))
            .collect();
        for incident in incidents {
            let Some(row) = rows.iter_mut().find(|row| row.kind == incident.kind) else {
                continue;
            };
            let help = &incident.assistance;
            row.count += 1;
            row.handled_in_house += u32::from(help.is_in_house());
            row.helped_by_others += u32::from(!help.domestic_organisations.is_empty());
            row.helped_by_foreign += u32::from(!help.foreign_organisations.is_empty());
            row.vncert_requested += u32::from(help.vncert_requested);
            if let Some(damage) = incident.estimated_damage_vnd {
                row.estimated_damage_vnd =
                    Some(row.estimated_damage_vnd.unwrap_or(0).saturating_add(damage));
            }
        }
        rows
    }
}

/// Everything printed on a Mẫu 05.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryReport {
    /// Issuer, number, date, recipients ("Trung tâm Ứng cứu khẩn cấp ..."), signer.
    pub frame: DocumentFrame,
    /// The months covered.
    pub period: SummaryPeriod,
    /// Name of the organisation.
    pub organisation: String,
    /// Its address.
    pub address: String,
    /// Its response-network member code (mã thành viên mạng lưới).
    pub member_code: String,
    /// Table 1; kinds missing from the list are printed with zeros.
    pub rows: Vec<SummaryRow>,
    /// Section 2, domestic organisations that helped.
    pub domestic_helpers: Vec<String>,
    /// Section 3, foreign organisations that helped.
    pub foreign_helpers: Vec<String>,
    /// Section 4, recommendations.
    pub recommendations: String,
}

impl SummaryReport {
    /// The helpers of sections 2 and 3 named in `incidents`, each once, sorted.
    pub fn helpers<'a>(
        incidents: impl IntoIterator<Item = &'a IncidentInput>,
    ) -> (Vec<String>, Vec<String>) {
        let mut domestic = BTreeSet::new();
        let mut foreign = BTreeSet::new();
        for incident in incidents {
            let help = &incident.assistance;
            domestic.extend(
                help.domestic_organisations
                    .iter()
                    .map(|o| o.trim().to_string()),
            );
            foreign.extend(
                help.foreign_organisations
                    .iter()
                    .map(|o| o.trim().to_string()),
            );
        }
        domestic.remove("");
        foreign.remove("");
        (
            domestic.into_iter().collect(),
            foreign.into_iter().collect(),
        )
    }
}

/// "12.846.000": thousands separated by dots, the Vietnamese way.
pub(crate) fn group_thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push('.');
        }
        out.push(digit);
    }
    out
}

fn damage_text(damage: Option<u64>) -> String {
    damage
        .map(|d| format!("{} đồng", group_thousands(d)))
        .unwrap_or_default()
}

/// Mẫu 05, the periodic summary, as a DOCX.
pub fn summary_report(report: &SummaryReport) -> Result<Vec<u8>, DocumentError> {
    report.frame.check(FORM)?;
    require(
        FORM,
        &report.organisation,
        "Tên cơ quan/tổ chức",
        "organisation",
    )?;
    report.period.check()?;

    let mut body = Body::default();
    body.header(&report.frame);
    let title = format!(
        "BÁO CÁO TỔNG HỢP {} VỀ HOẠT ĐỘNG TIẾP NHẬN VÀ XỬ LÝ SỰ CỐ",
        report.period.kind.title_vi()
    );
    let period = format!("({})", report.period.text());
    body.title(&report.frame, &[&title, &period]);

    body.field("Tên cơ quan/tổ chức", &report.organisation);
    body.field("Địa chỉ", &report.address);
    body.field("Mã thành viên mạng lưới", &report.member_code);

    body.section("1. Số lượng sự cố và cách thức xử lý");
    let rows: Vec<SummaryRow> = IncidentKind::ALL
        .iter()
        .map(|kind| {
            report
                .rows
                .iter()
                .find(|row| row.kind == *kind)
                .cloned()
                .unwrap_or_else(|| SummaryRow::empty(*kind))
        })
        .collect();
    let mut total = SummaryRow::empty(IncidentKind::Other);
    for row in &rows {
        total.count += row.count;
        total.handled_in_house += row.handled_in_house;
        total.helped_by_others += row.helped_by_others;
        total.helped_by_foreign += row.helped_by_foreign;
        total.vncert_requested += row.vncert_requested;
        if let Some(damage) = row.estimated_damage_vnd {
            total.estimated_damage_vnd = Some(
                total
                    .estimated_damage_vnd
                    .unwrap_or(0)
                    .saturating_add(damage),
            );
        }
    }
    let cells = |label: &str, row: &SummaryRow| {
        vec![
            label.to_string(),
            row.count.to_string(),
            row.handled_in_house.to_string(),
            row.helped_by_others.to_string(),
            row.helped_by_foreign.to_string(),
            row.vncert_requested.to_string(),
            damage_text(row.estimated_damage_vnd),
        ]
    };
    let mut table_rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| cells(row.kind.label_vi(), row))
        .collect();
    table_rows.push(cells("Tổng số", &total));
    body.data_table(
        &[2354, 900, 1100, 1300, 1300, 1200, 1200],
        &[
            "Loại sự cố/tấn công mạng",
            "Số lượng",
            "Số sự cố tự xử lý",
            "Số sự cố có sự hỗ trợ xử lý từ các tổ chức khác",
            "Số sự cố có sự hỗ trợ xử lý từ tổ chức nước ngoài",
            "Số sự cố đề nghị VNCERT hỗ trợ xử lý",
            "Thiệt hại ước tính",
        ],
        &table_rows,
    );

    for (heading, names) in [
        (
            "2. Danh sách các tổ chức hỗ trợ xử lý sự cố",
            &report.domestic_helpers,
        ),
        (
            "3. Danh sách các tổ chức nước ngoài hỗ trợ xử lý sự cố",
            &report.foreign_helpers,
        ),
    ] {
        body.section(heading);
        let names: Vec<&String> = names.iter().filter(|n| !n.trim().is_empty()).collect();
        if names.is_empty() {
            body.text("Không có.");
        }
        for name in names {
            body.text(&format!("- {}", name.trim()));
        }
    }
    body.section("4. Đề xuất, kiến nghị");
    body.text(&report.recommendations);
    body.signature(&report.frame, "(Đóng dấu hoặc sử dụng chữ ký số)");

    let title = format!("{} {}", title, report.frame.number);
    ooxml::package(
        &body.into_xml(),
        &title,
        &report.frame.letterhead.issuing_body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped_with_dots() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1000), "1.000");
        assert_eq!(group_thousands(12_846_000), "12.846.000");
    }

    #[test]
    fn a_period_covers_instants_by_their_vietnamese_date() {
        let half = SummaryPeriod::new(SummaryKind::HalfYear, 2026);
        let at = |text: &str| text.parse::<Timestamp>().unwrap();
        assert!(half.covers(at("2026-06-30T16:59:59Z")));
        // 17:00 UTC on 30/06 is already 01/07 in Vietnam.
        assert!(!half.covers(at("2026-06-30T17:00:00Z")));
        // 18:00 UTC on 31/12/2025 is 01/01/2026 in Vietnam.
        assert!(half.covers(at("2025-12-31T18:00:00Z")));
        assert!(!SummaryPeriod::new(SummaryKind::Annual, 2027).covers(at("2026-12-31T00:00:00Z")));
    }
}
