//! The engine through its public interface: conversations, context, bad input.

use crate::helpers::{engine, press, say};

#[tokio::test]
async fn a_question_gets_its_answer_with_related_topics() {
    let e = engine();
    let replies = say(&e, "u1", "how do I set up forwarding to my gmail").await;
    assert_eq!(replies.len(), 1);
    assert!(replies[0].text.contains("Mail > Forwarding"), "{replies:?}");
    assert!(
        replies[0]
            .buttons
            .iter()
            .any(|b| b.data.to_string() == "intent:not_receiving_email"),
        "{replies:?}"
    );
}

#[tokio::test]
async fn a_number_picks_an_offered_button_per_user() {
    let e = engine();
    let first = say(&e, "u1", "asdf qwerty").await;
    let options = &first[0].buttons;
    assert!(options.len() >= 2, "{first:?}");
    // Another user's messages do not disturb u1's context.
    say(&e, "u2", "hello").await;
    let picked = say(&e, "u1", "2").await;
    let data = options[1].data.to_string();
    let expected = data.strip_prefix("intent:").unwrap();
    let answer = crate::helpers::shipped()
        .0
        .intent(expected)
        .unwrap()
        .answer
        .clone();
    assert_eq!(picked[0].text, answer);
    // A label typed back works too.
    let again = say(&e, "u1", "asdf qwerty").await;
    let label = again[0].buttons[0].label.to_uppercase();
    let by_label = say(&e, "u1", &label).await;
    assert!(!by_label[0].text.starts_with("Sorry"), "{by_label:?}");
}

#[tokio::test]
async fn two_misunderstandings_in_a_row_offer_a_person() {
    let e = engine();
    let first = say(&e, "u1", "purple monkey dishwasher").await;
    assert!(!first[0].text.contains("alumni@ust.hk"), "{first:?}");
    let second = say(&e, "u1", "banana telephone").await;
    assert!(
        second[0].text.contains("alumni@ust.hk") && second[0].text.contains("6359 1911"),
        "{second:?}"
    );
    assert!(
        second[0]
            .buttons
            .iter()
            .any(|b| b.data.to_string() == "intent:contact_staff")
    );
    // Understanding resets the count.
    say(&e, "u1", "forgot my password").await;
    let third = say(&e, "u1", "banana telephone").await;
    assert!(!third[0].text.contains("6359"), "{third:?}");
}

#[tokio::test]
async fn bad_input_gets_polite_replies() {
    let e = engine();
    let empty = say(&e, "u1", "   ").await;
    assert!(empty[0].text.contains("didn't catch"), "{empty:?}");
    let huge = say(&e, "u1", &"a".repeat(100_000)).await;
    assert!(huge[0].text.contains("too long"), "{huge:?}");
    let stale = press(&e, "u1", "intent:no_such_thing").await;
    assert!(stale[0].text.contains("no longer active"), "{stale:?}");
    // Chinese is understood and answered in Chinese, with the same links.
    let chinese = say(&e, "u2", "我忘記了密碼").await;
    assert!(
        chinese[0]
            .text
            .contains("https://myaccount.ust.hk/passwd/forget?graduate=true")
            && chinese[0].text.contains("密碼"),
        "{chinese:?}"
    );
    assert!(chinese[0].buttons.len() >= 2, "{chinese:?}");
    let control = say(&e, "u1", "\u{1b}\u{0}\u{7}\u{8}").await;
    assert!(control[0].text.contains("didn't catch"), "{control:?}");
}

#[tokio::test]
async fn commands_work() {
    let e = engine();
    let start = say(&e, "u1", "/start").await;
    assert!(start[0].text.starts_with("Hello"), "{start:?}");
    let contact = say(&e, "u1", "/contact").await;
    assert!(contact[0].text.contains("alumni@ust.hk"), "{contact:?}");
    let cancel = say(&e, "u1", "cancel").await;
    assert!(cancel[0].text.contains("stopped"), "{cancel:?}");
    let again = say(&e, "u1", "cancel").await;
    assert!(again[0].text.contains("start over"), "{again:?}");
    let help = say(&e, "u1", "help").await;
    assert!(help[0].text.contains("talk to a person"), "{help:?}");
}
