"""QR code images (PNG, SVG) with segno, error correction M unless told otherwise.

The error level is the one asked for: segno's "boost" (raising it when the same version has
room) is off, so the same data always gives the same symbol and `qr_info` says what is used.
"""

from __future__ import annotations

import io
from typing import Any

import segno

from passport_vc.errors import InputLimitError

DEFAULT_ERROR = "m"
BORDER = 4  # the quiet zone ISO/IEC 18004 asks for, in modules


class QrTooLargeError(InputLimitError):
    """The data does not fit in a QR code (version 40) at the error level asked for."""

    title = "Too large for a QR code"


def make(data: str, *, error: str = DEFAULT_ERROR) -> segno.QRCode:
    """The QR code of `data` (never a Micro QR); QrTooLargeError when over version 40."""
    try:
        return segno.make_qr(data, error=error, boost_error=False)
    except segno.DataOverflowError as exc:
        raise QrTooLargeError(
            f"{len(data)} characters do not fit in a QR code at error level {error.upper()}"
        ) from exc


def qr_png(data: str, *, scale: int = 4, error: str = DEFAULT_ERROR) -> bytes:
    """A PNG of the QR code, `scale` pixels a module."""
    out = io.BytesIO()
    make(data, error=error).save(out, kind="png", scale=scale, border=BORDER)
    return out.getvalue()


def qr_svg(data: str, *, error: str = DEFAULT_ERROR) -> str:
    """A standalone SVG of the QR code (sized in modules; it scales)."""
    out = io.BytesIO()
    make(data, error=error).save(
        out, kind="svg", border=BORDER, xmldecl=False, svgns=True, unit=None, omitsize=True
    )
    return out.getvalue().decode("utf-8")


def qr_info(data: str, *, error: str = DEFAULT_ERROR) -> dict[str, Any]:
    """The symbol `data` needs: {"version": 1-40, "error": "L"/"M"/"Q"/"H", "mode": ...}."""
    code = make(data, error=error)
    return {"version": code.version, "error": code.error, "mode": code.mode}


__all__ = ["DEFAULT_ERROR", "QrTooLargeError", "make", "qr_info", "qr_png", "qr_svg"]
