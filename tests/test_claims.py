"""Claims across articles: frames (figures, dates, stance, origin), linking, conflicts,
independence, grades, the outputs and their evaluation, on sentences of the kind the war news
holds (written for these tests)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from attribution.claims.corroborate import claims_of, copies, corroborate
from attribution.claims.dates import article_date, claim_date
from attribution.claims.frames import ClaimFrame
from attribution.claims.gold import ClaimCluster, ClaimMember, write_clusters
from attribution.claims.link import figures_conflict
from attribution.claims.quantities import Quantity
from attribution.cli import app
from attribution.document import Article
from attribution.evaluate.claims import score_clusters
from attribution.labels import sentence_hash

KURSK_A = ("Zelensky says 11,000 North Korean troops are in Kursk\n\n"
           "Ukrainian President Volodymyr Zelensky said on Sunday that 11,000 North Korean soldiers were now in Russia's Kursk region. "
           "He called on allies to respond.")
KURSK_B = ("North Korean troops arrive in Kursk\n\n"
           "About 11,000 North Korean soldiers are in the Kursk region, Ukrainian President Volodymyr Zelensky said. "
           "The troops arrived by train, according to the report.")
KURSK_C = ("Pentagon: 50,000 North Korean troops in Kursk\n\n"
           "A senior US defense official said that 50,000 North Korean troops were deployed in the Kursk region. "
           "Russia denied that any North Korean soldiers were fighting in Ukraine.")


def _frame(pipeline, text: str, sentence: int = 1, published: str = "2024-11-04") -> ClaimFrame:
    article = pipeline(Article("t", text, {"date": published}))
    return article.sentences[sentence].claim


def _quantity(pipeline, text: str) -> Quantity:
    [found] = _frame(pipeline, text, 0).quantities
    return found


@pytest.mark.parametrize("text, low, high, unit, bound", [
    ("Russia has massed more than 100,000 troops near the border.", 100_000, float("inf"), "troops", "at least"),
    ("About 11,000 North Korean soldiers are in Kursk.", 9_900, 12_100, "troops", "approximate"),
    ("Tens of thousands of troops are stationed in Belarus.", 20_000, 99_999, "troops", "vague"),
    ("Between 10,000 and 12,000 soldiers took part in the drills.", 10_000, 12_000, "troops", "range"),
    ("The war has forced 1.5 million refugees to flee.", 1_500_000, 1_500_000, "refugees", "exact"),
])
def test_figures_are_read_as_ranges_with_their_unit(pipeline, text, low, high, unit, bound) -> None:
    found = _quantity(pipeline, text)
    assert (found.unit, found.bound) == (unit, bound)
    assert found.low == pytest.approx(low) and found.high == pytest.approx(high)


def test_a_year_is_not_a_figure(pipeline) -> None:
    assert _frame(pipeline, "Russia annexed Crimea in 2014.", 0).quantities == []


def test_figures_conflict_when_they_cannot_both_be_right() -> None:
    def frame(low: float, high: float, when: date = date(2024, 11, 4)) -> ClaimFrame:
        return ClaimFrame("be", [], [], [Quantity(low, high, "troops", "x")], when, "asserts", "us_official", None, "o")

    assert figures_conflict(frame(11_000, 11_000), frame(50_000, 50_000))
    assert not figures_conflict(frame(100_000, float("inf")), frame(127_000, 127_000))  # "more than 100,000" allows 127,000
    assert not figures_conflict(frame(9_900, 12_100), frame(12_000, 12_000))  # "about 11,000" allows 12,000
    assert not figures_conflict(frame(11_000, 11_000), frame(50_000, 50_000, date(2024, 12, 20)))  # weeks apart: a change


def test_relative_dates_resolve_against_the_article_date() -> None:
    published = date(2024, 11, 4)  # a Monday
    assert claim_date("Zelensky said on Sunday that the troops had arrived.", published) == date(2024, 11, 3)
    assert claim_date("The strike came yesterday.", published) == date(2024, 11, 3)
    assert claim_date("The troops arrived on 28 October.", published) == date(2024, 10, 28)
    assert claim_date("The troops are in Kursk.", published) == published
    assert article_date("No date here.", {"date": "2024-11-04T10:00:00Z"}) == published
    assert article_date("No date here.", {}, "20241104T100000Z_US_en_abc") == published


def test_frames_carry_stance_origin_and_parties(pipeline) -> None:
    said = _frame(pipeline, KURSK_A)
    assert said.stance == "asserts" and said.origin == "zelensky" and said.speaker == "ukrainian_official"
    assert said.when == date(2024, 11, 3)  # "on Sunday", in an article of Monday 4 November
    assert said.quantities[0].unit == "troops" and said.quantities[0].low == 11_000
    denied = _frame(pipeline, KURSK_C, 2)
    assert denied.stance == "denies"


def test_questions_and_boilerplate_make_no_claim(pipeline) -> None:
    article = pipeline(Article("q", "Will Russia attack Kyiv again?\n\nRead more: the war in maps"))
    assert all(s.claim is None for s in article.sentences)


def test_copied_wording_counts_as_one_origin(pipeline) -> None:
    text = "The troops arrived in Kursk by train late on Sunday night after a long journey from the east, the agency said."
    records = [pipeline(Article(name, text)).to_record() for name in ("x", "y")]
    [a], [b] = claims_of(records[0]), claims_of(records[1])
    assert copies(a, b)


@pytest.fixture(scope="module")
def kursk(pipeline) -> list[dict]:
    records = [pipeline(Article(name, text, {"date": "2024-11-04"})).to_record()
               for name, text in (("a", KURSK_A), ("b", KURSK_B), ("c", KURSK_C))]
    rows = corroborate(records)
    return records, rows


def _sentence(records: list[dict], article: str, words: str) -> dict:
    record = next(r for r in records if r["id"] == article)
    return next(s for s in record["sentences"] if words in record["text"][s["start"] : s["end"]])


def test_the_same_claim_in_three_articles_is_one_cluster_with_its_conflict(kursk) -> None:
    records, rows = kursk
    troops = [r for r in rows if {m["article"] for m in r["members"]} >= {"a", "b", "c"}]
    assert troops, f"no cluster holds the troop figures of all three articles: {[r['claim'] for r in rows]}"
    [cluster] = troops
    values = {m["article"]: m["value"] for m in cluster["members"] if m["value"]}
    assert values.get("a") == "11,000" and values.get("c") == "50,000"
    pairs = {frozenset((cluster["members"][i]["article"], cluster["members"][j]["article"])) for i, j in cluster["conflicts"]}
    assert frozenset(("a", "c")) in pairs and frozenset(("a", "b")) not in pairs


def test_the_same_official_in_two_articles_is_one_origin_not_two(kursk) -> None:
    records, rows = kursk
    said_a = _sentence(records, "a", "11,000")["claim"]
    said_b = _sentence(records, "b", "11,000")["claim"]
    assert said_a["cluster"] == said_b["cluster"] is not None
    assert {o["article"] for o in said_a["same_origin"]} == {"b"}  # both Zelensky: one origin
    assert not said_a["agree"]
    assert said_a["status"] == "contradicted"  # the only other origin gives 50,000


def test_the_grade_says_who_contradicts(kursk) -> None:
    records, _ = kursk
    reliability = _sentence(records, "c", "50,000")["reliability"]
    assert reliability["grade"].endswith("5") and reliability["facts"]["corroboration"] == "contradicted"
    assert any("contradicted" in reason and "a (" in reason for reason in reliability["reasons"])


def test_evaluation_scores_pairs_across_articles() -> None:
    text = "One. Two. Three."
    records = [{"id": name, "text": text, "sentences": [{"id": k, "start": s, "end": e} for k, (s, e) in enumerate(((0, 4), (5, 9), (10, 16)))]}
               for name in ("a", "b", "c")]

    def member(article: str, k: int) -> ClaimMember:
        start, end = ((0, 4), (5, 9), (10, 16))[k]
        return ClaimMember(article, start, end, sentence_hash(text[start:end]), "asserts")

    gold = [ClaimCluster("g1", "one", [member("a", 0), member("b", 0), member("c", 0)], [(0, 2)]),
            ClaimCluster("g2", "two", [member("a", 1), member("b", 1)])]
    predicted = [{"members": [{"article": "a", "sentence": 0}, {"article": "b", "sentence": 0}], "conflicts": []},
                 {"members": [{"article": "a", "sentence": 1}, {"article": "c", "sentence": 2}], "conflicts": [[0, 1]]}]
    scores = score_clusters(gold, records, predicted)
    assert scores["link"]["correct"] == 1 and scores["link"]["found"] == 2 and scores["link"]["gold"] == 4
    assert scores["link"]["f1"] == pytest.approx(2 * 0.5 * 0.25 / 0.75, abs=1e-4)
    assert scores["conflict"]["found"] == 1 and scores["conflict"]["correct"] == 0
    assert scores["coverage"] == pytest.approx(3 / 5)


def test_annotate_links_a_batch_and_corroborate_and_evaluate_read_it(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name, text in (("a", KURSK_A), ("b", KURSK_B), ("c", KURSK_C)):
        (folder / f"20241104T0900Z_{name}.txt").write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    runner = CliRunner()
    result = runner.invoke(app, ["annotate", str(folder), "-o", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (out / "claims.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows and all(len({m["article"] for m in r["members"]}) >= 2 for r in rows)
    first = rows[0]["members"][0]
    page = (out / "html" / f"{first['article']}.html").read_text(encoding="utf-8")
    other = next(m for m in rows[0]["members"] if m["article"] != first["article"])
    assert f'href="{other["article"]}.html#s{other["sentence"]}"' in page
    assert "Claims across the batch" in (out / "claims.html").read_text(encoding="utf-8")
    records = [json.loads(line) for line in (out / "annotations.jsonl").read_text(encoding="utf-8").splitlines()]
    assert all(s["claim"]["status"] for r in records for s in r["sentences"] if s.get("claim"))

    (out / "claims.jsonl").unlink()
    assert runner.invoke(app, ["corroborate", str(out)]).exit_code == 0
    assert [json.loads(line) for line in (out / "claims.jsonl").read_text(encoding="utf-8").splitlines()] == rows

    texts = {r["id"]: r["text"] for r in records}
    members = [ClaimMember(m["article"], m["start"], m["end"], sentence_hash(texts[m["article"]][m["start"] : m["end"]]), m["stance"])
               for m in rows[0]["members"]]
    write_clusters(tmp_path / "gold.jsonl", [ClaimCluster("g1", "troops", members)])
    result = runner.invoke(app, ["evaluate", "claims", str(tmp_path / "gold.jsonl"), str(out), "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output.strip().splitlines()[-1])
    assert scores["link"]["recall"] == 1.0 and scores["coverage"] == 1.0


def test_evaluate_claims_names_a_folder_without_claims(tmp_path: Path) -> None:
    (tmp_path / "gold.jsonl").write_text("", encoding="utf-8")
    result = CliRunner().invoke(app, ["evaluate", "claims", str(tmp_path / "gold.jsonl"), str(tmp_path)])
    assert result.exit_code == 2 and "no annotations.jsonl" in result.output
