#![allow(clippy::unwrap_used)]

use canhgac_model::finding::category;
use canhgac_model::{FindingSource, Severity, Timestamp};
use proptest::prelude::*;

use super::*;

const PROVINCE: Id = 1;
const SO_TTTT: Id = 2;
const VAN_PHONG: Id = 3;

fn directory() -> Directory {
    Directory {
        domains: vec![
            ("tinh.gov.vn".to_string(), PROVINCE),
            ("so-tttt.tinh.gov.vn".to_string(), SO_TTTT),
        ],
        addresses: vec![("VanPhong.UBND@gmail.com".to_string(), VAN_PHONG)],
    }
}

fn at() -> Timestamp {
    Timestamp::from_second(1_764_000_000).unwrap()
}

fn parse(text: &str) -> ParsedList {
    parse_list(text, &SiteCatalogue::builtin()).unwrap()
}

fn line_error(result: Result<ParsedList, ExposureError>) -> (usize, String) {
    match result {
        Err(ExposureError::Line { line, message }) => (line, message),
        other => panic!("expected a line error, got {other:?}"),
    }
}

#[test]
fn plain_lines_with_every_separator() {
    let list = parse(
        "# exported 2025-10\n\
         \n\
         Chanh.VP@Tinh.gov.vn:Facebook\n\
         ketoan@tinh.gov.vn;voz.vn\n\
         thanhtra@tinh.gov.vn,https://www.reddit.com/r/vietnam\n\
         it@so-tttt.tinh.gov.vn\tforum.shop-xyz.vn\n\
         hanhchinh@tinh.gov.vn\n",
    );
    assert_eq!(list.lines, 7);
    assert_eq!(list.unrecognised_sources, 0);
    let seen: Vec<_> = list
        .exposures
        .iter()
        .map(|e| {
            (
                e.email.as_str(),
                e.site.as_ref().map(|s| s.name.as_str()),
                e.line,
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            ("chanh.vp@tinh.gov.vn", Some("Facebook"), 3),
            ("ketoan@tinh.gov.vn", Some("voz.vn"), 4),
            ("thanhtra@tinh.gov.vn", Some("Reddit"), 5),
            ("it@so-tttt.tinh.gov.vn", Some("forum.shop-xyz.vn"), 6),
            ("hanhchinh@tinh.gov.vn", None, 7),
        ]
    );
    let unknown = list.exposures[3].site.as_ref().unwrap();
    assert_eq!(unknown.domain.as_deref(), Some("forum.shop-xyz.vn"));
    assert_eq!(unknown.category, SiteCategory::Other);
}

#[test]
fn csv_with_header_and_metadata_columns() {
    let list = parse(
        "Email;Breach;Domain;Category;Date;Password\n\
         a@tinh.gov.vn;Diễn đàn ABC;diendan-abc.vn;diễn đàn;2024-01-02;Secret!1\n\
         b@tinh.gov.vn;Tinh Tế;;;2023-05-06;Other!2\n\
         c@tinh.gov.vn;;shop.example.com;;2022-01-01;\n\
         \"d@tinh.gov.vn\";\"Zalo\";\"\";\"\";\"\";\"x\"\n",
    );
    let sites: Vec<_> = list
        .exposures
        .iter()
        .map(|e| e.site.clone().unwrap())
        .collect();
    assert_eq!(
        sites[0].name, "diendan-abc.vn",
        "an unknown breach name is not kept"
    );
    assert_eq!(sites[0].category, SiteCategory::Forum);
    assert_eq!(sites[1].name, "Tinh tế");
    assert_eq!(sites[1].category, SiteCategory::Forum);
    assert_eq!(sites[2].domain.as_deref(), Some("shop.example.com"));
    assert_eq!(sites[2].category, SiteCategory::Other);
    assert_eq!(sites[3].name, "Zalo");
    assert_eq!(list.exposures[3].line, 5);
    let debug = format!("{list:?}");
    assert!(!debug.contains("Secret!1") && !debug.contains("Other!2"));
}

#[test]
fn combo_list_passwords_are_never_kept() {
    let catalogue = SiteCatalogue::builtin();
    let list = parse_list(
        "E-mail:Password\n\
         giamdoc@tinh.gov.vn:Hunter2!Tinh\n\
         phogiamdoc@tinh.gov.vn:MatKhau.Bi.Mat\n\
         vanthu@tinh.gov.vn:linkedin.com:P@ss-Word_99\n",
        &catalogue,
    )
    .unwrap();
    assert_eq!(list.exposures.len(), 3);
    assert_eq!(list.unrecognised_sources, 2);
    assert!(list.exposures[0].site.is_none());
    assert!(
        list.exposures[1].site.is_none(),
        "mixed case is not taken for a domain"
    );
    assert_eq!(list.exposures[2].site.as_ref().unwrap().name, "LinkedIn");

    let report = findings_for(&list, &directory(), at());
    let json = serde_json::to_string(&report.findings).unwrap();
    let debug = format!("{list:?}{report:?}");
    for secret in ["Hunter2!Tinh", "MatKhau", "Bi.Mat", "P@ss-Word_99"] {
        assert!(!debug.contains(secret), "{secret} leaked into {debug}");
        assert!(!json.contains(secret), "{secret} leaked into {json}");
    }
}

#[test]
fn an_invalid_address_names_its_line_but_not_its_text() {
    let catalogue = SiteCatalogue::builtin();
    let (line, message) = line_error(parse_list(
        "a@tinh.gov.vn:facebook\n\n# note\nSuperSecretPassword:zalo\n",
        &catalogue,
    ));
    assert_eq!(line, 4);
    assert_eq!(message, "the address has no '@'");
    let error = parse_list("x@y@tinh.gov.vn", &catalogue).unwrap_err();
    assert_eq!(
        error.to_string(),
        "line 1: the address has more than one '@'"
    );

    for (bad, problem) in [
        ("a b@tinh.gov.vn", "space"),
        ("@tinh.gov.vn", "nothing before"),
        ("a@localhost", "no dot"),
        ("a@tinh..vn", "not a valid domain"),
    ] {
        let (line, message) = line_error(parse_list(bad, &catalogue));
        assert_eq!(line, 1);
        assert!(message.contains(problem), "{bad}: {message}");
        assert!(!message.contains(bad));
    }
    let long = format!("{}@tinh.gov.vn", "a".repeat(250));
    let (_, message) = line_error(parse_list(&long, &catalogue));
    assert!(message.contains("254"));
}

#[test]
fn a_bad_csv_row_refuses_the_whole_list() {
    let catalogue = SiteCatalogue::builtin();
    let (line, message) = line_error(parse_list(
        "email,site\na@tinh.gov.vn,facebook\nb@tinh.gov.vn,zalo,extra\n",
        &catalogue,
    ));
    assert_eq!(
        (line, message.as_str()),
        (3, "the row has 3 columns but the header has 2")
    );
    let (line, _) = line_error(parse_list(
        "email,site\n# comment\na@tinh.gov.vn,facebook\nnot-an-address,zalo\n",
        &catalogue,
    ));
    assert_eq!(line, 4);
    let (line, message) = line_error(parse_list(
        "email,domain\na@tinh.gov.vn,not a domain\n",
        &catalogue,
    ));
    assert_eq!(line, 2);
    assert!(message.contains("domain"));
}

#[test]
fn longest_domain_suffix_names_the_unit() {
    let list = parse(
        "vanthu@tinh.gov.vn:facebook\n\
         it@so-tttt.tinh.gov.vn:facebook\n\
         cb@phong.so-tttt.tinh.gov.vn:facebook\n\
         x@nottinh.gov.vn:facebook\n",
    );
    let report = findings_for(&list, &directory(), at());
    let units: Vec<_> = report.findings.iter().map(|f| f.unit_id).collect();
    assert_eq!(units, vec![Some(PROVINCE), Some(SO_TTTT), Some(SO_TTTT)]);
    assert_eq!(report.outside_province, 1);
    assert_eq!(report.per_unit.get(&SO_TTTT), Some(&2));
}

#[test]
fn an_exact_contact_address_wins() {
    let mut directory = directory();
    directory
        .addresses
        .push(("giamdoc@tinh.gov.vn".to_string(), SO_TTTT));
    let list = parse("giamdoc@tinh.gov.vn:zalo\nvanphong.ubnd@gmail.com:tiktok.com\n");
    let report = findings_for(&list, &directory, at());
    let units: Vec<_> = report.findings.iter().map(|f| f.unit_id).collect();
    assert_eq!(units, vec![Some(SO_TTTT), Some(VAN_PHONG)]);
    assert_eq!(report.outside_province, 0);
}

#[test]
fn addresses_outside_the_province_are_only_counted() {
    let list =
        parse("ai.do@gmail.com:facebook\nnguoi@tinhkhac.gov.vn:zalo\nmot@tinh.gov.vn:canva\n");
    let report = findings_for(&list, &directory(), at());
    assert_eq!(report.outside_province, 2);
    assert_eq!(report.matched, 1);
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.per_unit.len(), 1);
}

#[test]
fn findings_say_what_kind_of_site() {
    let list = parse(
        "a@tinh.gov.vn:facebook.com\n\
         a@tinh.gov.vn:otofun\n\
         a@tinh.gov.vn:adobe\n\
         a@tinh.gov.vn:Hunter2!\n",
    );
    let report = findings_for(&list, &directory(), at());
    let [social, forum, other, unknown] = report.findings.as_slice() else {
        panic!("four findings expected: {:?}", report.findings);
    };
    assert_eq!(social.category, category::EMAIL_ON_SOCIAL_SITE);
    assert_eq!(
        social.title,
        "Thư công vụ a@tinh.gov.vn đã dùng để đăng ký mạng xã hội Facebook (bị lộ lọt)"
    );
    assert_eq!(social.key, "exposure:a@tinh.gov.vn:facebook.com");
    assert_eq!(social.severity, Severity::Medium);
    assert_eq!(social.source, FindingSource::Exposure);
    assert_eq!(social.subject, "a@tinh.gov.vn");
    assert_eq!(social.host, None);
    assert_eq!(social.observed_at, at());
    assert!(social.remediation.as_deref().unwrap().contains("1e"));
    assert_eq!(
        social.evidence,
        serde_json::json!({"site": "Facebook", "category": "social_network", "domain": "facebook.com", "line": 1})
    );
    assert_eq!(forum.category, category::EMAIL_ON_SOCIAL_SITE);
    assert!(forum.title.contains("diễn đàn Otofun"));
    assert_eq!(other.category, category::EMAIL_BREACHED);
    assert_eq!(
        other.title,
        "Thư công vụ a@tinh.gov.vn có trong dữ liệu lộ lọt của Adobe"
    );
    assert_eq!(other.severity, Severity::Medium);
    assert_eq!(unknown.category, category::EMAIL_BREACHED);
    assert_eq!(unknown.severity, Severity::Low);
    assert_eq!(unknown.key, "exposure:a@tinh.gov.vn:unknown");
    assert_eq!(
        unknown.title,
        "Thư công vụ a@tinh.gov.vn có trong dữ liệu lộ lọt (không rõ nguồn)"
    );
    assert_eq!(
        unknown.evidence,
        serde_json::json!({"site": null, "category": null, "domain": null, "line": 4})
    );
}

#[test]
fn duplicate_pairs_merge_into_one_finding() {
    let list = parse(
        "a@tinh.gov.vn:facebook\n\
         A@TINH.GOV.VN:m.facebook.com\n\
         a@tinh.gov.vn:https://facebook.com/profile\n\
         a@tinh.gov.vn:zalo\n\
         a@tinh.gov.vn:secret-one!\n\
         a@tinh.gov.vn:Secret-Two!\n",
    );
    let report = findings_for(&list, &directory(), at());
    assert_eq!(report.matched, 6);
    let keys: Vec<_> = report.findings.iter().map(|f| f.key.as_str()).collect();
    assert_eq!(
        keys,
        vec![
            "exposure:a@tinh.gov.vn:facebook.com",
            "exposure:a@tinh.gov.vn:zalo.me",
            "exposure:a@tinh.gov.vn:unknown",
        ]
    );
    assert_eq!(report.findings[0].evidence["line"], 1);
    assert_eq!(report.per_unit.get(&PROVINCE), Some(&3));
    assert_eq!(report.unrecognised_sources, 2);
}

#[test]
fn catalogue_matches_names_and_subdomains() {
    let catalogue = SiteCatalogue::builtin();
    assert!(catalogue.sites().count() >= 40);
    let name = |source: &str| catalogue.lookup(source).map(|site| site.name.as_str());
    assert_eq!(name("  TIKTOK "), Some("TikTok"));
    assert_eq!(name("Tinh Te"), Some("Tinh tế"));
    assert_eq!(name("tinh tế"), Some("Tinh tế"));
    assert_eq!(name("Twitter"), Some("X (Twitter)"));
    assert_eq!(name("mobile.twitter.com"), Some("X (Twitter)"));
    assert_eq!(name("vietnam.proboards.com"), Some("ProBoards"));
    assert_eq!(name("WWW.VOZ.VN"), Some("voz.vn"));
    assert_eq!(name("notfacebook.com"), None);
    assert_eq!(name("vn"), None);
    assert_eq!(name(""), None);
}

#[test]
fn metadata_csv_reads_vietnamese_category_words() {
    let mut catalogue = SiteCatalogue::builtin();
    let added = catalogue
        .add_metadata_csv(
            "Tên,Tên miền,Loại,Ghi chú\n\
             Mạng XH Quê Tôi,quetoi.vn,Mạng xã hội,\n\
             Diễn đàn Cựu Chiến Binh,ccb-forum.vn,diễn đàn,\n\
             Cửa hàng ABC,abc-shop.vn,bán lẻ,\n\
             Nhóm Sinh Viên,,mang xa hoi,\n",
        )
        .unwrap();
    assert_eq!(added, 4);
    let category = |source: &str| catalogue.lookup(source).map(|site| site.category);
    assert_eq!(category("quetoi.vn"), Some(SiteCategory::SocialNetwork));
    assert_eq!(
        category("Mạng XH Quê Tôi"),
        Some(SiteCategory::SocialNetwork)
    );
    assert_eq!(category("www.ccb-forum.vn"), Some(SiteCategory::Forum));
    assert_eq!(category("abc-shop.vn"), Some(SiteCategory::Other));
    assert_eq!(
        category("nhom sinh vien"),
        Some(SiteCategory::SocialNetwork)
    );

    // Now a list naming the site by the user's name is a social-network finding.
    let list = parse_list("a@tinh.gov.vn:Nhóm Sinh Viên\n", &catalogue).unwrap();
    let report = findings_for(&list, &directory(), at());
    assert_eq!(report.findings[0].category, category::EMAIL_ON_SOCIAL_SITE);
    assert_eq!(
        report.findings[0].key,
        "exposure:a@tinh.gov.vn:nhom sinh vien"
    );
}

#[test]
fn category_words_in_any_spelling() {
    for word in [
        "social",
        "Social Network",
        "social_network",
        "MẠNG XÃ HỘI",
        "mxh",
    ] {
        assert_eq!(
            SiteCategory::from_word(word),
            SiteCategory::SocialNetwork,
            "{word}"
        );
    }
    // Decomposed (NFD) Vietnamese, as some tools write it.
    let decomposed = "die\u{302}\u{303}n \u{111}a\u{300}n";
    assert_eq!(SiteCategory::from_word(decomposed), SiteCategory::Forum);
    for word in ["forum", "Diễn đàn", "dien dan", "board"] {
        assert_eq!(SiteCategory::from_word(word), SiteCategory::Forum, "{word}");
    }
    for word in ["other", "khác", "shopping", ""] {
        assert_eq!(SiteCategory::from_word(word), SiteCategory::Other, "{word}");
    }
    assert_eq!(SiteCategory::Forum.label_vi(), "Diễn đàn");
}

#[test]
fn metadata_rows_win_over_builtin_and_keep_what_they_omit() {
    let mut catalogue = SiteCatalogue::builtin();
    catalogue
        .add_metadata_csv("site,category\nAdobe,forum\nFacebook,\n")
        .unwrap();
    let adobe = catalogue.lookup("adobe.com").unwrap();
    assert_eq!(adobe.category, SiteCategory::Forum);
    let facebook = catalogue.lookup("facebook").unwrap();
    assert_eq!(facebook.category, SiteCategory::SocialNetwork);
    assert_eq!(facebook.domain.as_deref(), Some("facebook.com"));
}

#[test]
fn bad_metadata_changes_nothing() {
    let mut catalogue = SiteCatalogue::builtin();
    let before = catalogue.sites().count();
    let error = catalogue
        .add_metadata_csv(
            "site,domain,category\nNew Site,new-site.vn,forum\nBad,not a domain,forum\n",
        )
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "line 3: the domain column does not hold a domain name"
    );
    assert_eq!(catalogue.sites().count(), before);
    assert!(catalogue.lookup("new-site.vn").is_none());

    assert!(matches!(
        catalogue.add_metadata_csv("email,password\na@b.vn,x\n"),
        Err(ExposureError::NoSiteColumn)
    ));
    assert!(matches!(
        catalogue.add_metadata_csv(""),
        Err(ExposureError::NoSiteColumn)
    ));
    let (line, _) = match catalogue.add_metadata_csv("site,domain\n,\nA,a.vn,extra\n") {
        Err(ExposureError::Line { line, message }) => (line, message),
        other => panic!("{other:?}"),
    };
    assert_eq!(line, 3);
}

#[test]
fn empty_input_is_an_empty_list() {
    let list = parse("");
    assert!(list.exposures.is_empty());
    let list = parse("\u{feff}email,site\n");
    assert!(list.exposures.is_empty());
    assert_eq!(list.lines, 1);
}

proptest! {
    #[test]
    fn parsing_never_panics(text in "\\PC{0,200}") {
        let _ = parse_list(&text, &SiteCatalogue::builtin());
    }

    /// A password with a symbol and an upper-case letter is never kept, whatever else it holds.
    #[test]
    fn combo_passwords_never_survive(
        local in "[a-z][a-z0-9.]{0,15}",
        password in "[A-Z][A-Za-z0-9.@_-]{3,20}[!#$%^&*]",
    ) {
        let text = format!("{local}@tinh.gov.vn:{password}\n");
        let list = parse_list(&text, &SiteCatalogue::builtin()).unwrap();
        let report = findings_for(&list, &directory(), at());
        let shown = format!("{list:?}{report:?}{}", serde_json::to_string(&report.findings).unwrap());
        prop_assert!(!shown.contains(&password));
        prop_assert_eq!(list.exposures.len(), 1);
    }

    #[test]
    fn valid_addresses_round_trip_lower_case(
        local in "[A-Za-z0-9][A-Za-z0-9._+-]{0,20}",
        domain in "[a-z0-9]{1,10}(\\.[a-z0-9]{1,10}){0,2}\\.[a-z]{2,6}",
    ) {
        let email = format!("{local}@{domain}");
        let list = parse_list(&format!("{email}\n"), &SiteCatalogue::builtin()).unwrap();
        prop_assert_eq!(&list.exposures[0].email, &email.to_lowercase());
    }
}
