//! 催办 from an issue page: 攻坚办 presses the unit with a note; the mail
//! goes to the unit and its 分管领导 ([`crate::app::chase`]).

use super::layout::{Me, WebError, WebResult};
use super::view::with_flash;
use crate::app::{AppError, chase};
use crate::core::state::{Role, State as IssueState};
use crate::http::HttpState;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

/// The 催办 box of an issue page.
pub struct ChaseForm {
    /// How often the issue was chased so far.
    pub count: i32,
    /// A refused chase's reason (the issue moved meanwhile).
    pub error: Option<String>,
}

/// Offered to 攻坚办 while the unit holds the issue (签收 or 整改 pending).
/// The service also accepts a chase of an issue awaiting recheck or a
/// ruling, but its mail says "请抓紧整改并及时反馈", which is not what the
/// unit should do then, so the page does not offer it.
pub fn offered(role: Role, state: IssueState) -> bool {
    role == Role::Dispatcher && state.with_unit()
}

#[derive(Deserialize)]
pub struct ChaseNote {
    #[serde(default)]
    note: String,
}

/// `POST /issues/{id}/chase`.
pub async fn send(State(s): State<HttpState>, me: Me, Path(id): Path<String>, Form(f): Form<ChaseNote>) -> WebResult {
    me.require(&[Role::Dispatcher])?;
    if f.note.chars().count() > 2000 {
        return Err(WebError::from(AppError::BadInput("催办说明不能超过 2000 字".into())));
    }
    let note = Some(f.note.trim().to_string()).filter(|n| !n.is_empty());
    match chase::chase(&s.app, &me.actor, &id, note).await {
        Ok(view) => {
            let to = with_flash(&format!("/issues/{id}"), "chase", &[("n", &view.chases.to_string()), ("unit", &view.unit)]);
            Ok(Redirect::to(&to).into_response())
        }
        // Closed or withdrawn meanwhile: the page says so in the 催办 box.
        Err(AppError::Conflict(m)) => Ok(super::issue::with_chase_error(&s, &me, &id, m).await?),
        Err(e) => Err(e.into()),
    }
}
