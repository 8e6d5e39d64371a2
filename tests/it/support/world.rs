//! A throwaway project for apply tests: a temp folder with generated
//! connection files and a provision.yaml, an in-process emulator on
//! 127.0.0.1:0, and `provision` runs pointed at it. State lives in a file, or
//! in a namespace of its own on a shared throwaway PostgreSQL server.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use provision::api::wire::ConnectionItem;
use provision::api::{ClientConfig, Credentials, FlowService, FlowServiceClient, ListQuery, Scope};
use provision::emulator::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Emulator, EmulatorConfig};
use provision::secret::Secret;

use crate::support::postgres::PgServer;
use crate::support::state_db::{STATE_CANARY, fresh_namespace, state_server, state_sql, state_url};
use crate::support::util::{Finished, Run, provision};

pub const ORG_AZURE: &str = "TESTAZURE@AdobeOrg";
pub const ORG_AWS: &str = "TESTAWS@AdobeOrg";
/// The password of every generated connection; must never be printed or stored.
pub const CANARY: &str = "canary-Pw-51x7q";
/// Where a world keeps its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    File,
    Postgres,
}

pub struct World {
    pub dir: tempfile::TempDir,
    pub runtime: tokio::runtime::Runtime,
    pub emulator: Option<Emulator>,
    pub backend: Backend,
    /// The PostgreSQL backend's namespace (unused for files).
    pub namespace: String,
    env: HashMap<String, String>,
}

impl World {
    /// An emulator with `config` and an empty project, state in a file.
    pub fn new(config: EmulatorConfig) -> World {
        Self::build(config, Backend::File, None)
    }

    /// Like [`World::new`] with state in `backend`; `None` when PostgreSQL
    /// is not available here (the test is then skipped, except under CI).
    pub fn on(backend: Backend, config: EmulatorConfig) -> Option<World> {
        match backend {
            Backend::File => Some(Self::build(config, backend, None)),
            Backend::Postgres => {
                let pg = state_server()?;
                Some(Self::build(config, backend, Some(pg)))
            }
        }
    }

    fn build(config: EmulatorConfig, backend: Backend, pg: Option<&PgServer>) -> World {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let config = crate::emulator::openapi::journaled(config);
        let emulator = runtime.block_on(Emulator::start(config)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let namespace = fresh_namespace("it");
        let mut settings = format!(
            "orgs:\n  azure: {{ imsOrg: \"{ORG_AZURE}\" }}\n  aws: {{ imsOrg: \"{ORG_AWS}\" }}\ncredentials:\n  clientId: ${{AEP_CLIENT_ID}}\n  clientSecret: ${{AEP_CLIENT_SECRET}}\n"
        );
        let mut env = HashMap::new();
        env.insert("AEP_CLIENT_ID".into(), DEFAULT_CLIENT_ID.into());
        env.insert("AEP_CLIENT_SECRET".into(), DEFAULT_CLIENT_SECRET.into());
        env.insert("DB_PASSWORD".into(), CANARY.into());
        if let Some(pg) = pg {
            settings += &format!(
                "state:\n  backend: postgres\n  url: ${{PROVISION_STATE_URL}}\n  namespace: {namespace}\n"
            );
            env.insert("PROVISION_STATE_URL".into(), state_url(pg));
        }
        std::fs::write(dir.path().join("provision.yaml"), settings).unwrap();
        World {
            dir,
            runtime,
            emulator: Some(emulator),
            backend,
            namespace,
            env,
        }
    }

    fn pg(&self) -> &'static PgServer {
        state_server().unwrap()
    }

    /// The secrets of this world: none may appear in any output or state.
    pub fn secrets(&self) -> Vec<&'static str> {
        match self.backend {
            Backend::File => vec![CANARY],
            Backend::Postgres => vec![CANARY, STATE_CANARY],
        }
    }

    /// The state as the file backend's JSON (loaded through the library for
    /// PostgreSQL, so both read alike).
    pub fn state(&self) -> serde_json::Value {
        match self.backend {
            Backend::File => {
                serde_json::from_str(&std::fs::read_to_string(self.state_path()).unwrap()).unwrap()
            }
            Backend::Postgres => {
                use provision::state::StateBackend;
                let backend =
                    provision::state::PostgresBackend::new(&state_url(self.pg()), &self.namespace)
                        .unwrap();
                serde_json::to_value(backend.load().unwrap()).unwrap()
            }
        }
    }

    /// Everything stored: the file, or a `SELECT *` dump of every state table.
    pub fn state_text(&self) -> String {
        match self.backend {
            Backend::File => std::fs::read_to_string(self.state_path()).unwrap(),
            Backend::Postgres => {
                let mut text = String::new();
                for table in [
                    "provision_migrations",
                    "provision_namespaces",
                    "provision_connections",
                    "provision_pending",
                    "provision_locks",
                ] {
                    text += &format!("-- {table}\n");
                    for row in state_sql(self.pg(), &format!("SELECT * FROM {table}")) {
                        text += &row;
                        text.push('\n');
                    }
                }
                text
            }
        }
    }

    /// Loses all state: deletes the file, or the namespace's rows.
    pub fn lose_state(&self) {
        match self.backend {
            Backend::File => std::fs::remove_file(self.state_path()).unwrap(),
            Backend::Postgres => {
                state_sql(
                    self.pg(),
                    &format!(
                        "DELETE FROM provision_namespaces WHERE namespace = '{}'",
                        self.namespace
                    ),
                );
            }
        }
    }

    /// PostgreSQL: waits up to `wait` until no session holds the namespace's
    /// advisory lock (a killed holder's lock is freed by the server).
    pub fn advisory_lock_released(&self, wait: Duration) -> bool {
        let key = provision::state::postgres::lock_key(&self.namespace);
        let (class, object) = ((key >> 32) as u32, key as u32);
        let sql = format!(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = {class} AND objid = {object} AND objsubid = 1"
        );
        let start = std::time::Instant::now();
        loop {
            if state_sql(self.pg(), &sql).first().map(String::as_str) == Some("0") {
                return true;
            }
            if start.elapsed() > wait {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// True once a run holds the state lock and has named itself.
    pub fn lock_is_held(&self) -> bool {
        match self.backend {
            Backend::File => std::fs::metadata(self.path().join(".provision/state.json.lock"))
                .map(|m| m.len() > 0)
                .unwrap_or(false),
            Backend::Postgres => {
                let rows = state_sql(
                    self.pg(),
                    "SELECT count(*) FROM pg_tables WHERE tablename = 'provision_locks'",
                );
                rows.first().map(String::as_str) == Some("1")
                    && state_sql(
                        self.pg(),
                        &format!(
                            "SELECT 1 FROM provision_locks WHERE namespace = '{}'",
                            self.namespace
                        ),
                    )
                    .len()
                        == 1
            }
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn url(&self) -> String {
        self.emulator
            .as_ref()
            .map(Emulator::url)
            .unwrap_or_default()
    }

    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.insert(key.into(), value.into());
    }

    /// Writes `count` connections, `per_file` documents a file, spread over
    /// sandboxes `prod`/`dev` on Azure and `prod` on AWS.
    pub fn connections(&self, count: usize) -> &Self {
        let dir = self.path().join("connections");
        std::fs::create_dir_all(&dir).unwrap();
        for i in 0..count {
            std::fs::write(
                dir.join(format!("c{i:04}.yaml")),
                connection_yaml(i, "generated"),
            )
            .unwrap();
        }
        self
    }

    pub fn write(&self, rel: &str, text: &str) {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    pub fn remove(&self, rel: &str) {
        std::fs::remove_file(self.path().join(rel)).unwrap();
    }

    pub fn state_path(&self) -> PathBuf {
        self.path().join(".provision/state.json")
    }

    /// `provision <args>` in the project, pointed at the emulator.
    pub fn cmd(&self, args: &[&str]) -> Run {
        let url = self.url();
        let mut run = provision().current_dir(self.path()).args(args);
        if matches!(args.first(), Some(&("plan" | "apply")))
            || args.starts_with(&["state", "import"])
        {
            run = run.args(["--endpoint", &url, "--ims", &url]);
        }
        for (k, v) in &self.env {
            run = run.env(k, v);
        }
        run
    }

    pub fn run(&self, args: &[&str]) -> Finished {
        self.cmd(args).run()
    }

    /// `provision <args>` in the project with both hosts at `url` (a proxy
    /// or a misbehaving server standing in front of the emulator).
    pub fn cmd_via(&self, url: &str, args: &[&str]) -> Run {
        let mut run =
            provision()
                .current_dir(self.path())
                .args(args)
                .args(["--endpoint", url, "--ims", url]);
        for (k, v) in &self.env {
            run = run.env(k, v);
        }
        run
    }

    /// Appends YAML to the project's provision.yaml.
    pub fn append_settings(&self, text: &str) {
        let path = self.path().join("provision.yaml");
        let mut settings = std::fs::read_to_string(&path).unwrap();
        settings.push_str(text);
        std::fs::write(path, settings).unwrap();
    }

    /// Applies until it exits 0 (at most `tries` times); returns the runs.
    pub fn apply_until_done(&self, args: &[&str], tries: usize) -> Vec<Finished> {
        let mut runs = Vec::new();
        for _ in 0..tries {
            let mut full = vec!["apply"];
            full.extend_from_slice(args);
            let run = self.run(&full);
            let done = run.code() == 0;
            runs.push(run);
            if done {
                return runs;
            }
        }
        let last = runs.last().unwrap();
        panic!(
            "apply did not converge in {tries} tries:\n{}\n{}",
            last.stdout(),
            last.stderr()
        );
    }

    pub fn client(&self) -> FlowServiceClient {
        let credentials = Credentials::ClientCredentials {
            client_id: DEFAULT_CLIENT_ID.into(),
            client_secret: Secret::new(DEFAULT_CLIENT_SECRET),
        };
        FlowServiceClient::new(ClientConfig::new(credentials).with_base_url(&self.url())).unwrap()
    }

    /// Every PostgreSQL connection on the emulator, in all test scopes.
    pub fn remote(&self) -> Vec<ConnectionItem> {
        let client = self.client();
        self.runtime.block_on(async {
            let mut all = Vec::new();
            for (org, sandbox) in [(ORG_AZURE, "prod"), (ORG_AZURE, "dev"), (ORG_AWS, "prod")] {
                let items = client
                    .list(
                        &Scope::new(org, sandbox),
                        &ListQuery::new().postgres().page_size(1000),
                    )
                    .await
                    .unwrap();
                all.extend(items);
            }
            all
        })
    }

    /// Asserts exactly `count` connections remotely, no duplicate names per scope.
    pub fn assert_remote_exactly(&self, count: usize) {
        let remote = self.remote();
        let mut seen = std::collections::HashSet::new();
        for item in &remote {
            assert!(
                seen.insert((
                    item.ims_org_id.clone(),
                    item.sandbox_name.clone(),
                    item.name.clone()
                )),
                "duplicate connection `{}` in `{}`",
                item.name,
                item.sandbox_name
            );
        }
        assert_eq!(remote.len(), count, "remote connection count");
    }

    pub fn wait(&self, d: Duration) {
        std::thread::sleep(d);
    }
}

impl Drop for World {
    fn drop(&mut self) {
        if let Some(emulator) = self.emulator.take() {
            self.runtime.block_on(emulator.shutdown());
        }
    }
}

/// Connection `i`: Azure basic, Azure connection string or AWS basic.
pub fn connection_yaml(i: usize, description: &str) -> String {
    match i % 3 {
        0 => format!(
            "name: db-{i:04}\ndescription: {description}\nsandbox: prod\ncloud: azure\nauth:\n  type: basic\n  server: db{i}.example.com\n  port: 5432\n  database: app\n  username: aep\n  password: ${{DB_PASSWORD}}\n  sslMode: Verify Full\n"
        ),
        1 => format!(
            "name: db-{i:04}\ndescription: {description}\nsandbox: dev\ncloud: azure\nauth:\n  type: connectionString\n  connectionString: Server=db{i}.example.com;Database=app;Port=5432;UID=aep;Password=${{DB_PASSWORD}};EncryptionMethod=1\n"
        ),
        _ => format!(
            "name: db-{i:04}\ndescription: {description}\nsandbox: prod\ncloud: aws\nauth:\n  type: basic\n  server: db{i}.example.com\n  port: 5432\n  database: app\n  username: aep\n  password: ${{DB_PASSWORD}}\n  sslMode: true\n"
        ),
    }
}
