//! Reading rule directories into rule sources, and noticing when they change.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use canhgac_sigma::{LoadError, RuleSource};

/// Our own rules, shipped inside the binary (users add SigmaHQ releases and their own).
const BUILTIN: &[(&str, &str)] = &[
    (
        "builtin:ssh_failed_password.yml",
        include_str!("../rules/ssh_failed_password.yml"),
    ),
    (
        "builtin:ssh_password_guessing.yml",
        include_str!("../rules/ssh_password_guessing.yml"),
    ),
    (
        "builtin:web_shell_request.yml",
        include_str!("../rules/web_shell_request.yml"),
    ),
    (
        "builtin:windows_admin_group_member_added.yml",
        include_str!("../rules/windows_admin_group_member_added.yml"),
    ),
    (
        "builtin:windows_service_installed.yml",
        include_str!("../rules/windows_service_installed.yml"),
    ),
];

/// The shipped rules as sources.
pub fn builtin_sources() -> Vec<RuleSource> {
    BUILTIN
        .iter()
        .map(|(origin, text)| RuleSource {
            origin: (*origin).to_string(),
            text: (*text).to_string(),
        })
        .collect()
}

/// Every `.yml`/`.yaml` file under `dirs` (recursively, in name order), as rule sources.
/// Unreadable files and directories become load errors; the rest still loads.
pub fn read_rule_dirs(dirs: &[PathBuf]) -> (Vec<RuleSource>, Vec<LoadError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for dir in dirs {
        collect(dir, &mut files, &mut errors);
    }
    files.sort();
    let mut sources = Vec::with_capacity(files.len());
    for path in files {
        match std::fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => sources.push(RuleSource {
                    origin: path.display().to_string(),
                    text,
                }),
                Err(_) => errors.push(LoadError {
                    origin: path.display().to_string(),
                    title: None,
                    reason: "not UTF-8 text".into(),
                }),
            },
            Err(e) => errors.push(LoadError {
                origin: path.display().to_string(),
                title: None,
                reason: format!("cannot read: {e}"),
            }),
        }
    }
    (sources, errors)
}

fn is_rule_file(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yml") | Some("yaml")
    )
}

fn collect(path: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<LoadError>) {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) => {
            errors.push(LoadError {
                origin: path.display().to_string(),
                title: None,
                reason: format!("cannot read: {e}"),
            });
            return;
        }
    };
    if meta.is_file() {
        if is_rule_file(path) {
            files.push(path.to_path_buf());
        }
        return;
    }
    let entries = match std::fs::read_dir(path) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(LoadError {
                origin: path.display().to_string(),
                title: None,
                reason: format!("cannot list: {e}"),
            });
            return;
        }
    };
    for entry in entries.flatten() {
        let child = entry.path();
        // Hidden entries (.git, editor swap files) are not rules.
        if child
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'))
        {
            continue;
        }
        collect(&child, files, errors);
    }
}

/// A cheap summary of the rule directories (file paths, sizes and modification times): when it
/// changes, the rules are reloaded.
pub fn fingerprint(dirs: &[PathBuf]) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
    let mut files = Vec::new();
    let mut ignored = Vec::new();
    for dir in dirs {
        collect(dir, &mut files, &mut ignored);
    }
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let meta = std::fs::metadata(&path).ok();
            let len = meta.as_ref().map_or(0, |m| m.len());
            let modified = meta.and_then(|m| m.modified().ok());
            (path, len, modified)
        })
        .collect()
}
