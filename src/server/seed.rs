//! The demo workspace `make run` starts with: two teammates and twenty leads with conversations
//! on every channel, spread over the last two weeks. Runs only on an empty database.
use super::crypto::hash_password;
use super::store::messages::NewMessage;
use super::store::workspaces::NewUser;
use super::store::{now, Store};
use crate::model::channel::Channel;
use crate::model::ids::UserId;
use crate::model::lead::Stage;
use crate::model::lead_input::LeadFields;
use crate::model::message::Direction;
use chrono::Duration;

pub const DEMO_EMAIL: &str = "demo@leadwire.test";
pub const DEMO_PASSWORD: &str = "leadwire-demo";
pub const TEAMMATE_EMAIL: &str = "sam@leadwire.test";

struct DemoLead {
    name: &'static str,
    company: &'static str,
    channel: Channel,
    stage: Stage,
    value: i64,
    /// (from the lead?, body), oldest first; email subjects are added by the seed.
    thread: &'static [(bool, &'static str)],
}

const SUBJECT: &str = "Following up on your demo request";

const LEADS: &[DemoLead] = &[
    DemoLead { name: "Maya Patel", company: "Brightline Logistics", channel: Channel::Email, stage: Stage::Qualified, value: 24_000,
        thread: &[(true, "Hi! We saw your pricing page and want to understand how seats work for a team of 12."), (false, "Thanks Maya! Seats are per active user per month. For 12 people I can put together a quote with annual billing — would Thursday work for a quick call?"), (true, "Thursday at 2pm works. Can you include SSO in the quote?")] },
    DemoLead { name: "Lucas Moreau", company: "Atelier Moreau", channel: Channel::Whatsapp, stage: Stage::Contacted, value: 6_500,
        thread: &[(true, "Bonjour, is the starter plan enough for two shops?"), (false, "Hi Lucas! Yes, the starter plan covers up to three locations. Want me to set up a trial?")] },
    DemoLead { name: "Aisha Bello", company: "Kite & Kettle", channel: Channel::Instagram, stage: Stage::New, value: 1_200,
        thread: &[(true, "Love your product! Do you ship to Lagos?")] },
    DemoLead { name: "Tom Lindqvist", company: "Nordvik Marine", channel: Channel::Sms, stage: Stage::Won, value: 48_000,
        thread: &[(false, "Hi Tom, contract is ready for signature. Sent it to your inbox."), (true, "Signed! Looking forward to onboarding."), (false, "Welcome aboard! Your onboarding call is booked for Monday 10am.")] },
    DemoLead { name: "Grace Kim", company: "Hanbit Studios", channel: Channel::Chat, stage: Stage::New, value: 3_000,
        thread: &[(true, "Hey, does Leadwire integrate with our booking calendar?"), (false, "Hi Grace! Yes — which calendar do you use?")] },
    DemoLead { name: "Diego Alvarez", company: "Alvarez Solar", channel: Channel::Email, stage: Stage::Contacted, value: 15_000,
        thread: &[(false, "Hi Diego, following up on the solar installer bundle we discussed. Happy to walk you through the numbers."), (true, "Thanks, can you send over a case study from a similar installer?")] },
    DemoLead { name: "Priya Raman", company: "Raman Dental Group", channel: Channel::Sms, stage: Stage::Qualified, value: 9_800,
        thread: &[(true, "We need reminders by text for 3 clinics. Is that included?"), (false, "It is! Reminders are included in the Growth plan. I'll send details."), (true, "Great, please also include the price for 5 clinics.")] },
    DemoLead { name: "Oliver Grant", company: "Grant & Sons Builders", channel: Channel::Email, stage: Stage::Lost, value: 7_200,
        thread: &[(false, "Hi Oliver, just checking in on the proposal from last week."), (true, "We decided to stay with our current provider this year. Thanks for your time.")] },
    DemoLead { name: "Sofia Rossi", company: "Trattoria Rossi", channel: Channel::Instagram, stage: Stage::Contacted, value: 2_400,
        thread: &[(true, "Ciao! Can we use this for table reservations via Instagram DMs?"), (false, "Ciao Sofia! Yes, Instagram DMs land in the same inbox as your other channels.")] },
    DemoLead { name: "Noah Williams", company: "Peak Fitness", channel: Channel::Whatsapp, stage: Stage::Qualified, value: 11_000,
        thread: &[(true, "We have 4 gyms and get lots of WhatsApp questions. Can the team share one number?"), (false, "Absolutely — the whole team replies from one WhatsApp number, each message shows who sent it."), (true, "Perfect. Send me the onboarding steps.")] },
    DemoLead { name: "Hannah Schmidt", company: "Schmidt Consulting", channel: Channel::Email, stage: Stage::New, value: 5_000,
        thread: &[(true, "Hello, is there a discount for non-profits we advise?")] },
    DemoLead { name: "Kenji Watanabe", company: "Watanabe Imports", channel: Channel::Chat, stage: Stage::Contacted, value: 8_400,
        thread: &[(true, "Is your data stored in the EU?"), (false, "Hi Kenji! You can self-host Leadwire anywhere, so the data stays where you run it.")] },
    DemoLead { name: "Emma Johansson", company: "Fjord Design", channel: Channel::Sms, stage: Stage::Won, value: 19_500,
        thread: &[(false, "Hi Emma, the annual plan discount is approved."), (true, "Fantastic, let's go ahead.")] },
    DemoLead { name: "Carlos Mendes", company: "Mendes Auto", channel: Channel::Whatsapp, stage: Stage::New, value: 4_300,
        thread: &[(true, "Olá! Do you have a Portuguese interface?")] },
    DemoLead { name: "Fatima Zahra", company: "Atlas Travel", channel: Channel::Email, stage: Stage::Qualified, value: 32_000,
        thread: &[(true, "We'd like a demo for our sales team of 20 agents."), (false, "Hi Fatima, happy to! I've sent a calendar invite for Wednesday."), (true, "Received, thank you. Could you also cover reporting?")] },
    DemoLead { name: "Liam O'Connor", company: "O'Connor Pubs", channel: Channel::Instagram, stage: Stage::Lost, value: 1_800,
        thread: &[(false, "Hi Liam, any thoughts on the trial?"), (true, "Not the right time for us, maybe next year.")] },
    DemoLead { name: "Zoe Chen", company: "Lumen Labs", channel: Channel::Chat, stage: Stage::Qualified, value: 27_000,
        thread: &[(true, "Can we export conversation history for compliance?"), (false, "Yes — every conversation can be exported, and you own the database."), (true, "Great. Legal will review this week.")] },
    DemoLead { name: "Ben Carter", company: "Carter Realty", channel: Channel::Sms, stage: Stage::Contacted, value: 6_000,
        thread: &[(false, "Hi Ben, here's the link to the video walkthrough we talked about."), (true, "Watched it — looks good. What does onboarding cost?")] },
    DemoLead { name: "Ines Duarte", company: "Duarte Wines", channel: Channel::Whatsapp, stage: Stage::Won, value: 13_700,
        thread: &[(true, "We're ready to start. Who sets up our WhatsApp number?"), (false, "Our team will help you connect it on the onboarding call. Welcome!")] },
    DemoLead { name: "Ravi Shah", company: "Shah Analytics", channel: Channel::Email, stage: Stage::New, value: 10_000,
        thread: &[(true, "Do you offer an API for pushing leads from our website forms?")] },
];

/// Seeds the demo workspace when the database has no workspace yet. Returns whether it did.
pub async fn seed_demo_if_empty(store: &Store) -> Result<bool, sqlx::Error> {
    if store.workspace_count().await? > 0 {
        return Ok(false);
    }
    let hash = hash_password(DEMO_PASSWORD).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    let (workspace, demo) = store
        .create_workspace_with_owner(
            "Acme Sales",
            NewUser {
                name: "Dana Demo",
                email: DEMO_EMAIL,
                password_hash: &hash,
            },
        )
        .await?;
    let teammate = store
        .insert_demo_teammate(workspace, "Sam Rivera", TEAMMATE_EMAIL, &hash)
        .await?;

    let start = now() - Duration::days(14);
    for (i, demo_lead) in LEADS.iter().enumerate() {
        let owner: UserId = if i % 3 == 2 { teammate } else { demo };
        let slug = demo_lead.name.to_lowercase().replace([' ', '\''], ".");
        let fields = LeadFields {
            name: demo_lead.name.to_string(),
            email: Some(format!("{slug}@example.com")),
            phone: matches!(demo_lead.channel, Channel::Sms | Channel::Whatsapp)
                .then(|| format!("+1415555{:04}", 100 + i)),
            whatsapp: (demo_lead.channel == Channel::Whatsapp)
                .then(|| format!("+1415555{:04}", 100 + i)),
            instagram: (demo_lead.channel == Channel::Instagram).then(|| slug.replace('.', "_")),
            company: Some(demo_lead.company.to_string()),
            stage: demo_lead.stage,
            deal_value_cents: Some(demo_lead.value * 100),
            owner_id: Some(owner),
        };
        // Spread conversations over two weeks, the newest ones today.
        let began = start + Duration::hours(i as i64 * 17);
        let lead = store.insert_lead_at(workspace, &fields, began).await?;
        for (j, (inbound, body)) in demo_lead.thread.iter().enumerate() {
            let subject = (demo_lead.channel == Channel::Email).then(|| {
                if j == 0 {
                    SUBJECT.to_string()
                } else {
                    format!("Re: {SUBJECT}")
                }
            });
            let sent_at = began + Duration::minutes(37 + j as i64 * 95);
            let id = store
                .insert_message(
                    workspace,
                    &NewMessage {
                        lead_id: lead.id,
                        direction: if *inbound {
                            Direction::Inbound
                        } else {
                            Direction::Outbound
                        },
                        channel: demo_lead.channel,
                        subject: subject.as_deref(),
                        body,
                        status: if *inbound { "received" } else { "sent" },
                        author_id: (!inbound).then_some(owner),
                        created_at: sent_at,
                    },
                )
                .await?;
            // An email the lead answered was read first: the receipt and the opens chart show it.
            let answered = demo_lead
                .thread
                .get(j + 1)
                .is_some_and(|(from_lead, _)| *from_lead);
            if demo_lead.channel == Channel::Email && !inbound && answered {
                store
                    .insert_open(id, sent_at + Duration::minutes(20))
                    .await?;
            }
        }
    }
    // The demo's WhatsApp conversations are days old, outside WhatsApp's 24-hour window: the
    // composer offers this template there, as a workspace's approved one would be.
    store
        .save_template(
            workspace,
            "follow_up",
            "en_US",
            "Hi {{1}}, just following up on {{2}}. Is this still a good time to talk?",
            // The demo sends WhatsApp through the sandbox, which takes templates by name.
            None,
        )
        .await?;
    // The rows went in directly: derive the conversation facts and the feed from them.
    store.recompute_turns(workspace).await?;
    store.backfill_message_activity(workspace).await?;
    Ok(true)
}
