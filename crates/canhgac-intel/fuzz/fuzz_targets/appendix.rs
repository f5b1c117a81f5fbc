#![no_main]
use canhgac_intel::appendix::{docx_text, pdf_text};
use canhgac_intel::extract::extract;
use libfuzzer_sys::fuzz_target;

// Any bytes, as a DOCX and as a PDF (behind a PDF header so the content-stream reader runs):
// text or an error, never a panic; the extractor runs over whatever text comes out.
fuzz_target!(|data: &[u8]| {
    if let Ok(text) = docx_text(data) {
        let _ = extract(&text);
    }
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.extend_from_slice(data);
    if let Ok(text) = pdf_text(&pdf) {
        let _ = extract(&text);
    }
    let _ = extract(&String::from_utf8_lossy(data));
});
