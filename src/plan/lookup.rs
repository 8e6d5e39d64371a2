//! The listed connections of each scope, indexed once per plan: by id for
//! the connections state records, by name for namesakes. A plan then costs
//! what it reads, not the product of the config and the listing.

use std::collections::HashMap;

use super::RemoteView;
use crate::api::Scope;
use crate::api::wire::ConnectionItem;

/// One scope's listing, indexed.
#[derive(Debug, Default)]
pub(crate) struct ScopeIndex<'a> {
    /// The first live item of each id, in listing order.
    live_by_id: HashMap<&'a str, &'a ConnectionItem>,
    /// The live items of each name, in listing order.
    live_by_name: HashMap<&'a str, Vec<&'a ConnectionItem>>,
}

impl<'a> ScopeIndex<'a> {
    fn new(items: &'a [ConnectionItem]) -> Self {
        let mut index = ScopeIndex::default();
        for item in items.iter().filter(|i| i.is_live()) {
            index.live_by_id.entry(item.id.as_str()).or_insert(item);
            index
                .live_by_name
                .entry(item.name.as_str())
                .or_default()
                .push(item);
        }
        index
    }

    /// The live connection with this id, if the scope lists one.
    pub(crate) fn live(&self, id: &str) -> Option<&'a ConnectionItem> {
        self.live_by_id.get(id).copied()
    }

    /// The live connections with this name, in listing order.
    pub(crate) fn namesakes(&self, name: &str) -> &[&'a ConnectionItem] {
        self.live_by_name.get(name).map_or(&[], Vec::as_slice)
    }
}

/// Every listed scope, indexed.
pub(crate) fn index(remote: &RemoteView) -> HashMap<&Scope, ScopeIndex<'_>> {
    remote
        .iter()
        .map(|(scope, items)| (scope, ScopeIndex::new(items)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, name: &str, state: &str) -> ConnectionItem {
        serde_json::from_value(serde_json::json!({
            "id": id, "name": name, "state": state,
            "connectionSpec": {"id": "74a1c565-4e59-48d7-9d67-7c03b8a13137", "version": "1.0"},
        }))
        .expect("a listed connection")
    }

    #[test]
    fn ids_and_names_find_live_items_in_listing_order() {
        let items = vec![
            item("a", "orders", "deleting"),
            item("a", "orders", "enabled"),
            item("b", "orders", "draft"),
            item("c", "billing", "enabled"),
        ];
        let index = ScopeIndex::new(&items);
        assert_eq!(index.live("a").map(|i| i.state.as_str()), Some("enabled"));
        let names: Vec<&str> = index
            .namesakes("orders")
            .iter()
            .map(|i| i.id.as_str())
            .collect();
        assert_eq!(names, ["a", "b"]);
        assert!(index.namesakes("missing").is_empty());
        assert!(index.live("z").is_none());
    }
}
