//! The HTML console: server-rendered with maud, fully usable without JavaScript, Vietnamese first.
//!
//! Code map:
//! - [`i18n`]: languages and the translation table; [`format`]: dates and times;
//! - [`session`]: the [`session::Ctx`] extractor (signed-in user, language) and the CSRF-checked
//!   [`session::CsrfForm`] / [`session::CsrfMultipart`], which are the only way a console handler
//!   reads a POST body, so no handler can forget the check;
//! - [`layout`]: the page frame, the navigation list ([`layout::NAV`], where later capabilities add
//!   their sections) and the stylesheet; [`error`]: 404/403/500 pages;
//! - [`crud`]: the new/create/edit/update/delete handlers shared by units, systems, assets,
//!   contacts and authorities, each of which implements [`crud::InventoryPage`];
//! - one module per page family: [`auth_pages`], [`dashboard`], [`units`], [`systems`], [`assets`],
//!   [`contacts`], [`authorities`], [`users`], [`audit`], [`inventory`]; detection:
//!   [`alerts`], [`events`], [`indicators`], [`rules`] (rules, overrides, suppressions);
//!   findings of every producer and the account hygiene view: [`findings`]; scans of the
//!   inventory, their diff and schedules: [`scans`]; scanning an
//!   uploaded file: [`malware`];
//!   [`header`]: the open-alert count of the page header; watch: [`monitors`] (status board,
//!   monitor pages, maintenance, defacement approval, the public `/status` page) with its
//!   server-side SVG [`chart`]; respond: [`bulletins`] (awareness bulletins, the outbox, the
//!   public confirmation page).
//!
//! Handlers never decide visibility themselves: they pass the caller's scope to the store, which
//! answers `NotFound` for records outside it; role checks (viewer, admin) are done here.

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

pub mod alerts;
pub mod assets;
pub mod audit;
pub mod auth_pages;
pub mod authorities;
pub mod bulletins;
pub mod chart;
pub mod contacts;
pub mod crud;
pub mod dashboard;
pub mod directive;
pub mod duty;
pub mod error;
pub mod events;
pub mod findings;
pub mod flow;
pub mod format;
pub mod forms;
pub mod header;
pub mod i18n;
pub mod incidents;
pub mod indicators;
pub mod inventory;
pub mod layout;
pub mod malware;
pub mod monitors;
pub mod redundancy;
pub mod rules;
pub mod scans;
pub mod session;
pub mod systems;
pub mod units;
pub mod users;

pub use error::PageError;
pub use i18n::Lang;

/// Routes of the console.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(dashboard::show))
        .route("/static/console.css", get(layout::stylesheet))
        .route("/lang/{lang}", get(auth_pages::set_lang))
        .route(
            "/setup",
            get(auth_pages::setup_form).post(auth_pages::setup),
        )
        .route(
            "/login",
            get(auth_pages::login_form).post(auth_pages::login),
        )
        .route("/logout", post(auth_pages::logout))
        .merge(crud::routes::<units::Units>(
            get(units::list),
            get(units::show),
        ))
        .merge(crud::routes::<systems::Systems>(
            get(systems::list),
            get(systems::show),
        ))
        .merge(crud::routes::<assets::Assets>(
            get(assets::list),
            get(assets::show),
        ))
        .merge(crud::routes::<contacts::Contacts>(
            get(contacts::list),
            get(contacts::show),
        ))
        .merge(crud::routes::<authorities::Authorities>(
            get(authorities::list),
            get(authorities::show),
        ))
        .route("/users", get(users::list).post(users::create))
        .route("/users/new", get(users::new_form))
        .route("/users/{id}", get(users::show).post(users::update))
        .route("/users/{id}/edit", get(users::edit_form))
        .route("/users/{id}/delete", post(users::delete))
        .route("/users/{id}/disable", post(users::disable))
        .route("/users/{id}/enable", post(users::enable))
        .route("/users/{id}/password", post(users::reset_password))
        .route("/users/{id}/tokens", post(users::create_token))
        .route(
            "/users/{id}/tokens/{token_id}/revoke",
            post(users::revoke_token),
        )
        .route("/alerts", get(alerts::list))
        .route("/alerts/{id}", get(alerts::show))
        .route("/alerts/{id}/triage", post(alerts::triage))
        .route("/findings", get(findings::list))
        .route("/findings/{id}", get(findings::show))
        .route("/findings/{id}/status", post(findings::set_status))
        .route("/scans", get(scans::list).post(scans::create))
        .route("/scans/{id}", get(scans::show))
        .route("/scans/{id}/cancel", post(scans::cancel))
        .route(
            "/scans/schedules",
            get(scans::schedules).post(scans::create_schedule),
        )
        .route("/scans/schedules/defaults", post(scans::create_defaults))
        .route("/scans/schedules/{id}", post(scans::update_schedule))
        .route("/scans/schedules/{id}/edit", get(scans::edit_schedule))
        .route("/scans/schedules/{id}/delete", post(scans::delete_schedule))
        .route("/hygiene", get(findings::hygiene))
        .route("/directive", get(directive::show))
        .route("/flow", get(flow::show))
        .route("/systems/{id}/redundancy", post(redundancy::save))
        .route("/hygiene/exposures", post(findings::import_exposures))
        .route("/malware/scan", get(malware::form).post(malware::scan))
        .route("/events", get(events::search))
        .route("/events/import", post(events::import))
        .route(
            "/indicators",
            get(indicators::list).post(indicators::create),
        )
        .route("/indicators/import", post(indicators::import))
        .route("/indicators/{id}/delete", post(indicators::delete))
        .route("/rules", get(rules::list))
        .route("/rules/rule", get(rules::show))
        .route("/rules/override", post(rules::set_override))
        .route("/rules/override/delete", post(rules::delete_override))
        .route(
            "/suppressions",
            get(rules::suppressions).post(rules::create_suppression),
        )
        .route("/suppressions/{id}/delete", post(rules::delete_suppression))
        .route("/monitors", get(monitors::board).post(monitors::create))
        .route("/monitors/new", get(monitors::new_form))
        .route("/monitors/{id}", get(monitors::show).post(monitors::update))
        .route("/monitors/{id}/edit", get(monitors::edit_form))
        .route(
            "/monitors/{id}/delete",
            get(monitors::delete_form).post(monitors::delete),
        )
        .route("/monitors/{id}/check", post(monitors::check_now))
        .route("/monitors/{id}/baseline/approve", post(monitors::approve))
        .route(
            "/monitors/{id}/maintenance",
            post(monitors::add_maintenance),
        )
        .route(
            "/monitors/{id}/maintenance/{window_id}/delete",
            post(monitors::delete_maintenance),
        )
        .route("/status", get(monitors::public_status))
        // ---- bulletins and the outbox ----
        .route("/bulletins", get(bulletins::list).post(bulletins::create))
        .route("/bulletins/new", get(bulletins::new_form))
        .route("/bulletins/{id}", get(bulletins::show))
        .route("/bulletins/{id}/remind", post(bulletins::remind))
        .route(
            "/bulletins/confirm/{token}",
            get(bulletins::confirm_page).post(bulletins::confirm),
        )
        .route("/outbox", get(bulletins::outbox))
        // ---- duty roster and paging ----
        .route("/ack/{token}", get(duty::ack_page).post(duty::ack))
        .route("/duty", get(duty::roster_page))
        .route("/duty/import", post(duty::import))
        .route("/duty/pages", get(duty::pages_page))
        // ---- incidents and the report archive ----
        .route("/incidents", get(incidents::list).post(incidents::create))
        .route("/incidents/{id}", get(incidents::show))
        .route("/incidents/{id}/timeline", post(incidents::add_note))
        .route("/incidents/{id}/reports", post(incidents::create_report))
        .route("/reports", get(incidents::archive))
        .route("/reports/{id}/docx", get(incidents::download))
        .route("/reports/{id}/send", post(incidents::send))
        .route("/audit", get(audit::list))
        .route("/inventory", get(inventory::page).post(inventory::upload))
        .route("/inventory/apply", post(inventory::apply))
        .route("/inventory/export.yaml", get(inventory::export_yaml))
        .route("/inventory/export/{file}", get(inventory::export_csv))
        .fallback(error::not_found)
        // Bodies are read by `session::CsrfForm`/`CsrfMultipart` against `max_body_bytes`.
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn(error::render_error_pages))
        .layer(axum::Extension(inventory::ImportStash::default()))
}
