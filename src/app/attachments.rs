//! Evidence files (photos, PDFs) attached to moves.
//!
//! A file is checked by its content, never by its name or the browser's
//! content type: only JPEG, PNG and PDF magic bytes pass. It is stored in
//! the database (so every instance sharing it sees the file) under a random
//! id, and a move refers to it by that id. A file is served only to someone
//! who may see an issue whose history refers to it — for a unit user,
//! another unit's photo does not exist — or, before it is attached (a form
//! that was rejected keeps its files), to the user who uploaded it. Files
//! of release 0.1 are still read from `<data_dir>/uploads/`.

use super::{Actor, App, AppError, AppResult, issues};
use crate::db::entities::{attachment, moves};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, Set};
use std::path::PathBuf;

/// Largest file accepted: a phone photo at full resolution fits.
pub const MAX_BYTES: usize = 12 * 1024 * 1024;
/// Uploads a user may have waiting for a move at once.
pub const PENDING_QUOTA: u64 = 60;
/// Most files on one move.
pub const MAX_FILES: usize = 9;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Jpeg,
    Png,
    Pdf,
}

impl Kind {
    /// What the content says the file is; `None` for anything else.
    pub fn sniff(bytes: &[u8]) -> Option<Kind> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Kind::Jpeg)
        } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
            Some(Kind::Png)
        } else if bytes.starts_with(b"%PDF-") {
            Some(Kind::Pdf)
        } else {
            None
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Kind::Jpeg => "jpg",
            Kind::Png => "png",
            Kind::Pdf => "pdf",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
            Kind::Pdf => "application/pdf",
        }
    }

    fn from_extension(ext: &str) -> Option<Kind> {
        [Kind::Jpeg, Kind::Png, Kind::Pdf].into_iter().find(|k| k.extension() == ext)
    }

    pub fn is_image(self) -> bool {
        self != Kind::Pdf
    }
}

/// A stored file's id, parsed: 32 hex digits, a dot, a known extension.
/// Anything else (a path, `..`) is not an id, so it can never leave the
/// uploads folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileId {
    id: String,
    kind: Kind,
}

impl FileId {
    pub fn parse(text: &str) -> Option<FileId> {
        let (stem, ext) = text.split_once('.')?;
        let kind = Kind::from_extension(ext)?;
        (stem.len() == 32 && stem.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())).then(|| FileId { id: text.to_string(), kind })
    }

    pub fn as_str(&self) -> &str {
        &self.id
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }
}

fn folder(app: &App) -> PathBuf {
    app.mail.data_dir.join("uploads")
}

/// Who uploaded a file, kept beside it until a move refers to it.
fn owner_file(app: &App, id: &FileId) -> PathBuf {
    folder(app).join(format!("{}.owner", id.as_str()))
}

/// Checks and stores one uploaded file; returns its id.
pub async fn store(app: &App, actor: &Actor, bytes: &[u8]) -> AppResult<FileId> {
    store_named(app, actor, "file", bytes).await
}

/// [`store`], keeping the name the file had on the user's device.
#[tracing::instrument(skip_all, fields(user = %actor.username, bytes = bytes.len()), err)]
pub async fn store_named(app: &App, actor: &Actor, name: &str, bytes: &[u8]) -> AppResult<FileId> {
    if bytes.is_empty() {
        return Err(AppError::BadInput("文件是空的".into()));
    }
    if bytes.len() > MAX_BYTES {
        return Err(AppError::BadInput(format!("文件超过 {} MB，请压缩后再传", MAX_BYTES / 1024 / 1024)));
    }
    let kind = Kind::sniff(bytes).ok_or_else(|| AppError::BadInput("只接受 JPEG、PNG 照片或 PDF 文件".into()))?;
    // A quota of files waiting for their move, so nobody fills the database.
    let pending = waiting_of(&actor.user_id).count(&app.db).await?;
    if pending >= PENDING_QUOTA {
        return Err(AppError::TooManyUploads(PENDING_QUOTA));
    }
    let id = FileId { id: format!("{}.{}", uuid::Uuid::new_v4().simple(), kind.extension()), kind };
    let name: String = name.chars().filter(|c| !c.is_control()).take(200).collect();
    let tx = app.write().await?;
    attachment::ActiveModel {
        id: Set(id.as_str().to_string()),
        name: Set(name),
        content_type: Set(kind.content_type().to_string()),
        size: Set(i64::try_from(bytes.len()).unwrap_or(i64::MAX)),
        owner: Set(actor.user_id.clone()),
        created_at: Set(app.now().await?.to_string()),
        bytes: Set(bytes.to_vec()),
        // Not yet carried by a move: removed after a day unless one does.
        attached: Set(false),
        uploaded_at: Set(Some(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true))),
        issue_id: Set(None),
    }
    .insert(&tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The issues whose history refers to the file: the one its row names
/// (m20261211). A file of release 0.1 has no row, and only for such a file
/// is every move's list of files searched.
async fn issues_referring(app: &App, id: &FileId) -> AppResult<Vec<String>> {
    let row = attachment::Entity::find_by_id(id.as_str().to_string())
        .select_only()
        .column(attachment::Column::IssueId)
        .into_tuple::<Option<String>>()
        .one(&app.db)
        .await?;
    if let Some(issue) = row {
        return Ok(issue.into_iter().collect());
    }
    let quoted = format!("\"{}\"", id.as_str());
    let rows = moves::Entity::find().filter(moves::Column::Attachments.contains(&quoted)).all(&app.db).await?;
    Ok(rows.into_iter().map(|m| m.issue_id).collect())
}

async fn uploaded_by(app: &App, id: &FileId) -> AppResult<Option<String>> {
    let owner =
        attachment::Entity::find_by_id(id.as_str().to_string()).select_only().column(attachment::Column::Owner).into_tuple::<String>().one(&app.db).await?;
    // Release 0.1 kept the owner beside the file.
    Ok(match owner {
        Some(owner) => Some(owner),
        None => tokio::fs::read_to_string(owner_file(app, id)).await.ok(),
    })
}

/// Ids of files the actor uploaded that no move refers to yet: what a
/// rejected form carries over to the next try. Others are dropped.
pub async fn claim(app: &App, actor: &Actor, ids: &[String]) -> AppResult<Vec<FileId>> {
    let mut out = Vec::new();
    for id in ids.iter().filter_map(|text| FileId::parse(text)) {
        if out.contains(&id) || uploaded_by(app, &id).await?.as_deref() != Some(actor.user_id.as_str()) {
            continue;
        }
        if issues_referring(app, &id).await?.is_empty() {
            out.push(id);
        }
    }
    Ok(out)
}

/// Marks files as carried by a move of `issue_id` (kept for good), inside
/// its transaction.
pub async fn mark_attached(db: &impl sea_orm::ConnectionTrait, ids: &[String], issue_id: &str) -> AppResult<()> {
    if !ids.is_empty() {
        attachment::Entity::update_many()
            .col_expr(attachment::Column::Attached, sea_orm::sea_query::Expr::value(true))
            .col_expr(attachment::Column::IssueId, sea_orm::sea_query::Expr::value(issue_id))
            .filter(attachment::Column::Id.is_in(ids.to_vec()))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Uploads no move took within a day are removed: a rejected form's photos
/// must not stay for ever.
pub async fn sweep(app: &App) -> AppResult<u64> {
    let cutoff = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let tx = app.write().await?;
    let gone = stale(cutoff).exec(&tx).await?;
    tx.commit().await?;
    Ok(gone.rows_affected)
}

/// `owner`'s uploads still waiting for their move (index `attachments_owner`).
fn waiting_of(owner: &str) -> sea_orm::Select<attachment::Entity> {
    attachment::Entity::find().filter(attachment::Column::Owner.eq(owner)).filter(attachment::Column::Attached.eq(false))
}

/// Waiting uploads from before `cutoff` (index `attachments_waiting`).
fn stale(cutoff: String) -> sea_orm::DeleteMany<attachment::Entity> {
    attachment::Entity::delete_many().filter(attachment::Column::Attached.eq(false)).filter(attachment::Column::UploadedAt.lt(cutoff))
}

/// Like [`claim`], for a request that names its files (the API): a file
/// that is not the actor's own, unattached upload is an error, not dropped.
pub async fn claim_exact(app: &App, actor: &Actor, ids: &[String]) -> AppResult<Vec<FileId>> {
    let claimed = claim(app, actor, ids).await?;
    if let Some(bad) = ids.iter().find(|id| !claimed.iter().any(|c| c.as_str() == id.as_str())) {
        return Err(AppError::BadInput(format!("附件 `{bad}` 不存在、不是您上传的或已用于其他操作 (no such upload of yours, or already used)")));
    }
    if claimed.len() > MAX_FILES {
        return Err(AppError::BadInput(format!("一次最多 {MAX_FILES} 个附件 (at most {MAX_FILES} files)")));
    }
    Ok(claimed)
}

/// The file's bytes, if the actor may see it; otherwise it does not exist.
#[tracing::instrument(skip_all, fields(file = %text), err)]
pub async fn open(app: &App, actor: &Actor, text: &str) -> AppResult<(Kind, Vec<u8>)> {
    let not_found = || AppError::NotFound("没有这个文件".into());
    let id = FileId::parse(text).ok_or_else(not_found)?;
    let referring = issues_referring(app, &id).await?;
    let mut allowed = false;
    for issue in &referring {
        match issues::visible(app, actor, issue).await {
            Ok(_) => {
                allowed = true;
                break;
            }
            Err(AppError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    if referring.is_empty() {
        allowed = uploaded_by(app, &id).await?.as_deref() == Some(actor.user_id.as_str());
    }
    if !allowed {
        return Err(not_found());
    }
    let stored = attachment::Entity::find_by_id(id.as_str().to_string()).one(&app.db).await?;
    let bytes = match stored {
        Some(row) => row.bytes,
        None => tokio::fs::read(folder(app).join(id.as_str())).await.map_err(|_| not_found())?,
    };
    Ok((id.kind(), bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each upload counts its owner's waiting files and the housekeeping
    /// removes stale ones every minute: at a province's million photos a
    /// scan of the table would cost seconds each time.
    #[tokio::test]
    async fn the_quota_and_the_sweep_read_an_index_not_the_table() {
        use sea_orm::QueryTrait;
        for (what, statement, index) in [
            ("quota", waiting_of("u1").build(sea_orm::DbBackend::Sqlite), "attachments_owner"),
            ("sweep", stale("2021-01-01T00:00:00Z".into()).build(sea_orm::DbBackend::Sqlite), "attachments_waiting"),
        ] {
            let plan = crate::db::sqlite_plan(statement).await;
            assert!(plan.iter().any(|d| d.contains(index)), "{what}: {plan:?}");
        }
    }

    #[test]
    fn content_decides_the_kind_not_the_name() {
        assert_eq!(Kind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some(Kind::Jpeg));
        assert_eq!(Kind::sniff(b"\x89PNG\r\n\x1a\n...."), Some(Kind::Png));
        assert_eq!(Kind::sniff(b"%PDF-1.7\n"), Some(Kind::Pdf));
        assert_eq!(Kind::sniff(b"<html>not a photo</html>"), None);
        assert_eq!(Kind::sniff(b"GIF89a"), None);
    }

    #[test]
    fn only_well_formed_ids_name_a_file() {
        let ok = "0123456789abcdef0123456789abcdef.png";
        assert_eq!(FileId::parse(ok).map(|f| f.kind()), Some(Kind::Png));
        for bad in [
            "../../etc/passwd",
            "0123456789abcdef0123456789abcdef.exe",
            "0123456789ABCDEF0123456789abcdef.png",
            "abc.png",
            "0123456789abcdef0123456789abcdef.png.png",
            "",
        ] {
            assert!(FileId::parse(bad).is_none(), "{bad}");
        }
    }
}
