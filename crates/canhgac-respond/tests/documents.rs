//! The report documents opened the way a reader would: unzip, parse every XML part, check the
//! Decree 30 layout and that every field of the form is there, in order.
#![allow(clippy::unwrap_used)]

use std::io::Read as _;

use canhgac_model::{
    AffectedSystem, Assistance, IncidentInput, IncidentKind, IncidentStatus, Timestamp,
};
use canhgac_respond::deadlines::SummaryKind;
use canhgac_respond::documents::{
    closing_report, docx_part, docx_to_text, initial_report, summary_report, ClosingReport,
    ContactPerson, DocumentError, DocumentFrame, InitialReport, Letterhead, ReportNumber,
    ReportingParty, Signer, SummaryPeriod, SummaryReport, SummaryRow,
};

use proptest::prelude::*;

const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn frame(number: &str) -> DocumentFrame {
    DocumentFrame {
        letterhead: Letterhead {
            parent_body: Some("UBND tỉnh Lâm Đồng".into()),
            issuing_body: "Sở Khoa học và Công nghệ".into(),
            place: "Lâm Đồng".into(),
        },
        number: ReportNumber::parse(number).unwrap(),
        issued_on: jiff::civil::date(2026, 1, 5),
        legal_basis: Some("Mẫu số 03 ban hành kèm theo Thông tư số 20/2017/TT-BTTTT".into()),
        recipients: vec!["Trung tâm Ứng cứu khẩn cấp không gian mạng Việt Nam (VNCERT/CC)".into()],
        distribution: vec![
            "Như trên".into(),
            "Công an tỉnh (PA05)".into(),
            "Lưu: VT, CNTT".into(),
        ],
        signer: Signer {
            prefix: Some("KT. Giám đốc".into()),
            position: "Phó Giám đốc".into(),
            name: "Nguyễn Thị Hạnh".into(),
        },
    }
}

fn reporter() -> ReportingParty {
    ReportingParty {
        name: "Trung tâm CNTT và Chuyển đổi số tỉnh Lâm Đồng".into(),
        address: "36 Trần Phú, Đà Lạt".into(),
        phone: "0263 3 822 001".into(),
        email: "soc@lamdong.gov.vn".into(),
    }
}

fn incident() -> IncidentInput {
    let mut incident = IncidentInput::new(
        "Cổng thông tin bị thay đổi giao diện",
        IncidentKind::Defacement,
        4,
        // 02:10 on 05/01 in Vietnam.
        at("2026-01-04T19:10:00Z"),
    );
    incident.status = IncidentStatus::Responding;
    incident.system = AffectedSystem {
        system_id: Some(12),
        name: "Cổng thông tin điện tử tỉnh".into(),
        operator: "Trung tâm CNTT và Chuyển đổi số".into(),
        owner: "UBND tỉnh Lâm Đồng".into(),
        security_level: Some(3),
        security_provider: Some("Công ty ATTT Việt".into()),
        isp: Some("VNPT Lâm Đồng".into()),
        other_provider_name: Some("Viettel IDC".into()),
        other_provider_details: Some("CDN".into()),
        os: Some("Ubuntu Server".into()),
        os_version: Some("22.04".into()),
        services: vec!["Web".into(), "Database".into(), "DNS".into()],
        security_controls: vec!["Firewall".into(), "WAF".into()],
        public_ips: vec!["203.0.114.10".parse().unwrap()],
        domains: vec!["lamdong.gov.vn".into()],
        purpose: Some("Thông tin chỉ đạo, điều hành".into()),
    };
    incident.description =
        "Trang chủ bị thay bằng nội dung <script>alert(\"x\")</script> & 'hack'\u{7}.".into();
    incident.impact = "Cổng ngừng phục vụ 2 giờ.".into();
    incident.measures_taken = "Cô lập máy chủ, khôi phục từ bản sao lưu.".into();
    incident.support_request = "Đề nghị VNCERT/CC hỗ trợ phân tích mã độc.".into();
    incident.outcome = "Đã khôi phục, vá lỗ hổng Liferay.".into();
    incident.detection.log_review = true;
    incident.detection.notified_by = Some("NCSC".into());
    incident.notified.coordinator = true;
    incident.evidence.system_logs = true;
    incident
}

fn initial() -> InitialReport {
    InitialReport::from_incident(
        frame("Số: 07/BC-SKHCN"),
        reporter(),
        ContactPerson {
            name: "Trần Văn Bình".into(),
            position: Some("Trưởng phòng ATTT".into()),
            phone: "0912 345 678".into(),
            email: "binh.tv@lamdong.gov.vn".into(),
        },
        &incident(),
        at("2026-01-05T03:45:00Z"),
    )
}

/// Every entry of the package, deflated, and parsed by a real XML parser.
fn parts(docx: &[u8]) -> Vec<(String, String)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(docx)).unwrap();
    let mut parts = Vec::new();
    for index in 0..archive.len() {
        let mut file = archive.by_index(index).unwrap();
        let name = file.name().to_string();
        assert_eq!(
            file.compression(),
            zip::CompressionMethod::Deflated,
            "{name}"
        );
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        roxmltree::Document::parse(&text)
            .unwrap_or_else(|e| panic!("{name} is not well-formed: {e}"));
        parts.push((name, text));
    }
    parts
}

fn attr<'a>(node: roxmltree::Node<'a, '_>, name: &str) -> &'a str {
    node.attribute((W, name))
        .unwrap_or_else(|| panic!("{:?} has no w:{name}", node.tag_name()))
}

fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

/// The formatting of the run whose text is exactly `text`: (bold, italic, underline, size).
fn run_format(doc: &roxmltree::Document, text: &str) -> (bool, bool, bool, Option<u32>) {
    let run = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "r")
        .find(|r| {
            r.descendants()
                .filter(|n| n.tag_name().name() == "t")
                .map(|t| t.text().unwrap_or(""))
                .collect::<String>()
                == text
        })
        .unwrap_or_else(|| panic!("no run {text:?}"));
    let props = child(run, "rPr");
    let has = |name: &str| props.and_then(|p| child(p, name)).is_some();
    let size = props
        .and_then(|p| child(p, "sz"))
        .map(|s| attr(s, "val").parse().unwrap());
    (has("b"), has("i"), has("u"), size)
}

fn assert_in_order(text: &str, needles: &[&str]) {
    let mut from = 0;
    for needle in needles {
        match text[from..].find(needle) {
            Some(position) => from += position + needle.len(),
            None => panic!(
                "{needle:?} missing or out of order after byte {from} in:\n{}",
                &text[from..]
            ),
        }
    }
}

/// Page, margins and fonts as Decree 30 requires, for any of our documents.
fn assert_decree_30_layout(docx: &[u8], date_line: &str) {
    let parts = parts(docx);
    let names: Vec<&str> = parts.iter().map(|(n, _)| n.as_str()).collect();
    for required in [
        "[Content_Types].xml",
        "_rels/.rels",
        "word/document.xml",
        "word/_rels/document.xml.rels",
        "word/styles.xml",
    ] {
        assert!(names.contains(&required), "{required} missing: {names:?}");
    }
    let document = docx_part(docx, "word/document.xml").unwrap();
    let doc = roxmltree::Document::parse(&document).unwrap();
    let sect = doc
        .descendants()
        .find(|n| n.tag_name().name() == "sectPr")
        .unwrap();
    let before_sect = sect.prev_sibling_element().map(|n| n.tag_name().name());
    assert_eq!(before_sect, Some("p"), "the body ends with a paragraph");
    // Page numbers in the header, none on the first page.
    assert!(child(sect, "titlePg").is_some());
    assert!(child(sect, "headerReference").is_some());
    let header = docx_part(docx, "word/header1.xml").unwrap();
    assert!(header.contains("<w:instrText xml:space=\"preserve\"> PAGE </w:instrText>"));
    let size = child(sect, "pgSz").unwrap();
    assert_eq!(attr(size, "w"), "11906");
    assert_eq!(attr(size, "h"), "16838");
    let margins = child(sect, "pgMar").unwrap();
    let mm = |name: &str| attr(margins, name).parse::<f64>().unwrap() / 1440.0 * 25.4;
    assert!(
        (20.0..=25.0).contains(&mm("top").round()),
        "top {}",
        mm("top")
    );
    assert!(
        (20.0..=25.0).contains(&mm("bottom").round()),
        "bottom {}",
        mm("bottom")
    );
    assert!(
        (30.0..=35.0).contains(&mm("left").round()),
        "left {}",
        mm("left")
    );
    assert!(
        (15.0..=20.0).contains(&mm("right").round()),
        "right {}",
        mm("right")
    );

    let styles = docx_part(docx, "word/styles.xml").unwrap();
    let styles = roxmltree::Document::parse(&styles).unwrap();
    let defaults = styles
        .descendants()
        .find(|n| n.tag_name().name() == "rPrDefault")
        .unwrap();
    let fonts = defaults
        .descendants()
        .find(|n| n.tag_name().name() == "rFonts")
        .unwrap();
    for slot in ["ascii", "hAnsi", "cs", "eastAsia"] {
        assert_eq!(attr(fonts, slot), "Times New Roman");
    }
    let body_size: u32 = attr(
        defaults
            .descendants()
            .find(|n| n.tag_name().name() == "sz")
            .unwrap(),
        "val",
    )
    .parse()
    .unwrap();
    assert!(
        (26..=28).contains(&body_size),
        "body {body_size} half-points"
    );
    // No run switches to another typeface; no text below 11 pt or above 14 pt.
    for fonts in doc
        .descendants()
        .filter(|n| n.tag_name().name() == "rFonts")
    {
        assert_eq!(attr(fonts, "ascii"), "Times New Roman");
    }
    for size in doc.descendants().filter(|n| n.tag_name().name() == "sz") {
        let half_points: u32 = attr(size, "val").parse().unwrap();
        assert!((22..=28).contains(&half_points), "size {half_points}");
    }
    // The frame's formatting: national title bold, motto bold and underlined, date italic,
    // "Nơi nhận:" bold italic 12 pt, its list 11 pt.
    assert_eq!(
        run_format(&doc, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
        (true, false, false, Some(26))
    );
    assert_eq!(
        run_format(&doc, "Độc lập - Tự do - Hạnh phúc"),
        (true, false, true, Some(28))
    );
    assert_eq!(run_format(&doc, date_line), (false, true, false, Some(28)));
    assert_eq!(
        run_format(&doc, "SỞ KHOA HỌC VÀ CÔNG NGHỆ"),
        (true, false, false, Some(26))
    );
    assert_eq!(run_format(&doc, "Nơi nhận:"), (true, true, false, Some(24)));
    assert_eq!(
        run_format(&doc, "- Lưu: VT, CNTT."),
        (false, false, false, Some(22))
    );
    assert_eq!(
        run_format(&doc, "KT. GIÁM ĐỐC"),
        (true, false, false, Some(26))
    );
    assert_eq!(
        run_format(&doc, "Nguyễn Thị Hạnh"),
        (true, false, false, Some(28)),
        "the signer's name keeps its case"
    );
}

#[test]
fn initial_report_has_the_decree_30_frame_and_every_field_of_form_03_in_order() {
    let docx = initial_report(&initial()).unwrap();
    assert_decree_30_layout(&docx, "Lâm Đồng, ngày 05 tháng 01 năm 2026");
    let text = docx_to_text(&docx).unwrap();
    assert_in_order(
        &text,
        &[
            "UBND TỈNH LÂM ĐỒNG",
            "SỞ KHOA HỌC VÀ CÔNG NGHỆ",
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            "Số: 07/BC-SKHCN",
            "Lâm Đồng, ngày 05 tháng 01 năm 2026",
            "BÁO CÁO BAN ĐẦU SỰ CỐ MẠNG",
            "(Mẫu số 03 ban hành kèm theo Thông tư số 20/2017/TT-BTTTT)",
            "Kính gửi: Trung tâm Ứng cứu khẩn cấp không gian mạng Việt Nam (VNCERT/CC)",
            "A. THÔNG TIN VỀ TỔ CHỨC/CÁ NHÂN BÁO CÁO SỰ CỐ",
            "1. Tên tổ chức/cá nhân báo cáo sự cố (*): Trung tâm CNTT và Chuyển đổi số tỉnh Lâm Đồng",
            "2. Địa chỉ (*): 36 Trần Phú, Đà Lạt",
            "3. Điện thoại (*): 0263 3 822 001",
            "4. Email (*): soc@lamdong.gov.vn",
            "B. NGƯỜI LIÊN HỆ",
            "5. Họ và tên (*): Trần Văn Bình",
            "6. Chức vụ: Trưởng phòng ATTT",
            "7. Điện thoại (*): 0912 345 678",
            "8. Email (*): binh.tv@lamdong.gov.vn",
            "C. THÔNG TIN CHI TIẾT VỀ HỆ THỐNG BỊ SỰ CỐ",
            "9. Tên đơn vị vận hành hệ thống thông tin (*): Trung tâm CNTT và Chuyển đổi số",
            "10. Cơ quan chủ quản: UBND tỉnh Lâm Đồng",
            "11. Tên hệ thống bị sự cố (tên miền, địa chỉ IP liên quan): Cổng thông tin điện tử tỉnh (lamdong.gov.vn, 203.0.114.10)",
            "12. Phân loại cấp độ của hệ thống thông tin (nếu có): ☐ Cấp độ 1    ☐ Cấp độ 2    ☒ Cấp độ 3    ☐ Cấp độ 4    ☐ Cấp độ 5",
            "13. Tổ chức cung cấp dịch vụ an toàn thông tin (nếu có): Công ty ATTT Việt",
            "14. Tên nhà cung cấp dịch vụ kết nối bên ngoài (nếu có): VNPT Lâm Đồng",
            "15. Nhà cung cấp khác (nếu có): Viettel IDC: CDN",
            "16. Mô tả sơ bộ về sự cố (*): Trang chủ bị thay bằng nội dung <script>alert(\"x\")</script> & 'hack'\u{FFFD}.",
            "Ảnh hưởng: Cổng ngừng phục vụ 2 giờ.",
            "Biện pháp đã thực hiện: Cô lập máy chủ, khôi phục từ bản sao lưu.",
            "17. Ngày phát hiện sự cố (*): 05/01/2026",
            "18. Thời gian phát hiện (*): 02 giờ 10 phút",
            "19. Hiện trạng sự cố (*): ☐ Đã được xử lý    ☒ Chưa được xử lý",
            "20. Cách thức phát hiện (*):",
            "☐ Qua hệ thống phát hiện xâm nhập",
            "☒ Kiểm tra dữ liệu lưu lại (Log File)",
            "☒ Nhận được thông báo từ: NCSC",
            "☐ Khác, đó là:",
            "21. Đã gửi thông báo sự cố cho (*):",
            "☐ Thành viên mạng lưới chịu trách nhiệm ứng cứu sự cố cho tổ chức, cá nhân",
            "☐ ISP đang trực tiếp cung cấp dịch vụ",
            "☒ Cơ quan điều phối",
            "D. THÔNG TIN BỔ SUNG VỀ HỆ THỐNG XẢY RA SỰ CỐ",
            "22. Hệ điều hành: Ubuntu Server; Phiên bản (version): 22.04",
            "23. Các dịch vụ có trên hệ thống: ☒ Web server    ☐ Mail server    ☒ Database server    ☒ Dịch vụ khác, đó là: DNS",
            "24. Các biện pháp an toàn thông tin đã triển khai: ☐ Antivirus    ☒ Firewall    ☐ Hệ thống phát hiện xâm nhập    ☒ Khác: WAF",
            "25. Các địa chỉ IP của hệ thống: 203.0.114.10",
            "26. Các tên miền của hệ thống: lamdong.gov.vn",
            "27. Mục đích chính sử dụng hệ thống: Thông tin chỉ đạo, điều hành",
            "28. Thông tin gửi kèm: ☒ Nhật ký hệ thống    ☐ Mẫu virus / mã độc    ☐ Khác:",
            "29. Các thông tin cung cấp trong thông báo sự cố này đều phải được giữ bí mật: ☐ Có    ☒ Không",
            "E. KIẾN NGHỊ, ĐỀ XUẤT HỖ TRỢ",
            "30. Mô tả về đề xuất, kiến nghị: Đề nghị VNCERT/CC hỗ trợ phân tích mã độc.",
            "31. Thời gian thực hiện báo cáo sự cố (*): 10 giờ 45 phút, ngày 05/01/2026",
            "Nơi nhận:",
            "- Như trên;",
            "- Công an tỉnh (PA05);",
            "- Lưu: VT, CNTT.",
            "KT. GIÁM ĐỐC",
            "PHÓ GIÁM ĐỐC",
            "(Ký tên, đóng dấu)",
            "Nguyễn Thị Hạnh",
        ],
    );
    // The same input gives the same bytes: an archived report can be checked against it.
    assert_eq!(initial_report(&initial()).unwrap(), docx);
    let core = docx_part(&docx, "docProps/core.xml").unwrap();
    assert!(core.contains("Báo cáo ban đầu sự cố mạng 07/BC-SKHCN"));
}

#[test]
fn a_missing_mandatory_field_is_named() {
    let mut report = initial();
    report.reporter.phone = "  ".into();
    match initial_report(&report).unwrap_err() {
        DocumentError::MissingField { form, field_vi, .. } => {
            assert_eq!(form, "Mẫu 03");
            assert_eq!(field_vi, "Điện thoại");
        }
        other => panic!("unexpected {other}"),
    }
    let mut report = initial();
    report.detection = Default::default();
    let error = initial_report(&report).unwrap_err().to_string();
    assert!(error.contains("Cách thức phát hiện"), "{error}");
    let mut report = initial();
    report.frame.signer.name.clear();
    assert!(initial_report(&report).is_err());
}

#[test]
fn closing_report_names_the_initial_report_by_number_and_date() {
    let mut incident = incident();
    incident.status = IncidentStatus::Resolved;
    let mut frame = frame("Số: 12/BC-SKHCN");
    frame.issued_on = jiff::civil::date(2026, 1, 5);
    frame.legal_basis = None;
    frame.recipients = vec![
        "Trung tâm Ứng cứu khẩn cấp không gian mạng Việt Nam (VNCERT/CC)".into(),
        "Công an tỉnh Lâm Đồng".into(),
    ];
    let report = ClosingReport::from_incident(
        frame,
        reporter(),
        ReportNumber::parse("07/BC-SKHCN").unwrap(),
        jiff::civil::date(2026, 1, 5),
        &incident,
        vec![
            "Báo cáo diễn biến sự cố".into(),
            "Phương án xử lý".into(),
            "Log file".into(),
        ],
    );
    let docx = closing_report(&report).unwrap();
    assert_decree_30_layout(&docx, "Lâm Đồng, ngày 05 tháng 01 năm 2026");
    let text = docx_to_text(&docx).unwrap();
    assert_in_order(
        &text,
        &[
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            "Số: 12/BC-SKHCN",
            "BÁO CÁO KẾT THÚC ỨNG PHÓ SỰ CỐ",
            "Kính gửi:",
            "- Trung tâm Ứng cứu khẩn cấp không gian mạng Việt Nam (VNCERT/CC);",
            "- Công an tỉnh Lâm Đồng.",
            "1. Thông tin về tổ chức/cá nhân báo cáo sự cố",
            "Tên tổ chức/cá nhân báo cáo sự cố (*): Trung tâm CNTT và Chuyển đổi số tỉnh Lâm Đồng",
            "Địa chỉ (*): 36 Trần Phú, Đà Lạt",
            "Điện thoại (*): 0263 3 822 001",
            "Email (*): soc@lamdong.gov.vn",
            "2. Ký hiệu báo cáo ban đầu sự cố",
            "Số ký hiệu: 07/BC-SKHCN",
            "Ngày báo cáo: 05/01/2026",
            "3. Thông tin về hệ thống bị sự cố",
            "Tên đơn vị vận hành hệ thống thông tin (*): Trung tâm CNTT và Chuyển đổi số",
            "Cơ quan chủ quản: UBND tỉnh Lâm Đồng",
            "Tên hệ thống bị sự cố: Cổng thông tin điện tử tỉnh",
            "☒ Cấp độ 3",
            "4. Tên/Mô tả về sự cố",
            "Cổng thông tin bị thay đổi giao diện: Trang chủ bị thay",
            "5. Thời điểm phát hiện sự cố",
            "Ngày phát hiện sự cố (*): 05/01/2026",
            "Thời gian phát hiện (*): 02 giờ 10 phút",
            "6. Kết quả xử lý sự cố",
            "Đã khôi phục, vá lỗ hổng Liferay.",
            "7. Các tài liệu đính kèm",
            "- Báo cáo diễn biến sự cố",
            "- Phương án xử lý",
            "- Log file",
            "Nơi nhận:",
            "PHÓ GIÁM ĐỐC",
            "Nguyễn Thị Hạnh",
        ],
    );
}

/// The rows of the first ruled table, as cell texts.
fn table_rows(docx: &[u8]) -> Vec<Vec<String>> {
    let document = docx_part(docx, "word/document.xml").unwrap();
    let doc = roxmltree::Document::parse(&document).unwrap();
    let table = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "tbl")
        .find(|t| {
            t.descendants()
                .filter(|n| n.tag_name().name() == "gridCol")
                .count()
                == 7
        })
        .expect("the 7-column table");
    table
        .children()
        .filter(|n| n.tag_name().name() == "tr")
        .map(|row| {
            row.children()
                .filter(|n| n.tag_name().name() == "tc")
                .map(|cell| {
                    cell.descendants()
                        .filter(|n| n.tag_name().name() == "t")
                        .map(|t| t.text().unwrap_or(""))
                        .collect()
                })
                .collect()
        })
        .collect()
}

#[test]
fn summary_report_counts_incidents_per_kind_with_a_total() {
    let mut defaced = incident();
    defaced.estimated_damage_vnd = Some(12_000_000);
    let mut defaced_helped = incident();
    defaced_helped.assistance = Assistance {
        domestic_organisations: vec!["Công ty ATTT Việt".into()],
        foreign_organisations: vec![],
        vncert_requested: true,
    };
    defaced_helped.estimated_damage_vnd = Some(846_000);
    let mut phishing = incident();
    phishing.kind = IncidentKind::Spoofing;
    phishing.assistance.foreign_organisations = vec!["CERT-EU".into()];
    let incidents = [defaced, defaced_helped, phishing];
    let rows = SummaryRow::tally(&incidents);
    let (domestic, foreign) = SummaryReport::helpers(&incidents);
    assert_eq!(domestic, ["Công ty ATTT Việt"]);
    assert_eq!(foreign, ["CERT-EU"]);

    let mut frame = frame("Số: 31/BC-SKHCN");
    frame.issued_on = jiff::civil::date(2026, 6, 12);
    frame.recipients = vec!["Trung tâm Ứng cứu khẩn cấp máy tính Việt Nam".into()];
    frame.legal_basis = None;
    let period = SummaryPeriod::new(SummaryKind::HalfYear, 2026);
    assert_eq!(period.due_at(), at("2026-06-19T17:00:00Z"));
    let report = SummaryReport {
        frame,
        period,
        organisation: "Sở Khoa học và Công nghệ tỉnh Lâm Đồng".into(),
        address: "36 Trần Phú, Đà Lạt".into(),
        member_code: "MLUC-LD-01".into(),
        rows,
        domestic_helpers: domestic,
        foreign_helpers: foreign,
        recommendations: "Bổ sung nhân lực trực 24/7.".into(),
    };
    let docx = summary_report(&report).unwrap();
    assert_decree_30_layout(&docx, "Lâm Đồng, ngày 12 tháng 6 năm 2026");
    let text = docx_to_text(&docx).unwrap();
    assert_in_order(
        &text,
        &[
            "Số: 31/BC-SKHCN",
            "Lâm Đồng, ngày 12 tháng 6 năm 2026",
            "BÁO CÁO TỔNG HỢP 06 THÁNG VỀ HOẠT ĐỘNG TIẾP NHẬN VÀ XỬ LÝ SỰ CỐ",
            "(Từ tháng 01/2026 đến tháng 06/2026)",
            "Kính gửi: Trung tâm Ứng cứu khẩn cấp máy tính Việt Nam",
            "Tên cơ quan/tổ chức: Sở Khoa học và Công nghệ tỉnh Lâm Đồng",
            "Địa chỉ: 36 Trần Phú, Đà Lạt",
            "Mã thành viên mạng lưới: MLUC-LD-01",
            "1. Số lượng sự cố và cách thức xử lý",
            "2. Danh sách các tổ chức hỗ trợ xử lý sự cố",
            "- Công ty ATTT Việt",
            "3. Danh sách các tổ chức nước ngoài hỗ trợ xử lý sự cố",
            "- CERT-EU",
            "4. Đề xuất, kiến nghị",
            "Bổ sung nhân lực trực 24/7.",
            "(Đóng dấu hoặc sử dụng chữ ký số)",
        ],
    );
    let table = table_rows(&docx);
    assert_eq!(table.len(), 12, "header, ten kinds, total");
    assert_eq!(table[0][0], "Loại sự cố/tấn công mạng");
    assert_eq!(table[0][6], "Thiệt hại ước tính");
    let kinds: Vec<&str> = table[1..11].iter().map(|r| r[0].as_str()).collect();
    let expected: Vec<&str> = IncidentKind::ALL.iter().map(|k| k.label_vi()).collect();
    assert_eq!(kinds, expected);
    let row = |label: &str| table.iter().find(|r| r[0] == label).unwrap().clone();
    assert_eq!(
        row("Thay đổi giao diện"),
        [
            "Thay đổi giao diện",
            "2",
            "1",
            "1",
            "0",
            "1",
            "12.846.000 đồng"
        ]
    );
    assert_eq!(
        row("Tấn công giả mạo"),
        ["Tấn công giả mạo", "1", "0", "0", "1", "0", ""]
    );
    assert_eq!(
        row("Từ chối dịch vụ"),
        ["Từ chối dịch vụ", "0", "0", "0", "0", "0", ""]
    );
    assert_eq!(
        row("Tổng số"),
        ["Tổng số", "3", "1", "1", "1", "1", "12.846.000 đồng"]
    );
}

#[test]
fn an_installed_office_suite_opens_the_report() {
    let docx = initial_report(&initial()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mau03.docx");
    std::fs::write(&path, &docx).unwrap();
    let found = |name: &str| {
        std::process::Command::new("which")
            .arg(name)
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    let mut checked = false;
    for office in ["soffice", "libreoffice"] {
        if found(office) && !checked {
            let status = std::process::Command::new(office)
                .args(["--headless", "--convert-to", "txt:Text", "--outdir"])
                .arg(dir.path())
                .arg(&path)
                .status()
                .unwrap();
            assert!(status.success(), "{office} failed");
            let text = std::fs::read_to_string(dir.path().join("mau03.txt")).unwrap();
            assert!(text.contains("BÁO CÁO BAN ĐẦU SỰ CỐ MẠNG"), "{text}");
            checked = true;
        }
    }
    if found("pandoc") {
        let output = std::process::Command::new("pandoc")
            .args(["-f", "docx", "-t", "plain"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(output.status.success(), "pandoc failed: {output:?}");
        let text = String::from_utf8(output.stdout).unwrap();
        assert!(text.contains("BÁO CÁO BAN ĐẦU SỰ CỐ MẠNG"), "{text}");
        checked = true;
    }
    if !checked {
        eprintln!(
            "SKIPPED: neither soffice/libreoffice nor pandoc is installed; \
             the DOCX was checked by the XML parser only"
        );
    }
}

/// What a field shows for `value`: trimmed, CRs dropped, characters XML cannot carry replaced.
fn as_shown(value: &str) -> String {
    value
        .trim()
        .chars()
        .filter(|c| *c != '\r')
        .map(|c| match c {
            '\t' | '\n' => c,
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn any_text_in_a_field_comes_back_and_the_xml_stays_well_formed(
        value in any::<String>(),
        name in "[^\\p{C}\\s][^\\p{C}]{0,39}",
    ) {
        let mut report = initial();
        report.support_request = value.clone();
        report.frame.letterhead.issuing_body = name.clone();
        let docx = initial_report(&report).unwrap();
        for part in ["word/document.xml", "docProps/core.xml"] {
            let xml = docx_part(&docx, part).unwrap();
            prop_assert!(roxmltree::Document::parse(&xml).is_ok(), "{part}");
        }
        let text = docx_to_text(&docx).unwrap();
        let expected = format!("30. Mô tả về đề xuất, kiến nghị: {}", as_shown(&value));
        prop_assert!(text.contains(&expected), "{expected:?} not in {text:?}");
        prop_assert!(text.contains(&name.trim().to_uppercase()));
    }
}
