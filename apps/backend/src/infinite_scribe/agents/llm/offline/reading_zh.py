# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""Reading a Chinese idea or feedback: jieba's words and a few rules find the hero (a role such
as 女法医), the place (火星殖民地), the time (2150年), what happens and the writer's wishes."""

import re

from infinite_scribe.agents.llm.offline import segment
from infinite_scribe.agents.llm.offline.facts import Facts, lexicon

ROLES = lexicon(
    "侦探 法医 医生 护士 警察 刑警 警探 记者 律师 法官 教师 老师 学生 科学家 "
    "工程师 宇航员 飞行员 船长 舰长 士兵 将军 骑士 王子 公主 国王 女王 皇帝 间谍 "
    "特工 黑客 杀手 刺客 小偷 盗贼 海盗 猎人 农民 矿工 商人 诗人 画家 作家 歌手 "
    "厨师 修女 僧人 和尚 道士 巫师 魔法师 法师 守灯人 档案管理员 管理员 信使 "
    "孪生子 孤儿 少女 少年 女孩 男孩 老人 寡妇 母亲 父亲 女儿 儿子 机器人 仿生人 "
    "克隆人 外星人 幸存者 难民 移民 殖民者 囚犯 逃犯 医师 药剂师 调查员 探员 翻译 "
    "向导 学徒 教授 研究员 驾驶员 维修工 邮差 信差 守卫 狱警 管家 继承人 女巫 "
    "剑客 侠客 书生 掌柜 镖师 捕快 县令 宫女 太监 将领 领航员 通讯员 修士"
)
_ROLE_ENDS = tuple("医师员者探官匠士使客侠徒工家手")
_NOT_ROLES = lexicon(
    "国家 大家 人家 自家 老家 回家 或者 再者 对手 动手 双手 下手 出手 上手 着手 "
    "联手 高手 人员 成员 全员 官员 记者 作者 读者 二者 三者 前者 后者 加工 员工 "
    "手工 人工 义工 施工 开工 工作 神探 使者 博士 女士 男士 勇士 战士 人士 护士 "
    "学者"
) - {"记者", "学者", "使者", "博士", "护士", "战士", "勇士"}
_MODIFIERS = lexicon(
    "女 男 年轻 年老 年迈 老 小 退休 前 失忆 失明 落魄 天才 见习 实习 孤独 "
    "流亡 独臂 盲眼 首席 女性 男性 叛逃 最后 唯一 无名 年少 年幼 瞎眼 跛脚 沉默 "
    "冷静"
)
PLACES = lexicon(
    "火星 月球 地球 金星 木星 土星 殖民地 城市 小镇 村庄 村子 空间站 飞船 星舰 "
    "基地 王国 帝国 大陆 沙漠 森林 草原 雪山 海岛 孤岛 岛屿 灯塔 港口 医院 学校 "
    "学院 监狱 修道院 寺庙 宫殿 皇宫 城堡 矿井 矿区 地下城 废墟 边境 边疆 北海 "
    "长安 江南 京城 上海 北京 香港 深渊 荒原 冰原 海底 深海 太空 轨道 星球 沉船 "
    "列车 码头 旅馆 酒馆 庄园 小城 古城 山村 渔村 都市 首都 海边 江湖 皇城 宗门 "
    "书院 客栈 王都 要塞 哨站 堡垒 穹顶"
)
_PLACE_ENDS = tuple("城镇村岛港站星国市山谷湖海宫寺院塔堡营洲原")
_NOT_PLACES = lexicon(
    "明星 星星 卫星 流星 救星 克星 零星 寿星 子宫 全国 各国 外国 爱国 报国 天国 "
    "人山 这里 那里 心海 人海 脑海 苦海 火海 学海 本市 上市 股市 城市化"
)
_MEASURES = lexicon("一座 一个 一片 一所 一艘 一颗 一间 一处 一家 这座 那座 某座")
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜"
    "叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎"
    "贺顾毛郝龚邵万钱严覃武戴莫孔向汤温柳殷楚凌萧上官欧阳司马诸葛慕容"
)
_TIME = re.compile(
    r"(公元前?\d{1,4}年|\d{2,4}\s*年代?|[一二三四五六七八九十百千万两]+年(?:前|后)"
    r"|近未来|未来|远古|古代|末日之后|战后|民国|唐朝|宋朝|明朝|清朝|汉朝|秦朝|元朝|中世纪)"
)
_SENTENCE_END = re.compile(r"[。！？!?\n；;]")
_VERB_LEADS = ("意外发现", "发现", "得知", "察觉", "注意到", "收到了", "收到", "听说", "意识到")
_FUNCTION = lexicon("的 在 是 了 和 与 上 中 里 被 把 将 也 都 就 要 会 有 这 那 一")
_STOPS = _FUNCTION - {"的", "会"} | lexicon("于 从 到 来自 去 回 来到 前往 位于 年")
_DIRECTIONS = lexicon("东 西 南 北")


def _han(word: str) -> bool:
    return bool(word) and all("\u3400" <= char <= "\u9fff" for char in word)


def is_role(word: str) -> bool:
    return word in ROLES or (
        len(word) >= 2 and word.endswith(_ROLE_ENDS) and word not in _NOT_ROLES and _han(word)
    )


def _is_place(word: str) -> bool:
    return word in PLACES or (
        len(word) >= 2 and word.endswith(_PLACE_ENDS) and word not in _NOT_PLACES and _han(word)
    )


def _name(word: str) -> bool:
    """A person's name the writer made up: not in the dictionary, and it starts with a surname."""
    return 2 <= len(word) <= 3 and _han(word) and word[0] in _SURNAMES and not segment.known(word)


def _merged(words: list[str]) -> list[str]:
    """Words with a role's last character joined back to it (守灯 + 人 -> 守灯人)."""
    out: list[str] = []
    for word in words:
        if (
            word in ("人", "者", "师", "员", "手", "家", "医", "工")
            and out
            and _han(out[-1])
            and out[-1] not in _FUNCTION
            and len(out[-1]) <= 3
            and not _is_place(out[-1])
        ):
            out[-1] += word
        else:
            out.append(word)
    return out


def _hero(words: list[str]) -> tuple[str | None, int]:
    """The first role with its modifiers (女 + 法医 -> 女法医) and the index after it."""
    for index, word in enumerate(words):
        if not is_role(word):
            continue
        start = index
        while start > 0 and (
            words[start - 1] in _MODIFIERS
            or (words[start - 1] == "的" and start > 1 and words[start - 2] in _MODIFIERS)
        ):
            start -= 1
        return "".join(words[start : index + 1]), index + 1
    return None, -1


def _places(words: list[str]) -> list[str]:
    """Places in the order named: runs of place words (火星 + 殖民地), with what describes
    them before a 的 (终年飘雪的城市) or after a measure word (一座 + 会遗忘的城市)."""
    found: list[str] = []
    index = 0
    while index < len(words):
        if not _is_place(words[index]):
            index += 1
            continue
        start = end = index
        while end + 1 < len(words) and _is_place(words[end + 1]):
            end += 1
        if start > 0 and words[start - 1] in _DIRECTIONS:
            start -= 1
        start = _described_from(words, start)
        phrase = "".join(words[start : end + 1]).lstrip("的")
        if found and found[-1] in phrase:
            found[-1] = phrase  # 北海边 + 的小镇: one place
        else:
            found.append(phrase)
        index = end + 1
    return found


def _described_from(words: list[str], start: int) -> int:
    """Where a place's description begins: back over "X的" (at most four words), or to the
    measure word that opens the phrase."""
    for back in range(start - 1, max(start - 6, -1), -1):
        if words[back] in _MEASURES:
            return back + 1
        if not _han(words[back]) or words[back] in _STOPS or is_role(words[back]):
            break
        if _name(words[back]) or _TIME.fullmatch(words[back]):
            break
    if start < 2 or words[start - 1] != "的":
        return start
    back = start - 1
    while back > max(start - 5, 0) and _han(words[back - 1]):
        word = words[back - 1]
        if word in _STOPS or is_role(word) or _name(word) or word in _MEASURES:
            break
        back -= 1
    return back if back < start - 1 else start


def _event(words: list[str], after: int, places: list[str], name: str | None) -> str | None:
    """What happens to the hero: the words after them, without where (在…) and who again."""
    if after < 0:
        return None
    rest = "".join(words[after:]).strip("，,、：: ").removeprefix("他").removeprefix("她")
    if name:
        rest = rest.removeprefix(name)
    for place in places:
        for lead in ("在" + place, "于" + place, place):
            if rest.startswith(lead):
                rest = rest.removeprefix(lead).lstrip("，,的里上中 ")
    return rest[:200] or None


def event_core(event: str) -> str:
    """What is found out, without the finding ("发现记录被篡改" -> "记录被篡改")."""
    for lead in _VERB_LEADS:
        if event.startswith(lead):
            return event.removeprefix(lead).lstrip("了：:，, ") or event
    return event


def read(text: str) -> Facts:
    """The facts a Chinese idea or story text states (its first sentence tells what happens)."""
    text = " ".join(text.split())[:600]
    if not text:
        return Facts()
    first = _SENTENCE_END.split(text, 1)[0]
    words = _merged(segment.words(first))
    all_words = _merged(segment.words(text))
    hero, after = _hero(words)
    places = _places(all_words)
    names = [word for word in all_words if _name(word)]
    time = _TIME.search(text)
    name = names[0] if names else None
    event = _event(words, after, places, name)
    if event is None and hero is None:
        event = first
        for found in (time.group(0) if time else None, *places, name):
            if found:
                event = event.replace(found, "", 1)
        event = event.lstrip("的在于，,、 ").strip()
        event = event if len(event) >= 4 else None
    return Facts(
        hero=hero,
        hero_name=name,
        place=places[0] if places else None,
        places=tuple(places),
        time=time.group(0) if time else None,
        event=event,
    )


_DIRECTIVE = r"(?:必须|应该|应当|需要|要|得|最好)?(?:是|为|改为|改成|换成|变成)"
_HERO_WISH = re.compile(r"(?:主角|主人公|女主角?|男主角?)" + _DIRECTIVE + r"(.+)")
_FOE_WISH = re.compile(r"(?:大反派|反派|敌人|对手|幕后黑手)" + _DIRECTIVE + r"(.+)")
_ACT_WISH = re.compile(
    r"第([一二三四五12345])幕(?:里|中|之中)?(?:应该|必须|需要|要|得)*"
    r"(?:有|加入|安排|出现|包含)?(?:一次|一场|一段|一个)?(.+)"
)
_ADD_WISH = re.compile(r"(?:加入|增加|添加|加上|引入|需要有|要有|加点|加一些)(.+)")
_PLACE_WISH = re.compile(r"(?:故事|背景|地点)(?:应该|必须|要)?(?:发生在|设在|放在|改到|改在)(.+)")
STYLES = re.compile(r"第[一二三]人称|现在时|过去时|倒叙|日记体|书信体|多视角|单一视角")
_NUMBERS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
_TRAILING = ("本身", "才对", "才行", "吧", "呢", "啊", "就好", "比较好")


def _clean(phrase: str) -> str:
    phrase = phrase.strip(" 。，,！!？?；;：:")
    for tail in _TRAILING:
        phrase = phrase.removesuffix(tail)
    return phrase.strip(" 。，,")[:100]


#: A clause is read from its first MAX_CLAUSE characters (a writer's sentence is far shorter).
MAX_CLAUSE = 400


def read_feedback(feedback: str) -> Facts:
    """What a Chinese feedback asks for, clause by clause (主角必须是…, 加入…, 第二幕要有…)."""
    facts = Facts(styles=tuple(STYLES.findall(feedback)))
    for clause in re.split(r"[。！？!?\n；;]", feedback):
        # Cut before parsing, as in English (reading_en.MAX_CLAUSE): linear in what was typed.
        facts = _directive(clause.strip()[:MAX_CLAUSE]).over(facts)
    return facts


def _directive(clause: str) -> Facts:
    if match := _HERO_WISH.search(clause):
        wished = read(_clean(match.group(1)))
        return Facts(hero=wished.hero or _clean(match.group(1)), place=wished.place)
    if match := _FOE_WISH.search(clause):
        return Facts(antagonist=_clean(match.group(1)))
    if match := _ACT_WISH.search(clause):
        number = _NUMBERS.get(match.group(1)) or int(match.group(1))
        return Facts(acts=((number, _clean(match.group(2))),))
    if match := _PLACE_WISH.search(clause):
        place = _clean(match.group(1))
        return Facts(place=place, places=(place,))
    if match := _ADD_WISH.search(clause):
        parts = re.split(r"和|与|及|以及|、|，|,", match.group(1))
        return Facts(elements=tuple(_clean(part) for part in parts if _clean(part)))
    time = _TIME.search(clause) if re.search(r"时间|年代|时代|背景", clause) else None
    return Facts(time=time.group(0) if time else None)
