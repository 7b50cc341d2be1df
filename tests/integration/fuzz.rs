//! Property tests over every parser of `leadwire::model` and the WebSocket frame parser: any
//! input, including control characters, huge numbers and broken JSON, gives a value or a
//! validation error — never a panic — and what is accepted keeps its promises.
use leadwire::model::activity::MeetingInput;
use leadwire::model::auth::{
    parse_person_name, parse_workspace_name, safe_next_path, ApiScopes, Email, Password,
};
use leadwire::model::draft::DraftInput;
use leadwire::model::error::AppError;
use leadwire::model::event::ClientFrame;
use leadwire::model::inbox::{fts_query, highlight_parts, InboxFilter};
use leadwire::model::kpi::DashboardQuery;
use leadwire::model::lead_input::{parse_instagram, parse_money_cents, parse_phone, LeadInput};
use leadwire::model::message::MessageInput;
use leadwire::model::outbox::display_headers;
use leadwire::model::tracking::{clean_agent, is_token};
use proptest::prelude::*;

/// Any text, weighted towards what breaks parsers: separators, quotes, operators, unicode.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ \\t\\n@.+\\-\"'*()<>:/\\\\%0-9a-zA-Zé😀]{0,60}",
        "[0-9+\\-. ,()]{0,30}",
    ]
}

/// Only validation errors are acceptable answers to bad input.
fn is_validation(e: &AppError) -> bool {
    matches!(e, AppError::Validation { .. })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn emails_are_normalised_and_stable(raw in text()) {
        match Email::parse("email", &raw) {
            Ok(email) => {
                let s = email.as_str();
                prop_assert_eq!(s, s.trim());
                prop_assert_eq!(s.to_lowercase(), s);
                prop_assert!(s.contains('@'));
                let again = Email::parse("email", s).unwrap();
                prop_assert_eq!(again.as_str(), s);
            }
            Err(e) => prop_assert!(is_validation(&e)),
        }
    }

    #[test]
    fn passwords_and_names_keep_their_bounds(raw in text()) {
        let chars = raw.chars().count();
        prop_assert_eq!(Password::parse("password", &raw).is_ok(), (8..=200).contains(&chars));
        for parsed in [parse_person_name("name", &raw), parse_workspace_name("workspace", &raw)] {
            match parsed {
                Ok(name) => {
                    prop_assert!(!name.is_empty());
                    prop_assert_eq!(name.trim(), name.as_str());
                    prop_assert!(name.chars().count() <= 200);
                }
                Err(e) => prop_assert!(is_validation(&e)),
            }
        }
    }

    #[test]
    fn lead_fields_parse_or_name_the_field(raw in text(), field in 0usize..9) {
        let names = ["name", "email", "phone", "whatsapp", "instagram", "company", "stage", "deal_value", "owner_id"];
        let mut input = LeadInput { name: "Valid Name".into(), ..LeadInput::default() };
        input.set(names[field], raw.clone());
        match input.parse() {
            Ok(fields) => {
                prop_assert!(!fields.name.is_empty());
                prop_assert!(fields.deal_value_cents.is_none_or(|c| c >= 0));
            }
            Err(e) => prop_assert!(is_validation(&e), "{e:?}"),
        }
        if let Ok(Some(phone)) = parse_phone("phone", &raw) {
            let digits = phone.trim_start_matches('+');
            prop_assert!(digits.chars().all(|c| c.is_ascii_digit()), "{phone}");
            prop_assert!((7..=15).contains(&digits.len()), "{phone}");
        }
        if let Ok(Some(handle)) = parse_instagram(&raw) {
            prop_assert!(!handle.contains('@') && !handle.is_empty(), "{handle}");
        }
        if let Ok(Some(cents)) = parse_money_cents("deal_value", &raw) {
            prop_assert!(cents >= 0);
        }
    }

    #[test]
    fn messages_and_drafts_parse_or_refuse(channel in text(), subject in text(), body in text(), direction in text(), after in text(), version in any::<i64>()) {
        let input = MessageInput {
            channel: channel.clone(), subject: subject.clone(), body: body.clone(), direction,
            client_id: uuid::Uuid::new_v4().to_string(), after, confirmed: false,
            ..Default::default()
        };
        match input.parse() {
            Ok(fields) => prop_assert!(!fields.body.trim().is_empty()),
            Err(e) => prop_assert!(is_validation(&e), "{e:?}"),
        }
        let draft = DraftInput { content: body, subject, channel, version };
        if let Err(e) = draft.parse() {
            prop_assert!(is_validation(&e), "{e:?}");
        }
    }

    #[test]
    fn search_text_becomes_only_quoted_prefix_terms(raw in text()) {
        match fts_query(&raw) {
            Ok(Some(query)) => {
                for term in query.split(' ') {
                    prop_assert!(term.starts_with('"') && term.ends_with("\"*") && term.len() >= 4, "{query}");
                    let inner = &term[1..term.len() - 2];
                    prop_assert!(inner.chars().all(char::is_alphanumeric), "{query}");
                }
            }
            Ok(None) => {}
            Err(e) => prop_assert!(is_validation(&e)),
        }
        let _ = highlight_parts(&raw);
        if let Err(e) = InboxFilter::parse(&raw, false, &raw, &raw, &raw) {
            prop_assert!(is_validation(&e));
        }
    }

    #[test]
    fn dashboard_queries_meetings_and_scopes_never_panic(a in text(), b in text(), c in text()) {
        if let Err(e) = DashboardQuery::parse(&a, &b, &c) {
            prop_assert!(is_validation(&e));
        }
        if let Err(e) = (MeetingInput { at: a.clone() }).parse(chrono::Utc::now()) {
            prop_assert!(is_validation(&e));
        }
        let _ = ApiScopes::parse("scopes", &b);
        prop_assert!(!ApiScopes::from_db(&c).write || c.split_whitespace().any(|s| s == "write"));
    }

    #[test]
    fn next_paths_stay_on_this_site(raw in text()) {
        if let Some(path) = safe_next_path(&raw) {
            prop_assert!(path.starts_with('/'));
            prop_assert!(!path.starts_with("//") && !path.starts_with("/\\"), "{path}");
        }
    }

    #[test]
    fn tracking_input_is_made_safe(bytes in proptest::collection::vec(any::<u8>(), 0..2000), raw in text()) {
        let agent = clean_agent(&bytes);
        prop_assert!(agent.chars().count() <= 512);
        prop_assert!(!agent.chars().any(char::is_control));
        if is_token(&raw) {
            prop_assert!(u128::from_str_radix(&raw, 16).is_ok());
        }
        let _ = display_headers(&raw);
    }

    #[test]
    fn socket_frames_parse_or_are_refused(raw in text(), after in any::<i64>(), lead in text()) {
        // Arbitrary text, and well-formed JSON of every shape with hostile members.
        let _ = serde_json::from_str::<ClientFrame>(&raw);
        for frame in [
            serde_json::json!({"type": "resume", "after": after}),
            serde_json::json!({"type": "view", "lead_id": lead}),
            serde_json::json!({"type": "typing", "lead_id": lead}),
            serde_json::json!({"type": raw, "after": lead}),
            serde_json::json!({"type": "resume", "after": raw}),
        ] {
            let _ = serde_json::from_value::<ClientFrame>(frame);
        }
    }
}

#[test]
fn deeply_nested_json_is_refused_not_a_stack_overflow() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(serde_json::from_str::<ClientFrame>(&deep).is_err());
    assert!(serde_json::from_str::<LeadInput>(&deep).is_err());
}
