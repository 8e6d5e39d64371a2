//! A dataflow's table looked at in PostgreSQL's catalog, over the base
//! connection's own session: the table, its columns, the delta column's
//! type and the user's SELECT privilege, each problem at its field. Names
//! read from the database are server text: escaped before they are shown.

use tokio_postgres::Client;

use super::dataflow::{Field, Problem, Wanted};
use super::failure::Failure;
use crate::escape::server_text;
use crate::suggest;

/// `date`, `timestamp`, `timestamptz` (pg_type oids, fixed by PostgreSQL).
const DATE_TIME: [u32; 3] = [1082, 1114, 1184];
/// `text`, `varchar`, `bpchar`: a delta column only with `delta.dateFormat`.
const TEXT: [u32; 3] = [25, 1043, 1042];

/// Relations a source can read: tables, partitioned tables, views,
/// materialized views, foreign tables; system schemas left out.
const RELATIONS: &str = "SELECT c.oid, n.nspname::text, c.relname::text \
     FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
     WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') \
     AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
     AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'";

/// Suggestions look at no more relations than this.
const SUGGESTION_LIMIT: usize = 10_000;

/// Who the session is and where: for messages.
pub(super) struct Session<'a> {
    pub user: &'a str,
    pub database: &'a str,
}

/// One column: its name, its type as PostgreSQL writes it, and the oid of
/// its type (a domain's base type).
struct Column {
    name: String,
    shown_type: String,
    type_oid: u32,
}

/// Every problem of `wanted`'s table; `Err` when the catalog cannot be read.
pub(super) async fn inspect(
    client: &Client,
    wanted: &Wanted,
    session: &Session<'_>,
    classify: &(dyn Fn(&tokio_postgres::Error) -> Failure + Sync),
) -> Result<Vec<Problem>, Failure> {
    let user = session.user;
    let table = &wanted.table;
    let Some((schema, name)) = table.text.split_once('.') else {
        let hint = suggest_in_any_schema(client, &table.text, classify).await?;
        return Ok(vec![wanted.problem(
            table,
            format!(
                "table `{}` has no schema: expected `schema.table` as the platform lists it{hint}",
                table.text
            ),
        )]);
    };
    let found = client
        .query_opt(
            &format!("{RELATIONS} AND n.nspname = $1 AND c.relname = $2"),
            &[&schema, &name],
        )
        .await
        .map_err(|e| classify(&e))?;
    let Some(row) = found else {
        let hint = suggest_table(client, &table.text, classify).await?;
        return Ok(vec![wanted.problem(
            table,
            format!(
                "table `{}` not found in database `{}`{hint}",
                table.text, session.database
            ),
        )]);
    };
    let oid: u32 = row.get(0);
    let mut problems = privileges(client, wanted, oid, schema, user, classify).await?;
    let columns = columns(client, oid, classify).await?;
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    let missing = |field: &Field, what: &str| {
        let hint = did_you_mean(&field.text, &names);
        wanted.problem(
            field,
            format!(
                "{what} `{}` not found in `{}`{hint}",
                field.text, table.text
            ),
        )
    };
    for field in &wanted.columns {
        if !names.contains(&field.text.as_str()) {
            let what = if field.pointer.starts_with("/mapping") {
                "mapping source"
            } else {
                "column"
            };
            problems.push(missing(field, what));
        }
    }
    if let Some(delta) = &wanted.delta {
        match columns.iter().find(|c| c.name == delta.text) {
            // Listed too: reported at the list already.
            None if wanted.columns.iter().any(|c| c.text == delta.text) => {}
            None => problems.push(missing(delta, "delta column")),
            Some(column) => {
                if let Some(message) = delta_type(column, wanted.date_format) {
                    problems.push(wanted.problem(delta, message));
                }
            }
        }
    }
    Ok(problems)
}

/// Why `column` cannot be the delta column, if it cannot.
fn delta_type(column: &Column, date_format: bool) -> Option<String> {
    let shown = server_text(&column.shown_type);
    if DATE_TIME.contains(&column.type_oid) || (date_format && TEXT.contains(&column.type_oid)) {
        return None;
    }
    if TEXT.contains(&column.type_oid) {
        return Some(format!(
            "delta column `{}` is `{shown}`: a text column needs `delta.dateFormat` (the format its dates are written in), or use a date/time column",
            column.name
        ));
    }
    Some(format!(
        "delta column `{}` is `{shown}`: expected a date/time type (`date`, `timestamp`, `timestamptz`), or text with `delta.dateFormat`",
        column.name
    ))
}

/// The user's SELECT on the table and USAGE on its schema, both needed to
/// read it.
async fn privileges(
    client: &Client,
    wanted: &Wanted,
    oid: u32,
    schema: &str,
    user: &str,
    classify: &(dyn Fn(&tokio_postgres::Error) -> Failure + Sync),
) -> Result<Vec<Problem>, Failure> {
    let row = client
        .query_one(
            "SELECT pg_catalog.has_table_privilege($1::oid, 'SELECT'), \
             pg_catalog.has_schema_privilege(c.relnamespace, 'USAGE') \
             FROM pg_catalog.pg_class c WHERE c.oid = $1::oid",
            &[&oid],
        )
        .await
        .map_err(|e| classify(&e))?;
    let (select, usage): (bool, bool) = (row.get(0), row.get(1));
    let table = &wanted.table.text;
    let mut problems = Vec::new();
    if !usage {
        problems.push(wanted.problem(
            &wanted.table,
            format!(
                "user `{user}` has no USAGE privilege on schema `{schema}`, so it cannot read `{table}` (`GRANT USAGE ON SCHEMA {schema} TO {user}`)"
            ),
        ));
    }
    if !select {
        problems.push(wanted.problem(
            &wanted.table,
            format!(
                "user `{user}` has no SELECT privilege on `{table}`: the platform reads it as this user (`GRANT SELECT ON {table} TO {user}`)"
            ),
        ));
    }
    Ok(problems)
}

async fn columns(
    client: &Client,
    oid: u32,
    classify: &(dyn Fn(&tokio_postgres::Error) -> Failure + Sync),
) -> Result<Vec<Column>, Failure> {
    let rows = client
        .query(
            "SELECT a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod), \
             CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END \
             FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
             WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped \
             ORDER BY a.attnum",
            &[&oid],
        )
        .await
        .map_err(|e| classify(&e))?;
    Ok(rows
        .iter()
        .map(|row| Column {
            name: row.get(0),
            shown_type: row.get(1),
            type_oid: row.get(2),
        })
        .collect())
}

/// `; did you mean `x`?` for the closest candidate, or nothing.
fn did_you_mean(input: &str, candidates: &[&str]) -> String {
    suggest::closest(input, candidates)
        .map(|c| format!("; did you mean `{}`?", server_text(c)))
        .unwrap_or_default()
}

/// Every relation's `schema.table` (at most [`SUGGESTION_LIMIT`]).
async fn relation_names(
    client: &Client,
    classify: &(dyn Fn(&tokio_postgres::Error) -> Failure + Sync),
) -> Result<Vec<String>, Failure> {
    let rows = client
        .query(
            &format!("{RELATIONS} ORDER BY 2, 3 LIMIT {SUGGESTION_LIMIT}"),
            &[],
        )
        .await
        .map_err(|e| classify(&e))?;
    Ok(rows
        .iter()
        .map(|row| format!("{}.{}", row.get::<_, String>(1), row.get::<_, String>(2)))
        .collect())
}

async fn suggest_table(
    client: &Client,
    written: &str,
    classify: &(dyn Fn(&tokio_postgres::Error) -> Failure + Sync),
) -> Result<String, Failure> {
    let names = relation_names(client, classify).await?;
    let candidates: Vec<&str> = names.iter().map(String::as_str).collect();
    Ok(did_you_mean(written, &candidates))
}

/// For a table written without a schema: the relations of that name.
async fn suggest_in_any_schema(
    client: &Client,
    written: &str,
    classify: &(dyn Fn(&tokio_postgres::Error) -> Failure + Sync),
) -> Result<String, Failure> {
    let names = relation_names(client, classify).await?;
    let same: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| n.split_once('.').is_some_and(|(_, t)| t == written))
        .collect();
    Ok(match same.as_slice() {
        [] => format!(" (e.g. `public.{written}`)"),
        [one] => format!("; did you mean `{}`?", server_text(one)),
        found => format!(
            "; found {}",
            found
                .iter()
                .map(|n| format!("`{}`", server_text(n)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })
}
