//! Quick end-to-end check of the basic slice on every backend.
#![allow(clippy::unwrap_used)]

use canhgac_model::{
    Actor, PageRequest, Role, Scope, SystemInput, SystemKind, UnitInput, UnitKind, UserInput,
};
use canhgac_store::testing::test_stores;

#[tokio::test]
async fn smoke() {
    for ts in test_stores().await {
        let s = &ts.store;
        let admin = Actor::system("test");
        let p = s
            .create_unit(
                &admin,
                UnitInput::new("UBND tỉnh Hòa Bình Xanh", UnitKind::Province, None),
            )
            .await
            .unwrap();
        let d = s
            .create_unit(
                &admin,
                UnitInput::new("Sở Khoa học và Công nghệ", UnitKind::Department, Some(p.id)),
            )
            .await
            .unwrap();
        let sys = s
            .create_system(
                &admin,
                SystemInput::new("Cổng thông tin", SystemKind::Portal, d.id),
            )
            .await
            .unwrap();
        assert_eq!(
            s.get_system(&Scope::All, sys.id).await.unwrap(),
            sys,
            "{}",
            ts.name
        );
        let page = s
            .list_units(&Scope::All, &Default::default(), &PageRequest::default())
            .await
            .unwrap();
        assert_eq!(page.total, 2);
        let u = s
            .create_user(
                &admin,
                UserInput {
                    username: "Officer".into(),
                    display_name: String::new(),
                    email: None,
                    role: Role::UnitOfficer,
                    unit_ids: vec![d.id],
                    disabled: false,
                },
                Some("hash".into()),
            )
            .await
            .unwrap();
        let scoped = s
            .list_units(&u.scope(), &Default::default(), &PageRequest::default())
            .await
            .unwrap();
        assert_eq!(scoped.total, 1, "{}", ts.name);
        let future = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(3600);
        s.create_session(u.id, "h1", "csrf", future).await.unwrap();
        let sess = s.session("h1").await.unwrap().unwrap();
        assert_eq!(sess.user.unit_ids, vec![d.id]);
        let audit = s
            .list_audit(&Default::default(), &PageRequest::default())
            .await
            .unwrap();
        assert_eq!(audit.total, 4, "{}", ts.name);
    }
}
