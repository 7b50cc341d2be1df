//! How a big resource's value travels inside the server's page to the browser that hydrates it.
//!
//! Leptos writes each resolved resource into the page as a JavaScript string literal, made with
//! Rust's `{:?}`, which escapes every `"` one at a time: for the inbox's 21 KB of JSON (over two
//! thousand quotes) that escaping was a tenth of the server's whole render. [`SwappedQuotesJson`]
//! is JSON with `"` and `'` exchanged — a swap that undoes itself, so the browser swaps back and
//! parses plain JSON — which leaves almost nothing to escape. Only the page's copy is encoded
//! this way; the server function behind the resource still answers plain JSON.
use serde::de::DeserializeOwned;
use serde::Serialize;

/// JSON with `"` and `'` exchanged (see the module's comment).
pub struct SwappedQuotesJson;

impl<T: Serialize> codee::Encoder<T> for SwappedQuotesJson {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(value: &T) -> Result<String, serde_json::Error> {
        Ok(swap_quotes(serde_json::to_string(value)?))
    }
}

impl<T: DeserializeOwned> codee::Decoder<T> for SwappedQuotesJson {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(encoded: &str) -> Result<T, serde_json::Error> {
        serde_json::from_str(&swap_quotes(encoded.to_string()))
    }
}

/// Exchanges every `"` for `'` and back: both are one byte in UTF-8, so the bytes around them,
/// multi-byte characters included, stay as they are.
fn swap_quotes(text: String) -> String {
    let mut bytes = text.into_bytes();
    for b in &mut bytes {
        *b = match *b {
            b'"' => b'\'',
            b'\'' => b'"',
            other => other,
        };
    }
    String::from_utf8(bytes).expect("swapping two ASCII bytes keeps UTF-8 valid")
}

#[cfg(test)]
mod tests {
    use super::*;
    use codee::{Decoder, Encoder};

    #[test]
    fn values_with_both_quotes_backslashes_and_any_text_come_back_equal() {
        let value: Vec<String> = vec![
            r#"He said "it's fine" \o/"#.into(),
            "l'été — 日本語 🎉 '' \"\" \\\" \\'".into(),
            String::new(),
        ];
        let encoded = <SwappedQuotesJson as Encoder<_>>::encode(&value).unwrap();
        assert!(
            encoded.starts_with("['He said \\'it\"s fine\\' "),
            "{encoded}"
        );
        let back: Vec<String> = <SwappedQuotesJson as Decoder<_>>::decode(&encoded).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn json_quotes_become_ones_debug_leaves_alone() {
        let encoded =
            <SwappedQuotesJson as Encoder<_>>::encode(&serde_json::json!({"name": "Ana"})).unwrap();
        assert_eq!(encoded, "{'name':'Ana'}");
        assert_eq!(format!("{encoded:?}"), "\"{'name':'Ana'}\"");
    }
}
