//! Recognises indicators in 20 MB of appendix-like text (prose, defanged addresses, hashes,
//! file names and version numbers) and prints the time.
//!
//! `cargo bench -p canhgac-intel --bench extract`

use std::fmt::Write;
use std::time::Instant;

use canhgac_intel::extract::extract;

fn main() {
    let mut text = String::with_capacity(21_000_000);
    let mut line = 0u32;
    while text.len() < 20_000_000 {
        line += 1;
        writeln!(
            text,
            "{line}. Máy chủ 45.{}.{}[.]{} tải tệp update.exe từ hxxp://cdn{}[.]example[.]top/a.php, \
             mã băm {:064x}, phiên bản 8.8.15.{}; liên hệ hotro{}[at]mail[.]vn.",
            line % 256,
            (line / 7) % 256,
            line % 13,
            line % 5000,
            line,
            line % 100,
            line % 300
        )
        .expect("writing to a String cannot fail");
    }
    let started = Instant::now();
    let found = extract(&text);
    let elapsed = started.elapsed();
    println!(
        "{} MB, {line} lines: {} distinct indicators in {elapsed:.2?} ({:.0} MB/s)",
        text.len() / 1_000_000,
        found.len(),
        text.len() as f64 / 1e6 / elapsed.as_secs_f64()
    );
}
