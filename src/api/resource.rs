//! The platform objects the client reads and writes, each with its path
//! under the configured host and the noun messages use. Flow Service, Data
//! Prep and Catalog share one host (`platform.adobe.io`), each under its own
//! `/data/foundation/...` root, so one endpoint setting reaches all three.

use std::fmt;

/// Flow Service: connections, source and target connections, flows, flow specs.
pub const FLOW_SERVICE_ROOT: &str = "/data/foundation/flowservice";
/// Data Prep: mapping sets.
pub const DATA_PREP_ROOT: &str = "/data/foundation/conversion";
/// Catalog: datasets.
pub const CATALOG_ROOT: &str = "/data/foundation/catalog";

/// One kind of platform object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resource {
    /// A base connection (`/connections`).
    Connection,
    SourceConnection,
    TargetConnection,
    Flow,
    FlowSpec,
    /// A Data Prep mapping set.
    MappingSet,
    /// A Catalog dataset.
    Dataset,
}

impl Resource {
    /// Every kind, in the order `index` numbers them.
    pub const ALL: [Resource; 7] = [
        Resource::Connection,
        Resource::SourceConnection,
        Resource::TargetConnection,
        Resource::Flow,
        Resource::FlowSpec,
        Resource::MappingSet,
        Resource::Dataset,
    ];

    /// The position in [`Resource::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The service root the collection lives under.
    pub fn root(self) -> &'static str {
        match self {
            Resource::MappingSet => DATA_PREP_ROOT,
            Resource::Dataset => CATALOG_ROOT,
            _ => FLOW_SERVICE_ROOT,
        }
    }

    /// The collection's path under its root.
    pub fn collection(self) -> &'static str {
        match self {
            Resource::Connection => "/connections",
            Resource::SourceConnection => "/sourceConnections",
            Resource::TargetConnection => "/targetConnections",
            Resource::Flow => "/flows",
            Resource::FlowSpec => "/flowSpecs",
            Resource::MappingSet => "/mappingSets",
            Resource::Dataset => "/dataSets",
        }
    }

    /// The collection's path under the host.
    pub fn path(self) -> String {
        format!("{}{}", self.root(), self.collection())
    }

    /// What messages call one of them.
    pub fn noun(self) -> &'static str {
        match self {
            Resource::Connection => "connection",
            Resource::SourceConnection => "source connection",
            Resource::TargetConnection => "target connection",
            Resource::Flow => "flow",
            Resource::FlowSpec => "flow spec",
            Resource::MappingSet => "mapping set",
            Resource::Dataset => "dataset",
        }
    }

    /// Whether a `_links.next.href` is relative to this collection's
    /// service root (`/sourceConnections?continuationToken=…`).
    pub(crate) fn is_own_href(self, href: &str) -> bool {
        href.strip_prefix(self.collection())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['?', '/']))
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.noun())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_index_and_the_real_paths() {
        for (at, resource) in Resource::ALL.iter().enumerate() {
            assert_eq!(resource.index(), at);
        }
        assert_eq!(
            Resource::MappingSet.path(),
            "/data/foundation/conversion/mappingSets"
        );
        assert_eq!(
            Resource::Dataset.path(),
            "/data/foundation/catalog/dataSets"
        );
        assert_eq!(Resource::Flow.path(), "/data/foundation/flowservice/flows");
        assert!(Resource::Flow.is_own_href("/flows?continuationToken=x"));
        assert!(!Resource::Flow.is_own_href("/flowSpecs?x"));
        assert!(!Resource::Connection.is_own_href("/connectionSpecs"));
        assert!(!Resource::Connection.is_own_href("//evil.example/connections"));
    }
}
