//! Text of a PDF's content streams (see the module documentation of [`super`]).

use std::io::Read;

use super::{AppendixError, MAX_PART_BYTES};

/// The text shown by the text operators of every content stream, in file order.
pub fn pdf_text(bytes: &[u8]) -> Result<String, AppendixError> {
    if !bytes
        .get(..1024)
        .unwrap_or(bytes)
        .windows(5)
        .any(|window| window == b"%PDF-")
    {
        return Err(AppendixError::Pdf("thiếu %PDF- / no %PDF- header".into()));
    }
    let mut text = String::new();
    let mut position = 0;
    while let Some(found) = find(&bytes[position..], b"stream") {
        let keyword = position + found;
        position = keyword + 6;
        // `endstream` also contains `stream`; only a `stream` keyword after a dictionary counts.
        if keyword >= 3 && &bytes[keyword - 3..keyword] == b"end" {
            continue;
        }
        let Some(dictionary) = dictionary_before(bytes, keyword) else {
            continue;
        };
        let mut start = keyword + 6;
        if bytes.get(start) == Some(&b'\r') {
            start += 1;
        }
        if bytes.get(start) == Some(&b'\n') {
            start += 1;
        }
        let Some(length) = find(&bytes[start..], b"endstream") else {
            break;
        };
        let data = &bytes[start..start + length];
        position = start + length + 9;
        // Images, cross-reference streams and embedded font programs hold no page text.
        let skipped = [
            b"Length1".as_slice(),
            b"Length2",
            b"Type1C",
            b"CIDFontType0C",
            b"OpenType",
            b"Image",
            b"XRef",
            b"ObjStm",
        ];
        if skipped.iter().any(|name| dictionary_says(dictionary, name)) {
            continue;
        }
        let decoded = if dictionary_says(dictionary, b"FlateDecode") {
            if has_other_filter(dictionary) {
                continue;
            }
            match inflate(data) {
                Some(decoded) => decoded,
                None => continue,
            }
        } else if dictionary_says(dictionary, b"Filter") {
            continue;
        } else {
            data.to_vec()
        };
        if find(&decoded, b"BT").is_some() {
            content_text(&decoded, &mut text);
        }
    }
    if text.trim().is_empty() {
        return Err(AppendixError::Pdf(
            "không có lớp văn bản / no text layer (scanned pages or CID fonts)".into(),
        ));
    }
    Ok(text)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// The `<< … >>` dictionary that ends right before a `stream` keyword.
fn dictionary_before(bytes: &[u8], keyword: usize) -> Option<&[u8]> {
    let before = &bytes[..keyword];
    let end = before.iter().rposition(|&b| !b.is_ascii_whitespace())?;
    if end < 1 || &before[end - 1..=end] != b">>" {
        return None;
    }
    // Walk back to the matching `<<`, counting nested dictionaries.
    let mut depth = 0usize;
    let mut index = end + 1;
    while index >= 2 {
        let pair = &before[index - 2..index];
        if pair == b">>" {
            depth += 1;
            index -= 2;
        } else if pair == b"<<" {
            depth = depth.saturating_sub(1);
            index -= 2;
            if depth == 0 {
                return Some(&before[index..=end]);
            }
        } else {
            index -= 1;
        }
    }
    None
}

/// Whether the dictionary holds the name `/name` (a whole name: `/Length1` is not `/Length`).
fn dictionary_says(dictionary: &[u8], name: &[u8]) -> bool {
    dictionary.split(|&b| b == b'/').skip(1).any(|token| {
        let end = token
            .iter()
            .position(|&b| !is_regular(b))
            .unwrap_or(token.len());
        &token[..end] == name
    })
}

fn has_other_filter(dictionary: &[u8]) -> bool {
    [
        b"ASCIIHexDecode".as_slice(),
        b"ASCII85Decode",
        b"LZWDecode",
        b"RunLengthDecode",
        b"DCTDecode",
        b"JPXDecode",
        b"CCITTFaxDecode",
        b"JBIG2Decode",
    ]
    .iter()
    .any(|filter| dictionary_says(dictionary, filter))
}

fn inflate(data: &[u8]) -> Option<Vec<u8>> {
    let mut decoded = Vec::new();
    let mut decoder = flate2::read::ZlibDecoder::new(data).take(MAX_PART_BYTES);
    match decoder.read_to_end(&mut decoded) {
        Ok(_) => Some(decoded),
        // A stream cut short still gives what was inflated before the cut.
        Err(_) if !decoded.is_empty() => Some(decoded),
        Err(_) => None,
    }
}

/// One token of a content stream that matters for text.
enum Token {
    Number(f64),
    Text(Vec<u8>),
    ArrayStart,
    ArrayEnd,
    /// A name (`/F1`): an operand the text does not need.
    Name,
    Operator(Vec<u8>),
}

/// Appends the text a content stream shows.
fn content_text(stream: &[u8], out: &mut String) {
    let mut operands: Vec<Token> = Vec::new();
    let mut tokens = Tokens {
        bytes: stream,
        at: 0,
    };
    let mut in_array: Option<Vec<Token>> = None;
    while let Some(token) = tokens.next_token() {
        match token {
            Token::ArrayStart => in_array = Some(Vec::new()),
            Token::ArrayEnd => {
                if let Some(items) = in_array.take() {
                    // Only TJ takes an array that matters; keep its pieces as one operand.
                    let mut joined = Vec::new();
                    for item in items {
                        match item {
                            Token::Text(bytes) => joined.extend(bytes),
                            // A large negative adjustment is a gap between words.
                            Token::Number(n) if n < -200.0 => joined.push(b' '),
                            _ => {}
                        }
                    }
                    operands.push(Token::Text(joined));
                }
            }
            token @ (Token::Number(_) | Token::Text(_) | Token::Name) => match &mut in_array {
                Some(items) => items.push(token),
                None => operands.push(token),
            },
            Token::Operator(operator) => {
                if in_array.is_some() {
                    // An operator inside an array: a broken stream. Drop the array.
                    in_array = None;
                }
                apply_operator(&operator, &operands, out);
                operands.clear();
            }
        }
    }
}

fn apply_operator(operator: &[u8], operands: &[Token], out: &mut String) {
    let last_text = || {
        operands.iter().rev().find_map(|token| match token {
            Token::Text(bytes) => Some(bytes.as_slice()),
            _ => None,
        })
    };
    match operator {
        b"Tj" | b"TJ" => {
            if let Some(bytes) = last_text() {
                push_pdf_string(bytes, out);
            }
        }
        b"'" | b"\"" => {
            new_line(out);
            if let Some(bytes) = last_text() {
                push_pdf_string(bytes, out);
            }
        }
        b"T*" | b"ET" | b"Tm" => new_line(out),
        b"Td" | b"TD" => {
            let numbers: Vec<f64> = operands
                .iter()
                .filter_map(|token| match token {
                    Token::Number(n) => Some(*n),
                    _ => None,
                })
                .collect();
            match numbers.as_slice() {
                [_, ty] if ty.abs() > 0.01 => new_line(out),
                // A move along the line: the next cell of a table row.
                [tx, _] if tx.abs() > 0.01 && !out.ends_with(['\n', '\t']) && !out.is_empty() => {
                    out.push('\t')
                }
                _ => {}
            }
        }
        _ => {}
    }
}

fn new_line(out: &mut String) {
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

/// A PDF string's bytes as text: UTF-16BE with a byte-order mark, else one byte per character.
fn push_pdf_string(bytes: &[u8], out: &mut String) {
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        let units = rest
            .chunks_exact(2)
            .map(|pair| u16::from_be_bytes([pair[0], pair[1]]));
        out.extend(char::decode_utf16(units).map(|c| c.unwrap_or('\u{FFFD}')));
    } else {
        out.extend(bytes.iter().map(|&b| char::from(b)));
    }
}

struct Tokens<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Tokens<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn next_token(&mut self) -> Option<Token> {
        loop {
            let byte = self.peek()?;
            match byte {
                b if b.is_ascii_whitespace() || b == 0 => self.at += 1,
                b'%' => {
                    while let Some(b) = self.peek() {
                        self.at += 1;
                        if b == b'\n' || b == b'\r' {
                            break;
                        }
                    }
                }
                b'(' => return Some(Token::Text(self.literal_string())),
                b'<' if self.bytes.get(self.at + 1) == Some(&b'<') => {
                    // An inline dictionary (marked content properties): skipped.
                    self.skip_dictionary();
                }
                b'<' => return Some(Token::Text(self.hex_string())),
                b'[' => {
                    self.at += 1;
                    return Some(Token::ArrayStart);
                }
                b']' => {
                    self.at += 1;
                    return Some(Token::ArrayEnd);
                }
                b'/' => {
                    // A name: an operand we do not need.
                    self.at += 1;
                    while self.peek().is_some_and(is_regular) {
                        self.at += 1;
                    }
                    return Some(Token::Name);
                }
                b'>' | b')' | b'{' | b'}' => self.at += 1,
                _ => {
                    let start = self.at;
                    while self.peek().is_some_and(is_regular) {
                        self.at += 1;
                    }
                    let word = &self.bytes[start..self.at];
                    if word.is_empty() {
                        self.at += 1;
                        continue;
                    }
                    if word == b"BI" {
                        self.skip_inline_image();
                        continue;
                    }
                    let number = std::str::from_utf8(word)
                        .ok()
                        .and_then(|text| text.parse::<f64>().ok());
                    return Some(match number {
                        Some(n) => Token::Number(n),
                        None => Token::Operator(word.to_vec()),
                    });
                }
            }
        }
    }

    fn literal_string(&mut self) -> Vec<u8> {
        self.at += 1;
        let mut depth = 1usize;
        let mut out = Vec::new();
        while let Some(byte) = self.peek() {
            self.at += 1;
            match byte {
                b'\\' => {
                    let Some(next) = self.peek() else { break };
                    self.at += 1;
                    match next {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'\r' => {
                            if self.peek() == Some(b'\n') {
                                self.at += 1;
                            }
                        }
                        b'\n' => {}
                        b'0'..=b'7' => {
                            let mut value = u32::from(next - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        value = value * 8 + u32::from(d - b'0');
                                        self.at += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push((value & 0xFF) as u8);
                        }
                        other => out.push(other),
                    }
                }
                b'(' => {
                    depth += 1;
                    out.push(byte);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                    out.push(byte);
                }
                _ => out.push(byte),
            }
        }
        out
    }

    fn hex_string(&mut self) -> Vec<u8> {
        self.at += 1;
        let mut digits = Vec::new();
        while let Some(byte) = self.peek() {
            self.at += 1;
            if byte == b'>' {
                break;
            }
            if let Some(value) = char::from(byte).to_digit(16) {
                digits.push(value as u8);
            }
        }
        if digits.len() % 2 == 1 {
            digits.push(0);
        }
        digits
            .chunks_exact(2)
            .map(|pair| pair[0] * 16 + pair[1])
            .collect()
    }

    fn skip_dictionary(&mut self) {
        let mut depth = 0usize;
        while self.at < self.bytes.len() {
            let pair = self.bytes.get(self.at..self.at + 2);
            if pair == Some(b"<<") {
                depth += 1;
                self.at += 2;
            } else if pair == Some(b">>") {
                depth = depth.saturating_sub(1);
                self.at += 2;
                if depth == 0 {
                    return;
                }
            } else {
                self.at += 1;
            }
        }
    }

    fn skip_inline_image(&mut self) {
        match find(&self.bytes[self.at..], b"EI") {
            Some(offset) => self.at += offset + 2,
            None => self.at = self.bytes.len(),
        }
    }
}

fn is_regular(byte: u8) -> bool {
    !byte.is_ascii_whitespace()
        && byte != 0
        && !matches!(
            byte,
            b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
        )
}
