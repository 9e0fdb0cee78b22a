"""Labeling aid: show an article's sentences, and turn phrase-based labels into standoff labels.

Annotators (people or helper sessions) label sentences by index and quote short phrases for the
source and the hedge cues; this script finds the phrases inside the sentence and writes the
standoff format of `attribution.labels` (offsets and a hash, never the text).

    python scripts/label_aid.py sentences CORPUS_DIR ARTICLE_ID [ARTICLE_ID ...]
    python scripts/label_aid.py convert CORPUS_DIR PHRASES.jsonl OUT.jsonl --annotator NAME
    python scripts/label_aid.py show CORPUS_DIR LABELS.jsonl ARTICLE_ID [ARTICLE_ID ...]

`show` prints each sentence beside its labels (speaker, certainty, source and cue phrases),
for checking a labeling or learning from one.

    python scripts/label_aid.py claims CORPUS_DIR CLUSTERS.jsonl OUT.jsonl --annotator NAME

`claims` turns claim clusters written by sentence number into the standoff format of
`attribution.claims` (data/README.md): each member's sentence becomes offsets and a hash.

A phrase-labels line:
    {"article": "...", "i": 3, "speaker": "us_official", "source": "a US official" | null,
     "named": false | null, "certainty": "probable", "cues": [["likely", "epistemic"], ["could", "epistemic", 2]],
     "boilerplate": false}
The optional third item of a cue (and "source_occurrence") picks the n-th occurrence (1-based).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import datetime, timezone
from pathlib import Path

from attribution.document import Article
from attribution.labels import CueLabel, SentenceLabel, labels_by_article, sentence_hash
from attribution.parse import load_parser

_parser = None


def sentences(corpus: Path, article_id: str) -> list[tuple[int, int]]:
    global _parser
    if _parser is None:
        _parser = load_parser("spacy")
    article = Article(article_id, (corpus / f"{article_id}.txt").read_text(encoding="utf-8"))
    [article] = list(_parser.parse([article]))
    return [(s.start, s.end) for s in article.sentences]


def find(sentence: str, phrase: str, occurrence: int | None = None) -> tuple[int, int]:
    """Where the phrase stands: its first whole-word occurrence ("he" not inside "The"), or with
    an explicit occurrence number the n-th occurrence counted as plain substrings."""
    if occurrence is None:
        match = re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", sentence)
        if match:
            return match.start(), match.end()
        occurrence = 1
    position = -1
    for _ in range(occurrence):
        position = sentence.find(phrase, position + 1)
        if position < 0:
            raise ValueError(f"phrase {phrase!r} (occurrence {occurrence}) not in sentence {sentence[:80]!r}")
    return position, position + len(phrase)


def convert(corpus: Path, phrases: Path, out: Path, annotator: str) -> None:
    cache: dict[str, tuple[str, list[tuple[int, int]]]] = {}
    labels: dict[tuple[str, int], SentenceLabel] = {}
    if out.exists():
        for line in out.read_text(encoding="utf-8").splitlines():
            label = SentenceLabel.from_json(json.loads(line))
            labels[(label.article, label.start)] = label
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    errors = 0
    for number, line in enumerate(phrases.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if row["article"] not in cache:
                text = (corpus / f"{row['article']}.txt").read_text(encoding="utf-8")
                cache[row["article"]] = (text, sentences(corpus, row["article"]))
            text, spans = cache[row["article"]]
            start, end = spans[row["i"]]
            sentence = text[start:end]
            source = None
            if row.get("source"):
                s, e = find(sentence, row["source"], row.get("source_occurrence"))
                source = (start + s, start + e)
            cues = []
            for cue in row.get("cues", []):
                s, e = find(sentence, cue[0], cue[2] if len(cue) > 2 else None)
                cues.append(CueLabel(start + s, start + e, cue[1]))
            label = SentenceLabel(
                article=row["article"], start=start, end=end, sha1=sentence_hash(sentence),
                speaker=row["speaker"], certainty=row["certainty"], source=source,
                named=row.get("named"), cues=cues, boilerplate=bool(row.get("boilerplate", False)),
                annotator=annotator, time=now,
            )
            label.validate()
            labels[(label.article, label.start)] = label
        except (ValueError, KeyError, IndexError, TypeError, json.JSONDecodeError) as error:
            errors += 1
            print(f"{phrases}:{number}: {error}", file=sys.stderr)
    ordered = sorted(labels.values(), key=lambda label: (label.article, label.start))
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text("".join(json.dumps(label.to_json(), ensure_ascii=False) + "\n" for label in ordered), encoding="utf-8")
    tmp.replace(out)
    print(f"{len(ordered)} labels in {out}; {errors} lines with errors")


def show(corpus: Path, labels: Path, article_ids: list[str]) -> None:
    by_article = labels_by_article(labels, set(article_ids))
    for article_id in article_ids:
        text = (corpus / f"{article_id}.txt").read_text(encoding="utf-8")
        labeled = {label.start: label for label in by_article.get(article_id, [])}
        print(f"## {article_id}")
        for i, (start, end) in enumerate(sentences(corpus, article_id)):
            label = labeled.get(start)
            if label is None or not label.matches(text):
                print(f"[{i}] (no label) {text[start:end]}")
                continue
            source = f' source="{text[label.source[0]:label.source[1]]}"' if label.source else ""
            cues = "".join(f' {cue.kind}="{text[cue.start:cue.end]}"' for cue in label.cues)
            flags = " boilerplate" if label.boilerplate else ""
            print(f"[{i}] <{label.speaker} {label.certainty}{source} named={label.named}{cues}{flags}> {text[start:end]}")


def claims(corpus: Path, clusters: Path, out: Path, annotator: str) -> None:
    from attribution.claims.gold import ClaimCluster, ClaimMember, write_clusters

    spans: dict[str, tuple[str, list[tuple[int, int]]]] = {}
    found, errors = [], 0
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    for number, line in enumerate(clusters.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            members = []
            for member in row["members"]:
                if member["article"] not in spans:
                    text = (corpus / f"{member['article']}.txt").read_text(encoding="utf-8")
                    spans[member["article"]] = (text, sentences(corpus, member["article"]))
                text, offsets = spans[member["article"]]
                start, end = offsets[member["i"]]
                members.append(ClaimMember(member["article"], start, end, sentence_hash(text[start:end]), member["stance"],
                                           member.get("value"), member.get("origin")))
            cluster = ClaimCluster(row["cluster"], row["claim"], members, [tuple(pair) for pair in row.get("conflicts", [])], annotator, now)
            cluster.validate()
            found.append(cluster)
        except (ValueError, KeyError, IndexError, TypeError, OSError, json.JSONDecodeError) as error:
            errors += 1
            print(f"{clusters}:{number}: {error}", file=sys.stderr)
    write_clusters(out, found)
    print(f"{len(found)} clusters, {sum(len(c.members) for c in found)} members in {out}; {errors} lines with errors")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("sentences")
    listing.add_argument("corpus", type=Path)
    listing.add_argument("articles", nargs="+")
    conv = sub.add_parser("convert")
    conv.add_argument("corpus", type=Path)
    conv.add_argument("phrases", type=Path)
    conv.add_argument("out", type=Path)
    conv.add_argument("--annotator", required=True)
    gold = sub.add_parser("claims")
    gold.add_argument("corpus", type=Path)
    gold.add_argument("clusters", type=Path)
    gold.add_argument("out", type=Path)
    gold.add_argument("--annotator", required=True)
    view = sub.add_parser("show")
    view.add_argument("corpus", type=Path)
    view.add_argument("labels", type=Path)
    view.add_argument("articles", nargs="+")
    args = parser.parse_args()
    if args.command == "sentences":
        for article_id in args.articles:
            text = (args.corpus / f"{article_id}.txt").read_text(encoding="utf-8")
            print(f"## {article_id}")
            for i, (start, end) in enumerate(sentences(args.corpus, article_id)):
                print(f"[{i}] {text[start:end]}")
    elif args.command == "show":
        show(args.corpus, args.labels, args.articles)
    elif args.command == "claims":
        claims(args.corpus, args.clusters, args.out, args.annotator)
    else:
        convert(args.corpus, args.phrases, args.out, args.annotator)


if __name__ == "__main__":
    main()
