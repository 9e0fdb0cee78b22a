"""Could the classifier be skipped where the rules are right? And why does the lead's speaker help dev but not test?

    python scripts/measure_cascade.py ../shared/data/war_news/articles [--data data/war_news]
        [--splits dev,test] [--lead-splits train,dev,test] [--json]

Cascade: every gold sentence of the team's dev and test splits is labeled twice, by the rules
alone and by the default pipeline (the shipped classifier), and grouped by what a gate could see
before the classifier runs: page furniture, an attribution of its own, an attributed sentence
among the three before, quotation marks, the rules' label. A group could skip the classifier
only if the rules are as right as the classifier on it in both splits.

Lead: in the train, dev and test splits, over the sentences after an article's sixth in
articles where the rules name a lead speaker (what `context: lead_speaker` tells the
classifier), how often the gold speaker is the lead's, overall and where the rules leave the
sentence unattributed.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path

import attribution
from attribution.classify.inputs import lead_speaker_sentence
from attribution.document import Article
from attribution.evaluate.sentences import best_match, labeled_texts, load_split
from attribution.labels import labels_by_article

_BEFORE = 3  # sentences looked back at for an attributed one
_LEAD_SKIP = 6  # sentences of the lead and just after it, left out of the lead count
_QUOTES = ('"', "\u201c", "\u201d")


def _labeled_split(split: str, corpus: Path, data: Path) -> tuple[dict, dict[str, str]]:
    """The split's gold labels by article, and those articles' texts."""
    gold = labels_by_article(data / "labels.jsonl", load_split(data / "splits.json", split))
    return gold, labeled_texts(gold, corpus)


def _label(sentence: dict, task: str) -> str | None:
    return (sentence[task] or {}).get("label")


def cascade(split: str, corpus: Path, data: Path) -> list[dict]:
    """Per gold sentence group: its size, how often rules and classifier agree, and who is right how often."""
    gold, texts = _labeled_split(split, corpus, data)
    rows: dict[tuple[str, int], dict] = {}
    for name, nlp in (("rules", attribution.load(labeler="rules")), ("model", attribution.load())):
        for article in nlp.pipe((Article(a, t) for a, t in texts.items()), workers=2):
            record = article.to_record()
            for label in gold[article.id]:
                if not label.matches(texts[article.id]):
                    continue
                found = best_match(label, record["sentences"])
                row = rows.setdefault((article.id, label.start), {"gold": (label.speaker, label.certainty)})
                row[name] = (_label(found, "speaker"), _label(found, "certainty"))
                if name == "rules":
                    sentence = article.sentences[found["id"]]
                    before = article.sentences[max(0, sentence.id - _BEFORE) : sentence.id]
                    row["group"] = (
                        bool(sentence.boilerplate),
                        sentence.attribution is not None,
                        any(not s.boilerplate and s.speaker and s.speaker.label != "unattributed" for s in before),
                        any(q in texts[article.id][label.start : label.end] for q in _QUOTES),
                        row["rules"][0] in (None, "unattributed"),
                    )
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows.values():
        groups[row["group"]].append(row)
    out = []
    for key, members in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        right = lambda who, task: sum(r[who][task] == r["gold"][task] for r in members)
        out.append({"split": split, "boilerplate": key[0], "attribution": key[1], "attributed_before": key[2],
                    "quote_marks": key[3], "rules_unattributed": key[4], "n": len(members),
                    "speaker_agreement": round(sum(r["rules"][0] == r["model"][0] for r in members) / len(members), 2),
                    "speaker_right_rules": right("rules", 0), "speaker_right_classifier": right("model", 0),
                    "certainty_right_rules": right("rules", 1), "certainty_right_classifier": right("model", 1)})
    return out


def lead_counts(split: str, corpus: Path, data: Path) -> dict:
    gold, texts = _labeled_split(split, corpus, data)
    counts = Counter(dict.fromkeys(("sentences", "gold_is_lead", "rules_unattributed", "rules_unattributed_gold_is_lead"), 0))
    for article in attribution.load(labeler="rules").pipe((Article(a, t) for a, t in texts.items()), workers=2):
        lead = lead_speaker_sentence(article, article.sentences[-1])
        if lead is None:
            continue
        starts = {label.start: label for label in gold[article.id]}
        for sentence in article.sentences[_LEAD_SKIP:]:
            label = starts.get(sentence.start)
            if label is None:
                continue
            is_lead = label.speaker == lead.speaker.label
            counts["sentences"] += 1
            counts["gold_is_lead"] += is_lead
            if sentence.speaker is None or sentence.speaker.label == "unattributed":
                counts["rules_unattributed"] += 1
                counts["rules_unattributed_gold_is_lead"] += is_lead
    return {"split": split, **counts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, help="folder of the war-news article texts")
    parser.add_argument("--data", type=Path, default=Path("data/war_news"), help="folder with labels.jsonl and splits.json")
    parser.add_argument("--splits", default="dev,test", help="splits the cascade is measured on")
    parser.add_argument("--lead-splits", default="train,dev,test", help="splits the lead's speaker is counted on")
    parser.add_argument("--json", action="store_true", help="one JSON object on the last line")
    args = parser.parse_args()
    groups = [g for split in args.splits.split(",") for g in cascade(split, args.corpus, args.data)]
    leads = [lead_counts(split, args.corpus, args.data) for split in args.lead_splits.split(",")]
    if args.json:
        print(json.dumps({"cascade": groups, "lead": leads}))
        return
    print("split  furniture attribution before quotes rules-unattributed    n  agree  speaker right rules/classifier  certainty right rules/classifier")
    for g in groups:
        print(f"{g['split']:5}  {g['boilerplate']:d} {g['attribution']:d} {g['attributed_before']:d} {g['quote_marks']:d} "
              f"{g['rules_unattributed']:d}  {g['n']:5}  {g['speaker_agreement']:.2f}  {g['speaker_right_rules']}/{g['speaker_right_classifier']}"
              f"  {g['certainty_right_rules']}/{g['certainty_right_classifier']}")
    for lead in leads:
        share = lead["rules_unattributed_gold_is_lead"] / max(1, lead["rules_unattributed"])
        print(f"{lead['split']}: gold is the lead's speaker in {lead['gold_is_lead']} of {lead['sentences']} sentences; "
              f"where the rules leave it unattributed, {lead['rules_unattributed_gold_is_lead']} of {lead['rules_unattributed']} ({share:.1%})")


if __name__ == "__main__":
    main()
