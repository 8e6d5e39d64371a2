//! `check` looks at each dataflow's table through its base connection, in a
//! real PostgreSQL: the table, its columns, the delta column's type and the
//! user's SELECT privilege, each problem at the file:line of its field.

use super::fixture::{self, CANARY, DATABASE, Project, assert_no_canary, basic};
use crate::support::postgres::PgServer;

/// A dataflow reading `table` through the connection `good`.
fn dataflow(name: &str, table: &str, columns: &str, delta: &str) -> String {
    format!(
        "kind: dataflow\nname: {name}\nsandbox: dev\ncloud: azure\nsource:\n  connection: good\n  table: {table}\n  columns: [{columns}]\ntarget:\n  dataset: {{ name: Orders }}\nmapping:\n  - {{ source: id, destination: _id }}\n{delta}schedule:\n  frequency: hour\n  interval: 1\n"
    )
}

/// `<prefix>_orders (id, customer, updated_at timestamptz, note text)`,
/// readable by the test role unless `grant` is false.
fn table(pg: &PgServer, prefix: &str, grant: bool) {
    let mut sql = format!(
        "DROP TABLE IF EXISTS {prefix}_orders; CREATE TABLE {prefix}_orders (id integer, customer text, updated_at timestamptz, note text, amount numeric);"
    );
    if grant {
        sql += &format!("GRANT SELECT ON {prefix}_orders TO {};", fixture::USER);
    }
    pg.execute(DATABASE, &sql).unwrap();
}

/// The text lines of dataflows (`dataflow/...` lines and their problems).
fn dataflow_lines(stdout: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in stdout.lines() {
        if line.contains("dataflow/") && !line.starts_with(' ') {
            inside = true;
        } else if !line.starts_with("      ") {
            inside = false;
        }
        if inside {
            out += line;
            out.push('\n');
        }
    }
    out
}

#[test]
fn a_table_as_described_passes() {
    let Some(pg) = fixture::plain() else { return };
    table(pg, "dfok", true);
    let project = Project::new(&[
        basic("good", "127.0.0.1", pg.port(), DATABASE, "Disable"),
        dataflow(
            "orders",
            "public.dfok_orders",
            "id, customer, updated_at",
            "delta: { column: updated_at }\n",
        ),
    ]);
    let run = project.check(CANARY, &[]).expect_code(0);
    let out = run.stdout();
    assert!(
        out.contains(
            "ok    dataflow/azure/dev/orders  public.dfok_orders through azure/dev/good\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("Check complete: 1 ok, 0 failed; dataflows: 1 ok, 0 failed, 0 not checked."),
        "{out}"
    );
    assert_no_canary(&run);
}

#[test]
fn each_problem_names_its_field_and_what_is_wrong() {
    let Some(pg) = fixture::plain() else { return };
    table(pg, "dfbad", true);
    let project = Project::new(&[
        basic("good", "127.0.0.1", pg.port(), DATABASE, "Disable"),
        dataflow("missing-table", "public.dfbad_order", "id", ""),
        dataflow(
            "missing-column",
            "public.dfbad_orders",
            "id, custmer, updated_at",
            "delta: { column: updated_at }\n",
        ),
        dataflow(
            "text-delta",
            "public.dfbad_orders",
            "id, note",
            "delta: { column: note }\n",
        ),
        dataflow(
            "number-delta",
            "public.dfbad_orders",
            "id, amount",
            "delta: { column: amount }\n",
        ),
        dataflow(
            "text-delta-with-format",
            "public.dfbad_orders",
            "id, note",
            "delta: { column: note, dateFormat: yyyy-MM-dd }\n",
        ),
        dataflow("no-schema", "dfbad_orders", "id", ""),
    ]);
    let run = project.check(CANARY, &[]).expect_code(1);
    let out = run.stdout();
    insta::assert_snapshot!("dataflow_problems", dataflow_lines(&out));
    assert!(
        out.contains("Check complete: 1 ok, 0 failed; dataflows: 1 ok, 5 failed, 0 not checked."),
        "{out}"
    );
    assert!(
        out.contains("Failed, in key order:\n")
            && out.contains(
                "  dataflow/azure/dev/missing-column  connections/c2.yaml:8: column `custmer`"
            ),
        "{out}"
    );
    assert_no_canary(&run);
}

#[test]
fn a_user_without_select_is_told_the_grant() {
    let Some(pg) = fixture::plain() else { return };
    table(pg, "dfnogrant", false);
    let project = Project::new(&[
        basic("good", "127.0.0.1", pg.port(), DATABASE, "Disable"),
        dataflow("orders", "public.dfnogrant_orders", "id", ""),
    ]);
    let run = project.check(CANARY, &[]).expect_code(1);
    insta::assert_snapshot!("dataflow_no_select", dataflow_lines(&run.stdout()));
}

#[test]
fn a_dataflow_without_its_connection_in_the_files_is_not_checked() {
    let Some(pg) = fixture::plain() else { return };
    let project = Project::new(&[
        basic("other", "127.0.0.1", pg.port(), DATABASE, "Disable"),
        dataflow("orders", "public.orders", "id", ""),
    ]);
    // A warning from validation (the connection is looked up on the
    // platform by plan) does not stop the check; nothing failed.
    let run = project.check(CANARY, &[]).expect_code(0);
    insta::assert_snapshot!("dataflow_not_checked", dataflow_lines(&run.stdout()));
    assert!(
        run.stdout()
            .contains("dataflows: 0 ok, 0 failed, 1 not checked."),
        "{}",
        run.stdout()
    );
    let github = project
        .check(CANARY, &["--format", "github"])
        .expect_code(0);
    assert!(
        github.stdout().contains(
            "::notice file=connections/c1.yaml,title=provision check%3A dataflow not checked::dataflow/azure/dev/orders: its base connection `azure/dev/good` is not described"
        ),
        "{}",
        github.stdout()
    );
    let json = project
        .check(CANARY, &["--format", "json"])
        .expect_code(0)
        .json();
    assert_eq!(json["dataflows"][0]["status"], "not_checked");
    crate::output_schemas::assert_valid("check.schema.json", &json);
}

#[test]
fn a_failed_connection_leaves_its_dataflows_unchecked() {
    let Some(pg) = fixture::plain() else { return };
    let project = Project::new(&[
        basic("good", "127.0.0.1", pg.port(), "nosuchdb", "Disable"),
        dataflow("orders", "public.orders", "id", ""),
    ]);
    let run = project.check(CANARY, &[]).expect_code(1);
    assert!(
        run.stdout().contains(
            "skip  dataflow/azure/dev/orders  public.orders through azure/dev/good  not checked: its base connection `azure/dev/good` failed (database, see its line)"
        ),
        "{}",
        run.stdout()
    );
}

#[test]
fn json_and_github_show_dataflows_beside_connections() {
    let Some(pg) = fixture::plain() else { return };
    table(pg, "dfjson", true);
    let project = Project::new(&[
        basic("good", "127.0.0.1", pg.port(), DATABASE, "Disable"),
        dataflow("orders", "public.dfjson_orders", "id, custmer", ""),
    ]);
    let run = project.check(CANARY, &["--format", "json"]).expect_code(1);
    let json = run.json();
    assert_eq!(json["results"][0]["status"], "ok");
    let flow = &json["dataflows"][0];
    assert_eq!(flow["key"], "dataflow/azure/dev/orders");
    assert_eq!(flow["connection"], "azure/dev/good");
    assert_eq!(flow["status"], "failed");
    assert_eq!(flow["problems"][0]["file"], "connections/c1.yaml");
    assert_eq!(flow["problems"][0]["line"], 8);
    assert_eq!(flow["problems"][0]["field"], "/source/columns/1");
    assert_eq!(
        flow["problems"][0]["message"],
        "column `custmer` not found in `public.dfjson_orders`; did you mean `customer`?"
    );
    assert_eq!(json["summary"]["dataflows"]["failed"], 1);
    assert_eq!(json["summary"]["failed"], 0);
    crate::output_schemas::assert_valid("check.schema.json", &json);
    let github = project
        .check(CANARY, &["--format", "github"])
        .expect_code(1);
    assert!(
        github.stdout().contains(
            "::error file=connections/c1.yaml,line=8,title=provision check%3A dataflow::dataflow/azure/dev/orders: column `custmer` not found in `public.dfjson_orders`; did you mean `customer`?"
        ),
        "{}",
        github.stdout()
    );
}
