"""The team's claim clusters: standoff JSONL, one cluster a line (format `attribution.claims.v1`,
data/README.md). Members point into articles by offsets and a hash of their sentence, never the
text, so the clusters can be shared while the articles stay where they are."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from attribution.files import read_jsonl, write_atomic

FORMAT = "attribution.claims.v1"
STANCES = ("asserts", "denies")


@dataclass
class ClaimMember:
    article: str
    start: int  # the member sentence's offsets in its article
    end: int
    sha1: str  # labels.sentence_hash of the sentence
    stance: str  # asserts | denies
    value: str | None = None  # the figure as written, for a claim about a quantity
    origin: str | None = None  # the original source of the member's claim, as the text gives it


@dataclass
class ClaimCluster:
    cluster: str
    claim: str  # a short description
    members: list[ClaimMember]
    conflicts: list[tuple[int, int]] = field(default_factory=list)  # member index pairs that contradict
    annotator: str = ""
    time: str = ""

    def validate(self) -> None:
        if len({m.article for m in self.members}) < 2:
            raise ValueError(f"cluster {self.cluster}: members must come from two articles at least")
        for member in self.members:
            if member.stance not in STANCES:
                raise ValueError(f"cluster {self.cluster}: stance must be one of {', '.join(STANCES)}, not {member.stance!r}")
            if not 0 <= member.start < member.end:
                raise ValueError(f"cluster {self.cluster}: bad offsets {member.start}-{member.end}")
        for pair in self.conflicts:
            if len(pair) != 2 or not all(0 <= k < len(self.members) for k in pair) or pair[0] == pair[1]:
                raise ValueError(f"cluster {self.cluster}: conflict {list(pair)} does not name two of its members")

    def to_json(self) -> dict:
        return {**asdict(self), "conflicts": [list(pair) for pair in self.conflicts], "format": FORMAT}


def read_clusters(path: str | Path) -> list[ClaimCluster]:
    clusters = []
    for number, row in read_jsonl(path):
        try:
            cluster = ClaimCluster(row["cluster"], row["claim"], [ClaimMember(**m) for m in row["members"]],
                                   [tuple(pair) for pair in row.get("conflicts", [])], row.get("annotator", ""), row.get("time", ""))
            cluster.validate()
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"{path}:{number}: {error}") from None
        clusters.append(cluster)
    return clusters


def write_clusters(path: str | Path, clusters: list[ClaimCluster]) -> None:
    write_atomic(path, "".join(json.dumps(c.to_json(), ensure_ascii=False) + "\n" for c in clusters))
