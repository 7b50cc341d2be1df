//! The per-address token buckets instances share on PostgreSQL (`store::address_buckets`):
//! a bucket empties and says when a token is back, and idle buckets are forgotten per limit.
//! Runs on the machine's PostgreSQL in both runs of the suite (the table is PostgreSQL's only).
use crate::support::ScratchDatabase;
use leadwire::server::store::Store;
use std::time::Duration;

#[tokio::test]
async fn a_bucket_empties_refills_and_is_forgotten_once_idle() {
    let db = ScratchDatabase::create().await;
    let store = Store::open(&db.url).await.unwrap();
    // Two at once, then one every 100 s.
    for _ in 0..2 {
        assert!(store
            .take_address_token("signup:192.0.2.1", 2.0, 0.01)
            .await
            .unwrap()
            .is_ok());
    }
    let wait = store
        .take_address_token("signup:192.0.2.1", 2.0, 0.01)
        .await
        .unwrap()
        .expect_err("the bucket is empty");
    assert!(
        wait > Duration::from_secs(90) && wait <= Duration::from_secs(100),
        "{wait:?}"
    );
    // Another address, and another limit for the same address, have buckets of their own.
    assert!(store
        .take_address_token("signup:192.0.2.2", 2.0, 0.01)
        .await
        .unwrap()
        .is_ok());
    assert!(store
        .take_address_token("public:192.0.2.1", 1.0, 1000.0)
        .await
        .unwrap()
        .is_ok());
    // A fast refill: a token is back within milliseconds.
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(store
        .take_address_token("public:192.0.2.1", 1.0, 1000.0)
        .await
        .unwrap()
        .is_ok());

    let kept = |prefix: &'static str| {
        let pool = db.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM address_buckets WHERE starts_with(key, $1)",
            )
            .bind(prefix)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    // Not idle long enough: kept.
    let forgotten = store
        .forget_idle_address_buckets("signup", Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!((forgotten, kept("signup:").await), (0, 2));
    // Idle past the given time: the signup buckets go, the other limit's stay.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let forgotten = store
        .forget_idle_address_buckets("signup", Duration::from_millis(10))
        .await
        .unwrap();
    assert_eq!(forgotten, 2);
    assert_eq!((kept("signup:").await, kept("public:").await), (0, 1));
    // A forgotten bucket starts full again.
    assert!(store
        .take_address_token("signup:192.0.2.1", 2.0, 0.01)
        .await
        .unwrap()
        .is_ok());
}
