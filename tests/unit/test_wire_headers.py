"""roarctl's HPACK codec (roarctl/wire_headers.py) against the hpack package's, which implements
RFC 7541 independently: what one encodes the other must read back."""
from __future__ import annotations

import random

import hpack
import pytest

from roarctl.wire_headers import STATIC_TABLE, HeaderDecoder, HeaderError, encode_headers

GRPC_ANSWER = [(":status", "200"), ("content-type", "application/grpc"),
               ("grpc-accept-encoding", "identity, deflate, gzip")]
GRPC_TRAILERS = [("grpc-status", "5"), ("grpc-message", "no step @9 %C3%BC in the active session")]


def test_static_table_is_rfc_7541s():
    assert [(n.encode(), v.encode()) for n, v in STATIC_TABLE] == list(hpack.table.HeaderTable.STATIC_TABLE)


@pytest.mark.parametrize("huffman", [False, True])
def test_reads_what_hpack_encodes_across_blocks(huffman):
    """Indexed fields, literals added to the dynamic table, and the table carried from one block
    to the next, as a connection's answers arrive; Huffman-coded strings take the fallback."""
    encoder, ours = hpack.Encoder(), HeaderDecoder()
    for block in (GRPC_ANSWER, GRPC_TRAILERS, GRPC_ANSWER, GRPC_TRAILERS, [(":status", "404")]):
        assert ours.decode(encoder.encode(block, huffman=huffman)) == block
    assert ours.dynamic, "the blocks after the first refer to the dynamic table"


def test_eviction_and_table_size_updates_follow_the_encoder():
    rng = random.Random(7)
    encoder, ours = hpack.Encoder(), HeaderDecoder()
    for i in range(300):
        if i == 100:
            encoder.header_table_size = 256      # the next block starts with a size update
        if i == 200:
            encoder.header_table_size = 4096
        block = [(f"x-key-{rng.randrange(40)}", "v" * rng.randrange(0, 300)) for _ in range(rng.randrange(1, 6))]
        assert ours.decode(encoder.encode(block, huffman=bool(i % 2))) == block
    assert ours.size <= 4096


def test_never_indexed_and_long_integers():
    encoder = hpack.Encoder()
    block = [hpack.NeverIndexedHeaderTuple("authorization", "secret"), ("x-long", "a" * 5000)]
    assert HeaderDecoder().decode(encoder.encode(block)) == [("authorization", "secret"), ("x-long", "a" * 5000)]


def test_hpack_reads_what_roarctl_encodes():
    request = [(":method", "POST"), (":path", "/roar.v1.RunService/BeginRun"), ("te", "trailers"),
               ("roar-client-pid", "4242"), ("x-big", "b" * 300), ("x-utf8", "é")]
    assert hpack.Decoder().decode(encode_headers(request)) == request


@pytest.mark.parametrize("block, why", [
    (b"\xff\x80", "integer runs past"),        # an index whose continuation bytes never end
    (b"\xbe", "index 62 does not exist"),       # dynamic index with an empty table
    (b"\x00\x05ab", "string runs past"),        # a name longer than the block
    (b"\x3f\xe1\x3f", "table size update"),     # a size update to 8192, above the 4096 allowed
    (b"\x00\x84\xff\xff\xff\xff\x00", "Huffman"),  # a Huffman name that is all EOS padding
])
def test_broken_blocks_are_refused(block, why):
    with pytest.raises(HeaderError, match=why):
        HeaderDecoder().decode(block)
