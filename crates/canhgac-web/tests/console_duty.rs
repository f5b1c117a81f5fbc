//! The duty roster page of the console, on both backends: an admin imports a sheet with the
//! form and sees who is on duty now and the shift in the month's calendar; a sheet with a bad
//! row imports nothing and names the row; a holiday longer than the roster shows its gap.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod console_support;

use canhgac_model::duty::DutyHoliday;
use canhgac_model::{Actor, ContactInput, Timestamp, UnitInput, UnitKind};
use console_support::*;
use jiff::SignedDuration;

#[tokio::test]
async fn import_a_roster_and_see_who_is_on_duty() {
    for app in apps().await {
        let store = &app.state.store;
        let sys = Actor::system("test");
        let p = store
            .create_unit(&sys, UnitInput::new("Tỉnh Papa", UnitKind::Province, None))
            .await
            .unwrap();
        for name in ["An Trực", "Bình Dự"] {
            let contact = ContactInput {
                unit_id: p.id,
                name: name.into(),
                position: None,
                responsibility: None,
                phone: None,
                email: None,
            };
            store.create_contact(&sys, contact).await.unwrap();
        }
        let now = Timestamp::now();
        let hour = SignedDuration::from_hours(1);
        store
            .create_holiday(
                &sys,
                &DutyHoliday {
                    id: 0,
                    name: "Tết thử".into(),
                    start: now,
                    end: now + hour * 48,
                    unit_ids: vec![],
                },
            )
            .await
            .unwrap();

        let mut admin = admin(&app).await;
        let bad = admin
            .post(
                &app,
                "/duty",
                "/duty/import",
                &[(
                    "csv",
                    "start,end,primary\n01/02/2027 08:00,01/02/2027 16:00,Không Ai\n",
                )],
            )
            .await;
        bad.expect(422);
        assert!(bad.body.contains("dòng 2"), "{}", bad.body);

        let sheet = format!(
            "bắt đầu,kết thúc,trực chính,trực dự phòng,ghi chú\n{},{},An Trực,Bình Dự,Trực Tết\n",
            now - hour,
            now + hour * 8
        );
        admin
            .post(&app, "/duty", "/duty/import", &[("csv", sheet.as_str())])
            .await
            .expect(303);
        let page = admin.get(&app, "/duty").await;
        page.expect(200);
        let now_section = page.body.split("id=\"holidays\"").next().unwrap();
        assert!(now_section.contains("An Trực"), "{}", page.body);
        assert!(now_section.contains("Bình Dự"), "{}", page.body);
        assert!(
            page.body.contains("Trực Tết"),
            "the calendar shows the shift"
        );
        assert!(page.body.contains("Tết thử"));
        assert!(
            page.body.contains("class=\"bad\""),
            "the holiday's gap is shown"
        );
        admin.get(&app, "/duty/pages").await.expect(200);
    }
}
