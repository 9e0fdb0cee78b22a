from __future__ import annotations

import json

from attribution.ingest import IngestError, read_articles


def articles(*paths):
    return list(read_articles(paths))


def test_txt_keeps_exact_text_and_stem_id(tmp_path):
    text = "Line one, he said.\r\n\n  Second   line “quoted”.\n"
    path = tmp_path / "story-1.txt"
    path.write_bytes(text.encode("utf-8"))
    [article] = articles(path)
    assert article.id == "story-1"
    assert article.text == text.replace("\r\n", "\n") or article.text == text


def test_html_drops_scripts_and_styles_keeps_text(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>Kyiv &amp; Moscow</title><style>p {color: red}</style></head><body>"
        "<h1>Talks</h1><p>The minister <b>said</b> talks would resume.<script>alert('x')</script></p>"
        "<noscript>enable js</noscript><p>Second paragraph.</p></body></html>",
        encoding="utf-8",
    )
    [article] = articles(path)
    assert article.meta["title"] == "Kyiv & Moscow"
    assert "The minister said talks would resume." in article.text
    assert "Second paragraph." in article.text
    assert "alert" not in article.text and "color: red" not in article.text and "enable js" not in article.text
    assert article.text.index("Talks") < article.text.index("The minister")
    assert "\n" in article.text  # blocks become paragraphs


def test_jsonl_rows_with_meta_and_bad_lines(tmp_path):
    path = tmp_path / "batch.jsonl"
    rows = [
        json.dumps({"id": "a1", "text": "Officials said the bridge was hit.", "title": "Bridge", "outlet": "X", "date": "2024-01-01"}),
        "{not json",
        json.dumps({"id": "a2"}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": "a3", "text": "A second article."}),
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = articles(path)
    good = [r for r in result if not isinstance(r, IngestError)]
    bad = [r for r in result if isinstance(r, IngestError)]
    assert [a.id for a in good] == ["a1", "a3"]
    assert good[0].meta == {"title": "Bridge", "outlet": "X", "date": "2024-01-01", "file": f"{path}:1"}
    assert [str(e).split(": ")[0] for e in bad] == [f"{path}:2", f"{path}:3", f"{path}:4"]
    assert "malformed JSON" in bad[0].message


def test_csv_rows(tmp_path):
    path = tmp_path / "batch.csv"
    path.write_text('id,text,url\nc1,"He said, ""yes"".",http://example.org/1\nc2,,\n', encoding="utf-8")
    result = articles(path)
    assert result[0].id == "c1" and result[0].text == 'He said, "yes".' and result[0].meta == {"url": "http://example.org/1", "file": f"{path}:2"}
    assert isinstance(result[1], IngestError) and "empty article" in result[1].message


def test_folders_are_read_recursively_and_sorted(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "b.txt").write_text("B text.", encoding="utf-8")
    (tmp_path / "sub" / "a.txt").write_text("A text.", encoding="utf-8")
    (tmp_path / "notes.md").write_text("ignored", encoding="utf-8")
    assert [a.id for a in articles(tmp_path)] == ["b", "a"]


def test_bad_files_give_one_line_errors(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Caf\xe9 au lait".encode("latin-1"))
    missing = tmp_path / "missing.txt"
    result = articles(empty, binary, latin, missing)
    assert all(isinstance(r, IngestError) for r in result)
    messages = [str(r) for r in result]
    assert "empty" in messages[0] and "binary" in messages[1] and "invalid UTF-8 at byte 3" in messages[2] and "no such file" in messages[3]
    assert all("\n" not in m and m.startswith(str(tmp_path)) for m in messages)
