"""Every data file of ``certificates`` (DCC schemas, their licence texts, preview records) is package data.

setuptools' ``*`` entry only matches files directly inside a package directory; the schemas and
preview records sit in sub-directories, so ``setup.cfg`` must name them with path patterns.
"""
import configparser
import glob
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "certificates"


def _patterns():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    section = cfg["options.package_data"]
    return [p.strip() for key in ("*", "certificates") for p in section.get(key, "").replace("\n", ",").split(",")
            if p.strip()]


def test_every_certificates_data_file_matches_a_package_data_pattern():
    data = {p for p in PKG.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")
            and "__pycache__" not in p.parts}
    assert {p.name for p in data} >= {"COPYING", "COPYING.LESSER", "SOURCE.txt", "dcc.xsd", "scale_verification.json"}
    matched = {Path(m) for pattern in _patterns() for m in glob.glob(str(PKG / pattern), recursive=True)}
    assert sorted(str(p.relative_to(PKG)) for p in data - matched) == []
