# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""What the console calls things, in the writer's language (issue 29): the writer's screens'
texts, event types as people say them, and the language itself, followed from the browser's
`Accept-Language` (Chinese when it ranks a `zh` tag above any `en` tag, else English) unless
the writer chose one with the page's switch (`?lang=`, then kept in a cookie: issue 38). The
operator's screens stay in English."""

from fastapi import Request

from infinite_scribe.api.field_names import CHINESE, ENGLISH

LANGUAGES = (ENGLISH, CHINESE)
#: The language the writer chose with the page's switch (set by `?lang=`).
LANGUAGE_COOKIE = "scribe_lang"

#: Event type -> (English, Chinese). Unknown types are shown as they are.
EVENT_LABELS: dict[str, tuple[str, str]] = {
    "Genesis.Session.Created": ("Session started", "会话已开始"),
    "Genesis.Session.ConceptGenerationRequested": ("Concepts requested", "请求生成创意"),
    "Genesis.Session.Concept.Proposed": ("Concepts proposed", "创意已生成"),
    "Genesis.Session.ConceptGeneration.Failed": ("Concepts failed", "创意生成失败"),
    "Genesis.Session.StageGenerationRequested": ("Proposal requested", "请求生成方案"),
    "Genesis.Session.StageContent.Proposed": ("Proposal ready", "方案已生成"),
    "Genesis.Session.StageGeneration.Failed": ("Proposal failed", "方案生成失败"),
    "Genesis.Session.FeedbackSubmitted": ("Feedback sent", "已提交反馈"),
    "Genesis.Session.StageConfirmed": ("Stage confirmed", "阶段已确认"),
    "Genesis.Session.FlowPaused": ("Waiting for you", "等待你的决定"),
    "Genesis.Session.FlowResumed": ("Resumed", "已继续"),
    "Genesis.Session.FlowExpired": ("Wait expired", "等待已过期"),
    "Genesis.Session.Finished": ("Novel created", "小说已创建"),
    "Genesis.Session.Abandoned": ("Abandoned", "已放弃"),
    "Genesis.Session.GenerationCancelled": ("Generation cancelled", "已取消生成"),
    "Genesis.Session.Trashed": ("Moved to the trash", "已移入回收站"),
    "Genesis.Session.Restored": ("Restored", "已恢复"),
    "Genesis.Session.Purged": ("Deleted for good", "已永久删除"),
    "Genesis.Session.RolledBack": ("Rolled back", "已回滚"),
    "Genesis.Session.Branched": ("Branched", "已创建分支"),
    "Genesis.Session.CodexUpdated": ("Names corrected", "已修正命名"),
}


#: The flow's bookkeeping (issue 38): true, but nothing the writer did or has to act on, so
#: the writer's timeline leaves them out (the operator's event chain shows them).
BOOKKEEPING_EVENTS = frozenset({"Genesis.Session.FlowPaused", "Genesis.Session.FlowResumed"})


#: The writer's screens in Chinese: English text -> Chinese (`t(...)` in the templates; the
#: English is the key, so a text without a translation shows in English).
CHINESE_TEXTS: dict[str, str] = {
    # The writer's codex (issue 76).
    "What you named": "你命名的",
    "every proposal keeps these as written": "每个方案都原样保留这些名字",
    "person": "人物",
    "place": "地点",
    "time": "时间",
    "object": "物件",
    "hero": "主角",
    "rival": "对手",
    "deadline": "期限",
    "origin": "来处",
    "mentor": "导师",
    "from your idea": "来自你的创意",
    "from your feedback": "来自你的反馈",
    "from your edit": "来自你的修改",
    "from a confirmed stage": "来自已确认的阶段",
    "Your feedback asks to rename": "你的反馈要把",
    "to": "改名为",
    ": this draft keeps the name you gave until you confirm it.": (
        "：确认之前，这一稿保留你起的名字。"
    ),
    "Rename everywhere": "全部改名",
    "Your feedback names": "你的反馈把",
    "as the": "定为",
    ": this draft keeps what you named until you confirm it.": (
        "：确认之前，这一稿保留你命名的内容。"
    ),
    "Name": "名字",
    "Correction": "修正",
    "rename to": "改名为",
    "set the role to": "角色改为",
    "is not a name": "不是名字",
    "remove": "删除",
    "New name or role": "新名字或角色",
    "Correct": "修正",
    "Sessions": "会话",
    "Novels": "小说",
    "Later events": "更多事件",
    "Sign out": "退出",
    "Sign in": "登录",
    "Your Genesis sessions": "你的创世会话",
    "Start a session": "开始新会话",
    "Session": "会话",
    "Status": "状态",
    "Stage": "阶段",
    "Working": "生成中",
    "Updated": "更新于",
    "yes": "是",
    "Untitled": "未命名",
    "No sessions yet. Start one to walk Genesis: concept, story, worldview, characters, plot "
    "outline.": "还没有会话。开始一个会话，走完创世流程：创意、故事、世界观、角色、情节大纲。",
    "Genesis session": "创世会话",
    "in the trash": "在回收站中",
    "version": "版本",
    "Genesis is complete.": "创世已完成。",
    "Read the novel": "阅读小说",
    "The agents are working on": "智能体正在处理",
    "Proposal": "方案",
    "Edit anything before you confirm: what you confirm is what the next stages build on.": (
        "确认之前可以修改任何内容：你确认的内容就是后续阶段的基础。"
    ),
    "Confirm": "确认",
    "Feedback on this proposal": "对这个方案的反馈",
    "Ask for a revision": "请求修改",
    "Ask for another proposal": "再要一个方案",
    "Ask the agents for a proposal": "请智能体提出方案",
    "Themes": "主题",
    "Styles": "风格",
    "Anything else": "其他想法",
    "Request a proposal": "请求方案",
    "darker, please": "请更黑暗一些",
    "Drafts": "草稿",
    "(as the model writes)": "（模型正在写的内容）",
    "Nothing being written right now.": "当前没有正在写的内容。",
    "The agent is writing…": "智能体正在写……",
    "Timeline": "时间线",
    "Your novels": "你的小说",
    "Title": "标题",
    "Logline": "一句话简介",
    "Chapters": "章节",
    "Created": "创建于",
    "Take away": "下载",
    "No novels yet: a Genesis session that reaches its end makes one.": (
        "还没有小说：走完创世流程的会话会生成一部小说。"
    ),
    "chapters planned": "章计划中",
    "created": "创建于",
    "download": "下载",
    "The Genesis session": "创世会话",
    "Back to the console": "返回控制台",
    "The book is being prepared": "正在准备这本书",
    "A book this long is built once, as a job; this page asks again every few seconds and the "
    "file comes when it is ready.": (
        "这么长的书会作为任务生成一次；本页每隔几秒再问一次，文件准备好就会开始下载。"
    ),
    "Back to the novels": "返回小说列表",
    "concept selection": "创意",
    "story conception": "故事",
    "worldview": "世界观",
    "characters": "角色",
    "plot outline": "情节大纲",
    "finished": "完成",
    "History": "历史",
    "Back to the session": "返回会话",
    "The newest versions are shown.": "这里显示最新的版本。",
    "Older versions": "更早的版本",
    "Branched from": "分支自",
    "Branches of this session": "本会话的分支",
    "from the origin session": "来自原会话",
    "the origin session": "原会话",
    "proposed": "提出",
    "revised": "修订",
    "confirmed": "确认",
    "edited": "修改后确认",
    "rolled back": "回滚",
    "branched": "分支",
    "Feedback": "反馈",
    "Taken as proposed": "原样采用",
    "Picked from the options": "从候选中选定",
    "Taken with your edits": "修改后采用",
    "as proposed": "原样采用",
    "choice": "选择",
    "tokens": "词元",
    "attempts": "尝试次数",
    "built from one event": "依据 1 个事件",
    "built from {n} events": "依据 {n} 个事件",
    "Content": "内容",
    "Field": "字段",
    "Before": "之前",
    "After": "之后",
    "Roll back to this version": "回滚到这个版本",
    "The session goes back to what it was right after this version: its stage, what was "
    "confirmed and the proposal. Nothing is deleted; the history keeps every version.": (
        "会话将回到这个版本刚产生时的状态：阶段、已确认的内容和方案。不会删除任何内容，历史保留每个版本。"
    ),
    "Roll back": "回滚",
    "Branch from here": "从这里创建分支",
    "A new session starts from this version; this one stays as it is.": (
        "从这个版本开始一个新会话；当前会话保持不变。"
    ),
    "Branch": "创建分支",
    "The generation failed": "生成失败",
    "error code": "错误代码",
    "What you typed is still in the form below.": "你输入的内容还在下面的表单里。",
    "Try again": "再试一次",
    "Console": "控制台",
    "console": "控制台",
    "operator": "运维",
    "This session is": "这个会话",
    "The agents are writing concepts from your idea": "智能体正在根据你的创意写候选创意",
    "The agents are writing a proposal for this stage": "智能体正在为这个阶段写方案",
    "The agents are revising the proposal with your feedback": "智能体正在按你的反馈修改方案",
    "The agents are working": "智能体正在工作",
    "proposal": "方案",
    "command": "你的操作",
    "event": "进展",
    "Access token (JWT)": "访问令牌（JWT）",
    "Embedded development run: sign in as the development writer, or paste the token scribe "
    "up printed to act as the development operator.": (
        "嵌入式开发运行：以开发作者身份登录，或粘贴 scribe up 打印的令牌以开发运维身份登录。"
    ),
    "Development writer": "开发作者",
    "Development token (for the operator)": "开发令牌（运维用）",
    "Development operator": "开发运维",
    "Position": "位置",
    "Remove": "删除",
    "Add one": "添加一项",
    "Edit this concept": "修改这个创意",
    "Asked": "已等待",
    "s ago": "秒",
    "Stop this generation": "停止生成",
    "Stop it? What the agent wrote so far is dropped.": "要停止吗？智能体已写的内容会被丢弃。",
    "Yes, stop": "是的，停止",
    "No, keep going": "不，继续",
    "characters so far": "字已写出",
    "Generate again with another model": "换一个模型重新生成",
    "A new proposal from the same inputs; this one stays in the history.": (
        "用同样的输入生成一个新方案；这一个仍保留在历史里。"
    ),
    "Model": "模型",
    "Generate again": "重新生成",
    "The prompt": "提示词",
    "generated again from": "重新生成自",
    "What this proposal was generated from": "这个方案的生成依据",
    "The messages sent to the model": "发给模型的消息",
    "The offline generator sends no messages: it writes from the request below.": (
        "离线生成器不发送消息：它直接根据下面的请求写作。"
    ),
    "The request": "请求",
    "Back to the history": "返回历史",
    "Writer": "作者",
    "tokens in": "输入词元",
    "out": "输出",
}


def translate(text: str, language: str = ENGLISH) -> str:
    """`text` in `language` (the English itself when there is no translation)."""
    return CHINESE_TEXTS.get(text, text) if language == CHINESE else text


def language_of(request: Request) -> str:
    """The writer's choice (the page's switch now, `?lang=`, else the one it kept), else `zh`
    when the browser's Accept-Language names Chinese before English, else `en`."""
    for chosen in (request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if chosen in LANGUAGES:
            return chosen
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(request.headers.get("accept-language", "")[:500].split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, index, tag.strip().lower()))
    for _, _, tag in sorted(ranked):
        if tag.startswith("zh"):
            return CHINESE
        if tag.startswith("en"):
            return ENGLISH
    return ENGLISH


def _in_language(labels: tuple[str, str] | None, code: str, language: str) -> str:
    """`labels` (English, Chinese) in `language`; `code` as it is where none is known."""
    if labels is None:
        return code
    return labels[1] if language == CHINESE else labels[0]


def event_label(event_type: str, language: str = ENGLISH) -> str:
    return _in_language(EVENT_LABELS.get(event_type), event_type, language)


#: Session and novel statuses -> (English, Chinese).
STATUS_LABELS: dict[str, tuple[str, str]] = {
    "IN_PROGRESS": ("In progress", "进行中"),
    "COMPLETED": ("Completed", "已完成"),
    "ABANDONED": ("Abandoned", "已放弃"),
    "GENESIS": ("Being created", "创世中"),
    "GENERATING": ("Being written", "写作中"),
    "PAUSED": ("Paused", "已暂停"),
    "FAILED": ("Failed", "失败"),
}


#: (field, code) -> (English, Chinese): codes a proposal stores that a writer reads as words.
VALUE_LABELS: dict[tuple[str, str], tuple[str, str]] = {
    ("source", "offline_draft"): (
        "Offline draft (the built-in generator)",
        "离线草稿（内置生成器）",
    ),
    ("source", "llm"): ("Language model", "语言模型"),
}


def value_label(key: str, value: str, language: str = ENGLISH) -> str:
    """A field's value in words when it is a known code ("offline_draft"), else as it is."""
    return _in_language(VALUE_LABELS.get((key, value)), value, language)


def status_label(status: str, language: str = ENGLISH) -> str:
    return _in_language(STATUS_LABELS.get(status), status, language)
