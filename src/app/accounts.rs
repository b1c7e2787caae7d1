//! Units, users, passwords and sessions.

use super::{Actor, App, AppError, AppResult};
use crate::core::state::Role;
use crate::db::entities::{unit, user};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};
use serde::Serialize;
use std::collections::HashMap;

/// How long a session lives without signing in again.

#[derive(Debug, Serialize)]
pub struct UnitView {
    pub id: String,
    pub name: String,
    pub emails: Vec<String>,
    /// 分管领导: copied on chases and overdue mails.
    pub leaders: Vec<String>,
}

impl UnitView {
    fn of(u: unit::Model) -> UnitView {
        UnitView { emails: unit_emails(&u), leaders: unit_leaders(&u), id: u.id, name: u.name }
    }
}

#[derive(Debug, Serialize)]
pub struct UserView {
    pub id: String,
    pub username: String,
    /// 姓名 (the user name when none was given).
    pub name: String,
    pub role: String,
    pub unit: Option<String>,
}

/// Addresses, trimmed and checked.
fn addresses(list: Vec<String>, what: &str) -> AppResult<Vec<String>> {
    let list: Vec<String> = list.into_iter().map(|e| e.trim().to_string()).filter(|e| !e.is_empty()).collect();
    if let Some(bad) = list.iter().find(|e| e.parse::<lettre::Address>().is_err()) {
        return Err(AppError::BadInput(format!("{what} `{bad}` 格式不正确 (not an e-mail address)")));
    }
    Ok(list)
}

pub async fn unit_by_name(db: &impl ConnectionTrait, name: &str) -> AppResult<Option<unit::Model>> {
    Ok(unit::Entity::find().filter(unit::Column::Name.eq(name)).one(db).await?)
}

pub async fn unit_by_id(db: &impl ConnectionTrait, id: &str) -> AppResult<Option<unit::Model>> {
    Ok(unit::Entity::find_by_id(id.to_string()).one(db).await?)
}

pub async fn unit_name(db: &impl ConnectionTrait, id: &str) -> AppResult<String> {
    Ok(unit::Entity::find_by_id(id.to_string()).one(db).await?.map(|u| u.name).unwrap_or_default())
}

/// Every unit, id → name.
pub async fn unit_names(db: &impl ConnectionTrait) -> AppResult<HashMap<String, String>> {
    Ok(units(db).await?.into_iter().map(|u| (u.id, u.name)).collect())
}

/// Every unit in the order they were created (the report's order).
pub async fn units(db: &impl ConnectionTrait) -> AppResult<Vec<unit::Model>> {
    Ok(unit::Entity::find().order_by_asc(unit::Column::Seq).all(db).await?)
}

pub fn unit_emails(row: &unit::Model) -> Vec<String> {
    serde_json::from_str(&row.emails).unwrap_or_default()
}

/// The unit's 分管领导 (copied on chases and overdue mails).
pub fn unit_leaders(row: &unit::Model) -> Vec<String> {
    serde_json::from_str(&row.leaders).unwrap_or_default()
}

#[tracing::instrument(skip_all, fields(action = "create_unit", user = %actor.username), err)]
pub async fn create_unit(app: &App, actor: &Actor, name: &str, emails: Vec<String>, leaders: Vec<String>) -> AppResult<UnitView> {
    actor.require(&[Role::Admin])?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::BadInput("单位名称 name 必填 (name is required)".into()));
    }
    // A line break in a unit's name would read as a header line of a mail.
    if name.chars().any(char::is_control) {
        return Err(AppError::BadInput("单位名称不能含控制字符（如换行） (no control characters in a unit's name)".into()));
    }
    let emails = addresses(emails, "邮箱")?;
    let leaders = addresses(leaders, "分管领导邮箱")?;
    let tx = app.write().await?;
    if unit_by_name(&tx, name).await?.is_some() {
        return Err(AppError::Conflict(format!("单位 `{name}` 已存在 (unit exists)")));
    }
    let seq = unit::Entity::find().count(&tx).await? as i64 + 1;
    let row = unit::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        name: Set(name.to_string()),
        emails: Set(serde_json::to_string(&emails).unwrap_or_default()),
        seq: Set(seq),
        created_at: Set(app.now().await?.to_string()),
        leaders: Set(serde_json::to_string(&leaders).unwrap_or_default()),
    }
    .insert(&tx)
    .await?;
    let detail = Some(format!("emails {emails:?}, leaders {leaders:?}"));
    super::audit::record(&tx, super::audit::Entry { actor: &actor.username, action: "unit_created", target: Some(name.to_string()), detail, ip: None }).await?;
    tx.commit().await?;
    Ok(UnitView::of(row))
}

/// A user as an admin asks for one.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub username: String,
    pub password: String,
    pub role: String,
    pub unit: Option<String>,
    /// 姓名; the user name when absent.
    pub name: Option<String>,
}

#[tracing::instrument(skip_all, fields(action = "create_user", user = %actor.username, new_user = %new.username), err)]
pub async fn create_user(app: &App, actor: &Actor, new: NewUser) -> AppResult<UserView> {
    let NewUser { username, password, role, unit, name } = new;
    let (username, password, role, unit) = (username.as_str(), password.as_str(), role.as_str(), unit.as_deref());
    let name = name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    if name.as_deref().is_some_and(|n| n.chars().count() > 50 || n.chars().any(char::is_control)) {
        return Err(AppError::BadInput("姓名不超过50个字，且不能含控制字符 (name: at most 50 characters, no control characters)".into()));
    }
    actor.require(&[Role::Admin])?;
    let role: Role = role.parse().map_err(|e: String| AppError::BadInput(e))?;
    let username = super::identity::new_username(username)?;
    let username = username.as_str();
    super::identity::check_password(password, username)?;
    let unit_row = match (role, unit.map(str::trim).filter(|u| !u.is_empty())) {
        (Role::Unit, None) => return Err(AppError::BadInput("单位用户必须指定 unit (role unit needs a unit)".into())),
        (_, Some(name)) => Some(unit_by_name(&app.db, name).await?.ok_or_else(|| AppError::BadInput(format!("单位 `{name}` 不存在 (unknown unit)")))?),
        (_, None) => None,
    };
    // `Admin`, `ａｄｍｉｎ` and `admin` are one name: only one may exist.
    let wanted = super::identity::canonical(username);
    if let Some(twin) = user::Entity::find().all(&app.db).await?.into_iter().find(|u| super::identity::canonical(&u.username) == wanted) {
        return Err(AppError::Conflict(format!("用户名 `{username}` 与已有的 `{}` 相同 (username taken)", twin.username)));
    }
    let hash = super::sessions::hash_password(password.to_string()).await?;
    let id = insert_user(app, username, hash, role, unit_row.as_ref().map(|u| u.id.clone()), name.clone()).await?;
    let detail = Some(format!("role {role}{}", unit_row.as_ref().map(|u| format!(", unit {}", u.name)).unwrap_or_default()));
    super::audit::note(app, super::audit::Entry { actor: &actor.username, action: "user_created", target: Some(username.to_string()), detail, ip: None })
        .await?;
    Ok(UserView {
        id,
        username: username.to_string(),
        name: name.unwrap_or_else(|| username.to_string()),
        role: role.to_string(),
        unit: unit_row.map(|u| u.name),
    })
}

async fn insert_user(app: &App, username: &str, hash: String, role: Role, unit_id: Option<String>, name: Option<String>) -> AppResult<String> {
    let id = uuid::Uuid::now_v7().to_string();
    let tx = app.write().await?;
    user::ActiveModel {
        id: Set(id.clone()),
        username: Set(username.to_string()),
        password_hash: Set(hash),
        role: Set(role.to_string()),
        unit_id: Set(unit_id),
        created_at: Set(app.now().await?.to_string()),
        display_name: Set(name),
        must_change_password: Set(false),
    }
    .insert(&tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// First start: an `admin` with the given password, or a random one that is
/// returned so the caller can print it once.
pub async fn ensure_admin(app: &App, password: Option<String>) -> AppResult<Option<String>> {
    if user::Entity::find().count(&app.db).await? > 0 {
        return Ok(None);
    }
    let generated = password.is_none();
    let password = password.unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string()[..16].to_string());
    let hash = super::sessions::hash_password(password.clone()).await?;
    insert_user(app, "admin", hash, Role::Admin, None, Some("系统管理员".into())).await?;
    Ok(generated.then_some(password))
}

pub(crate) fn actor_of(row: user::Model) -> Actor {
    let name = row.display_name.unwrap_or_else(|| row.username.clone());
    let role = row.role.parse().unwrap_or(Role::Assessor);
    Actor { user_id: row.id, username: row.username, name, role, unit_id: row.unit_id, must_change_password: row.must_change_password }
}

pub async fn list_units(app: &App, actor: &Actor) -> AppResult<Vec<UnitView>> {
    let rows = units(&app.db).await?;
    Ok(rows.into_iter().filter(|u| actor.role != Role::Unit || actor.unit_id.as_deref() == Some(u.id.as_str())).map(UnitView::of).collect())
}

pub async fn list_users(app: &App, actor: &Actor) -> AppResult<Vec<UserView>> {
    actor.require(&[Role::Admin])?;
    let names = unit_names(&app.db).await?;
    let rows = user::Entity::find().order_by_asc(user::Column::CreatedAt).all(&app.db).await?;
    Ok(rows
        .into_iter()
        .map(|u| UserView {
            unit: u.unit_id.as_ref().and_then(|id| names.get(id).cloned()),
            name: u.display_name.unwrap_or_else(|| u.username.clone()),
            id: u.id,
            username: u.username,
            role: u.role,
        })
        .collect())
}

pub async fn actor_by_name(app: &App, username: &str) -> AppResult<Option<Actor>> {
    Ok(user::Entity::find().filter(user::Column::Username.eq(username)).one(&app.db).await?.map(actor_of))
}
