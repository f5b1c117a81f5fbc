//! Errors of inventory files: each names the file, the line and the field at fault.

use std::fmt;

/// How many errors one parse or plan reports before giving up; a file with more is usually the
/// wrong file, and a wall of errors helps nobody.
pub const MAX_ERRORS: usize = 100;

/// One problem in an inventory file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryError {
    /// The file's name as the caller gave it.
    pub file: String,
    /// The 1-based line, when known.
    pub line: Option<usize>,
    /// The field at fault (`kind`, `software.cpe`, `owner`...), when one is.
    pub field: Option<String>,
    /// What is wrong, in plain words.
    pub message: String,
}

impl InventoryError {
    /// A new error.
    pub fn new(
        file: impl Into<String>,
        line: Option<usize>,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            file: file.into(),
            line,
            field: field.map(str::to_string),
            message: message.into(),
        }
    }
}

impl fmt::Display for InventoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        f.write_str(": ")?;
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for InventoryError {}

/// Every problem found in one parse or plan, in file order; never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryErrors(pub Vec<InventoryError>);

impl InventoryErrors {
    /// The errors.
    pub fn iter(&self) -> std::slice::Iter<'_, InventoryError> {
        self.0.iter()
    }

    /// How many errors there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there is none (never for a returned value; here for completeness with `len`).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for InventoryErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InventoryErrors {}

impl IntoIterator for InventoryErrors {
    type Item = InventoryError;
    type IntoIter = std::vec::IntoIter<InventoryError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// Collects errors for one file up to [`MAX_ERRORS`], then notes that it stopped.
#[derive(Debug)]
pub(crate) struct Errors {
    file: String,
    list: Vec<InventoryError>,
    dropped: usize,
}

impl Errors {
    pub(crate) fn new(file: &str) -> Self {
        Self {
            file: file.to_string(),
            list: Vec::new(),
            dropped: 0,
        }
    }

    /// Records an error in this collector's file.
    pub(crate) fn at(
        &mut self,
        line: Option<usize>,
        field: Option<&str>,
        message: impl Into<String>,
    ) {
        let error = InventoryError::new(self.file.clone(), line, field, message);
        self.push(error);
    }

    /// Records an error that may name another file (records merged from several files).
    pub(crate) fn push(&mut self, error: InventoryError) {
        if self.list.len() < MAX_ERRORS {
            self.list.push(error);
        } else {
            self.dropped += 1;
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub(crate) fn is_full(&self) -> bool {
        self.list.len() >= MAX_ERRORS
    }

    /// `Ok(value)` when nothing was recorded.
    pub(crate) fn finish<T>(mut self, value: T) -> Result<T, InventoryErrors> {
        if self.list.is_empty() {
            return Ok(value);
        }
        // Conversion and validation find a record's errors in two passes; people read them
        // top to bottom, file by file.
        let mut files: Vec<String> = Vec::new();
        for error in &self.list {
            if !files.contains(&error.file) {
                files.push(error.file.clone());
            }
        }
        self.list
            .sort_by_key(|e| (files.iter().position(|f| *f == e.file), e.line));
        if self.dropped > 0 {
            let note = format!(
                "{} more errors not shown; fix the ones above first",
                self.dropped
            );
            self.list
                .push(InventoryError::new(self.file.clone(), None, None, note));
        }
        Err(InventoryErrors(self.list))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_line_and_field() {
        let e = InventoryError::new("units.yaml", Some(12), Some("kind"), "bad");
        assert_eq!(e.to_string(), "units.yaml:12: kind: bad");
        let e = InventoryError::new("units.yaml", None, None, "bad");
        assert_eq!(e.to_string(), "units.yaml: bad");
        let all = InventoryErrors(vec![
            InventoryError::new("a.csv", Some(2), None, "x"),
            InventoryError::new("a.csv", Some(3), Some("f"), "y"),
        ]);
        assert_eq!(all.to_string(), "a.csv:2: x\na.csv:3: f: y");
    }

    #[test]
    fn collector_caps_and_notes_the_rest() {
        let mut errors = Errors::new("f.yaml");
        for i in 0..MAX_ERRORS + 5 {
            errors.at(Some(i + 1), None, "e");
        }
        let all = errors.finish(()).unwrap_err();
        assert_eq!(all.len(), MAX_ERRORS + 1);
        assert!(all.0[MAX_ERRORS].message.starts_with("5 more errors"));
    }
}
