//! What one team's key or lead may do to another team: read its webhook
//! secrets, delete its rules and scenarios, spend against its caps, or be
//! sent elsewhere after signing in.

use crate::helpers::{event, session_cookie, TestApp};
use axum::http::StatusCode;
use serde_json::json;

const SECRET_HOOK: &str = "https://hooks.slack.com/services/T000/B000/search-team-secret";

/// A lead of `platform` opening another team's budget form gets a 403, and
/// never the webhook URL, as the REST API already refuses them.
#[tokio::test]
async fn a_lead_cannot_read_another_teams_webhook_through_the_form() {
    let app = TestApp::new().await;
    let admin = app.admin_key.clone();
    let budget = json!({"name": "Search", "scope": {"team": "search"}, "period": "month", "amount": "10",
        "thresholds": [50], "hard_cap": false, "webhook": SECRET_HOOK});
    let (status, created) = app.json("POST", "/api/v1/budgets", &admin, budget).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();
    let lead = app.sign_in_as("lead").await;
    let (status, body) = app.server_fn("/api/budget_form", &format!("id={id}"), Some(&lead)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(!body.contains("search-team-secret"), "{body}");
    assert!(body.contains("You may edit only budgets of your teams or your own"), "{body}");
    // Every other way a lead reads it hides the secret too.
    let (_, page) = app.server_fn("/api/budget", &format!("id={id}"), Some(&lead)).await;
    assert!(!page.contains("search-team-secret"), "{page}");
    let (_, list) = app.server_fn("/api/budgets", "", Some(&lead)).await;
    assert!(!list.contains("search-team-secret"), "{list}");
    // An admin still sees and edits it whole.
    let admin_cookie = app.sign_in_as("admin").await;
    let (status, body) = app.server_fn("/api/budget_form", &format!("id={id}"), Some(&admin_cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("search-team-secret"), "{body}");
}

/// Rules and scenarios follow the budgets' rule: a lead changes their own,
/// or (rules) one scoped to their team; never an admin's.
#[tokio::test]
async fn a_lead_cannot_delete_or_overwrite_rules_and_scenarios_of_others() {
    let app = TestApp::new().await;
    let admin = app.admin_key.clone();
    let rule = json!({"name": "Admin's long tasks", "key": "workflow",
        "condition": {"type": "above", "signal": "loops_max", "threshold": "2", "window_days": 1}});
    let (status, created) = app.json("POST", "/api/v1/signals/rules", &admin, rule).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let rule_id = created["id"].as_str().unwrap().to_string();
    let scenario = json!({"tasks_per_day": 10, "loops": {"mean": 1, "p95": 1}, "system_tokens": 0,
        "turn_tokens": 1000, "carry_tokens": 0, "output_tokens": 0, "routine_model": "gpt-4o"});
    let (status, plan) =
        app.json("POST", "/api/v1/scenarios", &admin, json!({"name": "Admin's plan", "scenario": scenario})).await;
    assert_eq!(status, StatusCode::CREATED, "{plan}");
    let plan_id = plan["id"].as_str().unwrap().to_string();

    let lead = app.sign_in_as("lead").await;
    let (status, body) = app.server_fn("/api/delete_signal_rule", &format!("id={rule_id}"), Some(&lead)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(app.store.list_signal_rules().await.unwrap().len(), 1, "the admin's rule is still there");
    let (status, body) = app.server_fn("/api/delete_scenario", &format!("id={plan_id}"), Some(&lead)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let spec = serde_json::to_string(&scenario).unwrap();
    let form = format!("id={plan_id}&name=Mine+now&workflow=&spec={}", crate::security::url_encode(&spec));
    let (status, body) = app.server_fn("/api/save_scenario", &form, Some(&lead)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let kept = app.store.list_scenarios().await.unwrap();
    assert_eq!((kept.len(), kept[0].name.as_str()), (1, "Admin's plan"));

    // Their own rule, and one scoped to their team, are theirs to delete.
    let own = "name=Mine&key=team&value=platform&condition=above&signal=loops_max&amount=2&window_days=1&min_amount=&webhook=";
    let (status, body) = app.server_fn("/api/save_signal_rule", own, Some(&lead)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mine = app.store.list_signal_rules().await.unwrap().into_iter().find(|r| r.spec.name == "Mine").unwrap();
    let (status, body) = app.server_fn("/api/delete_signal_rule", &format!("id={}", mine.id), Some(&lead)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // An admin deletes anyone's.
    let admin_cookie = app.sign_in_as("admin").await;
    let (status, _) = app.server_fn("/api/delete_signal_rule", &format!("id={rule_id}"), Some(&admin_cookie)).await;
    assert_eq!(status, StatusCode::OK);
}

/// A key bound to `team=search` writes and checks only search's calls; others
/// are rejected by index, naming the tag, so it cannot spend platform's cap.
#[tokio::test]
async fn an_ingest_key_bound_to_a_team_cannot_tag_another_teams_calls() {
    let app = TestApp::new().await;
    let limits = domain::ingest::key_limits::TagLimits::parse("team=search").unwrap();
    let (_, secret) = accounts::keys::create_restricted(
        &app.store,
        "search-bot",
        &[accounts::keys::Scope::Ingest],
        Some(limits),
        "test",
    )
    .await
    .unwrap();
    let key = secret.expose().to_string();
    let mut ours = event("search-1");
    ours["tags"] = json!({"team": "search"});
    let mut theirs = event("platform-1");
    theirs["tags"] = json!({"team": "platform"});
    theirs["cost"] = json!("100000");
    let mut untagged = event("untagged-1");
    untagged["tags"] = json!({});
    let (status, report) = app.json("POST", "/api/v1/events", &key, json!({"events": [ours, theirs, untagged]})).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["accepted"], 1, "{report}");
    let rejected = report["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 2, "{report}");
    assert_eq!(rejected[0]["index"], 1);
    assert_eq!(rejected[0]["error"], "tags.team: this API key may write only team=search (got \"platform\")");
    assert_eq!(rejected[1]["index"], 2);
    assert_eq!(rejected[1]["error"], "tags.team: this API key's calls must carry team=search");
    // The check is held to the same rule.
    let (status, body) = app.json("POST", "/api/v1/check", &key, json!({"tags": {"team": "platform"}})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("team=search"), "{body}");
    let (status, body) = app.json("POST", "/api/v1/check", &key, json!({"tags": {"team": "search"}})).await;
    assert_eq!((status, body["allowed"].clone()), (StatusCode::OK, json!(true)), "{body}");
    // The CLI's flag and the keys page take the same text.
    let admin = app.sign_in_as("admin").await;
    let (status, body) =
        app.server_fn("/api/create_key", "name=ops&ingest=on&tags=team%3Dops%2C+team%3Dsre", Some(&admin)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let made = app.store.list_api_keys().await.unwrap().into_iter().find(|k| k.name == "ops").unwrap();
    assert_eq!(made.tag_limits.unwrap().text(), "team=ops, team=sre");
    let (status, body) = app.server_fn("/api/create_key", "name=bad&ingest=on&tags=team", Some(&admin)).await;
    assert!(status.is_client_error() || status.is_server_error(), "{status}");
    assert!(
        body.contains("tags: \\\"team\\\" must be key=value") || body.contains("tags: \"team\" must be key=value"),
        "{body}"
    );
}

/// After signing in, only a path on this site is followed, judged after
/// decoding; a control character never reaches the redirect header.
#[tokio::test]
async fn sign_in_never_redirects_off_the_site() {
    let app = TestApp::new().await;
    let email = "redirect@example.com";
    accounts::create_account(
        &app.store,
        accounts::NewAccount { email, password: crate::helpers::PASSWORD, role: "viewer", teams: "" },
    )
    .await
    .unwrap();
    for (next, expect) in [
        ("%2F%2509%2Fevil.example", "/"),
        ("%2F%252F%2Fevil.example", "/"),
        ("%2F%5Cevil.example", "/"),
        ("%2F%2Fevil.example", "/"),
        ("https%3A%2F%2Fevil.example", "/"),
        ("%2Fok%0D%0ASet-Cookie%3A+x%3D1", "/"),
        ("%2Fexplore%3Fgroup%3Dteam", "/explore?group=team"),
    ] {
        let (status, headers, body) = app.login_to(email, crate::helpers::PASSWORD, next).await;
        assert!(status.is_redirection(), "next={next}: {status} {}", String::from_utf8_lossy(&body));
        assert_eq!(headers.get("location").unwrap(), expect, "next={next}");
        assert!(session_cookie(&headers).is_some());
    }
}
