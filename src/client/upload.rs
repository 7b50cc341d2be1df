//! Uploads a file the user picked (`POST /api/uploads`) so a message can carry it.
#[cfg(feature = "hydrate")]
use crate::model::attachment::Upload;

/// Sends `file` to the server; the upload, or the server's words on why not.
#[cfg(feature = "hydrate")]
pub async fn upload(file: web_sys::File) -> Result<Upload, String> {
    use leptos::prelude::window;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let offline = "The file could not be uploaded: no connection. Try again.".to_string();
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    if let Ok(headers) = web_sys::Headers::new() {
        let _ = headers.set("content-type", &file.type_());
        init.set_headers(&headers);
    }
    init.set_body(&file);
    let url = format!(
        "/api/uploads?filename={}",
        js_sys::encode_uri_component(&file.name())
    );
    let response: web_sys::Response = JsFuture::from(window().fetch_with_str_and_init(&url, &init))
        .await
        .ok()
        .and_then(|r| r.dyn_into().ok())
        .ok_or_else(|| offline.clone())?;
    let text = match response.text() {
        Ok(promise) => JsFuture::from(promise)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    if response.ok() {
        return serde_json::from_str(&text).map_err(|_| offline);
    }
    // The API's error body: {"error", "message", "field"?}.
    Err(serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["message"].as_str().map(str::to_string))
        .unwrap_or_else(|| format!("The file could not be uploaded ({}).", response.status())))
}
