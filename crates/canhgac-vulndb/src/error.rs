//! The one error type of the crate.

use std::path::PathBuf;

/// What went wrong opening, importing, updating or querying the database.
#[derive(Debug, thiserror::Error)]
pub enum VulnDbError {
    /// The database file could not be opened or created.
    #[error("cannot open the vulnerability database {path}: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        source: sqlx::Error,
    },
    /// A query failed.
    #[error("vulnerability database {context}: {source}")]
    Database {
        /// What was being done.
        context: &'static str,
        /// Why.
        source: sqlx::Error,
    },
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A file is not the JSON it should be; nothing of the import was kept.
    #[error("{path}: not a valid {format} file at line {line}, column {column}: {message}")]
    Malformed {
        /// The file (for a zip, `archive.zip!/member.json`).
        path: String,
        /// Which format was expected.
        format: &'static str,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What the JSON parser said.
        message: String,
    },
    /// A file is structurally not what was expected (e.g. a zip archive that is not one).
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A product's CPE could not be parsed.
    #[error(transparent)]
    Cpe(#[from] crate::cpe::CpeError),
    /// The mirror could not be reached or answered badly.
    #[error("mirror {url}: {message}")]
    Mirror {
        /// The URL asked.
        url: String,
        /// What went wrong.
        message: String,
    },
}

impl VulnDbError {
    pub(crate) fn db(context: &'static str) -> impl FnOnce(sqlx::Error) -> VulnDbError {
        move |source| VulnDbError::Database { context, source }
    }

    pub(crate) fn malformed(path: &str, format: &'static str, error: &serde_json::Error) -> Self {
        VulnDbError::Malformed {
            path: path.to_owned(),
            format,
            line: error.line(),
            column: error.column(),
            message: without_position(error),
        }
    }
}

/// serde_json's message without its own " at line N column M" suffix (we say it once).
fn without_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    match text.strip_suffix(&suffix) {
        Some(message) => message.to_owned(),
        None => text,
    }
}

/// Results of this crate.
pub type Result<T, E = VulnDbError> = std::result::Result<T, E>;
