//! WhatsApp templates imported from Meta (Settings → WhatsApp templates → Import from Meta):
//! read page after page from the fake Graph API with the WhatsApp connection's token; approved
//! ones with numbered parameters are saved, the rest named with why; owners only.
use crate::fake_meta::{self, FakeMeta, WABA_ID};
use crate::support::error_body;
use serde_json::{json, Value};

fn template(name: &str, language: &str, status: &str, body: &str) -> Value {
    json!({"name": name, "language": language, "status": status, "category": "UTILITY",
        "id": format!("{}", name.len() * 1000), "parameter_format": "POSITIONAL",
        "components": [{"type": "BODY", "text": body}]})
}

#[tokio::test]
async fn approved_templates_come_from_meta_page_after_page_and_keep_their_content_sid() {
    let meta = FakeMeta::start().await;
    let server = crate::meta_channels::server_with(&meta).await;
    let owner = server.session("owner@example.com", "Acme").await;
    let (at, client) = (&server, &owner.client);
    let import = move |waba: &'static str| async move {
        at.rpc(client, "import_templates", &[("waba_id", waba)])
            .await
    };

    // Before WhatsApp goes through Meta, there is no token to read them with.
    let res = import(WABA_ID).await;
    assert_eq!(res.status(), 422);
    let body = error_body(res).await;
    assert_eq!(body["field"], "waba_id");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("Connect WhatsApp through Meta"));
    fake_meta::connect(&server, &owner, "whatsapp").await;

    // One typed in earlier, with the Content SID Twilio sends it by.
    let res = server
        .rpc(
            &owner.client,
            "save_template",
            &[
                ("name", "order_update"),
                ("language", "en_US"),
                ("body", "Old text for {{1}} and {{2}}"),
                ("twilio_content_sid", "HXb5b62575e6e4ff6129ad7c8efe1f983e"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let mut reservation = template("reservation", "en", "APPROVED", "For {{guests}} on {{day}}");
    reservation["parameter_format"] = json!("NAMED");
    meta.set_templates(vec![
        template(
            "order_update",
            "en_US",
            "APPROVED",
            "Hi {{1}}, your order {{2}} shipped.",
        ),
        template("promo", "en", "PENDING", "Sale!"),
        template(
            "follow_up",
            "pt_BR",
            "APPROVED",
            "Olá {{1}}, podemos falar?",
        ),
        template("spam", "en", "REJECTED", "Buy now"),
        reservation,
    ]);
    let res = import(WABA_ID).await;
    assert_eq!(res.status(), 200);
    let outcome: Value = res.json().await.unwrap();
    assert_eq!(
        outcome["imported"],
        json!(["order_update (en_US)", "follow_up (pt_BR)"])
    );
    let skipped: Vec<&str> = outcome["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(skipped.len(), 3, "{skipped:?}");
    assert!(skipped[0].starts_with("promo (en): waiting"));
    assert!(skipped[1].starts_with("spam (en): rejected"));
    assert!(skipped[2].starts_with("reservation (en): named parameters"));

    let list: Value = server
        .rpc(&owner.client, "get_templates", &[])
        .await
        .json()
        .await
        .unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    let order = list.iter().find(|t| t["name"] == "order_update").unwrap();
    assert_eq!(order["body"], "Hi {{1}}, your order {{2}} shipped.");
    assert_eq!(
        order["twilio_content_sid"],
        "HXb5b62575e6e4ff6129ad7c8efe1f983e"
    );
    assert!(list
        .iter()
        .any(|t| t["name"] == "follow_up" && t["language"] == "pt_BR"));

    // Importing again changes nothing and doubles nothing.
    assert_eq!(import(WABA_ID).await.status(), 200);
    let again: Value = server
        .rpc(&owner.client, "get_templates", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again.as_array().unwrap().len(), 2);

    // An account Meta does not know: its words, at the field. Not a number: refused here.
    for (waba, says) in [("999999999", "Meta error 100"), ("my-waba", "is a number")] {
        let res = import(waba).await;
        assert_eq!(res.status(), 422, "{waba}");
        let body = error_body(res).await;
        assert_eq!(body["field"], "waba_id");
        assert!(body["message"].as_str().unwrap().contains(says), "{body}");
    }
    // Teammates use templates; only owners import them.
    let mate = server.teammate(&owner.client, "mate@example.com").await;
    let res = server
        .rpc(&mate.client, "import_templates", &[("waba_id", WABA_ID)])
        .await;
    assert_eq!(res.status(), 403);
}
