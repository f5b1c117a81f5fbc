//! The file format and [`BreachedSet`], lookups by binary search with positioned reads.
//!
//! Layout (little-endian):
//!
//! | offset | size | content |
//! |---|---|---|
//! | 0 | 8 | [`MAGIC`] |
//! | 8 | 4 | [`FORMAT_VERSION`] |
//! | 12 | 1 | kind: 1 SHA-1, 2 NTLM |
//! | 13 | 3 | zero |
//! | 16 | 8 | record count |
//! | 24 | 4 | fan-out bits (16) |
//! | 28 | 4 | zero |
//! | 32 | 8 × 65 536 | fan-out: records whose first two bytes are ≤ the index |
//! | 524 320 | n × (hash + 4) | records sorted by hash: hash bytes, count (u32) |
//!
//! The fan-out table (512 KiB, read once at open) narrows a lookup to the records sharing the
//! hash's first two bytes, so that a lookup takes a handful of reads even for a billion records.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::{HashKind, PasswordsError};

/// The first bytes of a breached-password file.
pub const MAGIC: [u8; 8] = *b"CGPWHASH";
/// The version of the format this crate writes and reads.
pub const FORMAT_VERSION: u32 = 1;
const HEADER_LEN: u64 = 32;
const FANOUT_BITS: u32 = 16;
const FANOUT_LEN: usize = 1 << FANOUT_BITS;
const RECORDS_START: u64 = HEADER_LEN + 8 * FANOUT_LEN as u64;
/// Below this many candidate records, read them all at once instead of bisecting further.
const WINDOW: u64 = 64;

fn prefix(hash: &[u8]) -> usize {
    usize::from(hash[0]) << 8 | usize::from(hash[1])
}

/// Writes a breached-password file from records given in strictly increasing hash order.
pub(crate) struct SetWriter {
    out: BufWriter<File>,
    kind: HashKind,
    count: u64,
    fanout_counts: Vec<u64>,
    path: PathBuf,
}

impl SetWriter {
    pub fn new(file: File, kind: HashKind, path: &Path) -> Result<Self, PasswordsError> {
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let io = |e| PasswordsError::io(path, e);
        out.write_all(&[0u8; RECORDS_START as usize]).map_err(io)?;
        Ok(SetWriter {
            out,
            kind,
            count: 0,
            fanout_counts: vec![0; FANOUT_LEN],
            path: path.to_path_buf(),
        })
    }

    /// Appends a record; the caller keeps hashes strictly increasing.
    pub fn push(&mut self, hash: &[u8], count: u32) -> Result<(), PasswordsError> {
        debug_assert_eq!(hash.len(), self.kind.hash_len());
        self.fanout_counts[prefix(hash)] += 1;
        self.count += 1;
        self.out
            .write_all(hash)
            .and_then(|()| self.out.write_all(&count.to_le_bytes()))
            .map_err(|e| PasswordsError::io(&self.path, e))
    }

    /// Records written so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Writes the header and the fan-out table, and syncs the file to disk.
    pub fn finish(self) -> Result<(File, u64), PasswordsError> {
        let path = self.path;
        let io = |e| PasswordsError::io(&path, e);
        let mut file = self.out.into_inner().map_err(|e| io(e.into_error()))?;
        let mut head = Vec::with_capacity(RECORDS_START as usize);
        head.extend_from_slice(&MAGIC);
        head.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        head.extend_from_slice(&[self.kind.code(), 0, 0, 0]);
        head.extend_from_slice(&self.count.to_le_bytes());
        head.extend_from_slice(&FANOUT_BITS.to_le_bytes());
        head.extend_from_slice(&[0; 4]);
        let mut total = 0u64;
        for n in &self.fanout_counts {
            total += n;
            head.extend_from_slice(&total.to_le_bytes());
        }
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        file.write_all(&head).map_err(io)?;
        file.sync_all().map_err(io)?;
        let size = RECORDS_START + self.count * (self.kind.hash_len() as u64 + 4);
        Ok((file, size))
    }
}

/// An opened breached-password file.
#[derive(Debug)]
pub struct BreachedSet {
    file: File,
    path: PathBuf,
    kind: HashKind,
    count: u64,
    fanout: Vec<u64>,
}

impl BreachedSet {
    /// Opens a file written by [`crate::import()`], checking its header and size.
    pub fn open(path: &Path) -> Result<Self, PasswordsError> {
        let file = File::open(path).map_err(|e| PasswordsError::io(path, e))?;
        let bad = |reason: &str| PasswordsError::BadFile {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        };
        let mut head = vec![0u8; RECORDS_START as usize];
        file.read_exact_at(&mut head, 0)
            .map_err(|_| bad("shorter than its header"))?;
        if head[..8] != MAGIC {
            return Err(bad("wrong magic bytes"));
        }
        let u32_at =
            |at: usize| u32::from_le_bytes([head[at], head[at + 1], head[at + 2], head[at + 3]]);
        let u64_at = |at: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&head[at..at + 8]);
            u64::from_le_bytes(b)
        };
        let version = u32_at(8);
        if version != FORMAT_VERSION {
            return Err(bad(&format!(
                "format version {version}, this canhgac reads {FORMAT_VERSION}"
            )));
        }
        let kind = HashKind::from_code(head[12]).ok_or_else(|| bad("unknown hash kind"))?;
        let count = u64_at(16);
        if u32_at(24) != FANOUT_BITS {
            return Err(bad("unexpected fan-out size"));
        }
        let fanout: Vec<u64> = (0..FANOUT_LEN)
            .map(|i| u64_at(HEADER_LEN as usize + 8 * i))
            .collect();
        if fanout.windows(2).any(|w| w[0] > w[1]) || fanout[FANOUT_LEN - 1] != count {
            return Err(bad("inconsistent fan-out table"));
        }
        let expected = count
            .checked_mul(kind.hash_len() as u64 + 4)
            .and_then(|n| n.checked_add(RECORDS_START))
            .ok_or_else(|| bad("impossible record count"))?;
        let size = file
            .metadata()
            .map_err(|e| PasswordsError::io(path, e))?
            .len();
        if size != expected {
            return Err(bad(&format!(
                "{size} bytes where {count} records take {expected} (truncated?)"
            )));
        }
        Ok(BreachedSet {
            file,
            path: path.to_path_buf(),
            kind,
            count,
            fanout,
        })
    }

    /// The hash algorithm of the file.
    pub fn kind(&self) -> HashKind {
        self.kind
    }

    /// The number of distinct hashes.
    pub fn len(&self) -> u64 {
        self.count
    }

    /// Whether the file holds no hash.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// How often the hash was seen in breaches, or `None` when it is not in the file.
    pub fn lookup(&self, hash: &[u8]) -> Result<Option<u32>, PasswordsError> {
        let hash_len = self.kind.hash_len();
        if hash.len() != hash_len {
            return Err(PasswordsError::HashLength {
                kind: self.kind,
                expected: hash_len,
                got: hash.len(),
            });
        }
        let record = hash_len + 4;
        let p = prefix(hash);
        let mut low = if p == 0 { 0 } else { self.fanout[p - 1] };
        let mut high = self.fanout[p];
        let io = |e| PasswordsError::io(&self.path, e);
        let mut buf = [0u8; 24];
        // Bisect on positioned reads of one record until the range fits in one read.
        while high - low > WINDOW {
            let mid = low + (high - low) / 2;
            self.file
                .read_exact_at(&mut buf[..record], RECORDS_START + mid * record as u64)
                .map_err(io)?;
            match buf[..hash_len].cmp(hash) {
                std::cmp::Ordering::Less => low = mid + 1,
                std::cmp::Ordering::Greater => high = mid,
                std::cmp::Ordering::Equal => return Ok(Some(count_of(&buf[hash_len..record]))),
            }
        }
        if low == high {
            return Ok(None);
        }
        let mut window = [0u8; WINDOW as usize * 24];
        let window = &mut window[..(high - low) as usize * record];
        self.file
            .read_exact_at(window, RECORDS_START + low * record as u64)
            .map_err(io)?;
        let (mut lo, mut hi) = (0, (high - low) as usize);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let at = mid * record;
            match window[at..at + hash_len].cmp(hash) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => {
                    return Ok(Some(count_of(&window[at + hash_len..at + record])))
                }
            }
        }
        Ok(None)
    }
}

fn count_of(bytes: &[u8]) -> u32 {
    u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

/// Where the records start in a file (after the header and the fan-out table).
pub(crate) fn records_start() -> u64 {
    RECORDS_START
}
