"""The zh catalog: every message of the pages is translated and the compiled catalog is current."""
import gettext
import pathlib

from babel.messages.pofile import read_po

CATALOG = pathlib.Path(__file__).resolve().parents[2] / "lims" / "translations" / "zh" / "LC_MESSAGES"


def test_every_message_is_translated_and_compiled():
    with open(CATALOG / "messages.po", "rb") as f:
        po = [m for m in read_po(f) if m.id]
    assert not [m.id for m in po if not m.string or m.fuzzy]
    with open(CATALOG / "messages.mo", "rb") as f:
        mo = gettext.GNUTranslations(f)
    stale = [m.id for m in po if isinstance(m.id, str)
             and (mo.pgettext(m.context, m.id) if m.context else mo.gettext(m.id)) != m.string]
    assert not stale, "run: pybabel compile -d lims/translations -l zh"
