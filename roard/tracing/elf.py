"""Just enough ELF for the questions roard asks of a program before and after a run: its program
headers (is there an interpreter, where are the notes and the executable code) and its section
names. Reads only what is asked for; blocking (callers cache per file version)."""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO, Iterator

PT_LOAD, PT_INTERP, PT_NOTE = 1, 3, 4
PF_X = 1
EM_X86_64 = 62
#: More program headers than any real program has: a corrupt count is not followed further.
MAX_SEGMENTS = 256


class NotElf(ValueError):
    """The file is not an ELF image this reader understands (or is truncated)."""


@dataclass(frozen=True)
class Segment:
    type: int
    flags: int
    offset: int
    filesz: int
    align: int


class ElfFile:
    """An ELF image open for reading: 32 or 64 bits, either byte order."""

    def __init__(self, f: BinaryIO) -> None:
        self._f = f
        self._head = f.read(1024)
        head = self._head
        if len(head) < 52 or head[:4] != b"\x7fELF" or head[4] not in (1, 2) or head[5] not in (1, 2):
            raise NotElf("not an ELF image")
        self.is64 = head[4] == 2
        if self.is64 and len(head) < 64:
            raise NotElf("truncated ELF header")
        self.order = "<" if head[5] == 1 else ">"
        self.machine = struct.unpack_from(self.order + "H", head, 18)[0]
        if self.is64:
            self._phoff, self._shoff = struct.unpack_from(self.order + "QQ", head, 32)
            fields = struct.unpack_from(self.order + "HHHHH", head, 54)
        else:
            self._phoff, self._shoff = struct.unpack_from(self.order + "II", head, 28)
            fields = struct.unpack_from(self.order + "HHHHH", head, 42)
        self._phentsize, self._phnum, self._shentsize, self._shnum, self._shstrndx = fields

    def read(self, offset: int, n: int) -> bytes:
        """``n`` bytes at ``offset`` (fewer at the end of the file)."""
        if offset + n <= len(self._head):
            return self._head[offset:offset + n]
        self._f.seek(offset)
        return self._f.read(n)

    def segments(self) -> list[Segment]:
        """The program headers."""
        # 64-bit: type flags offset vaddr paddr filesz memsz align; 32-bit: type offset vaddr
        # paddr filesz memsz flags align.
        fmt, size = (self.order + "IIQQQQQQ", 56) if self.is64 else (self.order + "IIIIIIII", 32)
        if self._phnum and self._phentsize < size:
            raise NotElf("program headers smaller than the ELF class needs")
        segments = []
        for i in range(min(self._phnum, MAX_SEGMENTS)):
            raw = self.read(self._phoff + i * self._phentsize, size)
            if len(raw) < size:
                raise NotElf("truncated program headers")
            if self.is64:
                ptype, flags, offset, _, _, filesz, _, align = struct.unpack(fmt, raw)
            else:
                ptype, offset, _, _, filesz, _, flags, align = struct.unpack(fmt, raw)
            segments.append(Segment(ptype, flags, offset, filesz, align))
        return segments

    def section_names(self, limit: int = 4096) -> bytes:
        """The start of the section-name string table (b"" when there is none)."""
        size = 64 if self.is64 else 40
        if not self._shoff or not 0 < self._shstrndx < self._shnum or self._shentsize < size:
            return b""
        sh = self.read(self._shoff + self._shstrndx * self._shentsize, size)
        if len(sh) < size:
            return b""
        offset, length = struct.unpack_from(self.order + ("QQ" if self.is64 else "II"), sh, 24 if self.is64 else 16)
        return self.read(offset, min(length, limit))


def notes(data: bytes, order: str, align: int) -> Iterator[tuple[bytes, int]]:
    """(name, type) of each note in a PT_NOTE segment's bytes."""
    p = 0
    while p + 12 <= len(data):
        namesz, descsz, ntype = struct.unpack_from(order + "III", data, p)
        if namesz > len(data) or descsz > len(data):
            return
        yield data[p + 12:p + 12 + namesz].rstrip(b"\0"), ntype
        step = ((12 + namesz + align - 1) & ~(align - 1)) + descsz
        p += (step + align - 1) & ~(align - 1)
