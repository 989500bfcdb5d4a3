//! Where fact documents come from: files, folders, NDJSON streams (`*.ndjson`, `*.jsonl`, or
//! standard input with `--input ndjson`) and standard input, read lazily, within the size limit,
//! in a deterministic order.

use std::collections::VecDeque;

use crate::input::walk::Found;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::Arc;

use crate::input::source::MAX_DOCUMENT_BYTES;

/// One fact document: where it came from, and its bytes or why they could not be read.
#[derive(Debug)]
pub struct Document {
    /// The file, or `<stdin>`.
    pub source: Arc<str>,
    /// The line, for a document from an NDJSON stream.
    pub line: Option<usize>,
    pub bytes: Result<Bytes, String>,
}

/// A document's bytes: a whole file's, or one line of a chunk of an NDJSON stream, shared with
/// the chunk's other lines (so that no line is copied or allocated on its own).
#[derive(Debug, Clone)]
pub struct Bytes {
    chunk: Arc<Vec<u8>>,
    start: usize,
    end: usize,
}

impl From<Vec<u8>> for Bytes {
    fn from(bytes: Vec<u8>) -> Bytes {
        let end = bytes.len();
        Bytes {
            chunk: Arc::new(bytes),
            start: 0,
            end,
        }
    }
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.chunk[self.start..self.end]
    }
}

/// How standard input (`-`) is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum StdinFormat {
    /// NDJSON when the first line is a whole JSON document and another line follows (what
    /// `kbdiag collect a b` writes), otherwise one document.
    #[default]
    Auto,
    /// One YAML or JSON document.
    Document,
    /// One JSON document per line.
    Ndjson,
}

/// Whether a file name is an NDJSON stream of fact documents.
pub fn is_ndjson(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".ndjson") || lower.ends_with(".jsonl")
}

/// Whether a file name is a fact file or stream, when a folder is walked.
pub fn is_fact_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    is_ndjson(&lower)
        || [".yaml", ".yml", ".json"]
            .iter()
            .any(|ext| lower.ends_with(ext))
}

enum Source {
    File(PathBuf),
    Stdin,
    Failed(String, String),
}

/// The documents named by command-line paths, in order. Folders are listed when reached;
/// NDJSON streams are read a line at a time.
pub struct Documents {
    paths: VecDeque<PathBuf>,
    sources: VecDeque<Source>,
    stream: Option<Stream>,
    stdin: StdinFormat,
    /// What standard input is called in the output.
    stdin_name: String,
}

struct Stream {
    source: Arc<str>,
    reader: Box<dyn Read + Send>,
    /// Bytes read and not yet handed out, `chunk[at..end]`: whole lines, then perhaps the start
    /// of one. The documents already handed out share the chunk.
    chunk: Arc<Vec<u8>>,
    at: usize,
    end: usize,
    /// Whether the reader has reached its end.
    eof: bool,
    line: usize,
    /// Whether a document has come out of it yet; an empty stream is reported.
    yielded: bool,
    /// Chunks handed out that documents on other threads held when the next one was read, oldest
    /// first: once none holds one, it is read into again. A new chunk would be zeroed first,
    /// which with two jobs cost 4 % of a run's instructions.
    retired: VecDeque<Arc<Vec<u8>>>,
}

/// Most chunks kept for reading into again: more than the threads of a fleet run hold at once
/// (its window is 512 documents, about 35 chunks), so that the oldest is usually free.
const RETIRED: usize = 64;

/// Bytes asked of the reader at a time: a dozen lines of a usual fleet. (256 KB chunks gave the
/// same speed and 14 MB more memory with two jobs.)
const CHUNK: usize = 64 * 1024;

impl Documents {
    pub fn new(paths: &[PathBuf], stdin: StdinFormat) -> Documents {
        Documents {
            paths: paths.iter().cloned().collect(),
            sources: VecDeque::new(),
            stream: None,
            stdin,
            stdin_name: "<stdin>".into(),
        }
    }

    /// Names standard input `name` in the output (e.g. a partition's id), instead of `<stdin>`.
    pub fn stdin_name(mut self, name: &str) -> Documents {
        self.stdin_name = name.to_owned();
        self
    }

    /// Whether an input may be a live stream (standard input, a FIFO, a device): its results are
    /// then written as each is made, not batched.
    pub fn live(&self) -> bool {
        self.paths.iter().any(|p| {
            p.as_os_str() == "-" || std::fs::metadata(p).is_ok_and(|m| !m.is_file() && !m.is_dir())
        })
    }

    fn expand(&mut self, path: PathBuf) {
        let name = path.display().to_string();
        if path.as_os_str() == "-" {
            self.sources.push_back(Source::Stdin);
        } else if path.is_dir() {
            let mut found = Vec::new();
            match crate::input::walk::collect(&path, &is_fact_file, &mut found) {
                Ok(()) if found.is_empty() => self.sources.push_back(Source::Failed(
                    name,
                    "no fact files (*.yaml, *.yml, *.json, *.ndjson, *.jsonl) in this folder"
                        .into(),
                )),
                Ok(()) => self.sources.extend(found.into_iter().map(|f| match f {
                    Found::File(path) => Source::File(path),
                    Found::Skipped(path, why) => Source::Failed(path.display().to_string(), why),
                })),
                Err(e) => self.sources.push_back(Source::Failed(name, e.to_string())),
            }
        } else {
            self.sources.push_back(Source::File(path));
        }
    }

    fn open(&mut self, source: Source) -> Option<Document> {
        let whole = |source: String, bytes: io::Result<Vec<u8>>| {
            Some(Document {
                source: source.into(),
                line: None,
                bytes: bytes.map(Bytes::from).map_err(|e| e.to_string()),
            })
        };
        match source {
            Source::Failed(name, message) => Some(Document {
                source: name.into(),
                line: None,
                bytes: Err(message),
            }),
            Source::Stdin if self.stdin == StdinFormat::Ndjson => {
                self.stream = Some(Stream::new(self.stdin_name.clone(), Box::new(io::stdin())));
                None
            }
            Source::Stdin if self.stdin == StdinFormat::Auto => match sniff(io::stdin()) {
                Ok((true, reader)) => {
                    self.stream = Some(Stream::new(self.stdin_name.clone(), reader));
                    None
                }
                Ok((false, reader)) => whole(
                    self.stdin_name.clone(),
                    crate::input::source::read_limited(reader),
                ),
                Err(e) => whole(self.stdin_name.clone(), Err(e)),
            },
            Source::Stdin => whole(
                self.stdin_name.clone(),
                crate::input::source::read_limited(io::stdin()),
            ),
            Source::File(path) => {
                let name = path.display().to_string();
                let file = match std::fs::File::open(&path) {
                    Ok(file) => file,
                    Err(e) => return whole(name, Err(e)),
                };
                if is_ndjson(&name) {
                    self.stream = Some(Stream::new(name, Box::new(file)));
                    None
                } else {
                    whole(name, crate::input::source::read_limited(file))
                }
            }
        }
    }
}

/// Whether `reader` holds NDJSON: its first line is a whole JSON document and a non-blank line
/// follows. A single document, YAML, or pretty-printed JSON is not. Returns the reader with the
/// bytes looked at put back in front. Reads at most the first line and the start of the next,
/// so a live stream is not waited on past its second line.
fn sniff(mut reader: impl Read + Send + 'static) -> io::Result<(bool, Box<dyn Read + Send>)> {
    let mut seen = Vec::new();
    let mut byte = [0u8; 4096];
    // The first line, within the document limit (a longer one is one document, refused as such).
    let newline = loop {
        if let Some(at) = memchr::memchr(b'\n', &seen) {
            break Some(at);
        }
        if seen.len() > MAX_DOCUMENT_BYTES {
            break None;
        }
        let n = match reader.read(&mut byte) {
            Ok(0) => break None,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        seen.extend_from_slice(&byte[..n]);
    };
    let mut ndjson = false;
    if let Some(at) = newline {
        let first = seen[..at]
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(&seen[..at]);
        let first = first.trim_ascii();
        if first.starts_with(b"{") && serde_json::from_slice::<serde::de::IgnoredAny>(first).is_ok()
        {
            // A whole JSON document on the first line: NDJSON if anything but blank follows.
            let mut rest = at + 1;
            loop {
                if seen[rest..].iter().any(|b| !b.is_ascii_whitespace()) {
                    ndjson = true;
                    break;
                }
                rest = seen.len();
                match reader.read(&mut byte) {
                    Ok(0) => break,
                    Ok(n) => seen.extend_from_slice(&byte[..n]),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }
    }
    Ok((ndjson, Box::new(io::Cursor::new(seen).chain(reader))))
}

impl Iterator for Documents {
    type Item = Document;

    fn next(&mut self) -> Option<Document> {
        loop {
            if let Some(stream) = &mut self.stream {
                match stream.next_line() {
                    Some(doc) => return Some(doc),
                    None => self.stream = None,
                }
            }
            if let Some(source) = self.sources.pop_front() {
                if let Some(doc) = self.open(source) {
                    return Some(doc);
                }
                continue;
            }
            let path = self.paths.pop_front()?;
            self.expand(path);
        }
    }
}

impl Stream {
    fn new(source: String, reader: Box<dyn Read + Send>) -> Stream {
        Stream {
            source: source.into(),
            reader,
            chunk: Arc::default(),
            at: 0,
            end: 0,
            eof: false,
            line: 0,
            yielded: false,
            retired: VecDeque::new(),
        }
    }

    /// The next non-blank line as a document; a line over the size limit is an error, and is
    /// skipped without being held in memory.
    fn next_line(&mut self) -> Option<Document> {
        let doc = self.read_line()?;
        self.yielded = true;
        Some(doc)
    }

    fn read_line(&mut self) -> Option<Document> {
        loop {
            let rest = &self.chunk[self.at..self.end];
            let end = match memchr::memchr(b'\n', rest) {
                Some(newline) => self.at + newline + 1,
                None if rest.len() > MAX_DOCUMENT_BYTES => {
                    self.line += 1;
                    let skipped = self.skip_line();
                    return Some(self.document(skipped.and(Err(too_long()))));
                }
                None if !self.eof => {
                    if let Err(e) = self.refill() {
                        // A read error ends the stream, after saying so.
                        self.line += 1;
                        (self.reader, self.chunk, self.at, self.end) =
                            (Box::new(io::empty()), Arc::default(), 0, 0);
                        self.eof = true;
                        return Some(self.document(Err(e.to_string())));
                    }
                    continue;
                }
                // The last line, without a newline.
                None if !rest.is_empty() => self.end,
                None if self.yielded => return None,
                None => {
                    return Some(Document {
                        source: self.source.clone(),
                        line: None,
                        bytes: Err("the stream holds no fact documents".into()),
                    });
                }
            };
            let start = std::mem::replace(&mut self.at, end);
            self.line += 1;
            let line = &self.chunk[start..end];
            if line.len() > MAX_DOCUMENT_BYTES {
                return Some(self.document(Err(too_long())));
            }
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let bytes = Bytes {
                chunk: self.chunk.clone(),
                start,
                end,
            };
            return Some(self.document(Ok(bytes)));
        }
    }

    fn document(&self, bytes: Result<Bytes, String>) -> Document {
        Document {
            source: self.source.clone(),
            line: Some(self.line),
            bytes,
        }
    }

    /// Reads on, after the line begun in the chunk's rest, until a newline (or the end): a new
    /// chunk, whose whole lines become documents without a copy each. A read returns what a live
    /// stream has written, so no line waits for later ones.
    fn refill(&mut self) -> io::Result<()> {
        let (at, end) = (self.at, self.end);
        // The chunk's own buffer again once no document holds it (with one job, or once its
        // lines are done): no allocation, and its bytes need no zeroing.
        let mut buf = match Arc::get_mut(&mut self.chunk) {
            Some(old) => {
                let mut buf = std::mem::take(old);
                buf.copy_within(at..end, 0);
                buf
            }
            None => {
                // Documents on other threads hold the chunk: an older one none holds any more,
                // or a new one.
                let mut buf = self.free_chunk().unwrap_or_default();
                let rest = &self.chunk[at..end];
                if buf.len() < rest.len() {
                    buf.resize(rest.len(), 0);
                }
                buf[..rest.len()].copy_from_slice(rest);
                self.retire();
                buf
            }
        };
        let mut filled = end - at;
        (self.chunk, self.at, self.end) = (Arc::default(), 0, 0);
        loop {
            if filled == buf.len() {
                // Room for more, zeroed once: a chunk, or for a long line twice as much, but not
                // past the limit it would be refused at (`filled` is within it, or the loop
                // would have ended).
                let more = CHUNK.max(filled).min(MAX_DOCUMENT_BYTES + 1 - filled);
                buf.resize(filled + more, 0);
            }
            match self.reader.read(&mut buf[filled..]) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    filled += n;
                    let newline = memchr::memchr(b'\n', &buf[filled - n..filled]).is_some();
                    if !newline && filled <= MAX_DOCUMENT_BYTES {
                        continue;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            (self.chunk, self.end) = (Arc::new(buf), filled);
            return Ok(());
        }
    }

    /// Keeps the chunk to read into again once no document holds it; not one grown for a long
    /// line, which would hold its megabytes.
    fn retire(&mut self) {
        let chunk = std::mem::take(&mut self.chunk);
        if chunk.len() <= 2 * CHUNK {
            if self.retired.len() == RETIRED {
                self.retired.pop_front();
            }
            self.retired.push_back(chunk);
        }
    }

    /// The buffer of a retired chunk that no document holds any more (the oldest first: the
    /// likeliest to be done with), its bytes as they were.
    fn free_chunk(&mut self) -> Option<Vec<u8>> {
        let free = self
            .retired
            .iter()
            .position(|c| Arc::strong_count(c) == 1)?;
        self.retired.remove(free).and_then(Arc::into_inner)
    }

    /// Consumes the rest of the current (overlong) line without keeping it; what follows its
    /// newline becomes the chunk.
    fn skip_line(&mut self) -> Result<(), String> {
        (self.chunk, self.at, self.end) = (Arc::default(), 0, 0);
        let mut buf = vec![0; CHUNK];
        loop {
            let n = match self.reader.read(&mut buf) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.to_string()),
            };
            if let Some(newline) = memchr::memchr(b'\n', &buf[..n]) {
                buf.copy_within(newline + 1..n, 0);
                (self.chunk, self.end) = (Arc::new(buf), n - newline - 1);
                return Ok(());
            }
        }
    }
}

fn too_long() -> String {
    format!("the line is longer than the limit of {MAX_DOCUMENT_BYTES} bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ndjson_lines_keep_their_numbers_and_blank_lines_are_skipped() {
        let mut stream = Stream::new(
            "s.ndjson".into(),
            Box::new(io::Cursor::new(
                b"{\"host\":\"a\"}\n\n  \n{\"host\":\"b\"}".to_vec(),
            )),
        );
        let first = stream.next_line().unwrap();
        assert_eq!(
            (first.line, first.bytes.unwrap().to_vec()),
            (Some(1), b"{\"host\":\"a\"}\n".to_vec())
        );
        let second = stream.next_line().unwrap();
        assert_eq!(
            (second.line, second.bytes.unwrap().to_vec()),
            (Some(4), b"{\"host\":\"b\"}".to_vec())
        );
        assert!(stream.next_line().is_none());
    }

    #[test]
    fn an_overlong_line_is_an_error_and_the_stream_goes_on() {
        let mut text = vec![b'x'; MAX_DOCUMENT_BYTES + 10];
        text.extend_from_slice(b"\n{\"host\":\"b\"}\n");
        let mut stream = Stream::new("s.ndjson".into(), Box::new(io::Cursor::new(text)));
        let long = stream.next_line().unwrap();
        assert_eq!(long.line, Some(1));
        assert!(long.bytes.unwrap_err().contains("longer than the limit"));
        let next = stream.next_line().unwrap();
        assert_eq!(
            (next.line, next.bytes.unwrap().to_vec()),
            (Some(2), b"{\"host\":\"b\"}\n".to_vec())
        );
        assert!(stream.next_line().is_none());

        // The same without a newline after it, the last line of the stream.
        let text = vec![b'x'; MAX_DOCUMENT_BYTES + 1];
        let mut stream = Stream::new("s.ndjson".into(), Box::new(io::Cursor::new(text)));
        let long = stream.next_line().unwrap();
        assert_eq!(long.line, Some(1));
        assert!(long.bytes.unwrap_err().contains("longer than the limit"));
        assert!(stream.next_line().is_none());
    }

    /// Gives at most a few bytes a read, and is interrupted now and then, as a pipe may be.
    struct Trickle {
        bytes: Vec<u8>,
        at: usize,
        sizes: Vec<usize>,
        reads: usize,
        fail_at: Option<usize>,
    }

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.reads += 1;
            if self.reads % 5 == 0 {
                return Err(io::ErrorKind::Interrupted.into());
            }
            if self.fail_at.is_some_and(|at| self.at >= at) {
                return Err(io::Error::other("the disk is gone"));
            }
            let size = self.sizes[self.reads % self.sizes.len()];
            let n = size.min(buf.len()).min(self.bytes.len() - self.at);
            buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    /// A document as the tests compare it: its line and its bytes or error.
    type Seen = (Option<usize>, Result<Vec<u8>, String>);

    /// What the stream must give: each line that is not blank, numbered, with its newline.
    fn expected(text: &[u8]) -> Vec<Seen> {
        let docs: Vec<_> = (text.split_inclusive(|&b| b == b'\n').enumerate())
            .filter(|(_, line)| !line.iter().all(u8::is_ascii_whitespace))
            .map(|(i, line)| (Some(i + 1), Ok(line.to_vec())))
            .collect();
        if docs.is_empty() {
            return vec![(None, Err("the stream holds no fact documents".into()))];
        }
        docs
    }

    fn all(stream: &mut Stream) -> Vec<Seen> {
        all_holding(stream, 0)
    }

    /// [`all`], with the last `hold` documents kept while the stream reads on, as the threads of
    /// a fleet run keep theirs: their chunks are then retired, and read into again once free.
    fn all_holding(stream: &mut Stream, hold: usize) -> Vec<Seen> {
        let mut held = VecDeque::new();
        let mut seen = Vec::new();
        let mut see = |d: Document| seen.push((d.line, d.bytes.map(|b| b.to_vec())));
        while let Some(doc) = stream.next_line() {
            held.push_back(doc);
            if held.len() > hold
                && let Some(done) = held.pop_front()
            {
                see(done);
            }
        }
        held.into_iter().for_each(see);
        seen
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn lines_come_out_whole_and_numbered_however_the_reads_fall(
            lines in proptest::collection::vec((0..4usize, 0..300usize, proptest::bool::ANY), 0..120),
            sizes in proptest::collection::vec(1..700usize, 1..8),
            repeat in 1..1000usize,
            hold in 0..6usize,
        ) {
            // Blank, whitespace-only, short and ordinary lines, some long enough (with `repeat`)
            // to span chunks.
            let mut text = Vec::new();
            for (kind, len, newline) in &lines {
                match kind {
                    0 => {}
                    1 => text.extend(std::iter::repeat_n(b' ', *len)),
                    2 => text.extend(std::iter::repeat_n(b'x', len % 4)),
                    _ => text.extend((0..len * repeat).map(|i| b'a' + (i % 26) as u8)),
                }
                if *newline {
                    text.push(b'\n');
                }
            }
            let reader = Trickle { bytes: text.clone(), at: 0, sizes, reads: 0, fail_at: None };
            let mut stream = Stream::new("s.ndjson".into(), Box::new(reader));
            proptest::prop_assert_eq!(all_holding(&mut stream, hold), expected(&text));
        }
    }

    #[test]
    fn a_read_error_is_reported_once_and_ends_the_stream() {
        let text = b"{\"host\":\"a\"}\n{\"host\":\"b\"}\n{\"host\":\"c\"}\n".to_vec();
        let reader = Trickle {
            bytes: text,
            at: 0,
            sizes: vec![3],
            reads: 0,
            fail_at: Some(20),
        };
        let mut stream = Stream::new("s.ndjson".into(), Box::new(reader));
        assert_eq!(
            all(&mut stream),
            vec![
                (Some(1), Ok(b"{\"host\":\"a\"}\n".to_vec())),
                (Some(2), Err("the disk is gone".into())),
            ]
        );
    }
}
