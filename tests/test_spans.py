"""The learned span extractor: training on a tiny hand-made BRAT corpus, the plain-array CRF,
the shipped model on real sentences, and its dev figures where ../shared is present."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from attribution.attribute.crf import CRF
from attribution.attribute.learned import (
    CONFIG_FILE,
    DEFAULT_DIR,
    SpanModel,
    spans_from_bio,
)
from attribution.cli import app
from attribution.document import Article
from attribution.evaluate.polnear import evaluate_polnear
from attribution.pipeline import Pipeline
from tests.conftest import shared_path

ARTICLES = {
    "a1": ("The mayor said that the bridge will reopen in May. Officials added that repairs cost $2 million.\n"
           "“We are proud of the crews,” the governor said."),
    "a2": ("According to the police, the suspect fled on foot. A spokeswoman told reporters that the road was closed.\n"
           "Residents said they heard two shots."),
}
# (article, source, cue, content) as a PolNeAR annotator marks them.
GOLD = [
    ("a1", "The mayor", "said", "the bridge will reopen in May"),
    ("a1", "Officials", "added", "repairs cost $2 million"),
    ("a1", "the governor", "said", "We are proud of the crews"),
    ("a2", "the police", "According to", "the suspect fled on foot"),
    ("a2", "A spokeswoman", "told", "the road was closed"),
    ("a2", "Residents", "said", "they heard two shots"),
]


def write_brat(root: Path) -> Path:
    for split in ("train", "dev"):
        (root / split / "text").mkdir(parents=True)
        (root / split / "attributions").mkdir()
        for name, text in ARTICLES.items():
            (root / split / "text" / f"{name}.txt").write_text(text, encoding="utf-8")
            lines, number = [], 0
            for article, source, cue, content in GOLD:
                if article != name:
                    continue
                refs = []
                for role, words in (("Source", source), ("Cue", cue), ("Content", content)):
                    number += 1
                    start = text.index(words)
                    lines.append(f"T{number}\t{role} {start} {start + len(words)}\t{words}")
                    refs.append(f"{role}:T{number}")
                lines.append(f"E{number}\tAttribution:T{number} {' '.join(refs)}")
            (root / split / "attributions" / f"{name}_0abc.ann").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def test_train_spans_on_a_tiny_corpus_writes_model_card_and_weights(tmp_path: Path) -> None:
    pytest.importorskip("pycrfsuite", reason="training needs python-crfsuite (pip install -e '.[train]')")
    corpus = write_brat(tmp_path / "polnear")
    out = tmp_path / "model"
    result = CliRunner().invoke(app, ["train", "spans", "--polnear", str(corpus), "--out", str(out),
                                      "--parses", str(tmp_path / "parses"), "--iterations", "30", "--no-taggers"])
    assert result.exit_code == 0, result.output
    for name in ("cue_crf.npz", "role_crf.npz", CONFIG_FILE, "MODEL_CARD.md"):
        assert (out / name).exists()
    card = (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "attribution train spans" in card and "sha256" in card and "| attribution |" in card
    config = json.loads((out / CONFIG_FILE).read_text(encoding="utf-8"))
    assert config["data"]["attributions"] == len(GOLD)
    # Trained and tested on the same six attributions, the model finds most of them again.
    scores = evaluate_polnear(corpus / "dev", Pipeline(formats=(), spans=str(out), only="model"), workers=1)
    assert scores["cue"]["exact"][2] >= 50
    # The same data and settings give the same weights.
    again = tmp_path / "again"
    CliRunner().invoke(app, ["train", "spans", "--polnear", str(corpus), "--out", str(again),
                             "--parses", str(tmp_path / "parses"), "--iterations", "30", "--no-taggers"])
    for name in ("cue_crf.npz", "role_crf.npz"):
        first, second = CRF.load(out / name), CRF.load(again / name)
        assert first.attributes == second.attributes and np.array_equal(first.weights, second.weights)


def test_train_spans_with_the_contextual_tagger_is_reproducible_and_annotates(tmp_path: Path) -> None:
    pytest.importorskip("pycrfsuite", reason="training needs python-crfsuite (pip install -e '.[train]')")
    pytest.importorskip("peft", reason="training the tagger needs peft (pip install -e '.[train]')")
    import torch
    from safetensors.torch import load_file

    corpus = write_brat(tmp_path / "polnear")
    runs = []
    for name in ("model", "again"):
        out = tmp_path / name
        result = CliRunner().invoke(app, ["train", "spans", "--polnear", str(corpus), "--out", str(out), "--parses",
                                          str(tmp_path / "parses"), "--iterations", "10", "--tagger-steps", "3", "--threads", "1"])
        assert result.exit_code == 0, result.output
        runs.append({name: load_file(out / f"{name}.safetensors") for name in ("tagger", "role_tagger")})
    for name, first in runs[0].items():
        second = runs[1][name]
        assert first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)
    out = tmp_path / "model"
    card = (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "| tagger.safetensors |" in card and "| role_tagger.safetensors |" in card
    logs = json.loads((out / CONFIG_FILE).read_text(encoding="utf-8"))["tagger_training"]
    assert logs["tagger"]["steps"] == logs["role_tagger"]["steps"] == 3
    model = SpanModel.load(out)
    assert model.tagger is not None and model.role_tagger is not None
    # Three steps teach them little, but whole articles go through both taggers.
    scores = evaluate_polnear(corpus / "dev", Pipeline(formats=(), spans=str(out), only="model"), workers=1)
    assert scores["articles"] == len(ARTICLES)


def test_crf_decodes_like_crfsuite(tmp_path: Path) -> None:
    pycrfsuite = pytest.importorskip("pycrfsuite", reason="needs python-crfsuite to train a reference model")
    trainer = pycrfsuite.Trainer(verbose=False)
    data = [(["w=he", "w=said", "w=that", "w=it", "w=rained"], ["O", "B", "O", "O", "O"]),
            (["w=she", "w=has", "w=said", "w=no"], ["O", "B", "I", "O"])]
    for words, labels in data:
        trainer.append([[w, "bias"] for w in words], labels)
    trainer.set_params({"max_iterations": 50, "feature.possible_transitions": True})
    trainer.train(str(tmp_path / "m.crfsuite"))
    tagger = pycrfsuite.Tagger()
    tagger.open(str(tmp_path / "m.crfsuite"))
    crf = CRF.from_crfsuite(tagger.info())
    crf.save(tmp_path / "m.npz")
    loaded = CRF.load(tmp_path / "m.npz")
    for words in (["w=they", "w=has", "w=said", "w=so"], ["w=he", "w=said", "w=no"]):
        rows = [[w, "bias"] for w in words]
        assert loaded.tag(rows) == tagger.tag(rows)
    assert np.load(tmp_path / "m.npz", allow_pickle=False)["weights"].dtype == np.float16


def test_spans_from_bio_starts_a_run_at_a_stray_inside_label() -> None:
    assert spans_from_bio(["O", "B", "I", "O", "I", "B"], 10) == [[11, 12], [14], [15]]


needs_model = pytest.mark.skipif(not (DEFAULT_DIR / CONFIG_FILE).exists(), reason="no span model in models/spans")


@needs_model
def test_shipped_model_finds_cues_the_rules_lexicon_lacks() -> None:
    """PolNeAR counts stances ("called X a disaster", "criticized") as attributions, and its cues
    keep their auxiliaries ("has said")."""
    texts = ["Trump called the deal a disaster during a rally in Ohio.",
             "Clinton has said she will not raise taxes on the middle class.",
             "The governor criticized the plan, arguing that it would raise costs."]
    results = Pipeline(formats=(), only="model").annotate([Article(str(n), text) for n, text in enumerate(texts)])
    found = {(a["source"]["text"] if a["source"] else None, a["cue"]["text"], a["content"][0]["text"])
             for result in results for a in result.record["attributions"]}
    assert any(source == "Trump" and cue == "called" and content.startswith("the deal") for source, cue, content in found)
    assert ("Clinton", "has said", "she will not raise taxes on the middle class") in found
    assert any(source == "The governor" and cue == "criticized" for source, cue, _ in found)


@needs_model
def test_shipped_model_card_matches_the_weights() -> None:
    import hashlib

    card = (DEFAULT_DIR / "MODEL_CARD.md").read_text(encoding="utf-8")
    files = ["cue_crf.npz", "role_crf.npz", "tagger.safetensors", "tagger.json", "role_tagger.safetensors", "role_tagger.json"]
    for name in [*files, CONFIG_FILE]:
        assert hashlib.sha256((DEFAULT_DIR / name).read_bytes()).hexdigest() in card
    assert sum((DEFAULT_DIR / name).stat().st_size for name in files) < 15_000_000
    model = SpanModel.load()
    assert model.tagger is not None and model.role_tagger is not None


def test_the_parse_completes_a_cut_content_and_finds_a_shared_subject() -> None:
    from attribution.attribute.features import ArticleView
    from attribution.attribute.learned import _shared_subject, _whole_constituents
    from attribution.parse.spacy_backend import SpacyParser

    text = ("Police dispersed the crowd on Sunday and said a curfew would continue. The mayor criticized the plan to close the bridge. "
            "The governor hit back on Monday, saying the bridge would stay open.")
    article = next(SpacyParser().parse([Article("t", text)]))
    view = ArticleView(article)
    index = {t.text: t.i for t in article.tokens}
    words = lambda ids: " ".join(article.tokens[i].text for i in ids)
    assert words(_shared_subject(view, [index["said"]], set())) == "Police"
    assert _shared_subject(view, [index["criticized"]], set()) == []  # not coordinated: the tagger's call
    assert words(_shared_subject(view, [index["saying"]], set())) == "The governor"  # a participle's
    cut = [index["plan"] - 1, index["plan"]]  # "the plan", as a role tagger may stop
    assert words(_whole_constituents(view, [index["criticized"]], cut, {index["mayor"]})) == "the plan to close the bridge"


@needs_model
@pytest.mark.shared
def test_dev_figures_on_ten_polnear_articles(tmp_path: Path) -> None:
    dev = shared_path("data", "polnear", "dev")
    subset = tmp_path / "dev"
    (subset / "text").mkdir(parents=True)
    (subset / "attributions").mkdir()
    for path in sorted((dev / "text").glob("*.txt"))[:10]:
        (subset / "text" / path.name).symlink_to(path)
        for ann in (dev / "attributions").glob(f"{path.stem}_*.ann"):
            (subset / "attributions" / ann.name).symlink_to(ann)
    scores = evaluate_polnear(subset, Pipeline(formats=(), only="model"), workers=1)
    assert scores["attribution"][2] >= 50
    assert scores["cue"]["exact"][2] >= 50


def test_the_parse_completes_a_cut_source_and_the_quote_a_cue_follows() -> None:
    from attribution.attribute.features import ArticleView
    from attribution.attribute.learned import _holds_edge, _whole_source
    from attribution.parse.spacy_backend import SpacyParser

    text = ('"Putin will try to seize all the territory he can, up to the outskirts of Kyiv. The Russians will make '
            'every effort to get everything they can," said the second US official. '
            'Ukrainian President Volodymyr Zelensky revealed the plan on Monday. He said: "We will hold. They will not pass."')
    article = next(SpacyParser().parse([Article("t", text)]))
    view = ArticleView(article)
    ids = lambda phrase: [t.i for t in article.tokens if text.index(phrase) <= t.start < text.index(phrase) + len(phrase)]
    words = lambda chosen: " ".join(article.tokens[i].text for i in chosen)
    cut = ids("President Volodymyr Zelensky")
    assert words(_whole_source(view, cut, set(ids("revealed the plan on Monday")))) == "Ukrainian President Volodymyr Zelensky"
    assert words(_whole_source(view, ids("He"), set(ids("said")))) == "He"
    first_quote, second_quote = [[t.i for t in article.tokens if view.quote_of[t.i] == n] for n in (0, 1)]
    said, said_too = ids("said the")[:1], ids("said:")[:1]
    # A content cut to the quote's last sentence, the cue right after the quote: the whole quote.
    assert _holds_edge(view, first_quote, set(ids("The Russians will make every effort to get everything they can")), set(said))
    assert not _holds_edge(view, first_quote, set(ids("Putin will try")), set(said))
    # The cue before the quote: a content holding its start takes it.
    assert _holds_edge(view, second_quote, set(ids("We will hold")), set(said_too))
    assert not _holds_edge(view, second_quote, set(ids("They will not pass")), set(said_too))
