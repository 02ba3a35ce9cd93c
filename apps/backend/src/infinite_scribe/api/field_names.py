# ruff: noqa: RUF001, RUF002 - the path separator and Chinese punctuation on purpose
"""A field's name as a writer reads it, in English or Chinese: the console's labels and the
headings of a novel's Markdown and EPUB (a Chinese book's in Chinese, issue 55)."""

import re

ENGLISH, CHINESE = "en", "zh"
#: Field names said otherwise than by capitalizing them.
_ENGLISH = {"worldview": "World", "outline": "Plot outline", "target_chapters": "Chapters"}

#: A proposal's and a novel's field names (the keys of the stage models, domain/proposals.py,
#: and the novel's facts) in Chinese; English says them as `english_label` does.
CHINESE_FIELDS: dict[str, str] = {
    "title": "标题",
    "logline": "一句话简介",
    "themes": "主题",
    "theme": "主题",
    "tone": "基调",
    "genre": "类型",
    "concepts": "创意",
    "premise": "前提",
    "synopsis": "梗概",
    "conflicts": "冲突",
    "writing_style": "写作风格",
    "setting": "背景",
    "rules": "规则",
    "locations": "地点",
    "history": "历史",
    "name": "名字",
    "description": "描述",
    "role": "角色定位",
    "motivation": "动机",
    "arc": "成长弧线",
    "characters": "角色",
    "relationships": "关系",
    "summary": "概要",
    "chapters": "章节",
    "acts": "幕",
    "story": "故事",
    "worldview": "世界观",
    "outline": "情节大纲",
    "target_chapters": "章节数",
    "feedback_applied": "已采纳的反馈",
    "revision_note": "修改说明",
    "note": "说明",
    "source": "来源",
    "stage": "阶段",
    "novel_id": "小说编号",
    # A character's traits, as the story memory keeps them (issue 69: the console's words).
    "age": "年龄",
    "eyes": "眼睛",
    "hair": "头发",
    "height": "身高",
    "limb": "肢体",
    "profession": "职业",
    "scar": "伤疤",
}


def english_label(key: str) -> str:
    return _ENGLISH.get(key) or key.replace("_", " ").capitalize()


def field_label(key: str, language: str = ENGLISH) -> str:
    """A field's name as the writer reads it ("core_conflict" -> "Core conflict"); unknown
    fields (a model may add its own) are shown in English words."""
    if language == CHINESE and key in CHINESE_FIELDS:
        return CHINESE_FIELDS[key]
    return english_label(key)


_INDEX = re.compile(r"\[(\d+)\]")


def path_label(path: str, language: str = ENGLISH) -> str:
    """A changed field's path as the writer reads it ("characters[0].motivation" ->
    "Characters 1 › Motivation", "角色 1 › 动机")."""
    parts = []
    for part in str(path).split(".")[:8]:
        key = _INDEX.sub("", part)
        numbers = " ".join(str(int(n) + 1) for n in _INDEX.findall(part))
        parts.append(" ".join(p for p in (field_label(key, language) if key else "", numbers) if p))
    return " › ".join(parts)


def trait_label(attribute: str, language: str = ENGLISH) -> str:
    """A trait's name ("eyes" -> "Eyes", "眼睛"; "relation:Mara" -> "Relation to Mara")."""
    kind, _, other = str(attribute).partition(":")
    if kind == "relation" and other:
        return f"与{other}的关系" if language == CHINESE else f"Relation to {other}"
    return field_label(kind, language)
