"""What a text names and says (issue 75): the readers of the writer's words, pure.

The offline writer's reader (what an idea or a feedback names and asks) and the continuity
reader (what a chapter says of the cast) live here with their word lists (`data/`) and jieba's
segmenter (`segment`); docs/architecture.md names each module. No I/O beyond the package's own
data, no asyncio: the writer (`agents/llm/offline/`) and the continuity worker
(`agents/continuity/`) call in; nothing here calls out (an import contract in pyproject.toml).
"""
