//! Indicators of compromise: the listing (kind filter, search), one-by-one adding, CSV upload
//! (all or nothing, every error named by its line), deleting. Indicators apply to every unit:
//! everyone reads them; changing them needs a role that acts and a view of every unit.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use canhgac_model::{Id, Indicator, IndicatorInput, IndicatorKind, Page, Severity};
use canhgac_store::IndicatorFilter;
use maud::{html, Markup};

use super::alerts::severity_badge;
use super::error::PageError;
use super::format;
use super::forms::{self, Errors, FieldCtx, FormData, Params};
use super::i18n::{self, Lang, Msg};
use super::layout;
use super::session::{see_other, CsrfForm, CsrfMultipart, Ctx};
use crate::api::may_respond;
use crate::AppState;

/// True when the signed-in user may add and delete indicators.
fn may_edit(ctx: &Ctx) -> bool {
    may_respond(ctx.role()) && ctx.scope().is_all()
}

fn kind_options(lang: Lang) -> Vec<(String, String)> {
    IndicatorKind::ALL
        .iter()
        .map(|k| {
            (
                k.code().to_string(),
                i18n::indicator_kind(lang, *k).to_string(),
            )
        })
        .collect()
}

fn severity_options(lang: Lang) -> Vec<(String, String)> {
    Severity::ALL
        .iter()
        .rev()
        .map(|s| (s.code().to_string(), i18n::severity(lang, *s).to_string()))
        .collect()
}

/// What the page shows besides the listing: the add form's state, and the upload's outcome.
#[derive(Default)]
struct Extras {
    values: FormData,
    errors: Errors,
    file_errors: Vec<String>,
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    params: &Params,
    extras: &Extras,
) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let filter = IndicatorFilter {
        kind: params.get("kind").and_then(|k| IndicatorKind::from_code(k)),
    };
    let listing: Page<Indicator> = state
        .store
        .list_indicators(&filter, &forms::page_request(params))
        .await?;
    let editable = may_edit(ctx);
    let f = FieldCtx {
        lang,
        values: &extras.values,
        errors: &extras.errors,
    };
    let imported = (params.get("created"), params.get("updated"));
    let body = html! {
        @if let (Some(created), Some(updated)) = imported {
            div.notice.success role="status" {
                p { (lang.t(Msg::IndicatorsImported)) ": " span data-created=(created) { (created) } " " (lang.t(Msg::Created).to_lowercase()) ", " span data-updated=(updated) { (updated) } " " (lang.t(Msg::Updated).to_lowercase()) "." }
            }
        }
        @if !extras.file_errors.is_empty() {
            div.notice.error role="alert" #import-errors {
                p { (lang.t(Msg::IndicatorFileErrors)) }
                ul { @for error in &extras.file_errors { li { code { (error) } } } }
            }
        }
        (forms::search_form(lang, "/indicators", params, html! {
            (forms::filter_select(lang, lang.t(Msg::Kind), "kind", &kind_options(lang), params))
        }))
        @if listing.items.is_empty() { p.empty { (lang.t(Msg::Empty)) } } @else {
            table.data.indicators {
                thead { tr {
                    th { (lang.t(Msg::Kind)) } th { (lang.t(Msg::IndicatorValue)) } th { (lang.t(Msg::Severity)) }
                    th { (lang.t(Msg::Source)) } th { (lang.t(Msg::Description)) } th { (lang.t(Msg::Tags)) }
                    th { (lang.t(Msg::ExpiresAt)) } th { (lang.t(Msg::CreatedAt)) }
                    @if editable { th {} }
                } }
                tbody {
                    @for indicator in &listing.items {
                        tr data-indicator=(indicator.id) {
                            td { (i18n::indicator_kind(lang, indicator.kind)) }
                            td { code { (indicator.value) } }
                            td { (severity_badge(lang, indicator.severity)) }
                            td { (indicator.source) }
                            td { (forms::or_dash(Some(&indicator.description))) }
                            td { (indicator.tags.join(", ")) }
                            td.nowrap { (indicator.expires_at.map(|t| ctx.time(t)).unwrap_or_else(|| "—".into())) }
                            td.nowrap { (ctx.time(indicator.created_at)) }
                            @if editable {
                                td { (forms::action_button(&format!("/indicators/{}/delete", indicator.id), &ctx.csrf, lang.t(Msg::Delete), "danger")) }
                            }
                        }
                    }
                }
            }
        }
        (forms::pager(lang, "/indicators", params, &listing))
        @if editable {
            div.columns {
                form.card.entity-form #indicator-form method="post" action="/indicators" {
                    h2 { (lang.t(Msg::AddIndicator)) }
                    (forms::csrf_field(&ctx.csrf))
                    (f.summary(&["kind", "value", "severity", "source", "description", "tags", "expires_at"]))
                    div.field-row {
                        (f.select(lang.t(Msg::Kind), "kind", &kind_options(lang), None, true))
                        (f.input(lang.t(Msg::IndicatorValue), "value", "text", true))
                    }
                    div.field-row {
                        (f.select(lang.t(Msg::Severity), "severity", &severity_options(lang), None, true))
                        (f.input(lang.t(Msg::Source), "source", "text", false))
                    }
                    (f.input(lang.t(Msg::Description), "description", "text", false))
                    (f.input(lang.t(Msg::Tags), "tags", "text", false))
                    (f.input(&format!("{} (dd/mm/yyyy HH:MM)", lang.t(Msg::ExpiresAt)), "expires_at", "text", false))
                    div.actions { button.primary type="submit" { (lang.t(Msg::AddIndicator)) } }
                }
                form.card #indicator-import method="post" action="/indicators/import" enctype="multipart/form-data" {
                    h2 { (lang.t(Msg::ImportIndicators)) }
                    p.hint { (lang.t(Msg::ImportIndicatorsHint)) }
                    (forms::csrf_field(&ctx.csrf))
                    div.field {
                        label for="file" { (lang.t(Msg::File)) }
                        input #file type="file" name="file" accept=".csv,text/csv" required;
                    }
                    div.actions { button.primary type="submit" { (lang.t(Msg::Import)) } }
                }
            }
        } @else {
            p.muted { (lang.t(Msg::IndicatorsEveryUnit)) }
        }
    };
    Ok(layout::page(&ctx.chrome(), lang.t(Msg::Indicators), body))
}

fn new_values() -> FormData {
    FormData::from_pairs(vec![
        ("kind".into(), IndicatorKind::Ip.code().into()),
        ("severity".into(), Severity::High.code().into()),
    ])
}

/// `GET /indicators?kind=&q=&page=`.
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(params): Query<Params>,
) -> Result<Markup, PageError> {
    let extras = Extras {
        values: new_values(),
        ..Extras::default()
    };
    page(&state, &ctx, &params, &extras).await
}

/// `POST /indicators`: adds (or updates, same kind and value) one indicator.
pub async fn create(
    State(state): State<AppState>,
    CsrfForm { ctx, form }: CsrfForm,
) -> Result<Response, PageError> {
    ctx.require(may_edit(&ctx))?;
    let lang = ctx.lang;
    let mut errors = Errors::default();
    let kind = forms::req_enum(&form, "kind", lang, &mut errors).unwrap_or(IndicatorKind::Ip);
    let severity = forms::req_enum(&form, "severity", lang, &mut errors).unwrap_or(Severity::High);
    let expires_at = format::parse_datetime(form.get("expires_at"), &ctx.tz).unwrap_or_else(|_| {
        errors.add("expires_at", lang.t(Msg::InvalidDate));
        None
    });
    let mut input = IndicatorInput {
        kind,
        value: form.get("value").to_string(),
        source: form.get("source").trim().to_string(),
        description: form.get("description").trim().to_string(),
        severity,
        tags: form
            .get("tags")
            .split([',', ';'])
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        expires_at,
        meta: Default::default(),
    };
    errors.model_check(lang, input.validate());
    if errors.is_empty() {
        match state
            .store
            .import_indicators(&ctx.actor(), vec![input])
            .await
        {
            Ok(_) => return Ok(see_other("/indicators")),
            Err(err) => errors.store_error(lang, err)?,
        }
    }
    let extras = Extras {
        values: form,
        errors,
        file_errors: Vec::new(),
    };
    Ok(forms::unprocessable(
        page(&state, &ctx, &Params::new(), &extras).await?,
    ))
}

/// `POST /indicators/import` (multipart, field `file`): a CSV file, all or nothing.
pub async fn import(
    State(state): State<AppState>,
    CsrfMultipart { ctx, files, .. }: CsrfMultipart,
) -> Result<Response, PageError> {
    ctx.require(may_edit(&ctx))?;
    let Some((_, file)) = files.into_iter().find(|(name, _)| name == "file") else {
        return Err(PageError::BadRequest("no file was sent".into()));
    };
    let outcome = match crate::api::indicators::parse_csv(&file.bytes, &ctx.tz) {
        Ok(inputs) => match state.store.import_indicators(&ctx.actor(), inputs).await {
            Ok(done) => {
                return Ok(see_other(&format!(
                    "/indicators?created={}&updated={}",
                    done.created, done.updated
                )))
            }
            Err(canhgac_store::StoreError::Invalid(error)) => {
                vec![format!("{}: {}", error.field, error.message)]
            }
            Err(err) => return Err(err.into()),
        },
        Err(errors) => errors,
    };
    let extras = Extras {
        values: new_values(),
        errors: Errors::default(),
        file_errors: outcome,
    };
    Ok(forms::unprocessable(
        page(&state, &ctx, &Params::new(), &extras).await?,
    ))
}

/// `POST /indicators/{id}/delete`.
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { ctx, .. }: CsrfForm,
) -> Result<Response, PageError> {
    ctx.require(may_edit(&ctx))?;
    state.store.delete_indicator(&ctx.actor(), id).await?;
    Ok(see_other("/indicators"))
}
