//! Log files: which format a file holds ([`sniff`]) and reading it as events ([`read_file`]).
//! Line formats report the 1-based line number of a line that does not decode; syslog lines
//! always decode (what is not syslog becomes a `Raw` event).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use canhgac_model::{Event, Timestamp};

use crate::syslog::DecodeOptions;
use crate::{access_log, evtx, json, syslog, DecodeError};

/// The formats canhgac reads from files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileFormat {
    /// Windows event log (`.evtx`).
    Evtx,
    /// One JSON object per line.
    JsonLines,
    /// Syslog lines (RFC 3164/5424, or a syslog daemon's file).
    Syslog,
    /// Apache/Nginx access log (common or combined).
    AccessLog,
}

/// Lines longer than this are an error (a file that is not text at all).
pub const MAX_LINE: usize = 1 << 20;

/// Guesses the format of `path`: EVTX by its magic bytes, then by the first non-empty line
/// (`{` → JSON lines, an access log line → access log, else syslog). `None` when the file
/// cannot be read or is empty.
pub fn sniff(path: &Path) -> Option<FileFormat> {
    let mut head = Vec::with_capacity(4096);
    File::open(path)
        .ok()?
        .take(64 * 1024)
        .read_to_end(&mut head)
        .ok()?;
    if head.starts_with(evtx::MAGIC) {
        return Some(FileFormat::Evtx);
    }
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if extension.as_deref() == Some("evtx") {
        // Named EVTX but without the magic: still read as EVTX, which reports why it fails.
        return Some(FileFormat::Evtx);
    }
    let text = String::from_utf8_lossy(&head);
    let first = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    Some(if first.starts_with('{') {
        FileFormat::JsonLines
    } else if access_log::looks_like(first) {
        FileFormat::AccessLog
    } else {
        FileFormat::Syslog
    })
}

/// Events read from a file.
pub type FileEvents = Box<dyn Iterator<Item = Result<Event, DecodeError>> + Send>;

/// Opens `path` and yields its events; the format is sniffed when `format` is `None`. Syslog
/// timestamps without a zone are read in the default zone (see [`read_file_with`]).
pub fn read_file(path: &Path, format: Option<FileFormat>) -> Result<FileEvents, io::Error> {
    read_file_with(path, format, &DecodeOptions::default())
}

/// [`read_file`] with the zone of RFC 3164 timestamps (a syslog file keeps the local time of
/// the machine that wrote it).
pub fn read_file_with(
    path: &Path,
    format: Option<FileFormat>,
    options: &DecodeOptions,
) -> Result<FileEvents, io::Error> {
    let format = match format.or_else(|| sniff(path)) {
        Some(format) => format,
        None => {
            // Empty or unreadable: opening says which.
            File::open(path)?;
            return Ok(Box::new(std::iter::empty()));
        }
    };
    let received = Timestamp::now();
    if format == FileFormat::Evtx {
        File::open(path)?;
        return Ok(match evtx::read_path(path) {
            Ok(reader) => Box::new(reader),
            Err(err) => Box::new(std::iter::once(Err(err))),
        });
    }
    let reader = BufReader::with_capacity(1 << 16, File::open(path)?);
    Ok(Box::new(Lines::new(
        reader,
        format,
        received,
        options.clone(),
    )))
}

/// Decodes the lines of `reader` as `format` (not EVTX, which is not line-based).
pub fn read_lines<R: BufRead + Send + 'static>(
    reader: R,
    format: FileFormat,
    received: Timestamp,
    options: &DecodeOptions,
) -> FileEvents {
    Box::new(Lines::new(reader, format, received, options.clone()))
}

struct Lines<R> {
    reader: R,
    format: FileFormat,
    received: Timestamp,
    line: u64,
    buf: Vec<u8>,
    done: bool,
    options: DecodeOptions,
}

impl<R: BufRead> Lines<R> {
    fn new(reader: R, format: FileFormat, received: Timestamp, options: DecodeOptions) -> Self {
        Self {
            reader,
            format,
            received,
            options,
            line: 0,
            buf: Vec::new(),
            done: false,
        }
    }

    fn decode(&self, bytes: &[u8]) -> Result<Event, DecodeError> {
        match self.format {
            FileFormat::Syslog => Ok(syslog::decode_with(
                bytes,
                self.received,
                None,
                &self.options,
            )),
            FileFormat::JsonLines => json::decode(bytes, self.received),
            FileFormat::AccessLog => {
                access_log::decode(&String::from_utf8_lossy(bytes), self.received)
            }
            FileFormat::Evtx => Err(DecodeError::new("EVTX is not a line format")),
        }
    }
}

impl<R: BufRead> Iterator for Lines<R> {
    type Item = Result<Event, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            self.buf.clear();
            let read = (&mut self.reader)
                .take(MAX_LINE as u64 + 1)
                .read_until(b'\n', &mut self.buf);
            match read {
                Ok(0) => {
                    self.done = true;
                    return None;
                }
                Ok(_) => {}
                Err(e) => {
                    self.done = true;
                    return Some(Err(
                        DecodeError::new(format!("read error: {e}")).at_line(self.line + 1)
                    ));
                }
            }
            self.line += 1;
            if self.buf.len() > MAX_LINE && !self.buf.ends_with(b"\n") {
                // Skip the rest of the overlong line.
                let mut sink = Vec::new();
                let _ = self.reader.read_until(b'\n', &mut sink);
                return Some(Err(DecodeError::new(format!(
                    "line longer than {MAX_LINE} bytes"
                ))
                .at_line(self.line)));
            }
            let bytes = trim(&self.buf);
            if bytes.is_empty() {
                continue;
            }
            return Some(self.decode(bytes).map_err(|e| e.at_line(self.line)));
        }
        None
    }
}

fn trim(mut bytes: &[u8]) -> &[u8] {
    while let [rest @ .., b'\n' | b'\r' | b' ' | b'\t'] = bytes {
        bytes = rest;
    }
    while let [b' ' | b'\t' | b'\r', rest @ ..] = bytes {
        bytes = rest;
    }
    // A UTF-8 BOM at the start of a file.
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(name: &str, content: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::File::create(&path)
            .unwrap()
            .write_all(content)
            .unwrap();
        (dir, path)
    }

    #[test]
    fn sniffs_each_format() {
        let (_d, p) = file("a.log", b"\n{\"a\":1}\n");
        assert_eq!(sniff(&p), Some(FileFormat::JsonLines));
        let (_d, p) = file(
            "access.log",
            br##"192.0.2.1 - - [01/Jan/2026:00:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "curl""##,
        );
        assert_eq!(sniff(&p), Some(FileFormat::AccessLog));
        let (_d, p) = file("syslog", b"Nov 26 07:00:00 h app: x\n");
        assert_eq!(sniff(&p), Some(FileFormat::Syslog));
        let (_d, p) = file("x.bin", b"ElfFile\0rest");
        assert_eq!(sniff(&p), Some(FileFormat::Evtx));
        let (_d, p) = file("empty", b"");
        assert_eq!(sniff(&p), None);
    }

    #[test]
    fn json_lines_report_the_bad_line_and_go_on() {
        let (_d, p) = file("e.ndjson", b"{\"a\":1}\n\nnot json\r\n{\"a\":2}\n");
        let items: Vec<_> = read_file(&p, None).unwrap().collect();
        assert_eq!(items.len(), 3);
        assert_eq!(items[1].as_ref().unwrap_err().line, Some(3));
        assert_eq!(
            items[2].as_ref().unwrap().fields.get("a"),
            Some(&canhgac_model::FieldValue::Int(2))
        );
    }

    #[test]
    fn syslog_and_access_log_files_in_a_chosen_zone() {
        let (_d, p) = file(
            "messages",
            b"Nov 26 07:00:00 h sshd[1]: Accepted\nnot syslog at all\n",
        );
        let options = DecodeOptions {
            time_zone: jiff::tz::TimeZone::UTC,
        };
        let events: Vec<_> = read_file_with(&p, None, &options)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].fields.get_str("program"), Some("sshd"));
        assert_eq!(events[0].time.strftime("%H:%M").to_string(), "07:00");
        assert_eq!(events[1].kind, canhgac_model::EventKind::Raw);
        let (_d, p) = file(
            "access.log",
            b"192.0.2.1 - - [01/Jan/2026:00:00:00 +0000] \"GET / HTTP/1.1\" 200 1\ngarbage\n",
        );
        let items: Vec<_> = read_file(&p, None).unwrap().collect();
        assert!(items[0].is_ok());
        assert_eq!(items[1].as_ref().unwrap_err().line, Some(2));
    }

    #[test]
    fn truncated_evtx_is_an_error_not_a_panic() {
        let (_d, p) = file("bad.evtx", b"ElfFile\0\x01\x02");
        let items: Vec<_> = read_file(&p, None).unwrap().collect();
        assert_eq!(items.len(), 1);
        assert!(items[0].as_ref().unwrap_err().reason.contains("bad.evtx"));
    }
}
