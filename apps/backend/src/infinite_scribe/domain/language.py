"""Which language a text is in, as the whole house tells it: Chinese by its characters, else
English (a model answers a writer's other languages in their own, the offline writer in
English)."""

import re

CHINESE, ENGLISH = "zh", "en"
#: A Chinese character: CJK Unified Ideographs, extension A and the compatibility ideographs.
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def language_of(*texts: str) -> str:
    """CHINESE when any of `texts` has a Chinese character, else ENGLISH."""
    return CHINESE if any(HAN.search(text) for text in texts) else ENGLISH
