"""Chinese names in the order people look them up: by pinyin (丙 bǐng, 甲 jiǎ, 乙 yǐ),
not by code point. PostgreSQL sorts with its ICU collation; SQLite (the demo) has none
and keeps code-point order."""

from django.db import connection
from django.db.models import F
from django.db.models.functions import Collate

PINYIN_COLLATION = "zh-Hans-x-icu"


def pinyin(field):
    """An expression ordering `field` by pinyin where the database can."""
    if connection.vendor == "postgresql":
        return Collate(F(field), PINYIN_COLLATION)
    return F(field)
