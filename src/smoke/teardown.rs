//! Taking down what `smoke` made, on success, failure or interrupt: its
//! connection, an earlier killed run's leftovers, and its dataflow chain
//! (flow, source, target); the mapping set stays, Data Prep has no delete.

use super::steps::Run;
use super::{MARK, PREFIX};
use crate::api::wire::ConnectionItem;
use crate::api::{ApiError, FlowService, ListQuery, Resource};

impl Run<'_> {
    /// Deletes the flow, then the source and target connections (also
    /// those a create cut short may have made, found by name); the mapping
    /// set stays, Data Prep has no delete. True when nothing is left but it.
    pub(super) async fn delete_chain(&mut self) -> bool {
        let Some(chain) = self.chain.as_ref() else {
            return true;
        };
        if chain.deleted {
            return true;
        }
        let (name, flow, source, target) = (
            chain.name.clone(),
            chain.flow.clone(),
            chain.source.clone(),
            chain.target.clone(),
        );
        let mut ok = true;
        let step = "dataflow: delete";
        let assumed = "flow, source and target connections deleted";
        let mut deleted = Vec::new();
        let flows = self.ids(Resource::Flow, &name, flow).await;
        for id in flows {
            match self.api.delete_flow(self.scope, &id).await {
                Ok(()) | Err(ApiError::NotFound { .. }) => deleted.push(format!("flow `{id}`")),
                Err(err) => ok = self.failed(step, assumed, &err) && ok,
            }
        }
        let sources = self.ids(Resource::SourceConnection, &name, source).await;
        for id in sources {
            match self.api.delete_source_connection(self.scope, &id).await {
                Ok(()) | Err(ApiError::NotFound { .. }) => {
                    deleted.push(format!("source connection `{id}`"))
                }
                Err(err) => ok = self.failed(step, assumed, &err) && ok,
            }
        }
        let targets = self.ids(Resource::TargetConnection, &name, target).await;
        for id in targets {
            match self.api.delete_target_connection(self.scope, &id).await {
                Ok(()) | Err(ApiError::NotFound { .. }) => {
                    deleted.push(format!("target connection `{id}`"))
                }
                Err(err) => ok = self.failed(step, assumed, &err) && ok,
            }
        }
        if ok {
            let observed = if deleted.is_empty() {
                "nothing was made".to_owned()
            } else {
                format!("deleted {}", deleted.join(", "))
            };
            self.record(step, observed, assumed, true);
            self.chain_mut().deleted = true;
        }
        let mapping = self.chain.as_ref().and_then(|c| c.mapping.clone());
        if let Some(mapping) = mapping.filter(|_| ok) {
            self.record(
                "dataflow: mapping set kept",
                format!("`{name}` (id `{}`) stays: Data Prep has no delete for mapping sets; nothing uses it now", mapping.id),
                "mapping sets cannot be deleted",
                true,
            );
        }
        ok
    }

    /// Deletes what a run killed outright during its chain left (flows
    /// first, then source and target connections, each with smoke's prefix
    /// and mark), a row each; false when one could not be deleted.
    pub(super) async fn clean_chain_leftovers(&mut self) -> bool {
        let step = "earlier dataflow leftover";
        let assumed = "no leftover chain of an earlier run (deleted when found)";
        let ours = |name: &str, description: Option<&str>| {
            name.starts_with(PREFIX) && description.is_some_and(|d| d.starts_with(MARK))
        };
        let all = ListQuery::new();
        let listed = async {
            let flows = self.api.list_flows(self.scope, &all).await?;
            let sources = self.api.list_source_connections(self.scope, &all).await?;
            let targets = self.api.list_target_connections(self.scope, &all).await?;
            Ok::<_, ApiError>((flows, sources, targets))
        };
        let (flows, sources, targets) = match listed.await {
            Ok(listed) => listed,
            Err(err) => return self.failed(step, assumed, &err),
        };
        let mut found: Vec<(Resource, String, String)> = Vec::new();
        let live_flows = flows.into_iter().filter(|i| i.is_live());
        for i in live_flows.filter(|i| ours(&i.name, i.description.as_deref())) {
            found.push((Resource::Flow, i.id, i.name));
        }
        let live_sources = sources.into_iter().filter(|i| i.is_live());
        for i in live_sources.filter(|i| ours(&i.name, i.description.as_deref())) {
            found.push((Resource::SourceConnection, i.id, i.name));
        }
        let live_targets = targets.into_iter().filter(|i| i.is_live());
        for i in live_targets.filter(|i| ours(&i.name, i.description.as_deref())) {
            found.push((Resource::TargetConnection, i.id, i.name));
        }
        for (what, id, name) in found {
            let deleted = match what {
                Resource::Flow => self.api.delete_flow(self.scope, &id).await,
                Resource::SourceConnection => {
                    self.api.delete_source_connection(self.scope, &id).await
                }
                _ => self.api.delete_target_connection(self.scope, &id).await,
            };
            match deleted {
                Ok(()) | Err(ApiError::NotFound { .. }) => {
                    let observed = format!(
                        "deleted {what} `{}` (id `{}`), left by an earlier, interrupted run",
                        name.escape_debug(),
                        id.escape_debug()
                    );
                    self.record(step, observed, assumed, true);
                }
                Err(err) => return self.failed(step, assumed, &err),
            }
        }
        true
    }

    /// The ids of the chain's objects of `what`: the one made, and any
    /// other live one of the chain's name (a create whose answer was cut
    /// short by an interrupt may still have landed).
    async fn ids(&self, what: Resource, name: &str, made: Option<String>) -> Vec<String> {
        let found: Vec<String> = match what {
            Resource::Flow => self
                .api
                .find_flows_by_name(self.scope, name)
                .await
                .map(|v| v.into_iter().map(|i| i.id).collect()),
            Resource::SourceConnection => self
                .api
                .find_source_connections_by_name(self.scope, name)
                .await
                .map(|v| v.into_iter().map(|i| i.id).collect()),
            _ => self
                .api
                .find_target_connections_by_name(self.scope, name)
                .await
                .map(|v| v.into_iter().map(|i| i.id).collect()),
        }
        .unwrap_or_default();
        let mut ids: Vec<String> = made.into_iter().collect();
        for id in found {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        ids
    }

    /// Deletes the throwaway connection an earlier run left (killed before
    /// its clean-up), and says so in a row; false when it could not.
    pub(super) async fn clean_leftover(&mut self, old: &ConnectionItem) -> bool {
        let assumed = "no leftover of an earlier run (deleted when found)";
        match self.api.delete(self.scope, &old.id).await {
            Ok(()) | Err(ApiError::NotFound { .. }) => self.record(
                "earlier leftover",
                format!(
                    "deleted `{}` (id `{}`), left by an earlier, interrupted run",
                    old.name.escape_debug(),
                    old.id.escape_debug()
                ),
                assumed,
                true,
            ),
            Err(err) => {
                self.failed("earlier leftover", assumed, &err);
                false
            }
        }
    }

    /// Deletes the throwaway connection (and the dataflow chain over it)
    /// if a step stopped before it did; returns what is left behind, if
    /// anything.
    pub(super) async fn clean_up(&mut self) -> Option<String> {
        if !self.delete_chain().await {
            let name = self
                .chain
                .as_ref()
                .map(|c| c.name.clone())
                .unwrap_or_default();
            return Some(format!(
                "could not delete the dataflow chain `{name}` (flow, source and target connections) in sandbox `{}`, nor so the connection it reads: delete them by hand",
                self.scope.sandbox
            ));
        }
        let (id, _) = self.created.clone()?;
        if self.deleted {
            return None;
        }
        match self.api.delete(self.scope, &id).await {
            Ok(()) | Err(ApiError::NotFound { .. }) => {
                self.record(
                    "clean up",
                    "deleted after the failure".into(),
                    "the throwaway connection deleted",
                    true,
                );
                None
            }
            Err(err) => {
                self.failed("clean up", "the throwaway connection deleted", &err);
                Some(format!(
                    "could not delete the throwaway connection `{}` (id `{id}`) in sandbox `{}`: delete it by hand",
                    self.name, self.scope.sandbox
                ))
            }
        }
    }
}
