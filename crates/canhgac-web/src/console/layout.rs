//! The page frame: header (product, user, role, language switch, sign-out), navigation, content.
//!
//! The navigation is the list [`NAV`]. Later capabilities (alerts, findings, monitors, incidents)
//! add their section by adding an entry in [`NavGroup::Operations`]; a group with no visible
//! entries is not drawn.

use axum::http::header;
use axum::response::IntoResponse;
use canhgac_model::{Role, User};
use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::forms::url_encode;
use super::i18n::{self, Lang, Msg};

/// What every page's frame needs to know about the request.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// Page language.
    pub lang: Lang,
    /// The signed-in user, if any.
    pub user: Option<User>,
    /// The session's CSRF token (for the sign-out form).
    pub csrf: Option<String>,
    /// Path and query of the request.
    pub path: String,
    /// Open alerts in the user's scope, shown in the header (`None`: not shown).
    pub open_alerts: Option<u64>,
}

impl Chrome {
    /// The chrome of a request without a session.
    pub fn anonymous(lang: Lang, path: String) -> Self {
        Self {
            lang,
            user: None,
            csrf: None,
            path,
            open_alerts: None,
        }
    }
}

/// Groups of the navigation, drawn in this order after the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NavGroup {
    /// Units, systems, assets, contacts, authorities, import/export.
    Inventory,
    /// Day-to-day security work: alerts (Cảnh báo), findings (Phát hiện), monitors (Giám sát),
    /// incidents (Sự cố). Filled by later capabilities.
    Operations,
    /// Users and the audit log.
    Admin,
}

impl NavGroup {
    const ORDER: [NavGroup; 3] = [NavGroup::Inventory, NavGroup::Operations, NavGroup::Admin];

    fn label(self, lang: Lang) -> &'static str {
        match self {
            NavGroup::Inventory => lang.t(Msg::NavInventory),
            NavGroup::Operations => lang.t(Msg::NavOperations),
            NavGroup::Admin => lang.t(Msg::NavAdmin),
        }
    }
}

/// One entry of the navigation.
#[derive(Debug, Clone, Copy)]
pub struct NavItem {
    /// Where it leads; also the prefix that marks it current.
    pub href: &'static str,
    /// Label in Vietnamese.
    pub vi: &'static str,
    /// Label in English.
    pub en: &'static str,
    /// Its group; `None` for the dashboard at the top.
    pub group: Option<NavGroup>,
    /// Who sees it (the handlers enforce the same rule).
    pub visible: fn(Role) -> bool,
}

fn everyone(_: Role) -> bool {
    true
}

fn admins(role: Role) -> bool {
    role.is_admin()
}

/// The console's navigation. Add sections here (e.g. `/alerts`, "Cảnh báo", "Alerts",
/// `Some(NavGroup::Operations)`).
pub const NAV: &[NavItem] = &[
    NavItem {
        href: "/",
        vi: "Tổng quan",
        en: "Dashboard",
        group: None,
        visible: everyone,
    },
    NavItem {
        href: "/units",
        vi: "Đơn vị",
        en: "Units",
        group: Some(NavGroup::Inventory),
        visible: everyone,
    },
    NavItem {
        href: "/systems",
        vi: "Hệ thống thông tin",
        en: "Information systems",
        group: Some(NavGroup::Inventory),
        visible: everyone,
    },
    NavItem {
        href: "/assets",
        vi: "Tài sản",
        en: "Assets",
        group: Some(NavGroup::Inventory),
        visible: everyone,
    },
    NavItem {
        href: "/contacts",
        vi: "Đầu mối liên hệ",
        en: "Contacts",
        group: Some(NavGroup::Inventory),
        visible: everyone,
    },
    NavItem {
        href: "/authorities",
        vi: "Cơ quan chức năng",
        en: "Authorities",
        group: Some(NavGroup::Inventory),
        visible: everyone,
    },
    NavItem {
        href: "/inventory",
        vi: "Nhập/xuất danh mục",
        en: "Import/export",
        group: Some(NavGroup::Inventory),
        visible: everyone,
    },
    NavItem {
        href: "/directive",
        vi: "Thực hiện chỉ thị",
        en: "Directive progress",
        group: Some(NavGroup::Operations),
        visible: everyone,
    },
    NavItem {
        href: "/alerts",
        vi: "Cảnh báo",
        en: "Alerts",
        group: Some(NavGroup::Operations),
        visible: everyone,
    },
    NavItem {
        href: "/findings",
        vi: "Phát hiện",
        en: "Findings",
        group: Some(NavGroup::Operations),
        visible: everyone,
    },
    NavItem {
        href: "/scans",
        vi: "Rà quét",
        en: "Scans",
        group: Some(NavGroup::Operations),
        visible: everyone,
    },
    NavItem {
        href: "/hygiene",
        vi: "An toàn tài khoản",
        en: "Account hygiene",
        group: Some(NavGroup::Operations),
        visible: everyone,
    },
    NavItem {
        href: "/malware/scan",
        vi: "Quét tệp mã độc",
        en: "Scan a file",
        group: Some(NavGroup::Operations),
        visible: everyone,
    },
    NavItem {
        href: "/monitors",
        vi: "Giám sát",
        en: "Monitors",
        group: Some(NavGroup::Operations),
        visible: everyone,
    },
    NavItem {
        href: "/flow",
        vi: "Mạng ISP (luồng)",
        en: "ISP network (flows)",
        group: Some(NavGroup::Operations),
        visible: everyone,
    },
    NavItem {
        href: "/events",
        vi: "Sự kiện",
        en: "Events",
        group: Some(NavGroup::Operations),
        visible: everyone,
    },
    NavItem {
        href: "/indicators",
        vi: "Chỉ báo (IOC)",
        en: "Indicators (IOC)",
        group: Some(NavGroup::Operations),
        visible: everyone,
    },
    NavItem {
        href: "/rules",
        vi: "Luật phát hiện",
        en: "Detection rules",
        group: Some(NavGroup::Operations),
        visible: everyone,
    },
    NavItem {
        href: "/suppressions",
        vi: "Loại trừ",
        en: "Suppressions",
        group: Some(NavGroup::Operations),
        visible: everyone,
    },
    NavItem {
        href: "/incidents",
        vi: "Sự cố",
        en: "Incidents",
        group: Some(NavGroup::Operations),
        visible: everyone,
    },
    NavItem {
        href: "/bulletins",
        vi: "Bản tin ATTT",
        en: "Bulletins",
        group: Some(NavGroup::Operations),
        visible: everyone,
    },
    NavItem {
        href: "/duty",
        vi: "Lịch trực",
        en: "Duty roster",
        group: Some(NavGroup::Operations),
        visible: everyone,
    },
    NavItem {
        href: "/duty/pages",
        vi: "Báo động trực",
        en: "Paging",
        group: Some(NavGroup::Operations),
        visible: everyone,
    },
    NavItem {
        href: "/users",
        vi: "Người dùng",
        en: "Users",
        group: Some(NavGroup::Admin),
        visible: admins,
    },
    NavItem {
        href: "/audit",
        vi: "Nhật ký",
        en: "Audit log",
        group: Some(NavGroup::Admin),
        visible: admins,
    },
];

fn is_current(item: &NavItem, path: &str) -> bool {
    let path = path.split('?').next().unwrap_or(path);
    if item.href == "/" {
        path == "/"
    } else {
        path == item.href || path.starts_with(&format!("{}/", item.href))
    }
}

fn nav(chrome: &Chrome, user: &User) -> Markup {
    let lang = chrome.lang;
    let entry = |item: &NavItem| {
        html! {
            li {
                a href=(item.href) aria-current=[is_current(item, &chrome.path).then_some("page")] {
                    (lang.pick(item.vi, item.en))
                }
            }
        }
    };
    html! {
        nav.sidebar aria-label=(lang.pick("Điều hướng", "Navigation")) {
            ul.nav-top {
                @for item in NAV.iter().filter(|i| i.group.is_none() && (i.visible)(user.role)) {
                    (entry(item))
                }
            }
            @for group in NavGroup::ORDER {
                @let items: Vec<&NavItem> = NAV
                    .iter()
                    .filter(|i| i.group == Some(group) && (i.visible)(user.role))
                    .collect();
                @if !items.is_empty() {
                    h2.nav-group { (group.label(lang)) }
                    ul { @for item in items { (entry(item)) } }
                }
            }
        }
    }
}

fn lang_switch(chrome: &Chrome) -> Markup {
    let next = url_encode(&chrome.path);
    html! {
        div.lang-switch aria-label=(chrome.lang.t(Msg::Language)) {
            @for (lang, label) in [(Lang::Vi, "Tiếng Việt"), (Lang::En, "English")] {
                @if lang == chrome.lang {
                    strong lang=(lang.code()) { (label) }
                } @else {
                    a href={ "/lang/" (lang.code()) "?next=" (next) } lang=(lang.code()) hreflang=(lang.code()) { (label) }
                }
            }
        }
    }
}

/// A whole page: `title` as the `<h1>` and in `<title>`, `body` under it.
pub fn page(chrome: &Chrome, title: &str, body: Markup) -> Markup {
    page_with_heading(chrome, title, html! { h1 { (title) } }, body)
}

/// A whole page with a custom heading block (e.g. a title with action buttons).
pub fn page_with_heading(chrome: &Chrome, title: &str, heading: Markup, body: Markup) -> Markup {
    page_refreshing(chrome, title, heading, body, None)
}

/// As [`page_with_heading`], reloaded every `refresh_secs` seconds when given (a running scan's
/// page follows its progress without JavaScript).
pub fn page_refreshing(
    chrome: &Chrome,
    title: &str,
    heading: Markup,
    body: Markup,
    refresh_secs: Option<u32>,
) -> Markup {
    let lang = chrome.lang;
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                @if let Some(secs) = refresh_secs { meta http-equiv="refresh" content=(secs); }
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · canhgac" }
                link rel="stylesheet" href="/static/console.css";
            }
            body {
                header.topbar {
                    a.brand href="/" { "canhgac" span.tagline { (lang.t(Msg::Tagline)) } }
                    div.topbar-right {
                        @if let (Some(_), Some(open)) = (&chrome.user, chrome.open_alerts) {
                            span.alert-count {
                                a href="/alerts?status=open" data-count="header-alerts" { (open) }
                                " " (lang.t(Msg::NewAlertsInScope))
                            }
                        }
                        (lang_switch(chrome))
                        @if let Some(user) = &chrome.user {
                            span.who {
                                span.visually-hidden { (lang.t(Msg::SignedInAs)) " " }
                                strong.user-name { (user.display_name) }
                                " "
                                span.role-badge data-role=(user.role.code()) { (i18n::role(lang, user.role)) }
                            }
                            form.inline method="post" action="/logout" {
                                input type="hidden" name="csrf" value=(chrome.csrf.as_deref().unwrap_or_default());
                                button.link-button type="submit" { (lang.t(Msg::SignOut)) }
                            }
                        }
                    }
                }
                div.frame {
                    @if let Some(user) = &chrome.user { (nav(chrome, user)) }
                    main.content {
                        (heading)
                        (body)
                    }
                }
            }
        }
    }
}

/// `GET /static/console.css`.
pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        PreEscaped(include_str!("../../static/console.css")).0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role) -> User {
        User {
            id: 1,
            username: "u".into(),
            display_name: "Người dùng".into(),
            email: None,
            role,
            unit_ids: Vec::new(),
            disabled: false,
            created_at: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    fn chrome(role: Role, lang: Lang, path: &str) -> Chrome {
        Chrome {
            lang,
            user: Some(user(role)),
            csrf: Some("tok".into()),
            path: path.into(),
            open_alerts: Some(4),
        }
    }

    #[test]
    fn navigation_follows_the_list_and_the_role() {
        let full = page(&chrome(Role::Admin, Lang::Vi, "/systems/3"), "T", html! {}).into_string();
        let admin = &full[full.find("<nav").expect("navigation drawn")..];
        let order: Vec<usize> = [
            "Tổng quan",
            "Danh mục",
            "Đơn vị",
            "Nhập/xuất danh mục",
            "Vận hành",
            "Cảnh báo",
            "Sự kiện",
            "Chỉ báo (IOC)",
            "Luật phát hiện",
            "Loại trừ",
            "Quản trị",
            "Nhật ký",
        ]
        .iter()
        .map(|label| {
            admin
                .find(label)
                .unwrap_or_else(|| panic!("{label} missing"))
        })
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
        assert!(admin.contains(r#"<a href="/systems" aria-current="page">"#));
        let viewer = page(&chrome(Role::Viewer, Lang::En, "/"), "T", html! {}).into_string();
        assert!(
            viewer.contains("Dashboard")
                && !viewer.contains("/audit")
                && !viewer.contains("/users")
        );
        assert!(viewer.contains(r#"name="csrf" value="tok""#));
        assert!(viewer.contains(r#"data-count="header-alerts">4<"#));
    }
}
