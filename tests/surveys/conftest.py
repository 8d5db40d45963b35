from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Slips PDFs go to a scratch folder, not the project's MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)
