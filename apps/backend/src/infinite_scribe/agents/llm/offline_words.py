# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""The offline generator's word banks and sentence patterns, one set per language (English and
Chinese): the generator picks the set in the writer's language (agents/llm/language.py)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Words:
    """Banks the drafts draw from and the patterns (str.format) they are written with."""

    note: str
    revised: str  # "{note} ... {feedback}"
    list_separator: str
    untitled: str
    genres: tuple[str, ...]
    tones: tuple[str, ...]
    themes: tuple[str, ...]
    heroes: tuple[str, ...]
    places: tuple[str, ...]
    turns: tuple[str, ...]
    names: tuple[str, ...]
    roles: tuple[str, ...]
    acts: tuple[str, str, str]
    concept_title: str  # {hero_word} {place_word}
    logline: str  # {place} {hero} {turn}; the idea follows
    idea: str  # {idea}
    premise: str  # {hero} {turn}
    synopsis: str  # {hero} {turn}
    conflicts: tuple[str, str]  # the first takes {hero}
    setting: str  # {title} {place} {tone}
    rules: tuple[str, str]
    location: str  # {place}
    history: str  # {place}
    character: str  # {name} {hero} {title}
    motivation: str  # {theme}
    arc: str  # {theme}
    relationship: str  # {first} {second}
    act_title: str  # {number} {act}
    act_summary: str  # {act} {title}
    chapter_title: str  # {number}
    chapter_summary: str  # {hero} {turn}
    idea_logline: str  # {place} {hero} {idea}: the writer's idea is the story's turn
    arcs: tuple[str, str, str, str]  # one per role, {theme}
    beats: tuple[str, ...]  # one per chapter, {hero} {place} {turn}
    #: Feedback words -> the tone a revision takes ("darker" -> "brooding").
    moods: tuple[tuple[tuple[str, ...], str], ...]
    mood_line: str  # {tone}: what a revision says it changed


ENGLISH = Words(
    note="Offline draft: written by the built-in generator, not a language model.",
    revised="{note} Revised for: {feedback}",
    list_separator=", ",
    untitled="Untitled novel",
    genres=("science fiction", "mystery", "fantasy", "literary drama", "thriller", "historical"),
    tones=("hopeful", "brooding", "wry", "tense", "lyrical"),
    themes=("memory", "identity", "loyalty", "freedom", "grief", "ambition", "trust"),
    heroes=("a lighthouse keeper", "an archivist", "a courier", "a retired detective", "a twin"),
    places=("a drowned city", "an orbital monastery", "a border town", "a city of endless snow"),
    turns=(
        "finds a letter dated next year",
        "must hide a stolen memory",
        "inherits a debt no one can name",
        "hears the city's machines lie",
    ),
    names=("Lin Wei", "Mara Quell", "Oskar Venn", "Sora Hayes", "Idris Cole", "Yun Hee"),
    roles=("protagonist", "antagonist", "mentor", "ally"),
    acts=("Setup", "Confrontation", "Resolution"),
    concept_title="The {hero_word} of the {place_word}",
    logline="In {place}, {hero} {turn}.",
    idea=" Built on the idea: {idea}",
    premise="{hero} {turn}.",
    synopsis=(
        "{hero} {turn}. What begins as a private matter pulls in a city that would rather "
        "forget. Each answer costs a friendship, until the last one costs the hero's own "
        "certainty. In the end the truth is told, and paid for."
    ),
    conflicts=("{hero} against the keepers of the secret", "Duty against love"),
    setting="The world of {title}: {place}, in a {tone} key.",
    rules=("Every promise is recorded and enforced", "Memories can be traded, never copied"),
    location="Where {place} keeps its secrets.",
    history="A century ago the founders of {place} sealed a bargain no one remembers.",
    character="{name}, {hero} in {title}.",
    motivation="Driven by {theme}.",
    arc="Learns what {theme} really costs.",
    relationship="{first} owes {second} a debt",
    act_title="Act {number}: {act}",
    act_summary="{act} of {title}.",
    chapter_title="Chapter {number}",
    chapter_summary="{hero} {turn}.",
    idea_logline="In {place}, {hero} is caught up in this: {idea}.",
    arcs=(
        "Learns what {theme} really costs, and pays it.",
        "Mistakes control for {theme}, and loses both.",
        "Gives up the last word on {theme} to the next generation.",
        "Chooses {theme} over safety when it matters.",
    ),
    beats=(
        "{hero} {turn}, and tells no one.",
        "A first clue leads {hero} through {place}.",
        "An old friend refuses to help {hero}.",
        "{hero} breaks a rule of {place} and is seen.",
        "The keepers of the secret strike back.",
        "{hero} loses the one ally who knew the way.",
        "Everything {hero} believed turns out half true.",
        "{hero} returns to where it began, in {place}.",
        "The truth is told, and {hero} pays for it.",
    ),
    moods=(
        (("dark", "grim", "bleak", "sinister"), "brooding"),
        (("light", "fun", "funny", "humor", "humour", "warm"), "wry"),
        (("fast", "tense", "action", "pace", "thrill"), "tense"),
        (("romance", "love", "tender", "lyric", "poetic"), "lyrical"),
        (("hope", "uplift", "kind"), "hopeful"),
    ),
    mood_line="Revised toward a {tone} tone.",
)

CHINESE = Words(
    note="离线草稿：由内置生成器撰写，并非语言模型。",
    revised="{note} 已按反馈修改：{feedback}",
    list_separator="、",
    untitled="未命名小说",
    genres=("科幻", "悬疑", "奇幻", "文学", "惊悚", "历史"),
    tones=("温暖", "阴郁", "诙谐", "紧张", "抒情"),
    themes=("记忆", "身份", "忠诚", "自由", "悲伤", "野心", "信任"),
    heroes=("一位守灯人", "一位档案管理员", "一名信使", "一位退休侦探", "一位孪生子"),
    places=("一座沉没的城市", "一座轨道修道院", "一个边境小镇", "一座终年飘雪的城市"),
    turns=(
        "收到一封落款为明年的信",
        "必须藏起一段被偷走的记忆",
        "继承了一笔无人说得清的债",
        "听见城市的机器在说谎",
    ),
    names=("林舟", "苏晚", "陈默", "顾南", "沈星河", "叶知秋"),
    roles=("主角", "反派", "导师", "盟友"),
    acts=("开端", "对抗", "结局"),
    concept_title="{place_word}的{hero_word}",
    logline="在{place}，{hero}{turn}。",
    idea="灵感来自：{idea}",
    premise="{hero}{turn}。",
    synopsis=(
        "{hero}{turn}。起初只是一件私事，却牵动了一座宁愿遗忘的城市。每找到一个答案，"
        "就失去一位朋友，直到最后一个答案让主人公连自己都不再确信。真相终被说出，也付出了代价。"
    ),
    conflicts=("{hero}与秘密的守护者之间的对抗", "责任与爱情的冲突"),
    setting="《{title}》的世界：{place}，基调{tone}。",
    rules=("每一个承诺都会被记录并强制履行", "记忆可以交易，却无法复制"),
    location="{place}在这里藏着它的秘密。",
    history="一百年前，{place}的建立者订下了一个无人记得的约定。",
    character="{name}，《{title}》中的{hero}。",
    motivation="为{theme}所驱动。",
    arc="终于明白{theme}真正的代价。",
    relationship="{first}欠{second}一笔人情债",
    act_title="第{number}幕：{act}",
    act_summary="《{title}》的{act}。",
    chapter_title="第{number}章",
    chapter_summary="{hero}{turn}。",
    idea_logline="在{place}，{hero}卷入了这样一件事：{idea}。",
    arcs=(
        "终于明白{theme}真正的代价，并付出了它。",
        "把控制误当作{theme}，结果两者皆失。",
        "把关于{theme}的最后答案交给了下一代。",
        "在关键时刻选择了{theme}而非安全。",
    ),
    beats=(
        "{hero}{turn}，却对谁都没说。",
        "第一条线索把{hero}引向{place}深处。",
        "一位老友拒绝帮助{hero}。",
        "{hero}打破了{place}的规矩，被人看见。",
        "秘密的守护者开始反击。",
        "{hero}失去了唯一认得路的盟友。",
        "{hero}所相信的一切，原来只对了一半。",
        "{hero}回到一切开始的地方，{place}。",
        "真相终被说出，{hero}也为此付出代价。",
    ),
    moods=(
        (("黑暗", "阴暗", "沉重", "压抑", "残酷"), "阴郁"),
        (("轻松", "幽默", "有趣", "搞笑", "温馨"), "诙谐"),
        (("紧张", "节奏", "刺激", "快"), "紧张"),
        (("浪漫", "爱情", "抒情", "诗意"), "抒情"),
        (("希望", "温暖", "治愈"), "温暖"),
    ),
    mood_line="已按反馈调整为{tone}的基调。",
)


def hero_word(words: Words, hero: str) -> str:
    """The noun a concept title uses for a hero ("Keeper", "守灯人")."""
    if words is CHINESE:
        return hero.removeprefix("一位").removeprefix("一名")
    return hero.split()[-1].title()


def place_word(words: Words, place: str) -> str:
    """The noun a concept title uses for a place ("City", "沉没的城市")."""
    if words is CHINESE:
        return place.removeprefix("一座").removeprefix("一个")
    return place.split()[-1].title()
