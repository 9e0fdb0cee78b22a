"""Model cards, one template for every model (templates/model_card.md.j2): what the model is,
the command that made it, its data and metrics as sections, and each file's SHA-256."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, PackageLoader

from attribution.files import sha256, write_atomic
from attribution.version import command_line

CARD = "MODEL_CARD.md"


@dataclass(frozen=True)
class Section:
    heading: str
    body: str  # Markdown


def table(header: list[str], rows: list[list[object]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def write_card(folder: Path, title: str, summary: str, sections: list[Section], files: list[str], command: str | None = None) -> Path:
    """Write folder/MODEL_CARD.md; `files` are the model's files, hashed as they are now."""
    environment = Environment(loader=PackageLoader("attribution.train", "templates"), keep_trailing_newline=True)
    listed = [{"name": name, "size": (folder / name).stat().st_size, "sha256": sha256(folder / name)} for name in files]
    text = environment.get_template("model_card.md.j2").render(
        title=title, summary=summary.strip(), sections=sections, files=listed, command=command or command_line())
    write_atomic(folder / CARD, text)
    return folder / CARD
