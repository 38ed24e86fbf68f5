"""Locale selection: ?lang=, then the session, then the browser, default Chinese."""
from flask import current_app, has_request_context, request, session


def select_locale() -> str:
    """Return the locale code for this request."""
    langs = current_app.config["LANGUAGES"]
    if not has_request_context():  # the CLI, the demo loader, background work: the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    lang = request.args.get("lang")
    if lang in langs:
        session["lang"] = lang
        return lang  # type: ignore[return-value]  # one of LANGUAGES, so not None
    if session.get("lang") in langs:
        return session["lang"]
    return request.accept_languages.best_match(langs) or current_app.config["BABEL_DEFAULT_LOCALE"]
