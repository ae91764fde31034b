"""The signed documents as PDF (LibreOffice headless draws the workbook exactly as it prints) and
the first page as PNG (poppler's pdftoppm), for the README and for a quick look."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from auditor.errors import AuditorError, RenderUnavailable
from auditor.files import atomic_output

RENDER_TIMEOUT_S = 1800  # a country's list is a few hundred pages; a province's records, 130 files


def _program(*names: str, package: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    raise RenderUnavailable(
        f"{names[0]} is not installed, so no PDF or PNG can be drawn; install it "
        f"(Debian/Ubuntu: sudo apt-get install {package}) or write the .xlsx and print it"
    )


def pdf_of(workbook: Path, pdf: Path) -> None:
    """`workbook` printed to `pdf` by LibreOffice, whole or not at all."""
    pdfs_of([(workbook, pdf)])


def pdfs_of(pairs: Sequence[tuple[Path, Path]]) -> None:
    """Each workbook printed to its PDF, by one LibreOffice (it starts once for all of them); each
    PDF whole or not at all.  The workbooks' names must differ."""
    if not pairs:
        return
    soffice = _program("soffice", "libreoffice", package="libreoffice-calc")
    with tempfile.TemporaryDirectory(prefix="auditor-render-") as scratch:
        profile = Path(scratch) / "profile"  # its own profile: runs beside a desktop LibreOffice
        command = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore"]
        command += ["--convert-to", "pdf", "--outdir", scratch, *(str(workbook) for workbook, _ in pairs)]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=RENDER_TIMEOUT_S, stdin=subprocess.DEVNULL
            )
        except subprocess.TimeoutExpired as exc:
            raise AuditorError(f"LibreOffice did not finish drawing the PDF within {RENDER_TIMEOUT_S} s") from exc
        for workbook, pdf in pairs:
            drawn = Path(scratch) / f"{workbook.stem}.pdf"
            if done.returncode != 0 or not drawn.exists():
                said = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no message"]
                raise AuditorError(f"LibreOffice could not draw {pdf}: {said[0]}")
            with atomic_output(pdf) as temporary:
                shutil.copyfile(drawn, temporary)


def png_of(pdf: Path, png: Path, dpi: int = 110) -> None:
    """The first page of `pdf` as `png`."""
    pdftoppm = _program("pdftoppm", package="poppler-utils")
    with tempfile.TemporaryDirectory(prefix="auditor-render-") as scratch:
        base = Path(scratch) / "page"
        done = subprocess.run(
            [pdftoppm, "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile", str(pdf), str(base)],
            capture_output=True,
            text=True,
            timeout=RENDER_TIMEOUT_S,
        )
        if done.returncode != 0:
            raise AuditorError(f"pdftoppm could not draw {png}: {done.stderr.strip()}")
        with atomic_output(png) as temporary:
            shutil.copyfile(base.with_suffix(".png"), temporary)
