"""Snapshot tests: the DCC XML of the preview records is compared with files on disk.

The XML is deterministic (lxml, no dates from the clock), so any change of content or
structure shows up as a diff. After an intended change, regenerate with
``LIMS_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/certificates/test_snapshots.py``
and review the diff in git.
"""
import difflib
import os
from pathlib import Path

import pytest

from certificates.dcc import render_dcc
from certificates.samples import load_sample, sample_names

SNAPSHOTS = Path(__file__).parent / "snapshots"


@pytest.mark.parametrize("name", sample_names())
def test_dcc_snapshot(name):
    xml = render_dcc(load_sample(name)).decode("utf-8")
    path = SNAPSHOTS / f"{name}.dcc.xml"
    if os.environ.get("LIMS_UPDATE_SNAPSHOTS") == "1":
        path.write_text(xml, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    if xml != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), xml.splitlines(True), str(path), "rendered"))
        pytest.fail(f"DCC differs from snapshot:\n{diff[:3000]}")
