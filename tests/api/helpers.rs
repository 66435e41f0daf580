//! `TestApp`: the real application, in process, on its own database of a PostgreSQL cluster the
//! harness starts once per test run (a throw-away cluster removed when the run ends).

use std::sync::{Mutex, OnceLock};

use actix_web::http::{header, Method, StatusCode};
use actix_web::{test, web};
use diesel::{Connection, PgConnection, RunQueryDsl};
use kinerja_api::auth::JwtKeys;
use kinerja_api::services::accounts::{self, AccountInput};
use kinerja_api::AppState;
use kinerja_domain::Role;
use kinerja_store::db::launcher::{quote_ident, LaunchOptions, LocalPostgres};
use kinerja_store::db::local_citus::LocalCitus;
use kinerja_store::db::migrations;
use kinerja_store::Db;
use serde_json::Value;
use uuid::Uuid;

pub const JWT_SECRET: &[u8] = b"test-secret-test-secret-test-secret!";
pub const PASSWORD: &str = "a-long-test-password";
const TEMPLATE: &str = "kinerja_template";

/// The database server of the run: one PostgreSQL, or with `KINERJA_TEST_CITUS=1` a Citus
/// coordinator and two workers (the whole suite then runs on a cluster; `.ci/run` does both).
enum Nodes {
    Single(LocalPostgres),
    Citus(LocalCitus),
}

pub struct Cluster {
    nodes: Mutex<Nodes>,
}

impl Cluster {
    pub fn url(&self, database: &str) -> String {
        self.nodes
            .lock()
            .map(|nodes| match &*nodes {
                Nodes::Single(pg) => pg.url(database),
                Nodes::Citus(citus) => citus.url(database),
            })
            .unwrap_or_default()
    }

    /// A streaming standby of the test cluster (on Citus, of its coordinator) in `dir`, started
    /// (removed when dropped).
    pub fn start_standby(&self, dir: std::path::PathBuf) -> LocalPostgres {
        let nodes = self.nodes.lock().expect("cluster");
        let primary = match &*nodes {
            Nodes::Single(pg) => pg,
            Nodes::Citus(citus) => &citus.coordinator,
        };
        primary.start_standby(dir).unwrap_or_else(|e| panic!("cannot start a standby: {e}"))
    }

    pub fn is_citus(&self) -> bool {
        self.nodes.lock().map(|nodes| matches!(&*nodes, Nodes::Citus(_))).unwrap_or(false)
    }
}

/// Whether this run is on a Citus cluster.
pub fn on_citus() -> bool {
    cluster().is_citus()
}

/// The shared cluster, started and given a migrated template database on first use.
pub fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        if std::env::var_os("RUST_LOG").is_some() {
            let filter = tracing_subscriber::EnvFilter::from_default_env();
            let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
        }
        let dir = std::env::temp_dir().join(format!("kinerja-test-{}", std::process::id()));
        let nodes = if std::env::var("KINERJA_TEST_CITUS").is_ok_and(|v| v == "1") {
            // KINERJA_TEST_KEEP_CLUSTER=1 keeps the nodes' folders (and their server.log) after the run.
            let ephemeral = std::env::var_os("KINERJA_TEST_KEEP_CLUSTER").is_none();
            let citus = LocalCitus::start(&dir, 2, "postgres", ephemeral)
                .unwrap_or_else(|e| panic!("cannot start the test Citus cluster: {e}"));
            citus.create_database(TEMPLATE).expect("template database");
            Nodes::Citus(citus)
        } else {
            let options =
                LaunchOptions { data_dir: dir, system_user: "postgres".into(), ephemeral: true, settings: Vec::new() };
            let pg = LocalPostgres::start(options).unwrap_or_else(|e| panic!("cannot start the test PostgreSQL: {e}"));
            pg.ensure_database(TEMPLATE).expect("template database");
            Nodes::Single(pg)
        };
        let cluster = Cluster { nodes: Mutex::new(nodes) };
        migrations::run_pending(&cluster.url(TEMPLATE)).expect("migrating the template");
        cluster
    })
}

/// Creates an empty database (no migrations) or a copy of the migrated template.
pub fn create_database(from_template: bool) -> String {
    let cluster = cluster();
    let name = format!("t_{}", Uuid::now_v7().simple());
    {
        let nodes = cluster.nodes.lock().expect("cluster");
        match &*nodes {
            Nodes::Citus(citus) if from_template => citus.copy_database(TEMPLATE, &name).expect("copy the template"),
            Nodes::Citus(citus) => citus.create_database(&name).expect("create test database"),
            Nodes::Single(pg) => {
                let mut conn = PgConnection::establish(&pg.url("postgres")).expect("connect to cluster");
                let template = if from_template { format!(" TEMPLATE {TEMPLATE}") } else { String::new() };
                diesel::sql_query(format!("CREATE DATABASE {}{template}", quote_ident(&name)))
                    .execute(&mut conn)
                    .expect("create test database");
            }
        }
    }
    cluster.url(&name)
}

/// An empty database without the Citus extension, on one node even on a cluster (its
/// coordinator): for the checks of the migration files themselves, which a cluster does not
/// change (down migrations are for one node; docs/scaling.md).
pub fn create_single_node_database() -> String {
    let cluster = cluster();
    let name = format!("t_{}", Uuid::now_v7().simple());
    let nodes = cluster.nodes.lock().expect("cluster");
    let node = match &*nodes {
        Nodes::Single(pg) => pg,
        Nodes::Citus(citus) => &citus.coordinator,
    };
    node.ensure_database(&name).expect("create test database");
    node.url(&name)
}

pub struct TestApp {
    pub state: web::Data<AppState>,
    pub database_url: String,
}

/// An answer, with its body parsed as JSON when it is JSON.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: header::HeaderMap,
    pub body: Value,
    pub text: String,
    pub bytes: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }

    /// Asserts a problem document with this status and code.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "{}", self.text);
        assert_eq!(self.header("content-type").as_deref(), Some("application/problem+json"), "{}", self.text);
        assert_eq!(self.body["code"], code, "{}", self.text);
        assert_eq!(self.body["status"], status, "{}", self.text);
        assert!(self.body["title"].is_string() && self.body["detail"].is_string(), "{}", self.text);
    }
}

/// A user the test created, with a token.
pub struct TestUser {
    pub id: Uuid,
    pub token: String,
}

impl TestApp {
    pub async fn new() -> TestApp {
        let database_url = create_database(true);
        TestApp::on_database(database_url).await
    }

    pub async fn on_database(database_url: String) -> TestApp {
        TestApp::on_database_with_pool(database_url, 4).await
    }

    pub async fn on_database_with_pool(database_url: String, pool_size: usize) -> TestApp {
        TestApp::on_db(Db::new(&database_url, pool_size).expect("pool"), database_url).await
    }

    /// The application on a database handle made by the test (read replicas, say).
    pub async fn on_db(db: Db, database_url: String) -> TestApp {
        let state = web::Data::new(AppState::new(db, JwtKeys::new(JWT_SECRET)).expect("state"));
        TestApp { state, database_url }
    }

    /// A new application whose webhooks may go to a receiver on this machine.
    pub async fn with_local_webhooks() -> TestApp {
        let database_url = create_database(true);
        let db = Db::new(&database_url, 4).expect("pool");
        let state = AppState::new(db, JwtKeys::new(JWT_SECRET))
            .expect("state")
            .with_webhook_targets(kinerja_api::integration::webhooks::Targets::AnyHttp);
        TestApp { state: web::Data::new(state), database_url }
    }

    /// A new application that browser pages from `origins` may call.
    pub async fn with_cors(origins: &[&str]) -> TestApp {
        let database_url = create_database(true);
        let db = Db::new(&database_url, 4).expect("pool");
        let origins: Vec<String> = origins.iter().map(|o| o.to_string()).collect();
        let allowed = kinerja_api::http::cors::AllowedOrigins::new(&origins).expect("origins");
        let state = AppState::new(db, JwtKeys::new(JWT_SECRET)).expect("state").with_cors_origins(allowed);
        TestApp { state: web::Data::new(state), database_url }
    }

    pub async fn call(&self, req: test::TestRequest) -> Reply {
        self.call_with_body(req, None).await
    }

    /// Sends a request, with `body` (e.g. a stream that breaks off) in place of its payload.
    pub async fn call_with_body(&self, req: test::TestRequest, body: Option<actix_web::dev::Payload>) -> Reply {
        let app = test::init_service(kinerja_api::app(self.state.clone())).await;
        let mut req = req.to_request();
        if let Some(body) = body {
            *req.payload() = body;
        }
        // An error the app returns (a request stopped at its deadline) is answered by the
        // server as its error response, as here.
        let res = match test::try_call_service(&app, req).await {
            Ok(res) => res.into_parts().1.map_into_boxed_body(),
            Err(e) => e.error_response(),
        };
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = actix_web::body::to_bytes(res.into_body()).await.unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply { status, headers, body, text, bytes: bytes.to_vec() }
    }

    pub async fn send(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let mut req = test::TestRequest::default().method(method).uri(path);
        if let Some(token) = token {
            req = req.insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
        }
        if let Some(body) = body {
            req = req.set_json(body);
        }
        self.call(req).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.send(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.send(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Reply {
        self.send(Method::PATCH, path, Some(token), Some(body)).await
    }

    pub async fn login(&self, username: &str, password: &str) -> Reply {
        let body = serde_json::json!({"username": username, "password": password});
        self.send(Method::POST, "/api/v1/auth/login", None, Some(body)).await
    }

    /// Runs SQL on the app's database (to set up data that has no endpoint yet).
    pub fn sql(&self, sql: &str) {
        self.try_sql(sql).expect("sql");
    }

    /// The one number a query answers (its column named `n`, a bigint).
    pub fn number(&self, sql: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = PgConnection::establish(&self.database_url).expect("connect");
        diesel::sql_query(sql).get_result::<N>(&mut conn).expect("number").n
    }

    pub fn try_sql(&self, sql: &str) -> Result<usize, String> {
        let mut conn = PgConnection::establish(&self.database_url).map_err(|e| e.to_string())?;
        diesel::sql_query(sql).execute(&mut conn).map_err(|e| e.to_string())
    }

    pub fn create_agency(&self, code: &str) -> Uuid {
        let id = Uuid::now_v7();
        self.sql(&format!("INSERT INTO agencies (id, code, name) VALUES ('{id}', '{code}', 'Pemerintah {code}')"));
        id
    }

    pub fn create_employee(&self, agency: Uuid, nip: &str, name: &str) -> Uuid {
        let id = Uuid::now_v7();
        self.sql(&format!(
            "INSERT INTO employees (id, agency_id, nip, name, employment_type) VALUES ('{id}', '{agency}', '{nip}', '{name}', 'pns')"
        ));
        self.sql(&format!(
            "INSERT INTO employee_nips (nip, agency_id, employee_id) VALUES ('{nip}', '{agency}', '{id}')"
        ));
        id
    }

    /// Creates a user directly (as `kinerja admin create-user` would) and logs them in.
    pub async fn user(
        &self,
        username: &str,
        roles: &[Role],
        agency_id: Option<Uuid>,
        employee_id: Option<Uuid>,
    ) -> TestUser {
        let row = accounts::create(
            &self.state.db,
            &kinerja_api::context::audit_actor::AuditActor::system(),
            AccountInput {
                username: username.into(),
                password: PASSWORD.into(),
                roles: roles.to_vec(),
                agency_id,
                employee_id,
            },
        )
        .await
        .expect("create user");
        let reply = self.login(username, PASSWORD).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        let token = reply.body["access_token"].as_str().expect("token").to_owned();
        TestUser { id: row.id, token }
    }

    pub async fn super_admin(&self) -> TestUser {
        self.user("root", &[Role::SuperAdmin], None, None).await
    }
}

/// A downloaded workbook: its first sheet's cells as a real reader (calamine) reads them, and
/// the XML of that sheet and of the styles (for what calamine does not tell: panes, formats).
pub struct Workbook {
    pub cells: calamine::Range<calamine::Data>,
    pub sheet_xml: String,
    pub styles_xml: String,
}

impl Workbook {
    #[track_caller]
    pub fn of(reply: &Reply) -> Workbook {
        use calamine::Reader;
        use std::io::Read;
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_eq!(
            reply.header("content-type").as_deref(),
            Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        );
        let mut book: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(reply.bytes.clone())).expect("an xlsx workbook");
        let cells = book.worksheet_range_at(0).expect("a sheet").expect("a readable sheet");
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(reply.bytes.clone())).expect("a zip");
        let mut read = |name: &str| {
            let mut text = String::new();
            zip.by_name(name).expect(name).read_to_string(&mut text).expect(name);
            text
        };
        let (sheet_xml, styles_xml) = (read("xl/worksheets/sheet1.xml"), read("xl/styles.xml"));
        Workbook { cells, sheet_xml, styles_xml }
    }

    /// The header row frozen (one row, as a pane).
    pub fn header_frozen(&self) -> bool {
        self.sheet_xml.contains(r#"ySplit="1""#) && self.sheet_xml.contains(r#"state="frozen""#)
    }
}

/// The `id` of what a successful request made or read.
pub fn id_of(reply: &Reply) -> String {
    assert!(reply.status.is_success(), "{}", reply.text);
    reply.body["id"].as_str().unwrap().to_owned()
}

// ---- the set-up most cycle tests share: a period, then plans in it ----

impl TestApp {
    /// A period of `agency` for the calendar `year` ("SKP {year}"), under the default rule set;
    /// its id.
    pub async fn open_period(&self, token: &str, agency: impl std::fmt::Display, year: i32, cadence: &str) -> String {
        self.open_period_under(token, agency, year, cadence, None).await
    }

    /// [`TestApp::open_period`] under a rule set of its own (`None`: the default).
    pub async fn open_period_under(
        &self,
        token: &str,
        agency: impl std::fmt::Display,
        year: i32,
        cadence: &str,
        rule_set: Option<&str>,
    ) -> String {
        let mut body = serde_json::json!({"agency_id": agency.to_string(), "name": format!("SKP {year}"),
            "starts_on": format!("{year}-01-01"), "ends_on": format!("{year}-12-31"), "cadence": cadence});
        if let Some(rule_set) = rule_set {
            body["rule_set"] = rule_set.into();
        }
        id_of(&self.post("/api/v1/periods", token, body).await)
    }

    /// A draft plan of `employee` in `period`, started by `token`'s holder; its id.
    pub async fn draft_plan(
        &self,
        token: &str,
        employee: impl std::fmt::Display,
        period: impl std::fmt::Display,
        approach: &str,
    ) -> String {
        let body = serde_json::json!({"employee_id": employee.to_string(), "period_id": period.to_string(),
            "approach": approach});
        id_of(&self.post("/api/v1/performance-plans", token, body).await)
    }
}

/// Checks `value` against the schema the OpenAPI document gives `schema` (the keywords the
/// document uses: `$ref`, `type`, `const`, `enum`, `required`, `properties`,
/// `additionalProperties`, `items`, `oneOf`, `anyOf`), naming where it does not fit.
pub fn check_against_spec(value: &Value, schema: &Value) -> Result<(), String> {
    static SPEC: OnceLock<Value> = OnceLock::new();
    let spec = SPEC.get_or_init(|| kinerja_api::openapi().expect("spec"));
    fits(spec, value, schema, "$")
}

fn fits(spec: &Value, value: &Value, schema: &Value, at: &str) -> Result<(), String> {
    if let Some(reference) = schema["$ref"].as_str() {
        let target = spec.pointer(reference.trim_start_matches('#')).ok_or(format!("{at}: no {reference}"))?;
        return fits(spec, value, target, at);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(choices) = schema[key].as_array() {
            let fitting = choices.iter().filter(|c| fits(spec, value, c, at).is_ok()).count();
            if fitting == 0 || (key == "oneOf" && fitting > 1) {
                return Err(format!("{at}: {fitting} of the {key} choices fit {value}"));
            }
        }
    }
    if let Some(constant) = schema.get("const") {
        if constant != value {
            return Err(format!("{at}: {value} is not {constant}"));
        }
    }
    if let Some(allowed) = schema["enum"].as_array() {
        if !allowed.contains(value) {
            return Err(format!("{at}: {value} is not one of {allowed:?}"));
        }
    }
    let kinds: Vec<&str> = match &schema["type"] {
        Value::String(kind) => vec![kind.as_str()],
        Value::Array(kinds) => kinds.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let kind_of = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let kind_fits = kinds.contains(&kind_of) || (kind_of == "integer" && kinds.contains(&"number"));
    if !kinds.is_empty() && !kind_fits {
        return Err(format!("{at}: {value} is not of type {kinds:?}"));
    }
    if let Value::Object(fields) = value {
        for required in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            if !fields.contains_key(required) {
                return Err(format!("{at}: no `{required}` in {value}"));
            }
        }
        for (name, field) in fields {
            let place = format!("{at}.{name}");
            match (schema["properties"].get(name), schema.get("additionalProperties")) {
                (Some(property), _) => fits(spec, field, property, &place)?,
                (None, Some(Value::Bool(false))) => return Err(format!("{place}: not in the schema")),
                (None, Some(extra)) if extra.is_object() => fits(spec, field, extra, &place)?,
                _ => {}
            }
        }
    }
    if let (Value::Array(items), Some(item)) = (value, schema.get("items")) {
        for (i, element) in items.iter().enumerate() {
            fits(spec, element, item, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

impl TestApp {
    /// The first event of `event_type` in the feed, waiting for it to be told (the feed shows
    /// an event once every transaction before it has ended), checked against the document.
    pub async fn first_event(&self, token: &str, event_type: &str, schema: &str) -> Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let page = self.get(&format!("/api/v1/events?type={event_type}"), token).await;
            let event = page.body["items"][0].clone();
            if !event.is_null() || std::time::Instant::now() > deadline {
                let schema = serde_json::json!({ "$ref": format!("#/components/schemas/{schema}") });
                check_against_spec(&event, &schema).unwrap_or_else(|e| panic!("{e}"));
                return event;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}
