"""QR codes for badges: a link to the credential's page, or the whole signed credential."""

from passport_vc.qr.images import QrTooLargeError, qr_info, qr_png, qr_svg
from passport_vc.qr.offline import (
    OfflineQrError,
    OfflineQrLimitError,
    decode_offline,
    encode_offline,
)

__all__ = [
    "OfflineQrError",
    "OfflineQrLimitError",
    "QrTooLargeError",
    "decode_offline",
    "encode_offline",
    "qr_info",
    "qr_png",
    "qr_svg",
]
