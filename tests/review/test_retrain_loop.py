"""The loop end to end: a reviewer's correction, exported, trains a new model that annotate uses."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from attribution.train.classifier import load_recipe
from attribution.cli import app
from tests.conftest import SEEDS
from tests.review.conftest import decide_url, post
from tests.test_classifier import _seed_labels, _tiny_shared

A001 = "001_0bd9adbc2bf234f1"


@pytest.mark.slow
def test_correction_to_export_to_training_to_annotate(client, store, tmp_path):
    assert post(client, decide_url(A001, 4, "correct"), {"reviewer": "ann", "speaker": "media"}).status_code == 200
    runner = CliRunner()
    exported = tmp_path / "corrections.jsonl"
    result = runner.invoke(app, ["labels", "export", "--db", str(store.path), "-o", str(exported)])
    assert result.exit_code == 0, result.output
    [correction] = [json.loads(line) for line in exported.read_text().splitlines()]
    assert (correction["article"], correction["speaker"], correction["annotator"]) == (A001, "media", "ann")

    _tiny_shared(tmp_path / "shared")
    _seed_labels(tmp_path / "data")  # A001 is a train article there
    (tmp_path / "recipe.yaml").write_text(yaml.safe_dump(load_recipe() | {"steps": 2, "batch_size": 2}))
    model = tmp_path / "retrained"
    result = runner.invoke(app, ["train", "classifier", "--data", str(tmp_path / "data"), "--corpus", str(SEEDS),
                                 "--shared-data", str(tmp_path / "shared"), "--recipe", str(tmp_path / "recipe.yaml"),
                                 "--labels", str(exported), "--out", str(model)])
    assert result.exit_code == 0, result.output
    logged = json.loads((model / "training.json").read_text())
    assert logged["counts"]["train"]["news"] == 4 + 1 and any(str(exported) in s for s in logged["data"])
    assert '"after"' in result.output  # the dev scores of the new model

    out = tmp_path / "out"
    result = runner.invoke(app, ["annotate", str(SEEDS), "-o", str(out), "--model", str(model), "--workers", "1",
                                 "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    record = json.loads((out / "annotations.jsonl").read_text().splitlines()[0])
    assert record["provenance"]["labeler"].startswith("classifier sha256:")
    labeled = [s for s in record["sentences"] if s["speaker"]]  # boilerplate has none
    assert labeled and all(s["speaker"]["by"].startswith("model:classifier") for s in labeled)
