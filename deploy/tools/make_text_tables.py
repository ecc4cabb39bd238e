#!/usr/bin/env python3
"""Generates the data tables of dalle-train's caption normalizer (Sources/Shards/Resources/text/).

Run once, in a virtual environment holding exactly the versions dalle-mini 0.1.5's captions were
normalized with (see docs/TEXT.md):

    python3 -m venv /tmp/tables && /tmp/tables/bin/pip install ftfy==6.3.1 Unidecode==1.4.0 emoji==2.16.0
    /tmp/tables/bin/python deploy/tools/make_text_tables.py Sources/Shards/Resources/text

Every file is plain UTF-8 text, one entry per line, with the code points written in hex so that no
character of a table needs escaping. The output is deterministic.
"""
import html.entities
import importlib.metadata
import json
import re
import sys
import unicodedata
from pathlib import Path

import emoji
import emoji.unicode_codes
import ftfy
import ftfy.bad_codecs  # noqa: F401  (registers the sloppy-windows codecs)
from ftfy import badness, chardata
from unidecode import unidecode


def hexes(text):
    return " ".join(f"{ord(c):X}" for c in text)


def write(path, lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def main(out):
    out.mkdir(parents=True, exist_ok=True)
    versions = {name: importlib.metadata.version(name) for name in ("ftfy", "Unidecode", "emoji")}
    versions["python"] = sys.version.split()[0]
    versions["unicodedata"] = unicodedata.unidata_version

    # Unidecode: code point -> ASCII, only the non-empty entries (every other code point maps to "").
    lines = []
    for cp in range(0x80, 0x20000):
        if 0xD800 <= cp < 0xE000:
            continue
        value = unidecode(chr(cp))
        if value:
            assert value.isascii(), cp
            lines.append(f"{cp:X}\t{hexes(value)}")
    write(out / "unidecode.txt", lines)

    # html.unescape's HTML5 table: name (with its ';' when the table lists it so) -> characters.
    write(out / "html5-entities.txt", [f"{name}\t{hexes(value)}" for name, value in
                                       sorted(html.entities.html5.items())])

    # ftfy's own entity table (names with ';', plus its all-caps variants).
    write(out / "ftfy-entities.txt", [f"{name}\t{hexes(value)}" for name, value in
                                      sorted(chardata.HTML_ENTITIES.items())])

    # emoji: code points -> 1 if its status is 'component', then the English name without colons.
    component = emoji.unicode_codes.STATUS["component"]
    lines = []
    for key, data in sorted(emoji.unicode_codes.EMOJI_DATA.items()):
        if "en" not in data:
            continue
        lines.append(f"{hexes(key)}\t{int(data['status'] == component)}\t{hexes(data['en'][1:-1])}")
    write(out / "emoji.txt", lines)

    # ftfy: the single-byte charmaps (256 code points each, -1 where a strict codec has no character),
    # the two regular expressions its mojibake detection runs, and the width map.
    charmaps = {}
    for encoding in chardata.CHARMAP_ENCODINGS + ["windows-1252"]:
        table = []
        for byte in range(256):
            try:
                table.append(ord(bytes([byte]).decode(encoding)))
            except UnicodeDecodeError:
                table.append(-1)
        charmaps[encoding] = table

    def compact(pattern):
        # Rewrites a re.VERBOSE pattern for ICU (NSRegularExpression): layout whitespace and comments
        # outside classes dropped, every literal inside a class written as \x{HHHH} (ICU reads '[', '&&'
        # and '--' in a class as set operations).
        result, i, in_class = [], 0, False
        while i < len(pattern):
            c = pattern[i]
            if c == "\\":
                escape = pattern[i:i + {"x": 4, "u": 6}.get(pattern[i + 1], 2)]
                assert escape[1] not in "UN0123456789", escape
                result.append(escape)
                i += len(escape)
                continue
            if in_class:
                if c == "]" and result[-1] != "[" and result[-1] != "^":
                    in_class = False
                    result.append(c)
                elif c == "^" and result[-1] == "[":
                    result.append(c)
                elif c == "-" and result[-1] not in ("[", "^") and pattern[i + 1] != "]":
                    result.append(c)
                else:
                    result.append("\\x{%X}" % ord(c))
            elif c == "[":
                in_class = True
                result.append(c)
            elif c == "#":
                i = pattern.index("\n", i)
                continue
            elif not c.isspace():
                result.append(c)
            i += 1
        return "".join(result)

    badness_pattern = compact(badness.BADNESS_RE.pattern)
    detector_pattern = compact(chardata.UTF8_DETECTOR_RE.pattern)
    for original, pattern in ((badness.BADNESS_RE, badness_pattern),
                              (chardata.UTF8_DETECTOR_RE, detector_pattern)):
        for sample in ("cafÃ©", "â€œHelloâ€\x9d", "naÃ¯ve", "plain text", "ÃƒÂ©", "ðŸ‘"):
            python_form = re.sub(r"\\x\{([0-9A-F]+)\}", lambda m: "\\U%08X" % int(m.group(1), 16), pattern)
            assert original.findall(sample) == re.compile(python_form).findall(sample), sample
    tables = {
        "versions": versions,
        "charmap_encodings": chardata.CHARMAP_ENCODINGS,
        "charmaps": charmaps,
        "badness": badness_pattern,
        "utf8_detector": detector_pattern,
        "width": {f"{cp:X}": hexes(value) for cp, value in sorted(chardata.WIDTH_MAP.items())},
        "ligatures": {f"{cp:X}": hexes(value) for cp, value in sorted(chardata.LIGATURES.items())},
    }
    (out / "ftfy.json").write_text(json.dumps(tables, indent=0, sort_keys=True, ensure_ascii=True) + "\n")
    write(out / "VERSIONS.txt", [f"{k} {v}" for k, v in sorted(versions.items())])


if __name__ == "__main__":
    main(Path(sys.argv[1]))
