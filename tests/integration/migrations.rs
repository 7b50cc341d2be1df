//! Migrations are append-only: once committed, a migration never changes (a database that ran
//! it would refuse to start, since sqlx compares each applied migration with its checksum), and
//! a change to the schema is a new file. This test holds the checksum of every committed one.
use leadwire::server::store::Store;

/// (version, SHA-384 of the file, as sqlx records it in `_sqlx_migrations`). A new migration
/// adds a line here; a changed line means a committed migration was edited.
const RECORDED: &[(i64, &str)] = &[
    (20261122000001, "8a6adac49ff70296cc3a8127447282dee4c6befc344c6d6a2371196dd61da0b1c2ee0fcbadfbc715ffb7d5312bafbad9"),
    (20261122000002, "9491d5f109acda3852630b471ec1291863e38bc533a97a0800d6484fb5c9319018f17d752fc0a1d96a9f9d95025f270f"),
    (20261122000003, "b1021cd4e9bd4d9e517fe3905a29e50d5a041e5aba7d720a2e246732ef4419d35419bee21219b5562f28d97f731c3b7e"),
    (20261122000004, "35ed0febe21508092bd44661cf5bb6fb4d61c4aa1ee8b08d47b579a13aff220d60971f5616cb82c5a5771c9cec29c34c"),
    (20261122000005, "9aaa3d44b4a90c87b5b6fee3223eee047472e0e7b9d6b4faa9f9ac7b6c57db66da5db61ad06a94c0e4c254fcd85d6c9a"),
    (20261201000006, "2aa8a830dcd907116d7078e2223d7cf557c1cc12f81c18be5cba9be8433c8eca4d80bbce3b000814c60e04c776a872ed"),
    (20261202000007, "2a2dea21718db2187c29fbf4e674bd73c241b310f2c9baf4c43bf15baf15b6f3be0c89855c9aa3a7f269f00f0e990fea"),
    (20261202000008, "8b13c2a2f45eb015c3f5c2861e64ea1f1f77a026a0312c579d57567f0b0f8578275cfee4839ebbd0bc3c8b82597fb796"),
    (20261202000009, "f75a264522816ba11d837c6d70a1b8215dd7aae416a9730341b7773a0ac89728b175937b742eed8f88278a2b65180ba6"),
    (20261202000010, "f96ac3bc84f0b4b2d908dc8c9ea9ba57c3d848e03f8962a292093ca176225a3182539889d95f9cc3e40225509302926f"),
    (20261203000011, "d5cb7806e7a3434e3a0c1b4e6bf3de2c9008c9a5a7626f1cfa7d96c982e6c5c57ebeef15fc06a6ae31bfe11a5c81c96f"),
    (20261203000012, "d2f4c8f2d086c33bf4de7c1e2de49158b584ad00fbb727b2fe7f0924b9c45ef20d792a66d43f3f9fcc9a2a434a2af794"),
    (20261203000013, "a7d8a3bba73d8b0bddf941bd885b7453b901d34924eda5679c514fa0b68fc4027fdeac2be9a59b116dd3678c700e2e6b"),
    (20261203000014, "d7c83fa37fab4b9400446adf24850f4a84f976c3390cfd3f01f8733d4c9f4fb8d512d9f5b19e327128b6fe4113bcb6ec"),
    (20261203000015, "0ca3762cdd5f1fcd48c74ddb734f3894a25ba0aa4a1a28e826d0868d569498971e75aabb807bda918b746f4c2d248ecd"),
    (20261203000016, "b643a71c4552611e7cba1789868c53826ecbcfaec11ae92faa6721e5025e32dd68b830991cd6bbcc7e9e1ac1aa3e3f3a"),
    (20261203000017, "e7d7f01f995c46397522409ce7efa51343312d76d4a5ae54bce4911127fb525c2495e7df7108976fd8558d7efaa0e923"),
    (20261203000018, "daa0ca75822e9e31d853da8354f56b98163a83e28a3c25a9564c2f2bd24ac50f0bc557bcaa6869ef24f0be0c210638a9"),
    (20261203000019, "24b281babacc6b4a9bea89a114069715cb194a02198908fb8b96185634f71b7049d960cccd340f2f0fabaff3d4b9520b"),
    (20261203000020, "9c97fdc14a0fad3a7e1baf43003b5e194ac33f7112f3df6b892f1cbd2da702fb5509f36314ee15790bad2c06faa3f560"),
    (20261204000021, "1f0c1349f711f784db054bc980de74851acd25c84592d29a48e96094b55ab415c96b36640dc477512c4d2c06325831a9"),
    (20261204000022, "46815fc310f996c235fcd17779301a41eec8aba48a931c02f9dfe6926ad9a9ca0b220a1a960f3f97c1ab6210ffe7cf5d"),
    (20261204000023, "4a44a11a0bcd3d2f03c998e67d206cd1109d66fe1ba08d6d6774d7e6c5725e4bba9600af47f9563a2955cac56b3b8fbf"),
    (20261204000024, "13734f10655560c62fdffb1e4d3f3e6e5e045d75b4273b0c70a5007588990ae63c3bb4c0fdd21c6b2962d6adbf493487"),
    (20261204000025, "f9afcfa1750a10b58dcb0450f3a68672659c5fb850d92d90457c52b0b87cf0fa03506fee7d18026e3b5625736778a3b3"),
    (20261204000026, "3619956bdd8a46ba5976e211a95d5c8eb24e079643b0fb96614caf308e8c36201a85c40cd77e9ed5280eaf68539f5bfb"),
    (20261204000027, "5fcb9fbd87093fbba1403d96ac23a01083508e8ced0a9dec84d540b7c83e68605020ad428ff0fc51d1a09c5c73aa99f4"),
    (20261205000028, "3e79860f89b4d7f9f2062fe60ae525c05d339218a6b9c0afc11da3df70d519e6b8a7e217b23f7de92e7c9ab74a111b0a"),
    (20261205000029, "1f5b633db2aca88947c54d98154699c4fb697c05c4ca2d89f26c4a47e8e208be1859a43c0c71de7ec5b3c0f653dba8c5"),
    (20261205000030, "c9b85bdb54241c002178008312c82d20d3a887074e5a2333acf5ce78f73bcccf4eab9a47d1f159f004b70fd6fc04c214"),
    (20261205000031, "e9e8c3d8c7ef2c43606ecfa559b1076f88756d780d69adab8b27f9bd86642e967f2667ceb4d8b1e583b939e8822d4c29"),
    (20261206000032, "0e30c4dd1f0789c83e7c517581c95c68fa7047dc4f8be031ea7750ee33b5f8bc58d301fdd90adc0eab4f02c47348e667"),
    (20261207000033, "4ad441288796e317d3fb41db0fd5555fae8888b4947db74ce77eb8730c8b6cbd6a13a127e65fb9e9ccc9608f3300c1eb"),
    (20261207000034, "43069942a29362406f88169ec8ca9f14f03bd47f7348e79a108e2edd2a6dd74527cb8588595d76b614daab87e3073b66"),
    (20261207000035, "680bc421921206cabc79e980ef8db0c4a7fc8e6a8fb314553bdf4b3327a50a47e019ae30eb9ab05f7f4ccf9d0e374464"),
    (20261207000036, "4c7b2250355d8e4fba7fd0da2246529d3a8d83af4228102db365785388481c5b304680686de9dc510cfbd0b6ddd41eb8"),
];

#[tokio::test]
async fn committed_migrations_are_never_edited() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("m.db").display());
    let _store = Store::open(&url).await.unwrap();
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let applied: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&pool)
            .await
            .unwrap();
    let applied: Vec<(i64, String)> = applied
        .into_iter()
        .map(|(v, sum)| (v, sum.iter().map(|b| format!("{b:02x}")).collect()))
        .collect();
    let recorded: Vec<(i64, String)> = RECORDED
        .iter()
        .map(|(v, sum)| (*v, sum.to_string()))
        .collect();
    assert_eq!(
        applied, recorded,
        "a committed migration changed, or a new one is missing from RECORDED"
    );
}

/// Migration 18 rebuilds `channel_connections` (SQLite cannot widen a CHECK in place) while
/// `deliveries` refers to it. Run again on a database that has connections and deliveries, with
/// foreign keys enforced as the server runs them, it keeps every row and every reference.
#[tokio::test]
async fn the_connections_rebuild_keeps_rows_that_deliveries_refer_to() {
    use crate::support::{message, TestServer};
    let server = TestServer::start_on_sqlite().await;
    let client = server.signed_up("ada@example.com", "A").await;
    let lead = server
        .create_lead(
            &client,
            serde_json::json!({"name": "Maya", "phone": "+14155550100"}),
        )
        .await;
    let res = server
        .send(
            &client,
            lead["id"].as_str().unwrap(),
            message("sms", "Hello"),
        )
        .await;
    assert_eq!(res.status(), 201);
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(server.database_url.trim_start_matches("sqlite://"))
        .foreign_keys(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    let before: Vec<(Vec<u8>, String, String)> =
        sqlx::query_as("SELECT id, provider, webhook_key FROM channel_connections ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(before.len(), 1, "the sandbox connection the send made");
    let rebuild =
        std::fs::read_to_string("migrations/20261203000018_allow_meta_connections.sql").unwrap();
    let mut tx = pool.begin().await.unwrap();
    sqlx::raw_sql(&rebuild).execute(&mut *tx).await.unwrap();
    tx.commit().await.expect("no dangling reference at COMMIT");
    let after: Vec<(Vec<u8>, String, String)> =
        sqlx::query_as("SELECT id, provider, webhook_key FROM channel_connections ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(after, before);
    let dangling: Vec<(String, i64, String, i64)> = sqlx::query_as("PRAGMA foreign_key_check")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(dangling.is_empty(), "{dangling:?}");
    let deliveries: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM deliveries d JOIN channel_connections c ON c.id = d.connection_id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(deliveries, 1);
}

/// Migration 31 moves every queued message's attempts, lease, doubt, error and hand-over time
/// from `outbound_emails` and `deliveries` into the one `outbound_queue`, and keeps what each
/// channel sends where it was. Run on a database made by the migrations before it, holding one
/// email and one SMS delivery in the states the old tables could hold them.
#[tokio::test]
async fn the_one_queue_keeps_every_attempt_of_both_old_queues() {
    use sqlx::migrate::Migrator;
    let dir = tempfile::tempdir().unwrap();
    // Foreign keys off: the test writes the two queue rows alone, without their messages.
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(dir.path().join("m.db"))
        .create_if_missing(true)
        .foreign_keys(false);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    let all = Migrator::new(std::path::Path::new("migrations"))
        .await
        .unwrap();
    let mut before = Migrator::new(std::path::Path::new("migrations"))
        .await
        .unwrap();
    before.migrations = all
        .migrations
        .iter()
        .filter(|m| m.version < 20261205000031)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    before.run(&pool).await.unwrap();
    let (email, sms, workspace) = (vec![1u8; 16], vec![2u8; 16], vec![9u8; 16]);
    sqlx::query(
        "INSERT INTO outbound_emails (message_id, workspace_id, to_address, to_name, subject, \
         text_body, html_body, message_id_header, attempts, next_attempt_at, last_error, \
         attempt_started_at, sent_at, delivered_via, raw_message) \
         VALUES (?, ?, 'maya@example.com', 'Maya', 'Hi', 'text', '<p>html</p>', 'abc@leadwire', \
         3, '2026-12-05T10:00:00Z', '451 try later', '2026-12-05T09:59:00Z', NULL, NULL, NULL)",
    )
    .bind(&email)
    .bind(&workspace)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO deliveries (message_id, workspace_id, connection_id, to_address, attempts, \
         next_attempt_at, sent_at, provider_message_id, last_error, attempt_started_at) \
         VALUES (?, ?, ?, '+14155550100', 1, '2026-12-05T11:00:00Z', '2026-12-05T10:30:00Z', \
         'SM123', NULL, NULL)",
    )
    .bind(&sms)
    .bind(&workspace)
    .bind(vec![7u8; 16])
    .execute(&pool)
    .await
    .unwrap();

    all.run(&pool).await.unwrap();

    type Row = (
        Vec<u8>,
        String,
        i64,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let queue: Vec<Row> = sqlx::query_as(
        "SELECT message_id, worker, attempts, next_attempt_at, attempt_started_at, last_error, \
         sent_at FROM outbound_queue ORDER BY message_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let at = |s: &str| Some(s.to_string());
    assert_eq!(
        queue,
        vec![
            (
                email.clone(),
                "email".into(),
                3,
                "2026-12-05T10:00:00Z".into(),
                at("2026-12-05T09:59:00Z"),
                at("451 try later"),
                None
            ),
            (
                sms.clone(),
                "provider".into(),
                1,
                "2026-12-05T11:00:00Z".into(),
                None,
                None,
                at("2026-12-05T10:30:00Z")
            ),
        ]
    );
    let (subject, header): (String, String) = sqlx::query_as(
        "SELECT subject, message_id_header FROM outbound_emails WHERE message_id = ?",
    )
    .bind(&email)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((subject.as_str(), header.as_str()), ("Hi", "abc@leadwire"));
    let (to, provider_id): (String, Option<String>) = sqlx::query_as(
        "SELECT to_address, provider_message_id FROM deliveries WHERE message_id = ?",
    )
    .bind(&sms)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (to.as_str(), provider_id.as_deref()),
        ("+14155550100", Some("SM123"))
    );
}
