//! Environments: one set of documents acted on in dev and prod. Choosing
//! one (`-e`, `PROVISION_ENV`), listing them, and what each resolves to.

mod all_envs;
mod branch;
mod documents;
mod promotion;
mod selection;
mod state;

use provision::emulator::EmulatorConfig;

use crate::support::world::{Backend, World};

pub const DEV_ORG: &str = "DEVAZURE@AdobeOrg";
pub const PROD_ORG: &str = "PRDAZURE@AdobeOrg";

/// A world whose settings define `dev` and `prod` on two orgs (`prod` only
/// from branch `main`), each with its own state; `extra` is appended under
/// each environment (indented already).
pub fn two_orgs(backend: Backend, extra_dev: &str, extra_prod: &str) -> Option<World> {
    let world = World::on(backend, EmulatorConfig::default())?;
    let state = |env: &str| match backend {
        Backend::File => String::new(),
        Backend::Postgres => format!(
            "    state: {{ backend: postgres, url: \"${{PROVISION_STATE_URL}}\", namespace: {}-{env} }}\n",
            world.namespace
        ),
    };
    let settings = format!(
        "credentials:\n  clientId: ${{AEP_CLIENT_ID}}\n  clientSecret: ${{AEP_CLIENT_SECRET}}\nenvironments:\n  dev:\n    sandbox: dev\n    orgs: {{ azure: {{ imsOrg: \"{DEV_ORG}\" }} }}\n{}{extra_dev}  prod:\n    sandbox: prod\n    orgs: {{ azure: {{ imsOrg: \"{PROD_ORG}\" }} }}\n    branch: main\n{}{extra_prod}",
        state("dev"),
        state("prod"),
    );
    world.write("provision.yaml", &settings);
    Some(world)
}
