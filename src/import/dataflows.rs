//! Choosing which flows `import` writes as dataflow documents: one file per
//! flow beside the connection files, only over base connections that are
//! managed (in state, or imported by this run), never over a file, a state
//! record or a document that already exists; each refusal says why.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use super::flow_doc::{self, Read};
use super::flow_read::Listed;
use super::{Candidate, Selection, Skip, Target, file_stem};
use crate::api::wire::{ConnectionItem, POSTGRES_SPEC_ID};
use crate::config::{Dataflow, DataflowKey, ResourceKind};
use crate::desired::dataflow::{DataflowInput, build, fingerprint, in_environment};
use crate::state::{DataflowRecord, ObjectRef, State};

/// One dataflow to write and record.
#[derive(Debug, Clone)]
pub(crate) struct DataflowCandidate {
    pub key: DataflowKey,
    pub flow_id: String,
    pub file: PathBuf,
    pub text: String,
    /// The chain as state will record it; `applied`, `fingerprint` and
    /// `protect` are filled in from the written text once it validates.
    pub record: DataflowRecord,
}

/// What is already there for dataflows.
pub(crate) struct KnownFlows<'a> {
    pub state: &'a State,
    pub exists: &'a dyn Fn(&Path) -> bool,
    /// Dataflow keys the project's files describe, with the file.
    pub described: &'a BTreeMap<DataflowKey, PathBuf>,
    /// The base connections this run writes (or, dry, would write).
    pub connections: &'a [Candidate],
    /// The sandbox's connections as listed.
    pub listed: &'a [ConnectionItem],
    pub org: &'a str,
    pub now: &'a str,
}

/// Adds a candidate per flow that can be written, a skip per other.
pub(crate) fn select(
    listed: Vec<Listed>,
    target: &Target,
    known: &KnownFlows<'_>,
    selection: &mut Selection,
) {
    let mut reads = Vec::new();
    for item in listed {
        match item {
            Listed::Read(read) => reads.push(*read),
            Listed::Skipped { name, id, reason } => selection.skip_dataflow(name, id, reason),
        }
    }
    let mut by_name: HashMap<&str, usize> = HashMap::new();
    let mut stems: HashMap<String, usize> = HashMap::new();
    for read in &reads {
        *by_name.entry(read.flow.name.as_str()).or_default() += 1;
        if let Some(stem) = file_stem(&read.flow.name) {
            *stems.entry(stem).or_default() += 1;
        }
    }
    for read in &reads {
        let flow = &read.flow;
        let outcome = match by_name[flow.name.as_str()] {
            1 => candidate(read, target, known, &|stem| {
                stems.get(stem).copied().unwrap_or(0) > 1
            }),
            n => Err(format!(
                "{n} flows are named `{}` in this sandbox: rename all but one on the platform, then import again",
                flow.name
            )),
        };
        match outcome {
            Ok(candidate) => selection.dataflows.push(candidate),
            Err(reason) => selection.skip_dataflow(flow.name.clone(), flow.id.clone(), reason),
        }
    }
}

/// The file and record for one uniquely named flow, or why it is skipped.
fn candidate(
    read: &Read,
    target: &Target,
    known: &KnownFlows<'_>,
    shared_stem: &dyn Fn(&str) -> bool,
) -> Result<DataflowCandidate, String> {
    let base = base_name(&read.source.base_connection_id, target, known)?;
    let mut doc = flow_doc::to_dataflow(read, &base, target.cloud, &target.sandbox)?;
    let key = doc.key();
    if let Some(scope) = &target.environment {
        doc.environments = Some(vec![scope.name.clone()]);
        if scope.sandbox.as_deref() == Some(doc.sandbox.as_str()) {
            doc.sandbox.clear();
        }
    }
    if known.state.dataflows.contains_key(&key) {
        return Err(format!("already in state as `{key}`"));
    }
    let flow_id = &read.flow.id;
    if let Some((other, _)) = known
        .state
        .dataflows
        .iter()
        .find(|(_, r)| r.all_ids().any(|id| id == flow_id))
    {
        return Err(format!("flow `{flow_id}` is already recorded as `{other}`"));
    }
    if let Some(file) = known.described.get(&key) {
        return Err(format!(
            "`{}` already describes `{key}`: not imported again (record it with `provision state import {key} {flow_id}`)",
            file.display()
        ));
    }
    let file = file_for(&read.flow.name, target, known, shared_stem)?;
    let record = record(read, known, &target.project.source(&file));
    Ok(DataflowCandidate {
        text: super::dataflow_yaml::dataflow_yaml(&doc, &target.dataflow_schema_ref, flow_id),
        key,
        flow_id: flow_id.clone(),
        file,
        record,
    })
}

/// The name of the managed base connection with id `base_id`: a document
/// refers to it by name, so it must be one `provision` manages.
fn base_name(base_id: &str, target: &Target, known: &KnownFlows<'_>) -> Result<String, String> {
    let Some(item) = known.listed.iter().find(|c| c.id == base_id) else {
        return Err(format!(
            "its base connection `{base_id}` is not in sandbox `{}`",
            target.sandbox
        ));
    };
    if item.connection_spec.id != POSTGRES_SPEC_ID {
        return Err(format!(
            "its base connection `{}` is not PostgreSQL (connection spec `{}`): provision manages PostgreSQL sources only",
            item.name, item.connection_spec.id
        ));
    }
    let in_state =
        known.state.connections.iter().find(|(k, r)| {
            r.id == base_id && k.cloud == target.cloud && k.sandbox == target.sandbox
        });
    if let Some((key, _)) = in_state {
        return Ok(key.name.clone());
    }
    if let Some(written) = known.connections.iter().find(|c| c.id == base_id) {
        return Ok(written.key.name.clone());
    }
    Err(format!(
        "its base connection `{}` (`{base_id}`) is not managed: it is not in state and this import did not write it (see its own line); bring it under management first, then import again",
        item.name
    ))
}

/// `<stem>.yaml` in the import's folder, or `<stem>-dataflow.yaml` when a
/// connection written by this import has that name; never an existing file.
fn file_for(
    name: &str,
    target: &Target,
    known: &KnownFlows<'_>,
    shared_stem: &dyn Fn(&str) -> bool,
) -> Result<PathBuf, String> {
    let Some(stem) = file_stem(name) else {
        return Err("no file name can be made from this name: write its document by hand".into());
    };
    if shared_stem(&stem) {
        return Err(format!(
            "file name `{stem}.yaml` would be shared by several flows: write these documents by hand"
        ));
    }
    let mut file = target.out.join(format!("{stem}.yaml"));
    if known.connections.iter().any(|c| c.file == file) {
        file = target.out.join(format!("{stem}-dataflow.yaml"));
    }
    if (known.exists)(&file) {
        return Err(format!(
            "`{}` already exists: not overwritten",
            file.display()
        ));
    }
    Ok(file)
}

/// The complete chain as read: what apply would have recorded.
fn record(read: &Read, known: &KnownFlows<'_>, source: &str) -> DataflowRecord {
    let object = |id: &str, etag: &str| {
        Some(ObjectRef {
            id: id.to_owned(),
            etag: etag.to_owned(),
        })
    };
    let mut record = DataflowRecord::new(known.org, &read.source.base_connection_id, known.now);
    record.source_connection = object(&read.source.id, &read.source.etag);
    record.target_connection = object(&read.target.id, &read.target.etag);
    record.mapping_set = object(&read.shape.mapping_id, "");
    record.mapping_version = Some(read.shape.mapping_version_text.clone());
    record.flow = object(&read.flow.id, &read.flow.etag);
    record.data_set_id = Some(read.dataset.id.clone());
    record.schema_id = Some(read.target.data.schema.id.clone());
    record.start_time = Some(read.flow.schedule_params.start_time);
    record.columns = read
        .source
        .params
        .columns
        .iter()
        .map(|c| c.name.clone())
        .collect();
    record.flow_state = Some(read.flow.state.to_ascii_lowercase());
    record.source = Some(source.to_owned());
    record
}

impl Selection {
    pub(crate) fn skip_dataflow(&mut self, name: String, id: String, reason: String) {
        self.skipped.push(Skip {
            kind: ResourceKind::Dataflow,
            name,
            id,
            reason,
        });
    }
}

/// Validates the dataflow candidates' YAML as `provision validate` would,
/// then completes each valid one's record from the document read back:
/// `applied`, its `fingerprint`, and `protect` as the environment's mode
/// sets it. Invalid candidates move to `skipped` with the first error.
pub(crate) fn check(selection: &mut Selection, target: &Target, org: &str) {
    let texts: Vec<(PathBuf, String)> = selection
        .dataflows
        .iter()
        .map(|c| (c.file.clone(), c.text.clone()))
        .collect();
    let report = crate::validate::validate_texts(&texts, crate::validate::Options::default());
    let mut problems: HashMap<&Path, &crate::diagnostic::Diagnostic> = HashMap::new();
    for d in report.diagnostics.iter().rev() {
        if d.severity == crate::diagnostic::Severity::Error {
            problems.insert(d.file.as_path(), d);
        }
    }
    let inputs: Vec<DataflowInput> = report
        .config
        .dataflows
        .iter()
        .filter(|l| !problems.contains_key(l.file.as_path()))
        .map(|l| DataflowInput {
            doc: l.dataflow.clone(),
            file: l.file.clone(),
            writes_protect: false,
            lines: crate::desired::dataflow::Lines::of(&l.node),
            renamed_from_line: None,
        })
        .collect();
    let inputs = in_environment(inputs, None, Some(&target.sandbox));
    let orgs = HashMap::from([(target.cloud, org.to_owned())]);
    let built = build(&inputs, &orgs, &target.project, target.mode).unwrap_or_default();
    let mut applied: HashMap<PathBuf, Dataflow> = HashMap::new();
    for (input, desired) in inputs.iter().zip(built) {
        // The mode's `protect` is state's to keep; `enabled` stays what the
        // platform runs, so a development mode's disable shows in the plan.
        let mut doc = input.doc.clone();
        doc.protect = desired.doc.protect;
        applied.insert(input.file.clone(), doc);
    }
    let mut kept = Vec::with_capacity(selection.dataflows.len());
    for mut candidate in std::mem::take(&mut selection.dataflows) {
        if let Some(doc) = applied.remove(&candidate.file) {
            candidate.record.protect = doc.protect;
            candidate.record.fingerprint = fingerprint(&doc);
            candidate.record.applied = Some(doc);
            kept.push(candidate);
            continue;
        }
        let reason = match problems.get(candidate.file.as_path()) {
            Some(d) => format!(
                "its YAML would not validate: {} [{}]",
                d.message,
                d.code.as_str()
            ),
            None => "its YAML would not read back as a dataflow".to_owned(),
        };
        selection.skip_dataflow(candidate.key.to_string(), candidate.flow_id.clone(), reason);
    }
    selection.dataflows = kept;
}

/// The dataflow keys the documents under `paths` describe (a document
/// without `sandbox` is in `sandbox`, the settings'), with the file.
pub(crate) fn described(paths: &[PathBuf], sandbox: &str) -> BTreeMap<DataflowKey, PathBuf> {
    use crate::config::load::{self, NodeValue};
    let existing: Vec<PathBuf> = paths.iter().filter(|p| p.exists()).cloned().collect();
    let (files, _) = crate::config::walk::collect(&existing);
    let mut keys = BTreeMap::new();
    for file in files {
        let Ok(source) = load::load_file(&file) else {
            continue;
        };
        for doc in &source.documents {
            let text = |field: &str| match doc.get(field).map(|n| &n.value) {
                Some(NodeValue::String(s)) if !s.is_empty() => Some(s.as_str()),
                _ => None,
            };
            if text("kind") != Some(crate::config::DATAFLOW_KIND) {
                continue;
            }
            let (Some(cloud), Some(name)) =
                (text("cloud").and_then(|c| c.parse().ok()), text("name"))
            else {
                continue;
            };
            let key = DataflowKey::new(cloud, text("sandbox").unwrap_or(sandbox), name);
            keys.entry(key).or_insert_with(|| file.clone());
        }
    }
    keys
}
