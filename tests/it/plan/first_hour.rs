//! Plan messages of a team's first week: a bare name given to `--target`,
//! and a connection string's changed fields.

use provision::emulator::EmulatorConfig;

use crate::support::world::World;

#[test]
fn a_bare_name_given_to_target_gets_the_keys_it_may_mean() {
    let world = World::new(EmulatorConfig::default());
    world.connections(2);
    let out = world.run(&["plan", "--target", "db-0001"]).expect_code(64);
    insta::assert_snapshot!("bare_target", out.stderr());
    assert!(
        out.stderr().contains("did you mean `azure/dev/db-0001`?"),
        "{}",
        out.stderr()
    );
    let out = world.run(&["apply", "--target", "db-0001"]).expect_code(64);
    assert!(out.stderr().contains("did you mean `azure/dev/db-0001`?"));
    world.assert_remote_exactly(0);
}
