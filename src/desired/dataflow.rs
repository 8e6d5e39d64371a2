//! Config -> the desired dataflows: each valid `kind: dataflow` document in
//! the run's environment, with its sandbox filled in, the org of its cloud,
//! the key of the base connection it reads through, and the digest state
//! keeps to notice a change.

use std::collections::HashMap;
use std::path::PathBuf;

use sha2::{Digest, Sha256};

use super::{Project, hex};
use crate::api::ExploreError;
use crate::config::load::{Node, NodeValue};
use crate::config::{Cloud, ConnectionKey, Dataflow, DataflowKey, Mode};

/// One dataflow as it should be on the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DesiredDataflow {
    pub key: DataflowKey,
    pub org: String,
    pub doc: Dataflow,
    /// The base connection `source.connection` names, in the same cloud
    /// and sandbox.
    pub connection: ConnectionKey,
    /// SHA-256 of the document as the platform sees it.
    pub fingerprint: String,
    /// The file it is written in, as state records it.
    pub source: String,
    /// Where its fields are written, for errors found after validation.
    pub lines: Lines,
    /// The line of its `renamedFrom`, for the plan errors a rename meets.
    pub renamed_from_line: Option<u32>,
}

/// The lines (1-based) of the fields a plan may find wrong on the
/// platform: the table, the columns (the list and each name in it), each
/// mapping `source` and the delta column, as explore is asked about them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Lines {
    pub table: Option<u32>,
    pub columns: Option<u32>,
    pub column_items: Vec<(String, u32)>,
    pub mapping_sources: Vec<(String, u32)>,
    pub delta: Option<u32>,
}

impl Lines {
    /// The lines in a parsed document.
    pub(crate) fn of(node: &Node) -> Self {
        let items = |pointer: &str| -> Vec<&Node> {
            match &node.at(pointer).value {
                NodeValue::Seq(items) => items.iter().collect(),
                _ => Vec::new(),
            }
        };
        let text = |n: &Node| match &n.value {
            NodeValue::String(s) => Some(s.clone()),
            _ => None,
        };
        Lines {
            table: node.key_at("/source", "table").map(|k| k.pos.line),
            columns: node.key_at("/source", "columns").map(|k| k.pos.line),
            column_items: items("/source/columns")
                .into_iter()
                .filter_map(|n| Some((text(n)?, n.pos.line)))
                .collect(),
            mapping_sources: items("/mapping")
                .into_iter()
                .filter_map(|entry| {
                    let source = entry.get("source")?;
                    Some((text(source)?, source.pos.line))
                })
                .collect(),
            delta: node.key_at("/delta", "column").map(|k| k.pos.line),
        }
    }

    /// The line of column `name` in `source.columns` (else of the list).
    pub(crate) fn column(&self, name: &str) -> Option<u32> {
        self.column_items
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, line)| *line)
            .or(self.columns)
    }

    /// The line of a mapping `source` (`what` says which) or the delta
    /// column named `name`.
    pub(crate) fn reader(&self, what: &str, name: &str) -> Option<u32> {
        if what == "delta column" {
            return self.delta;
        }
        self.mapping_sources
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, line)| *line)
    }
}

impl DesiredDataflow {
    /// `file:line` of a field (the file alone when the line is unknown).
    pub(crate) fn at(&self, line: Option<u32>) -> String {
        match line {
            Some(line) => format!("{}:{line}", self.source),
            None => self.source.clone(),
        }
    }

    /// `file:line` of the field explore found wrong (`None` for a failed
    /// request).
    pub(crate) fn explore_problem_at(&self, err: &ExploreError) -> Option<String> {
        let line = match err {
            ExploreError::NotATable { .. } => self.lines.table,
            ExploreError::Columns(missing) => {
                missing.missing.first().and_then(|m| self.lines.column(m))
            }
            ExploreError::NotAColumn { what, name, .. } => self.lines.reader(what, name),
            ExploreError::Api(_) => return None,
        };
        Some(self.at(line))
    }
}

/// A valid dataflow document and the file it came from.
#[derive(Debug, Clone)]
pub(crate) struct DataflowInput {
    pub doc: Dataflow,
    pub file: PathBuf,
    /// Whether the document writes `protect` (else the mode decides).
    pub writes_protect: bool,
    pub lines: Lines,
    /// The line of its `renamedFrom`, when it has one.
    pub renamed_from_line: Option<u32>,
}

/// The documents that apply in environment `name` (all without
/// environments), each without `sandbox` given `sandbox`, sorted by key.
pub(crate) fn in_environment(
    inputs: Vec<DataflowInput>,
    name: Option<&str>,
    sandbox: Option<&str>,
) -> Vec<DataflowInput> {
    let mut scoped: Vec<DataflowInput> = inputs
        .into_iter()
        .filter(|i| match (name, &i.doc.environments) {
            (Some(name), Some(list)) => list.iter().any(|n| n == name),
            _ => true,
        })
        .filter_map(|mut i| {
            if i.doc.sandbox.is_empty() {
                i.doc.sandbox = sandbox?.to_owned();
            }
            Some(i)
        })
        .collect();
    scoped.sort_by_cached_key(|i| i.doc.key());
    scoped
}

/// Attaches each dataflow's org, base connection key and digest, with the
/// environment's `mode` applied: development keeps every flow disabled,
/// production protects every dataflow whose document does not say
/// `protect: false`. An error names a cloud that has no org.
pub(crate) fn build(
    inputs: &[DataflowInput],
    orgs: &HashMap<Cloud, String>,
    project: &Project,
    mode: Option<Mode>,
) -> Result<Vec<DesiredDataflow>, Cloud> {
    inputs
        .iter()
        .map(|input| {
            let mut doc = input.doc.clone();
            match mode {
                Some(Mode::Development) => doc.enabled = false,
                Some(Mode::Production) if !input.writes_protect => doc.protect = true,
                _ => {}
            }
            let doc = &doc;
            let org = orgs.get(&doc.cloud).cloned().ok_or(doc.cloud)?;
            let key = doc.key();
            Ok(DesiredDataflow {
                connection: key.connection(&doc.source.connection),
                fingerprint: fingerprint(doc),
                source: project.source(&input.file),
                lines: input.lines.clone(),
                renamed_from_line: input.renamed_from_line,
                org,
                key,
                doc: doc.clone(),
            })
        })
        .collect()
}

/// SHA-256 of what the platform is told: the document without the fields
/// that only steer `provision` (`environments`, `renamedFrom`).
pub(crate) fn fingerprint(doc: &Dataflow) -> String {
    let mut view = doc.clone();
    view.environments = None;
    view.renamed_from = None;
    let text = serde_json::to_string(&view).unwrap_or_default();
    hex(&Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(protect: Option<bool>) -> DataflowInput {
        let mut doc = serde_json::json!({
            "kind": "dataflow", "name": "f", "sandbox": "prod", "cloud": "azure",
            "source": { "connection": "db", "table": "public.t" },
            "target": { "dataset": { "name": "D" } },
            "mapping": [{ "source": "a", "destination": "_id" }],
            "schedule": { "frequency": "hour", "interval": 1 }
        });
        if let Some(protect) = protect {
            doc["protect"] = serde_json::json!(protect);
        }
        DataflowInput {
            doc: serde_json::from_value(doc).unwrap(),
            file: PathBuf::from("connections/f.yaml"),
            writes_protect: protect.is_some(),
            lines: Lines::default(),
            renamed_from_line: None,
        }
    }

    fn built(protect: Option<bool>, mode: Option<Mode>) -> DesiredDataflow {
        let orgs = HashMap::from([(Cloud::Azure, "O@AdobeOrg".to_owned())]);
        let project = Project::of_settings(std::path::Path::new("provision.yaml"));
        build(&[input(protect)], &orgs, &project, mode)
            .unwrap()
            .remove(0)
    }

    #[test]
    fn the_mode_disables_in_development_and_protects_in_production() {
        let plain = built(None, None);
        assert!(plain.doc.enabled && !plain.doc.protect);
        assert_eq!(plain.connection.to_string(), "azure/prod/db");
        let dev = built(None, Some(Mode::Development));
        assert!(!dev.doc.enabled);
        assert_ne!(dev.fingerprint, plain.fingerprint);
        assert!(built(None, Some(Mode::Production)).doc.protect);
        assert!(!built(Some(false), Some(Mode::Production)).doc.protect);
        assert!(built(Some(true), None).doc.protect);
    }

    #[test]
    fn an_unknown_cloud_org_is_named() {
        let project = Project::of_settings(std::path::Path::new("provision.yaml"));
        let err = build(&[input(None)], &HashMap::new(), &project, None).unwrap_err();
        assert_eq!(err, Cloud::Azure);
    }
}
