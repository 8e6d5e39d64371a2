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
    /// Repeated keys, each with the index of its document: reported, while
    /// the rest of the file is still checked (the first value is kept).
    pub duplicates: Vec<(usize, Diagnostic)>,
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
    match load_all(path, &text) {
        Ok((documents, duplicates)) => Ok(SourceFile {
            path: path.to_owned(),
            text,
            documents,
            duplicates,
        }),
        Err(diag) => Err((diag, Some(text))),
    }
}

/// Documents and the repeated keys found in them (see [`SourceFile`]).
pub type Loaded = (Vec<Node>, Vec<(usize, Diagnostic)>);

/// Parses YAML text (all documents) into nodes; a repeated key is an error.
pub fn load_str(path: &Path, text: &str) -> Result<Vec<Node>, Diagnostic> {
    crate::config::yaml::parse(text).map_err(|err| err.into_diagnostic(path, text))
}

/// Parses YAML text (all documents) into nodes, reporting repeated keys
/// beside them rather than stopping at the first.
pub fn load_all(path: &Path, text: &str) -> Result<Loaded, Diagnostic> {
    let parsed = crate::config::yaml::parse_reporting_duplicates(text)
        .map_err(|err| err.into_diagnostic(path, text))?;
    let duplicates = parsed
        .duplicates
        .into_iter()
        .map(|(index, err)| (index, err.into_diagnostic(path, text)))
        .collect();
    Ok((parsed.documents, duplicates))
}

/// A file's text as snippets may show it: every secret value the YAML
/// parser finds in it masked (see `config::secrets`).
pub(crate) fn source(text: &str) -> Source {
    Source::new(text, &super::secrets::secret_spans(text))
}

/// [`source`], except that values exactly equal to one of `shown` stay
/// visible: a shell-style `$NAME` known to be a variable's name.
pub(crate) fn source_showing(text: &str, shown: &[String]) -> Source {
    let mut secrets = super::secrets::secret_spans(text);
    let visible = |value: &str| {
        let value = value.trim().trim_matches(['"', '\'']);
        shown.iter().any(|s| s == value)
    };
    secrets
        .spans
        .retain(|span| !text.get(span.clone()).is_some_and(visible));
    secrets.values.retain(|value| !visible(value));
    Source::new(text, &secrets)
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
