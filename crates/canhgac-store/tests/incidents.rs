//! Incidents and the report archive on every backend `test_stores()` gives: scoping of incidents,
//! their links and reports; numbering per year and code without gaps or doubles, also when many
//! reports are archived at once and when a rendering fails.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::sync::Arc;

use canhgac_model::{
    Actor, AlertDraft, AlertSource, Id, IncidentInput, IncidentKind, IncidentStatus, IndicatorKind,
    Observable, PageRequest, ReportDraft, ReportFormKind, ReportSendState, Scope, Severity,
    Timestamp, UnitInput, UnitKind,
};
use canhgac_store::testing::test_stores;
use canhgac_store::{IncidentFilter, Store, StoreError};

fn officer(units: Vec<Id>) -> Actor {
    Actor {
        user_id: None,
        name: "officer".into(),
        scope: Scope::Units(units),
    }
}

fn admin() -> Actor {
    Actor::system("t")
}

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn all() -> PageRequest {
    PageRequest::new(1, 100)
}

async fn units(store: &dyn Store) -> (Id, Id) {
    let province = store
        .create_unit(
            &admin(),
            UnitInput::new("UBND tỉnh", UnitKind::Province, None),
        )
        .await
        .unwrap();
    let a = store
        .create_unit(
            &admin(),
            UnitInput::new("Sở A", UnitKind::Department, Some(province.id)),
        )
        .await
        .unwrap();
    let b = store
        .create_unit(
            &admin(),
            UnitInput::new("Sở B", UnitKind::Department, Some(province.id)),
        )
        .await
        .unwrap();
    (a.id, b.id)
}

async fn alert(store: &dyn Store, unit: Id, key: &str) -> Id {
    let draft = AlertDraft {
        source: AlertSource::Sigma,
        rule_key: key.into(),
        title: format!("rule {key}"),
        severity: Severity::High,
        tags: vec![],
        unit_id: Some(unit),
        host: Some("203.0.113.5".into()),
        time: at("2026-03-02T01:00:00Z"),
        evidence: serde_json::json!({}),
    };
    store
        .record_alerts(&[draft], jiff::SignedDuration::from_secs(60))
        .await
        .unwrap()[0]
}

fn draft(form: ReportFormKind, unit: Id, incident: Option<Id>, day: &str) -> ReportDraft {
    ReportDraft {
        form,
        incident_id: incident,
        unit_id: unit,
        code: "BC-SKHCN".into(),
        issued_on: day.parse().unwrap(),
        recipients: vec!["ir@vncert.example.vn".into()],
        period: None,
    }
}

fn render(sequence: u32) -> Result<(String, Vec<u8>), String> {
    Ok((
        format!("{sequence:02}.docx"),
        format!("docx {sequence}").into_bytes(),
    ))
}

#[tokio::test]
async fn incidents_are_scoped_linked_and_noted() {
    for t in test_stores().await {
        let store = t.store.as_ref();
        let (a, b) = units(store).await;
        let alert_a = alert(store, a, "a-rule").await;
        let alert_b = alert(store, b, "b-rule").await;

        let mut input = IncidentInput::new(
            "Cổng thông tin bị thay đổi giao diện",
            IncidentKind::Defacement,
            a,
            at("2026-03-02T01:30:00Z"),
        );
        input.alert_ids = vec![alert_a, alert_a];
        input.observables = vec![Observable {
            kind: IndicatorKind::Ip,
            value: "198.51.100.7".into(),
            note: "C2".into(),
        }];
        let officer_a = officer(vec![a]);
        let created = store.create_incident(&officer_a, input.clone()).await;
        let created = created.unwrap_or_else(|e| panic!("{}: {e}", t.name));
        assert_eq!(created.details.alert_ids, vec![alert_a], "{}", t.name);

        // A's officer cannot open an incident for B, nor link B's alert.
        let mut for_b = input.clone();
        for_b.unit_id = b;
        assert!(matches!(
            store.create_incident(&officer_a, for_b).await,
            Err(StoreError::OutOfScope(_))
        ));
        let mut with_b_alert = input.clone();
        with_b_alert.alert_ids = vec![alert_b];
        assert!(matches!(
            store.create_incident(&officer_a, with_b_alert).await,
            Err(StoreError::NotFound { .. })
        ));

        let mut in_b = input.clone();
        in_b.unit_id = b;
        in_b.alert_ids = vec![alert_b];
        in_b.title = "Mã độc tại Sở B".into();
        let other = store.create_incident(&admin(), in_b).await.unwrap();

        // Listing and reading are scoped.
        let listed = store
            .list_incidents(&officer_a.scope, &IncidentFilter::default(), &all())
            .await
            .unwrap();
        let ids: Vec<Id> = listed.items.iter().map(|i| i.id).collect();
        assert_eq!(ids, vec![created.id], "{}", t.name);
        assert!(matches!(
            store.get_incident(&officer_a.scope, other.id).await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(store
            .add_incident_note(&officer_a, other.id, at("2026-03-02T02:00:00Z"), "x")
            .await
            .is_err());
        let everything = store
            .list_incidents(&Scope::All, &IncidentFilter::default(), &all())
            .await
            .unwrap();
        assert_eq!(everything.total, 2);
        let resolved = IncidentFilter {
            statuses: vec![IncidentStatus::Resolved],
            ..Default::default()
        };
        let none = store
            .list_incidents(&Scope::All, &resolved, &all())
            .await
            .unwrap();
        assert_eq!(none.total, 0);
        let searched = store
            .list_incidents(&Scope::All, &IncidentFilter::default(), &{
                let mut p = all();
                p.q = Some("GIAO DIỆN".into());
                p
            })
            .await
            .unwrap();
        assert_eq!(searched.items.len(), 1, "{}: Vietnamese search", t.name);
        assert_eq!(
            store
                .incidents_of_alert(&officer_a.scope, alert_a)
                .await
                .unwrap(),
            vec![(created.id, created.details.title.clone())]
        );
        assert!(store
            .incidents_of_alert(&officer_a.scope, alert_b)
            .await
            .unwrap()
            .is_empty());

        // Timeline, tasks, observables.
        store
            .add_incident_note(
                &officer_a,
                created.id,
                at("2026-03-02T03:00:00Z"),
                "Đã cô lập máy chủ",
            )
            .await
            .unwrap();
        store
            .add_incident_note(
                &officer_a,
                created.id,
                at("2026-03-02T02:00:00Z"),
                "Phát hiện trang bị sửa",
            )
            .await
            .unwrap();
        let task = store
            .add_incident_task(
                &officer_a,
                created.id,
                "Khôi phục từ bản sao lưu",
                Some("An"),
            )
            .await
            .unwrap();
        store
            .complete_incident_task(&officer_a, created.id, task.id, true)
            .await
            .unwrap();
        let grown = store
            .add_incident_observable(
                &officer_a,
                created.id,
                Observable {
                    kind: IndicatorKind::Domain,
                    value: "Evil[.]Example".into(),
                    note: String::new(),
                },
            )
            .await
            .unwrap();
        assert_eq!(grown.details.observables.len(), 2);
        assert_eq!(grown.details.observables[1].value, "evil.example");
        let detail = store
            .get_incident(&officer_a.scope, created.id)
            .await
            .unwrap();
        let texts: Vec<&str> = detail.timeline.iter().map(|n| n.text.as_str()).collect();
        assert_eq!(texts, ["Phát hiện trang bị sửa", "Đã cô lập máy chủ"]);
        assert!(detail.tasks[0].done_at.is_some());

        // Updating keeps scope rules.
        let mut changed = detail.incident.details.clone();
        changed.status = IncidentStatus::Responding;
        let updated = store
            .update_incident(&officer_a, created.id, changed.clone())
            .await
            .unwrap();
        assert_eq!(updated.details.status, IncidentStatus::Responding);
        assert!(store
            .update_incident(&officer_a, other.id, changed)
            .await
            .is_err());
    }
}

#[tokio::test]
async fn reports_are_numbered_per_year_and_scoped() {
    for t in test_stores().await {
        let store = t.store.as_ref();
        let (a, b) = units(store).await;
        let incident = store
            .create_incident(
                &admin(),
                IncidentInput::new(
                    "Sự cố",
                    IncidentKind::Malware,
                    a,
                    at("2026-03-02T01:30:00Z"),
                ),
            )
            .await
            .unwrap();
        let officer_a = officer(vec![a]);
        let first = store
            .create_report(
                &officer_a,
                draft(ReportFormKind::Initial, a, Some(incident.id), "2026-03-03"),
                &render,
            )
            .await
            .unwrap();
        assert_eq!((first.sequence, first.number.as_str()), (1, "01/BC-SKHCN"));
        // A failed rendering takes no number.
        let failed = store
            .create_report(
                &officer_a,
                draft(ReportFormKind::Closing, a, Some(incident.id), "2026-03-04"),
                &|_| Err("thiếu trường".to_string()),
            )
            .await;
        assert!(matches!(failed, Err(StoreError::Invalid(_))), "{failed:?}");
        let second = store
            .create_report(
                &officer_a,
                draft(ReportFormKind::Closing, a, Some(incident.id), "2026-03-04"),
                &render,
            )
            .await
            .unwrap();
        assert_eq!(second.sequence, 2, "{}: no gap after a failure", t.name);
        // A new year starts again at 1; another code has its own numbers.
        let next_year = store
            .create_report(
                &admin(),
                draft(ReportFormKind::Summary, a, None, "2027-01-02"),
                &render,
            )
            .await
            .unwrap();
        assert_eq!(next_year.sequence, 1);
        let mut other_code = draft(ReportFormKind::Summary, b, None, "2026-06-10");
        other_code.code = "BC-CAT".into();
        let other = store
            .create_report(&admin(), other_code, &render)
            .await
            .unwrap();
        assert_eq!(other.number, "01/BC-CAT");

        // B's officer sees none of A's reports; A's officer cannot report on B's unit.
        let officer_b = officer(vec![b]);
        let seen: Vec<Id> = store
            .list_reports(&officer_b.scope, &PageRequest::new(1, 100))
            .await
            .unwrap()
            .items
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(seen, vec![other.id]);
        assert!(store.report_docx(&officer_b.scope, first.id).await.is_err());
        assert!(store
            .create_report(
                &officer_a,
                draft(ReportFormKind::Summary, b, None, "2026-06-10"),
                &render
            )
            .await
            .is_err());
        let (_, docx) = store.report_docx(&officer_a.scope, first.id).await.unwrap();
        assert_eq!(docx, b"docx 1");

        // Sending: failed, then sent; the incident's timer stops at the sending time.
        let failed = store
            .record_report_sending(&officer_a, first.id, Err("connection refused".into()))
            .await
            .unwrap();
        assert_eq!(failed.state, ReportSendState::Failed);
        assert_eq!(failed.last_error.as_deref(), Some("connection refused"));
        let sent_at = at("2026-03-03T04:00:00Z");
        let sent = store
            .record_report_sending(&officer_a, first.id, Ok(sent_at))
            .await
            .unwrap();
        assert_eq!(sent.state, ReportSendState::Sent);
        assert_eq!(sent.last_error, None);
        let detail = store.get_incident(&Scope::All, incident.id).await.unwrap();
        assert_eq!(
            detail.incident.details.times.authorities_notified_at,
            Some(sent_at)
        );
        assert_eq!(detail.reports.len(), 2);
        assert!(store
            .record_report_sending(&officer_b, first.id, Ok(sent_at))
            .await
            .is_err());
    }
}

#[tokio::test]
async fn concurrent_allocation_has_no_gaps_nor_doubles() {
    for t in test_stores().await {
        let store: Arc<dyn Store> = t.store.clone();
        let (a, _) = units(store.as_ref()).await;
        let mut tasks = Vec::new();
        for i in 0..24u32 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let day = if i % 2 == 0 {
                    "2026-05-01"
                } else {
                    "2026-05-02"
                };
                store
                    .create_report(
                        &Actor::system("t"),
                        draft(ReportFormKind::Summary, a, None, day),
                        &render,
                    )
                    .await
                    .map(|r| r.sequence)
            }));
        }
        let mut got = BTreeSet::new();
        for task in tasks {
            let sequence = task
                .await
                .unwrap()
                .unwrap_or_else(|e| panic!("{}: {e}", t.name));
            assert!(got.insert(sequence), "{}: {sequence} given twice", t.name);
        }
        let expected: BTreeSet<u32> = (1..=24).collect();
        assert_eq!(got, expected, "{}", t.name);
    }
}
