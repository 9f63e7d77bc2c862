"""Chinese names the way Chinese software finds them: sorted by pinyin, and found by pinyin
initials or full pinyin (``qs`` or ``qingshi`` finds 青石村), or by any mix of syllable
prefixes (``qshi``), as well as by the characters themselves."""

from __future__ import annotations

from functools import lru_cache

from pypinyin import Style, lazy_pinyin


@lru_cache(maxsize=65536)
def syllables(text: str) -> tuple[str, ...]:
    """The pinyin of ``text``, one lower-case syllable (no tone) per character; other
    characters (letters, digits) lower-cased and kept as they are, a run of them one piece."""
    out: list[str] = []
    for piece in lazy_pinyin(text or "", style=Style.NORMAL, errors=lambda s: [s]):
        piece = piece.strip().lower()
        if piece:
            out.append(piece)
    return tuple(out)


def sort_key(text: str) -> tuple[str, str]:
    """Order by full pinyin (青石村 as ``qing shi cun``), then by the text itself."""
    return " ".join(syllables(text)), text or ""


def _from(parts: tuple[str, ...], i: int, query: str) -> bool:
    """``query`` is a non-empty prefix of parts[i] followed by a match from parts[i + 1] on."""
    if not query:
        return True
    if i >= len(parts):
        return False
    part = parts[i]
    longest = 0
    while longest < min(len(part), len(query)) and part[longest] == query[longest]:
        longest += 1
    return any(_from(parts, i + 1, query[n:]) for n in range(longest, 0, -1))


def matches(query: str, text: str) -> bool:
    """True when ``query`` finds ``text``: the characters themselves, or syllable prefixes from
    any syllable on (initials ``qs``, full ``qingshi``, mixed ``qshi``). An empty query finds
    everything; spaces and apostrophes in the query are ignored; case does not matter."""
    q = "".join(ch for ch in (query or "").lower() if not ch.isspace() and ch != "'")
    if not q:
        return True
    if q in (text or "").lower():
        return True
    parts = syllables(text or "")
    return any(_from(parts, i, q) for i in range(len(parts)))
