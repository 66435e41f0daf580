//! A private PostgreSQL cluster started from the server binaries installed on the machine.
//!
//! `kinerja serve` uses it when no `DATABASE_URL` is given, and the tests use it for throw-away
//! clusters. The server listens only on a Unix socket inside its data folder (no TCP port, so
//! nothing to clash with and nothing exposed). PostgreSQL refuses to run as root, so a root
//! process runs `initdb` and the server as an unprivileged system user (`postgres` by default).
//!
//! The server runs under a small `sh` watchdog whose standard input is a pipe from this process:
//! when this process ends for any reason, even a crash, the pipe closes and the watchdog stops
//! the server with a fast shutdown, so no orphaned server is left behind.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection, RunQueryDsl};

/// The database superuser the launcher creates; local socket connections are trusted, and the
/// socket's folder is readable by the cluster's owner only.
pub const SUPERUSER: &str = "kinerja";
pub const PORT: u16 = 5432;
/// Unix socket paths are limited to 107 bytes; `/.s.PGSQL.5432` takes 14 of them.
const MAX_SOCKET_DIR_LEN: usize = 92;

#[derive(Debug, thiserror::Error)]
pub enum LauncherError {
    #[error(
        "no PostgreSQL server binaries (initdb, postgres) were found on PATH, through `pg_config \
         --bindir` or under /usr/lib/postgresql/*/bin. Install the PostgreSQL server (Debian/Ubuntu: \
         `apt-get install postgresql`; Fedora: `dnf install postgresql-server`; macOS: `brew install \
         postgresql@16`), or set DATABASE_URL to use a PostgreSQL server you run yourself"
    )]
    NoServerBinaries,
    #[error(
        "this process runs as root and PostgreSQL refuses to; it runs the cluster as the system \
         user `{0}`, which does not exist. Create it (`useradd --system {0}`), name another \
         unprivileged user with KINERJA_PG_USER, or set DATABASE_URL"
    )]
    NoSuchUser(String),
    #[error(
        "the PostgreSQL cluster runs as the user `{user}`, which cannot reach {dir}: a folder above it \
         is closed to that user (as /root is). Put the data folder where `{user}` can enter every \
         parent, e.g. KINERJA_DATA_DIR=/var/lib/kinerja, or `chmod o+x` the parent folders"
    )]
    Unreachable { user: String, dir: PathBuf },
    #[error(
        "the data folder path {0} is too long for a Unix socket ({MAX_SOCKET_DIR_LEN} bytes at \
         most); choose a shorter KINERJA_DATA_DIR"
    )]
    PathTooLong(PathBuf),
    #[error("{action} failed: {detail}")]
    Failed { action: String, detail: String },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> LauncherError {
    let context = context.into();
    move |source| LauncherError::Io { context, source }
}

/// How to start a cluster.
#[derive(Debug, Clone)]
pub struct LaunchOptions {
    /// The cluster's folder (PGDATA); the socket lives here too.
    pub data_dir: PathBuf,
    /// The system user that runs the cluster when this process is root.
    pub system_user: String,
    /// Throw-away clusters (tests): no fsync, and the folder is removed when the server stops.
    pub ephemeral: bool,
    /// More server settings, `-c name=value` (a Citus node's `shared_preload_libraries`).
    pub settings: Vec<(String, String)>,
}

/// The identity the cluster runs under, when it is not this process's own.
#[derive(Debug, Clone)]
struct RunAs {
    name: String,
    uid: u32,
    gid: u32,
}

/// A running local cluster. Dropping it stops the server.
#[derive(Debug)]
pub struct LocalPostgres {
    options: LaunchOptions,
    bin_dir: PathBuf,
    run_as: Option<RunAs>,
    watchdog: Option<(Child, ChildStdin)>,
}

impl LocalPostgres {
    /// Finds the binaries, creates the cluster on first use, starts the server and waits until it
    /// accepts connections.
    pub fn start(options: LaunchOptions) -> Result<Self, LauncherError> {
        let bin_dir = find_bin_dir().ok_or(LauncherError::NoServerBinaries)?;
        let run_as = if process_is_root()? { Some(lookup_user(&options.system_user)?) } else { None };
        let data_dir = absolute(&options.data_dir)?;
        if data_dir.as_os_str().len() > MAX_SOCKET_DIR_LEN {
            return Err(LauncherError::PathTooLong(data_dir));
        }
        let options = LaunchOptions { data_dir, ..options };
        let mut cluster = LocalPostgres { options, bin_dir, run_as, watchdog: None };
        cluster.prepare_folder()?;
        if !cluster.options.data_dir.join("PG_VERSION").exists() {
            cluster.initdb()?;
        }
        cluster.run()?;
        Ok(cluster)
    }

    /// A streaming standby of this cluster in `data_dir`: `pg_basebackup -R` over the local
    /// socket, then started like this cluster and ready to read (hot standby). For the read
    /// replica tests, and a replica on one machine.
    pub fn start_standby(&self, data_dir: PathBuf) -> Result<LocalPostgres, LauncherError> {
        let options = LaunchOptions { data_dir: absolute(&data_dir)?, ..self.options.clone() };
        let standby = LocalPostgres {
            options: options.clone(),
            bin_dir: self.bin_dir.clone(),
            run_as: self.run_as.clone(),
            watchdog: None,
        };
        standby.prepare_folder()?;
        let out = self
            .command("pg_basebackup")
            .arg("-D")
            .arg(&options.data_dir)
            .args(["-R", "-X", "stream", "-c", "fast", "-U", SUPERUSER, "-p", &PORT.to_string(), "-h"])
            .arg(&self.options.data_dir)
            .output()
            .map_err(io("running pg_basebackup"))?;
        if !out.status.success() {
            return Err(LauncherError::Failed {
                action: format!("pg_basebackup into {}", options.data_dir.display()),
                detail: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            });
        }
        // The copy holds the primary's socket lock and log (both live in its folder here).
        for copied in [format!(".s.PGSQL.{PORT}.lock"), "server.log".to_owned()] {
            let path = options.data_dir.join(copied);
            if path.exists() {
                fs::remove_file(&path).map_err(io(format!("removing {}", path.display())))?;
            }
        }
        LocalPostgres::start(options)
    }

    /// A connection URL for `database` on this cluster (libpq and tokio-postgres both read it).
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgresql:///{database}?host={}&port={PORT}&user={SUPERUSER}",
            percent_encode(&self.options.data_dir.to_string_lossy())
        )
    }

    pub fn data_dir(&self) -> &Path {
        &self.options.data_dir
    }

    /// Creates `database` unless it exists.
    pub fn ensure_database(&self, database: &str) -> Result<(), LauncherError> {
        let mut conn = PgConnection::establish(&self.url("postgres")).map_err(|e| LauncherError::Failed {
            action: "connecting to the local cluster".into(),
            detail: e.to_string(),
        })?;
        let exists: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
            "EXISTS (SELECT 1 FROM pg_database WHERE datname = {})",
            quote_literal(database)
        )))
        .get_result(&mut conn)
        .map_err(|e| LauncherError::Failed { action: "reading pg_database".into(), detail: e.to_string() })?;
        if !exists {
            diesel::sql_query(format!("CREATE DATABASE {}", quote_ident(database))).execute(&mut conn).map_err(
                |e| LauncherError::Failed { action: format!("creating database {database}"), detail: e.to_string() },
            )?;
        }
        Ok(())
    }

    /// Stops the server (fast shutdown: open sessions are ended, data is flushed) and waits.
    pub fn stop(&mut self) {
        if let Some((mut child, stdin)) = self.watchdog.take() {
            drop(stdin);
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                match child.try_wait() {
                    Ok(Some(_)) => break,
                    Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
                    _ => {
                        tracing::warn!("PostgreSQL did not stop within 30 s; killing its watchdog");
                        let _ = child.kill();
                        let _ = child.wait();
                        break;
                    }
                }
            }
        }
    }

    /// Whether the server runs and takes connections: its pid file names a live `postgres`
    /// whose status is `ready` (not `stopping`, as in a shutdown, nor gone, as after a crash).
    pub fn is_running(&self) -> bool {
        let Ok(contents) = fs::read_to_string(self.options.data_dir.join("postmaster.pid")) else { return false };
        postgres_alive(contents.lines().next().unwrap_or("")) && contents.lines().any(|l| l.trim() == "ready")
    }

    /// Whether the server process is gone (crashed or killed), as opposed to running or
    /// shutting down on purpose.
    pub fn is_gone(&self) -> bool {
        let Ok(contents) = fs::read_to_string(self.options.data_dir.join("postmaster.pid")) else { return true };
        !postgres_alive(contents.lines().next().unwrap_or(""))
    }

    /// Starts the server again after [`stop`](Self::stop).
    pub fn restart(&mut self) -> Result<(), LauncherError> {
        self.stop();
        self.run()
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.bin_dir.join(program));
        self.as_cluster_owner(&mut cmd);
        cmd
    }

    fn as_cluster_owner(&self, cmd: &mut Command) {
        if let Some(user) = &self.run_as {
            cmd.uid(user.uid).gid(user.gid);
            cmd.env("HOME", &self.options.data_dir).env("USER", &user.name);
        }
        cmd.current_dir(&self.options.data_dir);
    }

    fn prepare_folder(&self) -> Result<(), LauncherError> {
        let dir = &self.options.data_dir;
        fs::create_dir_all(dir).map_err(io(format!("creating {}", dir.display())))?;
        if let Some(user) = &self.run_as {
            std::os::unix::fs::chown(dir, Some(user.uid), Some(user.gid)).map_err(io(format!(
                "handing {} to {}",
                dir.display(),
                user.name
            )))?;
            // The owner must be able to enter every parent folder; ask as that user.
            let reachable = Command::new("test")
                .arg("-w")
                .arg(dir)
                .uid(user.uid)
                .gid(user.gid)
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if !reachable {
                return Err(LauncherError::Unreachable { user: user.name.clone(), dir: dir.clone() });
            }
        }
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(io(format!("restricting {}", dir.display())))?;
        Ok(())
    }

    fn initdb(&self) -> Result<(), LauncherError> {
        let mut cmd = self.command("initdb");
        cmd.arg("-D").arg(&self.options.data_dir).args([
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
        ]);
        if self.options.ephemeral {
            cmd.arg("--no-sync");
        }
        let out = cmd.output().map_err(io("running initdb"))?;
        if !out.status.success() {
            return Err(LauncherError::Failed {
                action: format!("initdb in {}", self.options.data_dir.display()),
                detail: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            });
        }
        Ok(())
    }

    /// True when a server already runs on this folder (another `kinerja` process started it, e.g.
    /// `kinerja admin` beside a running `kinerja serve`): it is then used, not started again.
    /// A pid file whose process is gone (left by a crash) is removed so the server starts cleanly.
    fn server_already_running(&self) -> Result<bool, LauncherError> {
        let pid_file = self.options.data_dir.join("postmaster.pid");
        let Ok(contents) = fs::read_to_string(&pid_file) else { return Ok(false) };
        let pid = contents.lines().next().unwrap_or("").trim();
        if postgres_alive(pid) {
            return Ok(true);
        }
        self.end_orphans();
        tracing::info!(pid, "removing a stale postmaster.pid left by an earlier run");
        match fs::remove_file(&pid_file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(io(format!("removing {}", pid_file.display()))(e))
            }
            _ => Ok(false),
        }
    }

    /// Ends what a killed postmaster left: its backends run on with the statement they were in
    /// and keep the shared memory, and a new postmaster refuses to start beside them ("pre-existing
    /// shared memory block is still in use") until they finish — a minute, or never. They are the
    /// `postgres` processes working in this data folder, none of them the postmaster (it is
    /// gone); they are killed, as PostgreSQL ends its backends after a crash, and recovery
    /// replays the WAL. Waits up to 5 s for them to go.
    fn end_orphans(&self) {
        let Ok(dir) = fs::canonicalize(&self.options.data_dir) else { return };
        let orphans: Vec<String> = fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| entry.file_name().into_string().ok())
            .filter(|pid| pid.bytes().all(|b| b.is_ascii_digit()))
            .filter(|pid| postgres_alive(pid))
            .filter(|pid| fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|cwd| cwd == dir))
            .collect();
        if orphans.is_empty() {
            return;
        }
        tracing::warn!(count = orphans.len(), "ending the processes a killed PostgreSQL left running");
        let _ = Command::new("kill").arg("-KILL").args(&orphans).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while orphans.iter().any(|pid| postgres_alive(pid)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn run(&mut self) -> Result<(), LauncherError> {
        if self.server_already_running()? {
            tracing::info!(dir = %self.options.data_dir.display(), "using the PostgreSQL server already running there");
            return self.wait_until_ready();
        }
        const WATCHDOG: &str = r#"pg="$1"; dir="$2"; ephemeral="$3"; shift 3
"$pg" -D "$dir" -k "$dir" "$@" >>"$dir/server.log" 2>&1 &
pid=$!
read -r _ignored
kill -INT "$pid" 2>/dev/null
wait "$pid"
if [ "$ephemeral" = yes ]; then rm -rf "$dir"; fi
"#;
        let dir = &self.options.data_dir;
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(WATCHDOG)
            .arg("kinerja-postgres")
            .arg(self.bin_dir.join("postgres"))
            .arg(dir)
            .arg(if self.options.ephemeral { "yes" } else { "no" })
            .args(["-p", &PORT.to_string(), "-c", "listen_addresses=", "-c", "unix_socket_permissions=0700"]);
        if self.options.ephemeral {
            cmd.args(["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]);
            cmd.args(["-c", "max_connections=300"]);
            // Tests compare commit order (a close racing with writes).
            cmd.args(["-c", "track_commit_timestamp=on"]);
        }
        for (name, value) in &self.options.settings {
            cmd.arg("-c").arg(format!("{name}={value}"));
        }
        self.as_cluster_owner(&mut cmd);
        // Its own process group: a Ctrl-C at the terminal reaches this process, which drains its
        // requests first and then stops the server, instead of the server stopping under it.
        cmd.process_group(0).stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null());
        let mut child = cmd.spawn().map_err(io("starting PostgreSQL"))?;
        let stdin = child.stdin.take().ok_or_else(|| LauncherError::Failed {
            action: "starting PostgreSQL".into(),
            detail: "no pipe to the watchdog".into(),
        })?;
        self.watchdog = Some((child, stdin));
        self.wait_until_ready()
    }

    /// PostgreSQL writes `ready` (a standby: `standby`) into the pid file once it accepts connections.
    fn wait_until_ready(&mut self) -> Result<(), LauncherError> {
        let pid_file = self.options.data_dir.join("postmaster.pid");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            // `standby`: a hot standby that accepts read-only connections.
            let ready = fs::read_to_string(&pid_file)
                .map(|s| s.lines().any(|l| matches!(l.trim(), "ready" | "standby")))
                .unwrap_or(false);
            if ready {
                return Ok(());
            }
            let exited = match &mut self.watchdog {
                Some((child, _)) => !matches!(child.try_wait(), Ok(None)),
                None => false,
            };
            if exited || Instant::now() > deadline {
                self.stop();
                return Err(LauncherError::Failed {
                    action: "starting PostgreSQL".into(),
                    detail: format!("the server did not become ready; its log ends:\n{}", self.log_tail()),
                });
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    fn log_tail(&self) -> String {
        let log = fs::read_to_string(self.options.data_dir.join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }
}

impl Drop for LocalPostgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether `pid` is a live `postgres` process (a killed one not yet reaped is a zombie: gone).
fn postgres_alive(pid: &str) -> bool {
    let pid = pid.trim();
    if pid.is_empty() {
        return false;
    }
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else { return false };
    // `pid (comm) state …`: the name sits in parentheses, the state right after them.
    let name = stat.split_once('(').and_then(|(_, rest)| rest.rsplit_once(')'));
    matches!(name, Some((comm, rest)) if comm == "postgres" && !rest.trim_start().starts_with(['Z', 'X']))
}

/// Where `initdb` and `postgres` are: PATH (the folder a link there points into), then `pg_config --bindir`, then the newest
/// `/usr/lib/postgresql/*/bin` (Debian and Ubuntu keep them off PATH).
pub fn find_bin_dir() -> Option<PathBuf> {
    let has_server = |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();
    if let Some(dir) = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .find(|d| has_server(d))
    {
        // A link on PATH (/usr/local/bin/postgres → /usr/lib/postgresql/15/bin/postgres): the
        // folder it points into has the other tools too (pg_basebackup for a standby).
        let installed = fs::canonicalize(dir.join("postgres")).ok().and_then(|p| p.parent().map(Path::to_path_buf));
        return Some(installed.filter(|d| has_server(d)).unwrap_or(dir));
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has_server(&dir) {
            return Some(dir);
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            has_server(&bin).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn process_is_root() -> Result<bool, LauncherError> {
    // /proc/self belongs to the effective user of this process.
    Ok(fs::metadata("/proc/self").map_err(io("reading /proc/self"))?.uid() == 0)
}

fn lookup_user(name: &str) -> Result<RunAs, LauncherError> {
    let passwd = fs::read_to_string("/etc/passwd").map_err(io("reading /etc/passwd"))?;
    passwd
        .lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split(':').collect();
            (f.len() >= 4 && f[0] == name)
                .then(|| Some(RunAs { name: name.to_owned(), uid: f[2].parse().ok()?, gid: f[3].parse().ok()? }))?
        })
        .find(|u| u.uid != 0)
        .ok_or_else(|| LauncherError::NoSuchUser(name.to_owned()))
}

fn absolute(path: &Path) -> Result<PathBuf, LauncherError> {
    if path.is_absolute() {
        return Ok(path.to_path_buf());
    }
    let cwd = std::env::current_dir().map_err(io("reading the working folder"))?;
    Ok(cwd.join(path))
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"/._-~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_folder_is_percent_encoded_in_the_url() {
        assert_eq!(percent_encode("/tmp/a b/ü"), "/tmp/a%20b/%C3%BC");
    }

    #[test]
    fn identifiers_and_literals_are_quoted() {
        assert_eq!(quote_ident(r#"a"b"#), r#""a""b""#);
        assert_eq!(quote_literal("o'k"), "'o''k'");
    }
}
