"""Command line: attribution annotate | setup (more commands join as they are built)."""

from __future__ import annotations

import time
from enum import Enum
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from attribution.ingest import IngestError, read_articles
from attribution.parse import ParserUnavailable
from attribution.review.commands import labels_app, review

app = typer.Typer(help="Who is speaking in a news article, and how sure.", no_args_is_help=True, add_completion=False)
setup_app = typer.Typer(help="One-time set-up steps that need the internet.", no_args_is_help=True)
app.add_typer(setup_app, name="setup")
evaluate_app = typer.Typer(help="Measure against labeled data; --json prints one JSON object on the last line.", no_args_is_help=True)
app.add_typer(evaluate_app, name="evaluate")
err = Console(stderr=True, soft_wrap=True)  # one line per message, however long


class ParserName(str, Enum):
    spacy = "spacy"
    stanza = "stanza"


@app.command()
def annotate(
    paths: list[Path] = typer.Argument(..., help="Article files (.txt .html .jsonl .csv) or folders of them."),
    out: Path = typer.Option(..., "-o", "--out", help="Output folder."),
    parser: ParserName = typer.Option(ParserName.spacy, help="Parser backend."),
    formats: str = typer.Option("jsonl,html,text", "--format", help="Comma-separated: jsonl (always written), html, text."),
    resume: bool = typer.Option(False, help="Skip articles already in OUT's annotations.jsonl."),
    workers: int = typer.Option(0, help="Worker processes (0: one per core)."),
    policy: Path | None = typer.Option(None, help="Reliability policy file (default: the built-in reliability.yaml)."),
    max_chars: int = typer.Option(1_000_000, help="Refuse articles longer than this many characters."),
) -> None:
    """Annotate articles: attributions, speakers, certainty and reliability, written to OUT."""
    from attribution.output import OutputFolder
    from attribution.pipeline import FORMATS, Failed, Pipeline

    chosen = {f.strip() for f in formats.split(",") if f.strip()} | {"jsonl"}
    unknown = chosen - set(FORMATS)
    if unknown:
        raise typer.BadParameter(f"unknown format(s) {', '.join(sorted(unknown))}; choose from {', '.join(FORMATS)}")
    started = time.perf_counter()
    try:
        pipeline = Pipeline(parser=parser.value, policy=str(policy) if policy else None, formats=sorted(chosen), max_chars=max_chars)
    except (ParserUnavailable, ValueError, OSError) as error:
        err.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    folder = OutputFolder(out, resume=resume)
    failures, skipped, seen = 0, 0, set(folder.done)
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
                err.print(f"failed: {item.id}: duplicate article id in this batch", markup=False, highlight=False)
                continue
            seen.add(item.id)
            progress.update(task, total=(progress.tasks[0].total or 0) + 1)
            yield item

    with Progress(TextColumn("annotating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err, transient=False) as progress:
        task = progress.add_task("annotate", total=0)
        try:
            for result in pipeline.run(inputs(), workers=workers):
                if isinstance(result, Failed):
                    failures += 1
                    err.print(f"failed: {result.article_id}: {result.message}", markup=False, highlight=False)
                else:
                    folder.write(result)
                    totals["articles"] += 1
                    totals["sentences"] += len(result.record["sentences"])
                    totals["attributions"] += len(result.record["attributions"])
                    totals["words"] += result.words
                progress.advance(task)
        finally:
            folder.close()
    elapsed = time.perf_counter() - started
    rate = totals["words"] / elapsed if elapsed else 0.0
    err.print(
        f"{totals['articles']} articles, {totals['sentences']} sentences, {totals['attributions']} attributions, "
        f"{failures} failed, {skipped} skipped (already done) in {elapsed:.1f} s ({rate:,.0f} words/s) -> {out}",
        highlight=False,
    )
    if failures:
        raise typer.Exit(1)


@setup_app.command("stanza")
def setup_stanza(model_dir: Path | None = typer.Option(None, help="Where to put the models (default: Stanza's own).")) -> None:
    """Download Stanza's English models (needs the internet; run once)."""
    from attribution.parse.stanza_backend import download_models

    try:
        where = download_models(model_dir)
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
    parser: ParserName = typer.Option(ParserName.spacy, help="Parser backend."),
    workers: int = typer.Option(0, help="Worker processes (0: one per core)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on the last line."),
) -> None:
    """Speaker and certainty accuracy and macro-F1 of sentence labels against gold labels."""
    import json

    from attribution.evaluate.sentences import evaluate_sentences, load_split
    from attribution.pipeline import Pipeline

    articles = None
    if split:
        articles = load_split(splits or gold.with_name("splits.json"), split)
    scores = evaluate_sentences(gold, corpus, Pipeline(parser=parser.value, formats=()), articles, workers)
    if as_json:
        print(json.dumps(scores))
    else:
        for key, value in scores.items():
            print(f"{key:>20}: {value}")


app.command()(review)
app.add_typer(labels_app, name="labels")

if __name__ == "__main__":
    app()
