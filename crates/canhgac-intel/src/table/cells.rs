//! Rows of cells as text, from a CSV text or an XLSX sheet, each with the row number a
//! spreadsheet would show.

use std::borrow::Cow;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use serde::{Deserialize, Serialize};

use super::{TableError, TableFormat};
use crate::csv_text::{guess_delimiter, CsvRows};

/// One row of a table: its cells as text and its number as a spreadsheet shows it (1-based;
/// for CSV, the line the row starts on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableRow {
    /// 1-based row number.
    pub number: usize,
    /// The cells, trimmed, as text (dates as `YYYY-MM-DD HH:MM:SS`).
    pub cells: Vec<String>,
}

/// The text of a CSV: UTF-8 (with or without BOM) or UTF-16 with a BOM (Excel's "Unicode
/// text"). Other encodings are refused rather than guessed.
pub(super) fn decode_text(bytes: &[u8]) -> Result<Cow<'_, str>, TableError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return text_of_utf8(rest);
    }
    let little_endian = if bytes.starts_with(b"\xFF\xFE") {
        true
    } else if bytes.starts_with(b"\xFE\xFF") {
        false
    } else {
        return text_of_utf8(bytes);
    };
    let units = bytes[2..].chunks_exact(2).map(|pair| {
        if little_endian {
            u16::from_le_bytes([pair[0], pair[1]])
        } else {
            u16::from_be_bytes([pair[0], pair[1]])
        }
    });
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map(Cow::Owned)
        .map_err(|_| TableError::Unreadable("UTF-16 không hợp lệ / invalid UTF-16".into()))
}

fn text_of_utf8(bytes: &[u8]) -> Result<Cow<'_, str>, TableError> {
    std::str::from_utf8(bytes)
        .map(Cow::Borrowed)
        .map_err(|error| {
            TableError::Unreadable(format!(
                "tệp không phải UTF-8 (byte {}) / the file is not UTF-8 (byte {})",
                error.valid_up_to() + 1,
                error.valid_up_to() + 1
            ))
        })
}

/// An open table, read row by row.
pub(super) enum Table<'a> {
    Csv(CsvRows<'a>),
    Sheet {
        rows: std::vec::IntoIter<TableRow>,
        sheets: Vec<String>,
    },
}

/// Opens a table; `text` is the decoded CSV text (see [`decode_text`]) when `format` is CSV.
pub(super) fn open<'a>(
    bytes: &'a [u8],
    text: Option<&'a str>,
    format: &TableFormat,
) -> Result<Table<'a>, TableError> {
    match (format, text) {
        (TableFormat::Csv, Some(text)) => Ok(Table::Csv(CsvRows::without_comments(
            text,
            guess_delimiter(text),
        ))),
        (TableFormat::Csv, None) => Err(TableError::Unreadable("no text".into())),
        (TableFormat::Xlsx { sheet }, _) => open_xlsx(bytes, sheet.as_deref()),
    }
}

impl Table<'_> {
    /// The next row with at least one non-empty cell.
    pub(super) fn next_row(&mut self) -> Result<Option<TableRow>, TableError> {
        match self {
            Table::Csv(rows) => match rows.next_record() {
                Ok(Some(record)) => Ok(Some(TableRow {
                    number: record.line,
                    cells: record.fields,
                })),
                Ok(None) => Ok(None),
                Err(error) => Err(TableError::Row {
                    row: error.line,
                    column: "-".into(),
                    problem: error.message,
                }),
            },
            Table::Sheet { rows, .. } => Ok(rows.next()),
        }
    }

    /// The workbook's sheets; empty for CSV.
    pub(super) fn sheets(&self) -> Vec<String> {
        match self {
            Table::Csv(_) => Vec::new(),
            Table::Sheet { sheets, .. } => sheets.clone(),
        }
    }
}

fn open_xlsx<'a>(bytes: &[u8], sheet: Option<&str>) -> Result<Table<'a>, TableError> {
    if bytes.starts_with(b"\xD0\xCF\x11\xE0") {
        return Err(TableError::Unreadable(
            "tệp Excel 97-2003 (.xls): hãy lưu lại thành .xlsx / an Excel 97-2003 file: save it as .xlsx"
                .into(),
        ));
    }
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|error| TableError::Unreadable(format!("XLSX: {error}")))?;
    let sheets = workbook.sheet_names();
    let name = match sheet {
        Some(name) => sheets
            .iter()
            .find(|candidate| candidate.as_str() == name)
            .cloned()
            .ok_or_else(|| TableError::NoSuchSheet(name.to_string()))?,
        None => sheets
            .first()
            .cloned()
            .ok_or_else(|| TableError::Unreadable("XLSX: the workbook has no sheet".into()))?,
    };
    let range = workbook
        .worksheet_range(&name)
        .map_err(|error| TableError::Unreadable(format!("XLSX, sheet «{name}»: {error}")))?;
    let (first_row, first_column) = range.start().unwrap_or((0, 0));
    let mut rows = Vec::new();
    for (offset, cells) in range.rows().enumerate() {
        if cells.iter().all(|cell| matches!(cell, Data::Empty)) {
            continue;
        }
        let mut texts = vec![String::new(); first_column as usize];
        texts.extend(cells.iter().map(text_of_cell));
        rows.push(TableRow {
            number: first_row as usize + offset + 1,
            cells: texts,
        });
    }
    Ok(Table::Sheet {
        rows: rows.into_iter(),
        sheets,
    })
}

fn text_of_cell(cell: &Data) -> String {
    match cell {
        Data::String(text) | Data::DateTimeIso(text) | Data::DurationIso(text) => {
            text.trim().to_string()
        }
        Data::Int(number) => number.to_string(),
        Data::Float(number) if number.fract() == 0.0 && number.abs() < 1e15 => {
            format!("{}", *number as i64)
        }
        Data::Float(number) => number.to_string(),
        Data::Bool(value) => value.to_string(),
        Data::DateTime(date) => excel_serial_to_text(date.as_f64()).unwrap_or_default(),
        Data::Error(_) | Data::Empty => String::new(),
    }
}

/// An Excel serial date (days since 1899-12-30, the fraction being the time of day) as
/// `YYYY-MM-DD HH:MM:SS`, the wall-clock time the sheet shows.
fn excel_serial_to_text(serial: f64) -> Option<String> {
    if !serial.is_finite() || !(0.0..3_000_000.0).contains(&serial) {
        return None;
    }
    let epoch = jiff::civil::DateTime::new(1899, 12, 30, 0, 0, 0, 0).ok()?;
    let seconds = (serial * 86_400.0).round() as i64;
    let civil = epoch
        .checked_add(jiff::SignedDuration::from_secs(seconds))
        .ok()?;
    Some(civil.strftime("%Y-%m-%d %H:%M:%S").to_string())
}
