//! The Flow Service API as the rest of `provision` sees it: a `FlowService`
//! trait (so apply can run against a fake), the reqwest client that
//! implements it with IMS auth and retries, and the wire types.

mod auth;
mod client;
mod client_config;
pub mod dataflow;
mod error;
pub mod hosts;
pub mod ingestion;
mod redact;
mod redacted;
mod retry;
mod send;
pub mod transport;
pub mod wire;

use std::future::Future;

pub use auth::{Credentials, TokenSource};
pub use client::{DEFAULT_PAGE_SIZE, FlowServiceClient};
pub use client_config::{ClientConfig, Timeouts};
pub use error::ApiError;
pub(crate) use error::seconds;
pub use redact::Redactor;
pub use retry::{CallKind, RetryPolicy};
use wire::{ConnectionItem, CreateConnectionRequest, IdEtag, POSTGRES_SPEC_ID, PatchOp};

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

/// The Flow Service operations `provision` needs, per (org, sandbox).
/// Implemented by `FlowServiceClient`; tests of the planner can fake it.
pub trait FlowService: Send + Sync {
    /// `POST /connections`. Never retried blindly: a failure after which the
    /// connection may exist is `ApiError::CreateOutcomeUnknown`.
    fn create(
        &self,
        scope: &Scope,
        body: &CreateConnectionRequest,
    ) -> impl Future<Output = Result<IdEtag, ApiError>> + Send;

    /// `GET /connections/{id}`; `ApiError::NotFound` when it does not exist.
    fn get(
        &self,
        scope: &Scope,
        id: &str,
    ) -> impl Future<Output = Result<ConnectionItem, ApiError>> + Send;

    /// `GET /connections` with filters, following `_links.next` to the end.
    fn list(
        &self,
        scope: &Scope,
        query: &ListQuery,
    ) -> impl Future<Output = Result<Vec<ConnectionItem>, ApiError>> + Send;

    /// `PATCH /connections/{id}` with `If-Match: etag`; a stale etag is
    /// `ApiError::EtagMismatch`. Returns the new etag.
    fn patch(
        &self,
        scope: &Scope,
        id: &str,
        etag: &str,
        ops: &[PatchOp],
    ) -> impl Future<Output = Result<IdEtag, ApiError>> + Send;

    /// `DELETE /connections/{id}`. Retried like a read, so when an attempt
    /// landed but its answer was lost the retry reads `ApiError::NotFound`:
    /// treat that as deleted.
    fn delete(&self, scope: &Scope, id: &str) -> impl Future<Output = Result<(), ApiError>> + Send;

    /// Live PostgreSQL connections named exactly `name` in the scope (those
    /// being deleted are ignored): the lookup apply does after a create
    /// whose outcome is unknown, and before each create of a saved plan
    /// (one match: adopt; more: refuse).
    fn find_by_name(
        &self,
        scope: &Scope,
        name: &str,
    ) -> impl Future<Output = Result<Vec<ConnectionItem>, ApiError>> + Send {
        async move {
            // A comma in a filter value means OR on the service, so a name
            // with a comma cannot be filtered for: list them all instead.
            let query = if name.contains(',') {
                ListQuery::new()
            } else {
                ListQuery::new().eq("name", name)
            };
            let items = self.list(scope, &query.postgres()).await?;
            Ok(items
                .into_iter()
                .filter(|item| item.name == name && item.is_live())
                .collect())
        }
    }
}
