"""Hostile PDFs written byte by byte: small files that would take a reader's memory or time.

They need no fonts, so tests make them in a temporary folder as they run.
"""

from __future__ import annotations

import zlib
from pathlib import Path


def pdf_bytes(objects: list[bytes]) -> bytes:
    """A PDF whose object i+1 is objects[i]; object 1 is the catalog. Offsets and xref are exact."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< " + dictionary + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def one_page(media_box: bytes, resources: bytes, content: bytes, extra: list[bytes]) -> bytes:
    """Catalog, pages, one page, its content stream (objects 1-4), then `extra` (objects 5…)."""
    return pdf_bytes([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox " + media_box + b" /Resources " + resources + b" /Contents 4 0 R >>",
        stream(b"", content),
        *extra,
    ])


def self_drawing_xobject(path: Path, subtype: bytes = b"/Form") -> Path:
    """A form XObject that draws itself twice: 2^depth drawings for a reader without a cycle check.
    `subtype` may spell /Form with #xx escapes, as a file hiding it from a byte search would."""
    form = stream(b"/Type /XObject /Subtype " + subtype + b" /BBox [0 0 100 100] /Resources << /XObject << /X1 5 0 R >> >>",
                  b"0 0 m 10 10 l S /X1 Do /X1 Do")
    path.write_bytes(one_page(b"[0 0 595 842]", b"<< /XObject << /X1 5 0 R >> >>", b"/X1 Do", [form]))
    return path


def mutually_drawing_xobjects(path: Path) -> Path:
    """Two forms that draw each other (a cycle through a second object)."""
    a = stream(b"/Type /XObject /Subtype /Form /BBox [0 0 100 100] /Resources << /XObject << /B 6 0 R >> >>", b"/B Do")
    b = stream(b"/Type /XObject /Subtype /Form /BBox [0 0 100 100] /Resources << /XObject << /A 5 0 R >> >>", b"/A Do /A Do")
    path.write_bytes(one_page(b"[0 0 595 842]", b"<< /XObject << /A 5 0 R >> >>", b"/A Do", [a, b]))
    return path


def shared_resources_form(path: Path) -> Path:
    """A harmless form whose resources list itself (shared resource dictionaries do) but never draw it."""
    form = stream(b"/Type /XObject /Subtype /Form /BBox [0 0 100 100] /Resources 6 0 R", b"0 0 m 50 50 l S")
    resources = b"<< /XObject << /X1 5 0 R >> >>"
    path.write_bytes(one_page(b"[0 0 595 842]", b"6 0 R", b"/X1 Do", [form, resources]))
    return path


def _zeros_deflated(n_bytes: int) -> bytes:
    packer = zlib.compressobj(9)
    block = bytes(1 << 20)
    parts = []
    for _ in range(n_bytes >> 20):
        parts.append(packer.compress(block))
    parts.append(packer.compress(bytes(n_bytes & ((1 << 20) - 1))))
    parts.append(packer.flush())
    return b"".join(parts)


def compression_bomb(path: Path, side: int = 30000) -> Path:
    """An A4 page that shows one image of side × side grey pixels (900 MB decoded, under 1 MB on disk)."""
    image = stream(b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 "
                   b"/Filter /FlateDecode" % (side, side), _zeros_deflated(side * side))
    path.write_bytes(one_page(b"[0 0 595 842]", b"<< /XObject << /Im1 5 0 R >> >>", b"q 595 0 0 842 0 0 cm /Im1 Do Q",
                              [image]))
    return path


def giant_image_page(path: Path, inches: int = 200) -> Path:
    """An image-only page of inches × inches (PDF's largest): 40000 × 40000 pixels when rendered at 200 dpi."""
    side = inches * 72
    image = stream(b"/Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceGray /BitsPerComponent 8",
                   bytes(range(0, 256, 4)))
    path.write_bytes(one_page(b"[0 0 %d %d]" % (side, side), b"<< /XObject << /Im1 5 0 R >> >>",
                              b"q %d 0 0 %d 0 0 cm /Im1 Do Q" % (side, side), [image]))
    return path


def many_pages(path: Path, pages: int) -> Path:
    """`pages` blank pages sharing one empty content stream."""
    kids = b" ".join(b"%d 0 R" % (4 + i) for i in range(pages))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
               stream(b"", b"")]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R >>"] * pages
    path.write_bytes(pdf_bytes(objects))
    return path


def content_bomb(path: Path, megabytes: int = 400) -> Path:
    """A page whose content stream inflates to `megabytes` of drawing operators (about 1 KB per MB on disk)."""
    packer = zlib.compressobj(9)
    block = b"0 0 m 1 1 l S\n" * (1 << 16)
    parts = [packer.compress(block) for _ in range((megabytes << 20) // len(block))]
    parts.append(packer.flush())
    path.write_bytes(one_page(b"[0 0 595 842]", b"<< >>", b"", []).replace(
        b"<<  /Length 0 >>\nstream\n\nendstream", stream(b"/Filter /FlateDecode", b"".join(parts))))
    return path


def exponential_forms(path: Path, levels: int = 30) -> Path:
    """Forms that each draw the next twice, with no cycle: 2^levels drawings."""
    forms = []
    for i in range(levels):
        number = 5 + i
        if i + 1 < levels:
            forms.append(stream(b"/Type /XObject /Subtype /Form /BBox [0 0 100 100] /Resources << /XObject << /N %d 0 R >> >>"
                                % (number + 1), b"/N Do /N Do"))
        else:
            forms.append(stream(b"/Type /XObject /Subtype /Form /BBox [0 0 100 100]", b"0 0 m 1 1 l S"))
    path.write_bytes(one_page(b"[0 0 595 842]", b"<< /XObject << /N 5 0 R >> >>", b"/N Do", forms))
    return path
