"""Command line of the review tool: `attribution review` and `attribution labels ...`.

Web and database modules are imported inside the commands, so `attribution annotate` does not
pay for them.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import typer
from rich.console import Console

err = Console(stderr=True, soft_wrap=True, highlight=False)
labels_app = typer.Typer(help="Labeled data: export reviewers' decisions, convert to and from Label Studio.", no_args_is_help=True)

_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def _fail(message: str) -> typer.Exit:
    err.print(f"error: {message}", markup=False)
    return typer.Exit(2)


def allowed_hosts(host: str) -> list[str]:
    """Host headers the server answers: the bound address and the loopback names, so a page that
    rebinds its own domain name to this address gets nothing; anything for a wildcard bind."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return list(dict.fromkeys([host.lower(), *_LOOPBACK_NAMES]))
    if address.is_unspecified:
        return ["*"]
    return list(dict.fromkeys([f"[{address}]" if address.version == 6 else str(address), *_LOOPBACK_NAMES]))


def review(
    outdir: Path = typer.Argument(..., help="Annotation folder written by `attribution annotate`."),
    db: Path | None = typer.Option(None, help="SQLite database of the decisions (default: OUTDIR/review.sqlite3)."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on. Only this machine can reach 127.0.0.1."),
    port: int = typer.Option(8765, help="Port to listen on."),
    reviewer: str = typer.Option("", help="Reviewer name filled in on the pages (each reviewer can change it there)."),
) -> None:
    """Review and correct an annotation folder in the browser; decisions go to a SQLite database."""
    import uvicorn

    from attribution.review.app import create_app
    from attribution.review.corpus import CorpusError, load_corpus
    from attribution.review.store import Store

    try:
        corpus = load_corpus(outdir)
        store = Store(db or outdir / "review.sqlite3")
    except (CorpusError, ValueError) as error:
        raise _fail(str(error)) from None
    hosts = allowed_hosts(host)
    if hosts == ["*"]:
        err.print(f"warning: listening on every interface ({host}); anyone who can reach port {port} can read the articles")
    app = create_app(corpus, store, reviewer=reviewer, allowed_hosts=hosts)
    _check_port(host, port)
    err.print(f"reviewing {len(corpus.articles)} articles from {outdir}; decisions in {store.path}")
    err.print(f"open http://{'127.0.0.1' if hosts == ['*'] else hosts[0]}:{port}/   (Ctrl+C stops)")
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)


def _check_port(host: str, port: int) -> None:
    """Fail in one line before saying where to open a server that cannot start."""
    import socket

    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as error:
            raise _fail(f"cannot listen on {host}:{port}: {error.strerror or error} (another server there? choose --port)") from None


@labels_app.command("export")
def export_labels(
    db: Path = typer.Option(..., help="The review database (OUTDIR/review.sqlite3)."),
    out: Path = typer.Option(..., "-o", "--out", help="Labels file to write (attribution.labels.v1 JSONL)."),
) -> None:
    """Write every standing decision as a label: corrections as corrected, accepts as confirmed."""
    from attribution.labels import write_labels
    from attribution.review.store import Store

    if not db.is_file():
        raise _fail(f"no review database at {db}")
    try:
        count = write_labels(out, Store(db).labels())
    except (ValueError, OSError) as error:
        raise _fail(str(error)) from None
    err.print(f"{count} labels -> {out}")


@labels_app.command("export-labelstudio")
def export_labelstudio(
    outdir: Path = typer.Argument(..., help="Annotation folder written by `attribution annotate`."),
    out: Path = typer.Option(..., "-o", "--out", help="Label Studio tasks file to write (JSON)."),
    labels: Path | None = typer.Option(None, help="Labels (JSONL) to include as annotations, e.g. from `labels export`."),
    config: Path | None = typer.Option(None, help="Also write Label Studio's labeling interface (XML) here."),
) -> None:
    """Label Studio tasks, one per sentence, with the predictions and any existing labels."""
    from attribution.labels import read_labels
    from attribution.files import write_atomic
    from attribution.review.corpus import CorpusError, load_corpus
    from attribution.review.labelstudio import labeling_config, tasks

    try:
        corpus = load_corpus(outdir)
        known = {(x.article, x.start, x.end, x.sha1): x for x in read_labels(labels)} if labels else {}
    except (CorpusError, ValueError, OSError) as error:
        raise _fail(str(error)) from None
    found = tasks(corpus.articles.values(), known)
    write_atomic(out, json.dumps(found, ensure_ascii=False, indent=1) + "\n")
    if config:
        write_atomic(config, labeling_config())
    annotated = sum("annotations" in t for t in found)
    unused = len(known) - annotated
    err.print(f"{len(found)} tasks ({annotated} with a label) -> {out}" + (f"; {unused} labels matched no sentence" if unused else ""))


@labels_app.command("import-labelstudio")
def import_labelstudio(
    tasks_file: Path = typer.Argument(..., help="Label Studio JSON export of the tasks."),
    out: Path = typer.Option(..., "-o", "--out", help="Labels file to write (attribution.labels.v1 JSONL)."),
    annotator: str | None = typer.Option(None, help="Annotator name for every label (default: from Label Studio)."),
) -> None:
    """Turn Label Studio annotations (latest per task) back into the team's labels."""
    from attribution.labels import write_labels
    from attribution.review.labelstudio import LabelStudioError, read_tasks

    try:
        found, unlabeled = read_tasks(tasks_file, annotator)
        count = write_labels(out, found)
    except (LabelStudioError, ValueError, OSError) as error:
        raise _fail(str(error)) from None
    err.print(f"{count} labels -> {out}; {unlabeled} tasks without an annotation skipped")
