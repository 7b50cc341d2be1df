//! Merging an edit that was refused as stale (409): a three-way merge of the form the user
//! started from, what they submitted, and the lead as a teammate left it. A field only one side
//! changed takes that side; a field both changed differently is a clash the user decides.
use super::lead_input::LeadInput;

/// The lead fields an edit form holds, with their labels, in form order.
pub const EDITABLE: [(&str, &str); 9] = [
    ("name", "Name"),
    ("company", "Company"),
    ("email", "Email"),
    ("phone", "Phone"),
    ("whatsapp", "WhatsApp"),
    ("instagram", "Instagram"),
    ("stage", "Stage"),
    ("deal_value", "Deal value"),
    ("owner_id", "Owner"),
];

/// A field both sides changed to different values.
#[derive(Debug, Clone, PartialEq)]
pub struct Clash {
    pub field: &'static str,
    pub label: &'static str,
    pub mine: String,
    pub theirs: String,
}

/// The outcome: the input to show in the form (based on the teammate's version, so saving it
/// again is accepted), what was taken from the teammate, and what clashes.
#[derive(Debug, Clone, PartialEq)]
pub struct Merge {
    pub merged: LeadInput,
    /// Labels of the fields the teammate changed and the user did not: taken as theirs.
    pub taken: Vec<&'static str>,
    /// Fields both changed: the merged input keeps the user's value until they pick theirs.
    pub clashes: Vec<Clash>,
}

pub fn get(input: &LeadInput, field: &str) -> String {
    match field {
        "name" => &input.name,
        "company" => &input.company,
        "email" => &input.email,
        "phone" => &input.phone,
        "whatsapp" => &input.whatsapp,
        "instagram" => &input.instagram,
        "stage" => &input.stage,
        "deal_value" => &input.deal_value,
        "owner_id" => &input.owner_id,
        _ => "",
    }
    .trim()
    .to_string()
}

/// Three-way merge of `mine` (submitted) and `theirs` (current) from `base` (what the form
/// was filled with).
pub fn merge(base: &LeadInput, mine: &LeadInput, theirs: &LeadInput) -> Merge {
    let mut merged = theirs.clone();
    let mut taken = Vec::new();
    let mut clashes = Vec::new();
    for (field, label) in EDITABLE {
        let (b, m, t) = (get(base, field), get(mine, field), get(theirs, field));
        if m == b || m == t {
            if t != b {
                taken.push(label);
            }
            continue;
        }
        merged.set(field, m.clone());
        if t != b {
            clashes.push(Clash {
                field,
                label,
                mine: m,
                theirs: t,
            });
        }
    }
    merged.version = theirs.version.clone();
    Merge {
        merged,
        taken,
        clashes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(phone: &str, stage: &str, company: &str, version: &str) -> LeadInput {
        LeadInput {
            name: "Ada".into(),
            phone: phone.into(),
            stage: stage.into(),
            company: company.into(),
            version: version.into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_teammates_change_is_kept_beside_mine() {
        let base = input("", "qualified", "", "1");
        // I changed the company; a teammate saved a phone number and won the deal.
        let mine = input("", "qualified", "Analytical", "1");
        let theirs = input("+14155550100", "won", "", "2");
        let m = merge(&base, &mine, &theirs);
        assert_eq!(m.merged.phone, "+14155550100");
        assert_eq!(m.merged.stage, "won");
        assert_eq!(m.merged.company, "Analytical");
        assert_eq!(m.merged.version, "2");
        assert_eq!(m.taken, vec!["Phone", "Stage"]);
        assert!(m.clashes.is_empty());
    }

    #[test]
    fn both_changing_one_field_is_a_clash_that_keeps_mine() {
        let base = input("", "qualified", "", "4");
        let mine = input("+441234567890", "qualified", "", "4");
        let theirs = input("+14155550100", "qualified", "", "5");
        let m = merge(&base, &mine, &theirs);
        assert_eq!(m.merged.phone, "+441234567890");
        assert_eq!(
            m.clashes,
            vec![Clash {
                field: "phone",
                label: "Phone",
                mine: "+441234567890".into(),
                theirs: "+14155550100".into(),
            }]
        );
        assert!(m.taken.is_empty());
    }

    #[test]
    fn the_same_change_on_both_sides_is_no_clash() {
        let base = input("", "new", "", "1");
        let both = input("", "won", "", "2");
        let m = merge(&base, &input("", "won", "", "1"), &both);
        assert!(m.clashes.is_empty());
        assert_eq!(m.merged.stage, "won");
    }
}
