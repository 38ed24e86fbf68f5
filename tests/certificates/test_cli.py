"""``python -m certificates``: offline verification from the command line."""
import json
import subprocess
import sys

import pytest

from certificates.cli import main

from .conftest import needs_poppler


@pytest.fixture(scope="module")
def preview_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("preview")
    assert main(["preview", str(out), "scale_verification", "scale_notice"]) == 0
    return out


@needs_poppler
def test_preview_then_verify_rendered_page(preview_dir, capsys):
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(preview_dir / "scale_verification.pdf"),
                    str(preview_dir / "page")], check=True)
    capsys.readouterr()
    assert main(["verify", str(preview_dir / "page.png"), "--keys", str(preview_dir / "jwks.json"),
                 "--today", "2026-12-01"]) == 0
    out = capsys.readouterr().out
    assert "GENUINE" in out and "JD2026-000123" in out and "valid until 2027-11-19" in out
    assert main(["verify", str(preview_dir / "page.png"), "--keys", str(preview_dir / "jwks.json"),
                 "--today", "2028-01-01"]) == 0
    assert "Expired" in capsys.readouterr().out


def test_verify_url_and_forgery(preview_dir, dummy_verification, create_url, dummy_jwks, tmp_path, capsys):
    keys = tmp_path / "jwks.json"
    keys.write_text(json.dumps(dummy_jwks))
    url = create_url(dummy_verification)
    assert main(["verify", url.lower(), "--keys", str(keys)]) == 0
    assert main(["verify", url, "--keys", str(preview_dir / "jwks.json")]) == 1  # another lab's keys
    assert "unknown key id" in capsys.readouterr().out


@pytest.mark.parametrize("argv, words", [
    (["verify", "missing.png", "--keys", "{keys}"], "cannot read image"),
    (["verify", "AAAA", "--keys", "/nonexistent/keys.json"], "--keys"),
    (["verify", "AAAA", "--keys", "{keys}", "--today", "soon"], "not a date"),
    (["verify"], "required"),
    (["preview", "{tmp}", "nosuch"], "unknown preview record"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_input_is_one_line_and_exit_2(argv, words, preview_dir, tmp_path, capsys):
    argv = [a.format(keys=preview_dir / "jwks.json", tmp=tmp_path) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err


def test_module_entry_point(preview_dir):
    proc = subprocess.run([sys.executable, "-m", "certificates", "verify", "NOTATOKEN!", "--keys",
                           str(preview_dir / "jwks.json")], capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.startswith("error: ")


def test_verify_against_key_directory(tmp_path, dummy_verification, capsys):
    from certificates import signing
    from certificates.qr import verification_url
    from certificates.token import record_for

    keydir = tmp_path / "keys"
    signing.create_key(keydir)
    token = signing.encode_token(signing.sign_record(record_for(dummy_verification),
                                                     signing.load_signing_key(keydir)))
    url = verification_url("lims.example.com", token)
    signing.rotate(keydir)  # the old public key must still verify
    assert main(["verify", url, "--keys", str(keydir), "--today", "2026-12-01"]) == 0
    assert "GENUINE" in capsys.readouterr().out
    assert main(["verify", url, "--keys", str(tmp_path / "empty-dir-missing")]) == 2
