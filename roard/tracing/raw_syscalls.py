"""Does a dynamically linked x86-64 program make file system calls itself?

The preload shim sees what goes through libc, including glibc's ``syscall()``; an inline
``syscall`` instruction in the program's own code bypasses it, and nothing at run time can
tell. What can be told, before or after the run, is whether the program's executable segments
contain the usual shape of one: ``mov $NR, %eax`` (or ``%rax``) with NR a file system call,
followed closely by ``syscall`` (``0f 05``). Ordinary dynamically linked programs have no
``syscall`` instruction of their own (libc has them), so this is a cheap and quiet check; it
misses numbers that are not immediate constants. Blocking (reads the file); cached per file
state.
"""
from __future__ import annotations

import functools
import os
import re
import struct

from roard.tracing import elf

#: x86-64 numbers of the calls that open, create, rename, link, remove or run files.
FILE_SYSCALLS_X86_64 = (2, 59, 76, 82, 83, 84, 85, 86, 87, 88, 257, 258, 263, 264, 265, 266,
                        316, 322, 437)
#: How far before ``syscall`` the number may be loaded (the compiler interleaves argument moves).
WINDOW = 32
_SYSCALL = re.compile(re.escape(b"\x0f\x05"))
_IMMEDIATES = b"|".join(re.escape(struct.pack("<I", n)) for n in FILE_SYSCALLS_X86_64)
_MOV_NR = re.compile(b"(?:\xb8|\x48\xc7\xc0)(?:" + _IMMEDIATES + b")")


def _has_raw_file_syscall(code: bytes) -> bool:
    for m in _SYSCALL.finditer(code):
        if _MOV_NR.search(code, max(0, m.start() - WINDOW), m.start()):
            return True
    return False


@functools.lru_cache(maxsize=256)
def _scan(path: str, size: int, mtime_ns: int) -> bool:
    try:
        with open(path, "rb") as f:
            image = elf.ElfFile(f)
            if not image.is64 or image.order != "<" or image.machine != elf.EM_X86_64:
                return False
            return any(_has_raw_file_syscall(image.read(s.offset, s.filesz)) for s in image.segments()
                       if s.type == elf.PT_LOAD and s.flags & elf.PF_X)
    except (OSError, elf.NotElf, struct.error):
        return False


def makes_raw_file_syscalls(path: str) -> bool:
    """True when ``path`` (an x86-64 ELF) contains its own file system call instructions."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return _scan(path, st.st_size, st.st_mtime_ns)
