"""The encoders in ONNX Runtime: the default classifier runs there in int8, its labels are
torch's, and the exported files are made once."""

from __future__ import annotations

from pathlib import Path

import pytest

import attribution
from attribution.attribute.tagger import SENTENCE_TAGGER, TokenTagger
from attribution.document import Article
from attribution.encoder.runtime import export, with_runtime
from attribution.resources import model_folder

from .conftest import SEEDS


def test_the_default_classifier_runs_in_int8(pipeline):
    assert pipeline.provenance["labeler"].endswith("(onnx-int8)")
    assert pipeline.stage("label").labeler.predictor.model.encoder.path.name.endswith("-int8-channel.onnx")


def test_int8_labels_are_those_of_torch(seed_records):
    torch_pipeline = attribution.load(runtime="torch")
    articles = [Article(path.stem, path.read_text(encoding="utf-8")) for path in sorted(SEEDS.glob("*.txt"))]
    pairs = [(ours, theirs) for result in torch_pipeline.annotate(articles)
             for ours, theirs in zip(seed_records[result.article_id]["sentences"], result.record["sentences"])]
    assert len(pairs) > 60
    for part in ("speaker", "certainty"):
        same = sum((ours[part] or {}).get("label") == (theirs[part] or {}).get("label") for ours, theirs in pairs)
        assert same >= 0.95 * len(pairs), part


def test_an_export_is_made_once(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTRIBUTION_CACHE", str(tmp_path))
    encoder = TokenTagger.load(model_folder("spans"), SENTENCE_TAGGER.name).encoder
    first = export(encoder, quantize=True)
    made = first.stat().st_mtime_ns
    assert export(encoder, quantize=True) == first and first.stat().st_mtime_ns == made
    assert export(encoder, quantize=True, scheme="tensor") != first  # one scale per matrix is another file
    assert not list(Path(tmp_path).rglob("*.tmp"))


def test_an_unknown_runtime_is_refused():
    encoder = TokenTagger.load(model_folder("spans"), SENTENCE_TAGGER.name)
    with pytest.raises(ValueError, match="onnx-int8"):
        with_runtime(encoder, "tensorrt")


def test_auto_is_torch_only_where_bfloat16_is_fast(monkeypatch):
    from attribution.encoder import bfloat16_is_fast
    from attribution.encoder.runtime import resolved

    assert resolved("auto") == ("torch" if bfloat16_is_fast() else "onnx")
    monkeypatch.setenv("ATTRIBUTION_BFLOAT16", "0")  # float32 everywhere: torch's float32 is no faster than ONNX Runtime's
    assert resolved("auto") == "onnx"
    assert resolved("onnx-int8") == "onnx-int8"
