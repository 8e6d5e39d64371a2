//! Config -> the desired dataflows: each valid `kind: dataflow` document in
//! the run's environment, with its sandbox filled in, the org of its cloud,
//! the key of the base connection it reads through, and the digest state
//! keeps to notice a change.

use std::collections::HashMap;
use std::path::PathBuf;

use sha2::{Digest, Sha256};

use super::{Project, hex};
use crate::config::{Cloud, ConnectionKey, Dataflow, DataflowKey};

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
}

/// A valid dataflow document and the file it came from.
#[derive(Debug, Clone)]
pub(crate) struct DataflowInput {
    pub doc: Dataflow,
    pub file: PathBuf,
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

/// Attaches each dataflow's org, base connection key and digest; `None`
/// names a cloud that has no org.
pub(crate) fn build(
    inputs: &[DataflowInput],
    orgs: &HashMap<Cloud, String>,
    project: &Project,
) -> Result<Vec<DesiredDataflow>, Cloud> {
    inputs
        .iter()
        .map(|input| {
            let doc = &input.doc;
            let org = orgs.get(&doc.cloud).cloned().ok_or(doc.cloud)?;
            let key = doc.key();
            Ok(DesiredDataflow {
                connection: key.connection(&doc.source.connection),
                fingerprint: fingerprint(doc),
                source: project.source(&input.file),
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
