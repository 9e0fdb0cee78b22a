"""The one data model that flows through every stage.

An `Article` holds the exact input text; every offset anywhere refers to it (Python str
indices, end exclusive). Stages enrich an article in place and never re-read or re-parse it.
Label sets come from the shipped copy of the output schema, so the contract and the code
cannot drift apart. The JSONL record, the HTML and the text copy are views of an article
(`to_record`, `to_html`, `to_text`; `attribution/render/`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from attribution import resources
from attribution.render import html, record, text


def schema() -> dict[str, Any]:
    """The attribution.v1 JSON Schema shipped with the package (a copy of spec/schema.json)."""
    return resources.data("schema.json")


def _enum(name: str) -> tuple[str, ...]:
    return tuple(schema()["$defs"][name]["enum"])


SPEAKER_LABELS: tuple[str, ...] = _enum("speaker_label")
CERTAINTY_LABELS: tuple[str, ...] = _enum("certainty_label")
CUE_KINDS: tuple[str, ...] = tuple(
    schema()["properties"]["sentences"]["items"]["properties"]["cues"]["items"]["properties"]["kind"]["enum"]
)


@dataclass(slots=True)
class Span:
    start: int
    end: int


@dataclass(slots=True)
class Token:
    """One token in the parser-neutral representation (UD relations, absolute indices)."""

    i: int  # index in the article's token list
    start: int
    end: int
    text: str
    lemma: str
    upos: str
    head: int  # absolute index of the head token; a root points to itself
    dep: str  # UD relation, lower case, subtypes kept ("nsubj:pass")
    ent_type: str = ""  # entity label of the token's entity, "" outside entities

    @property
    def is_root(self) -> bool:
        return self.head == self.i


@dataclass(slots=True)
class Cue:
    """A hedge or booster cue inside a sentence."""

    start: int
    end: int
    kind: str  # one of CUE_KINDS
    lemma: str  # lexicon entry that matched: the explanation shown to reviewers
    certainty: str | None = None  # what the cue makes of the claim it governs
    governs: bool = False  # sits on the main claim's path, so it sets the sentence's certainty


@dataclass(slots=True)
class Label:
    """A label with its score and where it came from (rule, lexicon or model name)."""

    label: str
    score: float
    by: str
    probability: float | None = None  # a model's calibrated probability of the label, where score means something else


@dataclass(slots=True)
class Reliability:
    grade: str  # Admiralty style, e.g. "B2"
    score: float
    reasons: list[str]
    facts: dict[str, Any] = field(default_factory=dict)  # what the policy tested (reliability.yaml)
    fill: dict[str, str] = field(default_factory=dict)  # the words its reasons name


@dataclass(slots=True)
class Sentence:
    id: int
    start: int
    end: int
    token_start: int  # first token index
    token_end: int  # one past the last token index
    boilerplate: bool = False
    speaker: Label | None = None
    speaker_source: str | None = None  # source text of the attribution that decided the speaker
    speaker_entity: str | None = None
    attribution: str | None = None  # id of the attribution that decided the speaker
    certainty: Label | None = None
    factuality: float | None = None
    cues: list[Cue] = field(default_factory=list)
    reliability: Reliability | None = None
    claim: Any = None  # what the sentence claims (`claims.frames.ClaimFrame`); None for furniture and questions
    # What other articles of the batch say of this claim (`claims/corroborate.py`): its cluster,
    # status (corroborated, contested, contradicted, echoed, single), the sentences of other
    # articles that agree, conflict or share its origin, and its independent origins.
    corroboration: dict[str, Any] | None = None


@dataclass(slots=True)
class Attribution:
    id: str
    cue: Span
    content: list[Span]
    source: Span | None
    kind: str  # direct, indirect, mixed, according_to, source_subject, ...
    sentence: int  # id of the sentence holding the cue
    rule: str  # which rule or model proposed it
    cue_lemma: str = ""  # lexicon entry of the cue ("say", "according to")
    category: str | None = None  # speech, stance, evidence, document or relay (attribute/category.py)
    speaker: str | None = None
    named: bool | None = None
    entity: str | None = None
    via: str | None = None
    source_head: int | None = None  # token index of the source's head word (not serialised)
    cue_head: int | None = None  # token index of the cue's main word (not serialised)


@dataclass(slots=True)
class Entity:
    """One source across its mentions ("A Ukrainian commander" ... "The commander" ... "He")."""

    id: str
    name: str
    mentions: list[Span]
    label: str | None = None
    named: bool = False
    reason: str | None = None  # the words and the data that decided the label
    evidence: str = "none"  # what decided the label: the words (stated, known person, role, none) or the classifier (model)


@dataclass(slots=True)
class Article:
    id: str
    text: str
    meta: dict[str, Any] = field(default_factory=dict)
    tokens: list[Token] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)
    attributions: list[Attribution] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)

    def sentence_tokens(self, sentence: Sentence) -> list[Token]:
        return self.tokens[sentence.token_start : sentence.token_end]

    def sentence_at(self, char: int) -> Sentence | None:
        for sentence in self.sentences:
            if sentence.start <= char < sentence.end:
                return sentence
        return None

    def span_text(self, span: Span | None) -> str | None:
        return None if span is None else self.text[span.start : span.end]

    @property
    def word_count(self) -> int:
        return len(self.text.split())

    def to_record(self) -> dict[str, Any]:
        """The attribution.v1 JSONL record (schema.json)."""
        return record.to_record(self)

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> Article:
        """The article a record describes, as far as it does: everything its views show (the
        parse and the claim frames' objects are not in a record; a sentence's claim stays the
        record's dict)."""

        def span(value: dict[str, Any] | None) -> Span | None:
            return None if value is None else Span(value["start"], value["end"])

        def label(value: dict[str, Any] | None) -> Label | None:
            return None if value is None else Label(value["label"], value["score"], value["by"], value.get("probability"))

        sentences = []
        for s in data["sentences"]:
            speaker = s.get("speaker") or {}
            reliability = s.get("reliability")
            sentences.append(Sentence(
                id=s["id"], start=s["start"], end=s["end"], token_start=0, token_end=0, boilerplate=s["boilerplate"],
                speaker=label(s.get("speaker")), speaker_source=speaker.get("source"), speaker_entity=speaker.get("entity"),
                attribution=s.get("attribution"), certainty=label(s.get("certainty")),
                factuality=(s.get("certainty") or {}).get("factuality"),
                cues=[Cue(c["start"], c["end"], c["kind"], c["lexeme"], governs=c.get("governs", False)) for c in s.get("cues", [])],
                reliability=None if reliability is None else Reliability(reliability["grade"], reliability["score"], reliability["reasons"],
                                                                         reliability.get("facts", {}), reliability.get("fill", {})),
                claim=(s.get("claim") or {}).get("frame"),
                corroboration={k: v for k, v in s["claim"].items() if k != "frame"} if s.get("claim") else None,
            ))
        attributions = [
            Attribution(id=a["id"], cue=span(a["cue"]), content=[span(c) for c in a["content"]], source=span(a.get("source")),
                        kind=a["kind"], sentence=a["sentence"], rule=a["rule"], speaker=a.get("speaker"), named=a.get("named"),
                        entity=a.get("entity"), via=a.get("via"), category=a.get("category"))
            for a in data.get("attributions", [])
        ]
        entities = [Entity(e["id"], e["name"], [span(m) for m in e["mentions"]], e.get("label"), e.get("named", False), e.get("reason"),
                           e.get("evidence", "none")) for e in data.get("entities", [])]
        return cls(data["id"], data["text"], dict(data.get("meta") or {}), [], sentences, attributions, entities,
                   dict(data.get("provenance") or {}))

    def to_html(self) -> str:
        """The self-contained, reliability-annotated HTML copy."""
        return html.to_html(self)

    def to_text(self) -> str:
        """The plain-text copy, one sentence a line with its labels in front."""
        return text.to_text(self)
