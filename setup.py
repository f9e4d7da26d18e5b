"""Build hook: compile the native tracers (tracers/) as part of `pip install`.

The tracers are plain C compiled with the system compiler (tracers/build.py); no prebuilt
binary is downloaded. setuptools calls build_ext for both regular and editable installs.
"""
import importlib.util
import shutil
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


def _tracer_build():
    spec = importlib.util.spec_from_file_location("roar_tracer_build", ROOT / "tracers" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SERVICE_FILES = ["systemd/roard.service", "systemd/roard.socket", "launchd/io.roar.roard.plist"]


class BuildTracers(build_ext):
    """Compile the tracers, and copy the service files into roarctl/_services/ (package data)."""

    def run(self):
        inplace = self.inplace or getattr(self, "editable_mode", False)
        base = ROOT if inplace else Path(self.build_lib)
        _tracer_build().build(base / "roard" / "_native", verbose=True)
        services = base / "roarctl" / "_services"
        services.mkdir(parents=True, exist_ok=True)
        for name in SERVICE_FILES:
            shutil.copyfile(ROOT / name, services / Path(name).name)


class NativeDistribution(Distribution):
    """Always run build_ext (and build a platform wheel): the package ships native tracers."""

    def has_ext_modules(self):
        return True


setup(cmdclass={"build_ext": BuildTracers}, distclass=NativeDistribution)
