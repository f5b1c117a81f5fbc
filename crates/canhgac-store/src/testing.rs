//! Throwaway stores for tests (feature `testing`).
//!
//! [`test_stores`] always returns a fresh SQLite store in a temporary directory, and, when
//! `CANHGAC_TEST_DATABASE_URL` names a PostgreSQL server (an admin URL such as
//! `postgres://postgres@127.0.0.1:55432/postgres`), a fresh PostgreSQL database created on it
//! with a random name and dropped when the [`TestStore`] is dropped. Without that variable it
//! prints `SKIPPED: PostgreSQL (set CANHGAC_TEST_DATABASE_URL)`, or panics when
//! `CANHGAC_REQUIRE_SERVICES=1`.
//!
//! ```no_run
//! # async fn t() {
//! for ts in canhgac_store::testing::test_stores().await {
//!     assert_eq!(ts.store.count_users().await.unwrap(), 0, "{}", ts.name);
//! }
//! # }
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use sqlx::{Connection, Executor};

use crate::{open, Store};

/// The environment variable holding the PostgreSQL admin URL for tests.
pub const DATABASE_URL_ENV: &str = "CANHGAC_TEST_DATABASE_URL";
/// The environment variable that turns skipped services into failures.
pub const REQUIRE_SERVICES_ENV: &str = "CANHGAC_REQUIRE_SERVICES";

/// A store under test, with whatever keeps its database alive.
pub struct TestStore {
    /// `sqlite` or `postgres`.
    pub name: &'static str,
    /// The store.
    pub store: Arc<dyn Store>,
    /// Removes the database when dropped.
    pub _guard: TestGuard,
}

/// Cleans up a test database when dropped.
pub enum TestGuard {
    /// The temporary directory holding the SQLite file.
    Sqlite(tempfile::TempDir),
    /// The throwaway PostgreSQL database: admin URL and database name.
    Postgres {
        /// URL of the server's admin database.
        admin_url: String,
        /// The database to drop.
        database: String,
    },
}

impl std::fmt::Debug for TestStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestStore")
            .field("name", &self.name)
            .finish()
    }
}

impl Drop for TestGuard {
    fn drop(&mut self) {
        let TestGuard::Postgres {
            admin_url,
            database,
        } = self
        else {
            return;
        };
        let admin_url = admin_url.clone();
        let database = database.clone();
        // Drop may run inside a Tokio runtime, which cannot block on another one: use a thread.
        let dropper = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                sqlx::any::install_default_drivers();
                if let Ok(mut conn) = sqlx::AnyConnection::connect(&admin_url).await {
                    let _ = conn
                        .execute(
                            format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)").as_str(),
                        )
                        .await;
                    let _ = conn.close().await;
                }
            });
        });
        let _ = dropper.join();
    }
}

/// True when `CANHGAC_REQUIRE_SERVICES=1`.
pub fn services_required() -> bool {
    std::env::var(REQUIRE_SERVICES_ENV).is_ok_and(|v| v.trim() == "1")
}

/// A fresh SQLite store in a temporary directory.
pub async fn sqlite_store() -> TestStore {
    let dir = tempfile::tempdir().expect("a temporary directory for the test database");
    let url = format!("sqlite://{}/canhgac.db", dir.path().display());
    let store = open(&url).await.expect("a fresh SQLite store opens");
    TestStore {
        name: "sqlite",
        store,
        _guard: TestGuard::Sqlite(dir),
    }
}

/// A fresh PostgreSQL store when `CANHGAC_TEST_DATABASE_URL` is set; otherwise prints the
/// SKIPPED line and returns `None` (or panics under `CANHGAC_REQUIRE_SERVICES=1`).
pub async fn postgres_store() -> Option<TestStore> {
    let Some(admin_url) = std::env::var(DATABASE_URL_ENV)
        .ok()
        .filter(|v| !v.trim().is_empty())
    else {
        skip_for_missing_service("PostgreSQL", &format!("set {DATABASE_URL_ENV}"));
        return None;
    };
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let database = format!(
        "canhgac_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos
    );
    sqlx::any::install_default_drivers();
    let mut admin = sqlx::AnyConnection::connect(&admin_url)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "cannot connect to {DATABASE_URL_ENV}={}: {e}",
                crate::mask_url(&admin_url)
            )
        });
    admin
        .execute(format!("CREATE DATABASE {database}").as_str())
        .await
        .unwrap_or_else(|e| panic!("cannot create test database {database}: {e}"));
    let _ = admin.close().await;
    let mut url = url::Url::parse(&admin_url).expect("the test database URL parses");
    url.set_path(&format!("/{database}"));
    let guard = TestGuard::Postgres {
        admin_url,
        database,
    };
    let store = open(url.as_str())
        .await
        .unwrap_or_else(|e| panic!("the PostgreSQL test store opens: {e}"));
    Some(TestStore {
        name: "postgres",
        store,
        _guard: guard,
    })
}

/// Every store to run a test against: SQLite always, PostgreSQL when configured.
pub async fn test_stores() -> Vec<TestStore> {
    let mut stores = vec![sqlite_store().await];
    if let Some(pg) = postgres_store().await {
        stores.push(pg);
    }
    stores
}

/// Reports that a test is skipping because `service` is missing, in a way nobody can miss:
/// under `CANHGAC_REQUIRE_SERVICES=1` (CI) it panics; otherwise it writes
/// `SKIPPED: <service> (<how to get it>)` straight to the terminal. `println!` would not do:
/// the test harness swallows the output of tests that pass.
pub fn skip_for_missing_service(service: &str, how_to_get_it: &str) {
    use std::io::Write;
    if services_required() {
        panic!("{REQUIRE_SERVICES_ENV}=1 but {service} is missing ({how_to_get_it})");
    }
    let line = format!("SKIPPED: {service} ({how_to_get_it})\n");
    // Written to the process's stderr handle directly, which the harness does not capture.
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}
