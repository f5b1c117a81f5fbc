//! An audit as findings for the server: one per account with a breached or empty password, one
//! per unit and group of accounts sharing a password. Accounts are mapped to units by a CSV
//! (`account,unit`) or all to one unit. No password and no hash leaves this module; group keys
//! are derived from the accounts' names, not from the password.

use std::collections::{BTreeMap, HashMap};

use canhgac_model::finding::category;
use canhgac_model::{
    FindingBatch, FindingDraft, FindingSnapshot, FindingSource, Id, Severity, Timestamp,
};
use sha1::{Digest, Sha1};

use crate::audit::AuditReport;

/// A line of an account-to-unit mapping that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct MappingError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Reads an account-to-unit mapping: `account,unit` per line (the unit by its code), an optional
/// header `account,unit`, `#` comments and blank lines skipped. Accounts match with or without
/// their `DOMAIN\` prefix, case-insensitively.
pub fn parse_account_units(text: &str) -> Result<Vec<(String, String)>, MappingError> {
    let mut out = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let trimmed = raw.trim().trim_start_matches('\u{feff}');
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let mut parts = trimmed.split([',', ';', '\t']).map(str::trim);
        let (Some(account), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(MappingError {
                line,
                message: "expected two columns: account,unit".into(),
            });
        };
        if line == 1 && account.eq_ignore_ascii_case("account") {
            continue;
        }
        if account.is_empty() || unit.is_empty() {
            return Err(MappingError {
                line,
                message: "the account and the unit code must not be empty".into(),
            });
        }
        out.push((account.to_string(), unit.to_string()));
    }
    Ok(out)
}

/// Which unit each account belongs to.
#[derive(Debug, Clone, Default)]
pub struct AccountUnits {
    by_name: HashMap<String, Id>,
    default: Option<Id>,
}

fn bare(account: &str) -> &str {
    account.rsplit(['\\', '/']).next().unwrap_or(account)
}

impl AccountUnits {
    /// Accounts mapped by name (with or without the domain prefix), others to `default`.
    pub fn new(mapping: impl IntoIterator<Item = (String, Id)>, default: Option<Id>) -> Self {
        let mut by_name = HashMap::new();
        for (account, unit) in mapping {
            by_name.insert(account.to_lowercase(), unit);
        }
        Self { by_name, default }
    }

    /// The unit of `account`.
    pub fn unit_of(&self, account: &str) -> Option<Id> {
        let lower = account.to_lowercase();
        self.by_name
            .get(&lower)
            .or_else(|| self.by_name.get(bare(&lower)))
            .copied()
            .or(self.default)
    }

    /// Every unit the mapping names: the units an audit run covers.
    pub fn units(&self) -> Vec<Id> {
        let mut units: Vec<Id> = self.by_name.values().copied().chain(self.default).collect();
        units.sort_unstable();
        units.dedup();
        units
    }
}

const REMEDY_BREACHED: &str = "Yêu cầu đổi mật khẩu ngay (mật khẩu này có trong dữ liệu lộ lọt công khai, kẻ tấn công dùng nó đầu tiên khi dò mật khẩu); bật xác thực hai yếu tố; kiểm tra nhật ký đăng nhập của tài khoản.";
const REMEDY_EMPTY: &str = "Đặt mật khẩu mạnh hoặc vô hiệu hoá tài khoản; kiểm tra vì sao tài khoản được phép có mật khẩu rỗng.";
const REMEDY_LM: &str = "Tắt lưu băm LM (chính sách nhóm \"Network security: Do not store LAN Manager hash value on next password change\"), rồi yêu cầu tài khoản đổi mật khẩu để băm LM cũ bị xoá.";
const REMEDY_SHARED: &str = "Mỗi người một tài khoản, mỗi tài khoản một mật khẩu riêng (chỉ thị: không dùng chung tài khoản, mật khẩu); đổi mật khẩu của các tài khoản trong nhóm.";

/// The findings of `report` for the server, as one complete run over the units of `units`.
/// Fails with the first accounts no unit is known for.
pub fn audit_batch(
    report: &AuditReport,
    units: &AccountUnits,
    observed_at: Timestamp,
) -> Result<FindingBatch, Vec<String>> {
    let mut unmapped: Vec<String> = report
        .findings
        .iter()
        .map(|f| f.account.as_str())
        .chain(
            report
                .shared_groups
                .iter()
                .flat_map(|g| g.accounts.iter().map(String::as_str)),
        )
        .filter(|account| units.unit_of(account).is_none())
        .map(str::to_string)
        .collect();
    unmapped.sort();
    unmapped.dedup();
    if !unmapped.is_empty() {
        return Err(unmapped);
    }
    let mut findings = Vec::new();
    let draft = |unit: Id,
                 key: String,
                 category: &str,
                 title: String,
                 severity: Severity,
                 subject: String,
                 evidence: serde_json::Value,
                 remediation: &str| FindingDraft {
        source: FindingSource::Passwords,
        key,
        category: category.to_string(),
        title,
        severity,
        unit_id: Some(unit),
        system_id: None,
        asset_id: None,
        host: None,
        subject,
        evidence,
        remediation: Some(remediation.to_string()),
        observed_at,
    };
    for account in &report.findings {
        let Some(unit) = units.unit_of(&account.account) else {
            continue;
        };
        let name_key = account.account.to_lowercase();
        if let Some(count) = account.breach_count {
            findings.push(draft(
                unit,
                format!("breached:{name_key}"),
                category::BREACHED_PASSWORD,
                format!(
                    "Tài khoản {} dùng mật khẩu đã bị lộ (xuất hiện {count} lần trong dữ liệu lộ lọt)",
                    account.account
                ),
                Severity::High,
                account.account.clone(),
                serde_json::json!({
                    "account": account.account,
                    "rid": account.rid,
                    "breach_count": count,
                    "shares_password": account.shared_group.is_some(),
                }),
                REMEDY_BREACHED,
            ));
        }
        if account.empty_password {
            findings.push(draft(
                unit,
                format!("empty:{name_key}"),
                category::EMPTY_PASSWORD,
                format!("Tài khoản {} có mật khẩu rỗng", account.account),
                Severity::Critical,
                account.account.clone(),
                serde_json::json!({"account": account.account, "rid": account.rid}),
                REMEDY_EMPTY,
            ));
        }
    }
    for account in report.findings.iter().filter(|a| a.lm_hash_stored) {
        let Some(unit) = units.unit_of(&account.account) else {
            continue;
        };
        findings.push(draft(
            unit,
            format!("lm:{}", account.account.to_lowercase()),
            category::LM_HASH,
            format!(
                "Tài khoản {} còn lưu băm LM của mật khẩu (dễ bẻ khoá)",
                account.account
            ),
            Severity::Medium,
            account.account.clone(),
            serde_json::json!({"account": account.account, "rid": account.rid}),
            REMEDY_LM,
        ));
    }
    for group in &report.shared_groups {
        // The key names the whole group's accounts, so that the same accounts sharing a
        // password again are the same finding, and a changed group is a new one.
        let mut hasher = Sha1::new();
        for account in &group.accounts {
            hasher.update(account.to_lowercase().as_bytes());
            hasher.update([0]);
        }
        let group_key = hex::encode(&hasher.finalize()[..8]);
        let mut per_unit: BTreeMap<Id, Vec<&str>> = BTreeMap::new();
        for account in &group.accounts {
            if let Some(unit) = units.unit_of(account) {
                per_unit.entry(unit).or_default().push(account);
            }
        }
        for (unit, accounts) in per_unit {
            let elsewhere = group.accounts.len() - accounts.len();
            let mut subject = accounts.join(", ");
            if subject.chars().count() > 1500 {
                subject = format!(
                    "{}, … ({} tài khoản)",
                    accounts[..10.min(accounts.len())].join(", "),
                    accounts.len()
                );
            }
            let mut title = format!("{} tài khoản dùng chung một mật khẩu", group.accounts.len());
            if group.breach_count.is_some() {
                title.push_str(" (mật khẩu đã bị lộ)");
            } else if group.empty_password {
                title.push_str(" (mật khẩu rỗng)");
            }
            let severity = if group.breach_count.is_some() || group.empty_password {
                Severity::Critical
            } else {
                Severity::High
            };
            findings.push(draft(
                unit,
                format!("shared:{group_key}"),
                category::SHARED_PASSWORD,
                title,
                severity,
                subject,
                serde_json::json!({
                    "accounts": accounts,
                    "accounts_in_other_units": elsewhere,
                    "group_size": group.accounts.len(),
                    "breach_count": group.breach_count,
                    "empty_password": group.empty_password,
                }),
                REMEDY_SHARED,
            ));
        }
    }
    Ok(FindingBatch {
        findings,
        snapshot: Some(FindingSnapshot {
            source: FindingSource::Passwords,
            categories: vec![
                category::BREACHED_PASSWORD.into(),
                category::EMPTY_PASSWORD.into(),
                category::SHARED_PASSWORD.into(),
                category::LM_HASH.into(),
            ],
            unit_ids: units.units().into_iter().map(Some).collect(),
            subject_prefix: None,
            hosts: Vec::new(),
        }),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::audit::{AccountFinding, SharedGroup};

    fn report() -> AuditReport {
        let account =
            |name: &str, breach: Option<u32>, empty: bool, group: Option<&str>| AccountFinding {
                account: name.into(),
                rid: Some(1100),
                breach_count: breach,
                empty_password: empty,
                shared_group: group.map(str::to_string),
                lm_hash_stored: name == "XA\\dung",
            };
        AuditReport {
            findings: vec![
                account("SO\\an", Some(52), false, Some("g1")),
                account("SO\\binh", Some(52), false, Some("g1")),
                account("XA\\chi", Some(52), false, Some("g1")),
                account("XA\\dung", None, true, None),
            ],
            shared_groups: vec![SharedGroup {
                id: "g1".into(),
                accounts: vec!["SO\\an".into(), "SO\\binh".into(), "XA\\chi".into()],
                breach_count: Some(52),
                empty_password: false,
            }],
            ..Default::default()
        }
    }

    #[test]
    fn mapping_reads_accounts_and_names_bad_lines() {
        let text = "account,unit\n# comment\nSO\\an,so-a\n\nchi;xa-b\n";
        assert_eq!(
            parse_account_units(text).unwrap(),
            vec![
                ("SO\\an".to_string(), "so-a".to_string()),
                ("chi".to_string(), "xa-b".to_string())
            ]
        );
        let err = parse_account_units("an,so-a\nbinh\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(parse_account_units("an,so-a,extra\n").is_err());
    }

    #[test]
    fn findings_per_account_and_per_unit_of_a_shared_group() {
        // SO accounts by the default unit 1, XA accounts mapped (bare names) to unit 2.
        let units = AccountUnits::new([("chi".into(), 2), ("XA\\DUNG".into(), 2)], Some(1));
        let at: Timestamp = "2026-11-26T03:00:00Z".parse().unwrap();
        let batch = audit_batch(&report(), &units, at).unwrap();
        let keys: Vec<(Option<Id>, &str)> = batch
            .findings
            .iter()
            .map(|f| (f.unit_id, f.key.as_str()))
            .collect();
        assert!(keys.contains(&(Some(1), "breached:so\\an")));
        assert!(keys.contains(&(Some(2), "breached:xa\\chi")));
        assert!(keys.contains(&(Some(2), "empty:xa\\dung")));
        assert!(keys.contains(&(Some(2), "lm:xa\\dung")));
        let shared: Vec<&FindingDraft> = batch
            .findings
            .iter()
            .filter(|f| f.category == category::SHARED_PASSWORD)
            .collect();
        assert_eq!(shared.len(), 2, "one per unit");
        assert_eq!(shared[0].key, shared[1].key, "the same group");
        let in_so = shared.iter().find(|f| f.unit_id == Some(1)).unwrap();
        assert_eq!(in_so.subject, "SO\\an, SO\\binh");
        assert_eq!(in_so.evidence["accounts_in_other_units"], 1);
        assert_eq!(
            in_so.severity,
            Severity::Critical,
            "the shared password is breached"
        );
        let snapshot = batch.snapshot.unwrap();
        assert_eq!(snapshot.unit_ids, vec![Some(1), Some(2)]);
        // Nothing resembling a hash or a group id derived from the password is sent.
        let json = serde_json::to_string(&batch.findings).unwrap();
        assert!(!json.contains("g1"));
    }

    #[test]
    fn unmapped_accounts_are_named() {
        let units = AccountUnits::new([("an".into(), 1)], None);
        let at: Timestamp = "2026-11-26T03:00:00Z".parse().unwrap();
        let missing = audit_batch(&report(), &units, at).unwrap_err();
        assert_eq!(missing, vec!["SO\\binh", "XA\\chi", "XA\\dung"]);
    }
}
