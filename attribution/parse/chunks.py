"""Split an article into paragraph chunks that a parser can take.

Sentences never cross a line break in the articles we read (paragraphs are lines), and cutting
there keeps each parser call small: a 5 MB article becomes many short calls instead of one
that exceeds spaCy's length limit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

MAX_CHUNK_CHARS = 50_000
_PARAGRAPH = re.compile(r"[^\n]+")


def paragraph_chunks(text: str, max_chars: int = MAX_CHUNK_CHARS) -> Iterator[tuple[int, str]]:
    """Yield (offset, chunk) for every non-blank line, cut at white space when too long."""
    for match in _PARAGRAPH.finditer(text):
        start, end = match.span()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        while end - start > max_chars:
            cut = _last_space(text, start, start + max_chars)
            yield start, text[start:cut]
            start = cut
            while start < end and text[start].isspace():
                start += 1
        if end > start:
            yield start, text[start:end]


def _last_space(text: str, start: int, limit: int) -> int:
    """The last sentence end (". ") or, failing that, space before `limit`; `limit` if none."""
    window = text[start:limit]
    cut = window.rfind(". ")
    if cut <= 0:
        cut = window.rfind(" ")
    return start + cut + 1 if cut > 0 else limit
