//! Users and integration clients: who may read and change which accounts.

use actix_web::http::Method;
use actix_web::test::TestRequest;
use kinerja_domain::Role;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{TestApp, TestUser, PASSWORD};

/// Two agencies, each with an admin, an auditor and an employee; and a super admin.
struct World {
    app: TestApp,
    root: TestUser,
    admin_a: TestUser,
    auditor_a: TestUser,
    employee_a: TestUser,
    admin_b: TestUser,
    employee_b: TestUser,
}

async fn world() -> World {
    let app = TestApp::new().await;
    let a = app.create_agency("KOTA-PKY");
    let b = app.create_agency("KAB-BTH");
    let ea = app.create_employee(a, "199001012015031001", "Budi Santoso");
    let eb = app.create_employee(b, "199202022016042002", "Dewi Lestari");
    World {
        root: app.super_admin().await,
        admin_a: app.user("admin.a", &[Role::AgencyAdmin], Some(a), None).await,
        auditor_a: app.user("auditor.a", &[Role::Auditor], Some(a), None).await,
        employee_a: app.user("budi", &[Role::Employee], Some(a), Some(ea)).await,
        admin_b: app.user("admin.b", &[Role::AgencyAdmin], Some(b), None).await,
        employee_b: app.user("dewi", &[Role::Employee], Some(b), Some(eb)).await,
        app,
    }
}

fn usernames(reply: &crate::helpers::Reply) -> Vec<String> {
    let mut names: Vec<String> =
        reply.body["items"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap().to_owned()).collect();
    names.sort();
    names
}

#[actix_web::test]
async fn who_may_list_users() {
    let w = world().await;
    let all = w.app.get("/api/v1/users", &w.root.token).await;
    assert_eq!(usernames(&all).len(), 6);
    let a = w.app.get("/api/v1/users", &w.admin_a.token).await;
    assert_eq!(usernames(&a), vec!["admin.a", "auditor.a", "budi"]);
    assert_eq!(usernames(&w.app.get("/api/v1/users", &w.auditor_a.token).await), usernames(&a));
    w.app.get("/api/v1/users", &w.employee_a.token).await.assert_problem(403, "forbidden");
    let agency_b = w.app.get("/api/v1/users", &w.admin_b.token).await.body["items"][0]["agency_id"].clone();
    w.app
        .get(&format!("/api/v1/users?agency_id={}", agency_b.as_str().unwrap()), &w.admin_a.token)
        .await
        .assert_problem(403, "forbidden");
    w.app.send(Method::GET, "/api/v1/users", None, None).await.assert_problem(401, "unauthenticated");
}

#[actix_web::test]
async fn users_list_is_keyset_paginated() {
    let w = world().await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/users?limit=4&cursor={c}"),
            None => "/api/v1/users?limit=4".to_owned(),
        };
        let page = w.app.get(&path, &w.root.token).await;
        assert_eq!(page.status, 200, "{}", page.text);
        seen.extend(usernames(&page));
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    seen.sort();
    assert_eq!(seen, vec!["admin.a", "admin.b", "auditor.a", "budi", "dewi", "root"]);
}

#[actix_web::test]
async fn who_may_read_a_user() {
    let w = world().await;
    let path = |u: &TestUser| format!("/api/v1/users/{}", u.id);
    assert_eq!(w.app.get(&path(&w.employee_a), &w.root.token).await.status, 200);
    assert_eq!(w.app.get(&path(&w.employee_a), &w.admin_a.token).await.status, 200);
    assert_eq!(w.app.get(&path(&w.employee_a), &w.auditor_a.token).await.status, 200);
    assert_eq!(w.app.get(&path(&w.employee_a), &w.employee_a.token).await.status, 200);
    // Across agencies, and between employees: not found, existence not revealed.
    w.app.get(&path(&w.employee_b), &w.admin_a.token).await.assert_problem(404, "not_found");
    w.app.get(&path(&w.employee_b), &w.employee_a.token).await.assert_problem(404, "not_found");
    w.app.get(&path(&w.root), &w.admin_a.token).await.assert_problem(404, "not_found");
}

#[actix_web::test]
async fn who_may_create_users() {
    let w = world().await;
    let agency_a = w.app.get("/api/v1/me", &w.admin_a.token).await.body["agency_id"].clone();
    let agency_b = w.app.get("/api/v1/me", &w.admin_b.token).await.body["agency_id"].clone();
    let body = |name: &str, roles: serde_json::Value, agency: &serde_json::Value| json!({"username": name, "password": PASSWORD, "roles": roles, "agency_id": agency});
    let created =
        w.app.post("/api/v1/users", &w.admin_a.token, body("new.auditor", json!(["auditor"]), &agency_a)).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.header("location"), Some(format!("/api/v1/users/{}", created.body["id"].as_str().unwrap())));
    assert!(created.header("etag").is_some());
    assert_eq!(w.app.login("new.auditor", PASSWORD).await.status, 200);

    w.app
        .post("/api/v1/users", &w.admin_a.token, body("x.other", json!(["auditor"]), &agency_b))
        .await
        .assert_problem(403, "forbidden");
    w.app
        .post(
            "/api/v1/users",
            &w.admin_a.token,
            json!({"username": "x.root", "password": PASSWORD, "roles": ["super_admin"]}),
        )
        .await
        .assert_problem(403, "forbidden");
    w.app
        .post("/api/v1/users", &w.auditor_a.token, body("x.aud", json!(["auditor"]), &agency_a))
        .await
        .assert_problem(403, "forbidden");
    w.app
        .post("/api/v1/users", &w.employee_a.token, body("x.emp", json!(["auditor"]), &agency_a))
        .await
        .assert_problem(403, "forbidden");
    w.app
        .post("/api/v1/users", &w.admin_a.token, body("budi", json!(["auditor"]), &agency_a))
        .await
        .assert_problem(409, "duplicate_username");
}

#[actix_web::test]
async fn an_employee_links_to_one_account_in_its_own_agency() {
    let w = world().await;
    let me_b = w.app.get("/api/v1/me", &w.employee_b.token).await;
    let agency_a = w.app.get("/api/v1/me", &w.admin_a.token).await.body["agency_id"].clone();
    let employee_a = w.app.get("/api/v1/me", &w.employee_a.token).await.body["employee_id"].clone();
    let twice = w
        .app
        .post(
            "/api/v1/users",
            &w.root.token,
            json!({"username": "budi2", "password": PASSWORD, "roles": ["employee"], "agency_id": agency_a, "employee_id": employee_a}),
        )
        .await;
    twice.assert_problem(409, "employee_already_linked");
    let foreign = w
        .app
        .post(
            "/api/v1/users",
            &w.root.token,
            json!({"username": "dewi2", "password": PASSWORD, "roles": ["employee"], "agency_id": agency_a, "employee_id": me_b.body["employee_id"]}),
        )
        .await;
    foreign.assert_problem(422, "validation_failed");
    // An employee of another agency answers as a made-up one: ids cannot be probed (OWASP API1).
    let made_up = w
        .app
        .post(
            "/api/v1/users",
            &w.root.token,
            json!({"username": "dewi2", "password": PASSWORD, "roles": ["employee"], "agency_id": agency_a, "employee_id": Uuid::now_v7()}),
        )
        .await;
    assert_eq!(foreign.body["errors"], made_up.body["errors"], "{} / {}", foreign.text, made_up.text);
    assert_eq!(foreign.body["errors"][0]["code"], "not_found");
}

#[actix_web::test]
async fn who_may_change_users() {
    let w = world().await;
    let path = |u: &TestUser| format!("/api/v1/users/{}", u.id);

    // An employee changes their own password, nothing else.
    let own = w.app.patch(&path(&w.employee_a), &w.employee_a.token, json!({"password": "a-brand-new-password"})).await;
    assert_eq!(own.status, 200, "{}", own.text);
    // A new password ends the sessions, the access token it was changed with included.
    w.app.get("/api/v1/me", &w.employee_a.token).await.assert_problem(401, "unauthenticated");
    let relogin = w.app.login("budi", "a-brand-new-password").await;
    assert_eq!(relogin.status, 200);
    let token = relogin.body["access_token"].as_str().unwrap().to_owned();
    w.app
        .patch(&path(&w.employee_a), &token, json!({"roles": ["agency_admin"]}))
        .await
        .assert_problem(403, "forbidden");
    w.app
        .patch(&path(&w.employee_b), &token, json!({"password": "x".repeat(12)}))
        .await
        .assert_problem(404, "not_found");

    // The auditor reads but does not write.
    w.app
        .patch(&path(&w.employee_a), &w.auditor_a.token, json!({"is_active": false}))
        .await
        .assert_problem(403, "forbidden");
    // The other agency's admin sees nothing.
    w.app
        .patch(&path(&w.employee_a), &w.admin_b.token, json!({"is_active": false}))
        .await
        .assert_problem(404, "not_found");
    // Only a super admin grants super_admin.
    w.app
        .patch(&path(&w.auditor_a), &w.admin_a.token, json!({"roles": ["super_admin"], "agency_id": null}))
        .await
        .assert_problem(403, "forbidden");

    // The agency admin deactivates: the user can no longer log in.
    let off = w.app.patch(&path(&w.employee_a), &w.admin_a.token, json!({"is_active": false})).await;
    assert_eq!(off.body["is_active"], false, "{}", off.text);
    w.app.login("budi", "a-brand-new-password").await.assert_problem(401, "invalid_credentials");
}

#[actix_web::test]
async fn stale_if_match_is_412() {
    let w = world().await;
    let path = format!("/api/v1/users/{}", w.auditor_a.id);
    let read = w.app.get(&path, &w.admin_a.token).await;
    let etag = read.header("etag").unwrap();
    let with = |tag: &str| {
        TestRequest::patch()
            .uri(&path)
            .insert_header(("Authorization", format!("Bearer {}", w.admin_a.token)))
            .insert_header(("If-Match", tag.to_owned()))
            .set_json(json!({"is_active": false}))
    };
    let first = w.app.call(with(&etag)).await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_ne!(first.header("etag").unwrap(), etag);
    w.app.call(with(&etag)).await.assert_problem(412, "precondition_failed");
}

#[actix_web::test]
async fn new_password_ends_sessions() {
    let w = world().await;
    let login = w.app.login("budi", PASSWORD).await;
    let refresh_token = login.body["refresh_token"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/users/{}", w.employee_a.id);
    let reset =
        w.app.send(Method::PATCH, &path, Some(&w.admin_a.token), Some(json!({"password": "reset-by-the-admin"}))).await;
    assert_eq!(reset.status, 200, "{}", reset.text);
    w.app
        .send(Method::POST, "/api/v1/auth/refresh", None, Some(json!({"refresh_token": refresh_token})))
        .await
        .assert_problem(401, "invalid_refresh_token");
}

#[actix_web::test]
async fn who_may_manage_clients() {
    let w = world().await;
    let created = w.app.post("/api/v1/clients", &w.admin_a.token, json!({"name": "SIASN", "scopes": ["read"]})).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert!(created.body["client_secret"].as_str().unwrap().len() >= 43);

    // Listed for its agency's admin and auditor, never with the secret; not for the other agency.
    let listed = w.app.get("/api/v1/clients", &w.auditor_a.token).await;
    assert_eq!(listed.body["items"][0]["id"], id.as_str(), "{}", listed.text);
    assert!(listed.body["items"][0].get("client_secret").is_none());
    assert_eq!(w.app.get("/api/v1/clients", &w.admin_b.token).await.body["items"], json!([]));
    w.app.get("/api/v1/clients", &w.employee_a.token).await.assert_problem(403, "forbidden");

    w.app
        .post("/api/v1/clients", &w.auditor_a.token, json!({"name": "x", "scopes": ["read"]}))
        .await
        .assert_problem(403, "forbidden");
    w.app
        .post("/api/v1/clients", &w.employee_a.token, json!({"name": "x", "scopes": ["read"]}))
        .await
        .assert_problem(403, "forbidden");
    w.app
        .post("/api/v1/clients", &w.root.token, json!({"name": "x", "scopes": ["read"]}))
        .await
        .assert_problem(422, "validation_failed");
    w.app
        .post("/api/v1/clients", &w.admin_a.token, json!({"name": "", "scopes": []}))
        .await
        .assert_problem(422, "validation_failed");
    w.app
        .post("/api/v1/clients", &w.admin_a.token, json!({"name": "x", "scopes": ["delete"]}))
        .await
        .assert_problem(422, "invalid_value");

    let path = format!("/api/v1/clients/{id}");
    w.app.send(Method::DELETE, &path, Some(&w.admin_b.token), None).await.assert_problem(404, "not_found");
    // An auditor reads the agency's clients and writes nothing: refused as such.
    w.app.send(Method::DELETE, &path, Some(&w.auditor_a.token), None).await.assert_problem(403, "forbidden");
    assert_eq!(w.app.send(Method::DELETE, &path, Some(&w.admin_a.token), None).await.status, 204);
    w.app.send(Method::DELETE, &path, Some(&w.admin_a.token), None).await.assert_problem(404, "not_found");
}

#[actix_web::test]
async fn first_start_creates_the_admin_once() {
    let app = TestApp::new().await;
    let generated = kinerja_api::services::accounts::bootstrap_admin(&app.state.db, None).await.unwrap();
    let password = generated.expect("a generated password is returned to be shown once");
    assert!(password.len() >= 32);
    let login = app.login("admin", &password).await;
    assert_eq!(login.status, 200, "{}", login.text);
    let me = app.get("/api/v1/me", login.body["access_token"].as_str().unwrap()).await;
    assert_eq!(me.body["roles"], json!(["super_admin"]));
    // Users exist now: a second start changes nothing, whatever password it is given.
    assert_eq!(
        kinerja_api::services::accounts::bootstrap_admin(&app.state.db, Some("another-password!")).await.unwrap(),
        None
    );
    app.login("admin", "another-password!").await.assert_problem(401, "invalid_credentials");
}

#[actix_web::test]
async fn first_start_uses_the_configured_password() {
    let app = TestApp::new().await;
    let generated =
        kinerja_api::services::accounts::bootstrap_admin(&app.state.db, Some("configured-password")).await.unwrap();
    assert_eq!(generated, None);
    assert_eq!(app.login("admin", "configured-password").await.status, 200);
}
