"""Build glome's compiled core (src/glome/_fast/*.pyx) when a C compiler is available.

Every compiled module has a pure-Python twin, so a failed or skipped build still
installs a working package: the build is attempted, and a failure is reported as a
warning instead of aborting `pip install`. Set GLOME_NO_EXTENSIONS=1 to skip it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

FAST_DIR = Path("src") / "glome" / "_fast"


class OptionalBuildExt(build_ext):
    """Build each extension, but never let a missing compiler fail the install."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # compiler missing entirely
            self._warn(f"compiled core not built ({exc}); the pure-Python backend will be used")

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            self._warn(f"{ext.name} not built ({exc}); its pure-Python twin will be used")

    @staticmethod
    def _warn(message: str) -> None:
        print(f"glome: WARNING: {message}", file=sys.stderr)


def compiled_extensions() -> list[Extension]:
    if os.environ.get("GLOME_NO_EXTENSIONS") == "1":
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        print("glome: WARNING: Cython missing; installing the pure-Python backend", file=sys.stderr)
        return []
    directives = {
        "language_level": 3,
        "boundscheck": False,
        "wraparound": False,
        "cdivision": True,
        "initializedcheck": False,
    }
    built: list[Extension] = []
    for pyx in sorted(FAST_DIR.glob("*.pyx")):
        extension = Extension(f"glome._fast.{pyx.stem}", [str(pyx)], extra_compile_args=["-O3"])
        try:  # one module failing to translate must not take the others down with it
            built += cythonize([extension], compiler_directives=directives, quiet=True)
        except Exception as exc:
            print(
                f"glome: WARNING: {pyx.name} not translated ({exc}); its pure twin will be used",
                file=sys.stderr,
            )
    return built


setup(ext_modules=compiled_extensions(), cmdclass={"build_ext": OptionalBuildExt})
