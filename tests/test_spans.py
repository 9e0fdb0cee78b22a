"""The learned span model: training on a tiny hand-made BRAT corpus, the shipped model on real
sentences, the parse's boundary rules, and its dev figures where ../shared is present."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from attribution import resources
from attribution.attribute.spans import CONFIG_FILE, SpanModel, spans_from_bio
from attribution.cli import app
from attribution.document import Article
from attribution.evaluate.polnear import evaluate_polnear
from attribution.parse.tree import ParseIndex
from attribution.pipeline import Pipeline
from tests.conftest import shared_path

SHIPPED = resources.model_folder("spans")

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


@pytest.mark.slow
def test_train_spans_on_a_tiny_corpus_is_reproducible_and_annotates(tmp_path: Path) -> None:
    pytest.importorskip("peft", reason="training the taggers needs peft (pip install -e '.[train]')")
    import torch
    from safetensors.torch import load_file

    corpus = write_brat(tmp_path / "polnear")
    runs = []
    for name in ("model", "again"):
        out = tmp_path / name
        result = CliRunner().invoke(app, ["train", "spans", "--polnear", str(corpus), "--out", str(out), "--parses",
                                          str(tmp_path / "parses"), "--tagger-steps", "3", "--threads", "1"])
        assert result.exit_code == 0, result.output
        runs.append({name: load_file(out / f"{name}.safetensors") for name in ("tagger", "role_tagger")})
        runs[-1]["content_edges"] = (out / "content_edges.json").read_text(encoding="utf-8")
    assert runs[0].pop("content_edges") == runs[1].pop("content_edges")
    for name, first in runs[0].items():
        second = runs[1][name]
        assert first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)
    out = tmp_path / "model"
    card = (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "attribution train spans" in card and "| tagger.safetensors |" in card and "| role_tagger.safetensors |" in card
    assert "| attribution |" in card and "| content_edges.json |" in card and "`content_edges`:" in card
    config = json.loads((out / CONFIG_FILE).read_text(encoding="utf-8"))
    assert config["data"]["attributions"] == len(GOLD)
    assert config["tagger_training"]["tagger"]["steps"] == config["tagger_training"]["role_tagger"]["steps"] == 3
    model = SpanModel.load(out)
    assert model.tagger is not None and model.role_tagger is not None and model.edges is not None
    # Three steps teach them little, but whole articles go through both taggers.
    scores = evaluate_polnear(corpus / "dev", Pipeline(spans=str(out), only="model"), workers=1)
    assert scores["articles"] == len(ARTICLES)


REVIEWED_TEXT = ("The ministry said on Friday that the convoy had reached the port.\n\n"
                 "Talks resumed, a spokesman announced, after a pause of two weeks.\n")


def _reviewed_labels(tmp_path: Path) -> tuple[Path, Path]:
    """A corpus folder with one article and labels of its two sentences: the second corrected."""
    from attribution.labels import SentenceLabel, sentence_hash, write_labels

    texts = tmp_path / "texts"
    texts.mkdir()
    (texts / "r1.txt").write_text(REVIEWED_TEXT, encoding="utf-8")
    first_end = REVIEWED_TEXT.index("\n")
    second = REVIEWED_TEXT.index("Talks")

    def at(words: str) -> tuple[int, int]:
        start = REVIEWED_TEXT.index(words)
        return start, start + len(words)

    sentences = [(0, first_end, None, [], None), (second, len(REVIEWED_TEXT) - 1, at("announced"),
                                                  [at("Talks resumed"), at("after a pause of two weeks")], at("a spokesman"))]
    labels = [SentenceLabel("r1", start, end, sentence_hash(REVIEWED_TEXT[start:end]), "other_official", "certain", source=source,
                            named=False if source else None, cue=cue, content=content, annotator="ann")
              for start, end, cue, content, source in sentences]
    path = tmp_path / "reviewed.jsonl"
    write_labels(path, labels)
    return path, texts


def test_reviewed_spans_become_one_sentence_training_articles(tmp_path: Path) -> None:
    from attribution.train.spans import reviewed_attributions

    labels, texts = _reviewed_labels(tmp_path)
    [article] = reviewed_attributions([labels], texts)  # the first label has no cue: nothing to learn from it
    assert article.text == "Talks resumed, a spokesman announced, after a pause of two weeks."
    [gold] = article.attributions
    assert [article.text[s:e] for s, e in gold.cue] == ["announced"]
    assert [article.text[s:e] for s, e in gold.content] == ["Talks resumed", "after a pause of two weeks"]
    assert [article.text[s:e] for s, e in gold.source] == ["a spokesman"]
    (texts / "r1.txt").write_text(REVIEWED_TEXT.replace("Talks", "Taiks"), encoding="utf-8")
    assert reviewed_attributions([labels], texts) == []  # the text changed since: its labels are not applied
    (texts / "r1.txt").unlink()
    with pytest.raises(FileNotFoundError, match="r1.txt"):
        reviewed_attributions([labels], texts)


@pytest.mark.slow
def test_train_spans_with_reviewed_labels_reports_dev_before_and_after(tmp_path: Path) -> None:
    pytest.importorskip("peft", reason="training the taggers needs peft (pip install -e '.[train]')")
    corpus = write_brat(tmp_path / "polnear")
    labels, texts = _reviewed_labels(tmp_path)
    out = tmp_path / "model"
    result = CliRunner().invoke(app, ["train", "spans", "--polnear", str(corpus), "--out", str(out), "--tagger-steps", "2",
                                      "--threads", "1", "--labels", str(labels), "--corpus", str(texts)])
    assert result.exit_code == 0, result.output
    printed = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [next(iter(row)) for row in printed] == ["before", "after"]
    assert {"source", "cue", "content", "attribution"} <= set(printed[1]["after"])
    config = json.loads((out / CONFIG_FILE).read_text(encoding="utf-8"))
    assert config["data"]["reviewed_sentences"] == 1 and config["data"]["attributions"] == len(GOLD) + 1
    assert "1 reviewed sentences" in (out / "MODEL_CARD.md").read_text(encoding="utf-8")


def test_spans_from_bio_starts_a_run_at_a_stray_inside_label() -> None:
    assert spans_from_bio(["O", "B", "I", "O", "I", "B"], 10) == [[11, 12], [14], [15]]


def test_shipped_model_finds_cues_the_rules_lexicon_lacks() -> None:
    """PolNeAR counts stances ("called X a disaster", "criticized") as attributions, and its cues
    keep their auxiliaries ("has said")."""
    texts = ["Trump called the deal a disaster during a rally in Ohio.",
             "Clinton has said she will not raise taxes on the middle class.",
             "The governor criticized the plan, arguing that it would raise costs."]
    results = Pipeline(only="model").annotate([Article(str(n), text) for n, text in enumerate(texts)])
    found = {(a["source"]["text"] if a["source"] else None, a["cue"]["text"], a["content"][0]["text"])
             for result in results for a in result.record["attributions"]}
    assert any(source == "Trump" and cue == "called" and content.startswith("the deal") for source, cue, content in found)
    assert ("Clinton", "has said", "she will not raise taxes on the middle class") in found
    assert any(source == "The governor" and cue == "criticized" for source, cue, _ in found)


def test_shipped_model_card_matches_the_weights() -> None:
    import hashlib

    card = (SHIPPED / "MODEL_CARD.md").read_text(encoding="utf-8")
    files = ["tagger.safetensors", "tagger.json", "role_tagger.safetensors", "role_tagger.json"]
    for name in [*files, CONFIG_FILE]:
        assert hashlib.sha256((SHIPPED / name).read_bytes()).hexdigest() in card
    # The project's budget: every shipped model together under 25 MB (the taggers' two full
    # layers each are most of it).
    assert sum(path.stat().st_size for path in SHIPPED.parent.rglob("*") if path.is_file()) < 25_000_000


def test_a_folder_without_a_span_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not a span model"):
        SpanModel.load(tmp_path)


def test_the_parse_completes_a_cut_content_and_finds_a_shared_subject() -> None:
    from attribution.attribute.spans import _shared_subject, _whole_constituents
    from attribution.parse.spacy_backend import SpacyParser

    text = ("Police dispersed the crowd on Sunday and said a curfew would continue. The mayor criticized the plan to close the bridge. "
            "The governor hit back on Monday, saying the bridge would stay open.")
    article = next(SpacyParser().parse([Article("t", text)]))
    view = ParseIndex(article)
    index = {t.text: t.i for t in article.tokens}
    words = lambda ids: " ".join(article.tokens[i].text for i in ids)
    assert words(_shared_subject(view, [index["said"]], set())) == "Police"
    assert _shared_subject(view, [index["criticized"]], set()) == []  # not coordinated: the tagger's call
    assert words(_shared_subject(view, [index["saying"]], set())) == "The governor"  # a participle's
    cut = [index["plan"] - 1, index["plan"]]  # "the plan", as a role tagger may stop
    assert words(_whole_constituents(view, [index["criticized"]], cut, {index["mayor"]})) == "the plan to close the bridge"


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
    scores = evaluate_polnear(subset, Pipeline(only="model"), workers=1)
    assert scores["attribution"][2] >= 50
    assert scores["cue"]["exact"][2] >= 50


def test_the_parse_completes_a_cut_source_and_the_quote_a_cue_follows() -> None:
    from attribution.attribute.spans import _holds_edge, _whole_source
    from attribution.parse.spacy_backend import SpacyParser

    text = ('"Putin will try to seize all the territory he can, up to the outskirts of Kyiv. The Russians will make '
            'every effort to get everything they can," said the second US official. '
            'Ukrainian President Volodymyr Zelensky revealed the plan on Monday. He said: "We will hold. They will not pass."')
    article = next(SpacyParser().parse([Article("t", text)]))
    view = ParseIndex(article)
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



@pytest.mark.slow
def test_a_tagger_with_its_top_layer_trained_in_full_loads_as_it_was_trained(tmp_path: Path) -> None:
    pytest.importorskip("peft", reason="training the taggers needs peft (pip install -e '.[train]')")
    import dataclasses
    import shutil

    import torch
    from safetensors.torch import load_file, save_file

    from attribution.attribute.tagger import SENTENCE_TAGGER, TokenTagger, WordPieces, collate, encode, sentence_windows
    from attribution.encoder import load_tokenizer
    from attribution.encoder.lora import FULL_PREFIX
    from attribution.train.spans import parsed_corpus
    from attribution.train.taggers import TaggerRecipe, save_tagger, train_tagger

    corpus = parsed_corpus(write_brat(tmp_path / "polnear") / "train", Pipeline(only="rules"), None)
    config = dataclasses.replace(SENTENCE_TAGGER, lora=dataclasses.replace(SENTENCE_TAGGER.lora, full_layers=1))
    # A large rate for the full layer, so that three steps move it visibly.
    trained, _ = train_tagger(corpus, TaggerRecipe(max_steps=3, batch_size=2, full_learning_rate=0.01), config)
    save_tagger(trained, tmp_path / "model")
    weights = tmp_path / "model" / config.files[0]
    saved = load_file(weights)
    full = [k for k in saved if k.startswith(FULL_PREFIX)]
    # Every weight of the top of the three layers (attention, feed-forward, layer norms), and only it.
    assert f"{FULL_PREFIX}encoder.layer.2.output.LayerNorm.weight" in full
    assert f"{FULL_PREFIX}encoder.layer.2.attention.self.query.weight" in full
    assert all(k.startswith(f"{FULL_PREFIX}encoder.layer.2.") for k in full)

    tokenizer = load_tokenizer()
    article = corpus[0][1]
    pieces = WordPieces.of(tokenizer, article)
    batch = collate([encode(tokenizer, pieces, w, config.max_length) for w in sentence_windows(article, article.sentences, 480)])
    shutil.copytree(tmp_path / "model", tmp_path / "adapters only")
    save_file({k: v for k, v in saved.items() if k not in full}, str(tmp_path / "adapters only" / config.files[0]))
    with torch.no_grad():
        expected = trained.eval()(batch)
        assert torch.allclose(TokenTagger.load(tmp_path / "model", config.name)(batch), expected, atol=0.02)
        # Without the full layer's weights the tagger is another one.
        assert not torch.allclose(TokenTagger.load(tmp_path / "adapters only", config.name)(batch), expected, atol=0.02)


@pytest.mark.slow
def test_a_tagger_with_a_cue_crf_trains_its_transitions_and_decodes_with_them_after_loading(tmp_path: Path) -> None:
    pytest.importorskip("peft", reason="training the taggers needs peft (pip install -e '.[train]')")
    import dataclasses

    import torch

    from attribution.attribute.tagger import SENTENCE_TAGGER, Tagger, TokenTagger, WordPieces, sentence_windows
    from attribution.encoder import load_tokenizer
    from attribution.train.spans import parsed_corpus
    from attribution.train.taggers import TaggerRecipe, save_tagger, train_tagger

    corpus = parsed_corpus(write_brat(tmp_path / "polnear") / "train", Pipeline(only="rules"), None)
    config = dataclasses.replace(SENTENCE_TAGGER, crf=["cue"])
    trained, _ = train_tagger(corpus, TaggerRecipe(max_steps=3, batch_size=2, head_learning_rate=0.05), config)
    assert float(trained.transitions.abs().sum()) > 0.1  # trained from zeros
    save_tagger(trained, tmp_path / "model")
    loaded = TokenTagger.load(tmp_path / "model", config.name)
    assert torch.allclose(loaded.transitions, trained.transitions, atol=1e-3)
    assert torch.allclose(loaded.start, trained.start, atol=1e-3)

    tagger = Tagger(loaded, bfloat16=False)
    article = corpus[0][1]
    window_scores = tagger.scores(article, WordPieces.of(tagger.tokenizer, article), sentence_windows(article, article.sentences, tagger.max_chars))
    # Decoding follows the loaded transitions: made to open every window on B and go on with I,
    # then to forbid an I.
    with torch.no_grad():
        loaded.transitions.zero_()
        loaded.transitions[0, 1, 2] = 1e4
        loaded.start[0, 1] = 1e4
    assert all(tagger.labels(scores, "cue")[:2] == ["B", "I"] for scores in window_scores if len(scores) > 1)
    with torch.no_grad():
        loaded.transitions[0, :, 2] = -1e4
    assert all("I" not in tagger.labels(scores, "cue") for scores in window_scores)
