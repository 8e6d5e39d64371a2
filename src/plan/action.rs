//! One step of a plan: a connection, its org, why, and what to do, each kind
//! carrying only the data it needs (an update always has an id; a create
//! never does). The plan file keeps its flat, versioned form (`ActionDoc`),
//! and a hand-edited plan that breaks these rules is refused when read.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ActionKind, FieldChange};
use crate::config::ConnectionKey;

/// What to do to one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// Create it: nothing is recorded and nothing of its name was found.
    Create,
    /// It would be created, but must not be: apply fails it with this
    /// reason (several remote connections share the name).
    Blocked(String),
    /// Record the remote connection `id` (patching what differs).
    Adopt {
        id: String,
        changes: Vec<FieldChange>,
    },
    /// Patch the recorded connection `id`.
    Update {
        id: String,
        changes: Vec<FieldChange>,
    },
    /// Patch connection `id`, recorded (or listed) under the earlier name
    /// `from`, to the action's name and fields, and move its state entry.
    Rename {
        id: String,
        from: String,
        changes: Vec<FieldChange>,
    },
    /// Delete the recorded connection `id` (`--prune`), or one a pending
    /// create without a document landed as (adopt, then prune).
    Delete { id: String },
    /// Forget a pending create whose document is gone and whose name was
    /// not listed after the settle window: nothing to delete.
    DropPending,
    /// Nothing to do for the recorded connection `id`.
    Unchanged { id: String },
}

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(into = "ActionDoc", try_from = "ActionDoc")]
pub(crate) struct Action {
    pub key: ConnectionKey,
    pub org: String,
    /// Why, in words: "not in state", "deleted outside provision", ...
    pub reasons: Vec<String>,
    pub step: Step,
    /// When state's pending create of this key started: apply looks the
    /// name up over the settle window from then before any create.
    pub pending_since: Option<String>,
}

impl Action {
    pub(crate) fn kind(&self) -> ActionKind {
        match self.step {
            Step::Create | Step::Blocked(_) => ActionKind::Create,
            Step::Adopt { .. } => ActionKind::Adopt,
            Step::Update { .. } => ActionKind::Update,
            Step::Rename { .. } => ActionKind::Rename,
            Step::Delete { .. } | Step::DropPending => ActionKind::Delete,
            Step::Unchanged { .. } => ActionKind::Unchanged,
        }
    }

    /// The remote id: recorded, or found for an adopt.
    pub(crate) fn id(&self) -> Option<&str> {
        match &self.step {
            Step::Create | Step::Blocked(_) | Step::DropPending => None,
            Step::Adopt { id, .. }
            | Step::Update { id, .. }
            | Step::Rename { id, .. }
            | Step::Delete { id }
            | Step::Unchanged { id } => Some(id),
        }
    }

    /// The fields that differ (secret values are never shown).
    pub(crate) fn changes(&self) -> &[FieldChange] {
        match &self.step {
            Step::Adopt { changes, .. }
            | Step::Update { changes, .. }
            | Step::Rename { changes, .. } => changes,
            _ => &[],
        }
    }

    /// The earlier name a rename moves the connection from.
    pub(crate) fn renamed_from(&self) -> Option<&str> {
        match &self.step {
            Step::Rename { from, .. } => Some(from),
            _ => None,
        }
    }

    /// Why apply must not carry it out.
    pub(crate) fn blocked(&self) -> Option<&str> {
        match &self.step {
            Step::Blocked(reason) => Some(reason),
            _ => None,
        }
    }
}

/// The plan file's flat form of an action (format version 1).
#[derive(Serialize, Deserialize, JsonSchema)]
struct ActionDoc {
    #[schemars(with = "String")]
    key: ConnectionKey,
    kind: ActionKind,
    org: String,
    cloud: String,
    sandbox: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    reasons: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    changes: Vec<FieldChange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    blocked: Option<String>,
    /// A rename's earlier name: state's entry under it moves to `key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    renamed_from: Option<String>,
    /// When state's pending create of this key started (a delete without
    /// `id` drops that stale pending record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pending_since: Option<String>,
}

impl From<Action> for ActionDoc {
    fn from(action: Action) -> Self {
        let kind = action.kind();
        let id = action.id().map(str::to_owned);
        let ConnectionKey {
            cloud,
            sandbox,
            name,
        } = action.key.clone();
        let renamed_from = action.renamed_from().map(str::to_owned);
        let (changes, blocked) = match action.step {
            Step::Adopt { changes, .. }
            | Step::Update { changes, .. }
            | Step::Rename { changes, .. } => (changes, None),
            Step::Blocked(reason) => (Vec::new(), Some(reason)),
            _ => (Vec::new(), None),
        };
        ActionDoc {
            key: action.key,
            kind,
            org: action.org,
            cloud: cloud.to_string(),
            sandbox,
            name,
            id,
            reasons: action.reasons,
            changes,
            blocked,
            renamed_from,
            pending_since: action.pending_since,
        }
    }
}

impl TryFrom<ActionDoc> for Action {
    type Error = String;

    fn try_from(doc: ActionDoc) -> Result<Self, String> {
        let id = || {
            doc.id
                .clone()
                .ok_or_else(|| format!("action `{}` ({:?}) has no `id`", doc.key, doc.kind))
        };
        let step = match (doc.kind, doc.blocked.clone()) {
            (ActionKind::Create, Some(reason)) => Step::Blocked(reason),
            (ActionKind::Create, None) => Step::Create,
            (ActionKind::Adopt, None) => Step::Adopt {
                id: id()?,
                changes: doc.changes.clone(),
            },
            (ActionKind::Update, None) => Step::Update {
                id: id()?,
                changes: doc.changes.clone(),
            },
            (ActionKind::Rename, None) => Step::Rename {
                id: id()?,
                from: doc.renamed_from.clone().ok_or_else(|| {
                    format!("action `{}` (rename) has no `renamed_from`", doc.key)
                })?,
                changes: doc.changes.clone(),
            },
            // Only a pending record can be dropped without an id.
            (ActionKind::Delete, None) if doc.id.is_none() && doc.pending_since.is_some() => {
                Step::DropPending
            }
            (ActionKind::Delete, None) => Step::Delete { id: id()? },
            (ActionKind::Unchanged, None) => Step::Unchanged { id: id()? },
            (ActionKind::Replace, None) => {
                return Err(format!(
                    "action `{}`: a connection is never replaced (only a dataflow is)",
                    doc.key
                ));
            }
            (kind, Some(_)) => {
                return Err(format!(
                    "action `{}`: only a create can be blocked, not {kind:?}",
                    doc.key
                ));
            }
        };
        Ok(Action {
            key: doc.key,
            org: doc.org,
            reasons: doc.reasons,
            step,
            pending_since: doc.pending_since,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hand_edited_action_that_breaks_the_rules_is_refused() {
        let update_without_id = r#"{"key":"azure/dev/a","kind":"update","org":"O","cloud":"azure","sandbox":"dev","name":"a"}"#;
        let err = serde_json::from_str::<Action>(update_without_id).unwrap_err();
        assert!(err.to_string().contains("has no `id`"), "{err}");
        let blocked_delete = r#"{"key":"azure/dev/a","kind":"delete","org":"O","cloud":"azure","sandbox":"dev","name":"a","id":"x","blocked":"no"}"#;
        assert!(serde_json::from_str::<Action>(blocked_delete).is_err());
        let bad_key =
            r#"{"key":"a","kind":"create","org":"O","cloud":"azure","sandbox":"dev","name":"a"}"#;
        let err = serde_json::from_str::<Action>(bad_key).unwrap_err();
        assert!(err.to_string().contains("cloud/sandbox/name"), "{err}");
    }

    #[test]
    fn the_flat_form_round_trips() {
        let action = Action {
            key: "aws/prod/x".parse().unwrap(),
            org: "O".into(),
            reasons: vec!["why".into()],
            step: Step::Blocked("two namesakes".into()),
            pending_since: None,
        };
        let json = serde_json::to_value(&action).unwrap();
        assert_eq!(json["kind"], "create");
        assert_eq!(json["blocked"], "two namesakes");
        assert_eq!(json["cloud"], "aws");
        assert_eq!(serde_json::from_value::<Action>(json).unwrap(), action);
    }
}
