use std::io::{Cursor, Write};

use canhgac_model::IndicatorKind;
use proptest::prelude::*;

use super::*;

fn docx(document_body: &str) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("[Content_Types].xml", options).unwrap();
    zip.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#).unwrap();
    zip.start_file("word/document.xml", options).unwrap();
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{document_body}</w:body></w:document>"#
    );
    zip.write_all(xml.as_bytes()).unwrap();
    zip.finish().unwrap().into_inner()
}

fn paragraph(text: &str) -> String {
    format!("<w:p><w:r><w:t xml:space=\"preserve\">{text}</w:t></w:r></w:p>")
}

fn table(rows: &[&[&str]]) -> String {
    let mut xml = String::from("<w:tbl>");
    for row in rows {
        xml.push_str("<w:tr>");
        for cell in *row {
            xml.push_str(&format!("<w:tc><w:tcPr/>{}</w:tc>", paragraph(cell)));
        }
        xml.push_str("</w:tr>");
    }
    xml.push_str("</w:tbl>");
    xml
}

#[test]
fn a_docx_appendix_gives_one_line_per_paragraph_and_table_row() {
    let body = format!(
        "{}{}{}<w:p><w:r><w:t>Thư: ketoan</w:t></w:r><w:r><w:t>[at]tinh-gov[.]top &amp; xong</w:t></w:r></w:p>",
        paragraph("PHỤ LỤC II: CÁC DẤU HIỆU NHẬN BIẾT"),
        table(&[
            &["STT", "Loại", "Giá trị"],
            &["1", "IP", "45.77.12[.]9"],
            &["2", "Tên miền", "cdn-update[.]top"],
            &["3", "SHA1", "da39a3ee5e6b4b0d3255bfef95601890afd80709"],
        ]),
        paragraph("Tệp mẫu: update.exe"),
    );
    let bytes = docx(&body);
    let text = appendix_text(&bytes).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "PHỤ LỤC II: CÁC DẤU HIỆU NHẬN BIẾT");
    assert_eq!(lines[1], "STT\tLoại\tGiá trị");
    assert_eq!(lines[2], "1\tIP\t45.77.12[.]9");
    assert_eq!(lines[5], "Tệp mẫu: update.exe");
    assert_eq!(lines[6], "Thư: ketoan[at]tinh-gov[.]top & xong");

    let found = extract_from_appendix(&bytes).unwrap();
    let values: Vec<_> = found
        .iter()
        .map(|f| (f.kind, f.value.as_str(), f.line))
        .collect();
    assert_eq!(
        values,
        vec![
            (IndicatorKind::Ip, "45.77.12.9", 3),
            (IndicatorKind::Domain, "cdn-update.top", 4),
            (
                IndicatorKind::Sha1,
                "da39a3ee5e6b4b0d3255bfef95601890afd80709",
                5
            ),
            (IndicatorKind::Email, "ketoan@tinh-gov.top", 7),
        ]
    );
}

#[test]
fn a_broken_docx_is_refused_with_the_reason() {
    let no_document = {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        zip.start_file("other.xml", zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(b"<a/>").unwrap();
        zip.finish().unwrap().into_inner()
    };
    assert!(
        matches!(docx_text(&no_document), Err(AppendixError::Docx(m)) if m.contains("document.xml"))
    );
    let bad_xml = docx("<w:p><w:t>a</w:p>");
    assert!(matches!(docx_text(&bad_xml), Err(AppendixError::Docx(_))));
    assert_eq!(appendix_text(b"hello"), Err(AppendixError::UnknownFormat));
}

/// A one-page PDF whose content stream is Flate-compressed, written by hand (offsets in the
/// cross-reference table are computed, so it also opens in a viewer).
fn pdf(content: &[u8], compress: bool) -> Vec<u8> {
    let (stream, filter) = if compress {
        let mut encoder =
            flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(content).unwrap();
        (encoder.finish().unwrap(), "/Filter /FlateDecode ")
    } else {
        (content.to_vec(), "")
    };
    let mut out: Vec<u8> = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>".to_vec(),
        {
            let mut object = format!("<< {filter}/Length {} >>\nstream\n", stream.len()).into_bytes();
            object.extend_from_slice(&stream);
            object.extend_from_slice(b"\nendstream");
            object
        },
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
    ];
    for (index, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", index + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

const PAGE: &[u8] = b"BT /F1 11 Tf 50 800 Td (PHU LUC: DAU HIEU) Tj\n\
0 -14 Td (May chu C2: 45.77.12[.]9 \\(da xac minh\\)) Tj\n\
0 -14 Td [(hxxp://cdn-up) 20 (date[.]top/gate) -30 (.php)] TJ\n\
T* (Ten mien) ' 120 0 Td (evil-domain.xyz) Tj\n\
0 -14 Td <6d64353a2064343164386364393866303062323034653938303039393865636638343237650a> Tj\n\
/Span << /ActualText (x) >> BDC (tail) Tj EMC\n\
ET";

#[test]
fn a_pdf_text_layer_is_read_from_a_flate_stream() {
    let bytes = pdf(PAGE, true);
    let text = appendix_text(&bytes).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "PHU LUC: DAU HIEU");
    assert_eq!(lines[1], "May chu C2: 45.77.12[.]9 (da xac minh)");
    assert_eq!(lines[2], "hxxp://cdn-update[.]top/gate.php");
    assert_eq!(lines[3], "Ten mien\tevil-domain.xyz");
    let found = extract_from_appendix(&bytes).unwrap();
    let values: Vec<_> = found.iter().map(|f| (f.kind, f.value.as_str())).collect();
    assert_eq!(
        values,
        vec![
            (IndicatorKind::Ip, "45.77.12.9"),
            (IndicatorKind::Url, "http://cdn-update.top/gate.php"),
            (IndicatorKind::Domain, "evil-domain.xyz"),
            (IndicatorKind::Md5, "d41d8cd98f00b204e9800998ecf8427e"),
        ]
    );
    // The same page uncompressed reads the same.
    assert_eq!(pdf_text(&pdf(PAGE, false)).unwrap(), text);
}

#[test]
fn a_pdf_without_text_is_refused() {
    let error = pdf_text(&pdf(b"q 1 0 0 1 0 0 cm Q", true)).unwrap_err();
    assert!(matches!(error, AppendixError::Pdf(m) if m.contains("text layer")));
    assert!(matches!(pdf_text(b"not a pdf"), Err(AppendixError::Pdf(_))));
}

proptest! {
    #[test]
    fn no_content_stream_panics_the_pdf_reader(content in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut stream = b"BT ".to_vec();
        stream.extend(content);
        let _ = pdf_text(&pdf(&stream, true));
        let _ = pdf_text(&pdf(&stream, false));
    }

    #[test]
    fn no_bytes_panic_the_appendix_reader(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut pdf_like = b"%PDF-1.7\n".to_vec();
        pdf_like.extend(&bytes);
        let _ = appendix_text(&pdf_like);
        let mut zip_like = b"PK\x03\x04".to_vec();
        zip_like.extend(&bytes);
        let _ = appendix_text(&zip_like);
    }
}
