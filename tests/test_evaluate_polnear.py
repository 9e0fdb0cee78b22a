"""PolNeAR reading and scoring, on tiny BRAT corpora written here by hand."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from attribution.cli import app
from attribution.evaluate.polnear import Tally, matches, normalise
from attribution.corpora.polnear import GoldAttribution, read_ann, read_corpus

TEXT = '"We will win," the senator said. Officials claimed that the vote was rigged.\nIt was reported that taxes rise.'
#       0         1         2         3         4         5         6         7         8         9         10
#       0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345


def span(words: str, after: int = 0) -> tuple[int, int]:
    start = TEXT.index(words, after)
    return start, start + len(words)


SENATOR, SAID, WIN = span("the senator"), span("said"), span('"We will win,"')
OFFICIALS, CLAIMED, RIGGED = span("Officials"), span("claimed"), span("the vote was rigged")
REPORTED, TAXES = span("was reported"), span("taxes rise")


def ann_line(tag: str, role: str, *pieces: tuple[int, int]) -> str:
    offsets = ";".join(f"{start} {end}" for start, end in pieces)
    return f"{tag}\t{role} {offsets}\t{' '.join(TEXT[s:e] for s, e in pieces)}"


ANN = "\n".join([
    ann_line("T1", "Source", SENATOR),
    ann_line("T2", "Cue", SAID),
    ann_line("T3", "Content", WIN),
    ann_line("T4", "Attribution", SAID),
    "E1\tAttribution:T4 Source:T1 Cue:T2 Content:T3",
    ann_line("T5", "Source", OFFICIALS),
    ann_line("T6", "Cue", CLAIMED),
    ann_line("T7", "Content", span("the vote"), span("was rigged")),
    ann_line("T8", "Attribution", CLAIMED),
    "E2\tAttribution:T8 Content:T7 Cue:T6 Source:T5",
    "#1\tAnnotatorNotes T8\tis this a claim?",
    "text that ran over a line break",
    ann_line("T9", "Cue", REPORTED),
    ann_line("T10", "Content", TAXES),
    ann_line("T11", "Attribution-no-source", REPORTED),
    "E3\tAttribution-no-source:T11 Cue:T9 Content:T10",
    ann_line("T12", "Attribution", SAID),
    "E4\tAttribution:T12 Cue:T2",  # no content: left out
])


def test_read_ann_joins_roles_and_skips_notes_and_incomplete_events() -> None:
    said, claimed, reported = read_ann(ANN)
    assert said == GoldAttribution(cue=(SAID,), content=(WIN,), source=(SENATOR,))
    assert claimed.content == (span("the vote"), span("was rigged"))
    assert reported.source is None and reported.content == (TAXES,)


def write_corpus(root: Path, annotations: dict[str, str]) -> Path:
    (root / "text").mkdir(parents=True)
    (root / "attributions").mkdir()
    (root / "text" / "a1.txt").write_text(TEXT, encoding="utf-8")
    for name, ann in annotations.items():
        (root / "attributions" / name).write_text(ann, encoding="utf-8")
    return root


def test_read_corpus_takes_the_first_annotator(tmp_path: Path) -> None:
    root = write_corpus(tmp_path, {"a1_ff00.ann": "", "a1_0abc.ann": ANN})
    (article,) = read_corpus(root)
    assert article.annotator == "0abc" and len(article.attributions) == 3


def test_normalise_trims_quotes_and_punctuation_but_keeps_a_colon_cue() -> None:
    assert normalise((WIN,), TEXT) == (span("We will win"),)
    colon = "He said: yes"
    assert normalise(((6, 8),), colon) == ((6, 7),)
    assert normalise(((0, 3), (3, 8)), colon) == ((0, 7),)


def test_exact_and_overlap_scores_per_role() -> None:
    gold = read_ann(ANN)
    predicted = [
        GoldAttribution(cue=(SAID,), content=(span("We will win"),), source=(span("senator"),)),
        GoldAttribution(cue=(span("claimed that"),), content=(span("the vote was rigged"),), source=(OFFICIALS,)),
    ]
    tally = Tally()
    tally.add(TEXT, predicted, gold)
    scores = tally.scores()
    # source: "Officials" exact, "senator" is 7 of its 7 characters inside "the senator" (11).
    assert scores["source"]["exact"] == [50.0, 50.0, 50.0]
    assert scores["source"]["overlap"] == [100.0, round(100 * (1 + 7 / 11) / 2, 1), 90.0]
    # cue: "said" exact; "claimed that" covers "claimed" (7 of 12 characters); "was reported" missed.
    assert scores["cue"]["exact"] == [50.0, 33.3, 40.0]
    assert scores["cue"]["overlap"][0] == round(100 * (1 + 7 / 12) / 2, 1)
    # content: the quote matches after trimming its marks, and the gold in two pieces with only a
    # space between is the same span as the prediction in one.
    assert scores["content"]["exact"] == [100.0, 66.7, 80.0]
    assert scores["attribution"] == [100.0, 66.7, 80.0]


def test_attribution_match_needs_cue_half_the_content_and_agreeing_sources() -> None:
    gold = GoldAttribution(cue=(SAID,), content=(WIN,), source=(SENATOR,))
    assert matches(GoldAttribution((SAID,), (span("We will"),), (SENATOR,)), gold)
    assert not matches(GoldAttribution((SAID,), (span("win"),), (SENATOR,)), gold)  # under half the content
    assert not matches(GoldAttribution((CLAIMED,), (WIN,), (SENATOR,)), gold)  # cues apart
    assert not matches(GoldAttribution((SAID,), (WIN,), None), gold)  # source missing
    no_source = GoldAttribution((REPORTED,), (TAXES,), None)
    assert matches(no_source, no_source)


def test_each_gold_attribution_matches_one_prediction() -> None:
    gold = [GoldAttribution((SAID,), (WIN,), (SENATOR,))]
    tally = Tally()
    tally.add(TEXT, gold * 2, gold)
    assert tally.scores()["attribution"] == [50.0, 100.0, 66.7]


def test_evaluate_polnear_cli_prints_json_on_the_last_line(tmp_path: Path) -> None:
    root = write_corpus(tmp_path / "corpus", {"a1_0abc.ann": ANN})
    result = CliRunner().invoke(app, ["evaluate", "polnear", str(root), "--json", "--workers", "1",
                                      "--parses", str(tmp_path / "parses")])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output.strip().splitlines()[-1])
    assert set(scores) >= {"source", "cue", "content", "attribution"}
    assert len(scores["cue"]["exact"]) == 3 and len(scores["attribution"]) == 3
    assert (tmp_path / "parses" / "a1.json").exists()
