//! Migrations, the schema file, and surviving a database that goes away.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use actix_web::http::Method;
use diesel::sql_types::Text;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use kinerja_domain::Role;
use kinerja_store::db::launcher::{LaunchOptions, LocalPostgres};
use kinerja_store::db::migrations;

use crate::helpers::{create_single_node_database, TestApp};

#[test]
fn every_migration_runs_down_and_up_again() {
    let url = create_single_node_database();
    let applied = migrations::run_pending(&url).unwrap();
    assert!(!applied.is_empty());
    let reverted = migrations::revert_all(&url).unwrap();
    assert_eq!(reverted.len(), applied.len());
    assert_eq!(columns(&url).len(), 0, "down.sql left tables behind");
    assert_eq!(migrations::run_pending(&url).unwrap(), applied);
}

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    diesel_type: String,
}

/// Every column of the migrated database as Diesel's schema.rs would spell it.
fn columns(url: &str) -> BTreeMap<(String, String), String> {
    let mut conn = PgConnection::establish(url).unwrap();
    let rows: Vec<Column> = diesel::sql_query(
        "SELECT table_name::text, column_name::text,
                CASE WHEN is_nullable = 'YES' THEN 'Nullable<' ELSE '' END ||
                CASE udt_name WHEN 'uuid' THEN 'Uuid' WHEN 'text' THEN 'Text' WHEN 'timestamptz' THEN 'Timestamptz'
                              WHEN 'bool' THEN 'Bool' WHEN 'int4' THEN 'Int4' WHEN 'int8' THEN 'Int8'
                              WHEN 'int2' THEN 'Int2' WHEN 'bytea' THEN 'Bytea' WHEN 'jsonb' THEN 'Jsonb'
                              WHEN 'date' THEN 'Date' WHEN 'numeric' THEN 'Numeric' WHEN 'float8' THEN 'Float8'
                              WHEN '_text' THEN 'Array<Text>' WHEN '_uuid' THEN 'Array<Uuid>'
                              ELSE 'Unmapped(' || udt_name || ')' END ||
                CASE WHEN is_nullable = 'YES' THEN '>' ELSE '' END AS diesel_type
         FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'",
    )
    .load(&mut conn)
    .unwrap();
    rows.into_iter().map(|c| ((c.table_name, c.column_name), c.diesel_type)).collect()
}

/// The columns `schema.rs` declares, read from its `table!` blocks.
fn declared_columns() -> BTreeMap<(String, String), String> {
    let source = include_str!("../../crates/kinerja-store/src/schema.rs");
    let mut out = BTreeMap::new();
    let mut table: Option<String> = None;
    for line in source.lines().map(str::trim) {
        if let Some(head) = line.strip_suffix('{').map(str::trim) {
            if let Some((name, _pk)) = head.split_once(' ') {
                if !name.contains("::") {
                    table = Some(name.to_owned());
                }
            }
        } else if line == "}" {
            table = None;
        } else if let (Some(t), Some((col, ty))) = (&table, line.split_once("->")) {
            out.insert((t.clone(), col.trim().to_owned()), ty.trim().trim_end_matches(',').to_owned());
        }
    }
    out
}

#[test]
fn schema_rs_matches_the_migrations() {
    let url = create_single_node_database();
    migrations::run_pending(&url).unwrap();
    let actual = columns(&url);
    let declared = declared_columns();
    assert!(declared.len() > 10, "schema.rs was not read");
    assert_eq!(declared, actual, "crates/kinerja-store/src/schema.rs differs from migrations/");
}

/// Stops the database under a live app: requests get 503 with Retry-After quickly, and the app
/// recovers by itself once the database is back.
#[actix_web::test]
async fn survives_the_database_going_away_and_coming_back() {
    let dir = std::env::temp_dir().join(format!("kinerja-restart-{}", std::process::id()));
    let _cleanup = RemoveOnDrop(dir.clone());
    let mut pg = LocalPostgres::start(LaunchOptions {
        data_dir: dir,
        system_user: "postgres".into(),
        ephemeral: false,
        settings: Vec::new(),
    })
    .unwrap();
    pg.ensure_database("kinerja").unwrap();
    let url = pg.url("kinerja");
    migrations::run_pending(&url).unwrap();
    let app = TestApp::on_database(url).await;
    let root = app.user("root", &[Role::SuperAdmin], None, None).await;
    assert_eq!(app.send(Method::GET, "/readyz", None, None).await.status, 200);

    pg.stop();
    let started = Instant::now();
    let ready = app.send(Method::GET, "/readyz", None, None).await;
    ready.assert_problem(503, "database_unavailable");
    assert_eq!(ready.header("retry-after").as_deref(), Some("5"));
    app.get("/api/v1/me", &root.token).await.assert_problem(503, "database_unavailable");
    assert!(started.elapsed() < Duration::from_secs(15), "answers must not hang: {:?}", started.elapsed());

    pg.restart().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if app.send(Method::GET, "/readyz", None, None).await.status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "the app did not recover");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let me = app.get("/api/v1/me", &root.token).await;
    assert_eq!(me.status, 200, "{}", me.text);
}

/// A stale pid file left by a crash does not stop the cluster from starting.
#[test]
fn starts_over_a_stale_pid_file() {
    let dir = std::env::temp_dir().join(format!("kinerja-stale-{}", std::process::id()));
    let _cleanup = RemoveOnDrop(dir.clone());
    let options =
        LaunchOptions { data_dir: dir.clone(), system_user: "postgres".into(), ephemeral: false, settings: Vec::new() };
    let mut pg = LocalPostgres::start(options.clone()).unwrap();
    pg.stop();
    // What a crash leaves: a pid file naming a process that is gone.
    let pid_file = dir.join("postmaster.pid");
    std::fs::write(&pid_file, format!("999999\n{}\n", dir.display())).unwrap();
    let pg = LocalPostgres::start(options).unwrap();
    pg.ensure_database("after_crash").unwrap();
}

struct RemoveOnDrop(std::path::PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `GET path` on a server at `port`: the status code, and the body (0 when nothing answers).
fn http_get(port: u16, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else { return (0, String::new()) };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return (0, String::new());
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let status = answer.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, answer)
}

#[test]
fn the_server_starts_its_embedded_database_again_when_it_dies() {
    let dir = std::env::temp_dir().join(format!("kinerja-supervise-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::PermissionsExt::set_mode(&mut std::fs::metadata(&dir).unwrap().permissions(), 0o711);
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o711)).unwrap();
    let port = 20_000 + (std::process::id() % 20_000) as u16;
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_kinerja"))
        .arg("serve")
        .env("KINERJA_DATA_DIR", &dir)
        .env("KINERJA_BIND", format!("127.0.0.1:{port}"))
        .env("KINERJA_ADMIN_PASSWORD", "a-long-test-password")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let wait_for = |wanted: u16, within: Duration| {
        let started = Instant::now();
        while started.elapsed() < within {
            if http_get(port, "/readyz").0 == wanted {
                return Some(started.elapsed());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    };
    let ready = wait_for(200, Duration::from_secs(90));
    let outcome = std::panic::catch_unwind(|| {
        assert!(ready.is_some(), "the server never became ready");
        let pid_file = std::fs::read_to_string(dir.join("postgres/postmaster.pid")).unwrap();
        let pid = pid_file.lines().next().unwrap().trim().to_owned();
        let killed = std::process::Command::new("kill").args(["-KILL", &pid]).status().unwrap();
        assert!(killed.success());
        assert!(wait_for(503, Duration::from_secs(10)).is_some(), "/readyz never said 503 while the database was gone");
        let back = wait_for(200, Duration::from_secs(30));
        assert!(back.is_some(), "the database did not come back");
        // Counted once the restart returns, which may be a moment after the first 200.
        let counted = (0..50).any(|_| {
            let counted = http_get(port, "/metrics").1.contains("kinerja_database_restarts_total 1");
            if !counted {
                std::thread::sleep(Duration::from_millis(100));
            }
            counted
        });
        assert!(counted, "{}", http_get(port, "/metrics").1);
        eprintln!("database back {:?} after /readyz first said 503", back.unwrap());

        // Killed while a backend is busy in a long statement: the orphaned backend keeps the
        // shared memory, so the new server cannot start until it is ended; serving again within 10 s.
        let url = format!("postgresql:///kinerja?host={}/postgres&port=5432&user=kinerja", dir.display());
        let busy = std::thread::spawn(move || {
            let mut conn = <diesel::PgConnection as diesel::Connection>::establish(&url).unwrap();
            let long = "SELECT count(*) FROM generate_series(1, 100000) a, generate_series(1, 100000) b";
            diesel::RunQueryDsl::execute(diesel::sql_query(long), &mut conn).is_err()
        });
        std::thread::sleep(Duration::from_millis(500));
        let pid_file = std::fs::read_to_string(dir.join("postgres/postmaster.pid")).unwrap();
        let pid = pid_file.lines().next().unwrap().trim().to_owned();
        assert!(std::process::Command::new("kill").args(["-KILL", &pid]).status().unwrap().success());
        let killed_at = Instant::now();
        assert!(wait_for(503, Duration::from_secs(10)).is_some(), "/readyz never said 503 while the database was gone");
        assert!(wait_for(200, Duration::from_secs(10)).is_some(), "not serving 10 s after the kill");
        eprintln!("serving again {:?} after a kill during a long statement", killed_at.elapsed());
        assert!(busy.join().unwrap(), "the long statement ended with the server that ran it");
    });
    let _ = std::process::Command::new("kill").args(["-TERM", &server.id().to_string()]).status();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
