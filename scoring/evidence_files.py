"""Evidence files on a self-evaluation leaf or an appeal (佐证材料, SPEC §2).

The files are kept by the evidence app, which sits above scoring (DESIGN §2): at start-up
it hands its store to `register_file_store`. The store offers
`check_uploads(uploads)`, `attach_files(*, actor, participant, uploads, leaf=None,
appeal=None)`, `leaf_files(participant)` (the participant's files by leaf id), `ACCEPT`
(the file input's `accept` attribute) and `limit_text()` (the size limit as people read
it).
"""

from django.core.exceptions import ImproperlyConfigured

_store = []


def register_file_store(store):
    _store[:] = [store]
    return store


def file_store():
    if not _store:
        raise ImproperlyConfigured(
            "No evidence file store registered (is the evidence app installed?)."
        )
    return _store[0]
