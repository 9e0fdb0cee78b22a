"""The pipeline: a parser and named stages in order, set up from one config file.

    ingest -> parse -> boilerplate -> attribute -> hedge -> label -> claims -> grade -> render
                                                                    (claims are linked across the batch after it)

Stages are registered by name (`STAGES`); `resources/pipeline.yaml` says which run, in which
order, with which settings. A stage takes a batch of parsed articles and enriches them in
place; a user's own is any callable that takes an `Article` (or a `Stage`), added with
`Pipeline.add` or registered with `register_stage` for use in a config file.

For many articles the parent process loads the models once and forks workers that share them
(copy on write); each worker takes a batch of articles and returns them finished.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import multiprocessing
import os
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from attribution import resources
from attribution.attribute import attribute
from attribution.attribute.spans import SpanModel
from attribution.boilerplate import mark_boilerplate
from attribution.document import Article
from attribution.encoder.runtime import resolved
from attribution.hedging import find_cues
from attribution.labeling import RuleLabeler
from attribution.parse import Parser, load_parser
from attribution.parse.cache import parse_cached
from attribution.registry import Registry
from attribution.reliability import Policy, grade_article
from attribution.version import VERSION

FORMATS = ("jsonl", "html", "text")
_log = logging.getLogger(__name__)


@runtime_checkable
class Stage(Protocol):
    name: str
    provenance: dict[str, str]  # what the stage is (model versions, policy), for the output's provenance

    def __call__(self, articles: Sequence[Article]) -> None:
        """Enrich the parsed articles in place."""
        ...


@dataclass
class ArticleStage:
    """A stage made of a function that enriches one article."""

    name: str
    function: Callable[[Article], None]
    provenance: dict[str, str] = field(default_factory=dict)

    def __call__(self, articles: Sequence[Article]) -> None:
        for article in articles:
            self.function(article)


STAGES: Registry = Registry("stage")


def register_stage(name: str) -> Callable:
    """Register a stage factory for configs: it takes the stage's settings as keyword arguments
    and returns a `Stage` (or a function of one article)."""
    return STAGES.register(name)


def _model(choice: str | Path, name: str) -> Path:
    return resources.model_folder(name) if str(choice) == "shipped" else Path(choice)


@register_stage("boilerplate")
def _boilerplate_stage() -> Stage:
    return ArticleStage("boilerplate", mark_boilerplate)


@register_stage("attribute")
def _attribute_stage(spans: str | None = "shipped", rules: bool = True, min_quote_words: int = 3, runtime: str = "torch") -> Stage:
    runtime = resolved(runtime)
    model = SpanModel.load(_model(spans, "spans"), runtime) if spans else None
    if model is None and not rules:
        raise ValueError("attribute: `rules: false` needs a span model")
    described = ("rules + " if rules and model else "") + (f"{model.name} {model.version}" if model else "rules") + (
        f" ({runtime})" if model and runtime != "torch" else "")
    return ArticleStage("attribute", lambda article: attribute(article, model, rules, min_quote_words), {"spans": described})


@register_stage("hedge")
def _hedge_stage() -> Stage:
    return ArticleStage("hedge", find_cues)


@dataclass
class LabelStage:
    labeler: Any  # a SentenceLabeler: labels a batch of articles at once
    name: str = "label"
    provenance: dict[str, str] = field(default_factory=dict)

    def __call__(self, articles: Sequence[Article]) -> None:
        self.labeler.label(articles)


@register_stage("label")
def _label_stage(labeler: str = "classifier", model: str | None = "shipped", speaker_from: str = "entities",
                 runtime: str = "torch") -> Stage:
    runtime = resolved(runtime)
    if labeler == "rules":
        chosen = RuleLabeler()
    elif labeler == "classifier":
        from attribution.classify.labeler import ModelLabeler

        chosen = ModelLabeler(_model(model or "shipped", "classifier"), speaker_from, runtime)
    else:
        raise ValueError(f"label: unknown labeler {labeler!r}; choose classifier or rules")
    run_by = f" ({runtime})" if labeler == "classifier" and runtime != "torch" else ""
    return LabelStage(chosen, provenance={"labeler": f"{chosen.name} {chosen.version}{run_by}"})


@register_stage("claims")
def _claims_stage() -> Stage:
    from attribution.claims.frames import frame_claims

    return ArticleStage("claims", frame_claims)


@register_stage("grade")
def _grade_stage(policy: str | None = None) -> Stage:
    loaded = Policy.load(policy)
    digest = hashlib.sha1(repr(loaded).encode()).hexdigest()[:12]
    return ArticleStage("grade", lambda article: grade_article(article, loaded), {"reliability_policy": f"{loaded.name} sha1:{digest}"})


def read_config(config: str | Path | dict | None = None) -> dict:
    """A pipeline config: the shipped default, a file's, or a dict (copied, so callers may change it)."""
    if isinstance(config, dict):
        return copy.deepcopy(config)
    data, name = resources.read(config, "pipeline.yaml")
    if not isinstance(data, dict) or not isinstance(data.get("stages"), list):
        raise ValueError(f"{name}: not a pipeline config (needs a `stages:` list)")
    return copy.deepcopy(data)


def configure(config: dict, **choices: Any) -> dict:
    """The config with the command line's choices applied; None leaves a setting as it is.

    parser, stanza_dir; spans (folder), only ("rules" | "model"); labeler ("rules" |
    "classifier"), model (classifier folder); policy; max_chars; runtime (of both encoders)."""
    def stage(name: str) -> dict:
        found = next((s for s in config["stages"] if s.get("name") == name), None)
        if found is None:
            raise ValueError(f"the config has no {name} stage to set")
        return found

    if choices.get("parser"):
        config["parser"] = {"name": choices["parser"]}
    if choices.get("stanza_dir"):
        config["parser"]["directory"] = str(choices["stanza_dir"])
    if choices.get("spans"):
        stage("attribute")["spans"] = str(choices["spans"])
    if choices.get("only") == "rules":
        stage("attribute").update(spans=None, rules=True)
    elif choices.get("only") == "model":
        stage("attribute")["rules"] = False
    if choices.get("labeler"):
        stage("label")["labeler"] = choices["labeler"]
    if choices.get("model"):
        stage("label")["model"] = str(choices["model"])
    if choices.get("policy"):
        stage("grade")["policy"] = str(choices["policy"])
    if choices.get("runtime"):  # both encoders, where the stages that run them are there
        for spec in config["stages"]:
            if spec.get("name") in ("attribute", "label"):
                spec["runtime"] = choices["runtime"]
    if choices.get("max_chars"):
        config.setdefault("limits", {})["max_chars"] = int(choices["max_chars"])
    return config


def build_stage(spec: dict) -> Stage:
    settings = {k: v for k, v in spec.items() if k != "name"}
    made = STAGES.get(spec["name"])(**settings)
    return as_stage(made, spec["name"])


def as_stage(stage: Stage | Callable[[Article], None], name: str | None = None) -> Stage:
    """A `Stage` as it is; a function of one article as an `ArticleStage`."""
    if isinstance(stage, Stage):
        return stage
    if callable(stage):
        return ArticleStage(name or getattr(stage, "__name__", "stage"), stage)
    raise TypeError(f"not a stage: {stage!r}")


@dataclass
class Annotated:
    """One finished article: its record, the renderings asked for, and the article itself
    unless the run left it in the worker (writing an output folder needs only the rest)."""

    article_id: str
    record: dict
    html: str | None = None
    text: str | None = None
    article: Article | None = None


@dataclass
class Failed:
    article_id: str
    message: str


class AnnotationError(RuntimeError):
    """An article the pipeline could not annotate."""


class Pipeline:
    """`nlp = attribution.load()`; `nlp(text)` gives an annotated `Article`, `nlp.pipe(texts)` many."""

    def __init__(self, config: str | Path | dict | None = None, **choices: Any) -> None:
        self.config = configure(read_config(config), **choices)
        parser = dict(self.config.get("parser") or {"name": "spacy"})
        self.parser: Parser = load_parser(parser.pop("name"), **parser)
        self.stages: list[Stage] = [build_stage(spec) for spec in self.config["stages"]]
        limits = self.config.get("limits") or {}
        self.max_chars = int(limits.get("max_chars", 1_000_000))
        self.batch_articles = int(limits.get("batch_articles", 8))

    # -- composition
    @property
    def stage_names(self) -> list[str]:
        return [stage.name for stage in self.stages]

    def stage(self, name: str) -> Stage:
        found = next((s for s in self.stages if s.name == name), None)
        if found is None:
            raise KeyError(f"no stage {name!r}; stages: {', '.join(self.stage_names)}")
        return found

    def add(self, stage: Stage | Callable[[Article], None] | str, *, name: str | None = None,
            before: str | None = None, after: str | None = None, **settings: Any) -> Stage:
        """Add a stage: a `Stage`, a function of one article, or the name of a registered one
        (with its settings); at the end, or before or after the stage named."""
        made = build_stage({"name": stage, **settings}) if isinstance(stage, str) else as_stage(stage, name)
        if name:
            made.name = name
        position = len(self.stages)
        if before is not None:
            position = self.stage_names.index(self.stage(before).name)
        elif after is not None:
            position = self.stage_names.index(self.stage(after).name) + 1
        self.stages.insert(position, made)
        return made

    def remove(self, name: str) -> Stage:
        """Switch a stage off."""
        stage = self.stage(name)
        self.stages.remove(stage)
        return stage

    @property
    def provenance(self) -> dict[str, str]:
        found = {"tool": f"attribution {VERSION}", "parser": self.parser.version}
        for stage in self.stages:
            found.update(stage.provenance)
        return found

    # -- annotating
    def __call__(self, item: str | Article) -> Article:
        result = self.annotate([as_article(item)])[0]
        if isinstance(result, Failed):
            raise AnnotationError(f"{result.article_id}: {result.message}")
        assert result.article is not None
        return result.article

    def pipe(self, items: Iterable[str | Article], workers: int = 1, errors: str = "raise") -> Iterator[Article]:
        """Annotated articles in input order, from `workers` processes (0: one per core). A bad
        article raises `AnnotationError` (errors="raise") or is logged and skipped ("skip")."""
        if errors not in ("raise", "skip"):
            raise ValueError("errors must be 'raise' or 'skip'")
        for result in self.run((as_article(item, n) for n, item in enumerate(items)), workers, keep_articles=True):
            if isinstance(result, Failed):
                if errors == "raise":
                    raise AnnotationError(f"{result.article_id}: {result.message}")
                _log.warning("skipped %s: %s", result.article_id, result.message)
                continue
            assert result.article is not None
            yield result.article

    def enrich(self, articles: Sequence[Article]) -> None:
        """Every stage after parsing, in order, on parsed articles."""
        for stage in self.stages:
            stage(articles)
        stamp = {**self.provenance, "time": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        for article in articles:
            article.provenance = dict(stamp)

    def parse(self, articles: Sequence[Article], parses: Path | None = None) -> list[Article]:
        """The articles parsed; with `parses`, parses are read from (and kept in) that folder,
        so a corpus measured or trained on again is parsed once."""
        if parses is None:
            return list(self.parser.parse(articles))
        return list(parse_cached(self.parser, articles, parses))

    def annotate(self, articles: Sequence[Article], formats: Sequence[str] = (), keep_articles: bool = True,
                 parses: Path | None = None) -> list[Annotated | Failed]:
        """Parse and enrich a batch, rendering the formats asked for; one article's failure does
        not fail the others."""
        oversized = {a.id for a in articles if len(a.text) > self.max_chars}
        fits = [a for a in articles if a.id not in oversized]
        done: dict[str, Annotated | Failed] = {}
        try:
            parsed = self.parse(fits, parses)
            self.enrich(parsed)
        except Exception:
            if len(fits) > 1:  # find the article that failed, on fresh copies: the others go on
                return [result for a in articles
                        for result in self.annotate([Article(a.id, a.text, a.meta)], formats, keep_articles, parses)]
            done.update({a.id: Failed(a.id, _describe()) for a in fits})
            parsed = []
        for article in parsed:
            try:
                done[article.id] = Annotated(article.id, article.to_record(), article.to_html() if "html" in formats else None,
                                             article.to_text() if "text" in formats else None, article if keep_articles else None)
            except Exception:
                done[article.id] = Failed(article.id, _describe())
        return [Failed(a.id, f"article is {len(a.text):,} characters, over the limit of {self.max_chars:,}; raise it with --max-chars")
                if a.id in oversized else done[a.id] for a in articles]

    def run(self, articles: Iterable[Article], workers: int = 0, formats: Sequence[str] = (),
            keep_articles: bool = False, parses: Path | None = None) -> Iterator[Annotated | Failed]:
        """Annotate articles in input order, in `workers` processes (0: one per core); with
        `keep_articles` each result carries its `Article` too (sent back from the worker);
        `parses`: a folder of kept parses (`parse`)."""
        workers = workers or default_workers()
        batches = in_batches(articles, self.batch_articles)
        if workers <= 1:
            for batch in batches:
                yield from self.annotate(batch, formats, keep_articles, parses)
            return
        global _WORKER
        _WORKER = (self, tuple(formats), keep_articles, parses)
        context = multiprocessing.get_context("fork")
        with context.Pool(workers, initializer=limit_threads) as pool:
            for results in pool.imap(_annotate_in_worker, batches):
                yield from results


def load(config: str | Path | dict | None = None, **choices: Any) -> Pipeline:
    """The pipeline of a config (default: the shipped one, as the command line runs it)."""
    return Pipeline(config, **choices)


def as_article(item: str | Article, number: int | None = None) -> Article:
    """An article as it is; a text as an article whose id is its hash (or its number in a batch)."""
    if isinstance(item, Article):
        return item
    if isinstance(item, str):
        digest = hashlib.sha1(item.encode("utf-8")).hexdigest()[:12]
        return Article(f"text-{number}-{digest}" if number is not None else f"text-{digest}", item)
    raise TypeError(f"expected a text or an Article, got {type(item).__name__}")


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def in_batches(articles: Iterable[Article], size: int) -> Iterator[list[Article]]:
    """The articles in lists of `size` (the last may be shorter), read lazily."""
    batch: list[Article] = []
    for article in articles:
        batch.append(article)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _describe() -> str:
    """The innermost frame and the error, in one line."""
    lines = traceback.format_exc().strip().splitlines()
    return lines[-1] if lines else "unknown error"


_WORKER: tuple[Pipeline, tuple[str, ...], bool, Path | None] | None = None


def limit_threads() -> None:
    # Each worker owns one core: numeric libraries must not start a thread per core each.
    os.environ["OMP_NUM_THREADS"] = "1"
    torch = sys.modules.get("torch")  # only when a model already loaded it: importing it here is slow
    if torch is not None:
        torch.set_num_threads(1)


def _annotate_in_worker(batch: list[Article]) -> list[Annotated | Failed]:
    assert _WORKER is not None
    pipeline, formats, keep_articles, parses = _WORKER
    return pipeline.annotate(batch, formats, keep_articles, parses)
