# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""The offline chapter writer's sentence patterns, one set per language (issue 39).

Every pattern is filled with the novel's own parts (agents/llm/offline/chapters.py): the
bible's characters and places, the chapter's outline entry, the world's rules, what the
writer asked for. Banks hold several variants so the beats of one chapter do not repeat; which
variant a beat gets is derived from the input, never random.
"""

from dataclasses import dataclass

#: Atmospheres: the default, and the tones a writer's style or feedback can ask for.
MOODS = ("plain", "dark", "tense", "warm")


@dataclass(frozen=True)
class ChapterWords:
    """Patterns (str.format with {hero}, {other}, {place}, {thing}, ...)."""

    someone: str  # the hero when the bible has no characters
    somewhere: str  # the place when the world has none
    end: str  # a sentence's full stop
    # Beats: one sentence each, for the writer to read and for the prose to follow.
    open_first: str  # {hero} {place}
    open_after: str  # {hero} {place} {last}: the last confirmed chapter's summary
    meet: dict[str, str]  # by role of the other character: {hero} {other} {place}
    rule: str  # {place} {rule}
    thing: str  # {thing} {hero} {place}: something the writer asked for
    wish: str  # {wish}: a wish read as nothing else, told as it was said
    turn: str  # {hero} {motivation}
    turn_plain: str  # {hero}
    close: str  # {hero} {place}
    # Prose.
    atmospheres: dict[str, tuple[str, ...]]  # by mood: {place}
    gestures: tuple[str, ...]  # {who}
    lines: dict[str, tuple[str, ...]]  # what the other says, by role: {hero} {place}
    replies: tuple[str, ...]  # {hero}
    alone: tuple[str, ...]  # the hero's thought when no one else is in the beat: {place}
    said: str  # {line} {who}
    thoughts: tuple[str, ...]  # {who} {line}
    hooks: tuple[str, ...]  # the chapter's last lines: {hero} {place}
    #: Words a wish starts with that the prose leaves out ("let", "让").
    wish_leads: tuple[str, ...]


ENGLISH = ChapterWords(
    someone="the stranger",
    somewhere="the town",
    end=".",
    open_first="{Hero} starts the day at {place}, unaware of what it will bring.",
    open_after="{Hero} comes back to {place}, still weighed down by what came before: {last}",
    meet={
        "foe": "{Other} stops {hero} at {place}, and every word is a warning.",
        "mentor": "{Other} is waiting for {hero} at {place}, ready to speak of the past at last.",
        "ally": "{Other} finds {hero} at {place} and quietly offers help.",
        "other": "{Other} turns up at {place} with news {hero} did not expect.",
    },
    rule="The law of {place} stands in the way: {rule}.",
    thing="{Hero} runs up against {thing} at {place}, and there is no way around it.",
    wish="Then it happens: {wish}.",
    turn="{Hero} remembers why stopping is not an option: {motivation}",
    turn_plain="{Hero} weighs what it will cost to go on, and goes on.",
    close="Night settles over {place}; {hero} makes a choice there is no walking back from.",
    atmospheres={
        "plain": (
            "Morning light lies thin over {place}. The usual voices rise and fall, as if "
            "nothing has changed.",
            "{Place} keeps its ordinary rhythm: doors opening, footsteps, the hum of work. "
            "It is the kind of calm that hides things.",
            "A cold wind crosses {place}. People hurry past with their heads down.",
            "The lamps of {place} come on one by one. Somewhere a door closes, and then it "
            "is quiet.",
        ),
        "dark": (
            "Darkness presses in on {place}, heavy as a held breath. Every shadow seems to "
            "be listening.",
            "{Place} smells of rust and old fear. Nobody meets anyone's eyes.",
            "The light at {place} is the colour of ash, and it warms nothing it touches.",
            "Silence hangs over {place} like a verdict. Even the walls seem to keep secrets.",
        ),
        "tense": (
            "At {place} every second counts. Somewhere an alarm begins, and stops, and "
            "begins again.",
            "{Place} is all hurry and hard edges: too many footsteps, too little time.",
            "The air at {place} is tight as a wire. One wrong move and it will snap.",
            "Doors slam somewhere at {place}. There is no time left to think twice.",
        ),
        "warm": (
            "Warm light spills across {place}, and for a moment the world feels kind.",
            "{Place} smells of bread and rain. Someone is laughing two doors down.",
            "The evening at {place} is soft and slow, the kind that makes people talk.",
            "Sunlight finds its way into {place}, touching everything it can reach.",
        ),
    },
    gestures=(
        "{Who} stands still for a long moment, then takes the first step.",
        "{Who} presses a hand against the cold wall and lets out a slow breath.",
        "{Who} looks back once, to be sure no one is following.",
        "{Who} does not answer at once, turning the question over like a stone.",
        "{Who} counts the exits without meaning to, an old habit that has never gone away.",
        "{Who} notices how quiet it has become, and does not like it.",
    ),
    lines={
        "foe": (
            "Leave it alone, {hero}. Some doors at {place} stay shut for a reason.",
            "You think the truth will save you? At {place}, the truth is whatever I say.",
            "I will ask you once, {hero}: walk away while you still can.",
        ),
        "mentor": (
            "I saw this once before, {hero}. I kept quiet, and I have regretted it ever since.",
            "Be careful at {place}. The answers you want have a price.",
            "You remind me of myself, {hero}. That is not a compliment.",
        ),
        "ally": (
            "You are not alone in this, {hero}. Tell me where to start.",
            "I believe you. Now let us find a way to make the others believe it.",
            "Whatever happens at {place}, I am with you.",
        ),
        "other": (
            "There is something you should know, {hero}, before it is too late.",
            "People at {place} are talking. They say you are asking the wrong questions.",
            "I only came to tell you one thing: be careful whom you trust.",
        ),
    },
    replies=(
        "{Hero} holds the gaze and says, “I am not stopping now.”",
        "“Then help me,” {hero} says quietly, “or get out of my way.”",
        "{Hero} says nothing, but the answer is plain enough.",
        "“I heard you,” {hero} says. “It changes nothing.”",
        "{Hero} nods slowly. “Then we do it my way.”",
        "“Not yet,” {hero} says. “Not until I know.”",
    ),
    alone=(
        "Whatever is hidden at {place}, I will find it.",
        "One more step. Just one more, and then I will know.",
        "If I stop now, no one else will ever ask.",
        "Somebody at {place} knows more than they say. I only have to find out who.",
        "I have been afraid before. It has never stopped me.",
        "Everything here is too tidy. Tidy means someone cleaned up.",
        "They want me tired. I will not give them that.",
        "Every answer here opens another door. Fine: I will open them all.",
    ),
    said="“{line}” {who} says.",
    thoughts=(
        "{Who} thinks: “{line}”",
        "“{line}” The words stay unspoken; {who} keeps them close.",
        "A thought will not leave {who} alone: “{line}”",
    ),
    hooks=(
        "{Hero} knows that the real trouble has only just begun.",
        "Behind {hero}, the lights of {place} go out one by one.",
        "Tomorrow, {hero} thinks, everything will be different.",
    ),
    wish_leads=("let ", "make ", "i want ", "i'd like ", "please ", "have ", "there should be "),
)

CHINESE = ChapterWords(
    someone="那个陌生人",
    somewhere="小镇",
    end="。",
    open_first="{hero}在{place}开始了新的一天，还不知道这一天会带来什么。",
    open_after="{hero}回到{place}，前事仍压在心头：{last}",
    meet={
        "foe": "{other}在{place}拦住{hero}，话里话外都是警告。",
        "mentor": "{other}在{place}等着{hero}，终于说起了多年前的往事。",
        "ally": "{other}在{place}找到{hero}，悄悄伸出援手。",
        "other": "{other}出现在{place}，带来一个{hero}意想不到的消息。",
    },
    rule="{place}的规矩挡在面前：{rule}。",
    thing="{hero}在{place}遭遇了{thing}，不得不正面应对。",
    wish="接着，{wish}。",
    turn="{hero}想起自己为什么不能停下：{motivation}",
    turn_plain="{hero}掂量着继续下去的代价，还是决定往前走。",
    close="夜色落在{place}，{hero}做出了一个再也无法回头的决定。",
    atmospheres={
        "plain": (
            "清晨的光薄薄地铺在{place}上，熟悉的人声起起落落，好像什么都没有改变。",
            "{place}照旧运转着：开门声、脚步声、机器的低鸣。这样的平静，最适合藏住秘密。",
            "一阵冷风穿过{place}，行人低着头匆匆走过，谁也不愿多停一步。",
            "{place}的灯一盏一盏亮起来。远处有一扇门关上了，四周随即安静下来。",
        ),
        "dark": (
            "黑暗沉沉地压在{place}上，像一口憋住的气。每一片阴影都仿佛在偷听。",
            "{place}弥漫着铁锈和旧日恐惧的气味，没有人敢与别人对视。",
            "{place}的光是灰烬的颜色，照到哪里，哪里就更冷一分。",
            "沉默像一纸判决悬在{place}上空，连墙壁都似乎藏着秘密。",
        ),
        "tense": (
            "在{place}，每一秒都在倒数。远处的警报响了又停，停了又响。",
            "{place}到处是仓促的脚步和生硬的棱角：人太多，时间太少。",
            "{place}的空气绷得像一根钢丝，稍有差池就会断开。",
            "{place}某处传来重重的关门声，已经没有时间再犹豫了。",
        ),
        "warm": (
            "暖黄的灯光洒满{place}，有那么一刻，世界显得格外温柔。",
            "{place}飘着面包和雨水的味道，隔壁有人在笑。",
            "{place}的傍晚又软又慢，正适合把心里话说出口。",
            "阳光悄悄照进{place}，把能碰到的一切都镀上一层金边。",
        ),
    },
    gestures=(
        "{who}在原地站了很久，终于迈出了第一步。",
        "{who}把手贴在冰冷的墙上，慢慢吐出一口气。",
        "{who}回头看了一眼，确认没有人跟在后面。",
        "{who}没有马上回答，把这个问题在心里翻来覆去。",
        "{who}下意识地数了数出口，这是一个怎么也改不掉的老习惯。",
        "{who}忽然发觉四周安静得出奇，这让人很不舒服。",
    ),
    lines={
        "foe": (
            "别再查了，{hero}。{place}有些门关着，自有它的道理。",
            "你以为真相能救你？在{place}，我说什么，什么就是真相。",
            "我只问你一次，{hero}：趁现在还来得及，收手吧。",
        ),
        "mentor": (
            "这种事我见过一次，{hero}。那时我选择了沉默，后悔到今天。",
            "在{place}要小心。你想要的答案，都有代价。",
            "你让我想起从前的自己，{hero}。这可不是夸你。",
        ),
        "ally": (
            "这件事你不是一个人，{hero}。告诉我从哪里开始。",
            "我相信你。现在得想办法让别人也相信。",
            "不管{place}发生什么，我都站在你这边。",
        ),
        "other": (
            "有件事你该知道，{hero}，趁现在还不算太晚。",
            "{place}的人都在议论，说你问错了问题。",
            "我来只为告诉你一句话：小心你信任的人。",
        ),
    },
    replies=(
        "{hero}迎着对方的目光说：“我现在不会停下。”",
        "“那就帮我，”{hero}低声说，“要么就别挡路。”",
        "{hero}没有说话，可答案已经写在脸上。",
        "“我听见了，”{hero}说，“可这改变不了什么。”",
        "{hero}慢慢点了点头：“那就按我的办法来。”",
        "“还不行，”{hero}说，“在弄清楚之前还不行。”",
    ),
    alone=(
        "不管{place}藏着什么，我都要把它找出来。",
        "再走一步，只要再走一步，我就能知道。",
        "如果我现在停下，就再也没有人会追问了。",
        "{place}一定有人知道得比说出来的多，我只需要找到那个人。",
        "我害怕过，可害怕从来没让我停下。",
        "这里的一切都太整齐了。太整齐，说明有人收拾过。",
        "他们想让我累垮，我偏不让他们如愿。",
        "每个答案都会打开另一扇门。那就一扇一扇地开。",
    ),
    said="“{line}”{who}说。",
    thoughts=(
        "{who}在心里对自己说：“{line}”",
        "“{line}”{who}低声自语。",
        "一个念头在{who}心里挥之不去：“{line}”",
    ),
    hooks=(
        "{hero}知道，真正的麻烦才刚刚开始。",
        "在{hero}身后，{place}的灯一盏一盏熄灭了。",
        "明天，{hero}想，一切都会不一样。",
    ),
    wish_leads=("我希望", "我想要", "希望", "应该", "需要", "让", "要", "请"),
)

#: Tones the generator's words and the writer's style name -> the atmosphere they ask for.
TONE_MOODS = {
    "brooding": "dark",
    "阴郁": "dark",
    "tense": "tense",
    "紧张": "tense",
    "wry": "warm",
    "hopeful": "warm",
    "lyrical": "warm",
    "warm": "warm",
    "诙谐": "warm",
    "温暖": "warm",
    "抒情": "warm",
}
