//! Money in the workspace's currency: the currencies a workspace can choose, and amounts (kept
//! in hundredths, `deal_value_cents`) written the way people read them.
use super::auth::CurrentUser;
use super::error::AppError;

/// ISO 4217 code, the symbol written before amounts, and the name shown in Settings.
pub const CURRENCIES: [(&str, &str, &str); 18] = [
    ("USD", "$", "US dollar"),
    ("EUR", "€", "Euro"),
    ("GBP", "£", "Pound sterling"),
    ("CAD", "CA$", "Canadian dollar"),
    ("AUD", "A$", "Australian dollar"),
    ("NZD", "NZ$", "New Zealand dollar"),
    ("CHF", "CHF\u{a0}", "Swiss franc"),
    ("JPY", "¥", "Japanese yen"),
    ("CNY", "CN¥", "Chinese yuan"),
    ("INR", "₹", "Indian rupee"),
    ("SGD", "S$", "Singapore dollar"),
    ("BRL", "R$", "Brazilian real"),
    ("MXN", "MX$", "Mexican peso"),
    ("ZAR", "R\u{a0}", "South African rand"),
    ("SEK", "SEK\u{a0}", "Swedish krona"),
    ("NOK", "NOK\u{a0}", "Norwegian krone"),
    ("DKK", "DKK\u{a0}", "Danish krone"),
    ("PLN", "PLN\u{a0}", "Polish złoty"),
];

/// The workspace's currency when none was chosen.
pub const DEFAULT_CURRENCY: &str = "USD";

/// The currency of the signed-in user's workspace (the default when nobody is signed in).
pub fn currency_of(user: Option<CurrentUser>) -> String {
    user.map_or_else(|| DEFAULT_CURRENCY.to_string(), |u| u.currency)
}

/// A currency code from a form or the API (case does not matter), as stored.
pub fn parse_currency(field: &str, raw: &str) -> Result<&'static str, AppError> {
    let wanted = raw.trim().to_ascii_uppercase();
    CURRENCIES
        .iter()
        .find(|(code, _, _)| *code == wanted)
        .map(|(code, _, _)| *code)
        .ok_or_else(|| AppError::validation(field, "Choose one of the listed currencies."))
}

fn symbol(currency: &str) -> &'static str {
    CURRENCIES
        .iter()
        .find(|(code, _, _)| *code == currency)
        .map_or("$", |(_, symbol, _)| *symbol)
}

/// "€12,500.50", "$1,000,000", "¥1,200": grouped by thousands, hundredths only when there are
/// any. An unknown code reads as dollars (the default).
pub fn format_money(cents: i64, currency: &str) -> String {
    let units = cents / 100;
    let digits = units.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let symbol = symbol(currency);
    if cents % 100 == 0 {
        format!("{symbol}{grouped}")
    } else {
        format!("{symbol}{grouped}.{:02}", cents % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_written_in_the_workspace_currency() {
        assert_eq!(format_money(1_250_050, "USD"), "$12,500.50");
        assert_eq!(format_money(100_000_000, "USD"), "$1,000,000");
        assert_eq!(format_money(0, "USD"), "$0");
        assert_eq!(format_money(120_000, "EUR"), "€1,200");
        assert_eq!(format_money(99, "GBP"), "£0.99");
        assert_eq!(format_money(120_000, "JPY"), "¥1,200");
        assert_eq!(format_money(5_000_000, "CHF"), "CHF\u{a0}50,000");
        assert_eq!(
            format_money(100, "XXX"),
            "$1",
            "unknown codes read as the default"
        );
    }

    #[test]
    fn currencies_parse_by_code_in_any_case() {
        assert_eq!(parse_currency("currency", " eur ").unwrap(), "EUR");
        assert_eq!(parse_currency("currency", "JPY").unwrap(), "JPY");
        for bad in ["", "euro", "XXX", "€"] {
            assert!(parse_currency("currency", bad).is_err(), "{bad}");
        }
        assert!(CURRENCIES.iter().any(|(c, _, _)| *c == DEFAULT_CURRENCY));
    }
}
