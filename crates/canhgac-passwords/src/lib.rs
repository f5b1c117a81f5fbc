//! Breached and shared passwords, offline.
//!
//! The Pwned Passwords download (`HASH:COUNT` lines, SHA-1 or NTLM, about a billion lines) is
//! imported once into a compact sorted binary file ([`import()`]); a [`BreachedSet`] opened on
//! that file answers "how often was this hash seen in breaches?" by a binary search with
//! positioned reads, without loading the file into memory. On top of it:
//!
//! - [`sha1_of`] and [`ntlm_of`] hash a password the way the list does;
//! - [`audit`] reads an Active Directory NTLM dump (`user:rid:lm:nt:::` lines, as secretsdump
//!   and DSInternals write them) and reports the accounts whose password is breached, empty, or
//!   shared with other accounts. The report holds no password and no full hash: a group of
//!   accounts sharing a password is named by a short opaque id derived with a per-run key.
//!
//! ```no_run
//! use canhgac_passwords::{import, ntlm_of, BreachedSet, HashKind};
//! # fn main() -> Result<(), canhgac_passwords::PasswordsError> {
//! let input = std::io::BufReader::new(std::fs::File::open("pwned-passwords-ntlm.txt")?);
//! let report = import(input, HashKind::Ntlm, "ntlm.cgpw".as_ref())?;
//! println!("{} records, {} malformed lines", report.records, report.malformed);
//! let set = BreachedSet::open("ntlm.cgpw".as_ref())?;
//! if let Some(count) = set.lookup(&ntlm_of("password123"))? {
//!     println!("seen {count} times");
//! }
//! # Ok(())
//! # }
//! ```
//!
//! This crate does no network I/O and never writes a password anywhere: malformed input lines
//! are reported by number and reason, never by content (a plaintext list imported by mistake
//! must not end up on a terminal or in a log).

mod audit;
pub mod findings;
mod import;
mod set;

use std::path::PathBuf;

pub use audit::{
    audit, parse_dump, AccountFinding, AuditReport, DumpAccount, NtlmDump, SharedGroup,
    EMPTY_PASSWORD_NT,
};
pub use import::{import, import_with, ImportOptions, ImportProgress, ImportReport};
pub use set::{BreachedSet, FORMAT_VERSION, MAGIC};

/// How many malformed lines a report names (the rest are only counted).
pub const MAX_REPORTED_MALFORMED: usize = 10;

/// The hash algorithm of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HashKind {
    /// SHA-1 of the UTF-8 password (20 bytes).
    Sha1,
    /// NTLM: MD4 of the UTF-16LE password (16 bytes), what Windows stores.
    Ntlm,
}

impl HashKind {
    /// The hash length in bytes.
    pub fn hash_len(self) -> usize {
        match self {
            HashKind::Sha1 => 20,
            HashKind::Ntlm => 16,
        }
    }

    /// The hash of `password` with this algorithm.
    pub fn hash(self, password: &str) -> Vec<u8> {
        match self {
            HashKind::Sha1 => sha1_of(password).to_vec(),
            HashKind::Ntlm => ntlm_of(password).to_vec(),
        }
    }

    /// Decodes a hash written in hex (either case), checking its length.
    pub fn parse_hex(self, text: &str) -> Option<Vec<u8>> {
        let text = text.trim();
        if text.len() != self.hash_len() * 2 {
            return None;
        }
        hex::decode(text).ok()
    }

    fn code(self) -> u8 {
        match self {
            HashKind::Sha1 => 1,
            HashKind::Ntlm => 2,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(HashKind::Sha1),
            2 => Some(HashKind::Ntlm),
            _ => None,
        }
    }
}

impl std::fmt::Display for HashKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            HashKind::Sha1 => "sha1",
            HashKind::Ntlm => "ntlm",
        })
    }
}

/// SHA-1 of the password's UTF-8 bytes, as in the Pwned Passwords SHA-1 list.
pub fn sha1_of(password: &str) -> [u8; 20] {
    use sha1::Digest;
    sha1::Sha1::digest(password.as_bytes()).into()
}

/// The NT hash of a password: MD4 of its UTF-16LE encoding.
pub fn ntlm_of(password: &str) -> [u8; 16] {
    use md4::Digest;
    let mut hasher = md4::Md4::new();
    for unit in password.encode_utf16() {
        hasher.update(unit.to_le_bytes());
    }
    hasher.finalize().into()
}

/// Why an input line was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MalformedReason {
    /// The hash has the wrong number of characters for the list's kind.
    WrongLength,
    /// The hash holds characters other than hexadecimal digits.
    NotHex,
    /// The count after `:` is missing or not a number.
    BadCount,
    /// The line is not made of the expected fields.
    BadFields,
    /// The line is too long to be a hash line.
    TooLong,
}

impl std::fmt::Display for MalformedReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MalformedReason::WrongLength => "wrong hash length",
            MalformedReason::NotHex => "hash is not hexadecimal",
            MalformedReason::BadCount => "missing or invalid count",
            MalformedReason::BadFields => "unexpected fields",
            MalformedReason::TooLong => "line too long",
        })
    }
}

/// A line that was skipped, by number (1-based) and reason; never by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct MalformedLine {
    /// The line number, from 1.
    pub line: u64,
    /// Why it was skipped.
    pub reason: MalformedReason,
}

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum PasswordsError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Reading the input failed.
    #[error("reading the input: {0}")]
    Input(#[from] std::io::Error),
    /// The file is not a breached-password file of this version, or is damaged.
    #[error("{path}: not a canhgac breached-password file, or damaged: {reason}")]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The input held no valid line; nothing was written.
    #[error(
        "no valid {kind} hash line in the input ({malformed} malformed lines); nothing written"
    )]
    Empty {
        /// The expected kind.
        kind: HashKind,
        /// Malformed lines seen.
        malformed: u64,
        /// The first malformed lines.
        first_malformed: Vec<MalformedLine>,
    },
    /// The file holds another kind of hash than the check needs.
    #[error("the file holds {found} hashes; this check needs {expected}")]
    WrongKind {
        /// The kind needed.
        expected: HashKind,
        /// The file's kind.
        found: HashKind,
    },
    /// A hash to look up has the wrong length for the file.
    #[error("a {kind} hash has {expected} bytes, not {got}")]
    HashLength {
        /// The file's kind.
        kind: HashKind,
        /// Its hash length.
        expected: usize,
        /// The length given.
        got: usize,
    },
}

impl PasswordsError {
    fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        PasswordsError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Reads input line by line as bytes, capping a line's length so that a file with no newline
/// (a binary file given by mistake) cannot fill the memory.
pub(crate) struct LineReader<R> {
    inner: R,
    line: Vec<u8>,
    number: u64,
    max: usize,
}

/// One line from a [`LineReader`].
pub(crate) struct Line<'a> {
    pub number: u64,
    pub bytes: &'a [u8],
    pub too_long: bool,
    /// Bytes consumed, newline included.
    pub consumed: u64,
}

impl<R: std::io::BufRead> LineReader<R> {
    pub fn new(inner: R, max: usize) -> Self {
        LineReader {
            inner,
            line: Vec::with_capacity(max),
            number: 0,
            max,
        }
    }

    /// The next line without its `\n` / `\r\n`, or `None` at the end.
    pub fn next_line(&mut self) -> std::io::Result<Option<Line<'_>>> {
        self.line.clear();
        let mut too_long = false;
        let mut consumed = 0u64;
        let mut any = false;
        loop {
            let buf = match self.inner.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                break;
            }
            any = true;
            let (take, done) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (buf.len(), false),
            };
            let content = &buf[..if done { take - 1 } else { take }];
            let room = self.max.saturating_sub(self.line.len());
            if content.len() > room {
                too_long = true;
                self.line.extend_from_slice(&content[..room]);
            } else {
                self.line.extend_from_slice(content);
            }
            self.inner.consume(take);
            consumed += take as u64;
            if done {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        self.number += 1;
        if self.line.last() == Some(&b'\r') {
            self.line.pop();
        }
        Ok(Some(Line {
            number: self.number,
            bytes: &self.line,
            too_long,
            consumed,
        }))
    }
}

#[cfg(test)]
mod tests;
