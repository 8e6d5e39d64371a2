//! The steps of `provision smoke`, each setting what the platform did
//! against what the client assumes: create, etag quoting, read back,
//! secret masking, `sslMode` as read back, list by name, `limit`, the
//! pagination form, update, rename, delete, gone. A step that fails stops the
//! steps after it, except the clean-up, which always runs.

use serde_json::{Value, json};

use super::base::Base;
use super::{Chain, DataflowSmoke, MARK, PREFIX};
use crate::api::wire::{
    BASIC_AUTH, ConnectionItem, CreateAuth, CreateConnectionRequest, PatchOp, SpecRef,
};
use crate::api::{ApiError, FlowService, FlowServiceClient, ListQuery, Scope};
use crate::config::Cloud;
use crate::secret::MASK;

/// One row of the table.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    pub name: &'static str,
    pub observed: String,
    pub assumed: String,
    pub matches: bool,
}

/// One smoke run against one sandbox.
pub(super) struct Run<'a> {
    pub(super) api: &'a FlowServiceClient,
    pub(super) scope: &'a Scope,
    cloud: Cloud,
    /// The server, user and password the connection is made with.
    pub(super) base: Base,
    pub name: String,
    pub steps: Vec<Step>,
    /// The throwaway connection, once created, and whether it is deleted.
    pub(super) created: Option<(String, String)>,
    pub(super) deleted: bool,
    /// `--dataflow-table` and `--dataflow-dataset`, when given.
    pub(super) dataflow: Option<DataflowSmoke>,
    /// The dataflow chain, once its steps began.
    pub(super) chain: Option<Chain>,
}

fn shown(value: Option<&Value>) -> String {
    match value {
        None => "(absent)".into(),
        Some(Value::String(s)) => format!("`{}`", s.escape_debug()),
        Some(other) => format!(
            "`{other}` ({})",
            if other.is_boolean() {
                "a boolean"
            } else {
                "not a string"
            }
        ),
    }
}

impl<'a> Run<'a> {
    pub(super) fn new(
        api: &'a FlowServiceClient,
        scope: &'a Scope,
        cloud: Cloud,
        base: Base,
    ) -> Self {
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        Run {
            api,
            scope,
            cloud,
            base,
            name: format!("{PREFIX}{}", &suffix[..12]),
            steps: Vec::new(),
            created: None,
            deleted: false,
            dataflow: None,
            chain: None,
        }
    }

    pub(super) fn record(
        &mut self,
        name: &'static str,
        observed: String,
        assumed: &str,
        matches: bool,
    ) -> bool {
        self.steps.push(Step {
            name,
            observed,
            assumed: assumed.to_owned(),
            matches,
        });
        matches
    }

    pub(super) fn failed(&mut self, name: &'static str, assumed: &str, err: &ApiError) -> bool {
        self.record(name, format!("error: {err}"), assumed, false)
    }

    fn body(&self) -> CreateConnectionRequest {
        CreateConnectionRequest {
            name: self.name.clone(),
            description: Some(format!("{MARK}: safe to delete")),
            auth: CreateAuth {
                spec_name: BASIC_AUTH.into(),
                params: self.base.params(),
            },
            connection_spec: SpecRef::postgres(),
        }
    }

    /// Every step in order, stopping at the first that fails outright.
    pub(super) async fn all(&mut self) {
        let Some(item) = self.create_and_read().await else {
            return;
        };
        self.read_checks(&item);
        if !self.listing().await {
            return;
        }
        if !self.update(&item).await {
            return;
        }
        if !self.rename(&item.id).await {
            return;
        }
        // The chain reads through the connection: made and deleted while
        // it still exists.
        if let Some(wanted) = self.dataflow.clone() {
            self.dataflow_steps(&wanted, &item.id).await;
            if !self.chain.as_ref().is_some_and(|c| c.deleted) {
                return;
            }
        }
        self.delete().await;
    }

    async fn create_and_read(&mut self) -> Option<ConnectionItem> {
        let assumed = "201 with a connection id";
        let created = match self.api.create(self.scope, &self.body()).await {
            Ok(created) => created,
            Err(err) => {
                self.failed("create", assumed, &err);
                return None;
            }
        };
        self.created = Some((created.id.clone(), created.etag.clone()));
        self.record(
            "create",
            format!("created, id `{}`", created.id),
            assumed,
            true,
        );
        let quoted =
            created.etag.len() >= 2 && created.etag.starts_with('"') && created.etag.ends_with('"');
        self.record(
            "etag quoting",
            format!("`{}`", created.etag),
            "an etag in double quotes, sent back as is in If-Match",
            quoted,
        );
        let assumed = "the connection as created, `state` enabled";
        match self.api.get(self.scope, &created.id).await {
            Ok(item) => {
                let ok = item.name == self.name && item.state == "enabled";
                self.record(
                    "read back",
                    format!(
                        "name `{}`, state `{}`",
                        item.name.escape_debug(),
                        item.state.escape_debug()
                    ),
                    assumed,
                    ok,
                );
                Some(item)
            }
            Err(err) => {
                self.failed("read back", assumed, &err);
                None
            }
        }
    }

    fn read_checks(&mut self, item: &ConnectionItem) {
        let params = item.auth.as_ref().map(|a| &a.params);
        let password = params.and_then(|p| p.get("password"));
        let clear = password.and_then(Value::as_str) == Some(self.base.password.expose());
        let observed = if clear {
            "the password in clear text".to_owned()
        } else {
            // A server may echo it in some other form: never shown.
            self.api.redactor().redact(&shown(password))
        };
        self.record(
            "secret masking",
            observed,
            &format!("the password never returned (read as `{MASK}`)"),
            !clear,
        );
        let ssl = params.and_then(|p| p.get("sslMode"));
        let name = match self.cloud {
            Cloud::Aws => "aws sslMode read back",
            Cloud::Azure => "azure sslMode read back",
        };
        let Some(wanted) = self.base.ssl_mode.clone() else {
            // The described connection sends none: whatever comes back is
            // a default the plan never compares (it compares what it sends).
            let assumed = "none sent: any value or none read back";
            self.record(name, shown(ssl), assumed, true);
            return;
        };
        let same = match ssl {
            Some(Value::String(s)) => *s == wanted,
            Some(Value::Bool(b)) => b.to_string() == wanted,
            _ => false,
        };
        let assumed = match self.cloud {
            Cloud::Aws => {
                format!("`\"{wanted}\"` as sent (a string; a boolean {wanted} also compares equal)")
            }
            Cloud::Azure => format!("`{wanted}` as sent"),
        };
        self.record(name, shown(ssl), &assumed, same);
    }

    async fn listing(&mut self) -> bool {
        let assumed = "`property=name==…` lists exactly this connection";
        let id = self
            .created
            .as_ref()
            .map(|c| c.0.clone())
            .unwrap_or_default();
        match self.api.find_by_name(self.scope, &self.name).await {
            Ok(found) => {
                let ok = found.len() == 1 && found[0].id == id;
                self.record(
                    "list by name",
                    format!("{} connection(s) listed", found.len()),
                    assumed,
                    ok,
                );
            }
            Err(err) => return self.failed("list by name", assumed, &err),
        }
        let query = ListQuery::new().postgres().page_size(100);
        let assumed = "`limit=100` accepted";
        if let Err(err) = self.api.first_page(self.scope, &query).await {
            return self.failed("limit accepted", assumed, &err);
        }
        self.record("limit accepted", "200".into(), assumed, true);
        self.pagination().await
    }

    async fn pagination(&mut self) -> bool {
        let assumed =
            "`_links.next.href` on the endpoint's origin, followable, only when more pages exist";
        let first = match self
            .api
            .first_page(self.scope, &ListQuery::new().postgres().page_size(1))
            .await
        {
            Ok(first) => first,
            Err(err) => return self.failed("pagination form", assumed, &err),
        };
        let Some(href) = first.links.and_then(|l| l.next).map(|n| n.href) else {
            let observed = format!(
                "one page of {} (nothing more to page through)",
                first.items.len()
            );
            return self.record("pagination form", observed, assumed, first.items.len() <= 1);
        };
        let form = if href.starts_with("/connections") {
            "relative to the service"
        } else if href.starts_with('/') {
            "relative to the host"
        } else {
            "absolute"
        };
        match self.api.next_page(self.scope, &href).await {
            Ok(_) => self.record(
                "pagination form",
                format!("next link {form}, followed"),
                assumed,
                true,
            ),
            Err(err) => self.failed("pagination form", assumed, &err),
        }
    }

    async fn update(&mut self, item: &ConnectionItem) -> bool {
        let assumed = "`add /description` with If-Match: a new etag, the description read back";
        let text = &format!("{MARK}: updated");
        let ops = [PatchOp::add("/description", json!(text))];
        let patched = match self.api.patch(self.scope, &item.id, &item.etag, &ops).await {
            Ok(patched) => patched,
            Err(err) => return self.failed("update description", assumed, &err),
        };
        match self.api.get(self.scope, &item.id).await {
            Ok(read) => {
                let read_back = read.description.as_deref() == Some(text.as_str());
                let ok = patched.etag != item.etag && read_back;
                let observed = format!(
                    "new etag: {}, description read back: {read_back}",
                    patched.etag != item.etag,
                );
                self.record("update description", observed, assumed, ok)
            }
            Err(err) => self.failed("update description", assumed, &err),
        }
    }

    /// What `renamedFrom` relies on: `replace /name` with If-Match keeps
    /// the id, and the earlier name is no longer listed.
    async fn rename(&mut self, id: &str) -> bool {
        let step = "rename";
        let assumed = "`replace /name` with If-Match: the same id read back under the new name, the old name no longer listed";
        // Still the prefix: a run killed from here on is cleaned up too.
        let new_name = format!("{}-renamed", self.name);
        let ops = [PatchOp::replace("/name", json!(new_name))];
        let renamed = match self.api.get(self.scope, id).await {
            Ok(item) => self.api.patch(self.scope, id, &item.etag, &ops).await,
            Err(err) => Err(err),
        };
        if let Err(err) = renamed {
            return self.failed(step, assumed, &err);
        }
        let old_name = std::mem::replace(&mut self.name, new_name);
        let read = match self.api.get(self.scope, id).await {
            Ok(read) => read,
            Err(err) => return self.failed(step, assumed, &err),
        };
        let old_listed = match self.api.find_by_name(self.scope, &old_name).await {
            Ok(found) => found.len(),
            Err(err) => return self.failed(step, assumed, &err),
        };
        let ok = read.id == id && read.name == self.name && old_listed == 0;
        let observed = format!(
            "read back as `{}`, old name listed {old_listed} time(s)",
            read.name.escape_debug()
        );
        self.record(step, observed, assumed, ok)
    }

    async fn delete(&mut self) -> bool {
        let Some((id, _)) = self.created.clone() else {
            return false;
        };
        let assumed = "204";
        if let Err(err) = self.api.delete(self.scope, &id).await {
            return self.failed("delete", assumed, &err);
        }
        self.deleted = true;
        self.record("delete", "deleted".into(), assumed, true);
        let assumed = "404 (`FLOW-1439-*`), or listed as being deleted";
        let observed = match self.api.get(self.scope, &id).await {
            Err(ApiError::NotFound { .. }) => Ok("404".to_owned()),
            Ok(item) if !item.is_live() => Ok(format!("state `{}`", item.state.escape_debug())),
            Ok(item) => Err(format!(
                "still there, state `{}`",
                item.state.escape_debug()
            )),
            Err(err) => Err(format!("error: {err}")),
        };
        match observed {
            Ok(observed) => self.record("gone", observed, assumed, true),
            Err(observed) => self.record("gone", observed, assumed, false),
        }
    }
}
