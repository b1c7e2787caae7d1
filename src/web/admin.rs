//! The administrator's page: units with their e-mail contacts, users, the
//! workflow in use with its version, and the latest mails.

use super::form::Errors;
use super::layout::{Layout, Me, WebResult, render, render_status, short_time};
use super::view::{Flash, with_flash};
use crate::app::accounts::{self, UnitView, UserView};
use crate::app::{AppError, mail_log};
use crate::core::state::Role;
use crate::http::HttpState;
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

/// Mails shown on the page (newest first).
const MAILS: u64 = 30;

pub struct RoleOption {
    pub value: &'static str,
    pub label: String,
}

pub struct MailRow {
    pub at: String,
    pub to: String,
    pub subject: String,
    pub sent: bool,
}

#[derive(Default, Deserialize)]
pub struct UnitForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    emails: String,
    #[serde(default)]
    leaders: String,
}

#[derive(Default, Deserialize)]
pub struct UserForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    unit: String,
}

#[derive(Template)]
#[template(path = "admin.html")]
pub(super) struct AdminPage {
    layout: Layout,
    workflow: Vec<(&'static str, String)>,
    units: Vec<UnitView>,
    users: Vec<(UserView, String)>,
    roles: Vec<RoleOption>,
    mails: Vec<MailRow>,
    unit_form: UnitForm,
    user_form: UserForm,
    unit_errors: Errors,
    user_errors: Errors,
    /// A refused 重置密码: the user's id and why.
    pub(super) reset_error: Option<(String, String)>,
    min_password: usize,
}

fn workflow_facts(s: &HttpState) -> Vec<(&'static str, String)> {
    let wf = &s.app.wf;
    let tiers: Vec<String> = wf
        .tiers
        .iter()
        .map(|t| format!("{}（≤{}天）扣{}分", t.label, t.up_to_day.unwrap_or(0), t.points))
        .chain([format!("{} 扣{}分", wf.overdue.label, wf.overdue.points)])
        .collect();
    vec![
        ("名称", format!("{}（{}）", wf.title, wf.name)),
        ("版本", wf.version.clone()),
        ("时区", wf.timezone.to_string()),
        ("扣分档", tiers.join("；")),
        ("未执行调度", format!("每次扣{}分", wf.violation_points)),
        ("定期交办", format!("cron {}", wf.dispatch_cron)),
        ("季度报表截止", format!("次季度首月 {} 日", wf.due_day)),
    ]
}

pub(super) async fn admin_page(
    s: &HttpState,
    me: &Me,
    unit_form: UnitForm,
    user_form: UserForm,
    unit_errors: Errors,
    user_errors: Errors,
    flash: Option<String>,
) -> Result<AdminPage, AppError> {
    let wf = &s.app.wf;
    let users = accounts::list_users(&s.app, &me.actor).await?.into_iter().map(|u| {
        let label = u.role.parse::<Role>().map(|r| wf.role_label(r).to_string()).unwrap_or_else(|_| u.role.clone());
        (u, label)
    });
    let mails: Vec<MailRow> = mail_log::newest(&s.app, &me.actor, MAILS)
        .await?
        .into_iter()
        .map(|m| MailRow { at: short_time(&m.at), to: m.to.join("，"), subject: m.subject, sent: m.sent_at.is_some() })
        .collect();
    Ok(AdminPage {
        layout: Layout::new(s, me, "系统管理", "/admin").await.with_flash(flash),
        workflow: workflow_facts(s),
        units: accounts::list_units(&s.app, &me.actor).await?,
        users: users.collect(),
        roles: Role::ALL.iter().map(|r| RoleOption { value: r.as_str(), label: wf.role_label(*r).to_string() }).collect(),
        mails,
        unit_form,
        user_form,
        unit_errors,
        user_errors,
        reset_error: None,
        min_password: crate::app::identity::MIN_PASSWORD,
    })
}

pub async fn page(State(s): State<HttpState>, me: Me, Query(flash): Query<Flash>) -> WebResult {
    me.require(&[Role::Admin])?;
    Ok(render(&admin_page(&s, &me, UnitForm::default(), UserForm::default(), Errors::default(), Errors::default(), flash.message()).await?))
}

/// Addresses as a clerk types them: separated by commas (either width),
/// semicolons or spaces.
fn split_addresses(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c == '，' || c == ';' || c == '；' || c.is_whitespace()).filter(|e| !e.is_empty()).map(str::to_string).collect()
}

pub async fn create_unit(State(s): State<HttpState>, me: Me, Form(f): Form<UnitForm>) -> WebResult {
    me.require(&[Role::Admin])?;
    let mut errors = Errors::default();
    let emails = split_addresses(&f.emails);
    if f.name.trim().is_empty() {
        errors.add("name", "请填写单位名称");
    } else {
        match accounts::create_unit(&s.app, &me.actor, &f.name, emails, split_addresses(&f.leaders)).await {
            Ok(unit) => return Ok(Redirect::to(&with_flash("/admin", "unit", &[("code", &unit.name)])).into_response()),
            Err(AppError::BadInput(m)) if m.starts_with("邮箱") => errors.add("emails", m),
            Err(AppError::BadInput(m)) if m.starts_with("分管领导") => errors.add("leaders", m),
            Err(AppError::BadInput(m) | AppError::Conflict(m)) => errors.add("name", m),
            Err(e) => return Err(e.into()),
        }
    }
    let page = admin_page(&s, &me, f, UserForm::default(), errors, Errors::default(), None).await?;
    Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

pub async fn create_user(State(s): State<HttpState>, me: Me, Form(mut f): Form<UserForm>) -> WebResult {
    me.require(&[Role::Admin])?;
    let mut errors = Errors::default();
    if f.username.trim().is_empty() {
        errors.add("username", "请填写用户名");
    }
    if f.password.chars().count() < crate::app::identity::MIN_PASSWORD {
        errors.add("password", format!("密码至少 {} 位", crate::app::identity::MIN_PASSWORD));
    }
    if f.role.parse::<Role>().is_err() {
        errors.add("role", "请选择角色");
    } else if f.role == "unit" && f.unit.is_empty() {
        errors.add("unit", "责任单位的用户须选择所属单位");
    }
    if errors.is_empty() {
        let unit = (f.role == "unit").then_some(f.unit.as_str());
        let new = accounts::NewUser {
            username: f.username.clone(),
            password: f.password.clone(),
            role: f.role.clone(),
            unit: unit.map(str::to_string),
            name: Some(f.name.clone()),
        };
        match accounts::create_user(&s.app, &me.actor, new).await {
            Ok(user) => return Ok(Redirect::to(&with_flash("/admin", "user", &[("code", &user.username)])).into_response()),
            Err(AppError::BadInput(m) | AppError::Conflict(m)) => {
                let field = if m.contains("单位") {
                    "unit"
                } else if m.contains("密码") {
                    "password"
                } else {
                    "username"
                };
                errors.add(field, m);
            }
            Err(e) => return Err(e.into()),
        }
    }
    f.password.clear();
    let page = admin_page(&s, &me, UnitForm::default(), f, Errors::default(), errors, None).await?;
    Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
}
