//! Forms: reading multipart bodies, storing their evidence files, and the
//! errors shown next to each field.
//!
//! A browser cannot fill a file input again, so a rejected form stores the
//! good files anyway and carries their ids in hidden `kept` fields: the user
//! fixes the note and submits again without taking the photos twice.

use super::layout::{WebError, zh};
use crate::app::attachments::{self, FileId};
use crate::app::{Actor, App, AppError, AppResult};
use axum::body::Bytes;
use axum::extract::Multipart;
use axum::http::StatusCode;

pub struct Upload {
    pub field: String,
    pub name: String,
    pub bytes: Bytes,
}

/// A multipart form, read whole.
#[derive(Default)]
pub struct Submitted {
    fields: Vec<(String, String)>,
    pub uploads: Vec<Upload>,
}

impl Submitted {
    pub async fn read(mut multipart: Multipart) -> Result<Submitted, WebError> {
        let mut out = Submitted::default();
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => return Ok(out),
                Err(e) => return Err(too_large_or_bad(e.status())),
            };
            let name = field.name().unwrap_or_default().to_string();
            match field.file_name().map(str::to_string) {
                Some(file_name) => {
                    let bytes = field.bytes().await.map_err(|e| too_large_or_bad(e.status()))?;
                    if !bytes.is_empty() {
                        out.uploads.push(Upload { field: name, name: file_name, bytes });
                    }
                }
                None => {
                    let text = field.text().await.map_err(|e| too_large_or_bad(e.status()))?;
                    // The one text input the hygiene middleware cannot see.
                    if text.contains('\0') || name.contains('\0') {
                        return Err(too_large_or_bad(StatusCode::BAD_REQUEST));
                    }
                    out.fields.push((name, text));
                }
            }
        }
    }

    /// The field's first value, trimmed ("" when absent).
    pub fn text(&self, name: &str) -> String {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.trim().to_string()).unwrap_or_default()
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.fields.iter().filter(|(n, _)| n == name).map(|(_, v)| v.clone()).collect()
    }

    pub fn files<'a>(&'a self, fields: &'a [&str]) -> impl Iterator<Item = &'a Upload> + 'a {
        self.uploads.iter().filter(move |u| fields.contains(&u.field.as_str()))
    }
}

fn too_large_or_bad(status: StatusCode) -> WebError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        WebError::page(
            status,
            "上传内容过大",
            format!(
                "一次最多上传 {} 个文件，每个不超过 {} MB。请返回上一页，减少或压缩照片后再提交。",
                attachments::MAX_FILES,
                attachments::MAX_BYTES / 1024 / 1024
            ),
        )
    } else {
        WebError::page(StatusCode::BAD_REQUEST, "表单有误", "表单没有完整提交，请返回上一页重试。")
    }
}

/// Errors of a rejected form, by field; `""` is the form as a whole.
#[derive(Default, Debug)]
pub struct Errors(Vec<(&'static str, String)>);

impl Errors {
    pub fn add(&mut self, field: &'static str, message: impl AsRef<str>) {
        self.0.push((field, zh(message.as_ref())));
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, m)| m.as_str())
    }

    pub fn all_for(&self, field: &str) -> Vec<&str> {
        self.0.iter().filter(|(f, _)| *f == field).map(|(_, m)| m.as_str()).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A file already stored for this form, shown again on a rejected form.
pub struct Kept {
    pub id: String,
    pub is_image: bool,
}

impl Kept {
    pub fn list(ids: &[FileId]) -> Vec<Kept> {
        ids.iter().map(|id| Kept { id: id.as_str().to_string(), is_image: id.kind().is_image() }).collect()
    }
}

/// Stores the form's evidence: the files kept from an earlier try, then the
/// new uploads of `fields`. A bad file is an error on `error_field`; the good
/// ones are stored either way, so a second try does not need them again.
pub async fn store_evidence(
    app: &App,
    actor: &Actor,
    form: &Submitted,
    fields: &[&str],
    error_field: &'static str,
    errors: &mut Errors,
) -> AppResult<Vec<FileId>> {
    let mut ids = attachments::claim(app, actor, &form.all("kept")).await?;
    for upload in form.files(fields) {
        if ids.len() >= attachments::MAX_FILES {
            errors.add(error_field, format!("最多 {} 个文件，「{}」未上传", attachments::MAX_FILES, upload.name));
            continue;
        }
        match attachments::store_named(app, actor, &upload.name, &upload.bytes).await {
            Ok(id) => ids.push(id),
            Err(AppError::BadInput(m)) => errors.add(error_field, format!("「{}」{}", upload.name, m)),
            Err(e) => return Err(e),
        }
    }
    Ok(ids)
}

pub fn id_strings(ids: &[FileId]) -> Vec<String> {
    ids.iter().map(|id| id.as_str().to_string()).collect()
}
