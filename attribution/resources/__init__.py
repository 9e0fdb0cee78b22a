"""The package's data files: lexicons, label sets, policies, recipes and the output schema.

Every stage reads its data through `data()`, so a file is parsed once per process and a user
who edits a copy passes its path where the command line takes one (`--policy`, `--config`).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml


def text(name: str) -> str:
    """A shipped file's text."""
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


@cache
def data(name: str) -> Any:
    """A shipped YAML or JSON file, parsed once; callers must not change what it returns."""
    return parse(text(name), name)


def parse(content: str, name: str) -> Any:
    """YAML or JSON by the file name's suffix."""
    return json.loads(content) if name.endswith(".json") else yaml.safe_load(content)


def read(path: str | Path | None, default: str) -> tuple[Any, str]:
    """A user's file when a path is given, else the shipped `default`; with the name it is known by."""
    if path is None:
        return data(default), f"{default} (built in)"
    path = Path(path)
    return parse(path.read_text(encoding="utf-8"), path.name), str(path)


class ModelNotFound(FileNotFoundError):
    """A model the configuration names is not where it should be."""


def model_folder(name: str) -> Path:
    """The folder of a model shipped inside the package (`attribution/models/NAME`), wherever
    the package is installed (editable, wheel or source tree)."""
    folder = Path(str(resources.files("attribution").joinpath("models", name)))
    if not folder.is_dir():
        raise ModelNotFound(f"the shipped {name} model is missing: {folder} does not exist (reinstall the package)")
    return folder
