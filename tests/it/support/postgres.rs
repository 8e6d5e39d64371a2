//! A throwaway PostgreSQL for integration tests: `initdb` + `pg_ctl` into a
//! temp folder on a free port, 127.0.0.1 only, stopped when its guard drops
//! and, through a watchdog process, when the test process ends however it
//! ends (a `static` never drops). Shared by the state and check tests.
#![allow(clippy::print_stderr)]

use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// Server certificate and key (PEM) to serve TLS with.
pub struct TlsFiles {
    pub cert_pem: String,
    pub key_pem: String,
}

/// How to set the server up.
#[derive(Default)]
pub struct Options {
    /// Serve TLS with these files (`ssl = on`); plain only when `None`.
    pub tls: Option<TlsFiles>,
    /// `hostssl` instead of `host` in pg_hba.conf: TCP only over TLS.
    pub tls_only: bool,
}

/// A running server. TCP on `127.0.0.1:port` asks for a scram-sha-256
/// password; the Unix socket in `socket_dir()` trusts the `postgres` superuser.
pub struct PgServer {
    root: PathBuf,
    data: PathBuf,
    port: u16,
    bin: PathBuf,
    as_postgres: bool,
    /// Closing this pipe (drop or process exit) makes the watchdog stop the server.
    watchdog: Mutex<Option<ChildStdin>>,
}

/// Starts a server, or says why it cannot.
pub fn start(options: Options) -> Result<PgServer, String> {
    let bin =
        find_binaries().ok_or("no `initdb`/`pg_ctl` on PATH or in /usr/lib/postgresql/*/bin")?;
    let as_postgres = is_root()?;
    let root = fresh_dir()?;
    let mut server = PgServer {
        data: root.join("data"),
        root,
        port: 0,
        bin,
        as_postgres,
        watchdog: Mutex::new(None),
    };
    if as_postgres {
        chown_to_postgres(&server.root)?;
    }
    server.run(
        "initdb",
        &[
            "-D".as_ref(),
            server.data.as_os_str(),
            "-U".as_ref(),
            "postgres".as_ref(),
            "-A".as_ref(),
            "trust".as_ref(),
            "-E".as_ref(),
            "UTF8".as_ref(),
            "--locale=C".as_ref(),
            "--no-sync".as_ref(),
        ],
    )?;
    server.configure(&options)?;
    server.spawn_watchdog()?;
    // A free port can be taken between probing and binding: try a few.
    let mut last = String::new();
    for _ in 0..3 {
        server.port = free_port()?;
        server.write_port()?;
        match server.pg_ctl_start() {
            Ok(()) => return Ok(server),
            Err(err) => last = err,
        }
    }
    Err(last)
}

/// One server per test binary: started on first use, then shared. Without
/// PostgreSQL the test is skipped with a printed reason, except under `CI`,
/// where that is a failure.
pub fn shared<T: Send + Sync>(
    slot: &'static OnceLock<Result<T, String>>,
    init: impl FnOnce() -> Result<T, String>,
) -> Option<&'static T> {
    match slot.get_or_init(init) {
        Ok(value) => Some(value),
        Err(reason) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("PostgreSQL test server could not start (CI=true): {reason}")
        }
        Err(reason) => {
            crate::support::util::say_on_terminal(&format!(
                "SKIPPED: PostgreSQL test server could not start: {reason}"
            ));
            None
        }
    }
}

impl PgServer {
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The superuser over the Unix socket (trusted): for setting up roles and
    /// databases, or for a state backend test's own connection.
    pub fn superuser_config(&self, database: &str) -> tokio_postgres::Config {
        let mut config = tokio_postgres::Config::new();
        config
            .host_path(&self.root)
            .port(self.port)
            .user("postgres")
            .dbname(database);
        config
    }

    /// A `postgres://` URL for `user` over TCP.
    pub fn url(&self, user: &str, password: &str, database: &str) -> String {
        format!(
            "postgres://{user}:{password}@127.0.0.1:{}/{database}",
            self.port
        )
    }

    /// Runs SQL (several statements allowed) as the superuser.
    pub fn execute(&self, database: &str, sql: &str) -> Result<(), String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        runtime.block_on(async {
            let (client, connection) = self
                .superuser_config(database)
                .connect(tokio_postgres::NoTls)
                .await
                .map_err(|e| format!("superuser connection: {e}"))?;
            let driver = tokio::spawn(connection);
            let result = client
                .batch_execute(sql)
                .await
                .map_err(|e| format!("superuser SQL failed: {e:?}"));
            drop(client);
            let _ = driver.await;
            result
        })
    }

    /// A login role with a password, and a new database it owns.
    pub fn create_login(&self, user: &str, password: &str, database: &str) -> Result<(), String> {
        // CREATE DATABASE refuses to run in the implicit transaction of a batch.
        self.execute(
            "postgres",
            &format!(
                "CREATE ROLE \"{user}\" LOGIN PASSWORD '{}'",
                password.replace('\'', "''")
            ),
        )?;
        self.execute(
            "postgres",
            &format!("CREATE DATABASE \"{database}\" OWNER \"{user}\""),
        )
    }

    /// Stops the server now (`pg_ctl stop -m immediate`); drop does this too.
    pub fn stop(&self) {
        let _ = self.run(
            "pg_ctl",
            &[
                "stop".as_ref(),
                "-D".as_ref(),
                self.data.as_os_str(),
                "-m".as_ref(),
                "immediate".as_ref(),
            ],
        );
    }

    /// The server's log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.root.join("server.log")).unwrap_or_default()
    }

    fn configure(&self, options: &Options) -> Result<(), String> {
        let mut conf = format!(
            "\n# provision tests\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\n\
             fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n\
             max_connections = 40\nshared_buffers = 16MB\npassword_encryption = 'scram-sha-256'\n",
            self.root.display()
        );
        if let Some(tls) = &options.tls {
            let cert = self.root.join("server.crt");
            let key = self.root.join("server.key");
            write_owned(&cert, &tls.cert_pem, 0o644, self.as_postgres)?;
            write_owned(&key, &tls.key_pem, 0o600, self.as_postgres)?;
            conf.push_str(&format!(
                "ssl = on\nssl_cert_file = '{}'\nssl_key_file = '{}'\n",
                cert.display(),
                key.display()
            ));
        }
        append(&self.data.join("postgresql.conf"), &conf)?;
        let host = if options.tls_only { "hostssl" } else { "host" };
        let hba = format!("local all all trust\n{host} all all 127.0.0.1/32 scram-sha-256\n");
        write_owned(
            &self.data.join("pg_hba.conf"),
            &hba,
            0o600,
            self.as_postgres,
        )
    }

    fn write_port(&self) -> Result<(), String> {
        append(
            &self.data.join("postgresql.conf"),
            &format!("port = {}\n", self.port),
        )
    }

    fn pg_ctl_start(&self) -> Result<(), String> {
        let log = self.root.join("server.log");
        self.run(
            "pg_ctl",
            &[
                "start".as_ref(),
                "-D".as_ref(),
                self.data.as_os_str(),
                "-l".as_ref(),
                log.as_os_str(),
                "-w".as_ref(),
                "-t".as_ref(),
                "30".as_ref(),
            ],
        )
        .map_err(|e| format!("{e}\n--- server log\n{}", self.log()))
    }

    /// `sh` waits for EOF on its stdin, then stops the server and removes
    /// its folder: the pipe closes when the guard drops or the process exits.
    fn spawn_watchdog(&self) -> Result<(), String> {
        let pg_ctl = self.bin.join("pg_ctl");
        let mut command = Command::new("sh");
        let stop = if self.as_postgres {
            "runuser -u postgres -- \"$0\" stop -D \"$1\" -m immediate"
        } else {
            "\"$0\" stop -D \"$1\" -m immediate"
        };
        command
            .arg("-c")
            .arg(format!(
                "read _ignored; {stop} >/dev/null 2>&1; rm -rf \"$2\""
            ))
            .arg(&pg_ctl)
            .arg(&self.data)
            .arg(&self.root)
            .current_dir(&self.root)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = command.spawn().map_err(|e| format!("watchdog: {e}"))?;
        *self.watchdog.lock().map_err(|e| e.to_string())? = child.stdin.take();
        Ok(())
    }

    /// Runs a PostgreSQL tool, as `postgres` when we are root (initdb and
    /// the server refuse to run as root).
    fn run(&self, tool: &str, args: &[&std::ffi::OsStr]) -> Result<(), String> {
        let program = self.bin.join(tool);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        let output = command
            .args(args)
            .current_dir(&self.root)
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| format!("cannot run `{}`: {e}", program.display()))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "`{tool}` failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ))
        }
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.stop();
        if let Ok(mut pipe) = self.watchdog.lock() {
            pipe.take();
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn find_binaries() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| entries.flatten().map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    versions.sort();
    dirs.extend(versions.into_iter().rev());
    dirs.into_iter()
        .find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
}

fn is_root() -> Result<bool, String> {
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .map_err(|e| format!("cannot tell the current user: {e}"))
}

fn postgres_ids() -> Result<(u32, u32), String> {
    let id = |flag: &str| -> Result<u32, String> {
        let out = Command::new("id")
            .args([flag, "postgres"])
            .output()
            .map_err(|e| format!("`id`: {e}"))?;
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .map_err(|_| "running as root and there is no `postgres` user".to_owned())
    };
    Ok((id("-u")?, id("-g")?))
}

fn chown_to_postgres(path: &Path) -> Result<(), String> {
    let (uid, gid) = postgres_ids()?;
    std::os::unix::fs::chown(path, Some(uid), Some(gid))
        .map_err(|e| format!("chown `{}`: {e}", path.display()))
}

fn write_owned(path: &Path, text: &str, mode: u32, as_postgres: bool) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("write `{}`: {e}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| format!("chmod `{}`: {e}", path.display()))?;
    if as_postgres {
        chown_to_postgres(path)?;
    }
    Ok(())
}

fn append(path: &Path, text: &str) -> Result<(), String> {
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("append to `{}`: {e}", path.display()))
}

fn fresh_dir() -> Result<PathBuf, String> {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "provision-pg-{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir(&dir).map_err(|e| format!("create `{}`: {e}", dir.display()))?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| format!("chmod `{}`: {e}", dir.display()))?;
    Ok(dir)
}

fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}
