//! Details a user gives in their own words ("I set my account up in 2011", "I was an exchange
//! student", "my passport was renewed"), read out of a message so that a flow does not ask
//! for what it was already told. Flows declare which details choose what
//! ([`crate::knowledge::flow::Detail`]).

use std::collections::BTreeSet;

use crate::knowledge::facts::MONTHS;
use crate::knowledge::flow::Detail;
use crate::matcher::normalize;

/// March 2014: the FAQ's line between @alumni and @connect logins.
const SWITCH_YEAR: i32 = 2014;

/// Words that make a year in the message the year of activation.
const ACTIVATION_WORDS: [&str; 12] = [
    "activate",
    "activated",
    "activation",
    "activating",
    "setup",
    "set",
    "created",
    "opened",
    "registered",
    "signed",
    "got",
    "since",
];

/// The details of `text`. `answering_when` is set when the bot has just asked when the account
/// was activated, so a bare year ("2016") answers it.
pub fn extract(text: &str, answering_when: bool) -> BTreeSet<Detail> {
    let words = normalize::tokenize(text);
    let has = |w: &str| words.iter().any(|x| x == w);
    let has_prefix = |p: &str| words.iter().any(|x| x.starts_with(p));
    let phrase = |p: &str| contains_phrase(&words, p);
    let any = |phrases: &[&str]| phrases.iter().any(|p| phrase(p));
    let mut found = BTreeSet::new();
    // The Chinese of the message, folded to Simplified script: its phrases are written so.
    let zh = super::chinese::text(&words);
    let zh_any = |phrases: &[&str]| phrases.iter().any(|p| zh.contains(p));

    // When the account was activated: an explicit "before/after (march) 2014", or a year said
    // with an activation word (or in answer to the question).
    let about_activation = answering_when
        || ACTIVATION_WORDS.iter().any(|a| has(a))
        || has_prefix("activ")
        || zh_any(&[
            "启用", "开通", "激活", "开户", "开咗", "开了", "登记", "注册",
        ]);
    let before = ["before", "pre", "prior", "until", "b4", "earlier"];
    let after = ["after", "post", "since", "later"];
    for (i, w) in words.iter().enumerate() {
        let Ok(year) = w.parse::<i32>() else { continue };
        if !(1980..=2100).contains(&year) {
            continue;
        }
        let lead = &words[i.saturating_sub(3)..i];
        // Chinese says it after the year: "2014年3月之前", "2015年後".
        let tail: String = words[i + 1..(i + 6).min(words.len())].concat();
        let said_before = lead.iter().any(|l| before.contains(&l.as_str())) || tail.contains('前');
        let said_after = lead.iter().any(|l| after.contains(&l.as_str())) || tail.contains('后');
        if year == SWITCH_YEAR {
            if said_before {
                found.insert(Detail::ActivatedBefore2014);
            } else if said_after {
                found.insert(Detail::ActivatedAfter2014);
            }
        } else if year < SWITCH_YEAR && (said_before || about_activation) {
            found.insert(Detail::ActivatedBefore2014);
        } else if year > SWITCH_YEAR && (said_after || about_activation) {
            found.insert(Detail::ActivatedAfter2014);
        }
    }
    if about_activation
        && zh_any(&[
            "好耐之前",
            "好耐以前",
            "好多年前",
            "很久以前",
            "很久之前",
            "多年前",
            "十几年前",
        ])
    {
        found.insert(Detail::ActivatedBefore2014);
    }
    if about_activation && zh_any(&["最近", "去年", "今年", "上个月", "啱啱", "刚刚", "早排"])
    {
        found.insert(Detail::ActivatedAfter2014);
    }
    if about_activation && any(&["long ago", "years ago", "ages ago"]) {
        found.insert(Detail::ActivatedBefore2014);
    }
    if about_activation && any(&["recently", "last year", "this year", "last month"]) {
        found.insert(Detail::ActivatedAfter2014);
    }
    if found.contains(&Detail::ActivatedBefore2014) && found.contains(&Detail::ActivatedAfter2014) {
        // Two years that disagree: better to ask.
        found.remove(&Detail::ActivatedBefore2014);
        found.remove(&Detail::ActivatedAfter2014);
    }

    // ("ma" is left out: in Hong Kong English it ends a question.)
    const DEGREES: [&str; 15] = [
        "degree",
        "bachelor",
        "bachelors",
        "master",
        "masters",
        "doctorate",
        "phd",
        "mphil",
        "bsc",
        "ba",
        "bba",
        "beng",
        "msc",
        "mba",
        "meng",
    ];
    if any(&DEGREES) && !any(&["non degree", "short course", "certificate"]) {
        found.insert(Detail::DegreeGraduate);
    }
    if zh_any(&["学位", "学士", "硕士", "博士", "本科", "大学毕业"])
        && !zh_any(&["非学位", "短期", "证书"])
    {
        found.insert(Detail::DegreeGraduate);
    }
    if (has_prefix("exchang") && !phrase("exchange online"))
        || zh_any(&["交换生", "交流生", "交换"])
    {
        found.insert(Detail::ExchangeStudent);
    }
    if zh_any(&[
        "短期课程",
        "短期",
        "非学位",
        "证书课程",
        "暑期课程",
        "暑期班",
    ]) {
        found.insert(Detail::ShortCourse);
    }
    if zh_any(&["访问学者", "访问学人", "访问研究", "访问教授"]) {
        found.insert(Detail::VisitingScholar);
    }
    let renewed = ["续期", "续咗", "续了", "续过", "续左"];
    if zh.contains("护照") && (has_prefix("renew") || zh_any(&renewed))
        || zh.contains("护照")
            && zh_any(&[
                "续期",
                "换了",
                "换咗",
                "续咗",
                "续了",
                "续过",
                "新护照",
                "过期",
                "更新",
                "换新",
                "新嘅护照",
                "新的护照",
            ])
    {
        found.insert(Detail::PassportRenewed);
    }
    if zh_any(&["转寄", "转发", "forward"])
        && zh_any(&[
            "停止", "取消", "关闭", "熄", "唔想", "不想", "不要", "唔要", "停",
        ])
    {
        found.insert(Detail::StopForwarding);
    }
    let zh_wrong = zh_any(&[
        "错",
        "唔啱",
        "不对",
        "不正确",
        "更正",
        "修改",
        "改正",
        "串错",
    ]);
    if zh_wrong && (zh.contains('名') || zh.contains('姓')) && !zh.contains("护照") {
        found.insert(Detail::WrongName);
    }
    if zh_wrong && zh.contains("护照") && !zh.contains('名') && !zh_any(&renewed) {
        found.insert(Detail::WrongPassport);
    }
    if zh_any(&[
        "唔肯定",
        "不确定",
        "唔知",
        "不知道",
        "唔清楚",
        "不清楚",
        "唔记得",
        "记唔起",
        "记不起",
        "冇印象",
        "没印象",
        "忘记",
        "不记得",
    ]) {
        found.insert(Detail::NotSure);
    }
    if any(&[
        "short course",
        "short courses",
        "short term course",
        "non degree",
        "certificate course",
        "summer course",
        "summer program",
    ]) {
        found.insert(Detail::ShortCourse);
    }
    if any(&[
        "visiting scholar",
        "visiting researcher",
        "visiting professor",
    ]) {
        found.insert(Detail::VisitingScholar);
    }
    if has("passport") && (has_prefix("renew") || any(&["new", "changed", "expired", "replaced"])) {
        found.insert(Detail::PassportRenewed);
    }
    let stop = [
        "stop",
        "disable",
        "cancel",
        "remove",
        "deactivate",
        "undo",
        "turn off",
        "switch off",
        "get rid of",
    ];
    if has_prefix("forward") && any(&stop) {
        found.insert(Detail::StopForwarding);
    }
    let wrong = [
        "wrong",
        "incorrect",
        "typo",
        "misspelled",
        "misspelt",
        "spelled wrong",
        "spelt wrong",
        "missing",
        "mistake",
        "correct",
        "fix",
        "amend",
        "change",
        "update",
    ];
    if any(&wrong) && !has("passport") && (has("name") || has("surname") || has("spelling")) {
        found.insert(Detail::WrongName);
    }
    if any(&wrong) && has("passport") && !has("name") && !found.contains(&Detail::PassportRenewed) {
        found.insert(Detail::WrongPassport);
    }
    if any(&[
        "not sure",
        "unsure",
        "dunno",
        "no idea",
        "do not know",
        "do not remember",
        "cannot remember",
        "forgot when",
    ]) {
        found.insert(Detail::NotSure);
    }
    found
}

/// Whether a word names a month ("march", "mar").
pub fn is_month(word: &str) -> bool {
    word.len() >= 3 && MONTHS.iter().any(|m| m.starts_with(word))
}

/// Whether the words of `phrase` occur in a row in `words`.
fn contains_phrase(words: &[String], phrase: &str) -> bool {
    let wanted: Vec<&str> = phrase.split(' ').collect();
    words
        .windows(wanted.len())
        .any(|w| w.iter().zip(&wanted).all(|(a, b)| a == b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(text: &str) -> Vec<Detail> {
        extract(text, false).into_iter().collect()
    }

    #[test]
    fn a_year_said_with_activation_chooses_the_side_of_march_2014() {
        use Detail::*;
        assert_eq!(
            of("I set my account up in 2011, what do I use for the library?"),
            [ActivatedBefore2014]
        );
        assert_eq!(of("activated it in 2016"), [ActivatedAfter2014]);
        assert_eq!(of("before 2014"), [ActivatedBefore2014]);
        assert_eq!(of("after march 2014"), [ActivatedAfter2014]);
        assert_eq!(
            of("I graduated in 2012"),
            [],
            "a graduation year is not an activation year"
        );
        assert_eq!(of("in 2014"), [], "March 2014 itself: ask");
        assert_eq!(
            extract("2016", true).into_iter().collect::<Vec<_>>(),
            [ActivatedAfter2014]
        );
        assert_eq!(
            extract("around 2010 i think", true)
                .into_iter()
                .collect::<Vec<_>>(),
            [ActivatedBefore2014]
        );
    }

    #[test]
    fn statuses_passports_and_forwarding() {
        use Detail::*;
        assert_eq!(
            of("I'm an exchange student, why can't I activate"),
            [ExchangeStudent]
        );
        assert_eq!(of("does exchange online come with it"), []);
        assert_eq!(
            of("my passport was renewed, which number do I use?"),
            [PassportRenewed]
        );
        assert_eq!(of("how do I turn off forwarding"), [StopForwarding]);
        assert_eq!(of("set up forwarding"), []);
        assert_eq!(of("I don't remember"), [NotSure]);
        assert_eq!(of("msc in 2018"), [DegreeGraduate]);
        assert_eq!(
            extract("after i graduated in 2012", true)
                .into_iter()
                .collect::<Vec<_>>(),
            [ActivatedBefore2014]
        );
        assert_eq!(of("my name is spelled wrong in your records"), [WrongName]);
        assert_eq!(
            of("the passport number you have for me is wrong"),
            [WrongPassport]
        );
    }
}
