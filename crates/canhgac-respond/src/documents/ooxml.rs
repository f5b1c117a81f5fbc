//! The small part of WordprocessingML (ECMA-376) our reports use, written as text: runs,
//! paragraphs, borderless or ruled tables, one A4 section, and the package around them.
//!
//! Every piece of caller text goes through [`Run`], which escapes it; nothing else inserts text.

use std::fmt::Write as _;
use std::io::Write as _;

use zip::write::SimpleFileOptions;
use zip::CompressionMethod;

use super::DocumentError;

/// A4 in twentieths of a point (twips).
pub(crate) const PAGE_WIDTH: u32 = 11906;
pub(crate) const PAGE_HEIGHT: u32 = 16838;
/// Decree 30/2020 margins: top and bottom 20 mm, left 30 mm, right 15 mm (1 mm = 56.7 twips).
pub(crate) const MARGIN_TOP: u32 = 1134;
pub(crate) const MARGIN_BOTTOM: u32 = 1134;
pub(crate) const MARGIN_LEFT: u32 = 1701;
pub(crate) const MARGIN_RIGHT: u32 = 851;
/// The width text can use.
pub(crate) const TEXT_WIDTH: u32 = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT;
/// The one typeface of an administrative document.
pub(crate) const FONT: &str = "Times New Roman";
/// Body text size in half-points (14 pt).
pub(crate) const BODY_SIZE: u32 = 28;

const W_NS: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const R_NS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// Writes `text` escaped for XML character data and attribute values. Characters XML 1.0 cannot
/// carry at all (most C0 controls) become U+FFFD so that a pasted log line cannot break the file;
/// carriage returns are dropped.
pub(crate) fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // A parser turns a raw CR into LF; CRLF line ends keep their LF only.
            '\r' => {}
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

/// A stretch of text with one formatting.
#[derive(Debug, Clone, Default)]
pub(crate) struct Run {
    text: String,
    bold: bool,
    italic: bool,
    underline: bool,
    /// Half-points; `None` keeps the document default (14 pt).
    size: Option<u32>,
}

impl Run {
    pub(crate) fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }
    pub(crate) fn bold(mut self) -> Self {
        self.bold = true;
        self
    }
    pub(crate) fn italic(mut self) -> Self {
        self.italic = true;
        self
    }
    pub(crate) fn underline(mut self) -> Self {
        self.underline = true;
        self
    }
    /// Size in points (whole or half points).
    pub(crate) fn points(mut self, points: f32) -> Self {
        self.size = Some((points * 2.0).round() as u32);
        self
    }

    fn write(&self, out: &mut String) {
        out.push_str("<w:r>");
        let mut props = String::new();
        if self.bold {
            props.push_str("<w:b/><w:bCs/>");
        }
        if self.italic {
            props.push_str("<w:i/><w:iCs/>");
        }
        // CT_RPr is a sequence: the size comes before the underline.
        if let Some(size) = self.size {
            let _ = write!(props, "<w:sz w:val=\"{size}\"/><w:szCs w:val=\"{size}\"/>");
        }
        if self.underline {
            props.push_str("<w:u w:val=\"single\"/>");
        }
        if !props.is_empty() {
            let _ = write!(out, "<w:rPr>{props}</w:rPr>");
        }
        // Line breaks and tabs are elements of their own in WordprocessingML.
        for (index, line) in self.text.split('\n').enumerate() {
            if index > 0 {
                out.push_str("<w:br/>");
            }
            for (part_index, part) in line.split('\t').enumerate() {
                if part_index > 0 {
                    out.push_str("<w:tab/>");
                }
                if !part.is_empty() {
                    out.push_str("<w:t xml:space=\"preserve\">");
                    escape_into(out, part);
                    out.push_str("</w:t>");
                }
            }
        }
        out.push_str("</w:r>");
    }
}

/// Horizontal alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Align {
    #[default]
    Left,
    Center,
    Justify,
}

/// A paragraph's formatting.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Para {
    pub(crate) align: Align,
    /// First-line indent in twips.
    pub(crate) first_line: u32,
    pub(crate) indent_left: u32,
    pub(crate) indent_right: u32,
    /// Space before and after in twips.
    pub(crate) before: u32,
    pub(crate) after: u32,
    /// A rule above the paragraph, between its indents (the short line under a body's name).
    pub(crate) rule_above: bool,
    pub(crate) keep_with_next: bool,
}

impl Para {
    pub(crate) fn centered() -> Self {
        Self {
            align: Align::Center,
            ..Self::default()
        }
    }

    /// Decree 30 body text: justified, first line indented 1 cm, 6 pt after.
    pub(crate) fn body() -> Self {
        Self {
            align: Align::Justify,
            first_line: 567,
            after: 120,
            ..Self::default()
        }
    }
}

/// One `<w:p>` with its runs.
pub(crate) fn paragraph(para: Para, runs: &[Run]) -> String {
    let mut out = String::from("<w:p><w:pPr>");
    if para.keep_with_next {
        out.push_str("<w:keepNext/>");
    }
    if para.rule_above {
        out.push_str(
            "<w:pBdr><w:top w:val=\"single\" w:sz=\"6\" w:space=\"1\" w:color=\"000000\"/></w:pBdr>",
        );
    }
    // Line spacing 1.15 (276/240): Decree 30 asks for 1 to 1.5.
    let _ = write!(
        out,
        "<w:spacing w:before=\"{}\" w:after=\"{}\" w:line=\"276\" w:lineRule=\"auto\"/>",
        para.before, para.after
    );
    if para.first_line > 0 || para.indent_left > 0 || para.indent_right > 0 {
        let _ = write!(
            out,
            "<w:ind w:left=\"{}\" w:right=\"{}\" w:firstLine=\"{}\"/>",
            para.indent_left, para.indent_right, para.first_line
        );
    }
    let jc = match para.align {
        Align::Left => "left",
        Align::Center => "center",
        Align::Justify => "both",
    };
    let _ = write!(out, "<w:jc w:val=\"{jc}\"/></w:pPr>");
    for run in runs {
        run.write(&mut out);
    }
    out.push_str("</w:p>");
    out
}

/// A table; each cell holds paragraphs written by [`paragraph`]. `ruled` draws every border
/// (data tables); the layout tables of the header and signature have none.
pub(crate) fn table(widths: &[u32], ruled: bool, rows: &[Vec<Vec<String>>]) -> String {
    let mut out = String::from("<w:tbl><w:tblPr>");
    let total: u32 = widths.iter().sum();
    let _ = write!(out, "<w:tblW w:w=\"{total}\" w:type=\"dxa\"/>");
    let border = if ruled { "single" } else { "nil" };
    out.push_str("<w:tblBorders>");
    for side in ["top", "left", "bottom", "right", "insideH", "insideV"] {
        let _ = write!(
            out,
            "<w:{side} w:val=\"{border}\" w:sz=\"4\" w:space=\"0\" w:color=\"000000\"/>"
        );
    }
    out.push_str("</w:tblBorders><w:tblLayout w:type=\"fixed\"/>");
    out.push_str("<w:tblCellMar><w:left w:w=\"57\" w:type=\"dxa\"/><w:right w:w=\"57\" w:type=\"dxa\"/></w:tblCellMar>");
    out.push_str("</w:tblPr><w:tblGrid>");
    for width in widths {
        let _ = write!(out, "<w:gridCol w:w=\"{width}\"/>");
    }
    out.push_str("</w:tblGrid>");
    for row in rows {
        out.push_str("<w:tr><w:trPr><w:cantSplit/></w:trPr>");
        for (cell, width) in row.iter().zip(widths) {
            let _ = write!(
                out,
                "<w:tc><w:tcPr><w:tcW w:w=\"{width}\" w:type=\"dxa\"/></w:tcPr>"
            );
            if cell.is_empty() {
                // A cell must end with a paragraph.
                out.push_str(&paragraph(Para::default(), &[]));
            }
            for para in cell {
                out.push_str(para);
            }
            out.push_str("</w:tc>");
        }
        out.push_str("</w:tr>");
    }
    out.push_str("</w:tbl>");
    out
}

fn document_xml(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <w:document xmlns:w=\"{W_NS}\" xmlns:r=\"{R_NS}\"><w:body>{body}\
         <w:sectPr><w:headerReference w:type=\"default\" r:id=\"rIdHeader\"/>\
         <w:pgSz w:w=\"{PAGE_WIDTH}\" w:h=\"{PAGE_HEIGHT}\"/>\
         <w:pgMar w:top=\"{MARGIN_TOP}\" w:right=\"{MARGIN_RIGHT}\" w:bottom=\"{MARGIN_BOTTOM}\" \
         w:left=\"{MARGIN_LEFT}\" w:header=\"567\" w:footer=\"567\" w:gutter=\"0\"/>\
         <w:titlePg/></w:sectPr></w:body></w:document>"
    )
}

fn styles_xml() -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <w:styles xmlns:w=\"{W_NS}\"><w:docDefaults><w:rPrDefault><w:rPr>\
         <w:rFonts w:ascii=\"{FONT}\" w:hAnsi=\"{FONT}\" w:eastAsia=\"{FONT}\" w:cs=\"{FONT}\"/>\
         <w:color w:val=\"000000\"/><w:sz w:val=\"{BODY_SIZE}\"/><w:szCs w:val=\"{BODY_SIZE}\"/>\
         <w:lang w:val=\"vi-VN\" w:eastAsia=\"vi-VN\" w:bidi=\"ar-SA\"/></w:rPr></w:rPrDefault>\
         <w:pPrDefault><w:pPr><w:spacing w:after=\"0\" w:line=\"240\" w:lineRule=\"auto\"/></w:pPr>\
         </w:pPrDefault></w:docDefaults>\
         <w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/>\
         <w:qFormat/></w:style></w:styles>"
    )
}

/// The page number, centred in the top margin; `titlePg` leaves the first page unnumbered.
fn header_xml() -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <w:hdr xmlns:w=\"{W_NS}\" xmlns:r=\"{R_NS}\"><w:p><w:pPr><w:jc w:val=\"center\"/></w:pPr>\
         <w:r><w:fldChar w:fldCharType=\"begin\"/></w:r>\
         <w:r><w:instrText xml:space=\"preserve\"> PAGE </w:instrText></w:r>\
         <w:r><w:fldChar w:fldCharType=\"separate\"/></w:r><w:r><w:t>2</w:t></w:r>\
         <w:r><w:fldChar w:fldCharType=\"end\"/></w:r></w:p></w:hdr>"
    )
}

const CONTENT_TYPES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
<Default Extension=\"xml\" ContentType=\"application/xml\"/>\
<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>\
<Override PartName=\"/word/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>\
<Override PartName=\"/word/header1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml\"/>\
<Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>\
</Types>";

const PACKAGE_RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>\
<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>\
</Relationships>";

const DOCUMENT_RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rIdStyles\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>\
<Relationship Id=\"rIdHeader\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/header\" Target=\"header1.xml\"/>\
</Relationships>";

fn core_xml(title: &str, creator: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>{}</dc:title>\
         <dc:creator>{}</dc:creator><dc:language>vi-VN</dc:language></cp:coreProperties>",
        escape(title),
        escape(creator)
    )
}

/// Zips a body into a complete `.docx`. The output is the same for the same input: entries carry
/// the zip format's default time, so an archived report can be compared byte for byte.
pub(crate) fn package(body: &str, title: &str, creator: &str) -> Result<Vec<u8>, DocumentError> {
    let parts: [(&str, String); 6] = [
        ("[Content_Types].xml", CONTENT_TYPES.to_string()),
        ("_rels/.rels", PACKAGE_RELS.to_string()),
        ("docProps/core.xml", core_xml(title, creator)),
        ("word/_rels/document.xml.rels", DOCUMENT_RELS.to_string()),
        ("word/styles.xml", styles_xml()),
        ("word/header1.xml", header_xml()),
    ];
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    let package_error = |error: &dyn std::fmt::Display| DocumentError::Package(error.to_string());
    let document = document_xml(body);
    for (name, content) in parts
        .iter()
        .map(|(name, content)| (*name, content.as_str()))
        .chain([("word/document.xml", document.as_str())])
    {
        writer
            .start_file(name, options)
            .map_err(|e| package_error(&e))?;
        writer
            .write_all(content.as_bytes())
            .map_err(|e| package_error(&e))?;
    }
    let cursor = writer.finish().map_err(|e| package_error(&e))?;
    Ok(cursor.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_controls_cannot_break_the_xml() {
        let mut out = String::new();
        escape_into(&mut out, "a<b>&\"c'\u{1b}[0m\u{0}");
        assert_eq!(out, "a&lt;b&gt;&amp;&quot;c&apos;\u{FFFD}[0m\u{FFFD}");
        let para = paragraph(Para::default(), &[Run::new("x\ty\nz").bold()]);
        assert!(para.contains("<w:b/>"));
        assert!(para.contains(
            "<w:t xml:space=\"preserve\">x</w:t><w:tab/><w:t xml:space=\"preserve\">y</w:t><w:br/>"
        ));
    }
}
