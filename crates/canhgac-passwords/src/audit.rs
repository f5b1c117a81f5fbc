//! Active Directory audit from an NTLM hash dump: breached, empty and shared passwords.

use std::collections::{HashMap, HashSet};
use std::io::BufRead;

use crate::{
    BreachedSet, HashKind, LineReader, MalformedLine, MalformedReason, PasswordsError,
    MAX_REPORTED_MALFORMED,
};

/// The NT hash of the empty password.
pub const EMPTY_PASSWORD_NT: [u8; 16] = [
    0x31, 0xd6, 0xcf, 0xe0, 0xd1, 0x6a, 0xe9, 0x31, 0xb7, 0x3c, 0x59, 0xd7, 0xe0, 0xc0, 0x89, 0xc0,
];

/// Longest dump line read whole.
const MAX_LINE: usize = 4096;

/// One account of a dump.
#[derive(Debug, Clone)]
pub struct DumpAccount {
    /// The name as written (`DOMAIN\user` or `user`).
    pub name: String,
    /// The relative id, when the line has one.
    pub rid: Option<u32>,
    /// The NT hash.
    pub nt: [u8; 16],
    /// Whether the dump holds an LM hash for it (other than the empty one): LM hashes are
    /// cracked in minutes, so storing them is a finding of its own.
    pub lm_stored: bool,
}

/// A parsed NTLM dump.
#[derive(Debug, Clone, Default)]
pub struct NtlmDump {
    /// User accounts, in the dump's order, each name once.
    pub accounts: Vec<DumpAccount>,
    /// Lines read.
    pub lines: u64,
    /// Computer accounts (names ending in `$`), skipped: their passwords are random and
    /// rotated by Windows.
    pub machine_accounts: u64,
    /// Password-history entries (`user_history0`), skipped: old passwords are not shared ones.
    pub history_entries: u64,
    /// Lines that are not account hashes: tool banners, Kerberos keys, clear-text lines.
    pub ignored: u64,
    /// Repeated account names, skipped after the first.
    pub repeated: u64,
    /// Malformed lines.
    pub malformed: u64,
    /// The first malformed lines, by number and reason.
    pub first_malformed: Vec<MalformedLine>,
}

/// Reads a dump: `user:rid:lmhash:nthash:::` lines (secretsdump, DSInternals `PWDump` view; a
/// trailing ` (status=...)` is accepted) or `user:nthash` lines (DSInternals `HashcatNT` view).
pub fn parse_dump(reader: impl BufRead) -> Result<NtlmDump, PasswordsError> {
    let mut dump = NtlmDump::default();
    let mut names = HashSet::new();
    let mut lines = LineReader::new(reader, MAX_LINE);
    while let Some(line) = lines.next_line()? {
        dump.lines = line.number;
        let text = String::from_utf8_lossy(line.bytes);
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let parsed = if line.too_long {
            Err(MalformedReason::TooLong)
        } else {
            parse_account(text)
        };
        match parsed {
            Ok(Parsed::Account(account)) => {
                let user = account.name.rsplit('\\').next().unwrap_or_default();
                if user.ends_with('$') {
                    dump.machine_accounts += 1;
                } else if is_history(user) {
                    dump.history_entries += 1;
                } else if !names.insert(account.name.to_lowercase()) {
                    dump.repeated += 1;
                } else {
                    dump.accounts.push(account);
                }
            }
            Ok(Parsed::Ignored) => dump.ignored += 1,
            Err(reason) => {
                dump.malformed += 1;
                if dump.first_malformed.len() < MAX_REPORTED_MALFORMED {
                    dump.first_malformed.push(MalformedLine {
                        line: line.number,
                        reason,
                    });
                }
            }
        }
    }
    Ok(dump)
}

enum Parsed {
    Account(DumpAccount),
    Ignored,
}

fn parse_account(text: &str) -> Result<Parsed, MalformedReason> {
    if text.starts_with('[') || text.starts_with('#') {
        return Ok(Parsed::Ignored);
    }
    let fields: Vec<&str> = text.split(':').collect();
    let (name, rid, lm, nt) = match fields.len() {
        2 => (fields[0], None, None, fields[1]),
        // Kerberos keys (`user:aes256-cts-hmac-sha1-96:...`) and clear-text lines
        // (`user:CLEARTEXT:...`) are not NT hashes.
        3 => return Ok(Parsed::Ignored),
        n if n >= 4 => {
            let rid = fields[1]
                .trim()
                .parse::<u32>()
                .map_err(|_| MalformedReason::BadFields)?;
            (fields[0], Some(rid), Some(fields[2]), fields[3])
        }
        _ => return Err(MalformedReason::BadFields),
    };
    let name = name.trim();
    if name.is_empty() {
        return Err(MalformedReason::BadFields);
    }
    let nt = nt.trim();
    if nt.len() != 32 {
        return Err(MalformedReason::WrongLength);
    }
    let mut hash = [0u8; 16];
    hex::decode_to_slice(nt, &mut hash).map_err(|_| MalformedReason::NotHex)?;
    // The LM field is only looked at, never kept: anything but the empty LM hash (or a
    // placeholder of zeros or stars some tools write) means an LM hash is stored.
    let lm_stored = lm.map(str::trim).is_some_and(|lm| {
        lm.len() == 32
            && lm.bytes().all(|b| b.is_ascii_hexdigit())
            && !lm.eq_ignore_ascii_case(EMPTY_LM)
            && lm.bytes().any(|b| b != b'0')
    });
    Ok(Parsed::Account(DumpAccount {
        name: name.to_string(),
        rid,
        nt: hash,
        lm_stored,
    }))
}

/// The LM hash of the empty password: what a dump shows when no LM hash is stored.
const EMPTY_LM: &str = "aad3b435b51404eeaad3b435b51404ee";

fn is_history(user: &str) -> bool {
    user.rsplit_once("_history")
        .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// An account with a password problem.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AccountFinding {
    /// The account name.
    pub account: String,
    /// Its relative id, when the dump has it.
    pub rid: Option<u32>,
    /// How often its password was seen in breaches, when it was.
    pub breach_count: Option<u32>,
    /// Whether its password is empty.
    pub empty_password: bool,
    /// The id of the group of accounts sharing its password, when it shares it.
    pub shared_group: Option<String>,
    /// Whether an LM hash of its password is stored (weak; crackable in minutes).
    pub lm_hash_stored: bool,
}

/// Accounts sharing one password.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SharedGroup {
    /// A short id, meaningful only within this report (derived with a per-run key, so it says
    /// nothing about the password).
    pub id: String,
    /// The accounts, sorted.
    pub accounts: Vec<String>,
    /// How often the shared password was seen in breaches, when it was.
    pub breach_count: Option<u32>,
    /// Whether the shared password is empty.
    pub empty_password: bool,
}

/// The result of an audit; it holds no password and no hash.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct AuditReport {
    /// User accounts checked.
    pub accounts_checked: u64,
    /// Accounts whose password is breached.
    pub breached_accounts: u64,
    /// Accounts with an empty password.
    pub empty_password_accounts: u64,
    /// Accounts sharing their password with another.
    pub shared_accounts: u64,
    /// Accounts with an LM hash stored.
    pub lm_hash_accounts: u64,
    /// Computer accounts skipped.
    pub machine_accounts_skipped: u64,
    /// Password-history entries skipped.
    pub history_entries_skipped: u64,
    /// Lines that are not account hashes, skipped.
    pub ignored_lines: u64,
    /// Malformed lines.
    pub malformed_lines: u64,
    /// The first malformed lines, by number and reason.
    pub first_malformed: Vec<MalformedLine>,
    /// Accounts with a problem, sorted by name.
    pub findings: Vec<AccountFinding>,
    /// Groups of accounts sharing a password, largest first.
    pub shared_groups: Vec<SharedGroup>,
}

impl AuditReport {
    /// Whether some account has a breached, empty or shared password.
    pub fn has_findings(&self) -> bool {
        !self.findings.is_empty()
    }
}

/// Checks every account of `dump` against `set` (an NTLM file) and groups accounts by password.
/// `key` (random, per run) derives the groups' ids; it is never stored.
pub fn audit(
    dump: &NtlmDump,
    set: &BreachedSet,
    key: &[u8],
) -> Result<AuditReport, PasswordsError> {
    if set.kind() != HashKind::Ntlm {
        return Err(PasswordsError::WrongKind {
            expected: HashKind::Ntlm,
            found: set.kind(),
        });
    }
    let mut by_hash: HashMap<[u8; 16], Vec<usize>> = HashMap::new();
    for (i, account) in dump.accounts.iter().enumerate() {
        by_hash.entry(account.nt).or_default().push(i);
    }
    let mut breach: HashMap<[u8; 16], Option<u32>> = HashMap::with_capacity(by_hash.len());
    for hash in by_hash.keys() {
        breach.insert(*hash, set.lookup(hash)?);
    }
    let mut shared: Vec<(&[u8; 16], &Vec<usize>)> = by_hash
        .iter()
        .filter(|(_, members)| members.len() > 1)
        .collect();
    shared.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.1[0].cmp(&b.1[0])));
    let ids = group_ids(shared.iter().map(|(hash, _)| *hash), key);
    let mut group_of: HashMap<[u8; 16], String> = HashMap::new();
    let mut report = AuditReport {
        accounts_checked: dump.accounts.len() as u64,
        machine_accounts_skipped: dump.machine_accounts,
        history_entries_skipped: dump.history_entries,
        ignored_lines: dump.ignored,
        malformed_lines: dump.malformed,
        first_malformed: dump.first_malformed.clone(),
        ..AuditReport::default()
    };
    for ((hash, members), id) in shared.iter().zip(ids) {
        let mut accounts: Vec<String> = members
            .iter()
            .map(|&i| dump.accounts[i].name.clone())
            .collect();
        accounts.sort();
        report.shared_accounts += accounts.len() as u64;
        group_of.insert(**hash, id.clone());
        report.shared_groups.push(SharedGroup {
            id,
            accounts,
            breach_count: breach.get(*hash).copied().flatten(),
            empty_password: **hash == EMPTY_PASSWORD_NT,
        });
    }
    for account in &dump.accounts {
        let breach_count = breach.get(&account.nt).copied().flatten();
        let empty_password = account.nt == EMPTY_PASSWORD_NT;
        let shared_group = group_of.get(&account.nt).cloned();
        if breach_count.is_some() {
            report.breached_accounts += 1;
        }
        if empty_password {
            report.empty_password_accounts += 1;
        }
        if account.lm_stored {
            report.lm_hash_accounts += 1;
        }
        if breach_count.is_some() || empty_password || shared_group.is_some() || account.lm_stored {
            report.findings.push(AccountFinding {
                account: account.name.clone(),
                rid: account.rid,
                breach_count,
                empty_password,
                shared_group,
                lm_hash_stored: account.lm_stored,
            });
        }
    }
    report.findings.sort_by(|a, b| a.account.cmp(&b.account));
    Ok(report)
}

/// Short ids for the groups: the first hex digits of SHA-1(key ‖ hash), four at least, more when
/// two groups would share an id.
fn group_ids<'a>(hashes: impl Iterator<Item = &'a [u8; 16]>, key: &[u8]) -> Vec<String> {
    use sha1::Digest;
    let full: Vec<String> = hashes
        .map(|hash| {
            let mut hasher = sha1::Sha1::new();
            hasher.update(key);
            hasher.update(hash);
            hex::encode(hasher.finalize())
        })
        .collect();
    let mut len = 4;
    while len < 40 {
        let distinct: HashSet<&str> = full.iter().map(|f| &f[..len]).collect();
        if distinct.len() == full.len() {
            break;
        }
        len += 2;
    }
    full.iter().map(|f| f[..len].to_string()).collect()
}
