//! CSV reading shared by breach lists and breach metadata: the delimiter guessed from the header
//! row, records with their line numbers, and errors that name a line but never quote it (a row
//! may hold a password).

use super::ExposureError;

/// One CSV row and the line it starts on (1-based).
pub(super) struct Record {
    pub(super) line: usize,
    pub(super) fields: Vec<String>,
}

/// The delimiter (`,`, `;` or tab) that splits the first row into cells of which one is a key
/// column; `None` when no delimiter does, i.e. the text is not such a CSV.
pub(super) fn detect_delimiter(text: &str, is_key_column: impl Fn(&str) -> bool) -> Option<u8> {
    let first_row = text
        .trim_start_matches('\u{feff}')
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty() && !line.starts_with('#'))?;
    [b',', b';', b'\t'].into_iter().find(|&delimiter| {
        first_row
            .split(char::from(delimiter))
            .any(|column| is_key_column(column.trim().trim_matches('"')))
    })
}

/// The trimmed, non-empty text of a row's cell, when the column exists.
pub(super) fn cell(row: &Record, column: Option<usize>) -> Option<&str> {
    column
        .and_then(|index| row.fields.get(index))
        .map(|text| text.trim())
        .filter(|text| !text.is_empty())
}

/// Rows of a CSV text, the header first; blank rows and `#` comment lines are skipped, and every
/// row must have as many cells as the header.
pub(super) struct CsvRows<'a> {
    reader: csv::Reader<&'a [u8]>,
    record: csv::StringRecord,
    header_len: Option<usize>,
}

impl<'a> CsvRows<'a> {
    pub(super) fn new(text: &'a str, delimiter: u8) -> Self {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            // Column counts are checked here, so that the error says it in our words.
            .flexible(true)
            .trim(csv::Trim::All)
            .comment(Some(b'#'))
            .from_reader(text.as_bytes());
        CsvRows {
            reader,
            record: csv::StringRecord::new(),
            header_len: None,
        }
    }

    pub(super) fn next_record(&mut self) -> Result<Option<Record>, ExposureError> {
        loop {
            let more =
                self.reader
                    .read_record(&mut self.record)
                    .map_err(|error| ExposureError::Line {
                        line: error.position().map_or(0, position_line),
                        message: "the CSV cannot be read here (unbalanced quotes?)".to_string(),
                    })?;
            if !more {
                return Ok(None);
            }
            if self.record.iter().all(str::is_empty) {
                continue;
            }
            let line = self.record.position().map_or(0, position_line);
            let header_len = *self.header_len.get_or_insert(self.record.len());
            if self.record.len() != header_len {
                return Err(ExposureError::Line {
                    line,
                    message: format!(
                        "the row has {} columns but the header has {header_len}",
                        self.record.len()
                    ),
                });
            }
            return Ok(Some(Record {
                line,
                fields: self.record.iter().map(str::to_string).collect(),
            }));
        }
    }
}

fn position_line(position: &csv::Position) -> usize {
    usize::try_from(position.line()).unwrap_or(usize::MAX)
}
