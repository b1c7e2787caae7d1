//! Passwords, sessions and the audit log through the pages: a user changes
//! its password (the old one stops working, a weak one is refused next to
//! its field), an admin reset sends the user to /password from every page,
//! a user ends another device's session, and the admin reads the log.

use super::{arrange, page};
use crate::server::{self, PASSWORD};
use reqwest::StatusCode;
use reqwest::header::{LOCATION, SET_COOKIE};
use serde_json::json;

const NEW_PASSWORD: &str = "willow-ferry-compass-77";

async fn signs_in(s: &crate::server::Server, user: &str, password: &str) -> bool {
    let r = server::client().post(s.url("/api/session")).json(&json!({"username": user, "password": password})).send().await.unwrap();
    r.status() == StatusCode::OK
}

async fn change(c: &reqwest::Client, s: &crate::server::Server, current: &str, new: &str, repeat: &str) -> (StatusCode, String, String) {
    let r = c.post(s.url("/password")).form(&[("current", current), ("new", new), ("repeat", repeat)]).send().await.unwrap();
    let location = r.headers().get(LOCATION).map(|l| l.to_str().unwrap().to_string()).unwrap_or_default();
    (r.status(), location, r.text().await.unwrap())
}

/// The text of the field error `id` on the page.
fn field_error<'a>(html: &'a str, id: &str) -> Option<&'a str> {
    html.split(&format!("id=\"{id}\">")).nth(1)?.split("</p>").next()
}

#[tokio::test]
async fn a_user_changes_its_password_on_the_page_and_the_old_one_stops_working() {
    let (s, _, _) = arrange().await;
    let zx = server::sign_in(&s.base, "zx", PASSWORD).await;
    let (status, html) = page(&zx, s.url("/password")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("修改密码") && html.contains("登录设备") && html.contains("本设备"), "{html}");
    let (_, board) = page(&zx, s.url("/my")).await;
    assert!(board.contains("href=\"/password\""), "the header links the page: {board}");

    // Each mistake next to its field, nothing changed.
    let (status, _, html) = change(&zx, &s, "wrong-password-1", NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_error(&html, "current-error"), Some("当前密码不正确"), "{html}");
    let (_, _, html) = change(&zx, &s, PASSWORD, "password123", "password123").await;
    assert!(field_error(&html, "new-error").is_some_and(|e| e.contains("密码")), "a weak password is refused: {html}");
    let (_, _, html) = change(&zx, &s, PASSWORD, NEW_PASSWORD, "willow-ferry-compass-78").await;
    assert_eq!(field_error(&html, "repeat-error"), Some("两次输入的新密码不一致"), "{html}");
    assert!(!html.contains(NEW_PASSWORD) && !html.contains(PASSWORD), "passwords are never put back into the page");
    assert!(signs_in(&s, "zx", PASSWORD).await);

    // Another device is signed in; changing ends it, not this one.
    let other = server::sign_in(&s.base, "zx", PASSWORD).await;
    let (status, location, _) = change(&zx, &s, PASSWORD, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/password?ok=password"));
    let (_, html) = page(&zx, s.url(&location)).await;
    assert!(html.contains("密码已修改"), "{html}");
    assert!(!signs_in(&s, "zx", PASSWORD).await, "the old password no longer works");
    assert!(signs_in(&s, "zx", NEW_PASSWORD).await);
    assert_eq!(other.get(s.url("/my")).send().await.unwrap().status(), StatusCode::SEE_OTHER, "the other device is signed out");
}

#[tokio::test]
async fn a_user_ends_its_session_on_another_device() {
    let (s, _, _) = arrange().await;
    let here = server::sign_in(&s.base, "gjb", PASSWORD).await;
    let there = server::sign_in(&s.base, "gjb", PASSWORD).await;
    let (_, html) = page(&here, s.url("/password")).await;
    // arrange's two sign-ins (creating the user, then the dispatch) and these two.
    assert_eq!(html.matches("<li class=\"device").count(), 4, "{html}");
    assert_eq!(html.matches("<li class=\"device current\"").count(), 1, "this device is marked: {html}");
    let others: Vec<String> = html.split("action=\"/password/sessions/").skip(1).filter_map(|r| r.split('/').next().map(str::to_string)).collect();
    assert_eq!(others.len(), 3, "every device but this one can be ended");
    for id in others {
        let r = here.post(s.url(&format!("/password/sessions/{id}/end"))).send().await.unwrap();
        assert_eq!(r.headers()[LOCATION], "/password?ok=session_ended");
    }
    assert_eq!(there.get(s.url("/board")).send().await.unwrap().status(), StatusCode::SEE_OTHER);
    let (status, html) = page(&here, s.url("/password")).await;
    assert!(status == StatusCode::OK && html.matches("<li class=\"device").count() == 1, "{html}");
    // Another user's session is not ours to end.
    let zx = server::sign_in(&s.base, "zx", PASSWORD).await;
    assert_eq!(zx.post(s.url("/password/sessions/nonsense/end")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn after_an_admin_reset_every_page_leads_to_the_password_page_until_it_is_changed() {
    let (s, w1, _) = arrange().await;
    let admin = server::sign_in(&s.base, "admin", server::ADMIN_PASSWORD).await;
    let (_, users) = s.get(&admin, "/api/users").await;
    let zx_id = users["users"].as_array().unwrap().iter().find(|u| u["username"] == "zx").unwrap()["id"].as_str().unwrap().to_string();
    let (_, html) = page(&admin, s.url("/admin")).await;
    assert!(html.contains(&format!("action=\"/admin/users/{zx_id}/password\"")), "{html}");

    let r = admin.post(s.url(&format!("/admin/users/{zx_id}/password"))).form(&[("password", "12345678")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("class=\"field-error reset-error\""), "a weak temporary password is refused");
    let r = admin.post(s.url(&format!("/admin/users/{zx_id}/password"))).form(&[("password", "temporary-harbour-19")]).send().await.unwrap();
    assert_eq!(r.headers()[LOCATION].to_str().unwrap(), "/admin?ok=reset&code=zx");

    // Signed in with the temporary password, every page sends it to /password.
    let zx = server::client();
    let r = zx.post(s.url("/login")).form(&[("username", "zx"), ("password", "temporary-harbour-19"), ("next", "")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    for path in ["/my".to_string(), format!("/issues/{w1}"), "/inbox".to_string(), "/".to_string(), "/reports".to_string()] {
        let r = zx.get(s.url(&path)).send().await.unwrap();
        assert_eq!((r.status(), r.headers()[LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, "/password"), "{path}");
    }
    let r = zx.post(s.url(&format!("/issues/{w1}/accept"))).send().await.unwrap();
    assert_eq!(r.headers()[LOCATION], "/password", "a form post too");
    let (status, html) = page(&zx, s.url("/password")).await;
    assert!(status == StatusCode::OK && html.contains("id=\"must-change\"") && !html.contains("class=\"main-nav\""), "{html}");
    assert_eq!(zx.get(s.url("/assets/app.css")).send().await.unwrap().status(), StatusCode::OK);

    let (status, _, _) = change(&zx, &s, "temporary-harbour-19", NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(page(&zx, s.url("/my")).await.0, StatusCode::OK, "free again");
}

#[tokio::test]
async fn the_admin_reads_sign_ins_in_the_audit_log_and_remember_me_keeps_the_cookie() {
    let (s, _, _) = arrange().await;
    let (_, login) = page(&server::client(), s.url("/login")).await;
    assert!(login.contains("name=\"remember\"") && login.contains("记住我"), "{login}");
    let c = server::client();
    let r = c.post(s.url("/login")).form(&[("username", "kh"), ("password", PASSWORD), ("remember", "1")]).send().await.unwrap();
    assert!(r.headers()[SET_COOKIE].to_str().unwrap().contains("Max-Age="), "remembered");
    let r = c.post(s.url("/login")).form(&[("username", "kh"), ("password", "wrong")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = server::client().post(s.url("/login")).form(&[("username", "kh"), ("password", PASSWORD)]).send().await.unwrap();
    assert!(!r.headers()[SET_COOKIE].to_str().unwrap().contains("Max-Age="), "a browser-session cookie otherwise");

    let admin = server::sign_in(&s.base, "admin", server::ADMIN_PASSWORD).await;
    let (_, html) = page(&admin, s.url("/admin")).await;
    assert!(html.contains("href=\"/admin/audit\""), "{html}");
    let (status, html) = page(&admin, s.url("/admin/audit")).await;
    assert_eq!(status, StatusCode::OK);
    let rows: Vec<&str> = html.split("<tr class=\"audit-").skip(1).collect();
    let sign_in = rows.iter().find(|r| r.starts_with("sign_in\"") && r.contains(">kh<")).expect("kh's sign-in is listed");
    assert!(sign_in.contains(">登录<") && sign_in.contains("127.0.0.1"), "{sign_in}");
    assert!(rows.iter().any(|r| r.starts_with("sign_in_failed\"") && r.contains(">登录失败<")), "{html}");
    assert!(rows.iter().any(|r| r.starts_with("user_created\"") && r.contains(">新增用户<")), "{html}");
    assert!(rows.iter().any(|r| r.contains(">流程版本<")), "{html}");
    let gjb = server::sign_in(&s.base, "gjb", PASSWORD).await;
    assert_eq!(page(&gjb, s.url("/admin/audit")).await.0, StatusCode::FORBIDDEN);
}
