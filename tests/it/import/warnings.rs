//! A connection whose generated YAML draws only a warning (port 3306, as
//! in Adobe's own guide) is imported: `validate`, `plan` and `apply`
//! accept it, so `import` does too. Only errors make it skip.

use provision::config::{Auth, Cloud};

use super::remote::{basic, create, import};
use crate::support::world::{ORG_AWS, World};

#[test]
fn a_connection_with_only_a_warning_is_imported() {
    let world = World::new(Default::default());
    let mut connection = basic("guide-db", "prod", Cloud::Aws, 1);
    if let Auth::Basic(auth) = &mut connection.auth {
        auth.port = 3306;
    }
    create(&world, ORG_AWS, &connection);
    let run = import(&world, &["--sandbox", "prod", "--cloud", "aws"]).expect_code(0);
    assert!(run.stdout().contains("1 written"), "{}", run.stdout());
    let written = world.path().join("connections/prod/guide-db.yaml");
    let text = std::fs::read_to_string(&written).unwrap();
    assert!(text.contains("port: 3306"), "{text}");
    let state = world.state();
    assert!(
        state["connections"].get("aws/prod/guide-db").is_some(),
        "{state}"
    );
}
