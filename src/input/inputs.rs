//! Where fact documents come from: files, folders, NDJSON streams (`*.ndjson`, `*.jsonl`, or
//! standard input with `--input ndjson`) and standard input, read lazily, within the size limit,
//! in a deterministic order.

use std::collections::VecDeque;

use crate::input::walk::Found;
use std::io::{self, BufRead, BufReader, Read};
use std::path::PathBuf;

use crate::input::source::MAX_DOCUMENT_BYTES;

/// One fact document: where it came from, and its bytes or why they could not be read.
#[derive(Debug)]
pub struct Document {
    /// The file, or `<stdin>`.
    pub source: String,
    /// The line, for a document from an NDJSON stream.
    pub line: Option<usize>,
    pub bytes: Result<Vec<u8>, String>,
}

/// How standard input (`-`) is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum StdinFormat {
    /// One YAML or JSON document.
    #[default]
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
    source: String,
    reader: Box<dyn BufRead + Send>,
    line: usize,
    /// Whether a document has come out of it yet; an empty stream is reported.
    yielded: bool,
}

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
                source,
                line: None,
                bytes: bytes.map_err(|e| e.to_string()),
            })
        };
        match source {
            Source::Failed(name, message) => Some(Document {
                source: name,
                line: None,
                bytes: Err(message),
            }),
            Source::Stdin if self.stdin == StdinFormat::Ndjson => {
                self.stream = Some(Stream::new(
                    self.stdin_name.clone(),
                    Box::new(BufReader::new(io::stdin())),
                ));
                None
            }
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
                    self.stream = Some(Stream::new(
                        name,
                        Box::new(BufReader::with_capacity(256 * 1024, file)),
                    ));
                    None
                } else {
                    whole(name, crate::input::source::read_limited(file))
                }
            }
        }
    }
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
    fn new(source: String, reader: Box<dyn BufRead + Send>) -> Stream {
        Stream {
            source,
            reader,
            line: 0,
            yielded: false,
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
            let mut bytes = Vec::new();
            let read = (&mut self.reader)
                .take(MAX_DOCUMENT_BYTES as u64 + 1)
                .read_until(b'\n', &mut bytes);
            self.line += 1;
            let doc = |bytes| Document {
                source: self.source.clone(),
                line: Some(self.line),
                bytes,
            };
            match read {
                Ok(0) if self.yielded => return None,
                Ok(0) => {
                    return Some(Document {
                        source: self.source.clone(),
                        line: None,
                        bytes: Err("the stream holds no fact documents".into()),
                    });
                }
                Err(e) => {
                    // A read error ends the stream, after saying so.
                    let failed = doc(Err(e.to_string()));
                    self.reader = Box::new(io::empty());
                    return Some(failed);
                }
                Ok(_) if bytes.len() > MAX_DOCUMENT_BYTES => {
                    let skipped = skip_line(&mut self.reader);
                    let message =
                        format!("the line is longer than the limit of {MAX_DOCUMENT_BYTES} bytes");
                    return Some(doc(skipped.and(Err(message))));
                }
                Ok(_) if bytes.iter().all(u8::is_ascii_whitespace) => continue,
                Ok(_) => return Some(doc(Ok(bytes))),
            }
        }
    }
}

/// Consumes the rest of the current line without keeping it.
fn skip_line(reader: &mut Box<dyn BufRead + Send>) -> Result<(), String> {
    loop {
        let buf = reader.fill_buf().map_err(|e| e.to_string())?;
        if buf.is_empty() {
            return Ok(());
        }
        match buf.iter().position(|b| *b == b'\n') {
            Some(i) => {
                reader.consume(i + 1);
                return Ok(());
            }
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    }
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
            (first.line, first.bytes.unwrap()),
            (Some(1), b"{\"host\":\"a\"}\n".to_vec())
        );
        let second = stream.next_line().unwrap();
        assert_eq!(
            (second.line, second.bytes.unwrap()),
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
            (next.line, next.bytes.unwrap()),
            (Some(2), b"{\"host\":\"b\"}\n".to_vec())
        );
    }
}
