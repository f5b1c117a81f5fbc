//! Sensible monitors for the systems the directive puts first: every web portal gets an HTTP
//! monitor with defacement watch on its pages, every email system a DNS MX monitor for its
//! domains and an SMTP STARTTLS monitor for its servers. Users change or delete them like any
//! other; the store does not recreate what a user deleted.

use canhgac_model::{Asset, AssetKind, DefacementSettings, MonitorInput, MonitorKind, SystemKind};

/// The automatic monitors of a system of this kind, given its assets.
pub fn automatic_monitors(kind: SystemKind, assets: &[Asset]) -> Vec<MonitorInput> {
    let mut monitors = Vec::new();
    match kind {
        SystemKind::Portal => {
            let urls: Vec<&Asset> = assets.iter().filter(|a| a.kind == AssetKind::Url).collect();
            for asset in &urls {
                monitors.push(portal_page(asset, &asset.value));
            }
            // A portal known only by its domain: watch its home page.
            if urls.is_empty() {
                for asset in assets.iter().filter(|a| a.kind == AssetKind::Domain) {
                    monitors.push(portal_page(asset, &format!("https://{}/", asset.value)));
                }
            }
        }
        SystemKind::Email => {
            for asset in assets {
                match asset.kind {
                    AssetKind::Domain => {
                        let mut mx = MonitorInput::new(
                            asset.id,
                            &format!("MX {}", asset.value),
                            MonitorKind::Dns,
                            &asset.value,
                        );
                        mx.settings.record_type = Some("MX".to_owned());
                        mx.interval_secs = 300;
                        monitors.push(mx);
                    }
                    AssetKind::Ip => {
                        let mut smtp = MonitorInput::new(
                            asset.id,
                            &format!("SMTP {}", asset.value),
                            MonitorKind::Smtp,
                            &smtp_target(&asset.value),
                        );
                        smtp.settings.starttls = true;
                        smtp.interval_secs = 120;
                        monitors.push(smtp);
                    }
                    AssetKind::Url => monitors.push(MonitorInput::new(
                        asset.id,
                        &format!("Webmail {}", asset.value),
                        MonitorKind::Http,
                        &asset.value,
                    )),
                    AssetKind::Cidr => {}
                }
            }
        }
        _ => {}
    }
    monitors
        .into_iter()
        .filter_map(|mut input| input.validate().ok().map(|()| input))
        .collect()
}

fn portal_page(asset: &Asset, url: &str) -> MonitorInput {
    let name = asset.name.clone().unwrap_or_else(|| url.to_owned());
    let mut input = MonitorInput::new(asset.id, &name, MonitorKind::Http, url);
    input.settings.defacement = Some(DefacementSettings::default());
    input
}

/// `ip:25`, bracketing IPv6 addresses.
fn smtp_target(ip: &str) -> String {
    if ip.contains(':') {
        format!("[{ip}]:25")
    } else {
        format!("{ip}:25")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asset(id: i64, kind: AssetKind, value: &str) -> Asset {
        let now = jiff::Timestamp::now();
        Asset {
            id,
            system_id: 1,
            kind,
            value: value.to_owned(),
            name: None,
            os: None,
            os_version: None,
            software: Vec::new(),
            note: None,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn portals_get_a_defacement_watched_page_per_url() {
        let assets = [
            asset(1, AssetKind::Url, "https://portal.example.gov.vn/"),
            asset(2, AssetKind::Domain, "portal.example.gov.vn"),
            asset(3, AssetKind::Ip, "203.0.113.10"),
        ];
        let monitors = automatic_monitors(SystemKind::Portal, &assets);
        assert_eq!(monitors.len(), 1);
        assert_eq!(monitors[0].asset_id, 1);
        assert_eq!(monitors[0].kind, MonitorKind::Http);
        assert!(monitors[0].settings.defacement.is_some());
    }

    #[test]
    fn a_portal_known_by_domain_only_is_watched_over_https() {
        let assets = [asset(2, AssetKind::Domain, "portal.example.gov.vn")];
        let monitors = automatic_monitors(SystemKind::Portal, &assets);
        assert_eq!(monitors[0].target, "https://portal.example.gov.vn/");
    }

    #[test]
    fn email_systems_get_mx_and_smtp_starttls() {
        let assets = [
            asset(1, AssetKind::Domain, "example.gov.vn"),
            asset(2, AssetKind::Ip, "2001:db8::25"),
            asset(3, AssetKind::Cidr, "203.0.113.0/24"),
        ];
        let monitors = automatic_monitors(SystemKind::Email, &assets);
        let kinds: Vec<MonitorKind> = monitors.iter().map(|m| m.kind).collect();
        assert_eq!(kinds, vec![MonitorKind::Dns, MonitorKind::Smtp]);
        assert_eq!(monitors[0].settings.record_type.as_deref(), Some("MX"));
        assert_eq!(monitors[1].target, "[2001:db8::25]:25");
        assert!(monitors[1].settings.starttls);
    }

    #[test]
    fn other_systems_get_none() {
        let assets = [asset(1, AssetKind::Url, "https://dms.example.gov.vn/")];
        assert!(automatic_monitors(SystemKind::Other, &assets).is_empty());
    }
}
