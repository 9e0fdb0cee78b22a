"""The quote view: each attribution's category, and `evaluate quotes` on a GGT-style gold folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from attribution.cli import app
from attribution.document import Article
from attribution.evaluate.quotes import read_gold, score_quotes

TEXT = (
    "Ukraine's defence ministry said on Monday that Russian forces had shelled the port overnight.\n\n"
    "\"We will not give up the city, whatever it costs us,\" the mayor told reporters.\n\n"
    "Western analysts believe that Moscow is preparing a new offensive in the east.\n\n"
    "According to the report, the strikes damaged two bridges and a power station.\n\n"
    "According to the regional governor, three people were wounded in the attack.\n"
)


@pytest.fixture(scope="module")
def record(pipeline) -> dict:
    [result] = pipeline.annotate([Article("port", TEXT)])
    return result.record


def _by_cue(record: dict, cue: str) -> dict:
    [found] = [a for a in record["attributions"] if a["cue"]["text"] == cue and (a["source"] or {}).get("text") != "reporters"]
    return found


def _range(part: str, within: str = "") -> str:
    """GGT's "(start, end)" of `part`, first looked for in the sentence part `within`."""
    start = TEXT.index(within) + within.index(part) if within else TEXT.index(part)
    return f"({start}, {start + len(part)})"


def test_speech_and_the_other_kinds(record):
    assert _by_cue(record, "said")["category"] == "speech"
    assert _by_cue(record, "told")["category"] == "speech"
    assert _by_cue(record, "believe")["category"] == "stance"
    according = {a["source"]["text"]: a["category"] for a in record["attributions"] if a["kind"] == "according_to"}
    assert according == {"the report": "document", "the regional governor": "speech"}


def _gold(folder: Path, quotes: list[dict]) -> Path:
    folder.mkdir()
    (folder / "port.json").write_text(json.dumps(quotes), encoding="utf-8")
    return folder


GOLD_QUOTES = [
    {"quote_index": _range("Russian forces had shelled the port overnight"), "speaker_index": _range("Ukraine's defence ministry"),
     "verb_index": _range("said")},
    {"quote_index": _range("We will not give up the city, whatever it costs us,"), "speaker_index": _range("the mayor"),
     "verb_index": _range("told")},
    {"quote_index": _range("three people were wounded in the attack"), "speaker_index": _range("the regional governor"),
     "verb_index": _range("According to", within="According to the regional")},
]


def test_quotes_scored_against_gold(record, tmp_path):
    gold = read_gold(_gold(tmp_path / "gold", GOLD_QUOTES))
    speech = score_quotes(gold, [record])
    assert speech["gold"] == 3
    assert speech["at_0.3"]["recall"] == 100.0 and speech["at_0.8"]["recall"] == 100.0
    assert speech["speaker_accuracy"] == 100.0 and speech["verb_accuracy"] == 100.0
    # Counting the stance and the document as quotes, as a tracker without categories does, costs precision.
    everything = score_quotes(gold, [record], frozenset({"speech", "stance", "document"}))
    assert everything["predicted"] == speech["predicted"] + 2
    assert everything["at_0.3"]["precision"] < speech["at_0.3"]["precision"]


def test_a_missed_quote_and_a_wrong_speaker(record, tmp_path):
    wrong_speaker = dict(GOLD_QUOTES[0], speaker_index=_range("Western analysts"))
    unsaid = {"quote_index": _range("the strikes damaged two bridges"), "speaker_index": ""}
    scores = score_quotes(read_gold(_gold(tmp_path / "gold", [wrong_speaker, unsaid])), [record])
    assert scores["at_0.3"]["recall"] == 50.0  # the document is not a quote
    assert scores["speaker_accuracy"] == 0.0


def test_cli_reads_an_output_folder(record, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "annotations.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    gold = _gold(tmp_path / "gold", GOLD_QUOTES)
    result = CliRunner().invoke(app, ["evaluate", "quotes", str(gold), str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.splitlines()[-1])["at_0.3"]["recall"] == 100.0
    (gold / "port.json").write_text(json.dumps([{"speaker_index": "(0, 5)"}]), encoding="utf-8")
    result = CliRunner().invoke(app, ["evaluate", "quotes", str(gold), str(out)])
    assert result.exit_code != 0 and "no quote_index" in result.output
