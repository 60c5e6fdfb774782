//! The core's sentences in Traditional Chinese, keyed by their English text.

pub(super) const ZH: &[(&str, &str)] = &[
    (
        "You're sending messages faster than I can read them. Please wait a moment, then send your question again.",
        "你傳送訊息的速度太快，我來不及閱讀。請稍等一會，再傳送你的問題。",
    ),
    (
        "Sorry, something went wrong on my side. Please try again in a moment. If it keeps happening, contact **{email}** and quote reference **{reference}**.",
        "對不起，我這邊出了問題。請稍後再試。如果問題持續，請聯絡 **{email}**，並提供參考編號 **{reference}**。",
    ),
    (
        "That message is too long for me (over {max} characters). Please say it in a sentence or two.",
        "這則訊息太長了（超過 {max} 個字元）。請用一兩句話說明。",
    ),
    (
        "I didn't catch anything there. Type what you need help with, for example \"I forgot my password\".",
        "我看不到任何內容。請輸入你需要協助的事項，例如「我忘記了密碼」。",
    ),
    (
        "I'm sorry this has been frustrating. Let me get you to a person at the alumni office.",
        "很抱歉令你感到困擾。讓我為你聯絡校友事務處的職員。",
    ),
    (
        "I'm sorry this has been frustrating. Here is what the FAQ says; if you'd rather have a person at the alumni office take over, press the button.",
        "很抱歉令你感到困擾。以下是 FAQ 的說明；如果你希望改由校友事務處的職員跟進，請按下面的按鈕。",
    ),
    (
        "The FAQ I answer from says nothing more about that (on **{title}**). The alumni office can tell you: email **{email}** or WhatsApp **{whatsapp}**, or I can pass your question to staff.",
        "關於這點（**{title}**），我所依據的 FAQ 沒有更多說明。校友事務處可以解答：請電郵至 **{email}** 或 WhatsApp **{whatsapp}**，或者我可以把你的問題轉交職員。",
    ),
    (
        "Send me /forget in a direct message: that is where your data is.",
        "請在私人對話中傳送 /forget 給我：你的資料都在那裏。",
    ),
    (
        "Done: I've deleted our conversations and everything you sent me here, including finished requests.",
        "完成：我已刪除我們的對話，以及你在這裏傳送給我的所有內容，包括已完成的申請。",
    ),
    (
        "Done: I've deleted our conversations and your finished requests. I kept your open request(s) {references} because staff need them to finish; ask them to close a request if you want it deleted now.",
        "完成：我已刪除我們的對話及你已完成的申請。你未完成的申請 {references} 仍然保留，因為職員需要用它們完成處理；如果你想立即刪除某項申請，請要求職員把它結束。",
    ),
    (
        "That button is no longer active. Please type your question, or /help to see what I can do.",
        "這個按鈕已經失效。請輸入你的問題，或輸入 /help 查看我可以做甚麼。",
    ),
    ("None of these", "以上皆不是"),
    ("Did you mean this?", "你是指這個嗎？"),
    ("Did you mean one of these?", "你是指以下其中一項嗎？"),
    (
        "I'll answer in English from now on. Type /language to change it.",
        "之後我會用中文回答。輸入 /language 可以更改。",
    ),
    (
        "Which language shall I answer in?",
        "你想我用哪種語言回答？",
    ),
    (
        "{opening} A person at the alumni office can help where I can't: email **{email}** or WhatsApp **{whatsapp}**, or I can open a ticket for you.",
        "{opening}我幫不上忙的地方，校友事務處的職員可以協助：請電郵至 **{email}** 或 WhatsApp **{whatsapp}**，或者我可以為你提交查詢。",
    ),
    (
        "{opening} I can only help with the alumni email account: activation, passwords, aliases, Wi-Fi and library logins, forwarding, Office 365 and record corrections. Could you rephrase, or pick a topic?",
        "{opening}我只能協助處理校友電郵帳戶的事宜：啟用、密碼、別名、Wi-Fi 及圖書館登入、轉寄、Office 365 及更正記錄。你可以換個說法，或者選擇一個主題嗎？",
    ),
    ("Talk to a person", "聯絡職員"),
    (
        "What can I help you with about your alumni email account?",
        "關於你的校友電郵帳戶，有甚麼可以幫你？",
    ),
    (
        "I need a file here: a photo or a PDF.",
        "這一步需要一個檔案：相片或 PDF。",
    ),
    ("That was empty.", "你沒有輸入任何內容。"),
    (
        "That is longer than I can keep ({max} characters).",
        "內容太長了，我最多只能保存 {max} 個字元。",
    ),
    ("A name has no digits.", "姓名不應包含數字。"),
    (
        "That doesn't look like a name: please use letters, as on your HKID card or passport.",
        "這看來不像姓名：請用英文字母填寫，與你的 HKID 或護照上印的相同。",
    ),
    (
        "Please write the name in English letters exactly as printed on your HKID card or passport, including any middle name; you may add your Chinese name after it, for example \"CHAN Tai Man Peter 陳大文\".",
        "請用英文字母填寫姓名，須與你的 HKID 或護照上印的完全相同，如有中間名也要包括在內；英文姓名之後可以加上中文姓名，例如「CHAN Tai Man Peter 陳大文」。",
    ),
    (
        "That is too long for a name (100 characters at most).",
        "這個姓名太長了（最多 100 個字元）。",
    ),
    (
        "That reads like a sentence rather than a name: please type only your name, as on your HKID card or passport (or **back** to change your earlier answer).",
        "這看來是一句句子，而不是姓名：請只輸入你的姓名，與你的 HKID 或護照上的相同。如要更改上一個答案，請輸入 **返回**（back）。",
    ),
    (
        "That doesn't look like an email address (like name@example.com).",
        "這看來不像電郵地址（例如 name@example.com）。",
    ),
    (
        "Please give the year as four digits, for example 2015.",
        "請用四位數字填寫年份，例如 2015。",
    ),
    (
        "The year of graduation must be between {first} and {last}.",
        "畢業年份必須在 {first} 至 {last} 之間。",
    ),
    (
        "An HKID or passport number has 5 to 20 letters and digits, like A1234567 or K12345678.",
        "HKID 或護照號碼由 5 至 20 個字母及數字組成，例如 A1234567 或 K12345678。",
    ),
    (
        "An HKID or passport number has digits in it.",
        "HKID 或護照號碼應包含數字。",
    ),
    (
        "Your requests are private: send me /status in a direct message and I'll list them there.",
        "你的申請屬私人資料：請在私人對話中傳送 /status 給我，我會在那裏列出你的申請。",
    ),
    (
        "You have no requests with the alumni office from this chat. Type **talk to a person** to send one.",
        "你在這個對話中沒有向校友事務處提交的申請。輸入 **搵真人**（talk to a person）即可提交。",
    ),
    ("Add to {reference}", "補充 {reference}"),
    ("Withdraw {reference}", "撤回 {reference}"),
    (
        "Your requests with the alumni office:",
        "你向校友事務處提交的申請：",
    ),
    (
        "I can't find that request among yours. Type /status to see them.",
        "你的申請中找不到這一項。輸入 /status 查看你的申請。",
    ),
    (
        "What would you like to add to **{reference}**? Send text, a photo or a PDF.",
        "你想為 **{reference}** 補充甚麼？請傳送文字、相片或 PDF。",
    ),
    (
        "Your request **{reference}** is withdrawn; the alumni office has been told. You can always send a new one.",
        "你的申請 **{reference}** 已撤回，校友事務處亦已收到通知。你隨時可以提交新的申請。",
    ),
    (
        "That request is already closed, or not yours. Type /status to see your requests.",
        "該申請已經結束，或者不屬於你。輸入 /status 查看你的申請。",
    ),
    (
        "I can't use that file: {problem}. Please send a photo (JPEG, PNG or WebP) or a PDF, up to 10 MB.",
        "我無法使用這個檔案：{problem}。請傳送相片（JPEG、PNG 或 WebP）或 PDF，檔案不超過 10 MB。",
    ),
    (
        "Your request **{reference}** is already closed, so I couldn't add that. Type **talk to a person** to send a new one.",
        "你的申請 **{reference}** 已經結束，所以我無法加入這項內容。輸入 **搵真人**（talk to a person）即可提交新的申請。",
    ),
    (
        "Added to your request **{reference}**; the alumni office will see it.",
        "已加入你的申請 **{reference}**；校友事務處會看到。",
    ),
    (
        "While they wait for your answer, what you send here goes to them; type /status to see your requests.",
        "職員等候你回覆期間，你在這裏傳送的內容都會轉交給他們；輸入 /status 查看你的申請。",
    ),
    ("received, waiting for staff", "已收到，等候職員處理"),
    ("being handled by staff", "職員處理中"),
    ("staff are waiting for your reply", "職員等候你回覆"),
    ("resolved", "已解決"),
    ("closed", "已結束"),
    (
        "I can go through **{flow}** with you in a private chat, so that none of your personal details are posted here.",
        "我可以在私人對話中和你一起完成 **{flow}**，這樣你的個人資料就不會在這裏公開。",
    ),
    ("Continue in a private chat", "轉到私人對話"),
    (
        "I've left **{flow}** (nothing was sent).",
        "我已離開 **{flow}**（沒有傳送任何內容）。",
    ),
    (
        "OK, I've stopped **{flow}**; nothing was sent. What else can I help you with?",
        "好的，我已停止 **{flow}**，沒有傳送任何內容。還有甚麼可以幫你？",
    ),
    (
        "OK, let's start over. What can I help you with?",
        "好的，我們重新開始。有甚麼可以幫你？",
    ),
    (
        "From what you said: **{choice}**.",
        "根據你所說：**{choice}**。",
    ),
    (
        "You already have {live} open requests with the alumni office, the most I can keep at once. Staff will answer them; you can add to one with /status, or write to **{email}**.",
        "你已經有 {live} 項申請正由校友事務處處理，這是我同時可以保留的上限。職員會回覆這些申請；你可以用 /status 為其中一項補充資料，或寫信至 **{email}**。",
    ),
    (
        "Your reference is {reference}.",
        "你的參考編號是 {reference}。",
    ),
    (
        "Sorry, I lost my place in this conversation (I may have been updated). What can I help you with?",
        "對不起，我忘記了我們的對話進行到哪裏（我可能剛更新過）。有甚麼可以幫你？",
    ),
    ("Yes, that solved it", "是，已解決"),
    ("No, still not working", "不，仍然不行"),
    ("Send it", "傳送"),
    ("Change something", "修改內容"),
    ("Cancel", "取消"),
    ("received ({file})", "已收到（{file}）"),
    ("(nothing yet)", "（尚未提供）"),
    ("Shall we go on with **{flow}**?", "要繼續 **{flow}** 嗎？"),
    ("Yes, go on", "是，繼續"),
    ("No, stop it", "不，停止"),
    (
        "We are in the middle of **{flow}**. Answer the question below, or type:\n- **back** to go to the previous step\n- **cancel** to stop (nothing is sent)\n- **talk to a person** to reach the alumni office",
        "我們正在進行 **{flow}**。請回答下面的問題，或輸入：\n- **返回**（back）回到上一步\n- **取消**（cancel）停止（不會傳送任何內容）\n- **搵真人**（talk to a person）聯絡校友事務處",
    ),
    (
        "There is no earlier step to go back to. What can I help you with?",
        "沒有上一步可以返回。有甚麼可以幫你？",
    ),
    (
        "This is the first step; type **cancel** to stop instead.",
        "這已經是第一步；如要停止，請輸入 **取消**（cancel）。",
    ),
    (
        "That conversation has already finished. What can I help you with?",
        "那段對話已經結束。有甚麼可以幫你？",
    ),
    (
        "That button belongs to an earlier step. Here is where we are now:",
        "這個按鈕屬於較早的步驟。我們現在進行到這裏：",
    ),
    (
        "That step is already finished. Your last request was sent as **{reference}**. What else can I help you with?",
        "這個步驟已經完成。你上一項申請已經傳送，參考編號是 **{reference}**。還有甚麼可以幫你？",
    ),
    (
        "That step is already finished. What else can I help you with?",
        "這個步驟已經完成。還有甚麼可以幫你？",
    ),
    ("What would you like to change?", "你想修改甚麼？"),
    (
        "Do you want to stop **{flow}**? Nothing has been sent.",
        "你想停止 **{flow}** 嗎？目前還沒有傳送任何內容。",
    ),
    ("Yes, stop it", "是，停止"),
    ("No, go on", "不，繼續"),
    (
        "I need the copy as a file here: a photo (JPEG, PNG, WebP) or a PDF, up to 10 MB. Use the attachment button of your chat app.",
        "這一步需要以檔案形式傳送副本：相片（JPEG、PNG、WebP）或 PDF，不超過 10 MB。請使用聊天應用程式的附件按鈕。",
    ),
    ("the answer", "答案"),
    (
        "That reads like a question or a remark rather than **{what}**, so I haven't kept it. Please type it, or **help** for what you can do here.",
        "這看來是問題或意見，而不是 **{what}**，所以我沒有記下。請直接輸入，或輸入 **幫助**（help）查看你在這裏可以做甚麼。",
    ),
    (
        "Please answer yes or no, with the buttons below.",
        "請用下面的按鈕回答是或否。",
    ),
    (
        "Please choose: send it, change something, or cancel.",
        "請選擇：傳送、修改內容或取消。",
    ),
    (
        "Please pick one of the options below (or type its number).",
        "請選擇下面其中一個選項（或輸入選項的編號）。",
    ),
    (
        "If you're stuck, a person at the alumni office can help: type **talk to a person**.",
        "如果你遇到困難，校友事務處的職員可以幫你：請輸入 **搵真人**（talk to a person）。",
    ),
    (
        "Thanks, but I only need files when I ask for one (for example the copy of your ID for a correction request). Please ask your question in words.",
        "謝謝，不過我只會在需要時才請你傳送檔案（例如更正申請所需的身份證明文件副本）。請用文字提出你的問題。",
    ),
    (
        "I wasn't expecting a file at this step; please answer in words.",
        "這一步不需要檔案；請用文字回答。",
    ),
    (
        "I can't use that file: {problem}. Please send a photo (JPEG, PNG or WebP) or a PDF of your current HKID card or passport, up to 10 MB.",
        "我無法使用這個檔案：{problem}。請傳送你現時有效的 HKID 或護照的相片（JPEG、PNG 或 WebP）或 PDF，檔案不超過 10 MB。",
    ),
    ("Thank you, I've received the file.", "謝謝，我已收到檔案。"),
    (
        "Sorry, I don't know about that.",
        "對不起，這方面我不清楚。",
    ),
    ("Sorry I didn't get it right.", "對不起，我剛才理解錯了。"),
    ("Start over", "重新開始"),
    ("What I can help with", "我可以幫你甚麼"),
    ("Stop what we are doing", "停止目前的步驟"),
    ("Reach the alumni office", "聯絡校友事務處"),
    (
        "Your requests with the alumni office",
        "你向校友事務處提交的申請",
    ),
    ("Answer in English or Chinese", "選擇以英文或中文回答"),
    (
        "Ask a question about your alumni email account",
        "查詢有關校友電郵帳戶的問題",
    ),
    ("Your question", "你的問題"),
    (
        "Send a request to the alumni office (in a DM)",
        "向校友事務處提交申請（在私訊中）",
    ),
    (
        "**Reply from the alumni office** about your request **{reference}**:\n\n{words}",
        "**校友事務處的回覆**，關於你的申請 **{reference}**：\n\n{words}",
    ),
    (
        "The alumni office needs more information about your request **{reference}**:\n\n{words}\n\nJust answer here (text, a photo or a PDF): your next messages go to them.",
        "校友事務處需要更多資料處理你的申請 **{reference}**：\n\n{words}\n\n直接在這裏回覆即可（文字、相片或 PDF）：你接下來傳送的訊息會交給他們。",
    ),
    (
        "Your request **{reference}** has been resolved by the alumni office:\n\n{words}",
        "校友事務處已處理你的申請 **{reference}**：\n\n{words}",
    ),
    ("the file is empty", "檔案是空的"),
    ("the file is larger than {max} MB", "檔案大於 {max} MB"),
    (
        "only photos (JPEG, PNG, WebP) and PDF files are accepted",
        "只接受相片（JPEG、PNG、WebP）及 PDF 檔案",
    ),
    (
        "Sorry, I couldn't fetch that file. Please send it again.",
        "對不起，我未能取得那個檔案。請再傳送一次。",
    ),
    (
        "I've sent you a direct message: let's continue there, where your details stay private.",
        "我已傳送私人訊息給你：我們在那裏繼續，你的資料會保密。",
    ),
    (
        "I've sent you a direct message to write your request there, where your details stay private.",
        "我已傳送私人訊息給你，請在那裏填寫你的申請，你的資料會保密。",
    ),
    (
        "I've sent your requests to you in a direct message.",
        "我已在私人訊息中把你的申請傳送給你。",
    ),
    (
        "I can't send you a direct message. Please allow direct messages from server members, then try again.",
        "我無法傳送私人訊息給你。請允許伺服器成員傳送私人訊息給你，然後再試一次。",
    ),
];
