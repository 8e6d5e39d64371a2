//! The platform's APIs as the rest of `provision` sees them: a `FlowService`
//! trait (so apply can run against a fake) over Flow Service, Data Prep and
//! Catalog, the reqwest client that implements it with IMS auth and
//! retries, the wire types, and the bodies a dataflow's objects are built from.

mod auth;
mod client;
mod client_config;
mod data_prep;
pub mod dataflow;
mod discovery;
mod error;
mod explore;
pub mod hosts;
pub mod ingestion;
pub mod ingestion_bodies;
pub mod ingestion_patches;
mod objects;
mod operations;
mod redact;
mod redacted;
mod resource;
mod retry;
mod send;
mod service;
pub mod transport;
pub mod wire;
mod wire_forms;

pub use auth::{Credentials, TokenSource};
pub use client::{DEFAULT_PAGE_SIZE, FlowServiceClient};
pub use client_config::{ClientConfig, Timeouts};
pub use data_prep::MappingSetRef;
pub use dataflow::FlowSpecSummary;
pub use discovery::{DatasetSummary, MissingColumns, select_columns};
pub use error::ApiError;
pub(crate) use error::seconds;
pub use explore::{ExploreError, explore_columns};
pub use redact::Redactor;
pub use resource::{CATALOG_ROOT, DATA_PREP_ROOT, FLOW_SERVICE_ROOT, Resource};
pub use retry::{CallKind, RetryPolicy};
pub use service::FlowService;
use wire::POSTGRES_SPEC_ID;

/// Where a call lands: every Flow Service object lives in one (org, sandbox).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope {
    /// IMS organization id (`…@AdobeOrg`), the `x-gw-ims-org-id` header.
    pub org: String,
    /// Sandbox name, the `x-sandbox-name` header.
    pub sandbox: String,
}

impl Scope {
    pub fn new(org: impl Into<String>, sandbox: impl Into<String>) -> Self {
        Scope {
            org: org.into(),
            sandbox: sandbox.into(),
        }
    }
}

/// A `property` filter: `name==a,b` (comma = OR), `state!=disabled`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub property: String,
    pub negated: bool,
    pub values: Vec<String>,
}

impl Filter {
    /// The `property=` query value.
    pub fn to_query_value(&self) -> String {
        let op = if self.negated { "!=" } else { "==" };
        format!("{}{op}{}", self.property, self.values.join(","))
    }
}

/// What to list. Repeated filters are ANDed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub filters: Vec<Filter>,
    /// `name`, `-name` or `createdAt`.
    pub order_by: Option<String>,
    /// Page size (`limit`); 100 when absent.
    pub page_size: Option<u32>,
}

impl ListQuery {
    pub fn new() -> Self {
        ListQuery::default()
    }

    /// Adds `property==value` (a value with commas means any of them).
    pub fn eq(mut self, property: &str, value: &str) -> Self {
        self.filters.push(Filter {
            property: property.into(),
            negated: false,
            values: vec![value.into()],
        });
        self
    }

    /// Adds `property!=value`.
    pub fn ne(mut self, property: &str, value: &str) -> Self {
        self.filters.push(Filter {
            property: property.into(),
            negated: true,
            values: vec![value.into()],
        });
        self
    }

    pub fn order_by(mut self, order: &str) -> Self {
        self.order_by = Some(order.into());
        self
    }

    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = Some(size);
        self
    }

    /// Only PostgreSQL connections.
    pub fn postgres(self) -> Self {
        self.eq("connectionSpec.id", POSTGRES_SPEC_ID)
    }
}
