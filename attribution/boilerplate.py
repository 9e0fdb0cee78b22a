"""Mark boilerplate sentences (GUIDELINES section 5) from the patterns in boilerplate.yaml."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from attribution import resources
from attribution.document import Article


@dataclass(frozen=True)
class BoilerplatePatterns:
    sentence: re.Pattern[str]
    paragraph: re.Pattern[str]
    whole_sentence: re.Pattern[str]


@cache
def patterns() -> BoilerplatePatterns:
    data = resources.data("boilerplate.yaml")

    def alternation(key: str, whole: bool = False) -> re.Pattern[str]:
        body = "|".join(f"(?:{p})" for p in data.get(key, [])) or "(?!)"
        return re.compile(f"^(?:{body})$" if whole else body, re.IGNORECASE)

    return BoilerplatePatterns(alternation("sentence"), alternation("paragraph"), alternation("whole_sentence", True))


def mark_boilerplate(article: Article) -> None:
    found = patterns()
    text = article.text
    flagged_paragraphs: dict[int, bool] = {}
    for sentence in article.sentences:
        paragraph_start = text.rfind("\n", 0, sentence.start) + 1
        if paragraph_start not in flagged_paragraphs:
            paragraph_end = text.find("\n", sentence.start)
            paragraph = text[paragraph_start : paragraph_end if paragraph_end >= 0 else len(text)]
            flagged_paragraphs[paragraph_start] = bool(found.paragraph.search(paragraph))
        sentence_text = text[sentence.start : sentence.end]
        sentence.boilerplate = (
            flagged_paragraphs[paragraph_start]
            or bool(found.sentence.search(sentence_text))
            or bool(found.whole_sentence.match(sentence_text.strip(" .[]()")))
        )
