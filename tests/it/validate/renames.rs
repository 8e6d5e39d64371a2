//! `renamedFrom` names one connection's earlier names: a name in use, one
//! claimed twice or listed twice is refused with both places named.

use crate::support::util::provision;

const BODY: &str = "sandbox: prod\ncloud: azure\nauth:\n  type: basic\n  server: orders.example.com\n  port: 5432\n  database: orders\n  username: aep\n  password: ${ORDERS_DB_PASSWORD}\n";

fn project(files: &[(&str, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        std::fs::write(dir.path().join(path), text).unwrap();
    }
    dir
}

#[test]
fn an_earlier_name_still_in_use_or_claimed_twice_names_both_places() {
    let dir = project(&[
        (
            "orders.yaml",
            format!("name: orders-db\nrenamedFrom: orders\n{BODY}"),
        ),
        (
            "replica.yaml",
            format!("name: orders-replica\nrenamedFrom:\n  - orders\n  - billing\n{BODY}"),
        ),
        ("billing.yaml", format!("name: billing\n{BODY}")),
    ]);
    let out = provision()
        .current_dir(dir.path())
        .args(["validate", "orders.yaml", "replica.yaml", "billing.yaml"])
        .run()
        .expect_code(1);
    insta::assert_snapshot!("rename_conflicts", out.stdout());
    assert!(
        out.stdout().contains("orders.yaml:2:14"),
        "{}",
        out.stdout()
    );
    assert!(
        out.stdout().contains("billing.yaml:1:7"),
        "{}",
        out.stdout()
    );
}

#[test]
fn earlier_names_that_are_free_validate() {
    let dir = project(&[(
        "orders.yaml",
        format!("name: orders-db\nrenamedFrom: [orders, orders-primary]\n{BODY}"),
    )]);
    provision()
        .current_dir(dir.path())
        .args(["validate", "orders.yaml"])
        .run()
        .expect_code(0);
}

#[test]
fn its_own_name_or_one_listed_twice_is_refused() {
    let dir = project(&[(
        "orders.yaml",
        format!("name: orders-db\nrenamedFrom:\n  - orders-db\n  - orders\n  - orders\n{BODY}"),
    )]);
    let out = provision()
        .current_dir(dir.path())
        .args(["validate", "orders.yaml"])
        .run()
        .expect_code(1);
    insta::assert_snapshot!("rename_own_name_and_twice", out.stdout());
}

#[test]
fn an_interpolated_or_empty_earlier_name_is_refused() {
    let dir = project(&[
        (
            "interpolated.yaml",
            format!("name: orders-db\nrenamedFrom: ${{OLD_NAME}}\n{BODY}"),
        ),
        (
            "empty.yaml",
            format!("name: billing-db\nrenamedFrom:\n  - \"\"\n{BODY}"),
        ),
    ]);
    let out = provision()
        .current_dir(dir.path())
        .args(["validate", "interpolated.yaml", "empty.yaml"])
        .run()
        .expect_code(1);
    insta::assert_snapshot!("rename_interpolated_or_empty", out.stdout());
}
