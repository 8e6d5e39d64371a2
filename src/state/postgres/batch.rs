//! A recorded batch as the rows it leaves behind: each touched key's final
//! record and pending entry, written as one array statement per table and
//! kind, so a group commit of any size costs the same few statements.

use std::collections::BTreeSet;

use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, GenericClient, Statement};

use super::PostgresError;
use crate::config::{ConnectionKey, DataflowKey};
use crate::state::{Change, State};

/// The rows a write puts or removes, column by column (the arrays its
/// statements take). Each key appears at most once per table.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Rows {
    pending: PendingColumns,
    records: RecordColumns,
    /// Keys whose pending row goes.
    gone_pending: Vec<String>,
    /// Keys whose connection row goes.
    gone_records: Vec<String>,
    /// Dataflow keys and their records as JSON.
    dataflow_keys: Vec<String>,
    dataflow_records: Vec<String>,
    /// Dataflow keys whose row goes.
    gone_dataflows: Vec<String>,
}

#[derive(Debug, Default, PartialEq)]
struct PendingColumns {
    keys: Vec<String>,
    orgs: Vec<String>,
    started_at: Vec<String>,
    protect: Vec<bool>,
}

#[derive(Debug, Default, PartialEq)]
struct RecordColumns {
    keys: Vec<String>,
    ids: Vec<String>,
    etags: Vec<String>,
    orgs: Vec<String>,
    fingerprints: Vec<String>,
    secret_hmacs: Vec<Option<String>>,
    created_at: Vec<String>,
    updated_at: Vec<String>,
    sources: Vec<Option<String>>,
    secret_versions: Vec<Option<i64>>,
    parts: Vec<Option<String>>,
    protect: Vec<bool>,
}

impl Rows {
    /// The rows `changes` touched, as `state` holds them once they are
    /// applied: a key's rows end as the changes in order leave them, which
    /// is what `state` says (a pending entry changes only the pending row;
    /// an upsert or removal both).
    pub(super) fn touched(state: &State, changes: &[Change]) -> Rows {
        let mut pending_keys = BTreeSet::new();
        let mut record_keys = BTreeSet::new();
        let mut dataflow_keys = BTreeSet::new();
        for change in changes {
            if let Some(key) = change.dataflow_key() {
                dataflow_keys.insert(key);
            }
            let Some(key) = change.key() else { continue };
            pending_keys.insert(key);
            if !matches!(change, Change::Pending(..)) {
                record_keys.insert(key);
            }
        }
        let mut rows = Rows::default();
        for key in dataflow_keys {
            rows.dataflow_row(state, key);
        }
        for key in pending_keys {
            rows.pending_row(state, key);
        }
        for key in record_keys {
            rows.record_row(state, key);
        }
        rows
    }

    /// Every row of `state`: `state migrate` into an empty namespace.
    pub(super) fn all(state: &State) -> Rows {
        let mut rows = Rows::default();
        for key in state.pending.keys() {
            rows.pending_row(state, key);
        }
        for key in state.connections.keys() {
            rows.record_row(state, key);
        }
        for key in state.dataflows.keys() {
            rows.dataflow_row(state, key);
        }
        rows
    }

    fn dataflow_row(&mut self, state: &State, key: &DataflowKey) {
        let text = key.to_string();
        match state
            .dataflows
            .get(key)
            .and_then(|r| serde_json::to_string(r).ok())
        {
            Some(json) => {
                self.dataflow_keys.push(text);
                self.dataflow_records.push(json);
            }
            None => self.gone_dataflows.push(text),
        }
    }

    fn pending_row(&mut self, state: &State, key: &ConnectionKey) {
        let text = key.to_string();
        match state.pending.get(key) {
            Some(p) => {
                self.pending.keys.push(text);
                self.pending.orgs.push(p.org.clone());
                self.pending.started_at.push(p.started_at.clone());
                self.pending.protect.push(p.protect);
            }
            None => self.gone_pending.push(text),
        }
    }

    fn record_row(&mut self, state: &State, key: &ConnectionKey) {
        let text = key.to_string();
        let Some(r) = state.connections.get(key) else {
            self.gone_records.push(text);
            return;
        };
        let columns = &mut self.records;
        columns.keys.push(text);
        columns.ids.push(r.id.clone());
        columns.etags.push(r.etag.clone());
        columns.orgs.push(r.org.clone());
        columns.fingerprints.push(r.fingerprint.clone());
        columns.secret_hmacs.push(r.secret_hmac.clone());
        columns.created_at.push(r.created_at.clone());
        columns.updated_at.push(r.updated_at.clone());
        columns.sources.push(r.source.clone());
        columns
            .secret_versions
            .push(r.secret_version.map(i64::from));
        columns.parts.push(
            r.connection_string_parts
                .as_ref()
                .and_then(|parts| serde_json::to_string(parts).ok()),
        );
        columns.protect.push(r.protect);
    }

    /// Writes the rows through `statements`, one statement per non-empty
    /// kind, all sent before the first answer is read. The kinds touch
    /// disjoint keys per table, so their order does not matter.
    pub(super) async fn write(
        &self,
        client: &impl GenericClient,
        statements: &Statements,
        namespace: &str,
    ) -> Result<(), PostgresError> {
        let (pending, records) = (&self.pending, &self.records);
        let ns: &(dyn ToSql + Sync) = &namespace;
        let upsert_pending: [&(dyn ToSql + Sync); 5] = [
            ns,
            &pending.keys,
            &pending.orgs,
            &pending.started_at,
            &pending.protect,
        ];
        let upsert_records: [&(dyn ToSql + Sync); 13] = [
            ns,
            &records.keys,
            &records.ids,
            &records.etags,
            &records.orgs,
            &records.fingerprints,
            &records.secret_hmacs,
            &records.created_at,
            &records.updated_at,
            &records.sources,
            &records.secret_versions,
            &records.parts,
            &records.protect,
        ];
        let delete_pending: [&(dyn ToSql + Sync); 2] = [ns, &self.gone_pending];
        let delete_records: [&(dyn ToSql + Sync); 2] = [ns, &self.gone_records];
        let upsert_dataflows: [&(dyn ToSql + Sync); 3] =
            [ns, &self.dataflow_keys, &self.dataflow_records];
        let delete_dataflows: [&(dyn ToSql + Sync); 2] = [ns, &self.gone_dataflows];
        let s = statements;
        tokio::try_join!(
            execute(
                client,
                &s.upsert_pending,
                &upsert_pending,
                pending.keys.is_empty()
            ),
            execute(
                client,
                &s.upsert_records,
                &upsert_records,
                records.keys.is_empty()
            ),
            execute(
                client,
                &s.delete_pending,
                &delete_pending,
                self.gone_pending.is_empty()
            ),
            execute(
                client,
                &s.delete_records,
                &delete_records,
                self.gone_records.is_empty()
            ),
            execute(
                client,
                &s.upsert_dataflows,
                &upsert_dataflows,
                self.dataflow_keys.is_empty()
            ),
            execute(
                client,
                &s.delete_dataflows,
                &delete_dataflows,
                self.gone_dataflows.is_empty()
            ),
        )
        .map_err(|e| PostgresError::Query(super::message(&e)))?;
        Ok(())
    }
}

/// One statement of a write; nothing is sent when it has no rows (`skip`).
async fn execute(
    client: &impl GenericClient,
    statement: &Statement,
    params: &[&(dyn ToSql + Sync)],
    skip: bool,
) -> Result<u64, tokio_postgres::Error> {
    if skip {
        return Ok(0);
    }
    client.execute(statement, params).await
}

/// The connection reads and writes go through, with its prepared statements.
pub(super) struct Session {
    pub(super) client: Client,
    pub(super) statements: Statements,
}

impl Session {
    /// Prepares the statements on a fresh (migrated) connection.
    pub(super) async fn open(client: Client) -> Result<Self, PostgresError> {
        let statements = Statements::prepare(&client).await?;
        Ok(Session { client, statements })
    }
}

/// The statements every write uses, prepared once per connection.
pub(super) struct Statements {
    pub(super) fence: Statement,
    pub(super) advance: Statement,
    upsert_pending: Statement,
    upsert_records: Statement,
    delete_pending: Statement,
    delete_records: Statement,
    upsert_dataflows: Statement,
    delete_dataflows: Statement,
}

/// Moves the namespace row from serial `$2` to `$3` (lineage `$4`, format
/// `$5`, environment `$6` when given), creating it when `$2` is 0 and there is none; answers the serial
/// it moved to (none when it did not move) and the serial it found, in one
/// round trip (both subqueries see the row as it was before the statement).
const ADVANCE: &str = "WITH moved AS (
         UPDATE provision_namespaces SET serial = $3, lineage = $4, version = $5, updated_at = now(),
                environment = COALESCE($6::text, environment)
         WHERE namespace = $1 AND serial = $2 RETURNING serial
     ), created AS (
         INSERT INTO provision_namespaces (namespace, version, lineage, serial, environment)
         SELECT $1::text, $5::integer, $4::text, $3::bigint, $6::text
         WHERE $2::bigint = 0 AND NOT EXISTS (SELECT 1 FROM provision_namespaces WHERE namespace = $1)
         ON CONFLICT (namespace) DO NOTHING RETURNING serial
     )
     SELECT COALESCE((SELECT serial FROM moved), (SELECT serial FROM created)),
            (SELECT serial FROM provision_namespaces WHERE namespace = $1)";

impl Statements {
    /// Prepares them together: one round trip. The deletes join the keys
    /// rather than test `key = ANY(...)`: PostgreSQL plans the latter as a
    /// scan of the whole namespace's index entries (the pending table's are
    /// mostly dead ones until vacuum: one per create), which made each
    /// write cost what the run had created so far.
    pub(super) async fn prepare(client: &impl GenericClient) -> Result<Self, PostgresError> {
        let (
            fence,
            advance,
            upsert_pending,
            upsert_records,
            delete_pending,
            delete_records,
            upsert_dataflows,
            delete_dataflows,
        ) = tokio::try_join!(
                client.prepare(super::lock::FENCE),
                client.prepare(ADVANCE),
                client.prepare(
                    "INSERT INTO provision_pending (namespace, key, org, started_at, protect)
                     SELECT $1::text, * FROM unnest($2::text[], $3::text[], $4::text[], $5::boolean[])
                     ON CONFLICT (namespace, key) DO UPDATE
                         SET org = EXCLUDED.org, started_at = EXCLUDED.started_at,
                             protect = EXCLUDED.protect",
                ),
                client.prepare(
                    "INSERT INTO provision_connections
                         (namespace, key, id, etag, org, fingerprint, secret_hmac, created_at, updated_at,
                          source, secret_version, connection_string_parts, protect)
                     SELECT $1::text, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                         $7::text[], $8::text[], $9::text[], $10::text[], $11::bigint[], $12::text[],
                         $13::boolean[])
                     ON CONFLICT (namespace, key) DO UPDATE SET id = EXCLUDED.id, etag = EXCLUDED.etag,
                         org = EXCLUDED.org, fingerprint = EXCLUDED.fingerprint,
                         secret_hmac = EXCLUDED.secret_hmac, created_at = EXCLUDED.created_at,
                         updated_at = EXCLUDED.updated_at, source = EXCLUDED.source,
                         secret_version = EXCLUDED.secret_version,
                         connection_string_parts = EXCLUDED.connection_string_parts,
                         protect = EXCLUDED.protect",
                ),
                client.prepare(
                    "DELETE FROM provision_pending
                     WHERE (namespace, key) IN (SELECT $1::text, unnest($2::text[]))"
                ),
                client.prepare(
                    "DELETE FROM provision_connections
                     WHERE (namespace, key) IN (SELECT $1::text, unnest($2::text[]))"
                ),
                client.prepare(
                    "INSERT INTO provision_dataflows (namespace, key, record)
                     SELECT $1::text, * FROM unnest($2::text[], $3::text[])
                     ON CONFLICT (namespace, key) DO UPDATE SET record = EXCLUDED.record",
                ),
                client.prepare(
                    "DELETE FROM provision_dataflows
                     WHERE (namespace, key) IN (SELECT $1::text, unnest($2::text[]))"
                ),
            )
            .map_err(|e| PostgresError::Query(super::message(&e)))?;
        Ok(Statements {
            fence,
            advance,
            upsert_pending,
            upsert_records,
            delete_pending,
            delete_records,
            upsert_dataflows,
            delete_dataflows,
        })
    }
}
