"""What a text names and says (issue 75): the readers of the writer's words, pure.

The offline writer's reader (what an idea or a feedback names and asks: `named`, `reading_en`,
`reading_zh`, `requests`, `facts`) and the continuity reader (what a chapter says of the cast:
`reader`, `rules`, `names`, `referents`) live here with their word lists (`data/`, read through
`importlib.resources`) and jieba's segmenter (`segment`). No I/O beyond the package's own data,
no asyncio: the writer (`agents/llm/offline/`) and the continuity worker (`agents/continuity/`)
call in; nothing here calls out (an import contract in the root pyproject.toml).
"""
