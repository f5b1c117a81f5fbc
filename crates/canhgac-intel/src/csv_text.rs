//! CSV reading shared by the importers (breach lists, breach metadata, indicator tables,
//! Shadowserver reports): the delimiter guessed from the header row, records with their line
//! numbers, and errors that name a line but never quote it (a row may hold a password).

/// A CSV row that cannot be read; the message names the problem, never the row's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CsvError {
    /// 1-based line the row starts on.
    pub(crate) line: usize,
    /// What is wrong.
    pub(crate) message: String,
}

/// One CSV row and the line it starts on (1-based).
pub(crate) struct Record {
    pub(crate) line: usize,
    pub(crate) fields: Vec<String>,
}

/// The delimiter (`,`, `;` or tab) that splits the first row into cells of which one is a key
/// column; `None` when no delimiter does, i.e. the text is not such a CSV.
pub(crate) fn detect_delimiter(text: &str, is_key_column: impl Fn(&str) -> bool) -> Option<u8> {
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
pub(crate) fn cell(row: &Record, column: Option<usize>) -> Option<&str> {
    column
        .and_then(|index| row.fields.get(index))
        .map(|text| text.trim())
        .filter(|text| !text.is_empty())
}

/// Rows of a CSV text, the header first; blank rows and `#` comment lines are skipped, and every
/// row must have as many cells as the header.
pub(crate) struct CsvRows<'a> {
    reader: csv::Reader<&'a [u8]>,
    record: csv::StringRecord,
    header_len: Option<usize>,
}

impl<'a> CsvRows<'a> {
    /// Rows where lines starting with `#` are comments.
    pub(crate) fn new(text: &'a str, delimiter: u8) -> Self {
        Self::build(text, delimiter, true)
    }

    /// Rows where `#` is data (a table's first column is often headed `#`).
    pub(crate) fn without_comments(text: &'a str, delimiter: u8) -> Self {
        Self::build(text, delimiter, false)
    }

    fn build(text: &'a str, delimiter: u8, comments: bool) -> Self {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            // Column counts are checked here, so that the error says it in our words.
            .flexible(true)
            .trim(csv::Trim::All)
            .comment(comments.then_some(b'#'))
            .from_reader(text.as_bytes());
        CsvRows {
            reader,
            record: csv::StringRecord::new(),
            header_len: None,
        }
    }

    pub(crate) fn next_record(&mut self) -> Result<Option<Record>, CsvError> {
        loop {
            let more = self
                .reader
                .read_record(&mut self.record)
                .map_err(|error| CsvError {
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
                return Err(CsvError {
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

/// The delimiter among `,`, `;`, tab and `|` that splits the first lines most consistently
/// into more than one cell (quotes respected); `,` when none does.
pub(crate) fn guess_delimiter(text: &str) -> u8 {
    let text = text.trim_start_matches('\u{feff}');
    let sample: String = text.lines().take(20).collect::<Vec<_>>().join("\n");
    let mut best = (b',', 0usize);
    for delimiter in [b',', b';', b'\t', b'|'] {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(sample.as_bytes());
        let mut counts = Vec::new();
        for record in reader.records() {
            match record {
                Ok(record) => counts.push(record.len()),
                Err(_) => break,
            }
        }
        let Some(&first) = counts.first() else {
            continue;
        };
        if first < 2 {
            continue;
        }
        // Rows that agree with the header, weighted by how many cells they give.
        let agreeing = counts.iter().filter(|&&count| count == first).count();
        let score = agreeing * 100 + first;
        if score > best.1 {
            best = (delimiter, score);
        }
    }
    best.0
}
