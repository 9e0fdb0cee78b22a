"""Annotating on a Dask cluster (`attribution annotate ... --scheduler tcp://HOST:PORT`).

The workers run the same package; each builds the pipeline once, when it starts (a worker
plugin: a restarted worker builds it again), so tasks carry articles, never models. The client
reads the input lazily and keeps only a few partitions in flight, so it never holds the corpus;
each finished partition becomes one part file of the output folder (`output.ShardedFolder`).
A worker that dies takes its partitions with it and the scheduler runs them again elsewhere;
a stopped client or scheduler leaves the manifest of the parts that are whole, and `--resume`
goes on from there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from distributed import Client, WorkerPlugin, as_completed, get_worker

from attribution.document import Article
from attribution.output import ShardedFolder
from attribution.pipeline import Annotated, Failed, Pipeline, in_batches, limit_threads

PLUGIN = "attribution-pipeline"


class PipelineOnWorker(WorkerPlugin):
    """The pipeline of one config, built once on each worker, by its first task (in the task's
    thread: loading the models would hold up the worker's heartbeat)."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config

    def setup(self, worker: Any) -> None:
        self._lock = threading.Lock()
        self._pipeline: Pipeline | None = None

    def pipeline(self) -> Pipeline:
        with self._lock:
            if self._pipeline is None:
                limit_threads()  # one thread per worker process, as local workers run (again once torch is in)
                self._pipeline = Pipeline(self.config)
                limit_threads()
            return self._pipeline


def _annotate_partition(articles: list[Article], formats: tuple[str, ...]) -> list[Annotated | Failed]:
    return get_worker().plugins[PLUGIN].pipeline().annotate(articles, formats, keep_articles=False)


def run_on_cluster(client: Client, config: dict[str, Any], articles: Iterable[Article], folder: ShardedFolder,
                   formats: Iterable[str] = (), partition: int = 32, in_flight: int = 0,
                   on_partition: Callable[[int], None] | None = None) -> Iterator[Annotated | Failed]:
    """Annotate on the cluster `client` is connected to; each finished partition is written to
    `folder` before its results are yielded (in the order partitions finish). `in_flight`:
    partitions submitted at a time (0: two per worker); `on_partition(n)` follows the n-th."""
    client.register_plugin(PipelineOnWorker(config), name=PLUGIN)
    workers = max(1, len(client.scheduler_info()["workers"]))
    pending = in_batches(articles, partition)
    running = as_completed()
    formats = tuple(formats)

    def submit_next() -> bool:
        batch = next(pending, None)
        if batch is None:
            return False
        running.add(client.submit(_annotate_partition, batch, formats, pure=False))
        return True

    for _ in range(in_flight or 2 * workers):
        if not submit_next():
            break
    finished = 0
    for future in running:
        results = future.result()
        future.release()
        folder.write_part([r for r in results if isinstance(r, Annotated)])
        finished += 1
        if on_partition:
            on_partition(finished)
        yield from results
        submit_next()
