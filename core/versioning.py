"""Optimistic locking (DESIGN §4): every editable record carries a `version`; a write
names the version it was made on and is refused when the record has moved on."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class StaleVersion(Exception):
    """The record changed since the caller read it ("已被他人修改")."""

    def __init__(self, current):
        super().__init__(_("该记录已被他人修改，请查看最新内容后再保存。"))
        self.current = current


def lock_at_version(model, pk, version):
    """The row, locked, if it is still at `version`. A missing version is refused too:
    every edit must say which version it was made on."""
    obj = model.objects.select_for_update().get(pk=pk)
    if version is None:
        raise ValidationError(_("缺少版本号，无法确认您修改的是最新内容，请刷新后重试。"))
    if obj.version != version:
        raise StaleVersion(obj)
    return obj
