"""Reliability grades come from the editable policy file, with reasons in words."""

from __future__ import annotations

import pytest
import yaml
from typer.testing import CliRunner

from attribution import resources
from attribution.cli import app
from attribution.document import Article
from attribution.pipeline import Pipeline
from attribution.reliability import Policy
from tests.test_seeds import A000, A001, sentence_with

TEXT = ("A senior Ukrainian official said the bridge was destroyed. "
        "US Defense Secretary Lloyd Austin said the troops could arrive soon. "
        "The city has two bridges.")


def grades(pipeline: Pipeline, text: str = TEXT) -> list[dict]:
    [result] = pipeline.annotate([Article("policy", text)])
    return [s["reliability"] for s in result.record["sentences"]]


def test_grades_follow_source_and_hedging(seed_records):
    anonymous_relayed = sentence_with(seed_records[A000], "the first source told CNN")["reliability"]
    assert anonymous_relayed["grade"] == "D2"
    assert any("anonymous official source" in r for r in anonymous_relayed["reasons"])
    assert any("second-hand: reported via CNN" in r for r in anonymous_relayed["reasons"])
    hedged = sentence_with(seed_records[A001], "it is highly likely that these troops")["reliability"]
    assert hedged["grade"][1] == "3" and any("highly likely" in r for r in hedged["reasons"])
    own_voice = sentence_with(seed_records[A001], "North Korea, which has one of the largest militaries")["reliability"]
    assert own_voice["grade"].startswith("F") and any("own voice" in r for r in own_voice["reasons"])
    assert 0 <= hedged["score"] <= 1


def test_an_edited_policy_changes_grades(tmp_path, pipeline):
    policy = yaml.safe_load(resources.text("reliability.yaml"))
    # A user who trusts no party to the conflict: parties get E, whatever their name.
    policy["source_rules"].insert(0, {
        "when": {"speaker": ["ukrainian_official", "ukrainian_military", "russian_official", "russian_military"]},
        "letter": "E", "reason": "party to the conflict: not trusted by this desk",
    })
    next(r for r in policy["credibility_rules"] if r["when"] == {"hedge": "epistemic"})["digit"] = 5
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(policy), encoding="utf-8")
    before = grades(pipeline)
    edited = Pipeline(policy=str(path))
    after = grades(edited)
    assert before[0]["grade"] == "D2" and after[0]["grade"] == "E2"
    assert "party to the conflict: not trusted by this desk" in after[0]["reasons"]
    assert before[1]["grade"] == "B3" and after[1]["grade"] == "B5"
    assert edited.provenance["reliability_policy"].startswith(str(path))


# (sentence, grade, words a reason names): the digit rates the report, not the speaker's stance.
CREDIBILITY = [
    ("A senior US official told Reuters that a ceasefire was unlikely.", "D2", "'unlikely'"),
    ("Russia denied that its troops had crossed the border.", "C2", "'denied'"),
    ("If Russia attacks, there will be war, Lukashenko said.", "B3", "'If'"),
    ("US Defense Secretary Lloyd Austin said the troops could arrive within days.", "B3", "'could'"),
    ("US Defense Secretary Lloyd Austin confirmed that the troops arrived via Vladivostok.", "B2", "stated as fact"),
]


@pytest.mark.parametrize("text,grade,reason", CREDIBILITY, ids=[c[0][:40] for c in CREDIBILITY])
def test_the_digit_rates_the_report_and_the_reason_names_the_deciding_words(pipeline, text, grade, reason):
    sentence = pipeline(text).sentences[0]
    assert sentence.reliability.grade == grade, sentence.reliability.reasons
    assert any(reason in r for r in sentence.reliability.reasons)
    assert not any("(said)" in r or "(According to)" in r for r in sentence.reliability.reasons)


def test_every_rule_of_the_policy_has_an_example_and_a_reason():
    policy = yaml.safe_load(resources.text("reliability.yaml"))
    for group in ("source_rules", "source_adjustments", "credibility_rules"):
        for rule in policy[group]:
            assert rule["reason"] and rule["example"], rule


def test_a_broken_policy_is_refused_with_a_clear_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("source_rules: []\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a reliability policy"):
        Policy.load(path)
    result = CliRunner().invoke(app, ["annotate", str(tmp_path), "-o", str(tmp_path / "out"), "--policy", str(path)])
    assert result.exit_code == 2 and "not a reliability policy" in result.output


def test_stanza_without_models_stops_with_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("STANZA_RESOURCES_DIR", str(tmp_path / "none"))
    result = CliRunner().invoke(app, ["annotate", str(tmp_path), "-o", str(tmp_path / "out"), "--parser", "stanza"])
    assert result.exit_code == 2
    assert "attribution setup stanza" in result.output
