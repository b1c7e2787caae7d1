//! 攻坚办's pool (待交办): register an issue, import a list from Excel,
//! dispatch the pool now.

use super::form::{Errors, Kept, Submitted, id_strings, store_evidence};
use super::layout::{Layout, Me, WebResult, render, render_status};
use super::search::{self, Filters, ListQuery, Pager};
use super::view::{Flash, IssueRow, with_flash};
use crate::app::issues::{self, IssueFilter, NewIssue};
use crate::app::search::{Scope, count_scoped};
use crate::app::{AppError, accounts};
use crate::core::state::{Role, State as IssueState};
use crate::http::HttpState;
use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};

/// The registration form's input, kept on a rejected form.
#[derive(Default)]
pub struct NewIssueForm {
    pub code: String,
    pub unit: String,
    pub title: String,
    pub source: String,
    pub category: String,
    pub location: String,
    pub description: String,
}

impl NewIssueForm {
    fn from(form: &Submitted) -> NewIssueForm {
        NewIssueForm {
            code: form.text("code"),
            unit: form.text("unit"),
            title: form.text("title"),
            source: form.text("source"),
            category: form.text("category"),
            location: form.text("location"),
            description: form.text("description"),
        }
    }
}

#[derive(Template)]
#[template(path = "pool.html")]
struct PoolPage {
    layout: Layout,
    pool: Vec<IssueRow>,
    /// Every issue in the pool, whatever the search (立即交办 takes them all).
    pool_total: u64,
    filters: Filters,
    pager: Pager,
    units: Vec<String>,
    sources: Vec<String>,
    categories: Vec<String>,
    input: NewIssueForm,
    errors: Errors,
    kept: Vec<Kept>,
    import_errors: Vec<String>,
    next_dispatch: String,
    max_bytes: usize,
}

#[allow(clippy::too_many_arguments)] // a rejected form's parts, each kept
async fn pool_page(
    s: &HttpState,
    me: &Me,
    q: ListQuery,
    input: NewIssueForm,
    errors: Errors,
    kept: Vec<Kept>,
    import_errors: Vec<String>,
    flash: Option<String>,
) -> Result<PoolPage, AppError> {
    const POOL: [IssueState; 1] = [IssueState::Registered];
    let q = q.narrow();
    let mut search_errors = Vec::new();
    let (filter, scope) = q.parse(&s.app.wf, &POOL, &mut search_errors);
    let (list, pager) = search::run(&s.app, &me.actor, "/pool", &q, filter, &scope).await?;
    let pool = list.issues.iter().map(|v| IssueRow::new(&s.app.wf, v, None)).collect();
    let pool_total = count_scoped(&s.app, &me.actor, IssueFilter::default(), &Scope { states: POOL.to_vec(), ..Scope::default() }).await?;
    let filters = search::filters(&s.app, "/pool", &q, Vec::new(), false, search_errors).await?;
    let units = accounts::units(&s.app.db).await?.into_iter().map(|u| u.name).collect();
    let next_dispatch = s.app.wf.next_dispatch_after(s.app.now().await?).map_or_else(String::new, |t| super::layout::short_time(&t.to_string()));
    Ok(PoolPage {
        next_dispatch,
        max_bytes: crate::app::attachments::MAX_BYTES,
        layout: Layout::new(s, me, "待交办", "/pool").await.with_flash(flash),
        pool,
        pool_total,
        filters,
        pager,
        units,
        sources: s.app.wf.sources.clone(),
        categories: s.app.wf.categories.clone(),
        input,
        errors,
        kept,
        import_errors,
    })
}

pub async fn page(State(s): State<HttpState>, me: Me, Query(q): Query<ListQuery>, Query(flash): Query<Flash>) -> WebResult {
    me.require(&[Role::Dispatcher])?;
    Ok(render(&pool_page(&s, &me, q, NewIssueForm::default(), Errors::default(), Vec::new(), Vec::new(), flash.message()).await?))
}

fn check(s: &HttpState, input: &NewIssueForm, units: &[String], errors: &mut Errors) {
    if input.code.is_empty() {
        errors.add("code", "请填写问题编号，如 W-2021-031");
    } else if input.code.chars().count() > 64 {
        errors.add("code", "编号不能超过 64 个字");
    }
    if input.unit.is_empty() {
        errors.add("unit", "请选择责任单位");
    } else if !units.contains(&input.unit) {
        errors.add("unit", "没有这个责任单位");
    }
    if input.title.is_empty() {
        errors.add("title", "请填写问题标题");
    } else if input.title.chars().count() > 500 {
        errors.add("title", "标题不能超过 500 个字");
    }
    if !input.source.is_empty() && !s.app.wf.sources.contains(&input.source) {
        errors.add("source", "请从列表中选择来源");
    }
    if !input.category.is_empty() && !s.app.wf.categories.contains(&input.category) {
        errors.add("category", "请从列表中选择类别");
    }
}

/// Puts a use case's refusal next to the field it is about.
fn place(e: AppError, errors: &mut Errors) -> Result<(), AppError> {
    let message = match &e {
        AppError::BadInput(m) | AppError::Conflict(m) => m.clone(),
        _ => return Err(e),
    };
    let field = [("编号", "code"), ("责任单位", "unit"), ("标题", "title"), ("来源", "source"), ("类别", "category")]
        .into_iter()
        .find(|(p, _)| message.starts_with(p))
        .map_or("", |(_, f)| f);
    errors.add(field, message);
    Ok(())
}

pub async fn register(State(s): State<HttpState>, me: Me, multipart: Multipart) -> WebResult {
    me.require(&[Role::Dispatcher])?;
    let form = Submitted::read(multipart).await?;
    let input = NewIssueForm::from(&form);
    let units: Vec<String> = accounts::units(&s.app.db).await?.into_iter().map(|u| u.name).collect();
    let mut errors = Errors::default();
    check(&s, &input, &units, &mut errors);
    let files = store_evidence(&s.app, &me.actor, &form, &["photos"], "photos", &mut errors).await?;
    if errors.is_empty() {
        let some = |v: &str| (!v.is_empty()).then(|| v.to_string());
        let parsed = NewIssue::parse(
            &s.app,
            issues::IssueInput {
                code: input.code.clone(),
                unit: input.unit.clone(),
                title: input.title.clone(),
                source: some(&input.source),
                category: some(&input.category),
                location: some(&input.location),
                description: some(&input.description),
            },
        );
        let registered = match parsed {
            Ok(mut new) => {
                new.attachments = id_strings(&files);
                issues::register(&s.app, &me.actor, new).await
            }
            Err(e) => Err(e),
        };
        match registered {
            Ok(view) => return Ok(Redirect::to(&with_flash("/pool", "registered", &[("code", &view.code)])).into_response()),
            Err(e) => place(e, &mut errors)?,
        }
    }
    let page = pool_page(&s, &me, ListQuery::default(), input, errors, Kept::list(&files), Vec::new(), None).await?;
    Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

/// An Excel list (交办清单 format): every row checked first, all or nothing.
pub async fn import(State(s): State<HttpState>, me: Me, multipart: Multipart) -> WebResult {
    me.require(&[Role::Dispatcher])?;
    let form = Submitted::read(multipart).await?;
    let problems = match form.files(&["file"]).next() {
        None => vec!["请选择要导入的 Excel 文件（.xlsx）".to_string()],
        Some(upload) => match read_workbook(&s, &upload.bytes).await {
            Ok(Ok(rows)) if rows.is_empty() => vec!["表中没有问题行".to_string()],
            Ok(Ok(rows)) => match issues::register_many(&s.app, &me.actor, rows, |_| {}).await {
                Ok(n) => return Ok(Redirect::to(&with_flash("/pool", "imported", &[("n", &n.to_string())])).into_response()),
                Err(AppError::BadInput(m) | AppError::Conflict(m)) => vec![super::layout::zh(&m)],
                Err(e) => return Err(e.into()),
            },
            Ok(Err(bad)) => bad.into_iter().map(|b| format!("第 {} 行：{}", b.row, super::layout::zh(&b.reason))).collect(),
            Err(()) => vec!["无法读取该文件：请上传 Excel 工作簿（.xlsx），第一行为表头，至少含 编号、责任单位、标题 三列".to_string()],
        },
    };
    let page = pool_page(&s, &me, ListQuery::default(), NewIssueForm::default(), Errors::default(), Vec::new(), problems, None).await?;
    Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

/// Reads the upload with the same reader as `jiaoban import`, through a
/// temporary file (calamine opens paths).
async fn read_workbook(s: &HttpState, bytes: &[u8]) -> Result<Result<Vec<NewIssue>, Vec<crate::import::BadRow>>, ()> {
    let extension = if bytes.starts_with(b"PK\x03\x04") {
        "xlsx"
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        "xls"
    } else {
        return Err(());
    };
    let dir = s.app.mail.data_dir.join("tmp");
    let path = dir.join(format!("import-{}.{extension}", uuid::Uuid::new_v4().simple()));
    if tokio::fs::create_dir_all(&dir).await.is_err() || tokio::fs::write(&path, bytes).await.is_err() {
        return Err(());
    }
    let result = crate::import::read(&s.app, &path).await;
    let _ = tokio::fs::remove_file(&path).await;
    result.map_err(|e| tracing::info!(error = %format!("{e:#}"), "import refused"))
}
