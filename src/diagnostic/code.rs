//! Every diagnostic code, defined once in the `codes!` table below: its
//! stable string, rule name, default severity, summary and long explanation
//! (`explain/<CODE>.md`). The enum, `ALL`, SARIF rules and docs derive from it.

use serde::Serialize;

use super::Severity;

/// Generates [`Code`] and its accessors from one row per code, so a code
/// cannot exist without its string, name, severity, summary and
/// explanation, and a rule's SARIF index is its position in the table.
macro_rules! codes {
    ($($variant:ident => ($code:literal, $name:literal, $severity:ident, $summary:literal),)+) => {
        /// Stable diagnostic codes. The string form is public: users grep for
        /// it and pipelines may filter on it, so never renumber.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $(#[doc = $summary] $variant,)+
        }

        impl Code {
            /// Every code, in the order of the table (sorted by string).
            pub const ALL: &'static [Code] = &[$(Code::$variant,)+];

            /// `P004`, `S101`, `V203`, ...
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code,)+
                }
            }

            /// The rule's name, e.g. `yaml-syntax`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)+
                }
            }

            /// One sentence saying what the code means.
            pub fn summary(self) -> &'static str {
                match self {
                    $(Code::$variant => $summary,)+
                }
            }

            /// The severity it has unless an option changes it (e.g.
            /// `--allow-plaintext-secrets` makes V203 a warning).
            pub fn default_severity(self) -> Severity {
                match self {
                    $(Code::$variant => Severity::$severity,)+
                }
            }

            /// The long explanation in Markdown: what triggers the code, an
            /// example under `### Example` and the way out under `### Fix`.
            pub fn explanation(self) -> &'static str {
                match self {
                    $(Code::$variant => include_str!(concat!("explain/", $code, ".md")),)+
                }
            }
        }
    };
}

codes! {
    Io => ("P001", "io", Error, "The file could not be read."),
    FileTooLarge => ("P002", "file-too-large", Error, "The file is larger than a connection file can be."),
    NotUtf8 => ("P003", "not-utf8", Error, "The file is not UTF-8."),
    YamlSyntax => ("P004", "yaml-syntax", Error, "The YAML does not parse."),
    DuplicateKey => ("P005", "duplicate-key", Error, "A mapping has the same key twice."),
    YamlBudget => ("P006", "yaml-budget", Error, "Alias expansion or nesting goes beyond the budget."),
    EmptyFile => ("P007", "empty-file", Warning, "The file holds no document."),
    NotAMapping => ("P008", "not-a-mapping", Error, "A document is not a mapping."),
    NoInput => ("P009", "no-input", Error, "A path given on the command line does not exist or holds no YAML."),
    TooManyProblems => ("P010", "too-many-problems", Error, "A file has more problems than are listed; fix the ones shown first."),
    ExtraDocument => ("P011", "extra-document", Error, "The settings file holds more than one YAML document."),
    NotRegularFile => ("P012", "not-a-regular-file", Error, "A path is not a regular file (a FIFO, a socket, a device) and was not read."),
    LinkedFolder => ("P013", "linked-folder", Warning, "A symbolic link to a folder inside a walked folder is not followed."),
    MissingModeline => ("P014", "missing-modeline", Warning, "A later document of a file lacks the schema modeline its first document has, so editors do not check it."),
    UnknownKey => ("S101", "unknown-key", Error, "A key the schema does not know."),
    MissingKey => ("S102", "missing-key", Error, "A required key is missing."),
    WrongType => ("S103", "wrong-type", Error, "A value has the wrong type."),
    InvalidValue => ("S104", "invalid-value", Error, "A value is outside the allowed set."),
    OutOfRange => ("S105", "out-of-range", Error, "A number is outside its range."),
    InvalidString => ("S106", "invalid-string", Error, "A string has the wrong length or shape."),
    Schema => ("S199", "schema", Error, "A value breaks another schema rule."),
    ConnectionString => ("V201", "connection-string", Error, "A connection string is malformed."),
    DuplicateConnection => ("V202", "duplicate-connection", Error, "Two documents describe the same (cloud, sandbox, name)."),
    PlaintextSecret => ("V203", "plaintext-secret", Error, "A secret is written in plain text instead of a ${VAR} reference."),
    Interpolation => ("V204", "interpolation", Error, "A ${VAR} reference is malformed."),
    SuspiciousPort => ("V205", "suspicious-port", Warning, "A PostgreSQL connection uses MySQL's port 3306."),
    MissingVariable => ("V206", "missing-variable", Error, "A ${VAR} reference names an unset environment variable."),
    UnsafeVariable => ("V207", "unsafe-variable", Error, "A variable's value would change the connection string's structure (it holds `;`)."),
    SharedOrg => ("V208", "shared-org", Error, "The same IMS org is configured for both clouds: an org lives on one cloud."),
    PortInServer => ("V209", "port-in-server", Warning, "`server` holds a port (`host:5432`): the port belongs in `port`."),
    NoSandbox => ("V210", "no-sandbox", Error, "A document names no `sandbox` and its environment (or the settings) give none."),
    UnknownEnvironment => ("V211", "unknown-environment", Error, "A document's `environments` names an environment the settings do not define."),
    SharedEnvironment => ("V212", "shared-environment", Error, "Two environments resolve to the same (org, sandbox): each would adopt and prune the other's connections."),
    SharedState => ("V213", "shared-state", Error, "A top-level `state.path` or `state.namespace` beside `environments` would give every environment one state."),
    SecretFromVars => ("V214", "secret-from-vars", Error, "A secret field uses a `${VAR}` that settings `vars` define: `vars` are committed."),
    UndefinedInEnvironment => ("V215", "undefined-in-environment", Warning, "A `${VAR}` is defined for an environment neither by its `vars` nor where `validate` runs."),
    RenameConflict => ("V216", "rename-conflict", Error, "A `renamedFrom` name is the document's own name, listed twice, claimed by two documents, or still another document's name."),
    PartialEnvironmentState => ("V217", "partial-environment-state", Error, "An environment's `state` sets a key of one backend but names the other: it replaces the top-level `state` whole."),
    EnvironmentBackend => ("V218", "environment-backend", Warning, "An environment's `state` uses another backend than the top-level `state`."),
    Schedule => ("V219", "schedule", Error, "A dataflow's `schedule` breaks its frequency's rule: `interval` missing or below the minimum, or `interval`/`backfill` with `once`."),
    ScheduleStart => ("V220", "schedule-start", Error, "A dataflow's `schedule.start` is not an RFC 3339 date-time with a time zone."),
    MappingSource => ("V221", "mapping-source", Error, "A mapping entry has both `source` and `expression`, or neither."),
    DuplicateDestination => ("V222", "duplicate-destination", Error, "Two mapping entries of one dataflow write the same `destination`."),
    UnknownColumn => ("V223", "unknown-column", Error, "A mapping `source` or `delta.column` is not among the dataflow's `source.columns`."),
    DuplicateDataflow => ("V224", "duplicate-dataflow", Error, "Two documents describe the same dataflow (cloud, sandbox, name)."),
    UnknownConnection => ("V225", "unknown-connection", Error, "A dataflow's `source.connection` is not in the files given, but a connection there has a close name or had that name."),
    ConnectionNotInFiles => ("V226", "connection-not-in-files", Warning, "A dataflow's `source.connection` is not described in the files given: `plan` looks it up on the platform."),
    LiteralDataflow => ("V227", "literal-dataflow", Error, "A dataflow document holds `${…}`: dataflow values are literal, never interpolated."),
    ModelineKind => ("V228", "modeline-kind", Warning, "A document's schema modeline names the schema of another kind, so editors check it against the wrong schema."),
}

impl Code {
    /// The code's position in [`Code::ALL`]: variants are declared in table
    /// order, so this is the SARIF rule index by construction.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The code written as `v203` or `V203`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Code> {
        Code::ALL
            .iter()
            .copied()
            .find(|code| code.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// The anchor of the code's section in the generated codes reference.
    pub fn anchor(self) -> String {
        self.as_str().to_ascii_lowercase()
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

    #[test]
    fn the_index_of_a_code_is_its_position_in_all() {
        assert_eq!(Code::ALL.len(), 49);
        for (position, code) in Code::ALL.iter().enumerate() {
            assert_eq!(code.index(), position, "{}", code.as_str());
        }
    }

    #[test]
    fn every_explanation_has_an_example_and_a_fix() {
        for code in Code::ALL {
            let text = code.explanation();
            let example = text.find("\n### Example\n\n");
            let fix = text.find("\n### Fix\n\n");
            let shown = matches!((example, fix), (Some(e), Some(f))
                if 0 < e && e < f && text[e..f].contains("\n```"));
            assert!(
                shown,
                "{}.md: expected an opening paragraph, then `### Example` with a fenced block, then `### Fix`",
                code.as_str()
            );
            assert!(text.ends_with('\n') && !text.ends_with("\n\n"));
        }
    }

    #[test]
    fn codes_parse_whatever_their_case() {
        assert_eq!(Code::parse("v203"), Some(Code::PlaintextSecret));
        assert_eq!(Code::parse("P001"), Some(Code::Io));
        assert_eq!(Code::parse("V999"), None);
        assert_eq!(Code::parse("plaintext-secret"), None);
    }
}
