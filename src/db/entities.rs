//! sea-orm entities, one module per table (see the migration for the why of
//! each column). Rows never leak into the core: the store converts them.

macro_rules! entity {
    ($module:ident, $table:literal, { $($body:tt)* }) => {
        pub mod $module {
            use sea_orm::entity::prelude::*;

            #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
            #[sea_orm(table_name = $table)]
            pub struct Model { $($body)* }

            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {}

            impl ActiveModelBehavior for ActiveModel {}
        }
    };
}

entity!(unit, "units", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    pub emails: String,
    pub seq: i64,
    pub created_at: String,
    pub leaders: String,
});

entity!(user, "users", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub username: String,
    pub password_hash: String,
    pub role: String,
    pub unit_id: Option<String>,
    pub created_at: String,
    pub display_name: Option<String>,
    pub must_change_password: bool,
});

entity!(session, "sessions", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token: String,
    pub user_id: String,
    pub expires_at: String,
    pub id: Option<String>,
    pub created_at: Option<String>,
    pub last_seen_at: Option<String>,
    pub remember: bool,
});

entity!(issue, "issues", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub code: String,
    pub unit_id: String,
    pub title: String,
    pub source: Option<String>,
    pub category: Option<String>,
    pub location: Option<String>,
    pub description: Option<String>,
    pub state: String,
    pub registered_at: String,
    pub reg_seq: i64,
    pub dispatch_id: Option<String>,
    pub dispatched_at: Option<String>,
    pub dispatch_seq: Option<i64>,
    pub reports: i32,
    pub last_report_at: Option<String>,
    pub charged: bool,
    pub awaiting_at_overdue: bool,
    pub version: i32,
    pub workflow_version: String,
    pub assignment: i32,
    pub returns: i32,
    pub chases: i32,
    /// The hash of the issue's last move: the next move's `prev`.
    pub head: Option<String>,
});

entity!(moves, "moves", {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub issue_id: String,
    pub action: String,
    pub actor: String,
    pub at: String,
    pub note: Option<String>,
    pub attachments: String,
    pub detail: Option<String>,
    pub hash: Option<String>,
    pub prev: Option<String>,
});

entity!(dispatch, "dispatches", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub at: String,
    pub issue_count: i32,
    pub scheduled: bool,
    pub actor: String,
});

entity!(charge, "charges", {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub issue_id: Option<String>,
    pub unit_id: String,
    pub quarter: String,
    pub points_milli: i64,
    pub tier: i32,
    pub days: Option<i64>,
    pub dispatched: Option<String>,
    pub completed: Option<String>,
    pub known_at: String,
    pub note: Option<String>,
    pub taken_back_at: Option<String>,
    pub taken_back_by: Option<String>,
    pub taken_back_note: Option<String>,
    pub removed: bool,
    pub corrects: Option<String>,
    pub corrects_id: Option<i64>,
    /// The issue's code, copied when charged (the report needs no join).
    pub code: Option<String>,
});

entity!(timer, "timers", {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub due_at: String,
    pub class: i32,
    pub kind: String,
    pub issue_id: Option<String>,
    pub payload: String,
    pub parked: Option<String>,
});

entity!(outbox, "outbox", {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub key: String,
    pub recipients: String,
    pub cc: String,
    pub subject: String,
    pub body: String,
    pub attachment_name: Option<String>,
    pub attachment: Option<Vec<u8>>,
    pub send_after: String,
    pub sent_at: Option<String>,
    pub attempts: i32,
    pub next_attempt_at: String,
    pub last_error: Option<String>,
    pub claimed_by: Option<String>,
    pub claimed_until: Option<i64>,
    pub retry_at: Option<i64>,
    pub unit_id: Option<String>,
    pub audience: Option<String>,
});

entity!(clock, "clock", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    pub now: String,
});

entity!(attachment, "attachments", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub owner: String,
    pub created_at: String,
    pub bytes: Vec<u8>,
    pub attached: bool,
    pub uploaded_at: Option<String>,
    /// The issue whose move carries the file (None: not carried yet).
    pub issue_id: Option<String>,
});

entity!(inbox_read, "inbox_reads", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub outbox_id: i64,
    pub read_at: String,
});

entity!(audit, "audit", {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub detail: Option<String>,
    pub ip: Option<String>,
});

entity!(anchor, "anchors", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: String,
    pub rows: i64,
    pub hash: String,
});
