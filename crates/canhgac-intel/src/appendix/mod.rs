//! The text of an advisory's appendix, for [`crate::extract`]: a DOCX (paragraphs, and tables
//! with cells separated by tabs and rows by line breaks, so that each table row becomes one
//! line) or a PDF with a text layer.
//!
//! The PDF reader is deliberately small: it finds the content streams (uncompressed or
//! `FlateDecode`), and reads the strings shown by the text operators `Tj`, `TJ`, `'` and `"`,
//! breaking lines at `T*`, `Td`/`TD` with a vertical move, `Tm` and `ET`. Strings are read as
//! single bytes (Latin-1) or UTF-16 with a byte-order mark: enough for indicators, which are
//! ASCII. Text drawn with composite (CID) fonts without a plain encoding, and scanned pages,
//! give no text; the console then asks for the DOCX or a pasted table.

mod pdf;
#[cfg(test)]
mod tests;

use std::io::{Cursor, Read};

use quick_xml::events::Event;

use crate::extract::{extract, ExtractedIndicator};

pub use pdf::pdf_text;

/// Why an appendix's text cannot be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AppendixError {
    /// Neither a DOCX (zip) nor a PDF.
    #[error("tệp không phải DOCX hay PDF / the file is neither a DOCX nor a PDF")]
    UnknownFormat,
    /// The DOCX archive or its XML is broken.
    #[error("DOCX hỏng / broken DOCX: {0}")]
    Docx(String),
    /// The PDF is broken or has no text layer.
    #[error("PDF không đọc được / unreadable PDF: {0}")]
    Pdf(String),
}

/// The largest decompressed part read (a zip or Flate bomb stops here).
pub(crate) const MAX_PART_BYTES: u64 = 64 * 1024 * 1024;

/// The text of a DOCX or PDF appendix, told apart by their first bytes.
pub fn appendix_text(bytes: &[u8]) -> Result<String, AppendixError> {
    if bytes.starts_with(b"PK\x03\x04") {
        docx_text(bytes)
    } else if bytes
        .get(..1024)
        .unwrap_or(bytes)
        .windows(5)
        .any(|w| w == b"%PDF-")
    {
        pdf_text(bytes)
    } else {
        Err(AppendixError::UnknownFormat)
    }
}

/// The indicators of a DOCX or PDF appendix; line numbers are lines of [`appendix_text`].
pub fn extract_from_appendix(bytes: &[u8]) -> Result<Vec<ExtractedIndicator>, AppendixError> {
    appendix_text(bytes).map(|text| extract(&text))
}

/// The text of a DOCX's main document: one line per paragraph; in tables, cells separated by
/// tabs and one line per row (paragraphs inside a cell are joined by a space).
pub fn docx_text(bytes: &[u8]) -> Result<String, AppendixError> {
    let broken = |message: String| AppendixError::Docx(message);
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|error| broken(error.to_string()))?;
    let entry = archive
        .by_name("word/document.xml")
        .map_err(|_| broken("không có word/document.xml / no word/document.xml".into()))?;
    let mut xml = String::new();
    entry
        .take(MAX_PART_BYTES)
        .read_to_string(&mut xml)
        .map_err(|error| broken(format!("word/document.xml: {error}")))?;
    document_xml_text(&xml).map_err(broken)
}

fn document_xml_text(xml: &str) -> Result<String, String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut text = String::new();
    let mut in_text = false;
    // Depth of table cells we are in (tables nest).
    let mut cell_depth = 0usize;
    loop {
        let event = reader.read_event().map_err(|error| {
            format!(
                "XML ở byte {} / XML at byte {}: {error}",
                reader.buffer_position(),
                reader.buffer_position()
            )
        })?;
        match event {
            Event::Start(element) => match element.local_name().as_ref() {
                "t" => in_text = true,
                "tc" => cell_depth += 1,
                _ => {}
            },
            Event::Empty(element) => match element.local_name().as_ref() {
                "tab" => text.push('\t'),
                "br" | "cr" => text.push(if cell_depth > 0 { ' ' } else { '\n' }),
                _ => {}
            },
            Event::End(element) => match element.local_name().as_ref() {
                "t" => in_text = false,
                "p" => {
                    if cell_depth > 0 {
                        text.push(' ');
                    } else {
                        text.push('\n');
                    }
                }
                "tc" => {
                    cell_depth = cell_depth.saturating_sub(1);
                    trim_end_spaces(&mut text);
                    text.push('\t');
                }
                "tr" => {
                    if text.ends_with('\t') {
                        text.pop();
                    }
                    text.push(if cell_depth > 0 { ' ' } else { '\n' });
                }
                _ => {}
            },
            Event::Text(content) if in_text => text.push_str(&content.xml10_content()),
            Event::CData(content) if in_text => text.push_str(&content.xml10_content()),
            Event::GeneralRef(reference) if in_text => {
                if let Ok(Some(c)) = reference.resolve_char_ref() {
                    text.push(c);
                } else {
                    text.push_str(match reference.as_ref() {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\"",
                        "apos" => "'",
                        _ => "",
                    });
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(text)
}

fn trim_end_spaces(text: &mut String) {
    while text.ends_with(' ') {
        text.pop();
    }
}
