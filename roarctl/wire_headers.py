"""HTTP/2 header compression (HPACK, RFC 7541) for roarctl's gRPC client, roarctl/wire.py.

Requests are encoded as plain literals (no table, no Huffman code): always valid, and they are
a few hundred bytes. Answers are decoded in full, static and dynamic tables included. Huffman-
coded strings, which grpc's encoder does not use for the headers roard sends, are handed to the
``hpack`` package, imported only then (importing it costs about as much as the rest of this
client).
"""
from __future__ import annotations

#: RFC 7541, Appendix A (index 1 first).
STATIC_TABLE: tuple[tuple[str, str], ...] = (
    (":authority", ""), (":method", "GET"), (":method", "POST"), (":path", "/"),
    (":path", "/index.html"), (":scheme", "http"), (":scheme", "https"), (":status", "200"),
    (":status", "204"), (":status", "206"), (":status", "304"), (":status", "400"),
    (":status", "404"), (":status", "500"), ("accept-charset", ""),
    ("accept-encoding", "gzip, deflate"), ("accept-language", ""), ("accept-ranges", ""),
    ("accept", ""), ("access-control-allow-origin", ""), ("age", ""), ("allow", ""),
    ("authorization", ""), ("cache-control", ""), ("content-disposition", ""),
    ("content-encoding", ""), ("content-language", ""), ("content-length", ""),
    ("content-location", ""), ("content-range", ""), ("content-type", ""), ("cookie", ""),
    ("date", ""), ("etag", ""), ("expect", ""), ("expires", ""), ("from", ""), ("host", ""),
    ("if-match", ""), ("if-modified-since", ""), ("if-none-match", ""), ("if-range", ""),
    ("if-unmodified-since", ""), ("last-modified", ""), ("link", ""), ("location", ""),
    ("max-forwards", ""), ("proxy-authenticate", ""), ("proxy-authorization", ""), ("range", ""),
    ("referer", ""), ("refresh", ""), ("retry-after", ""), ("server", ""), ("set-cookie", ""),
    ("strict-transport-security", ""), ("transfer-encoding", ""), ("user-agent", ""), ("vary", ""),
    ("via", ""), ("www-authenticate", ""),
)
_STATIC = tuple((name.encode(), value.encode()) for name, value in STATIC_TABLE)
#: The table size both sides start with (SETTINGS_HEADER_TABLE_SIZE, which roarctl keeps).
DEFAULT_TABLE_SIZE = 4096


class HeaderError(ValueError):
    """A header block that does not decode."""


def _encode_int(value: int, prefix_bits: int, first: int = 0) -> bytes:
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes((first | value,))
    out = bytearray((first | limit,))
    value -= limit
    while value >= 128:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _encode_str(text: str) -> bytes:
    data = text.encode("utf-8")
    return _encode_int(len(data), 7) + data


def encode_headers(fields: list[tuple[str, str]]) -> bytes:
    """Each field as a literal without indexing, with a literal name (RFC 7541, 6.2.2)."""
    return b"".join(b"\x00" + _encode_str(name) + _encode_str(value) for name, value in fields)


class HeaderDecoder:
    """Decodes the header blocks of one connection, in the order they arrive."""

    def __init__(self, max_size: int = DEFAULT_TABLE_SIZE) -> None:
        self.limit = max_size          # what we allow (our SETTINGS)
        self.max_size = max_size       # what the encoder currently uses (<= limit)
        self.dynamic: list[tuple[bytes, bytes]] = []   # newest first, as sent (sizes are in octets)
        self.size = 0

    def decode(self, block: bytes) -> list[tuple[str, str]]:
        fields: list[tuple[bytes, bytes]] = []
        pos = 0
        while pos < len(block):
            byte = block[pos]
            if byte & 0x80:                                   # indexed field
                index, pos = self._int(block, pos, 7)
                fields.append(self._entry(index))
            elif byte & 0xC0 == 0x40:                         # literal, added to the table
                field, pos = self._literal(block, pos, 6)
                fields.append(field)
                self._add(field)
            elif byte & 0xE0 == 0x20:                         # table size update
                size, pos = self._int(block, pos, 5)
                if size > self.limit:
                    raise HeaderError(f"table size update to {size} beyond {self.limit}")
                self.max_size = size
                self._evict()
            else:                                             # literal, not indexed / never indexed
                field, pos = self._literal(block, pos, 4)
                fields.append(field)
        return [(name.decode("utf-8", "replace"), value.decode("utf-8", "replace")) for name, value in fields]

    def _int(self, block: bytes, pos: int, prefix_bits: int) -> tuple[int, int]:
        limit = (1 << prefix_bits) - 1
        value = block[pos] & limit
        pos += 1
        if value < limit:
            return value, pos
        shift = 0
        while True:
            if pos >= len(block) or shift > 28:
                raise HeaderError("integer runs past the header block")
            byte = block[pos]
            pos += 1
            value += (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value, pos

    def _str(self, block: bytes, pos: int) -> tuple[bytes, int]:
        huffman = block[pos] & 0x80
        length, pos = self._int(block, pos, 7)
        if pos + length > len(block):
            raise HeaderError("string runs past the header block")
        data = block[pos:pos + length]
        if huffman:
            from hpack.exceptions import HPACKDecodingError
            from hpack.huffman_table import decode_huffman

            try:
                data = decode_huffman(data)
            except HPACKDecodingError as exc:
                raise HeaderError(f"a Huffman-coded string does not decode ({exc})") from None
        return bytes(data), pos + length

    def _literal(self, block: bytes, pos: int, prefix_bits: int) -> tuple[tuple[bytes, bytes], int]:
        index, pos = self._int(block, pos, prefix_bits)
        if index:
            name = self._entry(index)[0]
        else:
            name, pos = self._str(block, pos)
        value, pos = self._str(block, pos)
        return (name, value), pos

    def _entry(self, index: int) -> tuple[bytes, bytes]:
        if 1 <= index <= len(_STATIC):
            return _STATIC[index - 1]
        dynamic = index - len(_STATIC) - 1
        if 0 <= dynamic < len(self.dynamic):
            return self.dynamic[dynamic]
        raise HeaderError(f"header table index {index} does not exist")

    def _add(self, field: tuple[bytes, bytes]) -> None:
        self.dynamic.insert(0, field)
        self.size += _entry_size(field)
        self._evict()

    def _evict(self) -> None:
        while self.size > self.max_size and self.dynamic:
            self.size -= _entry_size(self.dynamic.pop())


def _entry_size(field: tuple[bytes, bytes]) -> int:
    return len(field[0]) + len(field[1]) + 32
