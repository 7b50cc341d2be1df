//! How a big resource's value travels inside the server's page to the browser that hydrates it.
//!
//! Leptos writes each resolved resource into the page as a JavaScript string literal, made with
//! Rust's `{:?}`, which escapes every `"` one at a time: for the inbox's 21 KB of JSON (over two
//! thousand quotes) that escaping was a tenth of the server's whole render. [`SwappedQuotesJson`]
//! is JSON with `"` and `'` exchanged — a swap that undoes itself, so the browser swaps back and
//! parses plain JSON — which leaves almost nothing to escape. Only the page's copy is encoded
//! this way; the server function behind the resource still answers plain JSON.
use super::error::AppError;
use super::inbox::InboxPage;
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

/// [`SwappedQuotesJson`] for the inbox's rows, which the server may have encoded already: a page
/// kept in the inbox cache carries its encoding (`InboxPage::prepared`), made once by
/// [`encode_inbox`] for every render that reuses it.
pub struct InboxPageJson;

type InboxValue = Result<InboxPage, AppError>;

impl codee::Encoder<InboxValue> for InboxPageJson {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(value: &InboxValue) -> Result<String, serde_json::Error> {
        match value {
            Ok(InboxPage {
                prepared: Some(prepared),
                ..
            }) => Ok(prepared.encoded.clone()),
            _ => <SwappedQuotesJson as codee::Encoder<InboxValue>>::encode(value),
        }
    }
}

impl codee::Decoder<InboxValue> for InboxPageJson {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(encoded: &str) -> Result<InboxValue, serde_json::Error> {
        <SwappedQuotesJson as codee::Decoder<InboxValue>>::decode(encoded)
    }
}

/// What [`InboxPageJson`] writes for `page` (its `prepared` part is never part of it).
pub fn encode_inbox(page: &InboxPage) -> Result<String, serde_json::Error> {
    let value: &Result<&InboxPage, AppError> = &Ok(page);
    Ok(swap_quotes(serde_json::to_string(value)?))
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
    fn a_prepared_inbox_page_is_written_as_its_encoding_and_reads_back_without_it() {
        use crate::model::inbox::PreparedInbox;
        use std::sync::Arc;
        let plain = InboxPage {
            rows: Vec::new(),
            searched: true,
            prepared: None,
        };
        let made = encode_inbox(&plain).unwrap();
        assert_eq!(
            made,
            <InboxPageJson as Encoder<_>>::encode(&Ok(plain.clone())).unwrap()
        );
        assert_eq!(made, "{'Ok':{'rows':[],'searched':true}}");
        // A prepared page is written as what was prepared, not encoded again.
        let prepared = InboxPage {
            prepared: Some(Arc::new(PreparedInbox {
                rows: Vec::new(),
                encoded: "{'Ok':{'rows':[],'searched':false}}".into(),
            })),
            ..plain.clone()
        };
        let written = <InboxPageJson as Encoder<_>>::encode(&Ok(prepared)).unwrap();
        assert_eq!(written, "{'Ok':{'rows':[],'searched':false}}");
        let back: Result<InboxPage, AppError> =
            <InboxPageJson as Decoder<_>>::decode(&made).unwrap();
        assert_eq!(back, Ok(plain));
    }

    #[test]
    fn json_quotes_become_ones_debug_leaves_alone() {
        let encoded =
            <SwappedQuotesJson as Encoder<_>>::encode(&serde_json::json!({"name": "Ana"})).unwrap();
        assert_eq!(encoded, "{'name':'Ana'}");
        assert_eq!(format!("{encoded:?}"), "\"{'name':'Ana'}\"");
    }
}
