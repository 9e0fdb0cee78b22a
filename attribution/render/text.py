"""Plain-text copy with inline tags: one sentence a line, its labels in front, cues bracketed.

    [S3 us_official C3 probable] He added that the [[likely|epistemic]] offensive would ...
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the views read the data model; it imports them, never the reverse
    from attribution.document import Article


def to_text(article: Article) -> str:
    lines = [f"# {article.id}"]
    if article.meta.get("title"):
        lines.append(f"# {article.meta['title']}")
    paragraph_end = 0
    for s in article.sentences:
        if article.text.count("\n", paragraph_end, s.start):
            lines.append("")
        paragraph_end = s.end
        pieces, at = [], s.start
        for cue in s.cues:
            pieces.append(article.text[at : cue.start])
            pieces.append(f"[[{article.text[cue.start:cue.end]}|{cue.kind}]]")
            at = cue.end
        pieces.append(article.text[at : s.end])
        body = "".join(pieces).replace("\n", " ")
        if s.boilerplate:
            tag = f"S{s.id} boilerplate"
        else:
            grade = s.reliability.grade if s.reliability else "-"
            source = f' "{s.speaker_source}"' if s.speaker_source else ""
            tag = f"S{s.id} {s.speaker.label}{source} {grade} {s.certainty.label}"
        lines.append(f"[{tag}] {body}")
    return "\n".join(lines) + "\n"
