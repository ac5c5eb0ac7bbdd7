"""Write radicals.json, the radical -> ideograph table, from the Unicode Character Database.

    python -m formaudit.ingest.radicals_table /usr/share/unicode/EquivalentUnifiedIdeograph.txt \
        /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc

Fonts' ToUnicode maps (Noto CJK printed by Chromium, wkhtmltopdf, macOS and WPS exports) map some
glyphs to a Kangxi radical (U+2F00–U+2FD5) or a CJK Radicals Supplement code point (U+2E80–U+2EF3)
instead of the ideograph that looks the same: 部⻔ for 部门, ⾃评 for 自评. NFKC folds the Kangxi
block only; the Supplement has no decomposition, so its equivalents come from the UCD's
EquivalentUnifiedIdeograph.txt (Debian: unicode-data). Radicals with no equivalent stay as printed.

NFKC gives the traditional shape where a simplified-Chinese font draws a Kangxi radical with the
glyph of another ideograph: Noto CJK SC maps U+2F3E and 户 (U+6237) to one glyph, so a page showing
户 comes back as ⼾, and NFKC would make it 戶. The forms are simplified Chinese: where the SC font
(optional second argument) shares a Kangxi radical's glyph with exactly one other unified ideograph
of the basic block, that ideograph is what the page shows.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from pathlib import Path

BLOCKS = ((0x2E80, 0x2EFF), (0x2F00, 0x2FDF))  # CJK Radicals Supplement, Kangxi Radicals


def in_blocks(cp: int) -> bool:
    return any(lo <= cp <= hi for lo, hi in BLOCKS)


def parse_equivalents(text: str) -> dict[int, int]:
    out: dict[int, int] = {}
    for line in text.splitlines():
        data = line.split("#", 1)[0].strip()
        if not data:
            continue
        source, target = (part.strip() for part in data.split(";"))
        first, _, last = source.partition("..")
        for cp in range(int(first, 16), int(last or first, 16) + 1):
            out[cp] = int(target, 16)
    return out


def simplified_shapes(font_path: Path) -> dict[int, int]:
    """Kangxi radicals drawn, in the simplified-Chinese face of a CJK font, as one other basic ideograph."""
    from fontTools.ttLib import TTCollection

    out: dict[int, int] = {}
    for font in TTCollection(str(font_path)).fonts:
        if not font["name"].getDebugName(1).endswith(" SC"):
            continue
        cmap = font.getBestCmap()
        by_glyph: dict[str, list[int]] = {}
        for cp, glyph in cmap.items():
            by_glyph.setdefault(glyph, []).append(cp)
        for cp in range(0x2F00, 0x2FE0):
            if cp not in cmap:
                continue
            folded = ord(unicodedata.normalize("NFKC", chr(cp)))
            shared = [c for c in by_glyph[cmap[cp]] if 0x4E00 <= c <= 0x9FFF and c not in (cp, folded)]
            if len(shared) == 1:
                out[cp] = shared[0]
        break
    return out


def build(ucd_equivalents: str, shapes: dict[int, int] | None = None) -> dict[str, str]:
    equivalents = parse_equivalents(ucd_equivalents)
    shapes = shapes or {}
    table: dict[str, str] = {}
    for lo, hi in BLOCKS:
        for cp in range(lo, hi + 1):
            ch = chr(cp)
            folded = unicodedata.normalize("NFKC", ch)
            if cp in shapes:
                table[ch] = chr(shapes[cp])
            elif folded != ch:  # the Kangxi block and two Supplement radicals decompose
                table[ch] = folded
            elif cp in equivalents:
                table[ch] = chr(equivalents[cp])
    return table


def main(argv: list[str]) -> int:
    source = Path(argv[1]) if len(argv) > 1 else Path("/usr/share/unicode/EquivalentUnifiedIdeograph.txt")
    shapes = simplified_shapes(Path(argv[2])) if len(argv) > 2 else {}
    table = build(source.read_text("utf-8"), shapes)
    target = Path(__file__).with_name("radicals.json")
    target.write_text(json.dumps(dict(sorted(table.items())), ensure_ascii=False, indent=0) + "\n", "utf-8")
    print(f"{len(table)} radicals -> {target.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
