# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""The console's error page in the writer's language (issue 38): a headline by HTTP status and
what the error code means, as the writer can act on it. The server's own message (English, for
developers and logs) stays on the page, folded away under "details"."""

from dataclasses import dataclass

#: HTTP status -> (English, Chinese) headline.
HEADLINES: dict[int, tuple[str, str]] = {
    400: ("The request could not be read", "请求无法读取"),
    401: ("Please sign in", "请先登录"),
    403: ("Not allowed", "没有权限"),
    404: ("Not found", "找不到"),
    405: ("Not possible here", "这里不能这样操作"),
    409: ("Not possible right now", "现在不能这样做"),
    413: ("Too large", "内容太大"),
    422: ("Something in the form is not right", "表单里有内容不正确"),
    429: ("Too many requests at once", "请求太多"),
    503: ("Not available right now", "暂时不可用"),
}
_HEADLINE = ("Something went wrong", "出了点问题")

#: Error code -> (English, Chinese): what it means and what to do.
EXPLANATIONS: dict[str, tuple[str, str]] = {
    "NOT_FOUND": (
        "This page, session or novel does not exist, or it is not yours.",
        "这个页面、会话或小说不存在，或者不属于你。",
    ),
    "VALIDATION_ERROR": (
        "Something you sent was not valid. Go back, check it and try again.",
        "你提交的内容无效。请返回检查后再试。",
    ),
    "INVALID_STATE": (
        "The session is not in a state that allows this. Reload it to see where it is.",
        "会话当前的状态不允许这个操作。请刷新页面查看最新状态。",
    ),
    "VERSION_CONFLICT": (
        "The session changed meanwhile. Reload it and decide again.",
        "会话在此期间已经变化。请刷新后重新决定。",
    ),
    "GENERATION_PENDING": (
        "The agents are still writing. Wait for their proposal, or stop the generation.",
        "智能体还在写。请等待方案完成，或者停止生成。",
    ),
    "NO_GENERATION_RUNNING": (
        "Nothing is being written right now: there is nothing to stop.",
        "现在没有正在进行的生成，无需停止。",
    ),
    "DUPLICATE_COMMAND": (
        "The same request is already being handled. Wait for it to finish.",
        "同样的请求正在处理中，请等待完成。",
    ),
    "SESSION_TRASHED": (
        "The session is in the trash. Restore it to work on it again.",
        "这个会话在回收站中。恢复后才能继续。",
    ),
    "STORAGE_UNAVAILABLE": (
        "The database is not answering right now. Try again in a moment.",
        "数据库暂时没有响应。请稍后再试。",
    ),
    "SERVER_BUSY": ("The server is busy. Try again in a moment.", "服务器繁忙。请稍后再试。"),
    "TOO_MANY_RENDERS": (
        "Too many pages are being prepared at once. Try again in a moment.",
        "同时准备的页面太多。请稍后再试。",
    ),
    "OPERATOR_ROLE_REQUIRED": (
        "This page is for operators: sign in with an operator's token.",
        "这个页面只供运维使用：请用运维令牌登录。",
    ),
    "CROSS_SITE_REQUEST": (
        "The form did not come from a console page. Open the page again and send it from there.",
        "这个表单不是从控制台页面提交的。请重新打开页面后再提交。",
    ),
    "METHOD_NOT_ALLOWED": (
        "This address cannot be used like that.",
        "这个地址不能这样使用。",
    ),
    # Issue 55: every error code the service has, said to the writer in their language.
    "CONCURRENCY_CONFLICT": (
        "Something else changed this at the same moment. Open the page again and retry.",
        "同一时刻有别的操作改动了这里。请重新打开页面再试。",
    ),
    "EVENT_ID_CONFLICT": (
        "This was already recorded with other content. Open the page again.",
        "这一项已经以其他内容记录过了。请重新打开页面。",
    ),
    "EVENT_TOO_LARGE": (
        "What you sent is too long to keep as one step. Shorten it and try again.",
        "你提交的内容太长，无法作为一步保存。请缩短后再试。",
    ),
    "STAGE_TOO_LARGE": (
        "This stage's content is too long. Shorten it and try again.",
        "这个阶段的内容太长。请缩短后再试。",
    ),
    "EXPORT_NOT_READY": (
        "The file is still being built, or the novel changed since. Ask for it again.",
        "文件还在生成，或者小说在那之后有了改动。请重新请求。",
    ),
    "FLOW_ALREADY_RESUMED": (
        "You already answered this proposal.",
        "你已经回复过这个方案了。",
    ),
    "FLOW_HANDLE_CONFLICT": (
        "This proposal was answered another way meanwhile. Open the page again.",
        "这个方案在此期间已被另一种方式回复。请重新打开页面。",
    ),
    "FLOW_HANDLE_EXPIRED": (
        "This proposal waited too long for an answer. Ask for a new one.",
        "这个方案等待回复的时间太长了。请重新请求一个。",
    ),
    "INVALID_CHAPTER": (
        "There is no such chapter in the outline.",
        "大纲里没有这一章。",
    ),
    "INVALID_CURSOR": (
        "This page of the list is out of date. Start from the first page.",
        "列表的这一页已经过期。请从第一页开始。",
    ),
    "INVALID_EVENT_NAME": (
        "That is not an event name this service knows.",
        "这不是本服务认识的事件名称。",
    ),
    "INVALID_VERSION": (
        "That is not a version of this session's or novel's history.",
        "这不是这个会话或小说历史里的版本。",
    ),
    "NO_DRAFT": (
        "This chapter has no draft yet. Ask for one first.",
        "这一章还没有草稿。请先请求一份。",
    ),
    "REPEATED_HEADER": (
        "The request carried a header twice. Send it once.",
        "请求里有重复的头部字段。请只发送一次。",
    ),
    "SESSION_BUSY": (
        "This session is still being written to. Wait until the work in flight is done.",
        "这个会话还有进行中的工作。请等它完成后再试。",
    ),
    "SESSION_NOT_TRASHED": (
        "This session is not in the trash.",
        "这个会话不在回收站里。",
    ),
    "SIGN_IN_REQUIRED": ("Sign in to use the console.", "请先登录控制台。"),
    "UNAUTHORIZED": (
        "Your sign-in is missing or no longer valid. Sign in again.",
        "你的登录信息缺失或已失效。请重新登录。",
    ),
    "UNKNOWN_COMMAND": (
        "That is not something this page can do.",
        "这个页面不能做这个操作。",
    ),
    "INVALID_EDIT": (
        "That correction names nothing in what you named, or would give two entries one name: "
        "nothing was changed.",
        "这个修正没有对应你命名的任何条目，或会让两个条目同名：什么都没有改变。",
    ),
    "UNKNOWN_MODEL": (
        "That model is not available here: choose the offline generator or the configured model.",
        "这里没有这个模型：请选择离线生成器或已配置的模型。",
    ),
}
_EXPLANATION = ("The console could not do this.", "控制台无法完成这个操作。")


@dataclass(frozen=True)
class ErrorText:
    headline: str
    explanation: str
    details: str


def error_text(status: int, code: str, language: str) -> ErrorText:
    """What the error page says in `language` ("zh" or "en")."""
    index = 1 if language == "zh" else 0
    headline = HEADLINES.get(status, _HEADLINE)[index]
    explanation = EXPLANATIONS.get(code, _EXPLANATION)[index]
    return ErrorText(headline, explanation, "详细信息" if index else "Details")
