//! Form fields with their errors, input parsing, listing queries and pagination.
//!
//! Forms are rendered from [`FormData`] (the stored record's values, or what the user typed when
//! the submission failed) and [`Errors`] (messages shown next to their field), so a failed
//! submission comes back with the user's input kept.

use std::collections::HashMap;
use std::str::FromStr;

use canhgac_model::{Date, FieldError, Id, Page, PageRequest};
use canhgac_store::StoreError;
use maud::{html, Markup};

use super::error::PageError;
use super::format;
use super::i18n::{self, Lang, Msg};
pub use super::session::FormData;

/// Percent-encodes a query value.
pub fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Messages per field of a submitted form.
#[derive(Debug, Clone, Default)]
pub struct Errors {
    items: Vec<(String, String)>,
}

impl Errors {
    /// Adds a message for `field`.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        // Nested fields (`software.name`) are shown next to their form field (`software`).
        let field = field.split('.').next().unwrap_or(field);
        self.items.push((field.to_string(), message.into()));
    }

    /// The first message for `field`.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.items
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    /// True when no field failed.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Messages of fields not in `shown` (to list above the form).
    pub fn others<'a>(&'a self, shown: &[&str]) -> Vec<&'a (String, String)> {
        self.items
            .iter()
            .filter(|(f, _)| !shown.contains(&f.as_str()))
            .collect()
    }

    /// Records a validation failure of the model.
    pub fn field_error(&mut self, lang: Lang, err: &FieldError) {
        self.add(&err.field, i18n::field_message(lang, &err.message));
    }

    /// Adds the model's verdict on the parsed input (its first failing field) unless that field
    /// already has a message, so a form with a malformed date still says the name is missing.
    pub fn model_check(&mut self, lang: Lang, verdict: Result<(), FieldError>) {
        if let Err(err) = verdict {
            let field = err.field.split('.').next().unwrap_or(&err.field);
            if self.get(field).is_none() {
                self.field_error(lang, &err);
            }
        }
    }

    /// Turns a store error from a form submission into field messages; errors that are not
    /// about the input (not found, out of scope, database) become the page's error.
    pub fn store_error(&mut self, lang: Lang, err: StoreError) -> Result<(), PageError> {
        match err {
            StoreError::Conflict { field, message } => {
                self.add(&field, i18n::field_message(lang, &message));
                Ok(())
            }
            StoreError::Invalid(field_error) => {
                self.field_error(lang, &field_error);
                Ok(())
            }
            other => Err(other.into()),
        }
    }
}

/// Everything a field needs to draw itself.
pub struct FieldCtx<'a> {
    /// Page language.
    pub lang: Lang,
    /// Current values.
    pub values: &'a FormData,
    /// Messages.
    pub errors: &'a Errors,
}

impl FieldCtx<'_> {
    fn error(&self, name: &str) -> Markup {
        html! {
            @if let Some(message) = self.errors.get(name) {
                p.field-error id={ (name) "-error" } role="alert" { (message) }
            }
        }
    }

    fn described(&self, name: &str) -> Option<String> {
        self.errors.get(name).map(|_| format!("{name}-error"))
    }

    /// A one-line input (`kind`: text, email, password, number...).
    pub fn input(&self, label: &str, name: &str, kind: &str, required: bool) -> Markup {
        let value = if kind == "password" {
            ""
        } else {
            self.values.get(name)
        };
        html! {
            div.field.has-error[self.errors.get(name).is_some()] {
                label for=(name) { (label) @if required { span.req title=(self.lang.t(Msg::Required)) { " *" } } }
                input type=(kind) id=(name) name=(name) value=(value) required[required]
                    aria-invalid=[self.errors.get(name).map(|_| "true")]
                    aria-describedby=[self.described(name)];
                (self.error(name))
            }
        }
    }

    /// A date typed as dd/mm/yyyy.
    pub fn date(&self, label: &str, name: &str) -> Markup {
        html! {
            div.field.has-error[self.errors.get(name).is_some()] {
                label for=(name) { (label) " " span.hint { "(" (self.lang.t(Msg::DateHint)) ")" } }
                input type="text" id=(name) name=(name) value=(self.values.get(name))
                    placeholder="dd/mm/yyyy" inputmode="numeric" pattern="[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}|[0-9]{4}-[0-9]{2}-[0-9]{2}"
                    aria-invalid=[self.errors.get(name).map(|_| "true")]
                    aria-describedby=[self.described(name)];
                (self.error(name))
            }
        }
    }

    /// A multi-line text.
    pub fn textarea(&self, label: &str, name: &str) -> Markup {
        html! {
            div.field.has-error[self.errors.get(name).is_some()] {
                label for=(name) { (label) }
                textarea id=(name) name=(name) rows="3"
                    aria-invalid=[self.errors.get(name).map(|_| "true")]
                    aria-describedby=[self.described(name)] { (self.values.get(name)) }
                (self.error(name))
            }
        }
    }

    /// A drop-down; `blank` adds a first empty choice with that label.
    pub fn select(
        &self,
        label: &str,
        name: &str,
        options: &[(String, String)],
        blank: Option<&str>,
        required: bool,
    ) -> Markup {
        let current = self.values.get(name);
        html! {
            div.field.has-error[self.errors.get(name).is_some()] {
                label for=(name) { (label) @if required { span.req { " *" } } }
                select id=(name) name=(name) required[required]
                    aria-invalid=[self.errors.get(name).map(|_| "true")]
                    aria-describedby=[self.described(name)] {
                    @if let Some(blank) = blank { option value="" { (blank) } }
                    @for (value, text) in options {
                        option value=(value) selected[value == current] { (text) }
                    }
                }
                (self.error(name))
            }
        }
    }

    /// A list box allowing several choices.
    pub fn multi_select(
        &self,
        label: &str,
        name: &str,
        options: &[(String, String)],
        hint: &str,
    ) -> Markup {
        let current = self.values.all(name);
        html! {
            div.field.has-error[self.errors.get(name).is_some()] {
                label for=(name) { (label) " " span.hint { "(" (hint) ")" } }
                select id=(name) name=(name) multiple size="8"
                    aria-describedby=[self.described(name)] {
                    @for (value, text) in options {
                        option value=(value) selected[current.contains(&value.as_str())] { (text) }
                    }
                }
                (self.error(name))
            }
        }
    }

    /// A check box (value `1`).
    pub fn checkbox(&self, label: &str, name: &str) -> Markup {
        html! {
            div.field.checkbox {
                label {
                    input type="checkbox" name=(name) value="1" checked[self.values.checked(name)];
                    " " (label)
                }
            }
        }
    }

    /// Errors of fields the form does not show, and a general note when any field failed.
    pub fn summary(&self, shown: &[&str]) -> Markup {
        html! {
            @if !self.errors.is_empty() {
                div.notice.error role="alert" {
                    p { (self.lang.t(Msg::FormHasErrors)) }
                    @let others = self.errors.others(shown);
                    @if !others.is_empty() {
                        ul { @for (field, message) in others { li { code { (field) } ": " (message) } } }
                    }
                }
            }
        }
    }
}

/// The hidden CSRF field every POST form carries.
pub fn csrf_field(csrf: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(csrf); }
}

/// A one-button POST form (delete, disable, revoke...).
pub fn action_button(action: &str, csrf: &str, label: &str, class: &str) -> Markup {
    html! {
        form.inline method="post" action=(action) {
            (csrf_field(csrf))
            button type="submit" class=(class) { (label) }
        }
    }
}

/// Reads a required id field.
pub fn req_id(form: &FormData, name: &str, lang: Lang, errors: &mut Errors) -> Id {
    match form.get(name).trim() {
        "" => {
            errors.add(name, i18n::field_message(lang, "is required"));
            0
        }
        text => text.parse().unwrap_or_else(|_| {
            errors.add(name, lang.t(Msg::InvalidChoice));
            0
        }),
    }
}

/// Reads an optional id field.
pub fn opt_id(form: &FormData, name: &str, lang: Lang, errors: &mut Errors) -> Option<Id> {
    match form.get(name).trim() {
        "" => None,
        text => text.parse().map(Some).unwrap_or_else(|_| {
            errors.add(name, lang.t(Msg::InvalidChoice));
            None
        }),
    }
}

/// Reads a required choice of a string-coded enum.
pub fn req_enum<T: FromStr>(
    form: &FormData,
    name: &str,
    lang: Lang,
    errors: &mut Errors,
) -> Option<T> {
    match form.get(name).trim() {
        "" => {
            errors.add(name, i18n::field_message(lang, "is required"));
            None
        }
        text => text.parse().map(Some).unwrap_or_else(|_| {
            errors.add(name, lang.t(Msg::InvalidChoice));
            None
        }),
    }
}

/// Reads an optional choice of a string-coded enum.
pub fn opt_enum<T: FromStr>(
    form: &FormData,
    name: &str,
    lang: Lang,
    errors: &mut Errors,
) -> Option<T> {
    match form.get(name).trim() {
        "" => None,
        _ => req_enum(form, name, lang, errors),
    }
}

/// Reads an optional small number.
pub fn opt_u8(form: &FormData, name: &str, lang: Lang, errors: &mut Errors) -> Option<u8> {
    match form.get(name).trim() {
        "" => None,
        text => text.parse().map(Some).unwrap_or_else(|_| {
            errors.add(name, lang.t(Msg::InvalidNumber));
            None
        }),
    }
}

/// Reads an optional date typed as dd/mm/yyyy (or yyyy-mm-dd).
pub fn opt_date(form: &FormData, name: &str, lang: Lang, errors: &mut Errors) -> Option<Date> {
    format::parse_date(form.get(name)).unwrap_or_else(|_| {
        errors.add(name, lang.t(Msg::InvalidDate));
        None
    })
}

/// An optional text (blank is `None`; the model trims).
pub fn opt_text(form: &FormData, name: &str) -> Option<String> {
    let text = form.get(name);
    (!text.trim().is_empty()).then(|| text.to_string())
}

/// One item per non-blank line of a textarea.
pub fn lines(form: &FormData, name: &str) -> Vec<String> {
    form.get(name)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Query parameters of a listing.
pub type Params = HashMap<String, String>;

/// The page request of a listing (`page`, `per_page`, `q`).
pub fn page_request(params: &Params) -> PageRequest {
    let page = params.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let per_page = params
        .get("per_page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(50)
        .min(200);
    let mut request = PageRequest::new(page, per_page);
    request.q = params.get("q").filter(|q| !q.trim().is_empty()).cloned();
    request
}

/// An id filter from the query string (ignored when malformed).
pub fn param_id(params: &Params, name: &str) -> Option<Id> {
    params.get(name).and_then(|v| v.trim().parse().ok())
}

/// `base` with the non-empty `params` except `drop`, in a stable order, plus `extra`.
fn link_with(base: &str, params: &Params, drop: &[&str], extra: Option<(&str, String)>) -> String {
    let mut query: Vec<(String, String)> = params
        .iter()
        .filter(|(k, v)| !drop.contains(&k.as_str()) && !v.is_empty())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    query.sort();
    if let Some((k, v)) = extra {
        query.push((k.to_string(), v));
    }
    if query.is_empty() {
        return base.to_string();
    }
    let query: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{}={}", url_encode(k), url_encode(v)))
        .collect();
    format!("{base}?{}", query.join("&"))
}

/// Links to the previous and next page, keeping the other parameters.
pub fn pager<T>(lang: Lang, base: &str, params: &Params, page: &Page<T>) -> Markup {
    let link = |number: u64| link_with(base, params, &["page"], Some(("page", number.to_string())));
    let current = u64::from(page.page);
    html! {
        nav.pager aria-label=(lang.t(Msg::PageOf)) {
            span.total { (lang.t(Msg::Total)) ": " strong data-total=(page.total) { (page.total) } }
            @if page.pages() > 1 {
                @if current > 1 { a rel="prev" href=(link(current - 1)) { "‹ " (lang.t(Msg::Previous)) } }
                span { (lang.t(Msg::PageOf)) " " (current) "/" (page.pages()) }
                @if current < page.pages() { a rel="next" href=(link(current + 1)) { (lang.t(Msg::Next)) " ›" } }
            }
        }
    }
}

/// A search box with optional extra filter fields, submitted by GET.
pub fn search_form(lang: Lang, action: &str, params: &Params, extra: Markup) -> Markup {
    html! {
        form.filters method="get" action=(action) role="search" {
            div.field {
                label for="q" { (lang.t(Msg::Search)) }
                input type="search" id="q" name="q" value=(params.get("q").map_or("", String::as_str));
            }
            (extra)
            button type="submit" { (lang.t(Msg::Filter)) }
        }
    }
}

/// An active id filter of a listing (`name=id`, set by links from a unit's or a system's page)
/// shown as a named chip: a link removes it and keeps the other parameters, and a hidden field
/// keeps it when the search form is submitted. Listings use this rather than a drop-down of
/// every unit, which would weigh on every request of a large inventory.
pub fn filter_chip(
    lang: Lang,
    base: &str,
    label: &str,
    name: &str,
    value: (Id, &str),
    params: &Params,
) -> Markup {
    let (id, text) = value;
    html! {
        div.field {
            span.label { (label) }
            span.badge.chip data-filter=(name) {
                (text)
                a href=(link_with(base, params, &[name, "page"], None)) title=(lang.t(Msg::RemoveFilter)) aria-label=(lang.t(Msg::RemoveFilter)) { "×" }
            }
            input type="hidden" name=(name) value=(id);
        }
    }
}

/// A drop-down filter for a listing (blank = all).
pub fn filter_select(
    lang: Lang,
    label: &str,
    name: &str,
    options: &[(String, String)],
    params: &Params,
) -> Markup {
    let current = params.get(name).map_or("", String::as_str);
    html! {
        div.field {
            label for=(name) { (label) }
            select id=(name) name=(name) {
                option value="" { (lang.t(Msg::All)) }
                @for (value, text) in options {
                    option value=(value) selected[value == current] { (text) }
                }
            }
        }
    }
}

/// Optional text shown as-is, or a dash.
pub fn or_dash(value: Option<&str>) -> &str {
    value.filter(|v| !v.is_empty()).unwrap_or("—")
}

/// A create or edit page: the form posting to `action`, with Save and Cancel.
pub fn form_page(
    chrome: &super::layout::Chrome,
    title: &str,
    action: &str,
    cancel: &str,
    fields: Markup,
) -> Markup {
    let lang = chrome.lang;
    super::layout::page(
        chrome,
        title,
        html! {
            form.card.entity-form method="post" action=(action) {
                (csrf_field(chrome.csrf.as_deref().unwrap_or_default()))
                (fields)
                div.actions {
                    button.primary type="submit" { (lang.t(Msg::Save)) }
                    " "
                    a.button href=(cancel) { (lang.t(Msg::Cancel)) }
                }
            }
        },
    )
}

/// The heading of a record's page: its name in `<h1>`, with Edit and Delete when allowed.
pub fn detail_heading(
    ctx: &super::session::Ctx,
    title: &str,
    base: &str,
    can_edit: bool,
) -> Markup {
    html! {
        div.page-heading {
            h1 { (title) }
            @if can_edit {
                div.actions {
                    a.button href={ (base) "/edit" } { (ctx.t(Msg::Edit)) }
                    " "
                    (action_button(&format!("{base}/delete"), &ctx.csrf, ctx.t(Msg::Delete), "danger"))
                }
            }
        }
    }
}

/// Label/value rows of a record.
pub fn details(rows: &[(&str, Markup)]) -> Markup {
    html! {
        dl.details {
            @for (label, value) in rows {
                dt { (label) }
                dd { (value) }
            }
        }
    }
}

/// A form page answered with 422 because of `errors`.
pub fn unprocessable(page: Markup) -> axum::response::Response {
    use axum::response::IntoResponse;
    (axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

/// A delete refused by the store because of a rule (e.g. a unit still has systems): a 409 page
/// saying why.
pub fn delete_refused(err: StoreError) -> PageError {
    match err {
        StoreError::Conflict { message, .. } => PageError::BadRequest(message),
        other => other.into(),
    }
}
