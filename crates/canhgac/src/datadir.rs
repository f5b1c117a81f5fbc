//! The data directory: creating it privately, the lock that keeps one server per directory, the
//! first-admin setup file, and opening the store it points at.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use canhgac_store::Store;
use fs4::fs_std::FileExt;

use crate::config::StorageConfig;

/// Name of the lock file a running server holds.
pub const LOCK_FILE: &str = "canhgac.lock";

/// Name of the file holding the first-admin setup link while no user exists.
pub const SETUP_FILE: &str = "first-admin-setup.txt";

/// Creates the data directory (mode 0700) if missing and makes `storage.data_dir` absolute, so
/// the derived SQLite URL does not depend on the working directory.
pub fn prepare(storage: &mut StorageConfig) -> anyhow::Result<()> {
    let dir = &storage.data_dir;
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode_private()
            .create(dir)
            .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    }
    storage.data_dir = dir
        .canonicalize()
        .with_context(|| format!("cannot use the data directory {}", dir.display()))?;
    Ok(())
}

/// Makes the data directory absolute without creating it (for commands that must find data).
pub fn existing(storage: &mut StorageConfig) -> anyhow::Result<()> {
    let dir = &storage.data_dir;
    storage.data_dir = dir.canonicalize().with_context(|| {
        format!(
            "no data directory at {} (start `canhgac serve` once, or pass --data)",
            dir.display()
        )
    })?;
    Ok(())
}

trait PrivateDir {
    fn mode_private(&mut self) -> &mut Self;
}

impl PrivateDir for std::fs::DirBuilder {
    fn mode_private(&mut self) -> &mut Self {
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            self.mode(0o700);
        }
        self
    }
}

/// An exclusive lock on a data directory, released when dropped (or when the process dies).
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
    path: PathBuf,
}

impl DataDirLock {
    /// Takes the lock, failing at once if another process holds it.
    pub fn acquire(data_dir: &Path) -> anyhow::Result<Self> {
        let path = data_dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open the lock file {}", path.display()))?;
        let locked = file
            .try_lock_exclusive()
            .with_context(|| format!("cannot lock {}", path.display()))?;
        if !locked {
            bail!(
                "another canhgac server is using {} (lock {} is held); stop it first",
                data_dir.display(),
                path.display()
            );
        }
        Ok(Self { _file: file, path })
    }

    /// Where the lock file is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Writes `text` to `path`, readable by the owner only, replacing any previous file.
pub fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    // Remove first: an existing file may have looser permissions that `mode` would not change.
    let _ = std::fs::remove_file(path);
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Opens the store the configuration names. With `create` false, a missing SQLite file is an
/// error rather than a new empty database (so a mistyped `--data` does not go unnoticed).
pub async fn open_store(
    storage: &mut StorageConfig,
    create: bool,
) -> anyhow::Result<Arc<dyn Store>> {
    if create {
        prepare(storage)?;
    } else if storage.database_url.trim().is_empty() {
        existing(storage)?;
    }
    if let (false, Some(path)) = (create, storage.sqlite_path()) {
        if !path.exists() {
            bail!(
                "no database at {} (start `canhgac serve` once, or pass --data/--database)",
                path.display()
            );
        }
    }
    let url = storage.effective_database_url();
    // The store's error names the URL, password masked.
    Ok(canhgac_store::open(&url).await?)
}
