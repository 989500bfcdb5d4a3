//! The regular files of a plain (ustar) tar archive, for the drafting corpus: the
//! `[winnt]` archive unpacked in memory by `benches/draft.rs` and `tests/draft.rs`.

/// The regular files of `tar`, `(path, text)`, in the archive's order.
pub fn untar(tar: &[u8]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 512 <= tar.len() {
        let header = &tar[at..at + 512];
        if header.iter().all(|b| *b == 0) {
            break;
        }
        let field = |r: std::ops::Range<usize>| {
            let f = &header[r];
            let end = f.iter().position(|b| *b == 0).unwrap_or(f.len());
            String::from_utf8_lossy(&f[..end]).trim().to_owned()
        };
        let size = usize::from_str_radix(&field(124..136), 8).unwrap_or(0);
        let name = match field(345..500) {
            p if p.is_empty() => field(0..100),
            p => format!("{p}/{}", field(0..100)),
        };
        let body = at + 512;
        if header[156] == b'0' || header[156] == 0 {
            let bytes = &tar[body..(body + size).min(tar.len())];
            out.push((name, String::from_utf8_lossy(bytes).into_owned()));
        }
        at = body + size.div_ceil(512) * 512;
    }
    out
}
