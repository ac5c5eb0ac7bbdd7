"""PDFium's functions the readers call thousands of times a page, with handles passed as plain addresses.

pypdfium2.raw declares each pointer argument with its own ctypes pointer type, and converting such an
argument costs more than the call: FPDFText_GetUnicode takes 0.87 µs a character through the binding and
0.31 µs declared with void pointers (measured on a form page). A form page makes some 10,000 of these calls.
The functions here are the same symbols of the same library, declared alike except that every pointer is a
void pointer: handles go in and come out as ints (`address(handle)`), out parameters are the addresses of
ctypes values (`ctypes.addressof`).
"""

from __future__ import annotations

import ctypes

import pypdfium2.raw as pdfium_c


def _is_pointer(kind) -> bool:
    return kind is not None and (issubclass(kind, (ctypes._Pointer, ctypes.c_void_p, ctypes.c_char_p)))


def _plain(function):
    """`function` declared with void pointers for its pointer arguments and result."""
    result = ctypes.c_void_p if _is_pointer(function.restype) else function.restype
    arguments = [ctypes.c_void_p if _is_pointer(kind) else kind for kind in function.argtypes]
    # PYFUNCTYPE: the GIL stays held through calls that last a fraction of a microsecond (releasing and taking it
    # back is a tenth of the call); none of these calls back into Python
    return ctypes.PYFUNCTYPE(result, *arguments)(ctypes.cast(function, ctypes.c_void_p).value)


def address(handle) -> int:
    """A pypdfium2 raw handle (a typed pointer) as the int these functions take; 0 for NULL."""
    return ctypes.cast(handle, ctypes.c_void_p).value or 0


# characters of a text page
text_count = _plain(pdfium_c.FPDFText_CountChars)
text_unicode = _plain(pdfium_c.FPDFText_GetUnicode)
text_is_generated = _plain(pdfium_c.FPDFText_IsGenerated)
text_map_error = _plain(pdfium_c.FPDFText_HasUnicodeMapError)
text_object = _plain(pdfium_c.FPDFText_GetTextObject)
text_origin = _plain(pdfium_c.FPDFText_GetCharOrigin)
text_loose_box = _plain(pdfium_c.FPDFText_GetLooseCharBox)
text_object_font = _plain(pdfium_c.FPDFTextObj_GetFont)

# page objects and their paths
page_count_objects = _plain(pdfium_c.FPDFPage_CountObjects)
page_object = _plain(pdfium_c.FPDFPage_GetObject)
form_count_objects = _plain(pdfium_c.FPDFFormObj_CountObjects)
form_object = _plain(pdfium_c.FPDFFormObj_GetObject)
object_type = _plain(pdfium_c.FPDFPageObj_GetType)
object_matrix = _plain(pdfium_c.FPDFPageObj_GetMatrix)
object_bounds = _plain(pdfium_c.FPDFPageObj_GetBounds)
object_clip = _plain(pdfium_c.FPDFPageObj_GetClipPath)
path_count_segments = _plain(pdfium_c.FPDFPath_CountSegments)
path_segment = _plain(pdfium_c.FPDFPath_GetPathSegment)
segment_type = _plain(pdfium_c.FPDFPathSegment_GetType)
segment_point = _plain(pdfium_c.FPDFPathSegment_GetPoint)
segment_close = _plain(pdfium_c.FPDFPathSegment_GetClose)
clip_count_paths = _plain(pdfium_c.FPDFClipPath_CountPaths)
clip_count_segments = _plain(pdfium_c.FPDFClipPath_CountPathSegments)
clip_segment = _plain(pdfium_c.FPDFClipPath_GetPathSegment)
text_matrix = _plain(pdfium_c.FPDFText_GetMatrix)
text_font_size = _plain(pdfium_c.FPDFText_GetFontSize)
text_render_mode = _plain(pdfium_c.FPDFTextObj_GetTextRenderMode)
font_is_embedded = _plain(pdfium_c.FPDFFont_GetIsEmbedded)
