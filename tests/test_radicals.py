"""The radical -> ideograph table, over every code point of the Kangxi and CJK Radicals Supplement blocks."""

from __future__ import annotations

import unicodedata

import pytest

from formaudit.ingest.chars import fold_chars, fold_text, radical_table
from formaudit.ingest.radicals_table import BLOCKS, build

ALL_POINTS = [cp for lo, hi in BLOCKS for cp in range(lo, hi + 1)]
# Radicals the UCD lists with no reasonably equivalent unified ideograph: they stay as printed.
NO_EQUIVALENT = {0x2E80}
# The blocks of CJK unified ideographs (URO, Extension A, Extensions B and later on planes 2 and 3).
UNIFIED = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x3FFFF))


def _unified_ideograph(cp: int) -> bool:
    return any(lo <= cp <= hi for lo, hi in UNIFIED)



@pytest.mark.parametrize("block", BLOCKS, ids=["supplement", "kangxi"])
def test_every_assigned_radical_maps_to_a_unified_ideograph(block):
    table = radical_table()
    lo, hi = block
    for cp in range(lo, hi + 1):
        ch = chr(cp)
        if not unicodedata.name(ch, None):  # unassigned: nothing to fold, and nothing is
            assert cp not in table, hex(cp)
            continue
        if cp in NO_EQUIVALENT:
            assert cp not in table, hex(cp)
            continue
        assert cp in table, f"U+{cp:04X} {unicodedata.name(ch)} has no ideograph"
        target = table[cp]
        assert len(target) == 1 and _unified_ideograph(ord(target)), hex(cp)


# Kangxi radicals that simplified-Chinese fonts draw as another ideograph than their NFKC form (戶).
SIMPLIFIED_SHAPES = {0x2F3E: "户"}


def test_kangxi_block_agrees_with_nfkc_but_for_simplified_shapes():
    table = radical_table()
    for cp in ALL_POINTS:
        folded = unicodedata.normalize("NFKC", chr(cp))
        if folded != chr(cp):
            assert table[cp] == SIMPLIFIED_SHAPES.get(cp, folded), hex(cp)


def test_table_file_is_what_the_builder_makes_of_its_own_entries():
    """Regenerating from an equivalence list holding the table's own Supplement entries gives the table back."""
    table = radical_table()
    lines = "\n".join(f"{cp:04X} ; {ord(v):04X}" for cp, v in table.items() if cp < 0x2F00)
    shapes = {cp: ord(v) for cp, v in SIMPLIFIED_SHAPES.items()}
    assert {ord(k): v for k, v in build(lines, shapes).items()} == table


def test_folding_text_and_chars():
    assert fold_text("部⻔整体⽀出绩效⾃评表 ⼈⺠政府 ⻓沙 农⼾") == "部门整体支出绩效自评表 人民政府 长沙 农户"
    chars = [{"text": "⻔", "x0": 1.0}, {"text": "门"}, {"text": ""}, {"x0": 2.0}]
    assert fold_chars(chars) is chars
    assert [c.get("text") for c in chars] == ["门", "门", "", None]
    assert chars[0]["x0"] == 1.0
