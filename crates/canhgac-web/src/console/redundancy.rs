//! The "Dự phòng" (redundancy) section of a system's page and its form (directive clause 3):
//! which system or link takes over, and when failover was last tested. A backup tested within a
//! year counts for the ISP on the directive dashboard.

use axum::extract::{Path, State};
use axum::response::Response;
use canhgac_model::redundancy::{RedundancyInput, FAILOVER_TEST_DAYS};
use canhgac_model::{Id, InformationSystem};
use maud::{html, Markup};

use super::error::PageError;
use super::format;
use super::forms::{self, csrf_field, Errors};
use super::i18n::Lang;
use super::session::{see_other, CsrfForm, Ctx};
use crate::AppState;

/// The section for `system`'s page: the record, and the form for inventory editors.
pub async fn section(
    state: &AppState,
    ctx: &Ctx,
    system: &InformationSystem,
) -> Result<Markup, PageError> {
    let lang = ctx.lang;
    let scope = ctx.scope();
    let record = state.store.get_redundancy(&scope, system.id).await?;
    let systems = state.store.system_names(&scope).await?;
    let name_of = |id: Id| {
        systems
            .iter()
            .find(|(s, _)| *s == id)
            .map_or_else(|| format!("#{id}"), |(_, name)| name.clone())
    };
    let today = jiff::Timestamp::now().to_zoned(ctx.tz.clone()).date();
    let state_label = match &record {
        Some(r) if r.tested_by(today) => (
            "ok",
            lang.pick(
                "Đã thử chuyển đổi trong năm",
                "Failover tested within a year",
            ),
        ),
        Some(r) if r.has_backup() => (
            "bad",
            lang.pick(
                "Chưa thử chuyển đổi trong năm",
                "Failover not tested within a year",
            ),
        ),
        _ => (
            "bad",
            lang.pick("Chưa có phương án dự phòng", "No backup recorded"),
        ),
    };
    let chosen = record.as_ref().and_then(|r| r.backup_system_id);
    Ok(html! {
        section.card #redundancy data-state=(state_label.0) {
            h2 { (lang.pick("Dự phòng", "Redundancy")) " " small.muted { (state_label.1) } }
            (forms::details(&[
                (lang.pick("Hệ thống dự phòng", "Backup system"), html! {
                    @match chosen { Some(id) => a href={ "/systems/" (id) } { (name_of(id)) }, None => "—" }
                }),
                (lang.pick("Mô tả phương án", "Backup described"), html! {
                    (forms::or_dash(record.as_ref().map(|r| r.backup_description.as_str()).filter(|d| !d.is_empty())))
                }),
                (lang.pick("Thử chuyển đổi lần cuối", "Last failover test"), html! {
                    (format::opt_date(record.as_ref().and_then(|r| r.last_failover_test)))
                }),
            ]))
            @if ctx.role().can_edit_inventory() {
                form.inline-form method="post" action={ "/systems/" (system.id) "/redundancy" } {
                    (csrf_field(&ctx.csrf))
                    label { (lang.pick("Hệ thống dự phòng", "Backup system")) " "
                        select name="backup_system_id" {
                            option value="" { "—" }
                            @for (id, name) in systems.iter().filter(|(id, _)| *id != system.id) {
                                option value=(id) selected[chosen == Some(*id)] { (name) }
                            }
                        }
                    }
                    " "
                    label { (lang.pick("Mô tả", "Description")) " "
                        input type="text" name="backup_description" maxlength="500"
                            value=(record.as_ref().map_or("", |r| r.backup_description.as_str()));
                    }
                    " "
                    label { (lang.pick("Ngày thử (dd/mm/yyyy)", "Test date (dd/mm/yyyy)")) " "
                        input type="text" name="last_failover_test" placeholder="dd/mm/yyyy"
                            value=(format::opt_date(record.as_ref().and_then(|r| r.last_failover_test)).replace('—', ""));
                    }
                    " "
                    button type="submit" { (lang.pick("Lưu", "Save")) }
                }
                p.hint { (match lang {
                    Lang::Vi => format!("Phương án dự phòng được tính là đã kiểm thử khi lần chuyển đổi gần nhất trong vòng {FAILOVER_TEST_DAYS} ngày."),
                    Lang::En => format!("A backup counts as tested when failover was last tried within {FAILOVER_TEST_DAYS} days."),
                }) }
            }
        }
    })
}

/// `POST /systems/{id}/redundancy`.
pub async fn save(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { ctx, form }: CsrfForm,
) -> Result<Response, PageError> {
    ctx.require_inventory_editor()?;
    let lang = ctx.lang;
    let mut errors = Errors::default();
    let input = RedundancyInput {
        backup_system_id: forms::opt_id(&form, "backup_system_id", lang, &mut errors),
        backup_description: form.get("backup_description").to_string(),
        last_failover_test: forms::opt_date(&form, "last_failover_test", lang, &mut errors),
    };
    if let Some((field, message)) = errors.others(&[]).first() {
        return Err(PageError::BadRequest(format!("{field}: {message}")));
    }
    match state.store.set_redundancy(&ctx.actor(), id, input).await {
        Ok(_) => Ok(see_other(&format!("/systems/{id}#redundancy"))),
        Err(canhgac_store::StoreError::Invalid(error)) => Err(PageError::BadRequest(format!(
            "{}: {}",
            error.field, error.message
        ))),
        Err(other) => Err(other.into()),
    }
}
