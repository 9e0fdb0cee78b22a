"""The package's version, in one place (pyproject.toml reads it too)."""

VERSION = "0.2.0"
