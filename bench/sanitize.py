"""Sanitizing a 10 KB and a 100 KB document with each backend of nko_openness.core.sanitizer."""

from __future__ import annotations

import time
from random import Random

from nko_openness.core.sanitizer import Sanitizer
from nko_openness.devdata.generator_text import TextFactory

from .stats import Sample

# What an editor pastes from a word processor: styles, classes, spans, a script, links.
PASTED = (
    '<p class="MsoNormal" style="margin:0cm"><span style="font-family:Arial">{text}</span></p>'
    '<p><a href="https://example.ru/report.pdf" target="_blank" onclick="track()">Отчёт</a> '
    '<script>alert(1)</script><b>важно</b>: <i>срок</i> до 1 марта.</p>'
    '<table border="1"><tr><td style="width:50%">План</td><td>Факт</td></tr></table>'
)


def document(size: int, seed: int = 1) -> str:
    """A rich text of about ``size`` bytes (UTF-8), in the mix editors really send."""
    text = TextFactory(Random(seed))
    parts: list[str] = []
    while len("".join(parts).encode()) < size:
        parts.append(text.rich_text(3, "Белогорск", 2010, bullets=True))
        parts.append(PASTED.format(text=text.sentences(3, "Белогорск", 2010)))
    return "".join(parts)


def measure(rounds: int) -> dict:
    """{(size label, backend): Sample of ms per document}."""
    results = {}
    for label, size in (("10 KB", 10_000), ("100 KB", 100_000)):
        doc = document(size)
        for backend in ("bleach", "nh3"):
            sanitizer = Sanitizer(backend=backend)
            sanitizer.clean(doc)  # warm-up: parser set-up, caches
            calls = 20 if size < 50_000 else 3
            sample = Sample()
            for _ in range(rounds):
                started = time.perf_counter()
                for _ in range(calls):
                    sanitizer.clean(doc)
                sample.values.append((time.perf_counter() - started) * 1000 / calls)
            results[f"{label} {backend}"] = sample
    return results
