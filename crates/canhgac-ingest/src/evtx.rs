//! Windows event log files (`.evtx`), read with the `evtx` crate and turned into the flat
//! Windows shape (see the crate docs of `canhgac_model::Fields`): `EventID` (Int, also from the
//! `Qualifiers` form), `Provider_Name`, `Channel`, `Computer`, `Level`, `Task`, `Opcode`,
//! `Keywords`, `EventRecordID`, `TimeCreated`, `Security_UserID`, then every `EventData` name
//! (values as text), unnamed `Data` elements as `Data` (one string, or a list), and the
//! children of `UserData`'s element by name. `Event.time` is the record's timestamp,
//! `Event.host` the `Computer` in lower case, `Event.message` the record as compact JSON.
//!
//! A chunk or record that does not parse becomes one `Err` item (file, chunk, record and
//! reason) and reading goes on with the next.
//!
//! Parallelism: [`EvtxReader`] reads one file on the calling thread. Chunks are independent,
//! so a caller that wants several threads on one file iterates [`chunks`] and sends each
//! [`RawChunk`] to a worker that calls [`RawChunk::decode`]; a caller with many files can as
//! well give each worker whole files.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use canhgac_model::{Event, EventKind, Timestamp};
use evtx::{EvtxChunkData, EvtxParser, IntoIterChunks, ParserSettings};

use crate::{windows, DecodeError};

/// The first bytes of every EVTX file.
pub const MAGIC: &[u8; 8] = b"ElfFile\0";

const FILE_HEADER_SIZE: u64 = 4096;
const CHUNK_SIZE: u64 = 65536;

/// What the parser reads from.
pub trait Source: Read + Seek + Send {}
impl<T: Read + Seek + Send> Source for T {}

type Parser = EvtxParser<Box<dyn Source>>;

/// The events of one EVTX file, in record order.
pub struct EvtxReader {
    chunks: EvtxChunks,
    received: Timestamp,
    pending: VecDeque<Result<Event, DecodeError>>,
}

/// Opens `path` and reads its records; `received` is stamped on every event.
pub fn read_path(path: &Path) -> Result<EvtxReader, DecodeError> {
    Ok(EvtxReader::new(chunks(path)?, Timestamp::now()))
}

/// Reads the records of an EVTX file held in memory (`origin` names it in errors).
pub fn read_bytes(bytes: Vec<u8>, origin: &str) -> Result<EvtxReader, DecodeError> {
    let chunks = EvtxChunks::open(Box::new(Cursor::new(bytes)), origin)?;
    Ok(EvtxReader::new(chunks, Timestamp::now()))
}

impl EvtxReader {
    /// Reads the chunks of `chunks`, stamping `received` on every event.
    pub fn new(chunks: EvtxChunks, received: Timestamp) -> Self {
        Self {
            chunks,
            received,
            pending: VecDeque::new(),
        }
    }
}

impl Iterator for EvtxReader {
    type Item = Result<Event, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Some(item);
            }
            match self.chunks.next()? {
                Ok(chunk) => self.pending.extend(chunk.decode(self.received)),
                Err(err) => return Some(Err(err)),
            }
        }
    }
}

/// The chunks of one EVTX file, undecoded (see the module docs on parallelism).
pub struct EvtxChunks {
    inner: IntoIterChunks<Box<dyn Source>>,
    settings: Arc<ParserSettings>,
    origin: Arc<str>,
    number: u64,
    /// Reported after the last chunk: the file ends inside a chunk, or before the chunks its
    /// header announces (a copy cut short); the parser itself stops quietly there.
    truncated: Option<String>,
}

/// Opens `path` for reading chunk by chunk.
pub fn chunks(path: &Path) -> Result<EvtxChunks, DecodeError> {
    let origin = path.display().to_string();
    let file = File::open(path).map_err(|e| DecodeError::new(format!("{origin}: {e}")))?;
    EvtxChunks::open(Box::new(BufReader::with_capacity(1 << 16, file)), &origin)
}

impl EvtxChunks {
    /// Reads the file header from `source`.
    pub fn open(mut source: Box<dyn Source>, origin: &str) -> Result<Self, DecodeError> {
        let io_error = |e: std::io::Error| DecodeError::new(format!("{origin}: {e}"));
        let len = source.seek(SeekFrom::End(0)).map_err(io_error)?;
        source.seek(SeekFrom::Start(0)).map_err(io_error)?;
        let settings = ParserSettings::new().num_threads(1);
        let parser: Parser = EvtxParser::from_read_seek(source)
            .map_err(|e| DecodeError::new(format!("{origin}: {}", chain(&e))))?
            .with_configuration(settings.clone());
        let body = len.saturating_sub(FILE_HEADER_SIZE);
        let whole_chunks = body / CHUNK_SIZE;
        let announced = u64::from(parser.header().chunk_count);
        let truncated = if body % CHUNK_SIZE != 0 {
            Some(format!(
                "{origin}: file ends {} bytes into chunk {whole_chunks}: truncated",
                body % CHUNK_SIZE
            ))
        } else if whole_chunks < announced {
            Some(format!(
                "{origin}: header announces {announced} chunks, the file holds {whole_chunks}: truncated"
            ))
        } else {
            None
        };
        Ok(Self {
            inner: parser.into_chunks(),
            settings: Arc::new(settings),
            origin: origin.into(),
            number: 0,
            truncated,
        })
    }
}

impl Iterator for EvtxChunks {
    type Item = Result<RawChunk, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        let Some(item) = self.inner.next() else {
            return self
                .truncated
                .take()
                .map(|reason| Err(DecodeError::new(reason)));
        };
        let number = self.number;
        self.number += 1;
        Some(match item {
            Ok(data) => Ok(RawChunk {
                data,
                number,
                settings: Arc::clone(&self.settings),
                origin: Arc::clone(&self.origin),
            }),
            Err(e) => Err(DecodeError::new(format!(
                "{}: chunk {number}: {}",
                self.origin,
                chain(&e)
            ))),
        })
    }
}

/// One chunk's bytes (64 KiB, up to a few hundred records), decodable on any thread.
pub struct RawChunk {
    data: EvtxChunkData,
    number: u64,
    settings: Arc<ParserSettings>,
    origin: Arc<str>,
}

impl RawChunk {
    /// The chunk's number in its file.
    pub fn number(&self) -> u64 {
        self.number
    }

    /// Decodes every record of the chunk; a record that fails is an `Err` naming it.
    pub fn decode(mut self, received: Timestamp) -> Vec<Result<Event, DecodeError>> {
        let number = self.number;
        let origin = Arc::clone(&self.origin);
        let mut chunk = match self.data.parse(Arc::clone(&self.settings)) {
            Ok(chunk) => chunk,
            Err(e) => {
                return vec![Err(DecodeError::new(format!(
                    "{origin}: chunk {number}: {}",
                    chain(&e)
                )))]
            }
        };
        let mut out = Vec::new();
        for record in chunk.iter() {
            let result = record
                .and_then(|record| record.into_json_bytes())
                .map_err(|e| DecodeError::new(format!("{origin}: chunk {number}: {}", chain(&e))))
                .and_then(|record| {
                    decode_record_json(record.data, record.timestamp, received).map_err(|e| {
                        DecodeError::new(format!(
                            "{origin}: chunk {number}: record {}: {}",
                            record.event_record_id, e.reason
                        ))
                        .at_line(record.event_record_id)
                    })
                });
            out.push(result);
        }
        out
    }
}

/// One record as the `evtx` crate renders it in JSON → the flat Windows event. `time` is the
/// record header's timestamp (used when `TimeCreated` is missing).
pub fn decode_record_json(
    json: Vec<u8>,
    time: Timestamp,
    received: Timestamp,
) -> Result<Event, DecodeError> {
    let message = String::from_utf8(json)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    let shape = windows::shape_json(&message)
        .map_err(|e| DecodeError::new(format!("rendered JSON: {e}")))?
        .ok_or_else(|| DecodeError::new("record has no Event.System"))?;
    Ok(Event {
        time: shape.time.unwrap_or(time),
        received,
        kind: EventKind::Evtx,
        host: shape.host,
        peer: None,
        unit_id: None,
        message,
        fields: shape.fields,
    })
}

/// An error and its sources, as one line.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        let inner_text = inner.to_string();
        if !text.contains(&inner_text) {
            text.push_str(": ");
            text.push_str(&inner_text);
        }
        source = inner.source();
    }
    text
}
