"""roard/tracing/elf.py on real programs: the machine's own, and ones compiled here."""
from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest

from roard.tracing import elf


def _image(path: str | Path) -> tuple[elf.ElfFile, list[elf.Segment]]:
    image = elf.ElfFile(io.BytesIO(Path(path).read_bytes()))
    return image, image.segments()


def test_a_dynamic_x86_64_program():
    image, segments = _image(shutil.which("true"))
    assert (image.is64, image.order, image.machine) == (True, "<", elf.EM_X86_64)
    assert any(s.type == elf.PT_INTERP for s in segments)
    assert any(s.type == elf.PT_LOAD and s.flags & elf.PF_X for s in segments)
    assert b".text\0" in image.section_names()


def test_a_32_bit_static_program_and_its_notes(tmp_path):
    src = tmp_path / "p.c"
    src.write_text("int main(void) { return 0; }\n")
    out = tmp_path / "p32"
    r = subprocess.run(["gcc", "-m32", "-static", "-Wl,--build-id", str(src), "-o", str(out)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"no 32-bit static toolchain here (scripts/setup.sh --test installs gcc-multilib): {r.stderr[-200:]}")
    image, segments = _image(out)
    assert (image.is64, image.machine) == (False, 3)      # EM_386
    assert not any(s.type == elf.PT_INTERP for s in segments)
    note = next(s for s in segments if s.type == elf.PT_NOTE)
    names = [name for name, _ in elf.notes(image.read(note.offset, note.filesz), image.order, 4)]
    assert b"GNU" in names                                 # the build-id note


def test_what_is_not_elf_is_refused(tmp_path):
    for content in (b"#!/bin/sh\necho hi\n", b"\x7fELF\x02\x01", b""):
        (tmp_path / "f").write_bytes(content)
        with pytest.raises(elf.NotElf):
            _image(tmp_path / "f")


def test_truncated_program_headers_are_refused(tmp_path):
    data = Path(shutil.which("true")).read_bytes()
    (tmp_path / "cut").write_bytes(data[:70])             # the header, not the program headers
    with pytest.raises(elf.NotElf):
        _image(tmp_path / "cut")
