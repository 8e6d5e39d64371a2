//! One dataflow document (`kind: dataflow`) through its checks: the
//! dataflow schema, literal values only (no `${VAR}`), the schedule and
//! mapping rules; what passes becomes a typed [`Dataflow`] and an identity
//! for the checks across files (duplicates, renames, references).

use super::{
    DocumentAt, FileResult, Identity, LocatedDataflow, Options, literal, mapping, schedule, schema,
};
use crate::config::ResourceKind;
use crate::config::load::Node;
use crate::config::schema::Kind;
use crate::config::{Dataflow, dataflow::DATAFLOW_KIND};
use crate::diagnostic::{Code, Diagnostic, Severity};

/// The checks of one dataflow document; a valid one is kept (unless only
/// diagnostics are wanted) with its identity.
pub(super) fn check_dataflow(
    at: DocumentAt<'_>,
    doc: Node,
    text: &str,
    options: Options,
    result: &mut FileResult,
) {
    let DocumentAt {
        path,
        index,
        before,
    } = at;
    let diagnostics = &mut result.diagnostics;
    let value = doc.to_json();
    // A `${…}` anywhere is the literal rule's (V227), `sandbox` included:
    // the schema's `sandbox` message would say the same thing twice.
    diagnostics.extend(
        schema::validate(Kind::Dataflow, path, index, &doc, &value)
            .into_iter()
            .filter(|d| d.code != Code::Interpolation),
    );
    literal::check_literal(path, index, &doc, text, diagnostics);
    schedule::check_schedule(path, index, &doc, diagnostics);
    mapping::check_mapping(path, index, &doc, diagnostics);
    if diagnostics[before..]
        .iter()
        .any(|d| d.severity == Severity::Error)
    {
        return;
    }
    match serde_json::from_value::<Dataflow>(value) {
        Ok(dataflow) => {
            let reads = doc.at("/source/connection").pos;
            result.identities.push(Identity::of(
                (ResourceKind::Dataflow, dataflow.key().0),
                Some((dataflow.source.connection.clone(), reads)),
                (path, index),
                (&doc, text),
                dataflow.renamed_from.as_ref(),
            ));
            if !options.diagnostics_only {
                result.dataflows.push(LocatedDataflow {
                    dataflow,
                    file: path.to_owned(),
                    document: index,
                    node: doc,
                });
            }
        }
        // The schema accepted what serde rejects: report, don't panic.
        Err(err) => diagnostics.push(
            Diagnostic::error(
                Code::Schema,
                path,
                doc.pos,
                format!("invalid {DATAFLOW_KIND}: {err}"),
            )
            .in_document(index, ""),
        ),
    }
}
