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


def test_every_message_marked_in_the_code_is_in_the_catalog():
    """An msgid marked in lims/ (Python or a template) but missing from messages.po would show in English."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

    root = pathlib.Path(__file__).resolve().parents[2] / "lims"
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    with open(CATALOG / "messages.po", "rb") as f:
        known = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in read_po(f) if m.id}
    missing = sorted({f"{fn}: {msg if isinstance(msg, str) else msg[0]}"
                      for fn, _line, msg, _comments, ctx in extract_from_dir(str(root), method_map, keywords=keywords)
                      if (ctx, msg if isinstance(msg, str) else msg[0]) not in known})
    assert not missing, "not in messages.po (extract, translate, compile):\n" + "\n".join(missing)
