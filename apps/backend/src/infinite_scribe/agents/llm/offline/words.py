# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""The offline generator's sentence patterns, one set per language (English and Chinese).

Every pattern is filled with the story's own parts (agents/llm/offline/story.py): the hero,
the place, the time, what happens, the antagonist, the cast's names. Only what the writer gave
no word for is drawn from a bank here: the names of unnamed characters, a tone, a theme.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Words:
    """Banks and patterns (str.format with the slots of `Story.slots`)."""

    note: str
    list_separator: str
    untitled: str
    someone: str  # the hero when the writer named none
    happening: str  # what happens when the writer said nothing
    powers: str  # the antagonist when the writer named none: {place}
    nowhere: str  # the place when the writer named none
    tones: tuple[str, ...]
    themes: tuple[str, ...]
    names: tuple[str, ...]
    roles: tuple[str, str, str, str]  # protagonist, antagonist, mentor, ally
    acts: tuple[str, str, str]
    concept_titles: tuple[str, str, str]
    premise: str
    angles: tuple[str, str, str]  # one per concept, after the premise
    with_elements: str  # {elements}
    synopsis: str
    conflicts: tuple[str, str]
    element_conflict: str  # {element}
    setting: str
    rules: tuple[str, str]
    element_rule: str  # {element}
    home: str  # the first story place's description
    story_place: str  # another story place's description
    sites: tuple[tuple[str, str], tuple[str, str]]  # (name, description) around the place
    history: str
    character: tuple[str, str, str, str]  # descriptions, one per role
    machine_foe: str  # the antagonist's description when it is not a person
    motivations: tuple[str, str, str, str]
    arcs: tuple[str, str, str, str]
    relationships: tuple[str, str, str]
    act_title: str  # {number} {act}
    act_summaries: tuple[str, str, str]
    act_wish: str  # {wish}: appended to the act the writer asked it for
    chapter_title: str  # {number}
    wish_chapter_title: str  # {number} {wish}
    wish_beat: str  # {wish}
    beats: tuple[str, ...]  # nine, one per chapter
    #: Feedback words -> the tone a revision takes ("darker" -> brooding).
    moods: tuple[tuple[tuple[str, ...], str], ...]
    revised: str  # {changes}
    changes: dict[str, str]  # what a revision changed, by kind
    long_ago: str


ENGLISH = Words(
    note="Offline draft: written by the built-in generator, not a language model.",
    list_separator=", ",
    untitled="Untitled novel",
    someone="stranger",
    happening="is drawn into something no one will talk about",
    powers="the authority that runs {place}",
    nowhere="the town where it begins",
    tones=("warm", "brooding", "wry", "tense", "lyrical"),
    themes=("memory", "identity", "loyalty", "freedom", "grief", "ambition", "trust"),
    names=("Ada Voss", "Tomas Reyes", "Mira Okafor", "Jonah Pike", "Lena Marsh", "Ilya Brandt"),
    roles=("protagonist", "antagonist", "mentor", "ally"),
    acts=("Setup", "Confrontation", "Resolution"),
    concept_titles=("The {Hero} of {Place}", "What {Place} Keeps", "The {Hero}'s Account"),
    premise="{When}{At_place}{hero_a} {event}",
    angles=(
        "; the deeper the search goes, the closer it comes to what {foe} wants hidden.",
        "; telling the truth would cost {name} everything {place} has given.",
        "; {foe} is already erasing the traces, and time is short.",
    ),
    with_elements=" Meanwhile {elements} make everything harder.",
    synopsis=(
        "{When}{At_place}{hero_a} {event}. At first {name} keeps it quiet, but every answer "
        "points to {foe}.{elements_line} Halfway through, {name} loses the one person willing "
        "to help and has to face {foe} alone. In the end {name} brings out the truth - {core} "
        "- and pays for it."
    ),
    conflicts=(
        "{Name} against {foe}: one wants the truth about {core} told, the other buried",
        "{Name}'s loyalty to {place} against the price of the truth",
    ),
    element_conflict="Surviving {element} while the search goes on",
    setting="{When_s}{Place}.{elements_line} {Foe} keeps order here, and the secret of {core} "
    "lies under that order.",
    rules=(
        "{In_place}, {foe} has the last word: no one openly defies the rules {foe} sets",
        "Every record is kept, and every record can be rewritten: whoever holds the records "
        "holds {place}'s past",
    ),
    element_rule="{Element}: it shapes daily life {in_place} and decides who gets through the day",
    home="Where {name} lives and works; {Core} comes to light here.",
    story_place="Where the story leads {name} in search of what lies behind {core}.",
    sites=(
        ("The Heart of {Place}", "Where {foe} runs {place} from; every decision starts here."),
        (
            "The Edge of {Place}",
            "Where {place} ends and the wild begins; whoever flees passes this way.",
        ),
    ),
    history="{Long_ago}, the founders of {place} laid down its first rules, and {foe} has kept "
    "them ever since. {Core_cap} is the first time they were broken.",
    character=(
        "{name}, the {hero} of {place}.",
        "{foe_name}, {foe}.",
        "{mentor}, who saw the same thing happen {in_place} years ago and will not speak of it.",
        "{ally}, the first person {in_place} to believe {name}.",
    ),
    machine_foe="{Foe}: it runs everything {in_place} and believes that hiding {core} is the "
    "only way {place} survives.",
    motivations=(
        "To find out the truth about {core}, even if it means making an enemy of {foe}.",
        "To keep {place} running as it is, even if it means covering up {core}.",
        "To spare {name} the mistakes that cost the mentor everything.",
        "To get justice for everyone hurt by what happened.",
    ),
    arcs=(
        "Goes from searching alone to trusting others, and tells the truth about {core}.",
        "Mistakes control for safety, and loses both.",
        "Breaks a long silence, and hands the last answer on to {name}.",
        "Chooses the truth over safety when it matters.",
    ),
    relationships=(
        "{name} and {foe_name}: one wants the truth about {core} told, the other buried",
        "{mentor} once taught {name}, but will not speak about {core}",
        "{ally} is {name}'s only companion {in_place}",
    ),
    act_title="Act {number}: {act}",
    act_summaries=(
        "{When}{At_place}{name} {event}, and decides to keep looking.",
        "The struggle between {name} and {foe_name} comes into the open, and costs more and more.",
        "The truth about {core} is told, and {place} is never the same.",
    ),
    act_wish=" It includes {wish}.",
    chapter_title="Chapter {number}",
    wish_chapter_title="Chapter {number}: {Wish}",
    wish_beat="{Wish}: {name} and {foe_name}'s agents clash {in_place}, and {name} barely "
    "gets through.",
    beats=(
        "{When}{At_place}{name} {event}, and tells no one.",
        "The first clue leads {name} to {place2}.",
        "{mentor} tells {name} to let it go; {name} refuses.",
        "{name} breaks the rules of {place}, and {foe_name}'s eyes see it.",
        "{foe_name} strikes back: the evidence starts to vanish.",
        "{name} loses {ally}'s help and goes on alone.",
        "{name} learns that the truth about {core} was only half told.",
        "{name} returns to where it began and faces {foe_name}.",
        "The truth about {core} comes out, and {name} pays for it.",
    ),
    moods=(
        (("dark", "grim", "bleak", "sinister"), "brooding"),
        (("light", "fun", "funny", "humor", "humour", "warm"), "wry"),
        (("fast", "tense", "action", "pace", "thrill"), "tense"),
        (("romance", "love", "tender", "lyric", "poetic"), "lyrical"),
        (("hope", "uplift", "kind"), "hopeful"),
    ),
    revised="Revised as asked: {changes}.",
    changes={
        "hero": "the protagonist is now a {value}",
        "place": "the story is set in {value}",
        "time": "the time is {value}",
        "antagonist": "the antagonist is {value}",
        "elements": "added {value}",
        "acts": "act {number} now has {value}",
        "styles": "the writing style keeps {value}",
        "tone": "the tone is {value}",
    },
    long_ago="long ago",
)

CHINESE = Words(
    note="离线草稿：由内置生成器撰写，并非语言模型。",
    list_separator="、",
    untitled="未命名小说",
    someone="陌生人",
    happening="卷入了一件没有人愿意提起的事",
    powers="掌管{place}的人",
    nowhere="故事开始的小镇",
    tones=("温暖", "阴郁", "诙谐", "紧张", "抒情"),
    themes=("记忆", "身份", "忠诚", "自由", "悲伤", "野心", "信任"),
    names=("林舟", "苏晚", "陈默", "顾南", "沈星河", "叶知秋"),
    roles=("主角", "反派", "导师", "盟友"),
    acts=("开端", "对抗", "结局"),
    concept_titles=("{place}的{hero}", "{place}疑云", "{hero}手记"),
    premise="{when}{at_place}{hero_a}{event}",
    angles=(
        "；越往下查，越接近{foe}不愿示人的一面。",
        "；说出真相，{name}就会失去在{place}拥有的一切。",
        "；{foe}已经开始抹去痕迹，时间所剩无几。",
    ),
    with_elements="同时，{elements}让一切更加艰难。",
    synopsis=(
        "{when}{at_place}{hero_a}{event}。起初{name}只想把这件事藏在心里，可每一个答案都指向"
        "{foe}。{elements_line}故事过半，{name}失去了唯一愿意帮忙的人，不得不独自面对{foe}。"
        "最后，{name}让{core}的真相大白于天下，也为此付出了代价。"
    ),
    conflicts=(
        "{name}与{foe}之间的对抗：一个要揭开{core}的真相，一个要把它埋起来",
        "{name}对{place}的忠诚与说出真相的代价之间的冲突",
    ),
    element_conflict="在{element}之下求生，同时不放弃追查",
    setting="{when_s}{place}。{elements_line}{foe}掌握着这里的秩序，而{core}的秘密就藏在这种秩序"
    "之下。",
    rules=(
        "在{place}，{foe}说了算：没有人能公开违抗{foe}定下的规矩",
        "每一份记录都被保存，也都可能被改写：谁掌握记录，谁就掌握{place}的过去",
    ),
    element_rule="{element}决定着{place}的日常，也决定着谁能撑过这一天",
    home="{name}生活和工作的地方；{core}的事就在这里浮出水面。",
    story_place="故事把{name}带到这里，寻找{core}背后的线索。",
    sites=(
        ("{place}的中枢", "{foe}在这里掌控{place}，一切决定都从这里发出。"),
        ("{place}的边缘", "{place}在这里到了尽头，想逃离的人都要经过这里。"),
    ),
    history="{long_ago}，{place}的建立者立下了最初的规矩，{foe}从那时起一直守着它们。"
    "{core}，是这些规矩第一次被打破。",
    character=(
        "{name}，{place}的{hero}。",
        "{foe_name}，{foe}。",
        "{mentor}，多年前在{place}见过同样的事，如今绝口不提。",
        "{ally}，{place}里第一个相信{name}的人。",
    ),
    machine_foe="{foe}：它掌控着{place}的一切，认为只有隐瞒{core}，{place}才能活下去。",
    motivations=(
        "查明{core}的真相，哪怕要与{foe}为敌。",
        "让{place}照旧运转，哪怕要掩盖{core}。",
        "不想让{name}重蹈自己的覆辙。",
        "想为因{core}而受害的人讨一个公道。",
    ),
    arcs=(
        "从独自追查到学会信任别人，最终说出{core}的真相。",
        "把控制误当作安全，结果两者皆失。",
        "打破多年的沉默，把最后的答案交给{name}。",
        "在关键时刻选择了真相而非安全。",
    ),
    relationships=(
        "{name}与{foe_name}：一个要揭开{core}的真相，一个要把它埋起来",
        "{mentor}曾经教过{name}，却对{core}的事闭口不谈",
        "{ally}是{name}在{place}唯一的同伴",
    ),
    act_title="第{number}幕：{act}",
    act_summaries=(
        "{when}{at_place}{name}{event}，决定追查下去。",
        "{name}与{foe_name}的对抗越来越公开，代价也越来越大。",
        "{core}的真相被说出，{place}从此不同。",
    ),
    act_wish="其中有{wish}。",
    chapter_title="第{number}章",
    wish_chapter_title="第{number}章：{wish}",
    wish_beat="{wish}：{name}与{foe_name}的耳目在{place}周旋，险些没能脱身。",
    beats=(
        "{when}{at_place}{name}{event}，却对谁都没说。",
        "第一条线索把{name}引向{place2}。",
        "{mentor}劝{name}收手，{name}没有答应。",
        "{name}打破了{place}的规矩，被{foe_name}的耳目看见。",
        "{foe_name}开始反击：证据一件件消失。",
        "{name}失去了{ally}的帮助，只能独自前行。",
        "{name}发现，关于{core}的真相只说出了一半。",
        "{name}回到一切开始的地方，与{foe_name}正面对峙。",
        "{core}的真相大白，{name}也为此付出代价。",
    ),
    moods=(
        (("黑暗", "阴暗", "沉重", "压抑", "残酷"), "阴郁"),
        (("轻松", "幽默", "有趣", "搞笑", "温馨"), "诙谐"),
        (("紧张", "节奏", "刺激", "快"), "紧张"),
        (("浪漫", "爱情", "抒情", "诗意"), "抒情"),
        (("希望", "温暖", "治愈"), "温暖"),
    ),
    revised="已按反馈修改：{changes}。",
    changes={
        "hero": "主角改为{value}",
        "place": "故事发生在{value}",
        "time": "时间设在{value}",
        "antagonist": "反派改为{value}",
        "elements": "加入了{value}",
        "acts": "第{number}幕加入了{value}",
        "styles": "文风保留{value}",
        "tone": "基调改为{value}",
    },
    long_ago="很久以前",
)
