//! Why a provider did not take a message, in words the sender can act on, and whether trying
//! again can help: shared by every provider (Twilio, Meta) and the delivery worker.
use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub struct SendError {
    /// Retrying cannot help (a rejected number, bad credentials).
    pub permanent: bool,
    /// About the connection (unreachable, refused credentials, overloaded), not this one
    /// message: shown as the connection's health in Settings.
    pub of_connection: bool,
    pub reason: String,
    /// The provider may have taken the message all the same (no answer came, or an answer
    /// without the message's id): the next attempt asks before sending again.
    pub in_doubt: bool,
}

impl SendError {
    /// The provider could not be reached, or did not answer within `timeout`: worth another
    /// try, and the connection's trouble. The URL is left out of the words (it can hold an
    /// account id). Unless the connection was never made, the request may have arrived.
    pub fn unreachable(provider: &str, error: reqwest::Error, timeout: Duration) -> SendError {
        SendError {
            permanent: false,
            of_connection: true,
            in_doubt: !error.is_connect(),
            reason: if error.is_timeout() {
                format!(
                    "{provider} did not answer within {} s.",
                    timeout.as_secs_f32()
                )
            } else {
                format!("Could not reach {provider}: {}", error.without_url())
            },
        }
    }
}
