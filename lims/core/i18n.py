"""Locale selection: ?lang=, then the session, then the browser, default Chinese."""
from flask import current_app, request, session


def select_locale():
    """Return the locale code for this request."""
    langs = current_app.config["LANGUAGES"]
    lang = request.args.get("lang")
    if lang in langs:
        session["lang"] = lang
        return lang
    if session.get("lang") in langs:
        return session["lang"]
    return request.accept_languages.best_match(langs) or current_app.config["BABEL_DEFAULT_LOCALE"]
