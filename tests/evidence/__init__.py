"""Evidence tests; `stored_files` reads what they stored (see conftest.py)."""


def stored_files(media):
    """The files under MEDIA_ROOT (`media`, the evidence tests' fixture), sorted."""
    return sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []
