//! A Citus cluster on this machine: a coordinator and workers, each a [`LocalPostgres`] with the
//! extension preloaded, talking over their Unix sockets. For the end-to-end suite on a cluster
//! (`KINERJA_TEST_CITUS=1`) and the benchmarks; where Citus comes from is in the README's
//! prerequisites.

use std::path::Path;

use diesel::{Connection, PgConnection, RunQueryDsl};

use super::launcher::{quote_ident, LaunchOptions, LauncherError, LocalPostgres};

/// Shards per distributed table: a few per worker, so that agencies land on both workers
/// without making every DDL statement touch hundreds of shards.
pub const TEST_SHARD_COUNT: u32 = 8;

pub struct LocalCitus {
    pub coordinator: LocalPostgres,
    pub workers: Vec<LocalPostgres>,
}

fn failed(action: impl Into<String>) -> impl FnOnce(diesel::result::Error) -> LauncherError {
    let action = action.into();
    move |e| LauncherError::Failed { action, detail: e.to_string() }
}

fn connect(url: &str) -> Result<PgConnection, LauncherError> {
    PgConnection::establish(url)
        .map_err(|e| LauncherError::Failed { action: format!("connecting to {url}"), detail: e.to_string() })
}

impl LocalCitus {
    /// Starts a coordinator in `dir/coordinator` and `workers` workers in `dir/worker-N`.
    pub fn start(dir: &Path, workers: usize, system_user: &str, ephemeral: bool) -> Result<Self, LauncherError> {
        let node = |name: String, shards: bool| {
            let mut settings = vec![("shared_preload_libraries".to_owned(), "citus".to_owned())];
            if shards {
                settings.push(("citus.shard_count".into(), TEST_SHARD_COUNT.to_string()));
                if !ephemeral {
                    // A kept cluster is for reading its logs: name every query that is not a
                    // router query (one shard).
                    settings.push(("citus.multi_task_query_log_level".into(), "log".into()));
                }
            }
            // Several nodes on one machine: each keeps its share of the memory small.
            settings.push(("shared_buffers".into(), "128MB".into()));
            // Citus runs a maintenance worker per database it has seen: a test run makes hundreds.
            settings.push(("max_worker_processes".into(), "400".into()));
            settings.push(("max_connections".into(), "1000".into()));
            LocalPostgres::start(LaunchOptions {
                data_dir: dir.join(name),
                system_user: system_user.into(),
                ephemeral,
                settings,
            })
        };
        let coordinator = node("coordinator".into(), true)?;
        let workers = (1..=workers).map(|n| node(format!("worker-{n}"), false)).collect::<Result<Vec<_>, _>>()?;
        Ok(LocalCitus { coordinator, workers })
    }

    fn nodes(&self) -> impl Iterator<Item = &LocalPostgres> {
        std::iter::once(&self.coordinator).chain(self.workers.iter())
    }

    /// Creates `database` on every node with the extension, and makes it a cluster: the
    /// coordinator knows itself and the workers (node names are the socket folders).
    pub fn create_database(&self, database: &str) -> Result<(), LauncherError> {
        for node in self.nodes() {
            node.ensure_database(database)?;
            let mut conn = connect(&node.url(database))?;
            diesel::sql_query("CREATE EXTENSION IF NOT EXISTS citus")
                .execute(&mut conn)
                .map_err(failed("creating the citus extension"))?;
        }
        let mut conn = connect(&self.coordinator.url(database))?;
        let host = |node: &LocalPostgres| node.data_dir().to_string_lossy().replace('\'', "''");
        diesel::sql_query(format!(
            "SELECT citus_set_coordinator_host('{}', {})",
            host(&self.coordinator),
            super::launcher::PORT
        ))
        .execute(&mut conn)
        .map_err(failed("naming the coordinator"))?;
        for worker in &self.workers {
            diesel::sql_query(format!("SELECT citus_add_node('{}', {})", host(worker), super::launcher::PORT))
                .execute(&mut conn)
                .map_err(failed("adding a worker"))?;
        }
        Ok(())
    }

    /// A copy of `template` as `database` on every node, shards and metadata included: each node
    /// copies its own part, so the copy is a cluster of its own at once (a fraction of a second,
    /// where distributing a schema anew takes several). The template's connections, Citus's
    /// maintenance daemon among them, are ended first: PostgreSQL copies only an unused database.
    pub fn copy_database(&self, template: &str, database: &str) -> Result<(), LauncherError> {
        for node in self.nodes() {
            let mut conn = connect(&node.url("postgres"))?;
            diesel::sql_query(format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}'",
                template.replace('\'', "''")
            ))
            .execute(&mut conn)
            .map_err(failed("ending the template's sessions"))?;
            diesel::sql_query(format!("CREATE DATABASE {} TEMPLATE {}", quote_ident(database), quote_ident(template)))
                .execute(&mut conn)
                .map_err(failed(format!("copying {template} to {database}")))?;
        }
        Ok(())
    }

    /// The coordinator's URL for `database`: the application's one database.
    pub fn url(&self, database: &str) -> String {
        self.coordinator.url(database)
    }
}
