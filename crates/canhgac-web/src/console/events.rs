//! `GET /events`: search stored events (time range, last 24 hours by default; unit; host;
//! field = value; words), newest first, each expandable to every field; `POST /events/import`:
//! a log file uploaded into the live path; and the field tables the alert pages reuse for
//! their evidence.

use std::collections::HashMap;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use canhgac_eventlog::StoredEvent;
use canhgac_model::{Event, Id};
use maud::{html, Markup};

use super::error::PageError;
use super::format;
use super::forms::{self, Params};
use super::i18n::Msg;
use super::layout;
use super::session::{CsrfMultipart, Ctx};
use super::units::unit_names;
use crate::api::may_respond;
use crate::detection::SubmitError;
use crate::events::{SearchError, SearchFields};
use crate::AppState;

/// Events per page of the console.
const PAGE_EVENTS: usize = 50;

/// Most characters of a message shown in the results table (the whole message is in the
/// expanded fields).
const MESSAGE_CHARS: usize = 160;

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut out: String = text.chars().take(max).collect();
        out.push('…');
        out
    }
}

/// Every field of `event` (and its time, host, sender, message) as a two-column table.
pub fn event_table(ctx: &Ctx, event: &Event) -> Markup {
    let lang = ctx.lang;
    html! {
        table.data.fields {
            tbody {
                tr { th { (lang.t(Msg::When)) } td { (ctx.time(event.time)) } }
                tr { th { (lang.t(Msg::Received)) } td { (ctx.time(event.received)) } }
                tr { th { (lang.t(Msg::Kind)) } td { code { (event.kind.code()) } } }
                tr { th { (lang.t(Msg::Host)) } td { (forms::or_dash(event.host.as_deref())) } }
                @if let Some(peer) = event.peer { tr { th { (lang.t(Msg::Peer)) } td { code { (peer) } } } }
                @for (name, value) in event.fields.iter() {
                    tr { th { code { (name) } } td.value { (value.to_text()) } }
                }
                tr { th { (lang.t(Msg::Message)) } td { pre.message { (event.message) } } }
            }
        }
    }
}

/// Evidence kept in an alert, as field tables: an event (fields as `[name, value]` pairs) or
/// any JSON object row by row; other JSON as it is. The event's own `time` and `received` are
/// shown in the console's zone.
pub fn evidence_table(ctx: &Ctx, value: &serde_json::Value) -> Markup {
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    let instant = |name: &str, v: &serde_json::Value| {
        matches!(name, "time" | "received")
            .then(|| v.as_str()?.parse::<jiff::Timestamp>().ok())
            .flatten()
            .map_or_else(|| text(v), |at| ctx.time(at))
    };
    match value {
        serde_json::Value::Object(object) => html! {
            table.data.fields {
                tbody {
                    @for (name, v) in object {
                        @match (name.as_str(), v) {
                            ("fields", serde_json::Value::Array(pairs)) => {
                                @for pair in pairs {
                                    @match pair.as_array().map(Vec::as_slice) {
                                        Some([field, v]) => tr { th { code { (text(field)) } } td.value { (text(v)) } },
                                        _ => tr { th {} td.value { (text(pair)) } },
                                    }
                                }
                            }
                            ("message", v) => tr { th { code { (name) } } td { pre.message { (text(v)) } } },
                            _ => tr { th { code { (name) } } td.value { (instant(name, v)) } },
                        }
                    }
                }
            }
        },
        other => html! { pre.json { (serde_json::to_string_pretty(other).unwrap_or_default()) } },
    }
}

fn results(
    ctx: &Ctx,
    events: &[StoredEvent],
    names: &HashMap<Id, String>,
    params: &Params,
) -> Markup {
    let lang = ctx.lang;
    let unit_link = |id: Option<Id>| {
        html! {
            @if let Some(id) = id {
                @if let Some(name) = names.get(&id) {
                    a href=(unit_filter_link(params, id)) { (name) }
                } @else {
                    span.muted { "#" (id) }
                }
            } @else {
                span.muted { (lang.t(Msg::Unattributed)) }
            }
        }
    };
    html! {
        @if events.is_empty() { p.empty { (lang.t(Msg::NoEventsFound)) } } @else {
            table.data.events {
                thead { tr {
                    th { (lang.t(Msg::When)) } th { (lang.t(Msg::Unit)) } th { (lang.t(Msg::Host)) }
                    th { (lang.t(Msg::Message)) }
                } }
                tbody {
                    @for stored in events {
                        @let event = &stored.event;
                        tr data-cursor=(stored.cursor.to_string()) {
                            td.nowrap { (ctx.time(event.time)) }
                            td { (unit_link(event.unit_id)) }
                            td { (forms::or_dash(event.host.as_deref())) }
                            td {
                                details {
                                    summary { (shorten(&event.message, MESSAGE_CHARS)) }
                                    (event_table(ctx, event))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn unit_filter_link(params: &Params, unit: Id) -> String {
    let mut kept = params.clone();
    kept.remove("before");
    kept.insert("unit_id".into(), unit.to_string());
    link(&kept)
}

fn link(params: &Params) -> String {
    let mut pairs: Vec<(&String, &String)> = params.iter().collect();
    pairs.sort();
    let query: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", forms::url_encode(k), forms::url_encode(v)))
        .collect();
    format!("/events?{}", query.join("&"))
}

/// `GET /events?from=&to=&unit_id=&host=&field=&q=&before=`. Without `from`, the last 24 hours.
pub async fn search(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(params): Query<Params>,
) -> Result<Markup, PageError> {
    events_page(&state, &ctx, params, None).await
}

/// The upload form for a log file (EVTX, JSON lines, syslog, access log).
fn upload_form(ctx: &Ctx) -> Markup {
    let lang = ctx.lang;
    html! {
        details.card #log-upload {
            summary { (lang.t(Msg::UploadLog)) }
            form method="post" action="/events/import" enctype="multipart/form-data" {
                p.hint { (lang.t(Msg::UploadLogHint)) }
                (forms::csrf_field(&ctx.csrf))
                div.field {
                    label for="log-file" { (lang.t(Msg::File)) }
                    input #log-file type="file" name="file" required;
                }
                div.actions { button.primary type="submit" { (lang.t(Msg::Import)) } }
            }
        }
    }
}

/// `POST /events/import` (multipart, field `file`): a log file read, attributed, detected and
/// stored like any batch; the page tells how many events were stored and which records were
/// skipped.
pub async fn import(
    State(state): State<AppState>,
    CsrfMultipart { ctx, files, .. }: CsrfMultipart,
) -> Result<Response, PageError> {
    // Events are attributed by the inventory, not the sender: uploads need every unit.
    ctx.require(may_respond(ctx.role()) && ctx.scope().is_all())?;
    let lang = ctx.lang;
    let Some(detection) = state.detection.clone() else {
        return Err(PageError::BadRequest(lang.t(Msg::DetectionOff).into()));
    };
    let Some((_, file)) = files.into_iter().find(|(name, _)| name == "file") else {
        return Err(PageError::BadRequest("no file was sent".into()));
    };
    let (status, notice) = match detection
        .submit_file(file.file_name.clone(), Bytes::from(file.bytes))
        .await
    {
        Ok(receipt) => (
            StatusCode::OK,
            html! {
                div.notice.success role="status" #upload-result {
                    p {
                        (lang.t(Msg::LogImported)) " " code { (file.file_name) } " (" (receipt.format) "): "
                        strong data-accepted=(receipt.accepted) { (receipt.accepted) } " " (lang.t(Msg::EventsStored).to_lowercase())
                        ", " span data-skipped=(receipt.skipped) { (receipt.skipped) } " " (lang.t(Msg::Skipped)) "."
                    }
                    @if !receipt.problems.is_empty() {
                        ul { @for problem in &receipt.problems { li { code { (problem) } } } }
                    }
                }
            },
        ),
        Err(error) => {
            let status = match &error {
                SubmitError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                SubmitError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
                SubmitError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            };
            (
                status,
                html! {
                    div.notice.error role="alert" #upload-result {
                        p { (lang.t(Msg::LogNotImported)) " " code { (file.file_name) } ": " (error) }
                    }
                },
            )
        }
    };
    let page = events_page(&state, &ctx, Params::new(), Some(notice)).await?;
    Ok((status, page).into_response())
}

async fn events_page(
    state: &AppState,
    ctx: &Ctx,
    mut params: Params,
    notice: Option<Markup>,
) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let scope = ctx.scope();
    if !params.contains_key("from") {
        let day_ago = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24);
        params.insert("from".into(), format::datetime(day_ago, &ctx.tz));
    }
    let text = |name: &str| params.get(name).cloned();
    let fields = SearchFields {
        from: text("from"),
        to: text("to"),
        unit_id: forms::param_id(&params, "unit_id"),
        host: text("host"),
        fields: params
            .get("field")
            .map(|f| f.lines().map(str::to_string).collect())
            .unwrap_or_default(),
        q: text("q"),
        limit: Some(PAGE_EVENTS),
        before: text("before"),
    };
    let filtered_unit = match fields.unit_id {
        Some(id) => unit_names(state, &scope, &[id]).await?.remove(&id),
        None => None,
    };
    let mut problem = None;
    let mut outcome = None;
    match &state.detection {
        None => problem = Some(html! { div.notice { p { (lang.t(Msg::DetectionOff)) } } }),
        Some(detection) => {
            match fields
                .to_query(state.store.as_ref(), &scope, &ctx.tz, PAGE_EVENTS)
                .await
            {
                Err(SearchError::Invalid { field, message }) => {
                    problem = Some(html! {
                        div.notice.error role="alert" { p { code { (field) } ": " (message) } }
                    });
                }
                Err(SearchError::Store(err)) => return Err(err.into()),
                Ok(query) => {
                    let started = Instant::now();
                    match detection.search(query).await {
                        Ok(page) => outcome = Some((page, started.elapsed())),
                        Err(message) => {
                            tracing::error!(%message, "event search failed");
                            problem = Some(html! {
                                div.notice.error role="alert" { p { (lang.t(Msg::SearchFailed)) } }
                            });
                        }
                    }
                }
            }
        }
    }
    let names = match &outcome {
        Some((page, _)) => {
            let mut ids: Vec<Id> = page.events.iter().filter_map(|e| e.event.unit_id).collect();
            ids.sort_unstable();
            ids.dedup();
            unit_names(state, &scope, &ids).await?
        }
        None => HashMap::new(),
    };
    let more = outcome
        .as_ref()
        .and_then(|(page, _)| page.next)
        .map(|next| {
            let mut more = params.clone();
            more.insert("before".into(), next.to_string());
            link(&more)
        });
    let value = |name: &str| params.get(name).map_or("", String::as_str).to_string();
    let body = html! {
        @if let Some(notice) = notice { (notice) }
        @if state.detection.is_some() && may_respond(ctx.role()) && ctx.scope().is_all() { (upload_form(ctx)) }
        form.filters.event-search method="get" action="/events" role="search" {
            div.field {
                label for="from" { (lang.t(Msg::From)) " " span.hint { "(dd/mm/yyyy HH:MM)" } }
                input #from type="text" name="from" value=(value("from")) placeholder="dd/mm/yyyy HH:MM";
            }
            div.field {
                label for="to" { (lang.t(Msg::To)) }
                input #to type="text" name="to" value=(value("to")) placeholder="dd/mm/yyyy HH:MM";
            }
            @if let (Some(id), Some(name)) = (fields.unit_id, &filtered_unit) {
                (forms::filter_chip(lang, "/events", lang.t(Msg::Unit), "unit_id", (id, name), &params))
            }
            div.field {
                label for="host" { (lang.t(Msg::Host)) }
                input #host type="text" name="host" value=(value("host"));
            }
            div.field {
                label for="field" { (lang.t(Msg::FieldConditions)) }
                textarea #field name="field" rows="2" placeholder="EventID=4688" { (value("field")) }
            }
            div.field {
                label for="q" { (lang.t(Msg::FreeText)) }
                input #q type="search" name="q" value=(value("q"));
            }
            button type="submit" { (lang.t(Msg::Search)) }
        }
        @if let Some(problem) = problem { (problem) }
        @if let Some((page, took)) = &outcome {
            p.search-stats {
                (lang.t(Msg::Scanned)) ": " strong data-scanned=(page.scanned) { (page.scanned) }
                " · " (lang.t(Msg::TookMs)) ": " strong data-took-ms=(took.as_millis()) { (took.as_millis()) " ms" }
            }
            (results(ctx, &page.events, &names, &params))
            @if let Some(more) = &more {
                nav.pager { a rel="next" href=(more) { (lang.t(Msg::MoreEvents)) " ›" } }
            }
        }
    };
    Ok(layout::page(&ctx.chrome(), lang.t(Msg::Events), body))
}
