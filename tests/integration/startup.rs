//! Starting the server binary: the runtime's thread count (`TOKIO_WORKER_THREADS`, see README,
//! Configuration) is taken like any other setting.
use crate::support::{ServerProcess, ON_SQLITE};

/// A thread count that is not a whole number of at least one stops start-up with exit code 2
/// and a line naming the variable — no panic, and no database made; one thread serves.
#[tokio::test]
async fn a_bad_thread_count_is_refused_and_one_thread_serves() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("never.db");
    for bad in ["abc", "0", "-1", " 2"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_leadwire"))
            .env("TOKIO_WORKER_THREADS", bad)
            .env(
                "LEADWIRE_DATABASE_URL",
                format!("sqlite://{}", database.display()),
            )
            .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
            .env("RUST_LOG", "off")
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {said}");
        assert!(
            said.contains("TOKIO_WORKER_THREADS must be a whole number"),
            "{bad:?}: {said}"
        );
        assert!(!said.contains("panicked"), "{bad:?}: {said}");
        assert!(!database.exists(), "{bad:?}: a database was made");
    }
    let server = ServerProcess::start(&dir, &[("TOKIO_WORKER_THREADS", "1"), ON_SQLITE]).await;
    let health = reqwest::get(server.url("/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
}
