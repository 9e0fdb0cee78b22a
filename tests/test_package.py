"""The package as users get it: the Python API, the plain-torch encoder against Transformers'
on the shipped weights, and a wheel installed into a fresh environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

import attribution
from attribution import resources
from tests.conftest import ROOT

TEXT = ("Ukraine's air force said it had shot down 40 drones overnight. "
        "A senior US official told Reuters that a ceasefire was unlikely.")


def test_the_api_annotates_a_text_and_renders_it(pipeline) -> None:
    article = pipeline(TEXT)
    assert isinstance(article, attribution.Article)
    record = article.to_record()
    assert record["schema"] == "attribution.v1" and record["text"] == TEXT
    sources = {a["source"]["text"] for a in record["attributions"] if a["source"]}
    assert {"Ukraine's air force", "A senior US official"} <= sources
    assert "<html" in article.to_html() and article.to_text().count("\n") >= 2
    assert record["provenance"]["labeler"].startswith("classifier ") and "spans" in record["provenance"]["spans"]


def test_pipe_keeps_input_order_and_reads_the_ingest_formats(pipeline, tmp_path: Path) -> None:
    rows = [{"id": "b", "text": "The mayor said the bridge is closed."}, {"id": "a", "text": "Police said two men were held."}]
    (tmp_path / "batch.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    articles = list(pipeline.pipe(attribution.read(tmp_path / "batch.jsonl"), workers=2))
    assert [a.id for a in articles] == ["b", "a"]
    assert all(a.attributions and a.sentences[0].speaker is not None for a in articles)
    with pytest.raises(attribution.IngestFailure, match="no such file"):
        list(attribution.read(tmp_path / "missing.txt"))


def test_a_stage_can_be_switched_off_and_one_of_our_own_added() -> None:
    nlp = attribution.load()
    nlp.remove("grade")
    seen = []

    def count_quotes(article: attribution.Article) -> None:
        article.meta["quotes"] = article.text.count("“")
        seen.append(article.id)

    nlp.add(count_quotes, after="attribute")
    assert nlp.stage_names == ["boilerplate", "attribute", "count_quotes", "hedge", "label", "claims"]
    article = nlp("“We will hold,” the commander said.")
    assert seen and article.meta["quotes"] == 1
    assert all(s.reliability is None for s in article.sentences)  # no grades without the stage
    assert "reliability" not in article.to_record()["sentences"][0]


def test_a_registered_stage_runs_from_a_config(tmp_path: Path) -> None:
    @attribution.register_stage("shout")
    def shout(suffix: str = "!"):
        return lambda article: article.meta.__setitem__("shout", article.id.upper() + suffix)

    config = attribution.pipeline.read_config()
    config["stages"] = [{"name": "boilerplate"}, {"name": "shout", "suffix": "?"}]
    nlp = attribution.load(config)
    assert nlp(attribution.Article("abc", "Nothing happened.")).meta["shout"] == "ABC?"
    with pytest.raises(ValueError, match="unknown stage 'nonesuch'"):
        attribution.load({"stages": [{"name": "nonesuch"}]})


def test_a_missing_model_is_an_error_not_a_fallback(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not a span model"):
        attribution.load(spans=tmp_path)
    with pytest.raises(FileNotFoundError, match="no classifier here"):
        attribution.load(model=tmp_path)


def test_plain_encoder_equals_transformers_bert_on_the_shipped_weights() -> None:
    """Inference runs the plain-torch encoder with the adapters merged; training runs
    Transformers' BertModel with PEFT's adapters. On the shipped classifier both give the same
    token vectors."""
    pytest.importorskip("transformers", reason="needs transformers (pip install -e '.[train]')")
    peft = pytest.importorskip("peft", reason="needs peft (pip install -e '.[train]')")
    import torch
    from safetensors.torch import load_file

    from attribution.classify.model import WEIGHTS, ModelConfig, MultiTaskModel
    from attribution.encoder import load_tokenizer
    from attribution.encoder.lora import ADAPTER_PREFIX, create

    folder = resources.model_folder("classifier")
    config = ModelConfig.read(folder)
    plain = MultiTaskModel.load(folder).encoder
    reference = create(config.lora)
    adapters = {k.removeprefix(ADAPTER_PREFIX): v.float() for k, v in load_file(folder / WEIGHTS).items() if k.startswith(ADAPTER_PREFIX)}
    missing = peft.set_peft_model_state_dict(reference, adapters)
    assert not [k for k in missing.unexpected_keys if "lora" in k]
    reference.eval()
    [row] = load_tokenizer().encode([TEXT], ["speaker: Ukraine's air force (ukrainian military)"], 96)
    batch = {"input_ids": torch.tensor([row["input_ids"]]), "token_type_ids": torch.tensor([row["token_type_ids"]]),
             "attention_mask": torch.ones(1, len(row["input_ids"]), dtype=torch.long)}
    with torch.inference_mode():
        ours = plain(**batch)
        theirs = reference(**batch).last_hidden_state
    assert torch.allclose(ours, theirs, atol=2e-4), float((ours - theirs).abs().max())


@pytest.mark.slow
def test_a_built_wheel_annotates_with_the_shipped_models(tmp_path: Path) -> None:
    """`pip install .` (not editable) finds the models inside the package."""
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(ROOT)],
                   check=True, capture_output=True)
    [wheel] = wheels.glob("attribution-*.whl")
    env_dir = tmp_path / "env"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # The dependencies come from this environment (a path, not its .pth files: the editable
    # install of this checkout stays out); the package itself only from the wheel.
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
                   check=True, capture_output=True)
    script = ("import json, attribution; nlp = attribution.load(); a = nlp('The ministry said the border is closed.'); "
              "print(json.dumps({'file': attribution.__file__, 'provenance': a.to_record()['provenance']}))")
    run = subprocess.run([python, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": ""})
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert found["file"].startswith(str(site))
    spans = json.loads((resources.model_folder("spans") / "config.json").read_text(encoding="utf-8"))
    # "(onnx)" follows where `auto` picks ONNX Runtime (CPUs without fast bfloat16, as AVX2-only ones).
    from attribution.encoder.runtime import resolved

    run_by = "" if resolved("auto") == "torch" else " (onnx)"
    assert found["provenance"]["spans"] == f"rules + spans {spans['version']}{run_by}"
    assert found["provenance"]["labeler"].startswith("classifier sha256:")
