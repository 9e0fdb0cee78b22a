"""Direct quotes: find quoted spans robustly and tie them to their speakers.

Quote marks in real articles are mixed (straight, curly, guillemets), unbalanced, and run over
paragraphs (a continued quote reopens each paragraph without closing the previous one). The
scanner never fails on them: an opening mark that is never closed is dropped, except when the
next paragraph reopens the quote.
"""

from __future__ import annotations

from dataclasses import dataclass

from attribution.document import Span

# Each opening mark and the marks that may close it: writers and editors mix curly and straight
# marks ("“We will win,\" he said"; 'Never,’ she added).
_PAIRS = {"“": "”\"", "«": "»", "„": "“”", '"': '"”', "‘": "’'", "'": "'’"}
_MAX_QUOTE_CHARS = 5_000


@dataclass
class Quote:
    span: Span  # without the marks
    continued: bool = False  # runs on into the next paragraph


def find_quotes(text: str) -> list[Quote]:
    quotes: list[Quote] = []
    opened_at = -1
    closer = ""
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        if opened_at >= 0:
            if char == "\n":
                nxt = _next_nonspace(text, i)
                if nxt < n and text[nxt] in _PAIRS and _PAIRS[text[nxt]] == closer:  # the same mark reopens
                    quotes.append(Quote(Span(opened_at, i), continued=True))
                opened_at = -1
            elif char in closer and _is_closing(text, i) or i - opened_at > _MAX_QUOTE_CHARS:
                if char in closer:
                    quotes.append(Quote(Span(opened_at, i)))
                opened_at = -1
        elif char in _PAIRS and _is_opening(text, i):
            opened_at, closer = i + 1, _PAIRS[char]
        i += 1
    return [q for q in quotes if q.span.end > q.span.start]


def _next_nonspace(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def _is_opening(text: str, i: int) -> bool:
    before = text[i - 1] if i > 0 else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    if after.isspace():
        return False
    return before.isspace() or before in "([{—–-:/"


def _is_closing(text: str, i: int) -> bool:
    before = text[i - 1] if i > 0 else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    if before.isspace():
        return False
    return not after.isalnum()  # "Russia’s" is an apostrophe, not a closing quote
