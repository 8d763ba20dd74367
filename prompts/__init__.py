"""Prompt templates (plain text files shipped in the wheel), rendered strictly.

`render(name, **values)` substitutes `$name` placeholders; a missing or an unused value is
an error, so a template and its caller cannot drift apart silently.
"""

from __future__ import annotations

import string
from functools import cache
from importlib import resources


class PromptError(KeyError):
    """A template and the values given to it do not match."""


@cache
def template(name: str) -> string.Template:
    return string.Template(resources.files(__name__).joinpath(f"{name}.txt").read_text("utf-8"))


def render(name: str, **values: str) -> str:
    tmpl = template(name)
    wanted = {m.group("named") or m.group("braced") for m in tmpl.pattern.finditer(tmpl.template)}
    wanted.discard(None)
    if set(values) != wanted:
        raise PromptError(f"prompt {name!r} takes {sorted(wanted)}, got {sorted(values)}")
    return tmpl.substitute(values).strip()


def text(name: str) -> str:
    """A template with no placeholders (e.g. a system prompt), as is."""
    return render(name)


@cache
def glossary() -> tuple[tuple[str, str], ...]:
    """The English-to-Vietnamese word list the translation prompt gives the model, as
    (english, vietnamese) pairs, longest English first: the same words read what an English
    question counts when the model's translation loses it ("how many traffic accidents")."""
    pairs = []
    for line in text("translate_system").splitlines():
        for item in line.split(";"):
            if ":" not in item:
                continue
            english, vietnamese = item.split(":", 1)
            for word in english.split(","):
                if word.strip() and vietnamese.strip():
                    pairs.append((word.strip().lower(), vietnamese.strip()))
    return tuple(sorted(pairs, key=lambda p: -len(p[0])))


__all__ = ["PromptError", "glossary", "render", "template", "text"]
