//! Updating a connection in place: read it, PATCH only what differs (`add`
//! for fields that may be absent, `replace` for those that always exist,
//! the whole `auth/params` only when a parameter or the secret changed),
//! re-read once on a stale etag, and record the result. A rename is the
//! same PATCH (`replace /name` with whatever else differs), recorded by
//! moving the state entry from the earlier key in one write.

use serde_json::{Value, json};

use super::{ActionError, Done, Engine};
use crate::api::wire::{ConnectionItem, CreateConnectionRequest, PatchOp};
use crate::api::{ApiError, FlowService, Scope};
use crate::config::{Connection, ConnectionKey};
use crate::plan::{Desired, visible_changes};

impl<F: FlowService + 'static> Engine<F> {
    pub(super) async fn adopt(&self, d: &Desired, id: &str) -> Result<Done, ActionError> {
        let scope = Scope::new(&d.org, &d.connection.sandbox);
        let item = self.get(&scope, id).await?;
        // A declared `secretVersion` has never been sent for an adopted
        // connection: send the secret with the adoption.
        let push_secret = d.connection.secret_version.is_some();
        let updated = self.patch(d, &scope, item, push_secret, None).await?;
        Ok(Done::Adopted {
            id: id.to_owned(),
            updated,
        })
    }

    /// An update of only `protect`, which lives in state: recorded from
    /// what state knows, without a request (the usual update when state no
    /// longer matches the document in anything else).
    pub(super) async fn record_only(&self, d: &Desired, id: &str) -> Result<Done, ActionError> {
        let recorded = self.records.get(&d.key).filter(|r| {
            r.id == id
                && r.fingerprint == d.fingerprint
                && r.secret_version == d.connection.secret_version
        });
        match recorded {
            Some(record) => {
                self.save(d, id, &record.etag).await?;
                Ok(Done::Updated(id.to_owned()))
            }
            None => self.update(d, id, false).await,
        }
    }

    /// `push_secret`: the secret changed (or rotation was asked for), which
    /// the service cannot show, so `auth/params` is sent whatever it reads.
    pub(super) async fn update(
        &self,
        d: &Desired,
        id: &str,
        push_secret: bool,
    ) -> Result<Done, ActionError> {
        let scope = Scope::new(&d.org, &d.connection.sandbox);
        let item = match self.get(&scope, id).await {
            Err(ActionError::Api(ApiError::NotFound { .. })) => {
                return Err(ActionError::DeletedOutside(id.to_owned()));
            }
            other => other?,
        };
        self.patch(d, &scope, item, push_secret, None).await?;
        Ok(Done::Updated(id.to_owned()))
    }

    /// Renames connection `id` from the earlier name `from` to `d`'s (with
    /// every other change in the same PATCH) and moves its state entry. A
    /// connection already renamed (an apply stopped before recording it)
    /// needs no PATCH: the entry is moved.
    pub(super) async fn rename(
        &self,
        d: &Desired,
        id: &str,
        from: &str,
        push_secret: bool,
    ) -> Result<Done, ActionError> {
        let scope = Scope::new(&d.org, &d.connection.sandbox);
        let old = ConnectionKey::new(d.key.cloud, &d.key.sandbox, from);
        self.check_earlier_key(d, id, &old)?;
        let item = match self.get(&scope, id).await {
            Err(ActionError::Api(ApiError::NotFound { .. })) => {
                return Err(ActionError::DeletedOutside(id.to_owned()));
            }
            other => other?,
        };
        // Adopted under its earlier name: a declared `secretVersion` has
        // never been sent, as for any adoption.
        let adopted = !self.records.contains_key(&old);
        if adopted && item.name != from && item.name != d.connection.name {
            return Err(ActionError::RenamedMeanwhile {
                id: id.to_owned(),
                from: from.to_owned(),
                now: item.name,
            });
        }
        if self.lookup_before_create {
            // A saved plan's listing may be old: the new name may be taken now.
            self.pace().await;
            let found = self.api.find_by_name(&scope, &d.connection.name).await?;
            if let Some(other) = found.into_iter().find(|other| other.id != id) {
                return Err(ActionError::NameTaken {
                    from: old,
                    name: d.connection.name.clone(),
                    sandbox: d.connection.sandbox.clone(),
                    other: other.id,
                });
            }
        }
        let push_secret = push_secret || (adopted && d.connection.secret_version.is_some());
        self.patch(d, &scope, item, push_secret, Some(&old)).await?;
        Ok(Done::Renamed {
            id: id.to_owned(),
            from: from.to_owned(),
        })
    }

    /// A saved plan's rename must move a key the document lists in
    /// `renamedFrom`, recorded as this id (or not recorded: adopted).
    fn check_earlier_key(
        &self,
        d: &Desired,
        id: &str,
        old: &ConnectionKey,
    ) -> Result<(), ActionError> {
        if !d.connection.earlier_keys().contains(old) {
            return Err(ActionError::Internal(format!(
                "the plan renames `{}` from `{}`, which its `renamedFrom` does not list: nothing was changed; plan again",
                d.key, old.name
            )));
        }
        match self.records.get(old) {
            Some(record) if record.id != id => Err(ActionError::Internal(format!(
                "the plan renames connection `{id}` from `{old}`, but state records `{old}` as `{}`: nothing was changed; plan again",
                record.id
            ))),
            _ => Ok(()),
        }
    }

    /// PATCHes what differs between `d` and `item` (nothing when nothing
    /// does), re-reading once on a stale etag, and records the result.
    /// Returns whether a PATCH was sent.
    async fn patch(
        &self,
        d: &Desired,
        scope: &Scope,
        mut item: ConnectionItem,
        push_secret: bool,
        moved_from: Option<&ConnectionKey>,
    ) -> Result<bool, ActionError> {
        let id = item.id.clone();
        for attempt in 0..2 {
            let ops = patch_ops(&d.connection, &item, push_secret);
            if ops.is_empty() {
                self.save_moved(d, &id, &item.etag, moved_from).await?;
                return Ok(false);
            }
            self.pace().await;
            match self.api.patch(scope, &id, &item.etag, &ops).await {
                Ok(done) => {
                    self.save_moved(d, &id, &done.etag, moved_from).await?;
                    return Ok(true);
                }
                Err(ApiError::NotFound { .. }) => return Err(ActionError::DeletedOutside(id)),
                Err(source @ ApiError::NotPatchable { .. }) => {
                    return Err(ActionError::NotPatchable {
                        key: d.key.clone(),
                        source,
                    });
                }
                Err(ApiError::EtagMismatch { .. } | ApiError::PatchOutcomeUnknown { .. })
                    if attempt == 0 =>
                {
                    // Changed meanwhile, or our own PATCH landed unseen: read
                    // it again and send only what still differs.
                    item = self.get(scope, &id).await?;
                }
                Err(err) => return Err(err.into()),
            }
        }
        Err(ActionError::KeptChanging(id))
    }
}

/// The JSON Patch from what the service shows to what the config says:
/// `replace /name` (always present), `add /description` (RFC 6902 `add`
/// sets a member that may be absent) or `remove` it, and `replace
/// /auth/params` whole when a parameter differs or the secret is pushed.
pub(crate) fn patch_ops(
    desired: &Connection,
    item: &ConnectionItem,
    push_secret: bool,
) -> Vec<PatchOp> {
    let changes = visible_changes(desired, item);
    let changed = |field: &str| changes.iter().any(|c| c.field == field);
    let mut ops = Vec::new();
    if changed("name") {
        ops.push(PatchOp::replace("/name", json!(desired.name)));
    }
    if changed("description") {
        match desired.description.as_deref().filter(|d| !d.is_empty()) {
            Some(text) => ops.push(PatchOp::add("/description", json!(text))),
            None => ops.push(PatchOp::remove("/description")),
        }
    }
    if push_secret || changes.iter().any(|c| c.field.starts_with("auth.")) {
        let body = CreateConnectionRequest::from_connection(desired);
        let params = serde_json::to_value(&body.auth.params).unwrap_or(Value::Null);
        ops.push(PatchOp::replace("/auth/params", params));
    }
    ops
}
