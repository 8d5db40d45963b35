"""Ballot tokens (民主评议票, DESIGN §4): 128 random bits, printed on a slip as a QR link
and as a typed code; only the SHA-256 of the bits is ever stored.

Text form: Crockford base32 (digits and capitals without I, L, O, U), 26 symbols. People
type codes from paper on phones, so decoding forgives case, spaces, dashes, full-width
characters (Chinese input methods) and the look-alikes O → 0, I/L → 1.
"""

import hashlib
import secrets
import unicodedata

TOKEN_BYTES = 16
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 26  # ceil(128 / 5)
GROUP = 4
_VALUES = {symbol: value for value, symbol in enumerate(ALPHABET)}
_LOOK_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = str.maketrans(dict.fromkeys(" \t\r\n-_.·—–", None))


def new_token():
    """16 bytes from the operating system's CSPRNG."""
    return secrets.token_bytes(TOKEN_BYTES)


def encode(token):
    """The canonical text of a token: 26 symbols, used in the slip's link."""
    number = int.from_bytes(token, "big")
    symbols = []
    for _ in range(CODE_LENGTH):
        number, value = divmod(number, 32)
        symbols.append(ALPHABET[value])
    return "".join(reversed(symbols))


def typed_code(token):
    """The code printed for typing by hand, in groups of four: `0K7Q-M3XB-…`."""
    text = encode(token)
    return "-".join(text[i : i + GROUP] for i in range(0, len(text), GROUP))


def decode(text):
    """The token's bytes from a link or a typed code, or None if it cannot be one."""
    text = unicodedata.normalize("NFKC", text or "").upper()
    text = text.translate(_SEPARATORS).translate(_LOOK_ALIKES)
    if len(text) != CODE_LENGTH or any(symbol not in _VALUES for symbol in text):
        return None
    number = 0
    for symbol in text:
        number = number * 32 + _VALUES[symbol]
    if number >= 1 << (8 * TOKEN_BYTES):
        return None
    return number.to_bytes(TOKEN_BYTES, "big")


def digest(token):
    """What the database keeps of a token (hex SHA-256 of its bytes)."""
    return hashlib.sha256(token).hexdigest()
