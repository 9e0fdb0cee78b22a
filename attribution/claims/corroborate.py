"""What the other articles of a batch say of each claim: the clusters (`link.py`), which of their
members agree and which conflict, how many independent origins stand behind them, and each
sentence's grade again with that known.

It reads and writes attribution.v1 records, not articles in memory, so it runs after a batch
is written (and again with `attribution corroborate OUT` once `--resume` has added articles).
Independence: members whose chains end in the same origin (the same official, one outlet's
anonymous source, one outlet's report) count once, and so do members that copy each other's
wording (a shared run of words), whatever their chains say.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from attribution.claims.frames import ClaimFrame
from attribution.claims.link import Claim, Linker, cluster, figures_conflict
from attribution.reliability import Policy, grade, named_articles

COPY_WORDS = 6  # a shared run of this many words ...
COPY_SHARE = 0.5  # ... making up this share of the shorter member's runs is copied wording
_DESCRIPTION_CHARS = 140


def claims_of(record: dict[str, Any]) -> list[Claim]:
    """The claims of one article's record (the sentences the claims stage gave a frame)."""
    text = record["text"]
    by_id = {a["id"]: a for a in record.get("attributions", [])}
    found = []
    for sentence in record["sentences"]:
        if not sentence.get("claim") or sentence.get("boilerplate"):
            continue
        start, end = sentence["start"], sentence["end"]
        main = by_id.get(sentence.get("attribution") or "")
        cut = [main["cue"]] + ([main["source"]] if main and main.get("source") else []) if main else []
        content = "".join(ch for k, ch in enumerate(text[start:end], start) if not any(c["start"] <= k < c["end"] for c in cut))
        found.append(Claim(record["id"], sentence["id"], start, end, text[start:end], " ".join(content.split()) or text[start:end],
                           ClaimFrame.from_json(sentence["claim"]["frame"]), (sentence.get("certainty") or {}).get("label", "certain")))
    return found


def word_runs(text: str) -> set[tuple[str, ...]]:
    """The text's runs of COPY_WORDS words (lower-cased), what `shares_wording` compares."""
    words = text.lower().split()
    return {tuple(words[k : k + COPY_WORDS]) for k in range(len(words) - COPY_WORDS + 1)}


def shares_wording(a: set[tuple[str, ...]], b: set[tuple[str, ...]]) -> bool:
    """Whether two texts' `word_runs` show shared wording (one copies the other, or both a
    common text)."""
    return bool(a and b) and len(a & b) >= COPY_SHARE * min(len(a), len(b))


def copies(a: Claim, b: Claim) -> bool:
    """Whether two members share their wording."""
    return shares_wording(word_runs(a.content), word_runs(b.content))


@dataclass
class ClaimGroup:
    """One cluster, computed: members (claims), conflicting member pairs, origin group per member."""

    id: str
    members: list[Claim]
    conflicts: list[tuple[int, int]]
    origin_group: list[int]  # members with the same number share an origin

    @property
    def independent_origins(self) -> int:
        return len(set(self.origin_group))

    def unit(self) -> str | None:
        """The quantity most members give figures for, if any."""
        counts = Counter(u for m in self.members for u in {q.unit for q in m.frame.quantities if q.unit})
        return counts.most_common(1)[0][0] if counts else None

    def value(self, member: Claim) -> str | None:
        unit = self.unit()
        return next((q.text for q in member.frame.quantities if q.unit == unit), None) if unit else None

    def description(self) -> str:
        text = self.members[0].content
        return text if len(text) <= _DESCRIPTION_CHARS else text[: _DESCRIPTION_CHARS - 1].rsplit(" ", 1)[0] + "…"


def _origin_groups(members: list[Claim]) -> list[int]:
    """Each member's origin group: the same original source, wording copied from another article,
    or an article's own voice (a headline, a summary) beside its own attributed report of the claim."""
    parent = list(range(len(members)))

    def root(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for i in range(len(members)):
        for j in range(i + 1, len(members)):
            a, b = members[i], members[j]
            if a.frame.origin == b.frame.origin or (a.article != b.article and copies(a, b)):
                parent[root(j)] = root(i)
    for i, own in enumerate(members):  # the article's own voice repeats the nearest report it agrees with
        reports = [j for j, other in enumerate(members) if other.article == own.article and not _own_voice(other)
                   and other.frame.stance == own.frame.stance and not figures_conflict(own.frame, other.frame)]
        if _own_voice(own) and reports:
            parent[root(min(reports, key=lambda j: abs(members[j].sentence - own.sentence)))] = root(i)
    roots: dict[int, int] = {}
    return [roots.setdefault(root(k), len(roots)) for k in range(len(members))]


def _own_voice(claim: Claim) -> bool:
    return claim.frame.origin == f"article:{claim.article}"


def _conflicts(members: list[Claim]) -> list[tuple[int, int]]:
    """Member pairs from different articles that contradict: an assertion against a denial, or
    figures that cannot both be right."""
    found = []
    for i in range(len(members)):
        for j in range(i + 1, len(members)):
            a, b = members[i].frame, members[j].frame
            if members[i].article != members[j].article and (a.stance != b.stance or figures_conflict(a, b)):
                found.append((i, j))
    return found


def link_claims(claims: list[Claim], linker: Linker | None = None, vectors: np.ndarray | None = None) -> list[ClaimGroup]:
    """The batch's clusters of claims from two or more articles."""
    linker = linker or Linker.load()
    if vectors is None:
        vectors = linker.vectors([c.content for c in claims])
    groups = []
    for number, indexes in enumerate(cluster(claims, np.asarray(vectors), linker), 1):
        members = [claims[k] for k in indexes]
        groups.append(ClaimGroup(f"c{number}", members, _conflicts(members), _origin_groups(members)))
    return groups


def _status(group: ClaimGroup, k: int) -> dict[str, Any]:
    """What the rest of its cluster makes of member k."""
    me = group.members[k]
    against = {j for pair in group.conflicts if k in pair for j in pair if j != k}
    disagreeing = {group.origin_group[j] for j in against}  # an origin that contradicts k does not also confirm it
    agree, conflict, echo = [], [], []
    for j, other in enumerate(group.members):
        if j == k or other.article == me.article:
            continue
        entry = {"article": other.article, "sentence": other.sentence, "source": other.frame.source or "the article"}
        if j in against:
            conflict.append(entry)
        elif group.origin_group[j] == group.origin_group[k]:
            echo.append(entry)
        elif group.origin_group[j] not in disagreeing:
            agree.append(entry)
    if conflict:
        status = "contested" if agree else "contradicted"
    else:
        status = "corroborated" if agree else "echoed"
    return {"cluster": group.id, "status": status, "agree": agree, "conflict": conflict, "same_origin": echo,
            "independent_origins": group.independent_origins}


def corroborate(records: list[dict[str, Any]], policy: Policy | None = None, linker: Linker | None = None) -> list[dict[str, Any]]:
    """Link the records' claims (the records change in place: each claim sentence gets its
    cluster, status and those who agree or conflict, and its grade again); returns the
    claims.jsonl rows, one per cluster."""
    policy = policy or Policy.load()
    claims = [claim for record in records for claim in claims_of(record)]
    groups = link_claims(claims, linker)
    statuses = {(g.members[k].article, g.members[k].sentence): _status(g, k) for g in groups for k in range(len(g.members))}
    for record in records:
        for sentence in record["sentences"]:
            if not sentence.get("claim"):
                continue
            frame = sentence["claim"]["frame"]
            status = statuses.get((record["id"], sentence["id"]),
                                  {"cluster": None, "status": "single", "agree": [], "conflict": [], "same_origin": [], "independent_origins": 1})
            sentence["claim"] = {"frame": frame, **status}
            reliability = sentence.get("reliability")
            if reliability and "facts" in reliability:
                facts = {**reliability["facts"], "corroboration": status["status"]}
                fill = {**reliability["fill"], "others": named_articles(status["agree"]), "conflicting": named_articles(status["conflict"])}
                graded = grade(facts, fill, policy)
                sentence["reliability"] = {"grade": graded.grade, "score": graded.score, "reasons": graded.reasons,
                                           "facts": graded.facts, "fill": graded.fill}
    return cluster_rows(groups)


def cluster_rows(groups: list[ClaimGroup]) -> list[dict[str, Any]]:
    """The claims.jsonl rows of the clusters."""
    return [_row(g) for g in groups]


def _row(group: ClaimGroup) -> dict[str, Any]:
    return {
        "cluster": group.id,
        "claim": group.description(),
        "members": [{"article": m.article, "sentence": m.sentence, "start": m.start, "end": m.end, "speaker": m.frame.speaker,
                     "source_entity": m.frame.source, "origin": m.frame.origin, "value": group.value(m), "stance": m.frame.stance,
                     "certainty": m.certainty, "when": m.frame.when.isoformat() if m.frame.when else None}
                    for m in group.members],
        "conflicts": [list(pair) for pair in group.conflicts],
        "independent_origins": group.independent_origins,
    }
