//! Just enough of the zip format to read OSV's per-ecosystem `all.zip`: the central directory,
//! stored and deflated members. No ZIP64, encryption or multi-disk archives (OSV uses none).

use std::io::Read;

use flate2::read::DeflateDecoder;

const END_OF_DIRECTORY: u32 = 0x0605_4b50;
const DIRECTORY_ENTRY: u32 = 0x0201_4b50;
const LOCAL_HEADER: u32 = 0x0403_4b50;

/// The largest member we inflate (an OSV record is a few kilobytes).
const MEMBER_LIMIT: u64 = 64 << 20;

/// One member of an archive, decompressed.
pub(crate) struct Member {
    pub(crate) name: String,
    pub(crate) data: Vec<u8>,
}

fn u16_at(bytes: &[u8], at: usize) -> Option<usize> {
    let pair = bytes.get(at..at + 2)?;
    Some(u16::from_le_bytes([pair[0], pair[1]]) as usize)
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let quad = bytes.get(at..at + 4)?;
    Some(u32::from_le_bytes([quad[0], quad[1], quad[2], quad[3]]))
}

/// Whether `bytes` start like a zip archive.
pub(crate) fn looks_like_zip(bytes: &[u8]) -> bool {
    u32_at(bytes, 0) == Some(LOCAL_HEADER) || u32_at(bytes, 0) == Some(END_OF_DIRECTORY)
}

/// The members of the archive whose name passes `wanted`, in directory order.
pub(crate) fn read_members(
    bytes: &[u8],
    wanted: impl Fn(&str) -> bool,
) -> Result<Vec<Member>, String> {
    // The end record is 22 bytes plus a comment of up to 65,535 bytes.
    let lowest = bytes.len().saturating_sub(22 + 65_535);
    let end = (lowest..=bytes.len().saturating_sub(22))
        .rev()
        .find(|&at| u32_at(bytes, at) == Some(END_OF_DIRECTORY))
        .ok_or("no zip end-of-directory record")?;
    let entries = u16_at(bytes, end + 10).ok_or("truncated end record")?;
    let directory = u32_at(bytes, end + 16).ok_or("truncated end record")? as usize;
    if directory == 0xffff_ffff {
        return Err("ZIP64 archives are not supported".to_owned());
    }
    let mut members = Vec::new();
    let mut at = directory;
    for _ in 0..entries {
        if u32_at(bytes, at) != Some(DIRECTORY_ENTRY) {
            return Err(format!("bad central directory entry at byte {at}"));
        }
        let truncated = || format!("truncated central directory entry at byte {at}");
        let method = u16_at(bytes, at + 10).ok_or_else(truncated)?;
        let flags = u16_at(bytes, at + 8).ok_or_else(truncated)?;
        let compressed = u32_at(bytes, at + 20).ok_or_else(truncated)? as usize;
        let size = u32_at(bytes, at + 24).ok_or_else(truncated)? as usize;
        let name_len = u16_at(bytes, at + 28).ok_or_else(truncated)?;
        let extra_len = u16_at(bytes, at + 30).ok_or_else(truncated)?;
        let comment_len = u16_at(bytes, at + 32).ok_or_else(truncated)?;
        let local = u32_at(bytes, at + 42).ok_or_else(truncated)? as usize;
        let name_bytes = bytes
            .get(at + 46..at + 46 + name_len)
            .ok_or_else(truncated)?;
        let name = String::from_utf8_lossy(name_bytes).into_owned();
        at += 46 + name_len + extra_len + comment_len;
        if name.ends_with('/') || !wanted(&name) {
            continue;
        }
        if flags & 1 != 0 {
            return Err(format!("{name} is encrypted"));
        }
        if u32_at(bytes, local) != Some(LOCAL_HEADER) {
            return Err(format!("{name}: bad local header"));
        }
        let local_name = u16_at(bytes, local + 26).ok_or("truncated local header")?;
        let local_extra = u16_at(bytes, local + 28).ok_or("truncated local header")?;
        let start = local + 30 + local_name + local_extra;
        let raw = bytes
            .get(start..start + compressed)
            .ok_or_else(|| format!("{name}: data runs past the end of the archive"))?;
        let data = match method {
            0 => raw.to_vec(),
            8 => {
                // The sizes come from the archive: trust them for neither the allocation nor
                // the output (a member that inflates past MEMBER_LIMIT is refused).
                let mut data =
                    Vec::with_capacity(size.min(raw.len().saturating_mul(4)).min(1 << 24));
                DeflateDecoder::new(raw)
                    .take(MEMBER_LIMIT + 1)
                    .read_to_end(&mut data)
                    .map_err(|error| format!("{name}: {error}"))?;
                if data.len() as u64 > MEMBER_LIMIT {
                    return Err(format!("{name} inflates to more than {MEMBER_LIMIT} bytes"));
                }
                data
            }
            other => return Err(format!("{name}: compression method {other} not supported")),
        };
        members.push(Member { name, data });
    }
    Ok(members)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(mut bytes in proptest::collection::vec(any::<u8>(), 0..400), cut in 0usize..400) {
            // Plant signatures so the walk gets past the first checks.
            if bytes.len() >= 30 {
                bytes[..4].copy_from_slice(&LOCAL_HEADER.to_le_bytes());
                let at = cut.min(bytes.len() - 22);
                bytes[at..at + 4].copy_from_slice(&END_OF_DIRECTORY.to_le_bytes());
            }
            let _ = read_members(&bytes, |_| true);
        }
    }
}
