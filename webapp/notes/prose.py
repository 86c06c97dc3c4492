"""Generated text that compresses like real writing, for benchmarks that mean something.

Words follow a Zipf distribution over a large made-up vocabulary (with some accented and
non-Latin words), in sentences and paragraphs of varied length, with punctuation, quotes,
line breaks and a few titles that a spreadsheet would read as formulas.
"""

from __future__ import annotations

import functools
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass

VOCABULARY = 40_000
ZIPF_EXPONENT = 1.07
PARAGRAPHS = 60_000
TITLES = 20_000
SYLLABLES = (
    "ka lo mi ren sa to ve li an der hal mor tis en ul ra bet qui fen gor ast ine "
    "pla stro che wil ny ox ber tha lu ic ja pe dro sum vin ol ter bri am es"
).split()
FOREIGN = (
    "café naïve Zürich façade résumé jalapeño smörgåsbord Ærø déjà-vu straße "
    "Москва привет 東京 こんにちは 北京 ☃ ✓ — “quoted” ‘single’ €"
).split()
FORMULAS = ("=SUM(A1:A9)", "+1 555 0100", "-5 degrees", "@team", "=HYPERLINK(x)")
ENDINGS = (".", ".", ".", ".", "!", "?", "…", ";")


@dataclass(frozen=True)
class Prose:
    """Pools of paragraphs and titles; notes are made of a few of them each."""

    paragraphs: tuple[str, ...]
    titles: tuple[str, ...]

    def notes(self, seed: int = 7) -> Iterator[tuple[str, str]]:
        """Yield (title, body) forever; bodies join one to three paragraphs."""
        rng = random.Random(seed)
        paragraphs, titles = self.paragraphs, self.titles
        for _ in itertools.count():
            pieces = rng.choices(paragraphs, k=rng.choice((1, 1, 1, 1, 2, 2, 3)))
            yield titles[rng.randrange(len(titles))], "\n\n".join(pieces)


def _vocabulary(rng: random.Random) -> list[str]:
    """Made-up words of one to four syllables, the shortest ones the most common."""
    words = {rng.choice(SYLLABLES) for _ in range(60)}
    while len(words) < VOCABULARY:
        length = min(4, 1 + int(rng.expovariate(0.9)))
        words.add("".join(rng.choices(SYLLABLES, k=length)))
    ranked = sorted(words, key=lambda word: len(word) + rng.random() * 6)
    for index in range(len(FOREIGN)):
        ranked.insert(200 + index * 37, FOREIGN[index])
    return ranked


def _sentence(words: Iterator[str], rng: random.Random) -> str:
    """One sentence of 3 to 22 words with commas, sometimes quoted or a question."""
    picked = [next(words) for _ in range(rng.randint(3, 22))]
    for _ in range(len(picked) // 8):
        picked[rng.randrange(len(picked))] += ","
    text = " ".join(picked).rstrip(",")
    text = text[0].upper() + text[1:] + rng.choice(ENDINGS)
    if rng.random() < 0.08:
        text = f'"{text}" {next(words)} said.'
    return text


def _paragraph(words: Iterator[str], rng: random.Random) -> str:
    """One to five sentences, sometimes broken over lines as a list or a poem is."""
    sentences = [_sentence(words, rng) for _ in range(rng.randint(1, 5))]
    joiner = "\n" if rng.random() < 0.15 else " "
    return joiner.join(sentences)


def _title(words: Iterator[str], rng: random.Random) -> str:
    """A short title; one in fifty starts like a spreadsheet formula."""
    text = " ".join(next(words) for _ in range(rng.randint(1, 7))).capitalize()
    return f"{rng.choice(FORMULAS)} {text}" if rng.random() < 0.02 else text


@functools.cache
def make_prose(seed: int = 11) -> Prose:
    """Build the pools once per process (cached): it takes about a second."""
    rng = random.Random(seed)
    vocabulary = _vocabulary(rng)
    weights = list(itertools.accumulate(1 / rank**ZIPF_EXPONENT for rank in range(1, VOCABULARY)))
    stream = rng.choices(vocabulary[: len(weights)], cum_weights=weights, k=3_000_000)
    words = iter(itertools.cycle(stream))
    paragraphs = tuple(_paragraph(words, rng) for _ in range(PARAGRAPHS))
    titles = tuple(_title(words, rng) for _ in range(TITLES))
    return Prose(paragraphs, titles)
