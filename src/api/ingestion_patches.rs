//! The JSON Patch operations that change a dataflow's objects in place:
//! a description, a flow's schedule (never its start, which the platform
//! keeps once passed), and a transformation's params at the index the flow
//! was read with. What cannot change in place is said so, for a replace.

use serde_json::{Value, json};

use super::data_prep::MappingSetRef;
use super::dataflow::{FlowItem, ScheduleParams};
use super::ingestion_bodies::{COPY, MAPPING, copy_params, mapping_params};
use super::wire::PatchOp;
use crate::config::Delta;

/// A change the platform cannot make to a flow in place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InPlaceError {
    /// The flow has no such transformation to patch, or the change would
    /// add or remove one (the platform keeps a flow's transformations).
    #[error(
        "flow `{flow}` {}: a flow's transformations cannot be added or removed in place, so the flow must be replaced",
        if *.present { format!("has a `{name}` transformation the change would remove") } else { format!("has no `{name}` transformation") }
    )]
    Transformation {
        flow: String,
        name: &'static str,
        present: bool,
    },
}

fn blank(text: Option<&str>) -> Option<&str> {
    text.filter(|t| !t.is_empty())
}

/// `/description`: `add` sets it whether or not it exists (RFC 6902),
/// `remove` clears one that exists; nothing when it is unchanged (an empty
/// description is none).
pub fn description_ops(current: Option<&str>, desired: Option<&str>) -> Vec<PatchOp> {
    match (blank(current), blank(desired)) {
        (current, desired) if current == desired => Vec::new(),
        (_, Some(text)) => vec![PatchOp::add("/description", json!(text))],
        (_, None) => vec![PatchOp::remove("/description")],
    }
}

/// One optional member of `scheduleParams`: add, replace or remove.
fn member_op(key: &str, current: Option<Value>, desired: Option<Value>) -> Option<PatchOp> {
    let path = format!("/scheduleParams/{key}");
    match (current, desired) {
        (current, desired) if current == desired => None,
        (None, Some(value)) => Some(PatchOp::add(&path, value)),
        (Some(_), Some(value)) => Some(PatchOp::replace(&path, value)),
        (Some(_), None) => Some(PatchOp::remove(&path)),
        (None, None) => None,
    }
}

/// `/scheduleParams/frequency`, `/interval` and `/backfill` where they
/// differ, in the file's types. `startTime` is never patched: the platform
/// refuses to move a start that has passed, and the one recorded at create stands.
pub fn schedule_ops(current: &ScheduleParams, desired: &ScheduleParams) -> Vec<PatchOp> {
    let mut ops = Vec::new();
    if current.frequency != desired.frequency {
        ops.push(PatchOp::replace(
            "/scheduleParams/frequency",
            json!(desired.frequency),
        ));
    }
    let text = |v: &Option<String>| v.as_ref().map(|s| json!(s));
    let flag = |v: &Option<bool>| v.map(|b| json!(b));
    ops.extend(member_op(
        "interval",
        text(&current.interval),
        text(&desired.interval),
    ));
    ops.extend(member_op(
        "backfill",
        flag(&current.backfill),
        flag(&desired.backfill),
    ));
    ops
}

/// A scalar as the flow spec reads it: `0` and `"0"` are the same version.
fn same(current: Option<&Value>, desired: &Value) -> bool {
    match (current, desired) {
        (Some(Value::Number(n)), Value::String(s)) | (Some(Value::String(s)), Value::Number(n)) => {
            n.to_string() == *s
        }
        (Some(current), desired) => current == desired,
        (None, _) => false,
    }
}

/// `replace /transformations/{i}/params/{key}` for each key of `desired`
/// that differs, `i` being where the flow as read holds `name`.
fn params_ops(
    flow: &FlowItem,
    name: &'static str,
    desired: &Value,
) -> Result<Vec<PatchOp>, InPlaceError> {
    let Some(at) = flow.transformation_index(name) else {
        return Err(InPlaceError::Transformation {
            flow: flow.name.clone(),
            name,
            present: false,
        });
    };
    let current = &flow.transformations[at].params;
    let mut ops = Vec::new();
    for (key, value) in desired.as_object().into_iter().flatten() {
        if !same(current.get(key), value) {
            let path = format!("/transformations/{at}/params/{key}");
            let op = match current.get(key) {
                Some(_) => PatchOp::replace(&path, value.clone()),
                None => PatchOp::add(&path, value.clone()),
            };
            ops.push(op);
        }
    }
    Ok(ops)
}

/// The `Copy` transformation's delta column, at its index as read. A flow
/// without `Copy` cannot gain one in place, nor lose it (the flow spec
/// requires its `deltaColumn`).
pub fn delta_ops(flow: &FlowItem, delta: Option<&Delta>) -> Result<Vec<PatchOp>, InPlaceError> {
    match delta {
        Some(delta) => params_ops(flow, COPY, &copy_params(delta)),
        None if flow.transformation_index(COPY).is_some() => Err(InPlaceError::Transformation {
            flow: flow.name.clone(),
            name: COPY,
            present: true,
        }),
        None => Ok(Vec::new()),
    }
}

/// The `Mapping` transformation's set and version, at its index as read.
pub fn mapping_ops(flow: &FlowItem, mapping: &MappingSetRef) -> Result<Vec<PatchOp>, InPlaceError> {
    params_ops(flow, MAPPING, &mapping_params(mapping))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::dataflow::Transformation;
    use crate::api::wire::SpecRef;

    fn schedule(frequency: &str, interval: Option<&str>, backfill: Option<bool>) -> ScheduleParams {
        ScheduleParams {
            start_time: 1_764_547_200,
            frequency: frequency.into(),
            interval: interval.map(str::to_owned),
            backfill,
        }
    }

    fn texts(ops: &[PatchOp]) -> Vec<String> {
        ops.iter()
            .map(|op| serde_json::to_string(op).unwrap_or_default())
            .collect()
    }

    /// A flow as read, its transformations in the order given (Mapping first
    /// here, so an index taken from the create order would be wrong).
    fn flow(transformations: Vec<(&str, Value)>) -> FlowItem {
        FlowItem {
            id: "f1".into(),
            name: "orders-to-lake".into(),
            description: None,
            flow_spec: SpecRef {
                id: "spec".into(),
                version: "1.0".into(),
            },
            state: "enabled".into(),
            etag: "\"e\"".into(),
            source_connection_ids: vec!["s".into()],
            target_connection_ids: vec!["t".into()],
            transformations: transformations
                .into_iter()
                .map(|(name, params)| Transformation {
                    name: name.into(),
                    params,
                })
                .collect(),
            schedule_params: schedule("hour", Some("1"), Some(true)),
        }
    }

    fn delta(column: &str) -> Delta {
        Delta {
            column: column.into(),
            date_format: None,
            timezone: None,
        }
    }

    #[test]
    fn descriptions_are_added_removed_or_left() {
        assert!(description_ops(Some("a"), Some("a")).is_empty());
        assert!(description_ops(None, Some("")).is_empty());
        assert_eq!(
            texts(&description_ops(None, Some("nightly"))),
            [r#"{"op":"add","path":"/description","value":"nightly"}"#]
        );
        assert_eq!(
            texts(&description_ops(Some("old"), None)),
            [r#"{"op":"remove","path":"/description"}"#]
        );
    }

    #[test]
    fn schedules_patch_what_differs_but_never_the_start() {
        let hourly = schedule("hour", Some("1"), Some(true));
        let mut later = schedule("minute", Some("15"), Some(true));
        later.start_time += 3600;
        assert_eq!(
            texts(&schedule_ops(&hourly, &later)),
            [
                r#"{"op":"replace","path":"/scheduleParams/frequency","value":"minute"}"#,
                r#"{"op":"replace","path":"/scheduleParams/interval","value":"15"}"#,
            ]
        );
        let once = schedule("once", None, None);
        assert_eq!(
            texts(&schedule_ops(&hourly, &once)),
            [
                r#"{"op":"replace","path":"/scheduleParams/frequency","value":"once"}"#,
                r#"{"op":"remove","path":"/scheduleParams/interval"}"#,
                r#"{"op":"remove","path":"/scheduleParams/backfill"}"#,
            ]
        );
        assert_eq!(schedule_ops(&once, &hourly).len(), 3);
        assert!(schedule_ops(&hourly, &hourly).is_empty());
    }

    #[test]
    fn transformations_are_patched_at_their_index_as_read() {
        let read = flow(vec![
            ("Mapping", json!({"mappingId": "m1", "mappingVersion": 0})),
            ("Copy", json!({"deltaColumn": {"name": "updated_at"}})),
        ]);
        assert_eq!(delta_ops(&read, Some(&delta("updated_at"))), Ok(Vec::new()));
        assert_eq!(
            delta_ops(&read, Some(&delta("modified_at"))).map(|ops| texts(&ops)),
            Ok(vec![
                r#"{"op":"replace","path":"/transformations/1/params/deltaColumn","value":{"name":"modified_at"}}"#
                    .to_owned()
            ])
        );
        let same = MappingSetRef {
            id: "m1".into(),
            version: 0,
        };
        assert_eq!(mapping_ops(&read, &same), Ok(Vec::new()));
        let next = MappingSetRef {
            id: "m1".into(),
            version: 1,
        };
        assert_eq!(
            mapping_ops(&read, &next).map(|ops| texts(&ops)),
            Ok(vec![
                r#"{"op":"replace","path":"/transformations/0/params/mappingVersion","value":"1"}"#
                    .to_owned()
            ])
        );
    }

    #[test]
    fn adding_or_removing_a_transformation_is_not_in_place() {
        let mapped = flow(vec![("Mapping", json!({"mappingId": "m1"}))]);
        let err = delta_ops(&mapped, Some(&delta("updated_at"))).err();
        assert_eq!(
            err.map(|e| e.to_string()).as_deref(),
            Some(
                "flow `orders-to-lake` has no `Copy` transformation: a flow's transformations cannot be added or removed in place, so the flow must be replaced"
            )
        );
        assert_eq!(delta_ops(&mapped, None), Ok(Vec::new()));
        let copied = flow(vec![("Copy", json!({"deltaColumn": {"name": "u"}}))]);
        assert!(delta_ops(&copied, None).is_err());
        let next = MappingSetRef {
            id: "m2".into(),
            version: 0,
        };
        assert!(mapping_ops(&copied, &next).is_err());
    }
}
