//! Settings from flags or environment variables (the README's "Settings"), checked at start.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address to listen on.
    #[arg(long, env = "KINERJA_BIND", default_value = "127.0.0.1:8080", global = true)]
    pub bind: SocketAddr,

    /// PostgreSQL to use; when unset, a private PostgreSQL is started in the data folder.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,

    /// Folder for the embedded database and the generated JWT key.
    #[arg(long, env = "KINERJA_DATA_DIR", default_value = "./kinerja-data", global = true)]
    pub data_dir: PathBuf,

    /// Secret that signs access tokens (at least 32 bytes); when unset, one is generated once
    /// into the data folder. Every replica behind a load balancer needs the same secret.
    #[arg(long, env = "KINERJA_JWT_SECRET", global = true, hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// Password of the `admin` user created on first start; when unset, one is generated and
    /// printed once.
    #[arg(long, env = "KINERJA_ADMIN_PASSWORD", global = true, hide_env_values = true)]
    pub admin_password: Option<String>,

    /// Log lines as human-readable text or as JSON.
    #[arg(long, env = "KINERJA_LOG_FORMAT", value_enum, default_value = "pretty", global = true)]
    pub log_format: LogFormat,

    /// Database connections per process, divided between the HTTP workers (each has its own pool).
    #[arg(long, env = "KINERJA_DB_POOL_SIZE", default_value_t = 16,
          value_parser = clap::value_parser!(u16).range(1..=1000), global = true)]
    pub db_pool_size: u16,

    /// Read replicas (streaming standbys; several comma-separated): lists, reports and exports
    /// read from them, writes and the reads that authorize a write from the primary.
    #[arg(long, env = "KINERJA_READ_DATABASE_URL", value_delimiter = ',', global = true)]
    pub read_database_url: Vec<String>,

    /// Seconds a replica may lag behind the primary before reads skip it; also how long a
    /// caller's reads go to the primary after its own write.
    #[arg(long, env = "KINERJA_MAX_REPLICA_LAG", default_value_t = 5.0, global = true)]
    pub max_replica_lag: f64,

    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "KINERJA_WORKERS", value_parser = clap::value_parser!(u16).range(1..=256), global = true)]
    pub workers: Option<u16>,

    /// Reverse proxies (comma-separated IP addresses) whose `X-Forwarded-For` names the client,
    /// for login throttling by address; from anyone else the header is ignored.
    #[arg(long, env = "KINERJA_TRUSTED_PROXIES", value_delimiter = ',', global = true)]
    pub trusted_proxies: Vec<std::net::IpAddr>,

    /// Let webhooks go to plain `http` and to local or private addresses (development: a
    /// receiver on this machine). Off: `https` to public hosts only.
    #[arg(long, env = "KINERJA_WEBHOOK_ALLOW_LOCAL", global = true)]
    pub webhook_allow_local: bool,

    /// Seconds one webhook try may take, connecting included.
    #[arg(long, env = "KINERJA_WEBHOOK_TIMEOUT", default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=120), global = true)]
    pub webhook_timeout: u16,

    /// Seconds a request may take before it is answered 503 `request_timed_out` (imports excepted:
    /// their statements have a limit by the file's size).
    #[arg(long, env = "KINERJA_REQUEST_TIMEOUT", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=600), global = true)]
    pub request_timeout: u16,

    /// Browser origins (comma-separated, exact: `https://portal.example.go.id`) whose pages may
    /// call the API (CORS). None by default: only servers and same-origin pages can.
    #[arg(long, env = "KINERJA_CORS_ORIGINS", value_delimiter = ',', global = true)]
    pub cors_origins: Vec<String>,

    /// Unprivileged system user that runs the embedded PostgreSQL when Kinerja runs as root.
    #[arg(long, env = "KINERJA_PG_USER", default_value = "postgres", global = true)]
    pub pg_user: String,
}

/// The minimum length of a signing secret (HS256 wants at least 256 bits).
const MIN_JWT_SECRET_BYTES: usize = 32;

impl Settings {
    /// Checks what clap's types cannot, with a message naming the setting.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(secret) = &self.jwt_secret {
            if secret.len() < MIN_JWT_SECRET_BYTES {
                return Err(format!(
                    "KINERJA_JWT_SECRET must be at least {MIN_JWT_SECRET_BYTES} bytes (it has {}); \
                     generate one with `openssl rand -hex 32`",
                    secret.len()
                ));
            }
        }
        if let Some(password) = &self.admin_password {
            if let Err(e) = kinerja_domain::credentials::check_password(password) {
                return Err(format!("KINERJA_ADMIN_PASSWORD {e}"));
            }
        }
        if let Some(url) = &self.database_url {
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                return Err("DATABASE_URL must start with postgres:// or postgresql://".into());
            }
        }
        if self.data_dir.as_os_str().is_empty() {
            return Err("KINERJA_DATA_DIR must not be empty".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Probe {
        #[command(flatten)]
        settings: Settings,
    }

    fn parse(args: &[&str]) -> Result<Settings, String> {
        let probe =
            Probe::try_parse_from(std::iter::once("kinerja").chain(args.iter().copied())).map_err(|e| e.to_string())?;
        probe.settings.validate()?;
        Ok(probe.settings)
    }

    #[test]
    fn defaults_follow_the_api_contract() {
        let s = parse(&[]).unwrap();
        assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(s.data_dir, PathBuf::from("./kinerja-data"));
        assert_eq!(s.log_format, LogFormat::Pretty);
    }

    #[test]
    fn bad_values_are_refused_with_the_setting_named() {
        assert!(parse(&["--bind", "localhost"]).is_err());
        assert!(parse(&["--db-pool-size", "0"]).is_err());
        assert!(parse(&["--log-format", "xml"]).is_err());
        let short = parse(&["--jwt-secret", "short"]).unwrap_err();
        assert!(short.contains("KINERJA_JWT_SECRET"), "{short}");
        let weak = parse(&["--admin-password", "admin"]).unwrap_err();
        assert!(weak.contains("KINERJA_ADMIN_PASSWORD"), "{weak}");
        let url = parse(&["--database-url", "mysql://x"]).unwrap_err();
        assert!(url.contains("DATABASE_URL"), "{url}");
        assert!(parse(&["--jwt-secret", &"s".repeat(32), "--admin-password", "long-enough-pw"]).is_ok());
        assert!(parse(&["--trusted-proxies", "10.0.0.1,not-an-ip"]).is_err());
        assert_eq!(parse(&["--trusted-proxies", "10.0.0.1,::1"]).unwrap().trusted_proxies.len(), 2);
    }
}
