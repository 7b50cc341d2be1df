//! The release bundle under /pkg: precompressed copies, immutable caching of hashed names, and
//! pages that load the hashed names (src/server/static_files.rs, scripts/build-release.sh).
use crate::support::TestServer;

/// A site folder laid out as build-release.sh lays it out, with recognisable contents.
fn release_site() -> tempfile::TempDir {
    let site = tempfile::tempdir().unwrap();
    let pkg = site.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let write = |name: &str, body: &str| std::fs::write(pkg.join(name), body).unwrap();
    write("leadwire.0123456789abcdef.wasm", "plain wasm");
    write("leadwire.0123456789abcdef.wasm.br", "brotli wasm");
    write("leadwire.0123456789abcdef.wasm.gz", "gzip wasm");
    write("leadwire.fedcba9876543210.js", "plain js");
    write("leadwire.css", "plain css");
    write("leadwire.css.br", "brotli css");
    write("hash.txt", "js: fedcba9876543210\nwasm: 0123456789abcdef\n");
    site
}

async fn get(
    server: &TestServer,
    path: &str,
    accept_encoding: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, String) {
    // No automatic decompression: the test looks at what was sent.
    let client = reqwest::Client::builder()
        .no_gzip()
        .no_brotli()
        .build()
        .unwrap();
    let mut request = client.get(server.url(path));
    if let Some(encodings) = accept_encoding {
        request = request.header("accept-encoding", encodings);
    }
    let res = request.send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.text().await.unwrap())
}

#[tokio::test]
async fn the_bundle_is_sent_compressed_and_hashed_names_are_cached_for_good() {
    let site = release_site();
    let root = site.path().to_str().unwrap().to_string();
    let server = TestServer::start_with(|s| s.site_root = root).await;
    let wasm = "/pkg/leadwire.0123456789abcdef.wasm";

    let (status, headers, body) = get(&server, wasm, Some("gzip, deflate, br")).await;
    assert_eq!(status, 200);
    assert_eq!(body, "brotli wasm");
    assert_eq!(headers["content-encoding"], "br");
    assert_eq!(headers["content-type"], "application/wasm");
    assert_eq!(
        headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(headers["vary"], "accept-encoding");

    let (_, headers, body) = get(&server, wasm, Some("gzip")).await;
    assert_eq!(body, "gzip wasm");
    assert_eq!(headers["content-encoding"], "gzip");

    let (_, headers, body) = get(&server, wasm, None).await;
    assert_eq!(body, "plain wasm");
    assert!(headers.get("content-encoding").is_none());

    // An unhashed name may change under the same URL: revalidated on every use.
    let (_, headers, body) = get(&server, "/pkg/leadwire.css", Some("br")).await;
    assert_eq!(body, "brotli css");
    assert_eq!(headers["cache-control"], "no-cache");

    let (status, headers, _) = get(&server, "/pkg/missing.0123456789abcdef.js", Some("br")).await;
    assert_eq!(status, 404);
    assert!(
        headers.get("cache-control").is_none(),
        "a 404 is not cached for a year"
    );
}

#[tokio::test]
async fn pages_load_the_hashed_bundle_named_in_hash_txt() {
    let site = release_site();
    let root = site.path().to_str().unwrap().to_string();
    let server = TestServer::start_with(|s| s.site_root = root).await;
    let (status, _, html) = get(&server, "/login", None).await;
    assert_eq!(status, 200);
    assert!(html.contains("/pkg/leadwire.fedcba9876543210.js"), "{html}");
    assert!(
        html.contains("/pkg/leadwire.0123456789abcdef.wasm"),
        "{html}"
    );
}
