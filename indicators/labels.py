"""How messages name an indicator or an event type: its code, then its name in quotes
(指标 2.2“网格化管理成效（化解矛盾数）”) — never the name in brackets, since names often
carry brackets of their own and a message must not nest them (issue 14)."""

from django.utils.translation import gettext as _


def node_label(node):
    return _("指标 %(code)s“%(name)s”") % {"code": node.code, "name": node.name}


def event_type_label(event_type):
    return _("事项类型 %(code)s“%(name)s”") % {"code": event_type.code, "name": event_type.name}
