//! The inbox's filters and search, parsed once at the edge: unknown values are errors with a
//! field, and search text becomes an FTS5 query that no input can break.
use super::channel::Channel;
use super::error::AppError;
use super::lead::Stage;
use super::message::ConversationSummary;
use serde::{Deserialize, Serialize};

/// Longest search text, in characters.
pub const MAX_SEARCH_CHARS: usize = 200;
/// Marks the start and end of a highlighted match inside snippets (never in user text: control
/// characters are stripped from messages' snippets before they are marked).
pub const MARK_START: char = '\u{2}';
pub const MARK_END: char = '\u{3}';

/// What the inbox shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct InboxFilter {
    pub channel: Option<Channel>,
    pub unread_only: bool,
    /// Only leads the viewer owns.
    pub mine: bool,
    pub stage: Option<Stage>,
    /// An FTS5 query built by [`fts_query`]; None: no search.
    pub search: Option<String>,
}

/// The inbox's rows, and whether they answer a search.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InboxPage {
    pub rows: Vec<ConversationSummary>,
    pub searched: bool,
    /// On the server only, for a page kept in the inbox cache: what rendering it makes of the
    /// rows, made once for every render that reuses them. Never sent.
    #[serde(skip)]
    pub prepared: Option<std::sync::Arc<PreparedInbox>>,
}

/// Equal when the rows and `searched` are: what a page shows, prepared or not.
impl PartialEq for InboxPage {
    fn eq(&self, other: &InboxPage) -> bool {
        self.rows == other.rows && self.searched == other.searched
    }
}

/// A cached inbox page as the server writes it (see `server::inbox_cache`).
#[derive(Debug)]
pub struct PreparedInbox {
    /// Each row's inner markup, times in UTC (`components::inbox_row::row_markup`).
    pub rows: Vec<String>,
    /// The page's value as its resource travels in the page (`page_data::InboxPageJson`).
    pub encoded: String,
}

impl InboxFilter {
    pub fn parse(
        channel: &str,
        unread: bool,
        owner: &str,
        stage: &str,
        q: &str,
    ) -> Result<InboxFilter, AppError> {
        let channel = match channel.trim() {
            "" | "all" => None,
            c => Some(Channel::parse(c).ok_or_else(|| {
                AppError::validation("channel", "Pick email, sms, whatsapp, instagram or chat.")
            })?),
        };
        let mine = match owner.trim() {
            "" | "all" => false,
            "me" => true,
            _ => return Err(AppError::validation("owner", "Owner must be me or all.")),
        };
        let stage = match stage.trim() {
            "" | "all" => None,
            s => Some(Stage::parse(s).ok_or_else(|| {
                AppError::validation("stage", "Pick new, contacted, qualified, won or lost.")
            })?),
        };
        Ok(InboxFilter {
            channel,
            unread_only: unread,
            mine,
            stage,
            search: fts_query(q)?,
        })
    }
}

/// Search text → an FTS5 query: every word as a quoted prefix term, all required. Operators,
/// quotes, parentheses and lone `*` are not syntax here, just separators. None when no word
/// is left (an empty search shows the normal inbox).
pub fn fts_query(raw: &str) -> Result<Option<String>, AppError> {
    if raw.chars().count() > MAX_SEARCH_CHARS {
        return Err(AppError::validation(
            "q",
            format!("Search for at most {MAX_SEARCH_CHARS} characters."),
        ));
    }
    let words: Vec<String> = raw
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(12)
        .map(|w| format!("\"{}\"*", w.to_lowercase()))
        .collect();
    Ok((!words.is_empty()).then(|| words.join(" ")))
}

/// A snippet split into plain and highlighted parts.
pub fn highlight_parts(snippet: &str) -> Vec<(String, bool)> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut marked = false;
    for c in snippet.chars() {
        match c {
            MARK_START | MARK_END => {
                if !current.is_empty() {
                    parts.push((std::mem::take(&mut current), marked));
                }
                marked = c == MARK_START;
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        parts.push((current, marked));
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_search_text_becomes_plain_words() {
        assert_eq!(fts_query("").unwrap(), None);
        assert_eq!(fts_query("   ").unwrap(), None);
        assert_eq!(fts_query("*").unwrap(), None);
        assert_eq!(fts_query("\"").unwrap(), None);
        assert_eq!(
            fts_query("AND OR NOT ( ) : ^").unwrap().unwrap(),
            "\"and\"* \"or\"* \"not\"*"
        );
        assert_eq!(
            fts_query("pricing\" OR body:*x").unwrap().unwrap(),
            "\"pricing\"* \"or\"* \"body\"* \"x\"*"
        );
        assert_eq!(
            fts_query("Café Zürich").unwrap().unwrap(),
            "\"café\"* \"zürich\"*"
        );
        assert_eq!(
            fts_query(&"a".repeat(MAX_SEARCH_CHARS + 1))
                .unwrap_err()
                .field(),
            Some("q")
        );
    }

    #[test]
    fn filters_name_the_bad_field() {
        assert_eq!(
            InboxFilter::parse("fax", false, "", "", "")
                .unwrap_err()
                .field(),
            Some("channel")
        );
        assert_eq!(
            InboxFilter::parse("", false, "boss", "", "")
                .unwrap_err()
                .field(),
            Some("owner")
        );
        assert_eq!(
            InboxFilter::parse("", false, "", "dead", "")
                .unwrap_err()
                .field(),
            Some("stage")
        );
        let f = InboxFilter::parse("sms", true, "me", "won", "hi").unwrap();
        assert_eq!(f.channel, Some(Channel::Sms));
        assert!(f.unread_only && f.mine);
        assert_eq!(f.search.as_deref(), Some("\"hi\"*"));
    }

    #[test]
    fn snippets_split_into_marked_parts() {
        let s = format!("about {MARK_START}pricing{MARK_END} today");
        assert_eq!(
            highlight_parts(&s),
            vec![
                ("about ".to_string(), false),
                ("pricing".to_string(), true),
                (" today".to_string(), false)
            ]
        );
    }
}
