//! The Chinese side of reading a message: yes and no, ordinals, question shape, thanks and
//! frustration as Cantonese and Mandarin speakers write them.
//!
//! The matcher's tokens carry each Han character as a word, folded to Simplified script
//! ([`crate::lang::fold`]); [`text`] joins them back, so every phrase here is written once, in
//! Simplified (a test checks that folding leaves them as they are).

use super::answers::YesNo;
use crate::lang::is_han;

/// The Chinese characters of a message's tokens, in order, without spaces.
pub fn text(words: &[String]) -> String {
    words
        .iter()
        .filter(|w| w.chars().all(is_han))
        .map(String::as_str)
        .collect()
}

fn any(zh: &str, phrases: &[&str]) -> bool {
    phrases.iter().any(|p| zh.contains(p))
}

/// "No" that contains a "no" character but means yes ("冇問題": no problem).
const YES_DESPITE_NO: [&str; 5] = ["冇问题", "没问题", "没有问题", "无问题", "冇事"];
const NO: [&str; 29] = [
    "唔得",
    "有问题",
    "有啲问题",
    "仲有问题",
    "还有问题",
    "唔系",
    "唔好",
    "唔要",
    "唔使",
    "唔可以",
    "唔啱",
    "不行",
    "不是",
    "不要",
    "不可以",
    "不能",
    "不用",
    "不对",
    "没有",
    "冇",
    "未",
    "失败",
    "仲系",
    "还是",
    "依然",
    "都系咁",
    "一样",
    "错误",
    "否",
];
const YES: [&str; 22] = [
    "系", "是", "好呀", "好啊", "好的", "好啦", "得", "可以", "成功", "搞掂", "解决", "对", "啱",
    "行", "有", "要", "确认", "发送", "送出", "冇错", "没错", "正确",
];

/// A Chinese yes or no ("係", "得咗", "唔得", "仲係唔得", "冇問題"). "唔記得" (don't remember)
/// is neither, whatever its 得.
pub fn yes_or_no(zh: &str) -> Option<YesNo> {
    if zh.is_empty() || zh.chars().count() > 24 {
        return None;
    }
    if is_question(zh) {
        return None;
    }
    // 得 in 記得 / 覺得 / 曉得 is no "it works".
    let mut cleaned = zh.to_string();
    for word in ["记得", "记不", "记唔", "晓得", "觉得"] {
        cleaned = cleaned.replace(word, "〇〇");
    }
    let zh = cleaned.as_str();
    if zh == "好" {
        return Some(YesNo::Yes);
    }
    // The answer comes first ("仲係唔得，我覺得…", "得咗，唔該"): a 係 deep in a sentence
    // ("護照只係續咗期") answers nothing.
    let lead = |phrases: &[&str]| {
        phrases
            .iter()
            .filter_map(|p| zh.find(p))
            .any(|at| zh[..at].chars().count() <= 2)
    };
    if lead(&YES_DESPITE_NO) {
        return Some(YesNo::Yes);
    }
    if lead(&NO) {
        return Some(YesNo::No);
    }
    lead(&YES).then_some(YesNo::Yes)
}

/// Interrogative words.
const QUESTIONS: [&str; 30] = [
    "点",
    "怎",
    "如何",
    "咩",
    "乜",
    "什么",
    "甚么",
    "哪",
    "边",
    "吗",
    "系咪",
    "系唔系",
    "是否",
    "是不是",
    "可唔可以",
    "可不可以",
    "有冇",
    "有没有",
    "几时",
    "几耐",
    "多久",
    "几多",
    "为什么",
    "为何",
    "请问",
    "得唔得",
    "使唔使",
    "要唔要",
    "定系",
    "还是要",
];

/// A question rather than an answer: its interrogative words ("要幾耐?", "係咪要用電腦?",
/// "有冇 link?", "咁之後點?").
pub fn is_question(zh: &str) -> bool {
    // 呢 asks only at the end ("咁之後呢"); "呢個方法得咗" is "this method worked".
    zh.ends_with('呢') || any(zh, &QUESTIONS)
}

/// Whether a label (folded) starts as a yes or a no: "是，已解決", "有開啟", "沒有", "不用".
pub fn label_lead(label: &str) -> Option<YesNo> {
    let first: String = label.chars().take(2).collect();
    if ["不", "没", "冇", "唔", "否", "无"]
        .iter()
        .any(|p| first.starts_with(p))
    {
        Some(YesNo::No)
    } else if ["是", "有", "系", "好", "对"]
        .iter()
        .any(|p| first.starts_with(p))
    {
        Some(YesNo::Yes)
    } else {
        None
    }
}

/// At a summary: send, change, or cancel, in Chinese.
pub enum ConfirmWord {
    Send,
    Edit,
    Cancel,
}

pub fn confirm_word(zh: &str) -> Option<ConfirmWord> {
    // A "no" never sends: "唔好送住", "不是", "唔使改" (the English "send" after it decides).
    if is_question(zh) || yes_or_no(zh) == Some(YesNo::No) {
        return None;
    }
    let lead = |phrases: &[&str]| {
        phrases
            .iter()
            .filter_map(|p| zh.find(p))
            .any(|at| zh[..at].chars().count() <= 2)
    };
    if lead(&["取消"]) {
        Some(ConfirmWord::Cancel)
    } else if lead(&["修改", "更改", "改", "错"]) {
        Some(ConfirmWord::Edit)
    } else if lead(&[
        "发送",
        "传送",
        "送出",
        "提交",
        "确认",
        "冇问题",
        "没问题",
        "可以",
        "系",
        "是",
        "对",
        "啱",
    ]) || zh == "好"
        || zh.starts_with("好呀")
        || zh.starts_with("好的")
    {
        Some(ConfirmWord::Send)
    } else {
        None
    }
}

/// A change of mind in the middle of a step ("等等，搞錯咗", "算啦，取消").
pub fn changes_mind(zh: &str) -> bool {
    // At the start only: "…清除cache等等" is "etc.", "其實應該係…" an answer.
    const OPENINGS: [&str; 10] = [
        "搞错",
        "算啦",
        "算了",
        "取消",
        "唔要喇",
        "不要了",
        "改变主意",
        "唔做喇",
        "不做了",
        "唔好意思搞错",
    ];
    OPENINGS.iter().any(|p| zh.starts_with(p))
        || ["等等搞错", "等等唔系", "唔系呀取消"]
            .iter()
            .any(|p| zh.starts_with(p))
}

/// A reply that leans on what the bot just said: "咁…", "呢個", "也可以嗎", "都得?".
pub fn leans_back(zh: &str) -> bool {
    zh.chars().count() <= 16
        && any(
            zh,
            &[
                "咁",
                "呢个",
                "嗰个",
                "这个",
                "那个",
                "也可以",
                "都得",
                "都可以",
                "也",
                "都",
                "佢",
            ],
        )
}

/// Asking to be answered in another language: "我想轉返中文", "講英文", "用简体".
pub fn wants_language(zh: &str) -> Option<crate::lang::Lang> {
    use crate::lang::Lang;
    // A switch: a verb, then the language, and nothing after it but a particle or "reply"
    // ("我想轉返中文", "講英文啦", "用简体回答"); "英文名串錯咗點改" is about a name.
    if zh.chars().count() > 12 {
        return None;
    }
    const LANGUAGES: [(&str, Lang); 6] = [
        ("简体中文", Lang::ZhHans),
        ("简体", Lang::ZhHans),
        ("中文", Lang::ZhHant),
        ("广东话", Lang::ZhHant),
        ("繁体", Lang::ZhHant),
        ("英文", Lang::En),
    ];
    let (at, word, lang) = LANGUAGES
        .iter()
        .find_map(|(w, l)| zh.find(w).map(|at| (at, *w, *l)))?;
    let before = &zh[..at];
    let after = &zh[at + word.len()..];
    let verb = ["转", "讲", "用", "换", "改"]
        .iter()
        .any(|v| before.contains(v));
    let ends = [
        "",
        "啦",
        "吖",
        "呀",
        "喇",
        "吧",
        "吗",
        "嘛",
        "回答",
        "回覆",
        "回复",
        "答",
        "得唔得",
        "可以吗",
        "好吗",
    ]
    .contains(&after)
        || after.starts_with("中文");
    (verb && ends).then_some(lang)
}

/// How many words a reply has, a run of Chinese characters counting a word per two characters
/// (Chinese writes words of one to three characters without spaces).
pub fn word_count(words: &[String]) -> usize {
    let han = words.iter().filter(|w| w.chars().all(is_han)).count();
    words.len() - han + han.div_ceil(2)
}

/// Characters too common to tell one option from another.
pub const SMALL: [&str; 14] = [
    "我", "的", "你", "系", "是", "了", "咗", "个", "嘅", "佢", "啲", "就", "都", "也",
];

/// "第一個", "第2", "最後一個": which of the offered options.
pub fn ordinal(zh: &str, words: &[String], count: usize) -> Option<usize> {
    if zh.contains("最后") {
        return count.checked_sub(1);
    }
    let at = words.iter().position(|w| w == "第")?;
    let next = words.get(at + 1)?;
    let n = match next.as_str() {
        "一" => 1,
        "二" | "两" => 2,
        "三" => 3,
        "四" => 4,
        "五" => 5,
        digits => digits.parse().ok()?,
    };
    (1..=count).contains(&n).then(|| n - 1)
}

/// Words that make a Chinese piece a request (or a problem stated), beyond the question words
/// of [`is_question`]; 呢 anywhere ("呢個點用").
const REQUESTS: [&str; 14] = [
    "呢",
    "可以",
    "想",
    "要",
    "唔得",
    "唔到",
    "不到",
    "不了",
    "无法",
    "唔可以",
    "忘记",
    "唔记得",
    "帮",
    "教",
];

/// A question or a request: what [`super::split::asks`] counts as something asked.
pub fn asks(zh: &str) -> bool {
    is_question(zh) || any(zh, &REQUESTS)
}

const ANGRY: [&str; 18] = [
    "好烦",
    "烦死",
    "激气",
    "激嬲",
    "嬲",
    "垃圾",
    "好冇用",
    "真系冇用",
    "冇鬼用",
    "好没用",
    "真没用",
    "浪费时间",
    "离谱",
    "顶唔顺",
    "受够",
    "搞乜鬼",
    "废柴",
    "乱答",
];

pub fn frustrated(zh: &str) -> bool {
    any(zh, &ANGRY)
}

const THANKS: [&str; 5] = ["唔该", "多谢", "谢谢", "感谢", "thx"];

pub fn thanks(zh: &str) -> bool {
    any(zh, &THANKS)
}

/// "揾真人", "轉職員": the user asks for a person.
pub const PERSON: [&str; 12] = [
    "揾真人",
    "找真人",
    "真人",
    "转真人",
    "人工",
    "人工客服",
    "真人客服",
    "联络职员",
    "联系职员",
    "揾职员",
    "找职员",
    "同职员倾",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::fold;
    use crate::matcher::normalize::tokenize;

    fn zh(text: &str) -> String {
        super::text(&tokenize(text))
    }

    #[test]
    fn phrases_are_written_in_the_folded_script() {
        let lists: [&[&str]; 9] = [
            &YES_DESPITE_NO,
            &NO,
            &YES,
            &REQUESTS,
            &QUESTIONS,
            &ANGRY,
            &THANKS,
            &PERSON,
            &["最后", "第"],
        ];
        for phrase in lists.iter().flat_map(|l| l.iter()) {
            assert_eq!(
                &fold(phrase),
                phrase,
                "{phrase} is not in the folded script"
            );
        }
    }

    #[test]
    fn yes_and_no_in_cantonese_and_mandarin() {
        for yes in [
            "係",
            "得咗！",
            "可以",
            "冇問題",
            "好呀",
            "搞掂咗，唔該",
            "是的",
            "成功了",
        ] {
            assert_eq!(yes_or_no(&zh(yes)), Some(YesNo::Yes), "{yes}");
        }
        for no in [
            "唔得",
            "仲係唔得",
            "不行",
            "唔係",
            "還是不行",
            "未得呀",
            "冇用到",
            "失敗",
        ] {
            assert_eq!(yes_or_no(&zh(no)), Some(YesNo::No), "{no}");
        }
        assert_eq!(yes_or_no(&zh("點樣啟用帳戶同埋改密碼呢個問題好複雜")), None);
        // The answer comes first; a 係 deep in a sentence, a question, "唔記得" answer nothing.
        assert_eq!(yes_or_no(&zh("護照只係續咗期")), None);
        assert_eq!(
            yes_or_no(&zh("還是不行，我覺得是護照號碼記錄錯了")),
            Some(YesNo::No)
        );
        for question in ["要幾耐?", "係咪要用電腦?", "有冇 link?", "唔記得"] {
            assert_eq!(yes_or_no(&zh(question)), None, "{question}");
        }
    }

    #[test]
    fn ordinals_questions_thanks_and_anger() {
        let words = tokenize("第二個");
        assert_eq!(ordinal(&super::text(&words), &words, 3), Some(1));
        let words = tokenize("最後一個");
        assert_eq!(ordinal(&super::text(&words), &words, 3), Some(2));
        assert!(asks(&zh("點樣改密碼")));
        assert!(asks(&zh("怎么激活邮箱")));
        assert!(!asks(&zh("陳大文")));
        assert!(thanks(&zh("唔該晒")));
        assert!(thanks(&zh("谢谢你")));
        assert!(frustrated(&zh("你好冇用呀")));
        assert!(!frustrated(&zh("你好")));
    }
}
