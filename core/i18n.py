"""Fixed texts translated once per language: a page that writes the same label a thousand
times (the score grid's cells) asks gettext once, not a thousand times."""

from functools import wraps

from django.utils import translation


def per_language(build):
    """Decorator: `build()` translates a set of fixed texts; it runs once per language,
    and later calls return what it built for the active one."""
    built = {}

    @wraps(build)
    def texts():
        language = translation.get_language()
        found = built.get(language)
        if found is None:
            with translation.override(language):
                found = built[language] = build()
        return found

    return texts
