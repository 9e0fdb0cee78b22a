"""Registries of named factories: parser backends and pipeline stages are chosen by name in the
pipeline config, and a user's own join them with `register` (in the spirit of spaCy's factories
and Stanza's processors)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

Factory = TypeVar("Factory", bound=Callable[..., Any])


class Registry(Generic[Factory]):
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._factories: dict[str, Factory] = {}

    def register(self, name: str) -> Callable[[Factory], Factory]:
        """A decorator that registers a factory under `name` (a later one replaces an earlier)."""
        def add(factory: Factory) -> Factory:
            self._factories[name] = factory
            return factory
        return add

    def get(self, name: str) -> Factory:
        if name not in self._factories:
            raise ValueError(f"unknown {self.kind} {name!r}; registered: {', '.join(self.names())}")
        return self._factories[name]

    def names(self) -> list[str]:
        return sorted(self._factories)
