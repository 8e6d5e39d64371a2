//! Loading files into a tree of nodes that remember where they came from,
//! so every later check can point at file:line:column.

use std::path::{Path, PathBuf};

pub(crate) use super::node::{Node, NodeValue};
use crate::diagnostic::{Code, Diagnostic, Position, Source, Sources};

/// Larger files are refused before parsing: a connection file is a few
/// hundred bytes, and the cap bounds time and memory on hostile input.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// A file read and parsed: its text (for snippets) and its documents.
#[derive(Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
    pub documents: Vec<Node>,
}

/// Reads and parses one file. On failure the diagnostic says why and where;
/// the text is still returned when it was readable, for the snippet.
pub fn load_file(path: &Path) -> Result<SourceFile, (Diagnostic, Option<String>)> {
    let fail = |code, pos, message: String| (Diagnostic::error(code, path, pos, message), None);
    let read_error =
        |e: std::io::Error| fail(Code::Io, Position::START, format!("cannot read file: {e}"));
    // Never open what is not a regular file: opening a FIFO blocks until a
    // writer comes, which may be never.
    let meta = std::fs::metadata(path).map_err(read_error)?;
    if !meta.is_file() {
        return Err((super::walk::not_regular(path, meta.file_type()), None));
    }
    let mut file = std::fs::File::open(path).map_err(read_error)?;
    let meta = file.metadata().map_err(read_error)?;
    if !meta.is_file() {
        return Err((super::walk::not_regular(path, meta.file_type()), None));
    }
    let len = meta.len();
    if len > MAX_FILE_BYTES {
        return Err(fail(
            Code::FileTooLarge,
            Position::START,
            format!(
                "file is {len} bytes; connection files are limited to {MAX_FILE_BYTES} bytes (1 MiB)"
            ),
        ));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    // `take` keeps the cap even if the file grows while we read it.
    std::io::Read::read_to_end(
        &mut std::io::Read::take(&mut file, MAX_FILE_BYTES + 1),
        &mut bytes,
    )
    .map_err(read_error)?;
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            let valid = &err.as_bytes()[..err.utf8_error().valid_up_to()];
            let pos = Position::of_offset(&String::from_utf8_lossy(valid), valid.len());
            return Err(fail(
                Code::NotUtf8,
                pos,
                "file is not valid UTF-8: expected UTF-8 text".into(),
            ));
        }
    };
    match load_str(path, &text) {
        Ok(documents) => Ok(SourceFile {
            path: path.to_owned(),
            text,
            documents,
        }),
        Err(diag) => Err((diag, Some(text))),
    }
}

/// Parses YAML text (all documents) into nodes.
pub fn load_str(path: &Path, text: &str) -> Result<Vec<Node>, Diagnostic> {
    crate::config::yaml::parse(text).map_err(|err| err.into_diagnostic(path, text))
}

/// A file's text as snippets may show it: every secret value the YAML
/// parser finds in it masked (see `config::secrets`).
pub(crate) fn source(text: &str) -> Source {
    Source::new(text, &super::secrets::secret_spans(text))
}

/// Reads the files `diags` point into, for their snippets.
pub(crate) fn read_sources(diags: &[Diagnostic]) -> Sources {
    let mut sources = Sources::new();
    for d in diags {
        if !sources.contains_key(&d.file)
            && let Ok(text) = std::fs::read_to_string(&d.file)
        {
            sources.insert(d.file.clone(), source(&text));
        }
    }
    sources
}
