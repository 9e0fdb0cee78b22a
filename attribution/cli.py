"""The command line: annotate, review, labels, train, evaluate, setup.

Every command reports a bad input in one line naming it and exits with status 2 (`OneLineErrors`);
a batch goes on past a bad article, reports it and exits with status 1.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import time
from enum import Enum
from pathlib import Path

import typer
from rich.console import Console
from typer.core import TyperGroup
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from attribution.ingest import IngestError, IngestFailure, read_articles
from attribution.parse import ParserUnavailable
from attribution.review.commands import labels_app, review
from attribution.version import VERSION

err = Console(stderr=True, soft_wrap=True)  # one line per message, however long


class OneLineErrors(TyperGroup):
    """A bad input anywhere (a missing file, a malformed one, a model that is not there) ends
    the command with one line naming it, and exit status 2, never a traceback."""

    def main(self, args=None, *rest, **options):
        from attribution.version import remember_command

        remember_command(sys.argv[1:] if args is None else args)  # as typed, for the model cards' command
        return super().main(args, *rest, **options)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (OSError, ValueError, ParserUnavailable, IngestFailure) as error:
            err.print(f"error: {error}", markup=False, highlight=False)
            raise typer.Exit(2) from None


app = typer.Typer(cls=OneLineErrors, help="Who is speaking in a news article, and how sure.", no_args_is_help=True, add_completion=False)


def _version(show: bool) -> None:
    if show:
        print(f"attribution {VERSION}")
        raise typer.Exit()


@app.callback()
def _main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit.")) -> None:
    """Who is speaking in a news article, and how sure."""

setup_app = typer.Typer(help="One-time set-up steps that need the internet.", no_args_is_help=True)
app.add_typer(setup_app, name="setup")
train_app = typer.Typer(help="Train models from labeled data (reproducible: fixed seeds, logged recipe, model card).", no_args_is_help=True)
app.add_typer(train_app, name="train")
evaluate_app = typer.Typer(help="Measure against labeled data; --json prints one JSON object on the last line.", no_args_is_help=True)
app.add_typer(evaluate_app, name="evaluate")
CONFIG_OPTION = typer.Option(None, "--config", help="Pipeline config file (default: the built-in pipeline.yaml).")


class ParserName(str, Enum):
    spacy = "spacy"
    stanza = "stanza"


class Runtime(str, Enum):
    auto = "auto"
    torch = "torch"
    onnx = "onnx"
    onnx_int8 = "onnx-int8"


class SpanSource(str, Enum):
    rules = "rules"
    model = "model"


@app.command()
def annotate(
    paths: list[Path] = typer.Argument(..., help="Article files (.txt .html .jsonl .csv), folders of them, or - for standard input."),
    out: Path = typer.Option(..., "-o", "--out", help="Output folder."),
    parser: ParserName | None = typer.Option(None, help="Parser backend (default: the config's)."),
    stanza_dir: Path | None = typer.Option(None, help="Stanza's models (default: $STANZA_RESOURCES_DIR, else ~/stanza_resources)."),
    formats: str = typer.Option("jsonl,html,text", "--format", help="Comma-separated: jsonl (always written), html, text."),
    resume: bool = typer.Option(False, "--resume", help="Add to OUT: skip the articles it already holds."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Start OUT afresh: remove the annotations it holds."),
    workers: int = typer.Option(0, help="Worker processes (0: one per core)."),
    policy: Path | None = typer.Option(None, help="Reliability policy file (default: the built-in reliability.yaml)."),
    max_chars: int | None = typer.Option(None, help="Refuse articles longer than this many characters (default: the config's, 1,000,000)."),
    model: Path | None = typer.Option(None, help="Classifier folder for sentence labels (default: the shipped one)."),
    rules: bool = typer.Option(False, "--rules", help="Label sentences with the word-based rules instead of the classifier."),
    only: SpanSource | None = typer.Option(None, help="Find attributions with the rules or the span model alone (default: both)."),
    spans: Path | None = typer.Option(None, help="Span model folder (default: the shipped one)."),
    runtime: Runtime | None = typer.Option(None, help="What runs the encoders (default: the config's)."),
    scheduler: str | None = typer.Option(None, help="A Dask scheduler (tcp://HOST:PORT) to run on; OUT gets annotations/part-*.jsonl."),
    partition: int = typer.Option(32, help="Articles per task on a cluster (with --scheduler)."),
    config: Path | None = CONFIG_OPTION,
) -> None:
    """Annotate articles: attributions, speakers, certainty and reliability, written to OUT."""
    from attribution.output import OutputFolder, ShardedFolder
    from attribution.pipeline import FORMATS, Failed

    chosen = {f.strip() for f in formats.split(",") if f.strip()} | {"jsonl"}
    unknown = chosen - set(FORMATS)
    if unknown:
        raise typer.BadParameter(f"unknown format(s) {', '.join(sorted(unknown))}; choose from {', '.join(FORMATS)}")
    if resume and overwrite:
        raise typer.BadParameter("--resume and --overwrite exclude each other")
    started = time.perf_counter()
    missing = [str(p) for p in paths if str(p) != "-" and not p.exists()]
    if len(missing) == len(paths):
        raise FileNotFoundError(f"{', '.join(missing)}: no such file or folder")
    if scheduler and importlib.util.find_spec("distributed") is None:
        raise ValueError("--scheduler needs Dask distributed: pip install 'attribution[cluster]'")
    mode = "resume" if resume else "overwrite" if overwrite else "new"
    folder = ShardedFolder(out, mode) if scheduler else OutputFolder(out, mode)  # refuses before the models load
    settings = _config(config, parser=parser, policy=policy, max_chars=max_chars, model=model, rules=rules, only=only,
                       spans=spans, stanza_dir=stanza_dir, runtime=runtime.value if runtime else None)
    if scheduler:
        local = None  # the workers build the pipeline
    else:
        from attribution.pipeline import Pipeline

        local = Pipeline(settings)  # a model that is not there stops the run here, before any progress
    failures, skipped = 0, 0
    seen: dict[str, str] = {article_id: str(out / "annotations.jsonl") for article_id in folder.done}
    totals = {"articles": 0, "sentences": 0, "attributions": 0, "words": 0}

    def inputs():
        nonlocal failures, skipped
        for item in read_articles(paths):
            if isinstance(item, IngestError):
                failures += 1
                err.print(f"failed: {item}", markup=False, highlight=False)
                continue
            if item.id in folder.done:
                skipped += 1
                continue
            if item.id in seen:
                failures += 1
                err.print(f"failed: {item.meta.get('file', item.id)}: article id {item.id!r} is taken already (by {seen[item.id]}); "
                          "give the rows or files unique ids", markup=False, highlight=False)
                continue
            seen[item.id] = item.meta.get("file", item.id)
            progress.update(task, total=(progress.tasks[0].total or 0) + 1)
            yield item

    with (Progress(TextColumn("annotating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err, transient=False) as progress,
          contextlib.ExitStack() as stack):
        task = progress.add_task("annotate", total=0)
        try:
            if scheduler:
                from distributed import Client

                from attribution.cluster import run_on_cluster

                client = stack.enter_context(Client(scheduler, timeout="30s"))
                results = run_on_cluster(client, settings, inputs(), folder, sorted(chosen), partition)
            else:
                results = local.run(inputs(), workers=workers, formats=sorted(chosen))
            for result in results:
                if isinstance(result, Failed):
                    failures += 1
                    err.print(f"failed: {result.article_id}: {result.message}", markup=False, highlight=False)
                elif not scheduler:  # a cluster run's folder has its partitions written already
                    folder.write(result)
                    totals["articles"] += 1
                    totals["sentences"] += len(result.record["sentences"])
                    totals["attributions"] += len(result.record["attributions"])
                    totals["words"] += len(result.record["text"].split())
                progress.advance(task)
        finally:
            folder.close()
    if "claims" in [stage["name"] for stage in settings["stages"]]:
        grading = next((stage for stage in settings["stages"] if stage["name"] == "grade"), {})
        _corroborate(out, grading.get("policy"))  # the claim sentences are graded again by the run's own policy
    elapsed = time.perf_counter() - started
    rate = totals["words"] / elapsed if elapsed else 0.0
    err.print(
        f"{totals['articles']} articles, {totals['sentences']} sentences, {totals['attributions']} attributions, "
        f"{failures} failed, {skipped} skipped (already done) in {elapsed:.1f} s ({rate:,.0f} words/s) -> {out}",
        highlight=False,
    )
    if failures:
        raise typer.Exit(1)


def _corroborate(out: Path, policy: Path | None) -> None:
    from attribution.output import corroborate_folder
    from attribution.reliability import Policy

    started = time.perf_counter()
    clusters = corroborate_folder(out, Policy.load(policy))
    if clusters:
        err.print(f"{clusters} claims linked across articles in {time.perf_counter() - started:.1f} s -> {out / 'claims.jsonl'}",
                  highlight=False)


@app.command()
def corroborate(
    out: Path = typer.Argument(..., help="An output folder of `attribution annotate`."),
    policy: Path | None = typer.Option(None, help="Reliability policy file (default: the built-in reliability.yaml)."),
) -> None:
    """Link the claims of every article in OUT again (with another policy, or after adding articles with a pipeline without the claims stage): claims.jsonl, claims.html, grades."""
    from attribution.files import annotation_files

    if not annotation_files(out):
        raise FileNotFoundError(f"{out}: no annotations.jsonl there (not an output folder of `attribution annotate`)")
    _corroborate(out, policy)


def _config(config: Path | None, parser: ParserName | None = None, model: Path | None = None, rules: bool = False,
            only: SpanSource | None = None, **choices) -> dict:
    """The pipeline config with the command line's choices, or a one-line error (exit 2)."""
    from attribution.pipeline import configure, read_config

    if rules and model is not None:
        err.print("error: --rules and --model exclude each other", markup=False)
        raise typer.Exit(2)
    return configure(read_config(config), parser=parser.value if parser else None, labeler="rules" if rules else None, model=model,
                     only=only.value if only else None, **choices)


def _pipeline(config: Path | None, **choices):
    """The pipeline of the config with the command line's choices (models loaded)."""
    from attribution.pipeline import Pipeline

    return Pipeline(_config(config, **choices))


@setup_app.command("stanza")
def setup_stanza(stanza_dir: Path | None = typer.Option(
        None, help="Where to put the models (default: $STANZA_RESOURCES_DIR, else ~/stanza_resources); give annotate the same --stanza-dir.")) -> None:
    """Download Stanza's English models (needs the internet; run once)."""
    from attribution.parse.stanza_backend import download_models

    try:
        where = download_models(stanza_dir)
    except Exception as error:  # network errors come in many types; report any in one line
        err.print(f"error: could not download Stanza's English models: {error}", markup=False)
        raise typer.Exit(2) from None
    err.print(f"Stanza English models are in {where}")


@evaluate_app.command("sentences")
def evaluate_sentences_command(
    gold: Path = typer.Argument(..., help="The team's labels (standoff JSONL, data/README.md)."),
    corpus: Path = typer.Option(..., help="Folder with the labeled articles as ID.txt."),
    splits: Path | None = typer.Option(None, help="splits.json to pick articles from (with --split)."),
    split: str | None = typer.Option(None, help="train, dev or test."),
    parser: ParserName | None = typer.Option(None, help="Parser backend (default: the config's)."),
    workers: int = typer.Option(0, help="Worker processes (0: one per core)."),
    model: Path | None = typer.Option(None, help="Classifier folder (default: the shipped one)."),
    rules: bool = typer.Option(False, "--rules", help="Score the word-based rules instead of the classifier."),
    only: SpanSource | None = typer.Option(None, help="Attributions from the rules or the span model alone (default: both)."),
    runtime: Runtime | None = typer.Option(None, help="What runs the encoders (default: the config's)."),
    config: Path | None = CONFIG_OPTION,
    errors: Path | None = typer.Option(None, help="Write each sentence whose labels differ from the gold ones to this JSONL file."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on the last line."),
) -> None:
    """Speaker and certainty accuracy, macro-F1, per-label P/R/F1 and confusion against gold labels."""
    import json

    from attribution.evaluate.sentences import evaluate_sentences, load_split, print_report

    articles = None
    try:
        if split:
            articles = load_split(splits or gold.with_name("splits.json"), split)
        if not gold.is_file():
            raise FileNotFoundError(f"{gold}: no such labels file")
    except (OSError, ValueError) as error:
        err.print(f"error: {error}", markup=False)
        raise typer.Exit(2) from None
    pipeline = _pipeline(config, parser=parser, model=model, rules=rules, only=only, runtime=runtime.value if runtime else None)
    try:
        scores = evaluate_sentences(gold, corpus, pipeline, articles, workers, errors)
    except (OSError, ValueError) as error:
        err.print(f"error: {error}", markup=False)
        raise typer.Exit(2) from None
    if as_json:
        print(json.dumps(scores))
    else:
        print_report(scores)


DEFAULT_SHARED = Path("../shared/data")


@train_app.command("classifier")
def train_classifier(
    data: Path = typer.Option(Path("data/war_news"), help="Folder with the team's labels.jsonl and splits.json."),
    labels: list[Path] = typer.Option([], "--labels", help="More labels to train on (e.g. exported review corrections); dev and test articles are left out."),
    corpus: Path | None = typer.Option(None, help="Article texts as ID.txt (default: SHARED/war_news/articles)."),
    shared_data: Path = typer.Option(DEFAULT_SHARED, "--shared-data", help="The public corpora (factuality, certainty_pei2021, conll2010_wiki); each is optional."),
    out: Path = typer.Option(Path("attribution/models/classifier"), "--out", help="Model folder to write."),
    recipe: Path | None = typer.Option(None, help="Training recipe (default: the built-in classifier.yaml)."),
    steps: int | None = typer.Option(None, help="Override the recipe's number of steps (e.g. a quick trial)."),
    previous: Path | None = typer.Option(None, help="The model to score on dev before training (default: the shipped one)."),
    threads: int = typer.Option(0, help="torch threads (0: one per core); 1 when other jobs share the cores, where more threads stall each other."),
    config: Path | None = CONFIG_OPTION,
) -> None:
    """Train the sentence classifier on the team's labels and the public corpora; write OUT with its model card."""
    import json
    from dataclasses import replace

    from rich.progress import Progress as Bar

    from attribution import resources
    from attribution.corpora.war_news import news_examples
    from attribution.pipeline import read_config
    from attribution.train.classifier import (
        Corpora,
        dev_scores,
        distill_corpora,
        load_recipe,
        public_corpora,
        recipe_context,
        train,
        war_news_corpora,
    )

    if threads:
        import torch

        torch.set_num_threads(threads)
    try:
        settings = load_recipe(recipe)
        pipeline_config = read_config(config)
        if steps is not None:
            settings["steps"] = steps
        texts = corpus or shared_data / "war_news" / "articles"
        corpora = Corpora()
        public_corpora(shared_data, corpora)
        war_news_corpora(corpora, data / "labels.jsonl", texts, data / "splits.json", labels, recipe_context(settings), pipeline_config)
        distill_corpora(corpora, settings, texts, data / "splits.json", pipeline_config)
    except (OSError, ValueError) as error:
        err.print(f"error: {error}", markup=False)
        raise typer.Exit(2) from None
    err.print(f"recipe: {json.dumps(settings)}", markup=False, highlight=False)
    err.print(f"corpora used: {'; '.join(corpora.sources)}", markup=False, highlight=False)
    if corpora.missing:
        err.print(f"corpora missing (trained without): {'; '.join(corpora.missing)}", markup=False, highlight=False)
    err.print(f"examples: {json.dumps(corpora.counts())}", markup=False, highlight=False)
    before = _predictor(previous or resources.model_folder("classifier"))
    scored = corpora
    if before.model.config.input_context != recipe_context(settings):  # it reads its own kind of input
        split = json.loads((data / "splits.json").read_text(encoding="utf-8"))
        scored = replace(corpora, dev=corpora.dev | {"news": news_examples(
            data / "labels.jsonl", texts, set(split["dev"]), before.model.config.input_context, pipeline_config)})
    print(json.dumps({"before": dev_scores(before, scored)}))
    with Bar(TextColumn("training"), BarColumn(), MofNCompleteColumn(), TextColumn("loss {task.fields[loss]:.3f}"),
             TimeElapsedColumn(), console=err) as bar:
        task = bar.add_task("train", total=settings["steps"], loss=0.0)
        scores = train(settings, corpora, out, lambda step, total, loss: bar.update(task, completed=step, loss=loss))
    print(json.dumps({"after": scores}))
    err.print(f"model and card written to {out}")


def _predictor(model: Path | None):
    from attribution import resources
    from attribution.classify.predict import Predictor

    try:
        return Predictor.load(model or resources.model_folder("classifier"))
    except FileNotFoundError as error:
        err.print(f"error: {error}", markup=False)
        raise typer.Exit(2) from None


def _report(scores: dict, as_json: bool) -> None:
    import json

    if as_json:
        print(json.dumps(scores))
    else:
        for key, value in scores.items():
            print(f"{key:>20}: {value}")


MODEL_OPTION = typer.Option(None, "--model", help="Classifier folder (default: the shipped one).")
JSON_OPTION = typer.Option(False, "--json", help="Print one JSON object on the last line.")


@evaluate_app.command("factuality")
def evaluate_factuality(
    file: Path = typer.Argument(..., help="Factuality JSONL in the jiant format (text, targets[].span1, label)."),
    dataset: str | None = typer.Option(None, help="UW, MEANTIME or UDS_IH2: whose scale to predict on (default: the file's folder name, else UW)."),
    model: Path | None = MODEL_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Pearson r and mean absolute error of predicate factuality in [-3, 3]."""
    from attribution.classify.model import FACTUALITY_DATASETS
    from attribution.corpora.public import read_factuality
    from attribution.evaluate.classifier import factuality_scores

    name = (dataset or (file.parent.name if file.parent.name in FACTUALITY_DATASETS else "UW"))
    if name not in FACTUALITY_DATASETS:
        raise typer.BadParameter(f"unknown dataset {name!r}; choose from {', '.join(FACTUALITY_DATASETS)}")
    predictor, examples = _predicted(model, read_factuality, file, FACTUALITY_DATASETS.index(name))
    _report(factuality_scores(predictor.predict(examples), examples), as_json)


@evaluate_app.command("certainty")
def evaluate_certainty(
    file: Path = typer.Argument(..., help="Pei & Jurgens sentence-level certainty JSONL (finding, sentence-level-certainty)."),
    split: str | None = typer.Option(None, help="Only rows of this split (train, val, test); default: all rows."),
    model: Path | None = MODEL_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Pearson and Spearman correlation of predicted sentence certainty (1-6)."""
    from attribution.corpora.public import read_pei
    from attribution.evaluate.classifier import certainty_scores

    predictor, examples = _predicted(model, read_pei, file, {split} if split else None)
    _report(certainty_scores(predictor.predict(examples), examples), as_json)


@evaluate_app.command("hedging")
def evaluate_hedging(
    file: Path = typer.Argument(..., help="CoNLL-2010 sample CSV (\"label\",\"sentence\"; -1 uncertain)."),
    split: str | None = typer.Option(None, help="dev or train: the hash split used in training; default: all rows."),
    model: Path | None = MODEL_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Macro-F1 and F1 of uncertain sentences."""
    from attribution.corpora.public import read_hedging
    from attribution.evaluate.classifier import hedging_scores

    predictor, examples = _predicted(model, read_hedging, file, split)
    _report(hedging_scores(predictor, predictor.predict(examples), examples), as_json)


def _predicted(model: Path | None, reader, file: Path, *args):
    """The classifier and a corpus file's examples, or a one-line error (exit 2)."""
    from attribution.corpora.public import examples

    try:
        found = examples(reader(file, *args))
    except (OSError, ValueError) as error:
        err.print(f"error: {error}", markup=False)
        raise typer.Exit(2) from None
    if not found:
        err.print(f"error: {file}: no examples", markup=False)
        raise typer.Exit(2)
    return _predictor(model), found


@evaluate_app.command("polnear")
def evaluate_polnear_command(
    folder: Path = typer.Argument(..., help="A PolNeAR split: a folder with text/ and attributions/."),
    parser: ParserName | None = typer.Option(None, help="Parser backend (default: the config's)."),
    workers: int = typer.Option(0, help="Worker processes (0: one per core)."),
    parses: Path | None = typer.Option(None, help="Folder to keep parses in and reuse them from (outside the repo)."),
    spans: Path | None = typer.Option(None, help="Span model folder (default: the shipped one)."),
    only: SpanSource | None = typer.Option(None, help="Measure the rules or the span model alone (default: both, as annotate runs)."),
    runtime: Runtime | None = typer.Option(None, help="What runs the encoders (default: the config's)."),
    config: Path | None = CONFIG_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on the last line."),
) -> None:
    """Exact and overlap P/R/F1 per role and attribution P/R/F1 against PolNeAR's gold spans."""
    from attribution.evaluate.polnear import evaluate_polnear, print_scores

    pipeline = _pipeline(config, parser=parser, spans=spans, only=only, runtime=runtime.value if runtime else None)
    print_scores(evaluate_polnear(folder, pipeline, workers, parses), as_json)


@evaluate_app.command("claims")
def evaluate_claims_command(
    gold: Path = typer.Argument(..., help="The team's claim clusters (attribution.claims.v1 JSONL, data/README.md)."),
    out: Path = typer.Argument(..., help="An output folder of `attribution annotate` over the gold's articles."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Link and conflict P/R/F1 over cross-article sentence pairs, and coverage, of OUT/claims.jsonl."""
    from attribution.claims.gold import read_clusters
    from attribution.evaluate.claims import score_clusters
    from attribution.output import read_records
    from attribution.output import read_clusters as read_output_clusters

    records = read_records(out)
    if not records:
        raise FileNotFoundError(f"{out}: no annotations.jsonl there (not an output folder of `attribution annotate`)")
    predicted = read_output_clusters(out)
    if predicted is None:
        raise FileNotFoundError(f"{out}: no claims.jsonl there (annotate a batch of two or more articles, or run `attribution corroborate`)")
    _report(score_clusters(read_clusters(gold), records, predicted), as_json)


@evaluate_app.command("quotes")
def evaluate_quotes_command(
    gold: Path = typer.Argument(..., help="Folder of ID.json quote files in the Gender Gap Tracker's style (quote_index, speaker_index, verb_index)."),
    out: Path = typer.Argument(..., help="An output folder of `attribution annotate` over the gold's articles."),
    kinds: str = typer.Option("speech", help="Attribution categories that count as quotes, comma-separated (speech, stance, evidence, document, relay)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Quote P/R/F1 at 0.3 and 0.8 character overlap, speaker and cue accuracy on matched quotes."""
    from attribution.evaluate.quotes import read_gold, score_quotes
    from attribution.output import read_records

    records = read_records(out)
    if not records:
        raise FileNotFoundError(f"{out}: no annotations there (not an output folder of `attribution annotate`)")
    chosen = frozenset(kind.strip() for kind in kinds.split(",") if kind.strip())
    _report(score_quotes(read_gold(gold), records, chosen), as_json)


@train_app.command("linker")
def train_linker_command(
    train: list[Path] = typer.Option([], "--train", help="Claim clusters to train the claim encoder on (data/claims/train*.jsonl); needed unless --steps 0."),
    fit: Path = typer.Option(..., "--fit", help="Claim clusters to fit the pair scorer and threshold on (data/claims/dev.jsonl)."),
    test: list[Path] = typer.Option([], "--test", help="Held-out clusters, scored for the model card."),
    corpus: Path | None = typer.Option(None, help="Article texts as ID.txt (default: SHARED/war_news/articles)."),
    sets: Path = typer.Option(Path("data/claims/sets.json"), help="Each gold file's articles by its name (those without a cluster count too)."),
    annotations: list[Path] = typer.Option([], "--annotations", help="Output folders holding the articles' annotations already (else they are annotated now)."),
    out: Path = typer.Option(Path("attribution/models/linker"), help="Model folder to write."),
    steps: int | None = typer.Option(None, help="Override the claim encoder's steps (e.g. a quick trial; 0: the base encoder untuned, the training clusters unused)."),
    threads: int = typer.Option(0, help="Torch threads (0: torch's default)."),
    config: Path | None = CONFIG_OPTION,
) -> None:
    """Train the claim linker: the claim encoder's adapters, then the pair scorer; write OUT with its model card."""
    import json
    from dataclasses import replace

    from attribution.claims.gold import read_clusters
    from attribution.encoder.lora import LoraSettings
    from attribution.output import read_records
    from attribution.train.linker import EncoderRecipe, LinkerData, run_linker_training

    if threads:
        import torch

        torch.set_num_threads(threads)
    texts = corpus or DEFAULT_SHARED / "war_news" / "articles"
    articles = json.loads(sets.read_text(encoding="utf-8")) if sets.exists() else {}
    known = {r["id"]: r for folder in annotations for r in read_records(folder)}
    pipeline = None

    def data(path: Path) -> LinkerData:
        nonlocal pipeline
        gold = read_clusters(path)
        wanted = articles.get(path.stem) or sorted({m.article for c in gold for m in c.members})
        missing = [i for i in wanted if i not in known]
        if missing:
            from attribution.ingest import read

            pipeline = pipeline or _pipeline(config)
            err.print(f"annotating {len(missing)} articles of {path}", highlight=False)
            for article in pipeline.pipe(read([texts / f"{i}.txt" for i in missing])):
                known[article.id] = article.to_record()
        return LinkerData.of(gold, [known[i] for i in wanted])

    recipe = EncoderRecipe() if steps is None else replace(EncoderRecipe(), steps=steps)
    if recipe.steps and not train:
        raise ValueError("--train: the claim encoder needs training clusters (or --steps 0 for the base encoder)")
    result = run_linker_training([data(p) for p in train] if recipe.steps else [], data(fit), [(p.stem, data(p)) for p in test], out, recipe,
                                 LoraSettings(r=8, alpha=16), lambda step, total, loss: err.print(f"step {step}/{total} loss {loss:.3f}")
                                 if step % 50 == 0 or step == total else None)
    print(json.dumps({name: {k: s[k] for k in ("link", "conflict", "coverage")} for name, s in result["scores"].items()}))
    err.print(f"linker and card written to {out}")


@train_app.command("spans")
def train_spans_command(
    polnear: Path = typer.Option(..., help="PolNeAR's data folder (with train/ and dev/)."),
    out: Path = typer.Option(Path("attribution/models/spans"), help="Where to write the model and its card."),
    parses: Path | None = typer.Option(None, help="Folder to keep parses in and reuse them from (outside the repo)."),
    max_articles: int = typer.Option(0, help="Train on the first N articles only (0: all)."),
    tagger_steps: int = typer.Option(0, help="Stop each tagger after N steps (0: its recipe's epochs)."),
    threads: int = typer.Option(0, help="Torch threads (0: torch's default)."),
    labels: list[Path] = typer.Option([], "--labels", help="Reviewed labels whose cue and content spans to train on too (`labels export`)."),
    corpus: Path = typer.Option(DEFAULT_SHARED / "war_news" / "articles", help="The labeled articles' texts as ID.txt (with --labels)."),
    previous: Path | None = typer.Option(None, help="The span model to score on dev before training, with --labels (default: the shipped one)."),
    config: Path | None = CONFIG_OPTION,
) -> None:
    """Train the span model's two contextual taggers on PolNeAR train (and reviewed spans); score it on dev."""
    from attribution.train.spans import TrainConfig, run_training
    from attribution.train.taggers import load_recipes

    if threads:
        import torch

        torch.set_num_threads(threads)
    run_training(polnear, out, parses, TrainConfig(max_articles=max_articles, taggers=load_recipes(tagger_steps)), err, config,
                 labels, corpus, previous)


app.command()(review)
app.add_typer(labels_app, name="labels")

if __name__ == "__main__":
    app()
