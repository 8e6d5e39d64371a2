//! Projects the tests build: a document per connection, and the layout of
//! the quick start (three files in `prod`, one in `dev`, one on AWS).

use crate::support::world::World;

/// A document for `name` in `cloud/sandbox`, password `${DB_PASSWORD}`.
pub fn doc(name: &str, sandbox: &str, cloud: &str) -> String {
    let ssl = if cloud == "aws" {
        "true"
    } else {
        "Verify Full"
    };
    format!(
        "name: {name}\nsandbox: {sandbox}\ncloud: {cloud}\nauth:\n  type: basic\n  server: {name}.example.com\n  port: 5432\n  database: app\n  username: aep\n  password: ${{DB_PASSWORD}}\n  sslMode: {ssl}\n"
    )
}

/// The README's layout: three files in `prod`, one in `dev`, one on AWS.
pub fn readme_layout(world: &World) {
    world.write(
        "connections/prod/orders.yaml",
        &doc("orders-db", "prod", "azure"),
    );
    world.write(
        "connections/prod/billing.yaml",
        &doc("billing-db", "prod", "azure"),
    );
    world.write(
        "connections/prod/invoices.yaml",
        &doc("invoices-db", "prod", "azure"),
    );
    world.write(
        "connections/dev/orders.yaml",
        &doc("orders-db", "dev", "azure"),
    );
    world.write(
        "connections/aws-prod/events.yaml",
        &doc("events-db", "prod", "aws"),
    );
}
