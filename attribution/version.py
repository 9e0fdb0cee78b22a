"""The package's version, in one place (pyproject.toml reads it too), and the command line it
was started with (model cards and provenance name it)."""

from __future__ import annotations

import shlex
import sys

VERSION = "0.2.0"

_typed: list[str] | None = None  # the arguments as a caller gave them (the CLI; a test's runner)


def remember_command(arguments: list[str]) -> None:
    global _typed
    _typed = list(arguments)


def command_line() -> str:
    """The command as the user ran it (as `attribution ...`, however it was started: a shell,
    `python -m`, a test's runner)."""
    typed = sys.argv[1:] if _typed is None else _typed
    return " ".join(["attribution", *(shlex.quote(arg) for arg in typed)])
