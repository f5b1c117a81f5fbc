use std::io::{Cursor, Write};

use canhgac_model::{IndicatorKind, Severity};
use proptest::prelude::*;

use super::*;

fn defaults() -> ImportDefaults {
    ImportDefaults {
        source: "NCSC".into(),
        severity: Severity::High,
        tlp: Some(Tlp::Amber),
        advisory: Some("2216/CATTT-NCSC".into()),
        expires_at: None,
    }
}

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

const VIETNAMESE_CSV: &str =
    "\u{feff}STT;Giá trị;Loại;Mô tả;Lần đầu;Lần cuối;Độ tin cậy;TLP;Nhãn\n\
1;45.77.12[.]9;IP;\"Máy chủ C2; nhóm APT\";01/11/2025;05/11/2025;80;TLP:AMBER;APT32, C2\n\
2;cdn-update[.]top;Tên miền;Tên miền phát tán;2025-11-02;;cao;;phishing\n\
3;9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08;Hash;Mã độc;;;;;\n\
\n\
4;45.77.12.9;IP;;20/10/2025 08:30;10/11/2025;95;TLP:RED;C2 | botnet\n";

#[test]
fn a_vietnamese_csv_is_previewed_with_a_guessed_mapping() {
    let preview = preview(VIETNAMESE_CSV.as_bytes(), &TableFormat::Csv, 2).unwrap();
    assert_eq!(preview.headers[1], "Giá trị");
    assert_eq!(preview.rows.len(), 2);
    assert_eq!(preview.rows[0].number, 2);
    assert_eq!(preview.rows[0].cells[3], "Máy chủ C2; nhóm APT");
    let mapping = preview.mapping;
    assert!(mapping.has_header);
    assert_eq!(mapping.value, Some(1));
    assert_eq!(mapping.kind, Some(2));
    assert_eq!(mapping.description, Some(3));
    assert_eq!(mapping.first_seen, Some(4));
    assert_eq!(mapping.last_seen, Some(5));
    assert_eq!(mapping.confidence, Some(6));
    assert_eq!(mapping.tlp, Some(7));
    assert_eq!(mapping.tags, Some(8));
    // The mapping survives the store's JSON round trip.
    let json = serde_json::to_string(&mapping).unwrap();
    assert_eq!(
        serde_json::from_str::<ColumnMapping>(&json).unwrap(),
        mapping
    );
}

#[test]
fn a_vietnamese_csv_imports_with_duplicates_merged() {
    let mapping = preview(VIETNAMESE_CSV.as_bytes(), &TableFormat::Csv, 5)
        .unwrap()
        .mapping;
    let imported = import(
        VIETNAMESE_CSV.as_bytes(),
        &TableFormat::Csv,
        &mapping,
        &defaults(),
    )
    .unwrap();
    assert_eq!(imported.len(), 3);
    let ip = &imported[0];
    assert_eq!(
        (ip.input.kind, ip.input.value.as_str()),
        (IndicatorKind::Ip, "45.77.12.9")
    );
    assert_eq!(ip.input.description, "Máy chủ C2; nhóm APT");
    assert_eq!(ip.input.source, "NCSC");
    assert_eq!(ip.advisory.as_deref(), Some("2216/CATTT-NCSC"));
    // Earliest first seen, latest last seen (dates are UTC+7), highest confidence, tag union,
    // the stricter TLP.
    assert_eq!(ip.first_seen, Some(ts("2025-10-20T01:30:00Z")));
    assert_eq!(ip.last_seen, Some(ts("2025-11-09T17:00:00Z")));
    assert_eq!(ip.confidence, Some(95));
    assert_eq!(ip.input.tags, vec!["APT32", "C2", "botnet"]);
    assert_eq!(ip.tlp, Some(Tlp::Red));
    let domain = &imported[1];
    assert_eq!(domain.input.kind, IndicatorKind::Domain);
    assert_eq!(domain.input.value, "cdn-update.top");
    assert_eq!(domain.confidence, Some(85));
    assert_eq!(domain.tlp, Some(Tlp::Amber), "the default TLP applies");
    let hash = &imported[2];
    assert_eq!(hash.input.kind, IndicatorKind::Sha256);
    assert_eq!(
        hash.input.value,
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    );
}

#[test]
fn without_a_kind_column_kinds_are_recognised_and_the_value_column_found_by_content() {
    let csv = "Ghi chú,IOC\n\
        trang lừa đảo,hxxps://login-tinh[.]xyz/a\n\
        thư giả mạo,hotro[@]gov-vn[.]top\n\
        mạng,103.97.124.0/22\n";
    let mapping = preview(csv.as_bytes(), &TableFormat::Csv, 10)
        .unwrap()
        .mapping;
    assert_eq!(
        (mapping.value, mapping.description, mapping.kind),
        (Some(1), Some(0), None)
    );
    let imported = import(csv.as_bytes(), &TableFormat::Csv, &mapping, &defaults()).unwrap();
    let kinds: Vec<_> = imported
        .iter()
        .map(|i| (i.input.kind, i.input.value.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (IndicatorKind::Url, "https://login-tinh.xyz/a"),
            (IndicatorKind::Email, "hotro@gov-vn.top"),
            (IndicatorKind::Cidr, "103.97.124.0/22"),
        ]
    );

    // No header at all, tab-separated: the content names the value column.
    let tsv = "lừa đảo\t198.51.100.23\nC2\tbad.example.org\n";
    let mapping = preview(tsv.as_bytes(), &TableFormat::Csv, 10)
        .unwrap()
        .mapping;
    assert!(!mapping.has_header);
    assert_eq!(mapping.value, Some(1));
    let imported = import(tsv.as_bytes(), &TableFormat::Csv, &mapping, &defaults()).unwrap();
    assert_eq!(imported.len(), 2);
}

#[test]
fn a_bad_row_refuses_the_table_and_names_row_and_column() {
    let csv = "value,type,confidence\n1.2.3.4,ip,50\nexample.com,ip,50\n";
    let mapping = preview(csv.as_bytes(), &TableFormat::Csv, 10)
        .unwrap()
        .mapping;
    let error = import(csv.as_bytes(), &TableFormat::Csv, &mapping, &defaults()).unwrap_err();
    match &error {
        TableError::Row { row, column, .. } => {
            assert_eq!((*row, column.as_str()), (3, "«value»"));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(error.to_string().contains("dòng 3"), "{error}");

    // A network filed under "IP" is read as a network.
    let csv = "value,type\n203.0.113.0/24,IP\n";
    let mapping = preview(csv.as_bytes(), &TableFormat::Csv, 10)
        .unwrap()
        .mapping;
    let imported = import(csv.as_bytes(), &TableFormat::Csv, &mapping, &defaults()).unwrap();
    assert_eq!(imported[0].input.kind, IndicatorKind::Cidr);

    let csv = "value,confidence\n1.2.3.4,50\n5.6.7.8,150\n";
    let mapping = preview(csv.as_bytes(), &TableFormat::Csv, 10)
        .unwrap()
        .mapping;
    let error = import(csv.as_bytes(), &TableFormat::Csv, &mapping, &defaults()).unwrap_err();
    assert!(
        matches!(&error, TableError::Row { row: 3, column, .. } if column == "«confidence»"),
        "{error:?}"
    );

    let csv = "value\n1.2.3.4\nnot an indicator\n";
    let mapping = ColumnMapping {
        has_header: true,
        value: Some(0),
        ..ColumnMapping::default()
    };
    let error = import(csv.as_bytes(), &TableFormat::Csv, &mapping, &defaults()).unwrap_err();
    assert!(matches!(error, TableError::Row { row: 3, .. }), "{error:?}");

    let no_value = ColumnMapping::default();
    assert_eq!(
        import(csv.as_bytes(), &TableFormat::Csv, &no_value, &defaults()),
        Err(TableError::NoValueColumn)
    );
    assert!(matches!(
        import(
            b"value\n\xff\xfe\xfd",
            &TableFormat::Csv,
            &mapping,
            &defaults()
        ),
        Err(TableError::Unreadable(_))
    ));
}

#[test]
fn utf16_text_from_excel_is_read() {
    let text = "Giá trị\tLoại\r\nevil.example.vn\tdomain\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let mapping = preview(&bytes, &TableFormat::Csv, 5).unwrap().mapping;
    let imported = import(&bytes, &TableFormat::Csv, &mapping, &defaults()).unwrap();
    assert_eq!(imported[0].input.value, "evil.example.vn");
}

/// A minimal XLSX: workbook, two sheets with inline strings, numbers and a date serial.
fn xlsx(sheets: &[(&str, &[&[&str]])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut put = |name: &str, body: &str| {
        zip.start_file(name, options).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    };
    let mut types = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>"#,
    );
    let mut book = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>"#,
    );
    let mut rels = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    );
    let mut sheet_bodies = Vec::new();
    for (index, (name, rows)) in sheets.iter().enumerate() {
        let n = index + 1;
        types.push_str(&format!(r#"<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#));
        book.push_str(&format!(
            r#"<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>"#
        ));
        rels.push_str(&format!(r#"<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>"#));
        let mut body = String::from(
            r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
        );
        for (r, row) in rows.iter().enumerate() {
            body.push_str(&format!(r#"<row r="{}">"#, r + 1));
            for (c, cell) in row.iter().enumerate() {
                let reference = format!("{}{}", column_letter(c), r + 1);
                if cell.is_empty() {
                    continue;
                }
                if let Some(serial) = cell.strip_prefix("date:") {
                    // Style 1 is a date-time format: Excel stores the serial number.
                    body.push_str(&format!(r#"<c r="{reference}" s="1"><v>{serial}</v></c>"#));
                } else if let Ok(number) = cell.parse::<f64>() {
                    body.push_str(&format!(r#"<c r="{reference}"><v>{number}</v></c>"#));
                } else {
                    body.push_str(&format!(
                        r#"<c r="{reference}" t="inlineStr"><is><t>{cell}</t></is></c>"#
                    ));
                }
            }
            body.push_str("</row>");
        }
        body.push_str("</sheetData></worksheet>");
        sheet_bodies.push((format!("xl/worksheets/sheet{n}.xml"), body));
    }
    types.push_str("</Types>");
    book.push_str("</sheets></workbook>");
    rels.push_str(r#"<Relationship Id="rIdStyles" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>"#);
    rels.push_str("</Relationships>");
    put("[Content_Types].xml", &types);
    put(
        "_rels/.rels",
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
    );
    put("xl/workbook.xml", &book);
    put(
        "xl/styles.xml",
        r#"<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="22" applyNumberFormat="1"/></cellXfs></styleSheet>"#,
    );
    put("xl/_rels/workbook.xml.rels", &rels);
    for (name, body) in &sheet_bodies {
        put(name, body);
    }
    zip.finish().unwrap().into_inner()
}

#[test]
fn an_xlsx_appendix_is_read_from_the_first_or_a_named_sheet() {
    let bytes = xlsx(&[
        ("Huong dan", &[&["Bảng IOC ở trang tính thứ hai"]]),
        (
            "IOC",
            &[
                &["Indicator", "Type", "Description", "Confidence"],
                &["update-win[.]com", "domain", "C2", "70"],
                &["", "", "", ""],
                &[
                    "d41d8cd98f00b204e9800998ecf8427e",
                    "FileHash-MD5",
                    "loader",
                    "0.9",
                ],
                &["8.8.8", "ip", "sai", "10"],
            ],
        ),
    ]);
    assert_eq!(
        TableFormat::detect(&bytes),
        TableFormat::Xlsx { sheet: None }
    );
    let first = preview(&bytes, &TableFormat::Xlsx { sheet: None }, 5).unwrap();
    assert_eq!(first.sheets, vec!["Huong dan", "IOC"]);
    assert_eq!(
        first.mapping.value, None,
        "the guide sheet holds no indicator"
    );

    let format = TableFormat::Xlsx {
        sheet: Some("IOC".into()),
    };
    let preview = preview(&bytes, &format, 5).unwrap();
    assert_eq!(
        preview.headers,
        vec!["Indicator", "Type", "Description", "Confidence"]
    );
    let mapping = preview.mapping.clone();
    assert_eq!((mapping.value, mapping.kind), (Some(0), Some(1)));
    // The last row is wrong: row 5 as Excel numbers it (the blank row 3 counts).
    let error = import(&bytes, &format, &mapping, &defaults()).unwrap_err();
    assert!(
        matches!(&error, TableError::Row { row: 5, column, .. } if column == "«Indicator»"),
        "{error:?}"
    );

    let good = xlsx(&[(
        "IOC",
        &[
            &[
                "Indicator",
                "Type",
                "Description",
                "Confidence",
                "First seen",
            ],
            &["update-win[.]com", "domain", "C2", "70", "02/11/2025 12:00"],
            &[
                "d41d8cd98f00b204e9800998ecf8427e",
                "FileHash-MD5",
                "loader",
                "0.9",
                "date:45962.5",
            ],
        ],
    )]);
    let mut mapping = preview.mapping;
    mapping.first_seen = Some(4);
    let imported = import(
        &good,
        &TableFormat::Xlsx { sheet: None },
        &mapping,
        &defaults(),
    )
    .unwrap();
    assert_eq!(imported.len(), 2);
    assert_eq!(imported[0].input.value, "update-win.com");
    assert_eq!(imported[0].confidence, Some(70));
    assert_eq!(imported[0].first_seen, Some(ts("2025-11-02T05:00:00Z")));
    assert_eq!(imported[1].input.kind, IndicatorKind::Md5);
    // A date cell (serial 45962.5 = 2025-11-01 12:00 on the sheet's clock, UTC+7).
    assert_eq!(imported[1].first_seen, Some(ts("2025-11-01T05:00:00Z")));
    assert_eq!(imported[1].confidence, Some(90));
    let old_excel = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest of an old workbook";
    assert!(matches!(
        super::preview(old_excel, &TableFormat::Xlsx { sheet: None }, 5),
        Err(TableError::Unreadable(message)) if message.contains(".xlsx")
    ));
    assert!(matches!(
        import(
            &good,
            &TableFormat::Xlsx {
                sheet: Some("Sheet9".into())
            },
            &mapping,
            &defaults()
        ),
        Err(TableError::NoSuchSheet(_))
    ));
}

#[test]
fn a_title_above_the_header_is_skipped() {
    let bytes = xlsx(&[(
        "Phu luc",
        &[
            &["PHỤ LỤC: DANH SÁCH DẤU HIỆU NHẬN BIẾT"],
            &["(kèm theo công văn 2216/CATTT-NCSC)"],
            &["STT", "Loại", "Giá trị", "Ghi chú"],
            &["1", "IP", "45.77.12.9", "C2"],
            &["2", "Tên miền", "cdn-update.top", "phát tán"],
        ],
    )]);
    let format = TableFormat::Xlsx { sheet: None };
    let shown = preview(&bytes, &format, 1).unwrap();
    assert_eq!(shown.mapping.skip_rows, 2);
    assert_eq!(shown.headers, vec!["STT", "Loại", "Giá trị", "Ghi chú"]);
    assert_eq!(shown.rows.len(), 1);
    assert_eq!(shown.rows[0].number, 4);
    assert_eq!(
        (shown.mapping.value, shown.mapping.kind),
        (Some(2), Some(1))
    );
    let imported = import(&bytes, &format, &shown.mapping, &defaults()).unwrap();
    assert_eq!(imported.len(), 2);
    assert_eq!(imported[1].input.description, "phát tán");
}

#[test]
fn dates_in_the_usual_forms_are_read() {
    assert_eq!(
        parse_date("2025-11-20T03:00:00Z"),
        Some(ts("2025-11-20T03:00:00Z"))
    );
    assert_eq!(parse_date("20/11/2025"), Some(ts("2025-11-19T17:00:00Z")));
    assert_eq!(
        parse_date("2025-11-20 10:00"),
        Some(ts("2025-11-20T03:00:00Z"))
    );
    assert_eq!(
        parse_date("20.11.2025 10:00:30"),
        Some(ts("2025-11-20T03:00:30Z"))
    );
    assert_eq!(parse_date("1763600000"), Some(ts("2025-11-20T00:53:20Z")));
    assert_eq!(parse_date("31/02/2025"), None);
    assert_eq!(parse_date("hôm qua"), None);
}

#[test]
fn column_letters_follow_the_spreadsheet() {
    assert_eq!(column_letter(0), "A");
    assert_eq!(column_letter(25), "Z");
    assert_eq!(column_letter(26), "AA");
    assert_eq!(column_letter(701), "ZZ");
}

proptest! {
    #[test]
    fn no_csv_panics_the_table_reader(text in "[a-z0-9.,;\t\"|\n\\[\\]/:@ -]{0,400}") {
        let bytes = text.as_bytes();
        if let Ok(preview) = preview(bytes, &TableFormat::Csv, 10) {
            let _ = import(bytes, &TableFormat::Csv, &preview.mapping, &ImportDefaults::default());
        }
    }

    #[test]
    fn no_bytes_panic_the_table_reader(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mapping = ColumnMapping { has_header: false, value: Some(0), kind: Some(1), ..ColumnMapping::default() };
        let _ = preview(&bytes, &TableFormat::Csv, 10);
        let _ = import(&bytes, &TableFormat::Csv, &mapping, &ImportDefaults::default());
        let _ = preview(&bytes, &TableFormat::Xlsx { sheet: None }, 10);
    }
}
