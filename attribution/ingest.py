"""Read articles from .txt, .html, .jsonl and .csv files or folders of them.

Each input yields either an `Article` or an `IngestError` with a one-line message naming the
input, so a batch goes on past bad files. The text is kept exactly as read (HTML: the visible
text), because every offset in the output refers to it.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from attribution.document import Article
from attribution.files import jsonl_rows

SUFFIXES = (".txt", ".html", ".htm", ".jsonl", ".csv")
META_FIELDS = ("title", "url", "outlet", "date")
# HTML elements whose content is never article text.
_DROP_TAGS = ["script", "style", "noscript", "template", "svg", "iframe", "head"]
_BLOCK_TAGS = {
    "p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "section",
    "article", "header", "footer", "tr", "table", "ul", "ol", "figcaption", "pre", "hr",
}
_BLANK_LINES = re.compile(r"\n\s*\n\s*")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")


@dataclass(frozen=True)
class IngestError:
    source: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


STDIN = "-"


def discover(paths: Iterable[str | Path]) -> Iterator[tuple[Path, str] | IngestError]:
    """(file, article id) for the files named and the supported files under the folders named
    (sorted, recursively). The id is the file's stem; where two files share a stem, each takes its
    path from the folder named, without the suffix ("a/x", "b/x"), so ids stay unique."""
    found: list[tuple[Path, Path] | IngestError] = []  # in input order: (file, the folder it was found under) or an error
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found += [(p, path) for p in sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)]
        elif path.is_file():
            found.append((path, path.parent))
        else:
            found.append(IngestError(str(path), "no such file or folder"))
    stems = Counter(item[0].stem for item in found if not isinstance(item, IngestError))
    for item in found:
        if isinstance(item, IngestError):
            yield item
            continue
        file, base = item
        yield file, file.stem if stems[file.stem] == 1 else file.relative_to(base).with_suffix("").as_posix()


def read(paths: str | Path | Iterable[str | Path], errors: str = "raise") -> Iterator[Article]:
    """The articles of files or folders (.txt .html .jsonl .csv). A bad input raises
    `IngestFailure` naming it (errors="raise") or is skipped ("skip")."""
    if errors not in ("raise", "skip"):
        raise ValueError("errors must be 'raise' or 'skip'")
    for item in read_articles([paths] if isinstance(paths, (str, Path)) else paths):
        if isinstance(item, IngestError):
            if errors == "raise":
                raise IngestFailure(str(item))
            continue
        yield item


class IngestFailure(ValueError):
    """An input that is not a readable article."""


def read_articles(paths: Iterable[str | Path]) -> Iterator[Article | IngestError]:
    """Each article of the inputs, or an `IngestError` for each input that could not be read;
    `-` reads standard input (JSONL rows when it starts with "{", else one article "stdin")."""
    paths = list(paths)
    if any(str(p) == STDIN for p in paths):
        yield from _stdin()
    for item in discover(p for p in paths if str(p) != STDIN):
        if isinstance(item, IngestError):
            yield item
            continue
        path, article_id = item
        try:
            yield from read_file(path, article_id)
        except OSError as error:
            yield IngestError(str(path), f"cannot read: {error.strerror or error}")


def _stdin() -> Iterator[Article | IngestError]:
    try:
        text = decode(sys.stdin.buffer.read())
    except ValueError as error:
        yield IngestError("standard input", str(error))
        return
    if text.lstrip().startswith("{"):
        yield from _rows(Path("standard input"), _jsonl_rows(text, "standard input"))
    elif text.strip():
        yield Article(id="stdin", text=text)
    else:
        yield IngestError("standard input", "empty: no text to annotate")


def read_file(path: Path, article_id: str | None = None) -> Iterator[Article | IngestError]:
    suffix = path.suffix.lower()
    try:
        text = decode(path.read_bytes())
    except ValueError as error:
        yield IngestError(str(path), str(error))
        return
    if suffix in (".jsonl",):
        yield from _rows(path, _jsonl_rows(text, str(path)))
    elif suffix == ".csv":
        yield from _rows(path, _csv_rows(text))
    else:
        body, title = (html_to_text(text) if suffix in (".html", ".htm") else (text, None))
        if not body.strip():
            yield IngestError(str(path), "empty article: no text to annotate")
            return
        yield Article(id=article_id or path.stem, text=body, meta={"title": title, "file": str(path)} if title else {"file": str(path)})


# Formats that are not text, by the bytes they start with: refused by content, whatever the file is called.
_BINARY_MAGIC = {b"%PDF": "PDF", b"PK\x03\x04": "ZIP (a .docx, .xlsx or .epub)", b"\x89PNG": "PNG image", b"\xff\xd8\xff": "JPEG image",
                 b"GIF8": "GIF image", b"\xd0\xcf\x11\xe0": "MS Office document", b"{\\rtf": "RTF document"}


def decode(data: bytes) -> str:
    """UTF-8 text (a BOM is dropped); binary data and other encodings get a clear error."""
    for magic, kind in _BINARY_MAGIC.items():
        if data.startswith(magic):
            raise ValueError(f"a {kind}, not a text article: convert it to text or HTML first")
    if b"\x00" in data[:8192]:
        raise ValueError("binary file (NUL bytes): not a text article")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"invalid UTF-8 at byte {error.start}: save the file as UTF-8") from None


def _jsonl_rows(text: str, where: str) -> Iterator[tuple[int, dict | str]]:
    for number, row in jsonl_rows(text.splitlines(), where, errors="yield"):
        if isinstance(row, ValueError):
            yield number, str(row).removeprefix(f"{where}:{number}: ")
        else:
            yield number, row if isinstance(row, dict) else "a line must be a JSON object"


def _csv_rows(text: str) -> Iterator[tuple[int, dict | str]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        for row in reader:
            yield reader.line_num, row
    except csv.Error as error:
        yield reader.line_num, f"malformed CSV ({error})"


def _rows(path: Path, rows: Iterable[tuple[int, dict | str]]) -> Iterator[Article | IngestError]:
    empty = True
    for number, row in rows:
        empty = False
        where = f"{path}:{number}"
        if isinstance(row, str):
            yield IngestError(where, row)
            continue
        article_id, text = row.get("id"), row.get("text")
        if article_id in (None, "") or not isinstance(text, str):
            yield IngestError(where, "a row needs an 'id' and a string 'text'")
            continue
        if not text.strip():
            yield IngestError(where, f"empty article {article_id!r}: no text to annotate")
            continue
        meta = {key: row[key] for key in META_FIELDS if row.get(key) not in (None, "")}
        yield Article(id=str(article_id), text=text, meta={**meta, "file": where})
    if empty:
        yield IngestError(str(path), "empty file: no articles")


def html_to_text(html: str) -> tuple[str, str | None]:
    """Visible text of an HTML page, one line per block element; scripts and styles dropped."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    title_node = tree.css_first("title")
    title = title_node.text(strip=True) if title_node else None
    tree.strip_tags(_DROP_TAGS)
    root = tree.body or tree.root
    parts: list[str] = []
    if root is not None:
        for node in root.traverse(include_text=True):
            if node.tag == "-text":
                parts.append(node.text_content or "")
            elif node.tag in _BLOCK_TAGS:
                parts.append("\n\n")
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(parts).split("\n"))
    text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    return text, title
