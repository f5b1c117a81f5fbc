//! The JSON API under `/api/v1`, and the operational endpoints `/healthz` and `/metrics`.
//!
//! Every handler takes the [`Caller`] (an API token as `Authorization: Bearer cgk_...`, or the
//! console's session cookie), checks the role, and passes the caller's scope or actor to the
//! store, which answers records outside the scope as not found. Errors are
//! `application/problem+json` ([`error::ApiError`]). The OpenAPI document at
//! `/api/v1/openapi.json` is generated from the handlers' `#[utoipa::path]` attributes.

use axum::http::{header, HeaderName, StatusCode};
use axum::routing::any;
use axum::{Json, Router};
use canhgac_model::Id;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::auth::Caller;
use crate::AppState;

pub mod account;
pub mod advisories;
pub mod alerts;
pub mod assets;
pub mod authorities;
pub mod bulletins;
pub mod contacts;
pub mod duty;
pub mod error;
pub mod events;
pub mod exposures;
pub mod findings;
pub mod flow;
pub mod guard;
pub mod incidents;
pub mod indicators;
pub mod inventory;
pub mod metrics;
pub mod monitors;
pub mod ops;
pub mod paging;
pub mod probes;
pub mod rules;
pub mod scans;
pub mod systems;
pub mod tokens;
pub mod units;
pub mod users;

use error::ApiError;

/// The answer of a create: 201, a `Location` header, and the new record.
pub type Created<T> = (StatusCode, [(HeaderName, String); 1], Json<T>);

/// Builds the answer of a create for the record `id` of `collection` (`units`, `systems`...).
pub fn created<T>(collection: &str, id: Id, record: T) -> Created<T> {
    (
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/{collection}/{id}"))],
        Json(record),
    )
}

/// Fails unless the caller may change units, systems, assets and contacts (viewers may not).
pub fn require_inventory_editor(caller: &Caller) -> Result<(), ApiError> {
    if caller.role().can_edit_inventory() {
        Ok(())
    } else {
        Err(ApiError::forbidden("your role may only read"))
    }
}

/// True for roles that act on detection within their scope (submit events, triage alerts,
/// tune rules): every role but viewers. Which records they reach is the store's business.
pub fn may_respond(role: canhgac_model::Role) -> bool {
    !matches!(role, canhgac_model::Role::Viewer)
}

/// Fails unless the caller may act on detection ([`may_respond`]).
pub fn require_responder(caller: &Caller) -> Result<(), ApiError> {
    if may_respond(caller.role()) {
        Ok(())
    } else {
        Err(ApiError::forbidden("your role may only read"))
    }
}

/// Fails unless the caller is an admin.
pub fn require_admin(caller: &Caller) -> Result<(), ApiError> {
    if caller.role().is_admin() {
        Ok(())
    } else {
        Err(ApiError::forbidden("only admins may do this"))
    }
}

/// Declares the API's routes once: the router is built from the table, and the table is public
/// so a test can check every route against the OpenAPI document.
macro_rules! api_routes {
    ($($method:ident $path:literal => $handler:path;)*) => {
        /// Every route under `/api/v1`, as (method, path relative to `/api/v1`).
        pub const ROUTES: &[(&str, &str)] = &[$((stringify!($method), $path)),*];

        /// Routes nested under `/api/v1`. Unknown paths answer 404 and known paths with another
        /// method 405, both as problem+json.
        pub fn router() -> Router<AppState> {
            Router::new()
                $(.route($path, axum::routing::$method($handler)))*
                .fallback(not_found)
                .method_not_allowed_fallback(method_not_allowed)
        }
    };
}

api_routes! {
    get "/me" => account::me;
    get "/dashboard" => account::dashboard;
    get "/directive" => account::directive;
    get "/flow" => flow::board;
    get "/audit" => account::audit;

    get "/units" => units::list;
    post "/units" => units::create;
    get "/units/{id}" => units::get;
    put "/units/{id}" => units::update;
    delete "/units/{id}" => units::delete;

    get "/systems" => systems::list;
    post "/systems" => systems::create;
    get "/systems/{id}" => systems::get;
    put "/systems/{id}" => systems::update;
    delete "/systems/{id}" => systems::delete;

    get "/assets" => assets::list;
    post "/assets" => assets::create;
    get "/assets/{id}" => assets::get;
    put "/assets/{id}" => assets::update;
    delete "/assets/{id}" => assets::delete;

    get "/contacts" => contacts::list;
    post "/contacts" => contacts::create;
    get "/contacts/{id}" => contacts::get;
    put "/contacts/{id}" => contacts::update;
    delete "/contacts/{id}" => contacts::delete;

    get "/authorities" => authorities::list;
    post "/authorities" => authorities::create;
    get "/authorities/{id}" => authorities::get;
    put "/authorities/{id}" => authorities::update;
    delete "/authorities/{id}" => authorities::delete;

    get "/users" => users::list;
    post "/users" => users::create;
    get "/users/{id}" => users::get;
    put "/users/{id}" => users::update;
    delete "/users/{id}" => users::delete;
    post "/users/{id}/password" => users::set_password;
    get "/users/{id}/tokens" => tokens::list_for_user;
    post "/users/{id}/tokens" => tokens::create_for_user;
    delete "/users/{id}/tokens/{token_id}" => tokens::revoke_for_user;

    get "/tokens" => tokens::list;
    post "/tokens" => tokens::create;
    delete "/tokens/{id}" => tokens::revoke;

    get "/inventory" => inventory::export;
    post "/inventory/plan" => inventory::plan;
    post "/inventory/import" => inventory::import;

    post "/events" => events::submit;
    get "/events" => events::search;
    get "/detection/status" => events::status;

    get "/alerts" => alerts::list;
    get "/alerts/{id}" => alerts::get;
    post "/alerts/{id}/triage" => alerts::triage;

    get "/indicators" => indicators::list;
    post "/indicators" => indicators::add;
    post "/indicators/import" => indicators::import_csv;
    post "/indicators/import/{format}" => indicators::import_feed;
    get "/indicators/export" => indicators::export;
    delete "/indicators/{id}" => indicators::delete;

    get "/rules" => rules::list;
    put "/rules/{key}/override" => rules::set_override;
    delete "/rules/{key}/override" => rules::delete_override;

    get "/suppressions" => rules::list_suppressions;
    post "/suppressions" => rules::create_suppression;
    delete "/suppressions/{id}" => rules::delete_suppression;

    get "/monitors" => monitors::list;
    post "/monitors" => monitors::create;
    get "/monitors/{id}" => monitors::get;
    put "/monitors/{id}" => monitors::update;
    delete "/monitors/{id}" => monitors::delete;
    get "/monitors/{id}/checks" => monitors::checks;
    get "/monitors/{id}/rollups" => monitors::rollups;
    get "/monitors/{id}/availability" => monitors::availability;
    get "/monitors/{id}/outages" => monitors::outages;
    get "/monitors/{id}/baseline" => monitors::baseline;
    post "/monitors/{id}/baseline/approve" => monitors::approve_baseline;
    post "/monitors/{id}/check" => monitors::check_now;
    get "/monitors/{id}/maintenance" => monitors::list_maintenance;
    post "/monitors/{id}/maintenance" => monitors::create_maintenance;
    delete "/maintenance/{id}" => monitors::delete_maintenance;

    get "/findings" => findings::list;
    post "/findings" => findings::record;
    get "/findings/counts" => findings::counts;
    get "/findings/{id}" => findings::get;
    post "/findings/{id}/status" => findings::set_status;
    post "/exposures/import" => exposures::import;
    post "/exposures/report" => exposures::import_report;

    get "/probes" => probes::list;
    get "/probes/{name}/monitors" => probes::monitors;
    post "/probes/{name}/results" => probes::results;
    get "/status/public" => probes::public_status;

    // ---- bulletins and the outbox ----
    get "/bulletins" => bulletins::list;
    post "/bulletins" => bulletins::create;
    get "/bulletins/{id}" => bulletins::get;
    post "/bulletins/{id}/remind" => bulletins::remind;
    get "/outbox" => bulletins::outbox;

    // ---- duty roster and paging ----
    get "/duty/now" => duty::now;
    get "/duty/people" => duty::people;
    put "/duty/people/{id}" => duty::set_channels;
    get "/duty/shifts" => duty::list_shifts;
    post "/duty/shifts" => duty::create_shift;
    post "/duty/shifts/import" => duty::import_shifts;
    delete "/duty/shifts/{id}" => duty::delete_shift;
    get "/duty/holidays" => duty::list_holidays;
    post "/duty/holidays" => duty::create_holiday;
    delete "/duty/holidays/{id}" => duty::delete_holiday;
    get "/duty/rules" => duty::list_rules;
    post "/duty/rules" => duty::create_rule;
    delete "/duty/rules/{id}" => duty::delete_rule;
    get "/duty/pages" => duty::pages;

    // ---- scans on the server ----
    get "/scans" => scans::list;
    post "/scans" => scans::create;
    get "/scans/{id}" => scans::get;
    post "/scans/{id}/cancel" => scans::cancel;
    get "/systems/{id}/redundancy" => systems::get_redundancy;
    put "/systems/{id}/redundancy" => systems::set_redundancy;
    get "/systems/{id}/scan-schedules" => scans::list_schedules;
    post "/systems/{id}/scan-schedules" => scans::create_schedule;
    put "/scan-schedules/{id}" => scans::update_schedule;
    delete "/scan-schedules/{id}" => scans::delete_schedule;

    // ---- incidents and the report archive ----
    get "/incidents" => incidents::list;
    post "/incidents" => incidents::create;
    get "/incidents/{id}" => incidents::get;
    put "/incidents/{id}" => incidents::update;
    post "/incidents/{id}/status" => incidents::set_status;
    post "/incidents/{id}/timeline" => incidents::add_note;
    post "/incidents/{id}/tasks" => incidents::add_task;
    post "/incidents/{id}/tasks/{task_id}" => incidents::set_task;
    post "/incidents/{id}/observables" => incidents::add_observable;
    post "/incidents/{id}/reports" => incidents::create_report;
    get "/reports" => incidents::list_reports;
    post "/reports/summary" => incidents::create_summary;
    get "/reports/{id}" => incidents::get_report;
    get "/reports/{id}/docx" => incidents::download_report;
    post "/reports/{id}/send" => incidents::send_report;
    // ---- advisory register and retro-hunts ----
    get "/advisories" => advisories::list;
    post "/advisories" => advisories::create;
    post "/advisories/prefill" => advisories::prefill;
    get "/advisories/{id}" => advisories::get;
    get "/advisories/{id}/attachments/{attachment_id}" => advisories::attachment;
    post "/advisories/{id}/match" => advisories::rematch;
    post "/advisory-tasks/{id}" => advisories::act;
    post "/indicators/{id}/hunt" => advisories::hunt;
    get "/indicators/{id}/hunts" => advisories::hunts;

    get "/openapi.json" => ops::openapi;
}

/// The operational routes outside `/api/v1`, as (method, path).
pub const OPS_ROUTES: &[(&str, &str)] = &[("get", "/healthz"), ("get", "/metrics")];

/// `/healthz` and `/metrics`, plus problem+json 404s for any other `/api/...` path (an unknown
/// API version must not fall through to the console's HTML).
pub fn ops_router() -> Router<AppState> {
    Router::new()
        .route("/healthz", axum::routing::get(ops::healthz))
        .route("/metrics", axum::routing::get(ops::metrics))
        .route("/api", any(not_found))
        .route("/api/{*rest}", any(not_found))
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such API route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

/// The OpenAPI document of the API.
#[derive(OpenApi)]
#[openapi(
    info(title = "canhgac API", description = "Inventory of units, information systems, assets, contacts and authorities of a province, with users, tokens and the audit log; log intake, event search, alerts, indicators and detection rules; monitors of portals, mail servers and DNS records; findings of scans, audits, file sweeps and breach lists; scans of the inventory and their schedules; awareness bulletins and the notification outbox. Authenticate with `Authorization: Bearer cgk_...` (an API token) or the console's session cookie; cookie-authenticated writes must send the session's CSRF token as `X-CSRF-Token`. Errors are `application/problem+json`."),
    paths(
        account::me, account::dashboard, account::directive, account::audit,
        units::list, units::create, units::get, units::update, units::delete,
        systems::list, systems::create, systems::get, systems::update, systems::delete,
        systems::get_redundancy, systems::set_redundancy,
        assets::list, assets::create, assets::get, assets::update, assets::delete,
        contacts::list, contacts::create, contacts::get, contacts::update, contacts::delete,
        authorities::list, authorities::create, authorities::get, authorities::update, authorities::delete,
        users::list, users::create, users::get, users::update, users::delete, users::set_password,
        tokens::list_for_user, tokens::create_for_user, tokens::revoke_for_user,
        tokens::list, tokens::create, tokens::revoke,
        inventory::export, inventory::plan, inventory::import,
        events::submit, events::search, events::status,
        alerts::list, alerts::get, alerts::triage,
        indicators::list, indicators::add, indicators::import_csv, indicators::import_feed,
        indicators::export,
        indicators::delete,
        rules::list, rules::set_override, rules::delete_override,
        rules::list_suppressions, rules::create_suppression, rules::delete_suppression,
        monitors::list, monitors::create, monitors::get, monitors::update, monitors::delete,
        monitors::checks, monitors::rollups, monitors::availability, monitors::outages,
        monitors::baseline, monitors::approve_baseline, monitors::check_now,
        monitors::list_maintenance, monitors::create_maintenance, monitors::delete_maintenance,
        findings::list, findings::record, findings::counts, findings::get, findings::set_status,
        exposures::import, exposures::import_report,
        probes::list, probes::monitors, probes::results, probes::public_status,
        bulletins::list, bulletins::create, bulletins::get, bulletins::remind, bulletins::outbox,
        duty::now, duty::people, duty::set_channels, duty::list_shifts, duty::create_shift,
        duty::import_shifts, duty::delete_shift, duty::list_holidays, duty::create_holiday,
        duty::delete_holiday, duty::list_rules, duty::create_rule, duty::delete_rule, duty::pages,
        scans::list, scans::create, scans::get, scans::cancel,
        scans::list_schedules, scans::create_schedule, scans::update_schedule, scans::delete_schedule,
        flow::board,
        incidents::list, incidents::create, incidents::get, incidents::update,
        incidents::set_status, incidents::add_note, incidents::add_task, incidents::set_task,
        incidents::add_observable, incidents::create_report, incidents::list_reports,
        incidents::create_summary, incidents::get_report, incidents::download_report,
        incidents::send_report,
        advisories::list, advisories::create, advisories::prefill, advisories::get,
        advisories::attachment, advisories::rematch, advisories::act, advisories::hunt,
        advisories::hunts,
        ops::openapi, ops::healthz, ops::metrics,
    ),
    components(schemas(error::Problem)),
    modifiers(&Conventions),
    security(("bearer" = []), ("session" = [])),
    tags(
        (name = "units", description = "The organisation tree (đơn vị)"),
        (name = "systems", description = "Information systems (hệ thống thông tin)"),
        (name = "assets", description = "Addresses of systems: IPs, networks, domains, URLs"),
        (name = "contacts", description = "Focal points inside units (đầu mối)"),
        (name = "authorities", description = "Outside bodies that receive reports"),
        (name = "users", description = "Accounts and their tokens (admins)"),
        (name = "tokens", description = "The caller's API tokens"),
        (name = "account", description = "The caller, the dashboard, the audit log"),
        (name = "inventory", description = "Inventory as code: export, plan, import"),
        (name = "detection", description = "Log intake (NDJSON), event search, the live path's status"),
        (name = "alerts", description = "Alerts (cảnh báo) and their triage"),
        (name = "indicators", description = "Indicators of compromise (IOC)"),
        (name = "rules", description = "Detection rules, their overrides, and suppressions"),
        (name = "monitors", description = "Monitors (giám sát): checks, history, defacement baselines, maintenance, remote probes, the public status"),
        (name = "findings", description = "Findings (phát hiện): weaknesses found by scans, password audits, file sweeps and breach lists, with their lifecycle"),
        (name = "bulletins", description = "Awareness bulletins (bản tin an toàn thông tin) by email with read confirmations, and the outbox of every message"),
        (name = "duty", description = "Duty roster (lịch trực), who is on duty now, holiday coverage, routing rules and the paging of alerts"),
        (name = "scans", description = "Scans (rà quét) of the inventory by the server's external scanner, their diff of findings, and schedules per system"),
        (name = "flow", description = "ISP network watch (NetFlow/IPFIX/sFlow): traffic per prefix group, top hosts, attacks, exporter health"),
        (name = "incidents", description = "Incidents (sự cố) with their timers, and the official reports (Mẫu 03/04/05) as DOCX: archived with their numbers, sent by email to the authorities"),
        (name = "advisories", description = "The advisory register (công văn cảnh báo của NCSC, VNCERT/CC…): matching against the inventory, one task per affected unit, progress and overdue items"),
        (name = "operations", description = "Health, metrics, this document"),
    )
)]
pub struct ApiDoc;

/// Adds what the derive cannot say: the security schemes, and the problem+json answer every
/// operation may give.
struct Conventions;

impl Modify for Conventions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token, `cgk_...` (POST /api/v1/tokens)"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::SESSION_COOKIE,
            ))),
        );
        let problem = ResponseBuilder::new()
            .description("An error, as RFC 9457 problem details")
            .content(
                error::PROBLEM_JSON,
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build();
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                operation
                    .responses
                    .responses
                    .entry("default".to_string())
                    .or_insert_with(|| RefOr::T(problem.clone()));
            }
        }
    }
}
