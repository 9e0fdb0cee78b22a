"""Plain-text copy with inline tags: one sentence a line, its labels in front, cues bracketed.

    [S3 us_official C3 probable] He added that the [[likely|epistemic]] offensive would ...
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from attribution.render.html import title_of

if TYPE_CHECKING:  # the views read the data model; it imports them, never the reverse
    from attribution.document import Article


def to_text(article: Article) -> str:
    lines = [f"# {title_of(article.text, article.meta, article.id)}", f"# id {article.id}"]
    entities = {e.id: e.name for e in article.entities}
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
        if s.boilerplate or s.speaker is None:
            tag = f"S{s.id} boilerplate"
        else:
            grade = s.reliability.grade if s.reliability else "-"
            name = s.speaker_source or entities.get(s.speaker_entity or "", "")  # a continuing sentence: the speaker's name
            source = f' "{name}"' if name and s.speaker.label != "unattributed" else ""
            tag = f"S{s.id} {s.speaker.label}{source} {grade} {s.certainty.label}"
        lines.append(f"[{tag}] {body}")
    return "\n".join(lines) + "\n"
