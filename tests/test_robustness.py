"""Hard inputs never crash an article: unbalanced and mixed quote marks, quotes across
paragraphs, '― Name' signatures, 'From X:' lead-ins, very long sentences."""

from __future__ import annotations

import pytest

from attribution.document import Article
from attribution.pipeline import Annotated, Pipeline

HARD = {
    "unbalanced": 'He said "we will win the vote. Nobody here doubts it, the chairman added.\n\nThe vote is on Tuesday.',
    "mixed_marks": "“We will not retreat,\" the commander said. 'Never,’ she added. «Quiet» is all we ask, he wrote.",
    "across_paragraphs": ("“The first part of the statement runs on.\n\n“The second part goes on after a break.\n\n"
                          "“And the last part ends here,” the mayor said."),
    "dash_signature": "“Donald Trump scares me. He makes me fearful.” ― Krystal Correa\n\n“I am ashamed.”― Carla Sanchez.",
    "lead_in": 'From the Kremlin: "Nothing has changed in our position." From Kyiv:\n\nSources: officials, residents.',
    "colon_only": ":\n\n“\n\n―\n\n— ,",
}


@pytest.fixture(scope="module")
def hard_records(pipeline: Pipeline) -> dict[str, dict]:
    articles = [Article(name, text) for name, text in HARD.items()]
    long_sentence = " ".join(["the official said that the army"] + ["and the navy"] * 3000) + " will win."
    articles.append(Article("long_sentence", long_sentence))
    results = pipeline.annotate(articles)
    failed = [r for r in results if not isinstance(r, Annotated)]
    assert not failed, failed
    return {r.article_id: r.record for r in results}


def test_every_hard_article_is_annotated_with_valid_offsets(hard_records: dict[str, dict]) -> None:
    for record in hard_records.values():
        text = record["text"]
        for attribution in record["attributions"]:
            for span in [attribution["cue"], *attribution["content"], *([attribution["source"]] if attribution["source"] else [])]:
                assert 0 <= span["start"] < span["end"] <= len(text)
                assert text[span["start"] : span["end"]] == span["text"]


def found(record: dict) -> set[tuple[str | None, str]]:
    return {(a["source"]["text"] if a["source"] else None, a["cue"]["text"]) for a in record["attributions"]}


def test_dash_signatures_name_the_speaker_of_the_quote(hard_records: dict[str, dict]) -> None:
    record = hard_records["dash_signature"]
    by_source = {a["source"]["text"]: a for a in record["attributions"] if a["source"]}
    assert by_source["Krystal Correa"]["cue"]["text"] == "―"
    assert by_source["Krystal Correa"]["content"][0]["text"] == "Donald Trump scares me. He makes me fearful"
    assert "I am ashamed" in by_source["Carla Sanchez"]["content"][0]["text"]


def test_quote_across_paragraphs_goes_to_the_speaker(hard_records: dict[str, dict]) -> None:
    (quote,) = [a for a in hard_records["across_paragraphs"]["attributions"] if a["cue"]["text"] == "said"]
    assert quote["source"]["text"] == "the mayor"
    assert "And the last part ends here" in " ".join(c["text"] for c in quote["content"])


def test_mixed_quote_marks_keep_each_speaker(hard_records: dict[str, dict]) -> None:
    assert ("the commander", "said") in found(hard_records["mixed_marks"])


def test_a_long_sentence_keeps_its_attribution(hard_records: dict[str, dict]) -> None:
    assert ("the official", "said") in found(hard_records["long_sentence"])
