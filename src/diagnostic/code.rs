//! Every diagnostic code in one table: its stable string, its rule name,
//! what it means and its default severity. Renderers (text, JSON, GitHub,
//! SARIF) read it from here, so a new code is added in one place.

use serde::Serialize;

use super::Severity;

/// Stable diagnostic codes. The string form is public: users grep for it and
/// pipelines may filter on it, so never renumber.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    /// The file could not be read.
    Io,
    /// The file is larger than connection files can be.
    FileTooLarge,
    /// The file is not UTF-8.
    NotUtf8,
    /// The YAML does not parse.
    YamlSyntax,
    /// A mapping has the same key twice.
    DuplicateKey,
    /// Alias expansion or nesting beyond the budget.
    YamlBudget,
    /// The file holds no document.
    EmptyFile,
    /// A document is not a mapping.
    NotAMapping,
    /// A path given on the command line does not exist or holds no YAML.
    NoInput,
    /// More problems in one file than are listed.
    TooManyProblems,
    /// A second document in the settings file.
    ExtraDocument,
    /// A path that is not a regular file (a FIFO, a socket, a device).
    NotRegularFile,
    /// A symbolic link to a folder, inside a walked folder: not followed.
    LinkedFolder,
    /// A later document lacks the schema modeline the file's first one has.
    MissingModeline,
    /// A key the schema does not know.
    UnknownKey,
    /// A required key is missing.
    MissingKey,
    /// A value of the wrong type.
    WrongType,
    /// A value outside the allowed set.
    InvalidValue,
    /// A number outside its range.
    OutOfRange,
    /// A string of the wrong length or shape.
    InvalidString,
    /// Any other schema rule.
    Schema,
    /// A malformed connection string.
    ConnectionString,
    /// Two documents describe the same (cloud, sandbox, name).
    DuplicateConnection,
    /// A secret written in plain text.
    PlaintextSecret,
    /// A malformed `${VAR}` reference.
    Interpolation,
    /// A PostgreSQL connection on MySQL's port.
    SuspiciousPort,
    /// A `${VAR}` whose variable is not set (plan/apply/check).
    MissingVariable,
    /// A variable whose value holds `;` inside a connection string.
    UnsafeVariable,
    /// One IMS org configured for both clouds.
    SharedOrg,
}

impl Code {
    /// Every code, in the order of their strings.
    pub const ALL: [Code; 29] = [
        Code::Io,
        Code::FileTooLarge,
        Code::NotUtf8,
        Code::YamlSyntax,
        Code::DuplicateKey,
        Code::YamlBudget,
        Code::EmptyFile,
        Code::NotAMapping,
        Code::NoInput,
        Code::TooManyProblems,
        Code::ExtraDocument,
        Code::NotRegularFile,
        Code::LinkedFolder,
        Code::MissingModeline,
        Code::UnknownKey,
        Code::MissingKey,
        Code::WrongType,
        Code::InvalidValue,
        Code::OutOfRange,
        Code::InvalidString,
        Code::Schema,
        Code::ConnectionString,
        Code::DuplicateConnection,
        Code::PlaintextSecret,
        Code::Interpolation,
        Code::SuspiciousPort,
        Code::MissingVariable,
        Code::UnsafeVariable,
        Code::SharedOrg,
    ];

    /// `P004`, `S101`, `V203`, ...
    pub fn as_str(self) -> &'static str {
        self.row().0
    }

    /// The rule's name, e.g. `yaml-syntax`.
    pub fn name(self) -> &'static str {
        self.row().1
    }

    /// One sentence saying what the code means.
    pub fn description(self) -> &'static str {
        self.row().2
    }

    /// The severity it has unless an option changes it (e.g.
    /// `--allow-plaintext-secrets` makes V203 a warning).
    pub fn default_severity(self) -> Severity {
        self.row().3
    }

    /// Exhaustive, so a new code needs all four.
    fn row(self) -> (&'static str, &'static str, &'static str, Severity) {
        use Severity::{Error, Warning};
        match self {
            Code::Io => ("P001", "io", "The file could not be read.", Error),
            Code::FileTooLarge => (
                "P002",
                "file-too-large",
                "The file is larger than a connection file can be.",
                Error,
            ),
            Code::NotUtf8 => ("P003", "not-utf8", "The file is not UTF-8.", Error),
            Code::YamlSyntax => ("P004", "yaml-syntax", "The YAML does not parse.", Error),
            Code::DuplicateKey => (
                "P005",
                "duplicate-key",
                "A mapping has the same key twice.",
                Error,
            ),
            Code::YamlBudget => (
                "P006",
                "yaml-budget",
                "Alias expansion or nesting goes beyond the budget.",
                Error,
            ),
            Code::EmptyFile => ("P007", "empty-file", "The file holds no document.", Warning),
            Code::NotAMapping => (
                "P008",
                "not-a-mapping",
                "A document is not a mapping.",
                Error,
            ),
            Code::NoInput => (
                "P009",
                "no-input",
                "A path given on the command line does not exist or holds no YAML.",
                Error,
            ),
            Code::TooManyProblems => (
                "P010",
                "too-many-problems",
                "A file has more problems than are listed; fix the ones shown first.",
                Error,
            ),
            Code::ExtraDocument => (
                "P011",
                "extra-document",
                "The settings file holds more than one YAML document.",
                Error,
            ),
            Code::NotRegularFile => (
                "P012",
                "not-a-regular-file",
                "A path is not a regular file (a FIFO, a socket, a device) and was not read.",
                Error,
            ),
            Code::LinkedFolder => (
                "P013",
                "linked-folder",
                "A symbolic link to a folder inside a walked folder is not followed.",
                Warning,
            ),
            Code::MissingModeline => (
                "P014",
                "missing-modeline",
                "A later document of a file lacks the schema modeline its first document has, so editors do not check it.",
                Warning,
            ),
            Code::UnknownKey => (
                "S101",
                "unknown-key",
                "A key the schema does not know.",
                Error,
            ),
            Code::MissingKey => ("S102", "missing-key", "A required key is missing.", Error),
            Code::WrongType => ("S103", "wrong-type", "A value has the wrong type.", Error),
            Code::InvalidValue => (
                "S104",
                "invalid-value",
                "A value is outside the allowed set.",
                Error,
            ),
            Code::OutOfRange => (
                "S105",
                "out-of-range",
                "A number is outside its range.",
                Error,
            ),
            Code::InvalidString => (
                "S106",
                "invalid-string",
                "A string has the wrong length or shape.",
                Error,
            ),
            Code::Schema => (
                "S199",
                "schema",
                "A value breaks another schema rule.",
                Error,
            ),
            Code::ConnectionString => (
                "V201",
                "connection-string",
                "A connection string is malformed.",
                Error,
            ),
            Code::DuplicateConnection => (
                "V202",
                "duplicate-connection",
                "Two documents describe the same (cloud, sandbox, name).",
                Error,
            ),
            Code::PlaintextSecret => (
                "V203",
                "plaintext-secret",
                "A secret is written in plain text instead of a ${VAR} reference.",
                Error,
            ),
            Code::Interpolation => (
                "V204",
                "interpolation",
                "A ${VAR} reference is malformed.",
                Error,
            ),
            Code::SuspiciousPort => (
                "V205",
                "suspicious-port",
                "A PostgreSQL connection uses MySQL's port 3306.",
                Warning,
            ),
            Code::MissingVariable => (
                "V206",
                "missing-variable",
                "A ${VAR} reference names an unset environment variable.",
                Error,
            ),
            Code::UnsafeVariable => (
                "V207",
                "unsafe-variable",
                "A variable's value would change the connection string's structure (it holds `;`).",
                Error,
            ),
            Code::SharedOrg => (
                "V208",
                "shared-org",
                "The same IMS org is configured for both clouds: an org lives on one cloud.",
                Error,
            ),
        }
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Code;

    #[test]
    fn codes_and_names_are_unique_and_sorted() {
        let strings: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        let mut sorted = strings.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(
            strings, sorted,
            "Code::ALL is sorted by string, without repeats"
        );
        let mut names: Vec<&str> = Code::ALL.iter().map(|c| c.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Code::ALL.len());
    }
}
