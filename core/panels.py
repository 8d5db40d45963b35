"""Page panels (DESIGN §2): a page of a lower app shows parts that higher apps add.

The page names a slot (`{% panels "cycle-actions" %}`, from the `panels` template tag
library); each higher app registers its templates for the slot in its `AppConfig.ready`,
with the order it wants them in. The lower app never names a higher app's template.
"""

_SLOTS = {}


def register_panel(slot, template_name, order=100):
    panels = _SLOTS.setdefault(slot, [])
    if all(name != template_name for _order, name in panels):
        panels.append((order, template_name))
        panels.sort()
    return template_name


def panel_templates(slot):
    return [name for _order, name in _SLOTS.get(slot, [])]
