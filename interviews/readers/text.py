"""Plain text: encodings, their detection, and the list of every encoding Python knows.

Detection: UTF-8 (and BOMs) are recognised for certain. Otherwise charset-normalizer proposes the
plausible readings across all encodings, and the interview's language checks them: for French, the
legacy encodings French transcripts come in are added, and the reading that looks most like French
wins (charset-normalizer alone takes a short French Windows-1252 file for Windows-1250 or -1257, which
differ only in a few accented letters). Unsure answers are said so, with the other readings.
"""

import codecs
import encodings
import encodings.aliases
import pkgutil
import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from interviews.readers import CONTROL, Extracted, Unreadable

# Encodings offered first to the admin, by Python codec name.
ENCODINGS = {
    "utf-8": "UTF-8",
    "cp1252": "Windows-1252",
    "latin_1": "Latin-1 (ISO-8859-1)",
    "mac_roman": "Mac Roman",
    "utf-16": "UTF-16",
}
# Legacy encodings of French files from older Windows and Mac word processors: on equal readings,
# the first wins.
LEGACY_ENCODINGS = ("latin_1", "cp1252", "mac_roman")
MAX_ALTERNATIVES = 4  # readings besides the chosen one, when unsure
SAMPLE_BYTES = 8 * 1024  # what detection compares of a larger file: hundreds of accents

# What the languages of the other encodings are, for the searchable list (`all_encodings`).
LANGUAGES = {
    "ascii": gettext_lazy("English"),
    "big5": gettext_lazy("Traditional Chinese"),
    "big5hkscs": gettext_lazy("Traditional Chinese"),
    "cp037": gettext_lazy("English (EBCDIC)"),
    "cp437": gettext_lazy("English (DOS)"),
    "cp850": gettext_lazy("Western Europe (DOS)"),
    "cp852": gettext_lazy("Central and Eastern Europe (DOS)"),
    "cp855": gettext_lazy("Cyrillic (DOS)"),
    "cp866": gettext_lazy("Russian (DOS)"),
    "cp874": gettext_lazy("Thai"),
    "cp932": gettext_lazy("Japanese (Windows)"),
    "cp949": gettext_lazy("Korean (Windows)"),
    "cp950": gettext_lazy("Traditional Chinese (Windows)"),
    "cp1250": gettext_lazy("Central and Eastern Europe (Windows)"),
    "cp1251": gettext_lazy("Cyrillic (Windows)"),
    "cp1252": gettext_lazy("Western Europe (Windows)"),
    "cp1253": gettext_lazy("Greek (Windows)"),
    "cp1254": gettext_lazy("Turkish (Windows)"),
    "cp1255": gettext_lazy("Hebrew (Windows)"),
    "cp1256": gettext_lazy("Arabic (Windows)"),
    "cp1257": gettext_lazy("Baltic languages (Windows)"),
    "cp1258": gettext_lazy("Vietnamese (Windows)"),
    "euc_jp": gettext_lazy("Japanese"),
    "euc_kr": gettext_lazy("Korean"),
    "gb2312": gettext_lazy("Simplified Chinese"),
    "gbk": gettext_lazy("Simplified Chinese"),
    "gb18030": gettext_lazy("Simplified Chinese"),
    "hz": gettext_lazy("Simplified Chinese"),
    "iso2022_jp": gettext_lazy("Japanese"),
    "iso8859_2": gettext_lazy("Central and Eastern Europe"),
    "iso8859_5": gettext_lazy("Cyrillic"),
    "iso8859_6": gettext_lazy("Arabic"),
    "iso8859_7": gettext_lazy("Greek"),
    "iso8859_8": gettext_lazy("Hebrew"),
    "iso8859_9": gettext_lazy("Turkish"),
    "iso8859_15": gettext_lazy("Western Europe (with €)"),
    "koi8_r": gettext_lazy("Russian"),
    "koi8_u": gettext_lazy("Ukrainian"),
    "latin_1": gettext_lazy("Western Europe"),
    "mac_cyrillic": gettext_lazy("Cyrillic (Mac)"),
    "mac_roman": gettext_lazy("Western Europe (Mac)"),
    "shift_jis": gettext_lazy("Japanese"),
    "tis_620": gettext_lazy("Thai"),
    "utf_8": gettext_lazy("Unicode"),
    "utf_16": gettext_lazy("Unicode"),
    "utf_32": gettext_lazy("Unicode"),
}

NOT_FILE_ENCODINGS = {
    "charmap", "idna", "punycode", "raw-unicode-escape", "unicode-escape", "undefined", "mbcs",
    "oem",
}  # fmt: skip

FRENCH_LETTERS = set("àâäçéèêëîïôöùûüÿœæ")
FRENCH_MARKS = set("«»’‘“”…–—\u00a0\u202f°")
NON_ASCII = re.compile(r"[^\x00-\x7f]")


@dataclass
class Decoded:
    """The chosen reading of some bytes, and the others worth showing when it is unsure."""

    text: str
    encoding: str
    sure: bool = True
    others: dict[str, str] = field(default_factory=dict)


# The list of encodings ------------------------------------------------------------------------------


def codec_name(name: str) -> str | None:
    """Python's name for an encoding the admin typed ("GBK", "shift-jis", "latin1"), or None."""
    try:
        info = codecs.lookup(name.strip())
    except (LookupError, ValueError):
        return None
    # Encodings of text files only: not base64 or zlib, nor Python's own escapes and IDNA.
    if not getattr(info, "_is_text_encoding", True) or info.name in NOT_FILE_ENCODINGS:
        return None
    return info.name


def all_encodings() -> list[tuple[str, str, list[str]]]:
    """Every text encoding Python knows, as (codec name, label, other names), for a searchable
    list: the common ones first (`ENCODINGS`), then by name."""
    names: dict[str, set[str]] = {
        module.name: set() for module in pkgutil.iter_modules(encodings.__path__)
    }
    for alias, module in encodings.aliases.aliases.items():
        names.setdefault(module, set()).add(alias)
    found = {}
    for module, aliases in names.items():
        name = codec_name(module)
        if name:
            found.setdefault(name, set()).update(aliases | {module})
    result = []
    for name in sorted(found, key=lambda n: (n not in _FIRST, _FIRST.get(n, 0), n)):
        aliases = sorted(found[name] - {name})
        result.append((name, encoding_label(name), aliases))
    return result


_FIRST = {codecs.lookup(name).name: index for index, name in enumerate(ENCODINGS)}


def encoding_label(name: str) -> str:
    """ "Windows-1252", "gb18030 — Simplified Chinese": what the admin reads for an encoding."""
    if name in ENCODINGS:
        return ENCODINGS[name]
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        return name
    for key, label in ENCODINGS.items():
        if codecs.lookup(key).name == canonical:
            return label
    language = LANGUAGES.get(name) or LANGUAGES.get(canonical.replace("-", "_"))
    return f"{name} — {language}" if language else name


# Decoding -------------------------------------------------------------------------------------------


def decode(data: bytes, encoding: str | None = None, language: str = "fr") -> Decoded:
    """Text from bytes: the admin's encoding, or the likeliest one; `Unreadable` for binary data."""
    if encoding:
        return Decoded(decode_as(data, encoding), encoding)
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
        (codecs.BOM_UTF32_BE, "utf-32"),
    ):
        if data.startswith(bom):
            return Decoded(decode_as(data, codec), codec)
    if b"\x00" in data:
        raise Unreadable(_("This is not a text file: it contains binary data."))
    try:
        return Decoded(_checked(data.decode("utf-8")), "utf-8")
    except UnicodeDecodeError:
        pass
    # Readings are compared on a sample; then the chosen one (and, when unsure, the next ones)
    # decode the whole file. One that fails further on is passed over.
    readings, scores = _readings(_sample(data), language)
    whole = {}
    for codec in readings:
        try:
            whole[codec] = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if len(whole) == 1 and _sure(readings, codec, scores):
            return Decoded(_checked(whole[codec]), codec)
        if len(whole) > MAX_ALTERNATIVES:
            break
    if not whole:
        raise Unreadable(_("This is not a text file: it contains binary data."))
    best = next(iter(whole))
    return Decoded(_checked(whole[best]), best, False, whole)


def _sample(data: bytes) -> bytes:
    """The lines holding non-ASCII bytes, up to SAMPLE_BYTES: ASCII reads alike in every candidate
    encoding (line ends are ASCII in all of them), so these lines are where readings differ."""
    if len(data) <= SAMPLE_BYTES:
        return data
    lines, size = [], 0
    for line in data.split(b"\n"):
        if not line.isascii():
            lines.append(line)
            size += len(line) + 1
            if size >= SAMPLE_BYTES:
                break
    return b"\n".join(lines)


def _readings(data: bytes, language: str) -> tuple[dict[str, str], dict[str, int]]:
    """Distinct plausible readings, the likeliest first: charset-normalizer's, checked against
    the language (French: the legacy encodings added, and the most French-looking first); and
    their French scores (none for another language)."""
    from charset_normalizer import from_bytes
    from charset_normalizer.md import mess_ratio

    french = language.startswith("fr")
    guessed = [(match.encoding, str(match)) for match in from_bytes(data)]
    legacy = []
    for codec in LEGACY_ENCODINGS if french else ():
        try:
            legacy.append((codec, data.decode(codec)))
        except UnicodeDecodeError:
            continue
    readings: dict[str, str] = {}
    for codec, text in legacy + guessed:
        if text not in readings.values():  # equal readings go by the first name
            readings[codec] = text
    guessed_rank = {text: rank for rank, (_codec, text) in reversed(list(enumerate(guessed)))}
    order = list(readings)
    scores = {codec: french_score(text) for codec, text in readings.items()} if french else {}
    if scores and any(score > 0 and _has_french_words(readings[c]) for c, score in scores.items()):
        order.sort(key=lambda codec: -scores[codec])  # stable: legacy names first among equals
        # The chosen reading must also be one charset-normalizer finds tidy (Russian read as
        # Windows-1252 has accented letters too); the messy ones stay as alternatives.
        tidy = next(
            (c for c in order if mess_ratio(readings[c], maximum_threshold=0.2) < 0.2), None
        )
        if tidy:
            order.remove(tidy)
            order.insert(0, tidy)
    else:
        order.sort(key=lambda codec: guessed_rank.get(readings[codec], len(guessed)))
    return {codec: readings[codec] for codec in order}, scores


def _sure(readings: dict[str, str], best: str, scores: dict[str, int]) -> bool:
    """Whether the chosen reading clearly beats every other."""
    others = [c for c in readings if c != best]
    if not others:
        return True
    if scores and scores[best] > 0 and _has_french_words(readings[best]):
        # Readings differ in a few characters: what counts is how much worse those read.
        return all(scores[best] - scores[c] >= 3 for c in others)
    # Another language: charset-normalizer's first choice, sure only when it is the only one.
    return False


def decode_as(data: bytes, encoding: str) -> str:
    """`data` in the encoding the admin chose (any Python codec name)."""
    codec = codec_name(encoding)
    if codec is None:
        raise Unreadable(
            _("Unknown encoding “%(encoding)s”: choose one in the list.") % {"encoding": encoding}
        )
    codec = {"utf-8": "utf-8-sig"}.get(codec, codec)
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as error:
        raise Unreadable(
            _(
                "The file cannot be read as %(encoding)s: byte 0x%(byte)02X at position "
                "%(position)d is not valid in it. Choose another encoding."
            )
            % {
                "encoding": encoding_label(encoding),
                "byte": error.object[error.start],
                "position": error.start,
            }
        ) from None
    return _checked(text)


def _checked(text: str) -> str:
    """Refuse binary files renamed .txt: real text has almost no control characters."""
    controls = len(CONTROL.findall(text)) - text.count("\ufeff")
    if controls > max(2, len(text) // 200):
        raise Unreadable(_("This is not a text file: it contains binary data."))
    return text


def _has_french_words(text: str) -> bool:
    """Whether some accented French letter sits inside a word (not only quotes and dashes, which
    mojibake of Chinese or Russian also produces)."""
    return any(
        found[0] in FRENCH_LETTERS and found.start() > 0 and text[found.start() - 1].isalpha()
        for found in NON_ASCII.finditer(text)
    )


def french_score(text: str) -> int:
    """How French a decoding looks: accented lowercase letters inside words, French punctuation;
    control characters, odd symbols and capitals inside words count against it."""
    score = 0
    for found in NON_ASCII.finditer(text):
        index, char = found.start(), found[0]
        before = text[index - 1] if index else " "
        after = text[index + 1] if index + 1 < len(text) else " "
        in_word = before.isalpha() or after.isalpha()
        if char in FRENCH_LETTERS:
            score += 2 if in_word else 0
        elif char.lower() in FRENCH_LETTERS and not before.isalpha() and after.islower():
            score += 2  # a capital opening a word: « Ça », « À », « École »
        elif char in FRENCH_MARKS:
            score += 1
        elif unicodedata.category(char) in ("Cc", "Cf", "Co", "Cn"):
            score -= 5
        elif char.isupper() and before.islower() and after.islower():
            score -= 3
        elif not char.isalpha():
            score -= 2
        elif char.lower() not in FRENCH_LETTERS:
            score -= 1  # a letter French does not use: Greek, Cyrillic, Han…
    return score


def read_text(text: str) -> Extracted:
    """A .txt or .md file, once decoded: the text as it is (timestamps are found by `formats`)."""
    return Extracted(text)
