"""What a reader gets: one answer per sentence across the JSONL, the HTML copy, the text copy and
the Sources table; boilerplate as furniture; a palette readable by everyone; the batch view."""

from __future__ import annotations

import csv
import html
import io
import itertools
import json
import re

import jsonschema
import numpy as np
import pytest
from typer.testing import CliRunner

from attribution.cli import app
from attribution.document import schema
from attribution.render.batch import ATTRIBUTION_COLUMNS, SENTENCE_COLUMNS
from attribution.render.html import labels, speaker_words
from tests.conftest import SEEDS
from tests.test_seeds import A001, A002, sentence_with


@pytest.fixture(scope="module")
def seed_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("seed_folder")
    result = CliRunner().invoke(app, ["annotate", str(SEEDS), "-o", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    return out


def _records(folder) -> dict[str, dict]:
    return {r["id"]: r for r in map(json.loads, (folder / "annotations.jsonl").read_text(encoding="utf-8").splitlines())}


def test_one_truth_across_the_jsonl_the_html_the_text_copy_and_the_sources_table(seed_folder):
    for article_id, record in _records(seed_folder).items():
        entities = {e["id"]: e for e in record["entities"]}
        by_id = {a["id"]: a for a in record["attributions"]}
        page = (seed_folder / "html" / f"{article_id}.html").read_text(encoding="utf-8")
        lines = [line for line in (seed_folder / "text" / f"{article_id}.txt").read_text(encoding="utf-8").splitlines() if line.startswith("[S")]
        for sentence, line in zip(record["sentences"], lines):
            tag = line[1 : line.index("]")].split()
            if sentence["boilerplate"]:
                assert sentence["speaker"] is None and sentence["certainty"] is None and "reliability" not in sentence
                assert tag[1] == "boilerplate"
                continue
            label = sentence["speaker"]["label"]
            assert tag[1] == label and tag[-1] == sentence["certainty"]["label"]  # the text copy
            entity = entities.get(sentence["speaker"]["entity"] or "")
            if label == "unattributed":
                assert entity is None and sentence["attribution"] is None
            elif entity is not None:
                assert entity["label"] == label  # the Sources table's label is the sentence's
                if sentence["attribution"]:
                    assert by_id[sentence["attribution"]]["speaker"] == label
            badge = re.search(rf'id="s{sentence["id"]}".*?<span class="badge[^"]*" data-speaker="([a-z_]+)">', page, re.S)
            assert badge and badge.group(1) == label  # the HTML copy
        for entity in record["entities"]:  # every attribution of an entity says the entity's label
            assert all(a["speaker"] == entity["label"] for a in record["attributions"] if a["entity"] == entity["id"])


def test_an_unattributed_sentence_shows_no_source_or_cue(seed_folder):
    page = (seed_folder / "html" / f"{A001}.html").read_text(encoding="utf-8")
    sentence = sentence_with(_records(seed_folder)[A001], "both countries denied the allegations")
    assert sentence["speaker"]["label"] == "unattributed"
    block = re.search(rf'<span class="s [^"]*" id="s{sentence["id"]}".*?</span> ', page, re.S).group(0)
    assert 'class="src"' not in block and 'class="acue"' not in block


def test_boilerplate_is_furniture_and_valid_by_the_schema(seed_folder):
    for record in _records(seed_folder).values():
        jsonschema.validate(record, schema())
    record = _records(seed_folder)[A002]
    appeal = sentence_with(record, "Become a Patron!")
    assert appeal["boilerplate"] and appeal["speaker"] is None and appeal["certainty"] is None


def test_the_page_explains_itself_without_hovering(seed_folder):
    page = (seed_folder / "html" / f"{A001}.html").read_text(encoding="utf-8")
    title = "50,000 Russian and North Korean troops are getting ready for an attack."
    assert f"<h1>{title}</h1>" in page  # a .txt input's headline, not its file name
    for letter, words in labels()["grades"]["letters"].items():
        assert f"<b>{letter}</b> {words}" in page
    for digit, words in labels()["grades"]["digits"].items():
        assert f"<b>{digit}</b> {words}" in page
    # The speaker in words beside the sentence, the reasons in the page (shown on focus, printed).
    assert f">{speaker_words('ukrainian_military')}: A Ukrainian commander · certain" in html.unescape(page)
    assert 'tabindex="0"' in page and ".s:focus .why" in page and "@media print" in page
    assert "<th>parser</th>" in page  # provenance as a table, not raw JSON


def _linear(channel: np.ndarray) -> np.ndarray:
    channel = channel / 255
    return np.where(channel <= 0.04045, channel / 12.92, ((channel + 0.055) / 1.055) ** 2.4)


def _luminance(rgb: np.ndarray) -> float:
    return float(_linear(rgb) @ np.array([0.2126, 0.7152, 0.0722]))


def _lab(rgb: np.ndarray) -> np.ndarray:
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ _linear(rgb)
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > 216 / 24389, np.cbrt(t), (24389 / 27 * t + 16) / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


# Machado, Oliveira & Fernandes (2009), full severity, on linear RGB.
_CVD = {
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]]),
}


def _seen(rgb: np.ndarray, vision: str) -> np.ndarray:
    if vision == "normal":
        return rgb
    linear = np.clip(_CVD[vision] @ _linear(rgb), 0, 1)
    return np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055) * 255


def test_the_speaker_palette_passes_contrast_and_stays_apart_for_colour_blind_readers():
    colours = {label: np.array([int(spec["colour"][k : k + 2], 16) for k in (1, 3, 5)], dtype=float)
               for label, spec in labels()["speakers"].items() if spec["colour"]}
    text = np.array([0x1A, 0x1A, 0x1A], dtype=float)
    for label, rgb in colours.items():
        contrast = (_luminance(rgb) + 0.05) / (_luminance(text) + 0.05)
        assert contrast >= 7, f"{label}: contrast {contrast:.1f} under WCAG AAA"
    for vision in ("normal", *_CVD):
        for (a, x), (b, y) in itertools.combinations(colours.items(), 2):
            distance = float(np.linalg.norm(_lab(_seen(x, vision)) - _lab(_seen(y, vision))))
            assert distance > 9, f"{a} and {b} look alike ({distance:.1f}) with {vision}"


def test_the_batch_view_lists_every_article_source_sentence_and_attribution(seed_folder):
    records = _records(seed_folder)
    index = (seed_folder / "index.html").read_text(encoding="utf-8")
    for article_id, record in records.items():
        assert f'href="html/{article_id}.html"' in index
    assert "<svg" in index and "script-src 'sha256-" in index
    sources = (seed_folder / "sources.html").read_text(encoding="utf-8")
    assert "A Ukrainian commander" in sources and f"html/{A001}.html#s" in sources
    rows = list(csv.DictReader(io.StringIO((seed_folder / "sentences.csv").read_text(encoding="utf-8"))))
    assert tuple(rows[0]) == SENTENCE_COLUMNS
    assert len(rows) == sum(len(r["sentences"]) for r in records.values())
    attributions = list(csv.DictReader(io.StringIO((seed_folder / "attributions.csv").read_text(encoding="utf-8"))))
    assert tuple(attributions[0]) == ATTRIBUTION_COLUMNS
    assert len(attributions) == sum(len(r["attributions"]) for r in records.values())
