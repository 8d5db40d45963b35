"""Messages name an indicator by code and quoted name: a name with brackets of its own
(网格化管理成效（化解矛盾数）) is never wrapped in more brackets (issue 14)."""

import re
from types import SimpleNamespace

from indicators.labels import event_type_label, node_label

NESTED = re.compile(r"（[^）]*（")


def test_a_bracketed_name_is_quoted_not_nested():
    label = node_label(SimpleNamespace(code="2.2", name="网格化管理成效（化解矛盾数）"))
    assert label == "指标 2.2“网格化管理成效（化解矛盾数）”"
    assert not NESTED.search(label)
    kind = event_type_label(SimpleNamespace(code="WJ", name="违纪（警告）"))
    assert kind == "事项类型 WJ“违纪（警告）”" and not NESTED.search(kind)
