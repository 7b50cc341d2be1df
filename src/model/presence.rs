//! Team awareness on the wire: who has a lead open, who is typing, who is online. Ephemeral:
//! kept in server memory, never in the event log, so these frames carry no `seq`.
use super::ids::UserId;
use serde::{Deserialize, Serialize};

/// A typing indicator lasts this long after the last `typing` frame: it always expires by
/// itself, even if the typist's tab dies mid-word.
pub const TYPING_TTL_MS: u32 = 4_000;
/// A tab sends `typing` at most this often while keys are pressed.
pub const TYPING_THROTTLE_MS: f64 = 1_500.0;

/// A teammate with a lead open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub user_id: UserId,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnlineStatus {
    /// A tab is open and was used recently.
    Online,
    /// Tabs are open, but nobody touched them for a while.
    Away,
}

/// A teammate with at least one tab open (everyone else is offline).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub user_id: UserId,
    pub name: String,
    pub status: OnlineStatus,
}

/// "Alice is typing…", "Alice and Bob are typing…", "3 people are typing…".
pub fn typing_label(names: &[String]) -> Option<String> {
    match names {
        [] => None,
        [one] => Some(format!("{one} is typing…")),
        [a, b] => Some(format!("{a} and {b} are typing…")),
        more => Some(format!("{} people are typing…", more.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::typing_label;

    #[test]
    fn typing_reads_naturally() {
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(typing_label(&[]), None);
        assert_eq!(
            typing_label(&names(&["Alice"])).unwrap(),
            "Alice is typing…"
        );
        assert_eq!(
            typing_label(&names(&["Alice", "Bob"])).unwrap(),
            "Alice and Bob are typing…"
        );
        assert_eq!(
            typing_label(&names(&["A", "B", "C"])).unwrap(),
            "3 people are typing…"
        );
    }
}
