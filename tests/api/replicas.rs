//! Read replicas for real: a streaming standby of the test cluster (pg_basebackup -R), lists read
//! from it, writes and a writer's own reads on the primary, and the primary answering when the
//! standby lags past the limit or is stopped.

use std::time::{Duration, Instant};

use actix_web::http::Method;
use diesel::sql_types::BigInt;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use kinerja_domain::Role;
use kinerja_store::Db;
use serde_json::{json, Value};

use crate::helpers::{cluster, create_database, TestApp};

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(url: &str, sql: &str) -> i64 {
    let mut conn = PgConnection::establish(url).expect("connect");
    diesel::sql_query(sql).get_result::<Count>(&mut conn).expect(sql).n
}

fn names(reply: &Value) -> Vec<String> {
    reply["items"].as_array().expect("items").iter().map(|e| e["name"].as_str().unwrap().to_owned()).collect()
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < Duration::from_secs(30), "waited 30 s for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[actix_web::test]
async fn lists_read_from_a_streaming_standby_and_from_the_primary_when_it_lags_or_stops() {
    let primary_url = create_database(true);
    let name = primary_url.trim_start_matches("postgresql:///").split('?').next().unwrap().to_owned();
    let dir = std::env::temp_dir().join(format!("kinerja-standby-{}", std::process::id()));
    let mut standby = cluster().start_standby(dir);
    let standby_url = standby.url(&name);
    wait_for("the test database on the standby", || PgConnection::establish(&standby_url).is_ok());
    let max_lag = Duration::from_secs(2);
    let db = Db::new(&primary_url, 4).unwrap().with_replicas(std::slice::from_ref(&standby_url), max_lag).unwrap();
    let app = TestApp::on_db(db.clone(), primary_url.clone()).await;
    let agency = app.create_agency("REPLIKA");
    let admin = app.user("admin.replika", &[Role::AgencyAdmin], Some(agency), None).await;
    let reader = app.user("auditor.replika", &[Role::Auditor], Some(agency), None).await;
    let list = format!("/api/v1/employees?agency_id={agency}");
    let create =
        |nip: &str, name: &str| json!({"nip": nip, "name": name, "agency_id": agency, "employment_type": "pns"});

    // A write goes to the primary; once the standby has replayed it, another caller's list is
    // served by the standby: its pool holds a connection there, and the metrics count it.
    let made = app.post("/api/v1/employees", &admin.token, create("199001012015031001", "Budi Santoso")).await;
    assert_eq!(made.status, 201, "{}", made.text);
    let on_standby = || count(&standby_url, "SELECT count(*) AS n FROM employees WHERE name = 'Budi Santoso'") == 1;
    wait_for("the employee on the standby", on_standby);
    let served = db.reads_served();
    let read = app.get(&list, &reader.token).await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(names(&read.body), ["Budi Santoso"]);
    assert_eq!(db.reads_served().replica, served.replica + 1, "the list was not read from the standby");
    let ours = format!(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid() \
         AND backend_type = 'client backend'"
    );
    assert!(count(&standby_url, &ours) >= 1, "no connection of the replica pool on the standby");

    // The standby stops replaying: a writer still reads its own write (from the primary), so does
    // anyone who asks for the primary; once the standby lags past the limit, everyone does.
    count(&standby_url, "SELECT 1::bigint AS n FROM pg_wal_replay_pause()");
    let made = app.post("/api/v1/employees", &admin.token, create("199203152016042002", "Siti Aminah")).await;
    assert_eq!(made.status, 201, "{}", made.text);
    assert_eq!(names(&app.get(&list, &admin.token).await.body), ["Budi Santoso", "Siti Aminah"]);
    let mut asked = actix_web::test::TestRequest::get().uri(&list);
    asked = asked.insert_header(("Authorization", format!("Bearer {}", reader.token)));
    asked = asked.insert_header(("Kinerja-Read-From", "primary"));
    assert_eq!(names(&app.call(asked).await.body), ["Budi Santoso", "Siti Aminah"]);
    std::thread::sleep(max_lag + Duration::from_millis(1500));
    let served = db.reads_served();
    let behind = app.get(&list, &reader.token).await;
    assert_eq!(names(&behind.body), ["Budi Santoso", "Siti Aminah"], "a lagging standby answered");
    assert_eq!(db.reads_served().primary, served.primary + 1);
    let metrics = app.send(Method::GET, "/metrics", None, None).await.text;
    assert!(metrics.contains(r#"kinerja_db_replica_up{replica="0"} 1"#), "{metrics}");
    assert!(metrics.contains(r#"kinerja_db_reads_total{pool="replica"}"#), "{metrics}");
    count(&standby_url, "SELECT 1::bigint AS n FROM pg_wal_replay_resume()");

    // The standby stops: reads still answer, from the primary, and the metrics say it is down.
    standby.stop();
    // Past the second a measured lag is trusted, the next read checks the standby again.
    std::thread::sleep(Duration::from_millis(1200));
    let served = db.reads_served();
    let read = app.get(&list, &reader.token).await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(names(&read.body), ["Budi Santoso", "Siti Aminah"]);
    assert_eq!(db.reads_served().primary, served.primary + 1);
    let metrics = app.send(Method::GET, "/metrics", None, None).await.text;
    assert!(metrics.contains(r#"kinerja_db_replica_up{replica="0"} 0"#), "{metrics}");
}
