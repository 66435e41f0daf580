//! Login, tokens, refresh rotation, logout, client credentials and throttling.

use actix_web::http::{header, Method};
use actix_web::test::TestRequest;
use kinerja_api::auth::{AccessClaims, JwtKeys};
use kinerja_domain::Role;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{TestApp, JWT_SECRET, PASSWORD};

#[actix_web::test]
async fn login_then_me() {
    let app = TestApp::new().await;
    let agency = app.create_agency("KOTA-PKY");
    let admin = app.user("siti.admin", &[Role::AgencyAdmin], Some(agency), None).await;
    let me = app.get("/api/v1/me", &admin.token).await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.body["kind"], "user");
    assert_eq!(me.body["user"]["username"], "siti.admin");
    assert_eq!(me.body["roles"], json!(["agency_admin"]));
    assert_eq!(me.body["agency_id"], agency.to_string());
    assert!(me.body["user"].get("password_hash").is_none());
}

#[actix_web::test]
async fn login_token_shape() {
    let app = TestApp::new().await;
    app.super_admin().await;
    let reply = app.login("root", PASSWORD).await;
    assert_eq!(reply.body["token_type"], "Bearer");
    assert_eq!(reply.body["expires_in"], 900);
    let claims = JwtKeys::new(JWT_SECRET).verify(reply.body["access_token"].as_str().unwrap()).unwrap();
    assert_eq!(claims.exp - claims.iat, 900);
    assert_eq!((claims.iss.as_str(), claims.aud.as_str()), ("kinerja", "kinerja-api"));
}

#[actix_web::test]
async fn login_by_nip() {
    let app = TestApp::new().await;
    let agency = app.create_agency("KAB-BTH");
    let employee = app.create_employee(agency, "198503152010012003", "Rina Marlina");
    app.user("rina", &[Role::Employee], Some(agency), Some(employee)).await;
    let reply = app.login("198503152010012003", PASSWORD).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let me = app.get("/api/v1/me", reply.body["access_token"].as_str().unwrap()).await;
    assert_eq!(me.body["employee_id"], employee.to_string());
}

#[actix_web::test]
async fn unknown_user_and_wrong_password_answer_alike() {
    let app = TestApp::new().await;
    app.super_admin().await;
    let wrong = app.login("root", "not-the-password").await;
    let unknown = app.login("nobody", "not-the-password").await;
    wrong.assert_problem(401, "invalid_credentials");
    unknown.assert_problem(401, "invalid_credentials");
    assert_eq!(wrong.body, unknown.body);
}

#[actix_web::test]
async fn deactivated_users_cannot_log_in() {
    let app = TestApp::new().await;
    let root = app.super_admin().await;
    app.sql(&format!("UPDATE users SET is_active = false WHERE id = '{}'", root.id));
    app.login("root", PASSWORD).await.assert_problem(401, "invalid_credentials");
}

fn login_from(address: &str, username: &str, password: &str) -> TestRequest {
    TestRequest::post()
        .uri("/api/v1/auth/login")
        .peer_addr(format!("{address}:4000").parse().unwrap())
        .set_json(json!({"username": username, "password": password}))
}

#[actix_web::test]
async fn failures_back_off_per_account_and_address_whatever_name_is_used() {
    let app = TestApp::new().await;
    let agency = app.create_agency("KAB-GTO");
    let nip = "198501012010012001";
    let guru = app.create_employee(agency, nip, "Rina Marlina");
    app.user("guru", &[Role::Employee], Some(agency), Some(guru)).await;
    let stranger = "198.51.100.7";
    for left in (0..5).rev() {
        let failed = app.call(login_from(stranger, "guru", "wrong-password!")).await;
        failed.assert_problem(401, "invalid_credentials");
        // The limit and where the caller stands, as the IETF RateLimit fields.
        assert_eq!(failed.header("ratelimit-policy").as_deref(), Some("\"failed-logins\";q=5;w=900"));
        assert_eq!(failed.header("ratelimit"), Some(format!("\"failed-logins\";r={left};t=900")));
    }
    // Waiting now, even with the right password, and by NIP too: the count is the account's.
    let waiting = app.call(login_from(stranger, "guru", PASSWORD)).await;
    waiting.assert_problem(429, "rate_limited");
    assert_eq!(waiting.header("retry-after").as_deref(), Some("1"));
    assert_eq!(waiting.header("ratelimit").as_deref(), Some("\"failed-logins\";r=0;t=1"));
    app.call(login_from(stranger, nip, PASSWORD)).await.assert_problem(429, "rate_limited");
    // The owner, from another address, is not locked out by the stranger.
    let owner = app.call(login_from("192.0.2.10", nip, PASSWORD)).await;
    assert_eq!(owner.status, 200);
    assert!(owner.header("ratelimit-policy").is_some());
    // Each further failure doubles the wait: 1 s, then 2 s, then 4 s.
    for expected in ["2", "4"] {
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let mut reply = app.call(login_from(stranger, nip, "wrong-password!")).await;
        while reply.status == 429 {
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            reply = app.call(login_from(stranger, nip, "wrong-password!")).await;
        }
        reply.assert_problem(401, "invalid_credentials");
        let next = app.call(login_from(stranger, "guru", PASSWORD)).await;
        next.assert_problem(429, "rate_limited");
        assert_eq!(next.header("retry-after").as_deref(), Some(expected), "{}", next.text);
    }
    // Failures are forgotten after a quiet spell; then the right password works from there.
    app.sql("UPDATE login_failures SET last_failed_at = now() - interval '16 minutes'");
    assert_eq!(app.call(login_from(stranger, "guru", PASSWORD)).await.status, 200);
}

#[actix_web::test]
async fn spraying_one_password_from_one_address_is_slowed() {
    let app = TestApp::new().await;
    app.super_admin().await;
    let sprayer = "203.0.113.9";
    for i in 0..20 {
        app.call(login_from(sprayer, &format!("pegawai{i}"), "Rahasia2026!"))
            .await
            .assert_problem(401, "invalid_credentials");
    }
    app.call(login_from(sprayer, "pegawai-next", "Rahasia2026!")).await.assert_problem(429, "rate_limited");
    // Root, from elsewhere, is not affected.
    assert_eq!(app.call(login_from("192.0.2.10", "root", PASSWORD)).await.status, 200);
}

#[actix_web::test]
async fn x_forwarded_for_counts_only_from_a_trusted_proxy() {
    let db = crate::helpers::create_database(true);
    let app = TestApp::on_database(db).await;
    let state =
        kinerja_api::AppState::new(app.state.db.clone(), kinerja_api::auth::JwtKeys::new(crate::helpers::JWT_SECRET))
            .unwrap()
            .with_trusted_proxies(vec!["10.0.0.1".parse().unwrap()]);
    let forwarded = |peer: &str, header: &str| {
        actix_web::test::TestRequest::default()
            .peer_addr(format!("{peer}:4000").parse().unwrap())
            .insert_header(("X-Forwarded-For", header.to_owned()))
            .to_http_request()
    };
    // Behind the proxy: the nearest address it did not add itself.
    assert_eq!(
        state.client_address(&forwarded("10.0.0.1", "203.0.113.9, 198.51.100.7")).unwrap().to_string(),
        "198.51.100.7"
    );
    // From anyone else the header is the client's own claim, and ignored.
    assert_eq!(state.client_address(&forwarded("198.51.100.7", "10.9.9.9")).unwrap().to_string(), "198.51.100.7");
}

async fn refresh(app: &TestApp, token: &str) -> crate::helpers::Reply {
    app.send(Method::POST, "/api/v1/auth/refresh", None, Some(json!({"refresh_token": token}))).await
}

#[actix_web::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = TestApp::new().await;
    app.super_admin().await;
    let first = app.login("root", PASSWORD).await;
    let r1 = first.body["refresh_token"].as_str().unwrap().to_owned();
    let second = refresh(&app, &r1).await;
    assert_eq!(second.status, 200, "{}", second.text);
    let r2 = second.body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(r1, r2);
    assert_eq!(app.get("/api/v1/me", second.body["access_token"].as_str().unwrap()).await.status, 200);

    // r1 is spent: showing it again past the two-tab grace window is theft or a bug, and ends
    // the whole family.
    app.sql("UPDATE refresh_tokens SET spent_at = now() - interval '31 seconds' WHERE spent_at IS NOT NULL");
    refresh(&app, &r1).await.assert_problem(401, "invalid_refresh_token");
    refresh(&app, &r2).await.assert_problem(401, "invalid_refresh_token");
    // ... and the access tokens the family was given (RFC 9700), not only its refresh tokens.
    app.get("/api/v1/me", second.body["access_token"].as_str().unwrap()).await.assert_problem(401, "unauthenticated");

    // A separate login is a separate family and still works.
    let other = app.login("root", PASSWORD).await;
    assert_eq!(refresh(&app, other.body["refresh_token"].as_str().unwrap()).await.status, 200);
    refresh(&app, "made-up").await.assert_problem(401, "invalid_refresh_token");
}

#[actix_web::test]
async fn expired_refresh_tokens_are_refused() {
    let app = TestApp::new().await;
    app.super_admin().await;
    let login = app.login("root", PASSWORD).await;
    app.sql("UPDATE refresh_tokens SET expires_at = now() - interval '1 second'");
    refresh(&app, login.body["refresh_token"].as_str().unwrap()).await.assert_problem(401, "invalid_refresh_token");
}

#[actix_web::test]
async fn logout_ends_the_session() {
    let app = TestApp::new().await;
    let root = app.super_admin().await;
    let login = app.login("root", PASSWORD).await;
    let token = login.body["refresh_token"].as_str().unwrap();
    let access = login.body["access_token"].as_str().unwrap();
    // Another user's access token ends nothing of root's.
    let agency = app.create_agency("KAB-GTO");
    let other = app.user("other", &[Role::AgencyAdmin], Some(agency), None).await;
    let by_other =
        app.send(Method::POST, "/api/v1/auth/logout", Some(&other.token), Some(json!({"refresh_token": token}))).await;
    assert_eq!(by_other.status, 204, "{}", by_other.text);
    assert_eq!(app.get("/api/v1/me", access).await.status, 200, "root's session goes on");
    let out =
        app.send(Method::POST, "/api/v1/auth/logout", Some(&root.token), Some(json!({"refresh_token": token}))).await;
    assert_eq!(out.status, 204, "{}", out.text);
    refresh(&app, token).await.assert_problem(401, "invalid_refresh_token");
    app.get("/api/v1/me", access).await.assert_problem(401, "unauthenticated");
}

#[actix_web::test]
async fn logout_with_the_refresh_token_alone_ends_its_family_and_access_tokens() {
    let app = TestApp::new().await;
    app.super_admin().await;
    let login = app.login("root", PASSWORD).await;
    let first = login.body["refresh_token"].as_str().unwrap();
    // A rotation later, the access token has expired in the client; the refresh token is proof.
    let rotated = refresh(&app, first).await;
    let current = rotated.body["refresh_token"].as_str().unwrap();
    let access = rotated.body["access_token"].as_str().unwrap();
    let out = app.send(Method::POST, "/api/v1/auth/logout", None, Some(json!({"refresh_token": current}))).await;
    assert_eq!(out.status, 204, "{}", out.text);
    refresh(&app, current).await.assert_problem(401, "invalid_refresh_token");
    app.get("/api/v1/me", access).await.assert_problem(401, "unauthenticated");
    // The earlier token of the family is no way back in either, grace window or not.
    refresh(&app, first).await.assert_problem(401, "invalid_refresh_token");
    assert_eq!(
        app.number(
            "SELECT count(*) AS n FROM refresh_tokens WHERE revoked_at IS NULL
             AND family_id IN (SELECT family_id FROM refresh_tokens WHERE spent_at IS NOT NULL)"
        ),
        0,
        "every refresh token of the family is revoked"
    );
}

fn refresh_from(address: &str, token: &str) -> TestRequest {
    TestRequest::post()
        .uri("/api/v1/auth/refresh")
        .peer_addr(format!("{address}:4000").parse().unwrap())
        .set_json(json!({"refresh_token": token}))
}

#[actix_web::test]
async fn two_tabs_refreshing_at_once_get_the_same_new_pair() {
    let app = TestApp::new().await;
    app.super_admin().await;
    let login = app.login("root", PASSWORD).await;
    let token = login.body["refresh_token"].as_str().unwrap().to_owned();
    let tab = "198.51.100.20";
    let (a, b) = tokio::join!(app.call(refresh_from(tab, &token)), app.call(refresh_from(tab, &token)));
    assert_eq!((a.status.as_u16(), b.status.as_u16()), (200, 200), "{} / {}", a.text, b.text);
    assert_eq!(a.body, b.body, "both tabs hold the same new pair");
    assert_eq!(app.get("/api/v1/me", a.body["access_token"].as_str().unwrap()).await.status, 200);
    // Later, once: the same again (a tab that slept a few seconds).
    let late = app.call(refresh_from(tab, &token)).await;
    assert_eq!(late.body, a.body, "{}", late.text);
    // The new refresh token works on.
    let next = app.call(refresh_from(tab, a.body["refresh_token"].as_str().unwrap())).await;
    assert_eq!(next.status, 200, "{}", next.text);

    // Once the new pair's refresh token is used, the old one is a reuse: the family ends.
    app.call(refresh_from(tab, &token)).await.assert_problem(401, "invalid_refresh_token");
    app.call(refresh_from(tab, next.body["refresh_token"].as_str().unwrap()))
        .await
        .assert_problem(401, "invalid_refresh_token");
    app.get("/api/v1/me", next.body["access_token"].as_str().unwrap()).await.assert_problem(401, "unauthenticated");
}

#[actix_web::test]
async fn a_rotated_token_from_elsewhere_or_too_late_is_a_reuse() {
    let app = TestApp::new().await;
    app.super_admin().await;
    for (second_address, late) in [("203.0.113.66", false), ("198.51.100.20", true)] {
        let login = app.login("root", PASSWORD).await;
        let token = login.body["refresh_token"].as_str().unwrap().to_owned();
        let first = app.call(refresh_from("198.51.100.20", &token)).await;
        assert_eq!(first.status, 200, "{}", first.text);
        if late {
            app.sql("UPDATE refresh_tokens SET spent_at = now() - interval '31 seconds' WHERE spent_at IS NOT NULL");
        }
        app.call(refresh_from(second_address, &token)).await.assert_problem(401, "invalid_refresh_token");
        // The family ends, the tab that rotated first included.
        app.call(refresh_from("198.51.100.20", first.body["refresh_token"].as_str().unwrap()))
            .await
            .assert_problem(401, "invalid_refresh_token");
    }
}

#[actix_web::test]
async fn bad_access_tokens_are_401() {
    let app = TestApp::new().await;
    let root = app.super_admin().await;
    app.send(Method::GET, "/api/v1/me", None, None).await.assert_problem(401, "unauthenticated");
    app.get("/api/v1/me", "garbage").await.assert_problem(401, "unauthenticated");
    let keys = JwtKeys::new(JWT_SECRET);
    let mut expired = AccessClaims::new(root.id, "user");
    expired.roles = vec!["super_admin".into()];
    expired.exp = chrono::Utc::now().timestamp() - 3600;
    app.get("/api/v1/me", &keys.sign(&expired).unwrap()).await.assert_problem(401, "unauthenticated");
    let forged = JwtKeys::new(b"someone-elses-secret-of-32-bytes!!").sign(&AccessClaims::new(root.id, "user")).unwrap();
    app.get("/api/v1/me", &forged).await.assert_problem(401, "unauthenticated");
    let basic = TestRequest::get().uri("/api/v1/me").insert_header((header::AUTHORIZATION, "Basic cm9vdDpwdw=="));
    let reply = app.call(basic).await;
    reply.assert_problem(401, "unauthenticated");
    assert!(reply.header("www-authenticate").unwrap().starts_with("Bearer"));
}

async fn new_client(app: &TestApp, token: &str, scopes: serde_json::Value) -> (String, String) {
    let reply = app.post("/api/v1/clients", token, json!({"name": "SIASN sync", "scopes": scopes})).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    (reply.body["id"].as_str().unwrap().to_owned(), reply.body["client_secret"].as_str().unwrap().to_owned())
}

fn form_token(body: &str) -> TestRequest {
    TestRequest::post()
        .uri("/api/v1/auth/token")
        .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
        .set_payload(body.to_owned())
}

#[actix_web::test]
async fn client_credentials_grant() {
    let app = TestApp::new().await;
    let agency = app.create_agency("BKN-REG");
    let admin = app.user("hr.admin", &[Role::AgencyAdmin], Some(agency), None).await;
    let (id, secret) = new_client(&app, &admin.token, json!(["read", "import"])).await;

    let reply =
        app.call(form_token(&format!("grant_type=client_credentials&client_id={id}&client_secret={secret}"))).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["scope"], "read import");
    let me = app.get("/api/v1/me", reply.body["access_token"].as_str().unwrap()).await;
    assert_eq!(me.body["kind"], "client");
    assert_eq!(me.body["scopes"], json!(["read", "import"]));
    assert_eq!(me.body["agency_id"], agency.to_string());

    // JSON works too, and a narrower scope may be asked for.
    let json_reply = app
        .send(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(
                json!({"grant_type": "client_credentials", "client_id": id, "client_secret": secret, "scope": "read"}),
            ),
        )
        .await;
    assert_eq!(json_reply.body["scope"], "read", "{}", json_reply.text);

    // HTTP Basic (RFC 6749 §2.3.1: each part form-urlencoded, then base64), as OAuth2 libraries
    // send it; the answer is never stored.
    let basic = |id: &str, secret: &str| {
        use base64::Engine;
        let pair = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
        form_token("grant_type=client_credentials&scope=read")
            .insert_header((header::AUTHORIZATION, format!("Basic {pair}")))
    };
    let by_basic = app.call(basic(&id, &secret)).await;
    assert_eq!(by_basic.status, 200, "{}", by_basic.text);
    assert_eq!(by_basic.body["scope"], "read");
    assert_eq!(by_basic.header("cache-control").as_deref(), Some("no-store"));
    assert_eq!(by_basic.header("pragma").as_deref(), Some("no-cache"));

    // Errors are OAuth2's own bodies (RFC 6749 §5.2), which OAuth2 libraries read.
    let oauth_error = |reply: &crate::helpers::Reply, status: u16, error: &str| {
        assert_eq!(reply.status.as_u16(), status, "{}", reply.text);
        assert_eq!(reply.header("content-type").as_deref(), Some("application/json"), "{}", reply.text);
        assert_eq!(reply.body["error"], error, "{}", reply.text);
        assert!(reply.body["error_description"].is_string(), "{}", reply.text);
        assert!(reply.body.get("code").is_none(), "not a problem document: {}", reply.text);
    };
    let wrong_basic = app.call(basic(&id, "nope")).await;
    oauth_error(&wrong_basic, 401, "invalid_client");
    assert_eq!(wrong_basic.header("www-authenticate").as_deref(), Some("Basic realm=\"kinerja\""));
    let both =
        basic(&id, &secret).set_payload(format!("grant_type=client_credentials&client_id={id}&client_secret={secret}"));
    oauth_error(&app.call(both).await, 400, "invalid_request");
    // A scope the client was not given, a wrong secret, a wrong grant, an unknown client.
    let form = |body: String| app.call(form_token(&body));
    oauth_error(
        &form(format!("grant_type=client_credentials&client_id={id}&client_secret={secret}&scope=write")).await,
        400,
        "invalid_scope",
    );
    oauth_error(
        &form(format!("grant_type=client_credentials&client_id={id}&client_secret=nope")).await,
        401,
        "invalid_client",
    );
    oauth_error(
        &form(format!("grant_type=password&client_id={id}&client_secret={secret}")).await,
        400,
        "unsupported_grant_type",
    );
    oauth_error(
        &form(format!("grant_type=client_credentials&client_id={}&client_secret=x", Uuid::now_v7())).await,
        401,
        "invalid_client",
    );
    oauth_error(&form("grant_type=client_credentials".into()).await, 401, "invalid_client");
    oauth_error(&form(format!("client_id={id}&client_secret={secret}")).await, 400, "invalid_request");
    // Parameters OAuth2 does not define are ignored (§3.2).
    let extra = form(format!("grant_type=client_credentials&client_id={id}&client_secret={secret}&audience=x")).await;
    assert_eq!(extra.status, 200, "{}", extra.text);
    // The transport's refusals stay problem documents.
    let text = TestRequest::post()
        .uri("/api/v1/auth/token")
        .insert_header((header::CONTENT_TYPE, "text/plain"))
        .set_payload("x");
    app.call(text).await.assert_problem(415, "unsupported_media_type");

    // Revoked: no more tokens.
    let gone = app.send(Method::DELETE, &format!("/api/v1/clients/{id}"), Some(&admin.token), None).await;
    assert_eq!(gone.status, 204, "{}", gone.text);
    oauth_error(
        &form(format!("grant_type=client_credentials&client_id={id}&client_secret={secret}")).await,
        401,
        "invalid_client",
    );
}

#[actix_web::test]
async fn clients_cannot_administer_accounts() {
    let app = TestApp::new().await;
    let agency = app.create_agency("KAB-GTO");
    let admin = app.user("gto.admin", &[Role::AgencyAdmin], Some(agency), None).await;
    let (id, secret) = new_client(&app, &admin.token, json!(["read", "write", "import"])).await;
    let reply =
        app.call(form_token(&format!("grant_type=client_credentials&client_id={id}&client_secret={secret}"))).await;
    let token = reply.body["access_token"].as_str().unwrap();
    app.get("/api/v1/users", token).await.assert_problem(403, "forbidden");
    app.post("/api/v1/clients", token, json!({"name": "x", "scopes": ["read"]})).await.assert_problem(403, "forbidden");
}

#[actix_web::test]
async fn a_burst_of_failures_is_audited_once() {
    let app = TestApp::new().await;
    let root = app.super_admin().await;
    for _ in 0..6 {
        app.login("root", "wrong-password!").await;
    }
    let trail = app.get("/api/v1/audit-events?entity=login", &root.token).await;
    let events = trail.body["items"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{}", trail.text);
    assert_eq!(events[0]["action"], "login_failure_burst");
    assert_eq!(events[0]["entity_id"], root.id.to_string());
    assert_eq!(events[0]["actor_kind"], "anonymous");
}
