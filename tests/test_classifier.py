"""The sentence classifier: corpus readers, model inputs, training, calibration, the shipped model."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from attribution import resources
from attribution.classify.inputs import CUE_MARKS, SOURCE_MARKS, Context, sentence_input
from attribution.classify.labeler import ModelLabeler
from attribution.cli import app
from attribution.corpora.public import examples, read_factuality, read_hedging, read_pei, unit_to_pei
from attribution.corpora.war_news import input_pipeline
from attribution.document import Article
from attribution.evaluate.classifier import expected_calibration_error
from attribution.train.classifier import fit_temperature
from tests.conftest import SEEDS


def test_factuality_reader_maps_token_spans_to_characters(tmp_path):
    path = tmp_path / "dev.jsonl"
    row = {"text": "Officials said the convoy might have been destroyed .",
           "targets": [{"span1": [1, 2], "label": 3.0}, {"span1": [7, 8], "label": 0.8}]}
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    [example] = examples(read_factuality(path, dataset=1))
    assert [example.text[s:e] for s, e in example.predicates] == ["said", "destroyed"]
    assert example.factuality == [3.0, 0.8] and example.dataset == 1


def test_factuality_reader_names_the_bad_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "a b", "targets": [{"span1": [5, 6], "label": 1}]}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="bad.jsonl:1"):
        read_factuality(path)


def test_pei_and_hedging_readers(tmp_path):
    pei = tmp_path / "pei.jsonl"
    pei.write_text("\n".join(json.dumps({"finding": f, "sentence-level-certainty": v, "split": s}) for f, v, s in [
        ("Vaccines may reduce transmission.", 3.0, "train"), ("The drug cured all patients.", 6.0, "val")]) + "\n")
    [val] = examples(read_pei(pei, {"val"}))
    assert val.score == 1.0 and unit_to_pei(val.score) == 6.0
    conll = tmp_path / "conll.csv"
    conll.write_text('\ufeff"1","Paris is the capital of France."\n"-1","It is widely believed that he was born in 1901."\n')
    assert [e.hedged for e in examples(read_hedging(conll))] == [0, 1]
    assert len(read_hedging(conll, "dev")) + len(read_hedging(conll, "train")) == 2


def _seed_article(stem_prefix: str) -> Article:
    """A seed article as the classifier's inputs are built from it: annotated up to the rules' labels."""
    path = next(SEEDS.glob(f"{stem_prefix}*.txt"))
    return input_pipeline()(Article(path.stem, path.read_text(encoding="utf-8")))


def test_input_marks_source_and_cue_and_keeps_the_predicate():
    article = _seed_article("001")
    sentence = next(s for s in article.sentences if "informed CNN" in article.text[s.start : s.end])
    text, context, (start, end) = sentence_input(article, sentence)
    assert f"{SOURCE_MARKS[0]}A Ukrainian commander{SOURCE_MARKS[1]}" in text
    assert f"{CUE_MARKS[0]}informed{CUE_MARKS[1]}" in text
    assert text[start:end] == "informed"  # the root predicate, found again after the marks
    assert context.startswith("speaker: ") and "ukrainian military" in context
    assert "Ukrainian government" in context  # the end of the previous sentence


def test_context_can_carry_the_article_lead():
    article = _seed_article("001")
    first, later = article.sentences[0], article.sentences[5]
    lead = " ".join(article.text[first.start : first.start + 40].split())
    _, context, _ = sentence_input(article, later, Context(lead_chars=40, previous_chars=0))
    hint, carried = context.split(" ; ")
    assert hint.startswith("speaker: ") and carried == lead
    _, context, _ = sentence_input(article, first, Context(lead_chars=40, previous_chars=100))
    assert context.split(" ; ")[1:] == ["", ""]  # the lead itself has neither lead nor previous sentence


def test_context_can_name_the_leads_speaker_in_a_few_words():
    """"NYT: North Korean forces mass ...": the later sentences learn whose report the article is."""
    article = _seed_article("002")
    context = Context(previous_chars=0, lead_speaker=True)
    [headline, *_] = article.sentences
    later = next(s for s in article.sentences if "significant escalation" in article.text[s.start : s.end])
    assert sentence_input(article, later, context)[1].split(" ; ")[1] == "lead: NYT (media)"
    assert sentence_input(article, headline, context)[1].split(" ; ")[1] == "lead: none"  # nothing before it


def test_temperature_fitting_softens_overconfident_logits():
    rng = np.random.default_rng(0)
    gold = rng.integers(0, 3, 600)
    logits = rng.normal(size=(600, 3))
    logits[np.arange(600), gold] += 1.0  # right more often than not ...
    logits *= 6  # ... but far too sure of itself
    temperature = fit_temperature(logits, gold)
    assert temperature > 2
    before = expected_calibration_error(np.exp(logits) / np.exp(logits).sum(1, keepdims=True), gold)
    scaled = np.exp(logits / temperature)
    assert expected_calibration_error(scaled / scaled.sum(1, keepdims=True), gold) < before / 2


def test_shipped_model_labels_seed_sentences():
    article = _seed_article("001")
    ModelLabeler(resources.model_folder("classifier")).label([article])
    phrases = ("A Ukrainian commander informed CNN", "it is highly likely that these troops",
               "North Korea, which has one of the largest militaries")
    by_words = {words: next(s for s in article.sentences if words in article.text[s.start : s.end]) for words in phrases}
    assert by_words["A Ukrainian commander informed CNN"].speaker.label == "ukrainian_military"
    assert by_words["it is highly likely that these troops"].certainty.label == "probable"
    assert by_words["North Korea, which has one of the largest militaries"].speaker.label == "unattributed"
    for sentence in (s for s in article.sentences if not s.boilerplate):
        assert 0 < sentence.speaker.score <= 1 and 0 < sentence.certainty.probability <= 1
        assert sentence.speaker.by.startswith("model:classifier") and -3 <= sentence.factuality <= 3


def test_evaluate_commands_print_json_last(tmp_path):
    factuality = tmp_path / "UW" / "dev.jsonl"
    factuality.parent.mkdir()
    factuality.write_text("\n".join(json.dumps({"text": t, "targets": [{"span1": [i, i + 1], "label": v}]}) for t, i, v in [
        ("The army destroyed the bridge .", 2, 3.0), ("The army may have destroyed the bridge .", 4, 1.0),
        ("The army did not destroy the bridge .", 4, -3.0)]) + "\n")
    result = CliRunner().invoke(app, ["evaluate", "factuality", str(factuality), "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output.strip().splitlines()[-1])
    assert set(scores) == {"pearson", "mae", "n"} and scores["n"] == 3
    conll = tmp_path / "conll.csv"
    conll.write_text('"1","Paris is the capital of France."\n"-1","Some believe it may be the oldest bridge."\n')
    result = CliRunner().invoke(app, ["evaluate", "hedging", str(conll), "--json"])
    scores = json.loads(result.output.strip().splitlines()[-1])
    assert {"macro_f1", "uncertain_f1", "n"} <= set(scores) and scores["n"] == 2


def test_evaluate_reports_a_missing_model_in_one_line(tmp_path):
    conll = tmp_path / "conll.csv"
    conll.write_text('"1","Paris is the capital of France."\n')
    result = CliRunner().invoke(app, ["evaluate", "hedging", str(conll), "--model", str(tmp_path / "none")])
    assert result.exit_code == 2 and "no classifier here" in result.output


def _tiny_shared(root):
    """Hand-written rows in the public corpora's formats, a few per file."""
    rows = [("The army destroyed the bridge .", 2, 3.0), ("Officials said the strike may have failed .", 6, 0.5),
            ("The minister denied that troops crossed the border .", 5, -2.0)]
    for name in ("UW", "MEANTIME", "UDS_IH2"):
        for split in ("train", "dev"):
            path = root / "factuality" / name / f"{split}.jsonl"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("".join(json.dumps({"text": t, "targets": [{"span1": [i, i + 1], "label": v}]}) + "\n" for t, i, v in rows))
    pei = root / "certainty_pei2021" / "sentence-level-certainty.jsonl"
    pei.parent.mkdir(parents=True)
    pei.write_text("".join(json.dumps({"finding": f, "sentence-level-certainty": v, "split": s}) + "\n" for f, v, s in [
        ("Exercise may improve sleep.", 3.0, "train"), ("Smoking causes cancer.", 6.0, "train"), ("Coffee might help.", 2.5, "val"),
        ("The vaccine prevents infection.", 5.5, "val")]))
    conll = root / "conll2010_wiki" / "uncertainty-conll2010-train.csv"
    conll.parent.mkdir(parents=True)
    conll.write_text("".join(f'"{label}","{text}"\n' for label, text in [
        ("1", "Paris is the capital of France."), ("-1", "Some historians believe he was born in Lyon."),
        ("1", "The river flows into the sea."), ("-1", "It is often said that the bridge is the oldest."),
        ("1", "The team won the cup in 1998."), ("-1", "The castle was probably built in the 12th century.")]))


def _seed_labels(data):
    """Labels for two sentences of each seed article; seeds 000 and 001 train, 002 dev."""
    from attribution.labels import SentenceLabel, sentence_hash, write_labels

    labels = []
    for path in sorted(SEEDS.glob("*.txt")):
        article = _seed_article(path.stem[:3])
        for sentence, speaker in zip(article.sentences[3:5], ("unattributed", "us_official")):
            text = article.text[sentence.start : sentence.end]
            labels.append(SentenceLabel(path.stem, sentence.start, sentence.end, sentence_hash(text), speaker, "certain"))
    data.mkdir()
    write_labels(data / "labels.jsonl", labels)
    stems = sorted(p.stem for p in SEEDS.glob("*.txt"))
    (data / "splits.json").write_text(json.dumps({"train": stems[:2], "dev": stems[2:], "test": []}))
    return labels


@pytest.mark.slow
def test_train_command_is_reproducible_and_writes_a_model_card(tmp_path):
    import hashlib

    import yaml

    from attribution.train.classifier import load_recipe
    from attribution.labels import write_labels

    _tiny_shared(tmp_path / "shared")
    labels = _seed_labels(tmp_path / "data")
    corrections = tmp_path / "corrections.jsonl"
    write_labels(corrections, labels[:1] + labels[-1:])  # one on a train article, one on the dev article
    # Context unlike the shipped model's: its "before" scores need inputs of its own kind.
    # Distilled from the shipped classifier too, which reads a context of its own.
    recipe = load_recipe() | {"steps": 3, "batch_size": 2, "context": {"lead_chars": 30, "previous_chars": 20},
                              "distill": {"teacher": "classifier", "temperature": 2.0}}
    recipe["tasks"] = recipe["tasks"] | {"distill": 0.3}
    (tmp_path / "recipe.yaml").write_text(yaml.safe_dump(recipe))
    hashes = []
    for run in ("a", "b"):
        out = tmp_path / f"model_{run}"
        result = CliRunner().invoke(app, ["train", "classifier", "--data", str(tmp_path / "data"), "--corpus", str(SEEDS),
                                          "--shared-data", str(tmp_path / "shared"), "--recipe", str(tmp_path / "recipe.yaml"),
                                          "--labels", str(corrections), "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert '{"before": ' in result.output and '{"after": ' in result.output
        assert json.loads((out / "config.json").read_text())["context"] == {"lead_chars": 30, "previous_chars": 20, "evidence": False,
                                                                           "before": False, "lead_speaker": False}
        digest = hashlib.sha256((out / "model.safetensors").read_bytes()).hexdigest()
        assert digest in (out / "MODEL_CARD.md").read_text()
        hashes.append(digest)
    assert hashes[0] == hashes[1]  # same seed, same data: same weights
    logged = json.loads((tmp_path / "model_a" / "training.json").read_text())
    assert logged["recipe"]["steps"] == 3
    assert logged["counts"]["train"]["news"] == 4 + 1  # the correction on the dev article is left out
    # Every sentence but page furniture of the two train seeds (002 is dev), none of the dev seed's.
    sentences = sum(not s.boilerplate for stem in ("000", "001") for s in _seed_article(stem).sentences)
    assert logged["counts"]["train"]["distill"] == sentences
    article = _seed_article("002")
    ModelLabeler(tmp_path / "model_a").label([article])
    labeled = [s for s in article.sentences if s.speaker is not None]  # boilerplate has none
    assert labeled and all(s.speaker.by.startswith("model:classifier") for s in labeled)


def test_a_classifier_of_three_layers_loads_as_it_was_trained(tmp_path):
    """A recipe's `layers` cuts the encoder the classifier trains and loads (half the time of six)."""
    pytest.importorskip("peft", reason="training the classifier needs peft (pip install -e '.[train]')")
    import torch

    from attribution.classify.model import Example, ModelConfig, MultiTaskModel, encode
    from attribution.encoder import load_tokenizer
    from attribution.encoder.lora import LoraSettings
    from attribution.encoder.lora import create as create_encoder
    from attribution.encoder.lora import save as save_adapters

    config = ModelConfig(layers=3, lora=LoraSettings(r=4, alpha=8))
    trained = MultiTaskModel(config, create_encoder(config.lora, config.layers))
    with torch.no_grad():  # adapters and heads away from their starting values, as training leaves them
        for name, parameter in trained.named_parameters():
            if parameter.requires_grad:
                parameter.add_(0.05 * torch.randn_like(parameter))
    save_adapters(trained, trained.encoder, tmp_path / "model.safetensors")
    config.write(tmp_path)
    loaded = MultiTaskModel.load(tmp_path)
    assert len(loaded.encoder.encoder.layer) == 3
    batch, _ = encode(load_tokenizer(), [Example("news", "Residents said they heard three explosions before dawn.")], 64)
    with torch.no_grad():
        expected = trained.eval()(batch)["speaker"]
        assert torch.allclose(loaded(batch)["speaker"], expected, atol=0.02)


def test_distillation_reads_no_dev_or_test_article_nor_a_copy_of_one(tmp_path):
    """A teacher's logits must not carry held-out sentences to the student, and agency copy is
    reprinted under other ids: an article sharing a dev article's wording is left out too."""
    from attribution.train.distill import unlabeled_articles

    texts = {path.stem[:3]: path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))}
    corpus = tmp_path / "articles"
    corpus.mkdir()
    for stem, text in texts.items():
        (corpus / f"{stem}.txt").write_text(text, encoding="utf-8")
    paragraphs = texts["001"].split("\n\n")  # the dev article reprinted: a new headline, its last paragraph cut
    (corpus / "reprint.txt").write_text("\n\n".join(["Troops gather near Kursk, official says"] + paragraphs[1:-1]), encoding="utf-8")
    (corpus / "unlabeled.txt").write_text("Ukraine's air force said it shot down 30 of 42 drones launched overnight. "
                                          "Russia's defence ministry did not comment on the claim.", encoding="utf-8")
    splits = tmp_path / "splits.json"
    splits.write_text(json.dumps({"train": ["000"], "dev": ["001"], "test": ["002"]}))
    assert unlabeled_articles(corpus, splits) == ["000", "unlabeled"]


def test_distillation_loss_pulls_the_student_to_the_teacher():
    import torch

    from attribution.train.classifier import _distillation_loss

    teacher = {"speaker": [[4.0, 1.0, 0.0, 0, 0, 0, 0, 0, 0, 2.5]], "certainty": [[0.0, 3.0, 1.0, 0.0]], "who": [[2.0, 0.0, 1.0]]}
    rows = [{f"teacher_{head}": logits[0] for head, logits in teacher.items()}]
    factor = {"speaker": 1.0, "certainty": 1.0, "who": 1.0}
    same = {head: torch.tensor(logits) for head, logits in teacher.items()}
    assert _distillation_loss(same, rows, factor, 2.0).item() == pytest.approx(0.0, abs=1e-6)
    student = {head: torch.zeros_like(logits, requires_grad=True) for head, logits in same.items()}
    optimizer = torch.optim.SGD(list(student.values()), lr=0.5)
    losses = []
    for _ in range(200):
        optimizer.zero_grad()
        loss = _distillation_loss(student, rows, factor, 2.0)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.01 * losses[0]
    for head, logits in same.items():  # the teacher's ranking, runners-up included
        assert torch.equal(student[head].detach().argsort(), logits.argsort())


def test_teacher_logits_come_with_the_students_own_input():
    """The teacher reads its own context (the article's lead), the student the shorter one."""
    from attribution.classify.predict import Predictor
    from attribution.train.distill import teacher_examples

    teacher = Predictor.load(resources.model_folder("classifier"), runtime="onnx")
    assert teacher.model.config.input_context.lead_chars  # the shipped model reads the lead
    student = Context(previous_chars=60)
    path = next(SEEDS.glob("000_*.txt"))
    found = teacher_examples([Article(path.stem, path.read_text(encoding="utf-8"))], teacher, student)
    article = _seed_article("000")
    sentences = [s for s in article.sentences if not s.boilerplate]
    assert [(e.text, e.pair) for e in found] == [sentence_input(article, s, student)[:2] for s in sentences]
    speakers = teacher.model.config.speaker_labels
    quote = next(k for k, s in enumerate(sentences) if "said the second US official" in article.text[s.start : s.end])
    assert speakers[int(np.argmax(found[quote].teacher_speaker))] == "us_official"
    assert all(len(e.teacher_speaker) == len(speakers) and len(e.teacher_who) == 3 for e in found)
