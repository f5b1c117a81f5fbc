//! NDJSON batches as the HTTP endpoint (`POST /api/v1/events`) receives them: one JSON object
//! per line, optionally gzip-compressed. A batch is all or nothing: the first bad line rejects
//! the whole batch, naming the line, so a client can fix and resend it without duplicates.

use std::io::Read;

use canhgac_model::{Event, Timestamp};

use crate::json;

/// Decompressed batches larger than this are refused (a gzip bomb guard).
pub const MAX_BATCH_BYTES: usize = 256 << 20;

/// Why a batch was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// The body is not valid gzip.
    #[error("body is not valid gzip: {0}")]
    Gzip(String),
    /// The decompressed body is larger than [`MAX_BATCH_BYTES`].
    #[error("decompressed body is larger than {MAX_BATCH_BYTES} bytes")]
    TooLarge,
    /// One record is longer than the limit.
    #[error("line {line}: event of {len} bytes is larger than the limit of {max} bytes")]
    EventTooLarge {
        /// 1-based line number.
        line: u64,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// One record does not decode.
    #[error("line {line}: {reason}")]
    Line {
        /// 1-based line number.
        line: u64,
        /// Why.
        reason: String,
    },
}

impl BatchError {
    /// The 1-based line of the record at fault, when one is.
    pub fn line(&self) -> Option<u64> {
        match self {
            BatchError::EventTooLarge { line, .. } | BatchError::Line { line, .. } => Some(*line),
            _ => None,
        }
    }
}

/// Decodes every line of `body` (blank lines skipped) into events received at `received`.
pub fn decode_batch(
    body: &[u8],
    gzip: bool,
    received: Timestamp,
    max_event_bytes: usize,
) -> Result<Vec<Event>, BatchError> {
    let inflated;
    let body = if gzip {
        let mut out = Vec::with_capacity(body.len() * 4);
        flate2::read::MultiGzDecoder::new(body)
            .take(MAX_BATCH_BYTES as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|e| BatchError::Gzip(e.to_string()))?;
        if out.len() > MAX_BATCH_BYTES {
            return Err(BatchError::TooLarge);
        }
        inflated = out;
        &inflated[..]
    } else {
        if body.len() > MAX_BATCH_BYTES {
            return Err(BatchError::TooLarge);
        }
        body
    };
    let mut events = Vec::new();
    for (index, line) in body.split(|b| *b == b'\n').enumerate() {
        let line_no = index as u64 + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if line.len() > max_event_bytes {
            return Err(BatchError::EventTooLarge {
                line: line_no,
                len: line.len(),
                max: max_event_bytes,
            });
        }
        let event = json::decode(line, received).map_err(|e| BatchError::Line {
            line: line_no,
            reason: e.reason,
        })?;
        events.push(event);
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn plain_and_gzip_batches() {
        let body = b"{\"message\":\"a\"}\n\n{\"message\":\"b\"}\r\n";
        let now = Timestamp::now();
        let events = decode_batch(body, false, now, 1000).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[1].message, "b");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(body).unwrap();
        let compressed = gz.finish().unwrap();
        assert_eq!(decode_batch(&compressed, true, now, 1000).unwrap(), events);
        assert!(matches!(
            decode_batch(body, true, now, 1000),
            Err(BatchError::Gzip(_))
        ));
    }

    #[test]
    fn a_bad_line_rejects_the_batch_and_is_named() {
        let now = Timestamp::now();
        let err = decode_batch(b"{}\n{\"a\":1}\n{oops\n{}", false, now, 1000).unwrap_err();
        assert_eq!(err.line(), Some(3));
        assert!(err.to_string().starts_with("line 3: invalid JSON"), "{err}");
        let err = decode_batch(b"{}\n{\"a\":\"0123456789\"}", false, now, 10).unwrap_err();
        assert_eq!(
            err,
            BatchError::EventTooLarge {
                line: 2,
                len: 18,
                max: 10
            }
        );
    }
}
