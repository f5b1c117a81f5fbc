use canhgac_model::{Asset, AssetKind, Software};

use super::*;

fn asset(id: Id, system_id: Id, software: &[(&str, Option<&str>, Option<&str>)]) -> Asset {
    Asset {
        id,
        system_id,
        kind: AssetKind::Ip,
        value: format!("10.0.0.{id}"),
        name: None,
        os: None,
        os_version: None,
        software: software
            .iter()
            .map(|(name, version, cpe)| Software {
                name: name.to_string(),
                version: version.map(str::to_string),
                cpe: cpe.map(str::to_string),
            })
            .collect(),
        note: None,
        created_at: Timestamp::UNIX_EPOCH,
        updated_at: Timestamp::UNIX_EPOCH,
    }
}

fn ranges(expression: &str) -> Vec<VersionRange> {
    parse_version_ranges(expression).unwrap_or_else(|| panic!("{expression}"))
}

fn inside(expression: &str, version: &str) -> bool {
    ranges(expression)
        .iter()
        .any(|range| range.contains(version))
}

#[test]
fn version_ranges_are_read_in_english_and_vietnamese() {
    assert!(inside("< 9.0.0 Patch 38", "9.0.0 Patch 37"));
    assert!(inside("< 9.0.0 Patch 38", "9.0.0_P37"));
    assert!(inside("< 9.0.0 Patch 38", "8.8.15"));
    assert!(!inside("< 9.0.0 Patch 38", "9.0.0.p38"));
    assert!(!inside("< 9.0.0 Patch 38", "10.0.0"));
    assert_eq!(ranges(">= 10.0.0, < 10.0.6").len(), 1);
    assert!(inside(">= 10.0.0, < 10.0.6", "10.0.5"));
    assert!(!inside(">= 10.0.0, < 10.0.6", "10.0.6"));
    assert!(!inside(">= 10.0.0, < 10.0.6", "9.0.0"));
    assert!(inside("8.8.15", "8.8.15"));
    assert!(!inside("8.8.15", "8.8.16"));
    assert_eq!(ranges("8.8.15, 9.0.0").len(), 2);
    assert!(inside("8.8.15, 9.0.0", "9.0.0"));
    assert!(inside("9.0.0 đến trước 9.0.0 Patch 40", "9.0.0 Patch 39"));
    assert!(!inside("9.0.0 đến trước 9.0.0 Patch 40", "9.0.0 Patch 40"));
    assert!(inside("10.0.0 đến 10.0.5", "10.0.5"));
    assert!(inside("trước 10.0.7", "10.0.6"));
    assert!(inside("8.8.15 trở về trước", "8.8.12"));
    assert!(!inside("8.8.15 trở về trước", "8.8.16"));
    assert!(inside("từ 2.4.0", "2.4.58"));
    assert!(inside("from 2.0 before 2.4.58", "2.4.57"));
    assert!(inside("up to 3.1", "3.1"));
    assert!(inside("8.8.x", "8.8.15"));
    assert!(!inside("8.8.x", "8.9.0"));
    assert!(inside("8.8.15 và 9.0.0", "9.0.0"));
    assert!(parse_version_ranges("mọi bản cũ").is_none());
}

fn zimbra_advisory() -> Advisory {
    Advisory {
        issuer: "NCSC".into(),
        number: "2216/CATTT-NCSC".into(),
        title: "Cảnh báo lỗ hổng Zimbra".into(),
        cves: vec!["CVE-2025-00001".into()],
        products: vec![AffectedProduct {
            vendor: None,
            product: "Zimbra Collaboration Suite".into(),
            cpe: None,
            versions: vec!["< 9.0.0 Patch 38".into(), ">= 10.0.0, < 10.0.6".into()],
        }],
        ..Advisory::default()
    }
}

#[test]
fn a_zimbra_advisory_finds_the_affected_assets_and_asks_when_the_version_is_unknown() {
    let assets = vec![
        asset(1, 10, &[("zimbra", Some("8.8.15_GA_4179"), None)]),
        asset(
            2,
            10,
            &[("Zimbra Collaboration", Some("9.0.0 Patch 40"), None)],
        ),
        asset(
            3,
            11,
            &[("Zimbra", None, None), ("nginx", Some("1.24"), None)],
        ),
        asset(
            4,
            12,
            &[(
                "mail",
                None,
                Some("cpe:2.3:a:zimbra:collaboration_suite:10.0.2:*:*:*:*:*:*:*"),
            )],
        ),
        asset(5, 12, &[("Microsoft Office", Some("16.0"), None)]),
    ];
    let detected = vec![DetectedProduct {
        asset_id: 6,
        product: "Zimbra Collaboration Suite".into(),
        version: Some("10.0.5".into()),
        cpe: None,
    }];
    let affected = match_advisory(&zimbra_advisory(), &assets, &detected).unwrap();
    let summary: Vec<_> = affected
        .iter()
        .map(|a| {
            (
                a.asset_id,
                a.seen_in,
                a.reason.clone(),
                a.needs_confirmation,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                1,
                SeenIn::Inventory,
                MatchReason::VersionInRange {
                    range: "< 9.0.0 Patch 38".into()
                },
                false
            ),
            (3, SeenIn::Inventory, MatchReason::VersionUnknown, true),
            (
                4,
                SeenIn::Inventory,
                MatchReason::VersionInRange {
                    range: ">= 10.0.0, < 10.0.6".into()
                },
                false
            ),
            (
                6,
                SeenIn::Scan,
                MatchReason::VersionInRange {
                    range: ">= 10.0.0, < 10.0.6".into()
                },
                false
            ),
        ]
    );
    assert_eq!(affected[0].system_id, Some(10));
    assert_eq!(
        affected[2].version.as_deref(),
        Some("10.0.2"),
        "the CPE's version"
    );
    assert!(affected[1].reason.label_vi().contains("cần xác nhận"));
}

#[test]
fn exchange_names_and_cpes_match_tolerantly_but_not_the_vendor_alone() {
    let advisory = Advisory {
        products: vec![AffectedProduct {
            vendor: Some("Microsoft".into()),
            product: "Microsoft Exchange Server 2019".into(),
            cpe: None,
            versions: vec![],
        }],
        ..Advisory::default()
    };
    let assets = vec![
        asset(
            1,
            1,
            &[(
                "MSX",
                None,
                Some("cpe:2.3:a:microsoft:exchange_server:2019:cumulative_update_13:*:*:*:*:*:*"),
            )],
        ),
        asset(2, 1, &[("Exchange", Some("15.2"), None)]),
        asset(3, 1, &[("Microsoft", Some("1"), None)]),
        asset(4, 1, &[("Microsoft SharePoint Server", Some("2019"), None)]),
    ];
    let affected = match_advisory(&advisory, &assets, &[]).unwrap();
    let ids: Vec<_> = affected
        .iter()
        .map(|a| (a.asset_id, a.matched_by, a.reason.clone()))
        .collect();
    assert_eq!(
        ids,
        vec![
            (1, MatchedBy::Name, MatchReason::AllVersions),
            (2, MatchedBy::Name, MatchReason::AllVersions),
        ]
    );

    // With CPEs on both sides, the CPE decides.
    let by_cpe = Advisory {
        products: vec![AffectedProduct {
            vendor: None,
            product: "Exchange".into(),
            cpe: Some("cpe:2.3:a:microsoft:exchange_server:*:*:*:*:*:*:*:*".into()),
            versions: vec![],
        }],
        ..Advisory::default()
    };
    let affected = match_advisory(&by_cpe, &assets, &[]).unwrap();
    let ids: Vec<_> = affected
        .iter()
        .map(|a| (a.asset_id, a.matched_by))
        .collect();
    assert_eq!(ids, vec![(1, MatchedBy::Cpe), (2, MatchedBy::Name)]);
    assert_eq!(
        affected[0].version.as_deref(),
        Some("2019 cumulative_update_13")
    );
}

#[test]
fn the_operating_system_counts_as_software() {
    let advisory = Advisory {
        products: vec![AffectedProduct {
            vendor: Some("Microsoft".into()),
            product: "Windows Server".into(),
            cpe: None,
            versions: vec!["< 10.0.20348.2700".into()],
        }],
        ..Advisory::default()
    };
    let mut patched = asset(1, 1, &[]);
    patched.os = Some("Windows Server 2022".into());
    patched.os_version = Some("10.0.20348.2700".into());
    let mut behind = asset(2, 1, &[]);
    behind.os = Some("Windows Server 2022".into());
    behind.os_version = Some("10.0.20348.2655".into());
    let mut linux = asset(3, 1, &[]);
    linux.os = Some("Ubuntu".into());
    linux.os_version = Some("22.04".into());
    let affected = match_advisory(&advisory, &[patched, behind, linux], &[]).unwrap();
    assert_eq!(affected.len(), 1);
    assert_eq!(affected[0].asset_id, 2);
    assert_eq!(affected[0].software, "Windows Server 2022");
}

#[test]
fn an_unreadable_version_range_is_refused_with_the_product() {
    let mut advisory = zimbra_advisory();
    advisory.products[0].versions = vec!["các bản cũ".into()];
    let error = match_advisory(&advisory, &[], &[]).unwrap_err();
    assert!(error.to_string().contains("Zimbra Collaboration Suite"));
}

const LETTER: &str = "BỘ CÔNG AN
CỤC AN NINH MẠNG
Số: 2216/CATTT-NCSC
Hà Nội, ngày 20 tháng 11 năm 2025
V/v: cảnh báo lỗ hổng bảo mật nghiêm trọng trong Zimbra Collaboration

Kính gửi: Sở Khoa học và Công nghệ các tỉnh, thành phố.

Trung tâm Giám sát an toàn không gian mạng quốc gia (NCSC) phát hiện lỗ hổng CVE-2025-27915 \
và cve-2025-25064 ảnh hưởng Zimbra Collaboration phiên bản 9.0.0 đến trước 9.0.0 Patch 44 và \
10.0.0 đến trước 10.0.13, cho phép đối tượng tấn công thực thi mã từ xa.
Ngoài ra lỗ hổng CVE-2025-27915 cũng ảnh hưởng đến Zimbra Daffodil phiên bản 10.1.0 đến trước 10.1.5.
Sản phẩm: Roundcube Webmail; Phiên bản: < 1.6.10.

Để bảo đảm an toàn, đề nghị các đơn vị:
- Kiểm tra, rà soát hệ thống thư điện tử có sử dụng sản phẩm nêu trên;
- Cập nhật bản vá theo hướng dẫn của hãng;
- Báo cáo kết quả xử lý trước ngày 30/11/2025.
";

#[test]
fn a_vietnamese_letter_gives_number_date_cves_products_actions_and_deadline() {
    let draft = parse_advisory_text(LETTER);
    assert_eq!(draft.number.as_deref(), Some("2216/CATTT-NCSC"));
    assert_eq!(draft.issuer.as_deref(), Some("NCSC"));
    assert_eq!(draft.date, Some(jiff::civil::date(2025, 11, 20)));
    assert_eq!(
        draft.title.as_deref(),
        Some("cảnh báo lỗ hổng bảo mật nghiêm trọng trong Zimbra Collaboration")
    );
    assert_eq!(draft.cves, vec!["CVE-2025-27915", "CVE-2025-25064"]);
    assert_eq!(
        draft.products,
        vec![
            AffectedProduct {
                vendor: None,
                product: "Zimbra Collaboration".into(),
                cpe: None,
                versions: vec![
                    "9.0.0 đến trước 9.0.0 Patch 44".into(),
                    "10.0.0 đến trước 10.0.13".into()
                ],
            },
            AffectedProduct {
                vendor: None,
                product: "Zimbra Daffodil".into(),
                cpe: None,
                versions: vec!["10.1.0 đến trước 10.1.5".into()],
            },
            AffectedProduct {
                vendor: None,
                product: "Roundcube Webmail".into(),
                cpe: None,
                versions: vec!["< 1.6.10".into()],
            },
        ]
    );
    assert_eq!(draft.actions.len(), 3);
    assert_eq!(draft.actions[1], "Cập nhật bản vá theo hướng dẫn của hãng;");
    assert_eq!(
        draft.deadline,
        Some("2025-11-29T17:00:00Z".parse::<Timestamp>().unwrap())
    );

    // The whole path: the letter's products against the inventory.
    let advisory = draft.into_advisory();
    let assets = vec![
        asset(1, 1, &[("Zimbra", Some("9.0.0.P41"), None)]),
        asset(2, 1, &[("Zimbra", Some("10.0.13"), None)]),
        asset(3, 2, &[("Roundcube", Some("1.6.9"), None)]),
    ];
    let affected = match_advisory(&advisory, &assets, &[]).unwrap();
    let found: Vec<_> = affected
        .iter()
        .map(|a| (a.asset_id, a.advisory_product.as_str()))
        .collect();
    assert_eq!(
        found,
        vec![(1, "Zimbra Collaboration"), (3, "Roundcube Webmail")]
    );
}
