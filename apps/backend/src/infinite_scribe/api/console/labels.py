"""What the console calls things, in the writer's language (issue 29): event types as people
say them, and the language itself, followed from the browser's `Accept-Language` (Chinese when
it prefers any `zh`, else English)."""

from fastapi import Request

ENGLISH, CHINESE = "en", "zh"

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
    "Genesis.Session.Trashed": ("Moved to the trash", "已移入回收站"),
    "Genesis.Session.Restored": ("Restored", "已恢复"),
    "Genesis.Session.Purged": ("Deleted for good", "已永久删除"),
}


def language_of(request: Request) -> str:
    """`zh` when the browser's Accept-Language names Chinese before English, else `en`."""
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


def event_label(event_type: str, language: str = ENGLISH) -> str:
    labels = EVENT_LABELS.get(event_type)
    if labels is None:
        return event_type
    return labels[1] if language == CHINESE else labels[0]
