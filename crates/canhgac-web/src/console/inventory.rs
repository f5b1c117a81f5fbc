//! Inventory import (upload → preview of the plan → confirm → summary) and export.
//!
//! The uploaded files wait between preview and confirmation in an [`ImportStash`] under a random
//! id, bound to the user who uploaded them, for [`STASH_TTL`]. Confirming re-plans against the
//! store as it is then; if that plan differs from the one previewed, the new plan is shown
//! instead of being applied, so nothing is written that the user has not seen.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use canhgac_inventory::{InventoryErrors, PlanOptions};
use canhgac_model::inventory::{Change, InventoryPlan};
use canhgac_model::Id;
use maud::{html, Markup};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::error::PageError;
use super::forms;
use super::i18n::{Lang, Msg};
use super::layout;
use super::session::{CsrfForm, CsrfMultipart, Ctx};
use crate::auth;
use crate::AppState;

/// How long an uploaded file waits for confirmation.
pub const STASH_TTL: Duration = Duration::from_secs(30 * 60);

/// Most uploads waiting at once (the oldest is dropped beyond it).
const STASH_MAX: usize = 32;

/// Most rows drawn in a preview.
const PREVIEW_ROWS: usize = 2000;

struct Stashed {
    user_id: Id,
    files: Vec<(String, Vec<u8>)>,
    prune: bool,
    fingerprint: String,
    at: Instant,
}

/// Uploaded inventory files awaiting confirmation, by random id.
#[derive(Clone, Default)]
pub struct ImportStash(Arc<Mutex<HashMap<String, Stashed>>>);

impl ImportStash {
    fn put(&self, entry: Stashed) -> String {
        let id = auth::new_secret();
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, e| e.at.elapsed() < STASH_TTL);
        while map.len() >= STASH_MAX {
            let oldest = map.iter().min_by_key(|(_, e)| e.at).map(|(k, _)| k.clone());
            match oldest {
                Some(key) => map.remove(&key),
                None => break,
            };
        }
        map.insert(id.clone(), entry);
        id
    }

    fn take(&self, id: &str, user_id: Id) -> Option<Stashed> {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // Someone else's id is left alone: it is not theirs to spend.
        if map.get(id)?.user_id != user_id {
            return None;
        }
        let entry = map.remove(id)?;
        (entry.at.elapsed() < STASH_TTL).then_some(entry)
    }
}

fn fingerprint(plan: &InventoryPlan) -> String {
    hex::encode(Sha256::digest(serde_json::to_vec(plan).unwrap_or_default()))
}

fn upload_form(ctx: &Ctx) -> Markup {
    let lang = ctx.lang;
    html! {
        section.card {
            h2 { (lang.t(Msg::ImportTitle)) }
            @if ctx.role().can_edit_inventory() {
                p.hint { (lang.t(Msg::ImportHint)) }
                form #import-form method="post" action="/inventory" enctype="multipart/form-data" {
                    (forms::csrf_field(&ctx.csrf))
                    div.field {
                        label for="file" { (lang.t(Msg::File)) }
                        input #file type="file" name="file" accept=".yaml,.yml,.csv" multiple required;
                    }
                    div.field.checkbox { label { input type="checkbox" name="prune" value="1"; " " (lang.t(Msg::Prune)) } }
                    button.primary type="submit" { (lang.t(Msg::Preview)) }
                }
            } @else {
                p.muted { (lang.t(Msg::ReadOnly)) }
            }
        }
    }
}

fn export_links(lang: Lang) -> Markup {
    html! {
        section.card {
            h2 { (lang.t(Msg::ExportTitle)) }
            p { a.button href="/inventory/export.yaml" download { (lang.t(Msg::ExportYaml)) } }
            p { (lang.t(Msg::ExportCsv)) ": "
                @for (i, kind) in CSV_FILES.iter().enumerate() {
                    @if i > 0 { " · " }
                    a href={ "/inventory/export/" (kind) } download { (kind) }
                }
            }
        }
    }
}

const CSV_FILES: &[&str] = &[
    "units.csv",
    "systems.csv",
    "assets.csv",
    "contacts.csv",
    "authorities.csv",
];

/// `GET /inventory`.
pub async fn page(ctx: Ctx) -> Markup {
    let body = html! { (upload_form(&ctx)) (export_links(ctx.lang)) };
    layout::page(&ctx.chrome(), ctx.t(Msg::Inventory), body)
}

fn errors_page(ctx: &Ctx, errors: &InventoryErrors) -> Response {
    let body = html! {
        div.notice.error role="alert" {
            p { (ctx.t(Msg::ImportErrors)) }
            ul.import-errors { @for e in errors.iter() { li { code { (e.to_string()) } } } }
        }
        (upload_form(ctx))
    };
    forms::unprocessable(layout::page(&ctx.chrome(), ctx.t(Msg::Inventory), body))
}

struct Row {
    kind: &'static str,
    op: &'static str,
    key: String,
    fields: Vec<String>,
}

fn changed_fields<T: Serialize>(before: &T, after: &T) -> Vec<String> {
    let (Ok(serde_json::Value::Object(b)), Ok(serde_json::Value::Object(a))) =
        (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return Vec::new();
    };
    a.iter()
        .filter(|(k, v)| b.get(*k) != Some(*v))
        .map(|(k, v)| {
            format!(
                "{k}: {} → {v}",
                b.get(k).cloned().unwrap_or(serde_json::Value::Null)
            )
        })
        .collect()
}

fn rows_of<T: Serialize>(
    kind: &'static str,
    changes: &[Change<T>],
    key: impl Fn(&T) -> String,
    out: &mut Vec<Row>,
) {
    for change in changes {
        let (record, fields) = match change {
            Change::Create { after } => (after, Vec::new()),
            Change::Update { before, after } => (after, changed_fields(before, after)),
            Change::Delete { before } => (before, Vec::new()),
        };
        out.push(Row {
            kind,
            op: change.op(),
            key: key(record),
            fields,
        });
    }
}

fn plan_rows(lang: Lang, plan: &InventoryPlan) -> Vec<Row> {
    let mut rows = Vec::new();
    rows_of(
        lang.t(Msg::Units),
        &plan.units,
        |u| format!("{} — {}", u.code, u.name),
        &mut rows,
    );
    rows_of(
        lang.t(Msg::Systems),
        &plan.systems,
        |s| format!("{} — {}", s.code, s.name),
        &mut rows,
    );
    rows_of(
        lang.t(Msg::Assets),
        &plan.assets,
        |a| format!("{} / {}", a.system, a.value),
        &mut rows,
    );
    rows_of(
        lang.t(Msg::Contacts),
        &plan.contacts,
        |c| format!("{} / {}", c.unit, c.name),
        &mut rows,
    );
    rows_of(
        lang.t(Msg::Authorities),
        &plan.authorities,
        |a| match a.valid_from {
            Some(from) => format!("{} ({})", a.code, super::format::date(from)),
            None => a.code.clone(),
        },
        &mut rows,
    );
    rows_of(
        lang.t(Msg::Monitors),
        &plan.monitors,
        |m| format!("{} / {} / {}", m.system, m.asset, m.name),
        &mut rows,
    );
    rows
}

fn op_label(lang: Lang, op: &str) -> &'static str {
    match op {
        "create" => lang.t(Msg::Created),
        "update" => lang.t(Msg::Updated),
        _ => lang.t(Msg::Deleted),
    }
}

fn preview_page(ctx: &Ctx, plan: &InventoryPlan, stash_id: &str, notice: Option<Msg>) -> Markup {
    let lang = ctx.lang;
    let summary = plan.summary();
    let rows = plan_rows(lang, plan);
    let body = html! {
        @if let Some(notice) = notice { div.notice.error role="alert" { (lang.t(notice)) } }
        section.tiles.plan-summary {
            div.tile { span.tile-count data-plan="created" { (summary.created) } span.tile-label { (lang.t(Msg::Created)) } }
            div.tile { span.tile-count data-plan="updated" { (summary.updated) } span.tile-label { (lang.t(Msg::Updated)) } }
            div.tile { span.tile-count data-plan="deleted" { (summary.deleted) } span.tile-label { (lang.t(Msg::Deleted)) } }
        }
        table.data.plan {
            thead { tr { th { (lang.t(Msg::Operation)) } th { (lang.t(Msg::Kind)) } th { (lang.t(Msg::Record)) } th { (lang.t(Msg::Details)) } } }
            tbody {
                @for row in rows.iter().take(PREVIEW_ROWS) {
                    tr class={ "op-" (row.op) } data-op=(row.op) {
                        td { span.badge class={ "op-" (row.op) } { (op_label(lang, row.op)) } }
                        td { (row.kind) }
                        td { (row.key) }
                        td { @if !row.fields.is_empty() { ul.plain.changes { @for f in &row.fields { li { code { (f) } } } } } }
                    }
                }
            }
        }
        @if rows.len() > PREVIEW_ROWS { p.muted { "… +" (rows.len() - PREVIEW_ROWS) } }
        form #apply-form method="post" action="/inventory/apply" {
            (forms::csrf_field(&ctx.csrf))
            input type="hidden" name="stash" value=(stash_id);
            button.primary type="submit" { (lang.t(Msg::Apply)) }
            " "
            a.button href="/inventory" { (lang.t(Msg::Cancel)) }
        }
    };
    layout::page(&ctx.chrome(), lang.t(Msg::Preview), body)
}

/// Parses the files and plans them against the caller's part of the store.
async fn make_plan(
    state: &AppState,
    ctx: &Ctx,
    files: &[(String, Vec<u8>)],
    prune: bool,
) -> Result<Result<InventoryPlan, InventoryErrors>, PageError> {
    let parsed =
        match canhgac_inventory::parse_files(files.iter().map(|(n, b)| (n.as_str(), b.as_slice())))
        {
            Ok(parsed) => parsed,
            Err(errors) => return Ok(Err(errors)),
        };
    let current = state.store.export_inventory(&ctx.scope()).await?;
    Ok(canhgac_inventory::plan(
        &current,
        &parsed,
        PlanOptions { prune },
    ))
}

/// `POST /inventory` (multipart: `file`..., `prune`, `csrf`): shows the plan.
pub async fn upload(
    State(state): State<AppState>,
    Extension(stash): Extension<ImportStash>,
    CsrfMultipart { ctx, form, files }: CsrfMultipart,
) -> Result<Response, PageError> {
    ctx.require_inventory_editor()?;
    let files: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .filter(|(name, f)| name == "file" && !(f.file_name.is_empty() && f.bytes.is_empty()))
        .map(|(_, f)| (f.file_name, f.bytes))
        .collect();
    if files.is_empty() {
        let errors = InventoryErrors(vec![canhgac_inventory::InventoryError::new(
            "file",
            None,
            None,
            "no file was uploaded",
        )]);
        return Ok(errors_page(&ctx, &errors));
    }
    let prune = form.checked("prune");
    let plan = match make_plan(&state, &ctx, &files, prune).await? {
        Ok(plan) => plan,
        Err(errors) => return Ok(errors_page(&ctx, &errors)),
    };
    preview_or_empty(&ctx, &stash, plan, files, prune, None)
}

fn preview_or_empty(
    ctx: &Ctx,
    stash: &ImportStash,
    plan: InventoryPlan,
    files: Vec<(String, Vec<u8>)>,
    prune: bool,
    notice: Option<Msg>,
) -> Result<Response, PageError> {
    if !plan.authorities.is_empty() && !ctx.role().can_edit_authorities() {
        let body = html! {
            div.notice.error role="alert" { (ctx.t(Msg::AuthoritiesNotAllowed)) }
            (upload_form(ctx))
        };
        return Ok((
            StatusCode::FORBIDDEN,
            layout::page(&ctx.chrome(), ctx.t(Msg::Inventory), body),
        )
            .into_response());
    }
    if plan.is_empty() {
        let body = html! {
            div.notice.success role="status" data-plan="empty" { (ctx.t(Msg::PlanEmpty)) }
            (upload_form(ctx))
        };
        return Ok(layout::page(&ctx.chrome(), ctx.t(Msg::Inventory), body).into_response());
    }
    let id = stash.put(Stashed {
        user_id: ctx.user.id,
        files,
        prune,
        fingerprint: fingerprint(&plan),
        at: Instant::now(),
    });
    Ok(preview_page(ctx, &plan, &id, notice).into_response())
}

/// `POST /inventory/apply` (`stash`, `csrf`): applies the previewed plan.
pub async fn apply(
    State(state): State<AppState>,
    Extension(stash): Extension<ImportStash>,
    CsrfForm { ctx, form }: CsrfForm,
) -> Result<Response, PageError> {
    ctx.require_inventory_editor()?;
    let Some(stashed) = stash.take(form.get("stash"), ctx.user.id) else {
        let body = html! { div.notice.error role="alert" { (ctx.t(Msg::ImportExpired)) } (upload_form(&ctx)) };
        return Ok((
            StatusCode::GONE,
            layout::page(&ctx.chrome(), ctx.t(Msg::Inventory), body),
        )
            .into_response());
    };
    let plan = match make_plan(&state, &ctx, &stashed.files, stashed.prune).await? {
        Ok(plan) => plan,
        Err(errors) => return Ok(errors_page(&ctx, &errors)),
    };
    if fingerprint(&plan) != stashed.fingerprint {
        return preview_or_empty(
            &ctx,
            &stash,
            plan,
            stashed.files,
            stashed.prune,
            Some(Msg::PlanChanged),
        );
    }
    if !plan.authorities.is_empty() && !ctx.role().can_edit_authorities() {
        return Err(PageError::Forbidden);
    }
    let summary = state
        .store
        .apply_inventory(&ctx.actor(), &plan)
        .await
        .map_err(forms::delete_refused)?;
    let lang = ctx.lang;
    let body = html! {
        div.notice.success role="status" { (lang.t(Msg::ImportDone)) }
        section.tiles.plan-summary {
            div.tile { span.tile-count data-applied="created" { (summary.created) } span.tile-label { (lang.t(Msg::Created)) } }
            div.tile { span.tile-count data-applied="updated" { (summary.updated) } span.tile-label { (lang.t(Msg::Updated)) } }
            div.tile { span.tile-count data-applied="deleted" { (summary.deleted) } span.tile-label { (lang.t(Msg::Deleted)) } }
        }
        p { a.button href="/units" { (lang.t(Msg::Units)) } " " a.button href="/inventory" { (lang.t(Msg::Inventory)) } }
    };
    Ok(layout::page(&ctx.chrome(), lang.t(Msg::ImportDone), body).into_response())
}

fn attachment(content_type: &'static str, file_name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

/// `GET /inventory/export.yaml`: the caller's part of the inventory as YAML.
pub async fn export_yaml(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let document = state.store.export_inventory(&ctx.scope()).await?;
    state
        .store
        .record_event(
            &ctx.actor(),
            "export",
            "inventory",
            Some(serde_json::json!({ "format": "yaml" })),
        )
        .await?;
    Ok(attachment(
        "application/yaml; charset=utf-8",
        "canhgac-inventory.yaml",
        canhgac_inventory::to_yaml(&document),
    ))
}

/// `GET /inventory/export/{units|systems|assets|contacts|authorities}.csv`.
pub async fn export_csv(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(file): Path<String>,
) -> Result<Response, PageError> {
    if !CSV_FILES.contains(&file.as_str()) {
        return Err(PageError::NotFound);
    }
    let document = state.store.export_inventory(&ctx.scope()).await?;
    state
        .store
        .record_event(
            &ctx.actor(),
            "export",
            "inventory",
            Some(serde_json::json!({ "format": "csv", "file": file })),
        )
        .await?;
    let content = canhgac_inventory::to_csv(&document)
        .into_iter()
        .find(|(name, _)| *name == file)
        .map(|(_, content)| content)
        .ok_or(PageError::NotFound)?;
    Ok(attachment("text/csv; charset=utf-8", &file, content))
}
