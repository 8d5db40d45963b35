"""Writes to indicator templates: one function per use case, each in one transaction.

A template some cycle was opened from is `released`: it never changes again. Editing
it creates the next edition (same lineage) and applies the edit there, so a cycle can
always say which edition it used (`editable_edition`). Frozen copies (`is_frozen`,
made when a cycle opens) refuse every edit.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from core.versioning import StaleVersion
from indicators.models import (
    BarsLevel,
    EventType,
    IndicatorNode,
    IndicatorTemplate,
    MetricDefinition,
    SurveyCategory,
)
from indicators.validation import EventTypeSpec, NodeSpec, validate_event_types, validate_tree
from org.scope import Role, scope_of

EDITOR_ROLES = frozenset({Role.ADMIN, Role.COUNTY_ASSESSOR})

DEFAULT_SURVEY_CATEGORIES = [
    ("居民代表", Decimal(60)),
    ("物业", Decimal(20)),
    ("共建单位", Decimal(20)),
]


def may_edit(user, template):
    """County assessors and admins of the template's county (or above) edit it."""
    return scope_of(user).covers_path(template.county.path, EDITOR_ROLES)


def _stamp(obj, actor):
    obj._history_user = actor
    return obj


def _save(obj, actor, **kwargs):
    _stamp(obj, actor).full_clean(**kwargs)
    obj.save()
    return obj


def _check_editable(template):
    if template.is_frozen:
        raise ValidationError(_("这是考核周期冻结的指标体系副本，不能修改。"))


@transaction.atomic
def create_template(*, actor, county, name, description="", with_default_categories=True):
    template = _save(IndicatorTemplate(county=county, name=name, description=description), actor)
    if with_default_categories:
        for category, weight in DEFAULT_SURVEY_CATEGORIES:
            _save(SurveyCategory(template=template, name=category, weight=weight), actor)
    return template


@transaction.atomic
def clone_template(*, actor, template, name=None, as_new_edition=False, frozen=False):
    """A deep copy: nodes with their tree, anchors, metrics, event types (charged to the
    copied leaves) and survey categories. A new edition keeps the lineage."""
    copy = IndicatorTemplate(
        county=template.county,
        name=name or template.name,
        description=template.description,
        based_on=template,
        is_frozen=frozen,
    )
    if as_new_edition:
        copy.lineage = template.lineage
        latest = IndicatorTemplate.objects.filter(lineage=template.lineage).aggregate(
            Max("edition")
        )["edition__max"]
        copy.edition = latest + 1
    _save(copy, actor)
    node_map = {}
    for node in template.nodes.order_by("sort_key"):  # parents come before their children
        old_pk = node.pk
        node.pk = None
        node.template = copy
        node.parent_id = node_map[node.parent_id].pk if node.parent_id else None
        node.version = 1
        _stamp(node, actor).save()
        node_map[old_pk] = node
    for level in BarsLevel.objects.filter(node__template=template):
        level.pk = None
        level.node = node_map[level.node_id]
        _stamp(level, actor).save()
    for metric in template.metrics.all():
        metric.pk = None
        metric.template = copy
        _stamp(metric, actor).save()
    for event_type in template.event_types.all():
        event_type.pk = None
        event_type.template = copy
        event_type.leaf = node_map[event_type.leaf_id] if event_type.leaf_id else None
        event_type.version = 1
        _stamp(event_type, actor).save()
    for category in template.survey_categories.all():
        category.pk = None
        category.template = copy
        _stamp(category, actor).save()
    return copy


@transaction.atomic
def freeze_template(*, actor, template):
    """The copy a cycle keeps (SPEC §2: later template edits never change a running
    cycle). The source becomes released: editing it makes a new edition."""
    template = IndicatorTemplate.objects.select_for_update().get(pk=template.pk)
    frozen = clone_template(actor=actor, template=template, frozen=True)
    if not template.released:
        template.released = True
        _stamp(template, actor).save(update_fields=["released", "updated_at"])
    return frozen


def editable_edition(*, actor, template):
    """The template itself while unreleased; otherwise its next edition (created once:
    an unreleased later edition of the same lineage is reused).

    The template is read again under a lock: the caller's copy may predate a cycle
    opening, and an edit must never reach a released edition."""
    template = IndicatorTemplate.objects.select_for_update().get(pk=template.pk)
    _check_editable(template)
    if not template.released:
        return template
    pending = (
        IndicatorTemplate.objects.filter(
            lineage=template.lineage, released=False, is_frozen=False, edition__gt=template.edition
        )
        .order_by("-edition")
        .first()
    )
    return pending or clone_template(actor=actor, template=template, as_new_edition=True)


def _same_in(template, obj, key="code"):
    """The counterpart of a part of a released edition in the edition edits go to,
    matched by `key` (a node's or event type's code, a metric's key, a survey category's
    name). One that was renamed or deleted there since is stale: the change is refused
    as made on an outdated copy (412 in the API), never a missing-row error."""
    if obj.template_id == template.pk:
        return obj
    same = type(obj).objects.filter(template=template, **{key: getattr(obj, key)}).first()
    if same is None:
        raise StaleVersion(None)
    return same


def _locked(model, obj, version):
    current = model.objects.select_for_update().get(pk=obj.pk)
    if version is not None and current.version != version:
        raise StaleVersion(current)
    return current


@transaction.atomic
def update_template(*, actor, template, **changes):
    template = editable_edition(actor=actor, template=template)
    for field, value in changes.items():
        setattr(template, field, value)
    template.version += 1
    return _save(template, actor)


NODE_FIELDS = {
    "name",
    "points",
    "description",
    "range_min",
    "range_max",
    "method",
    "metric_key",
    "target_value",
    "bands",
}


@transaction.atomic
def add_node(*, actor, template, parent=None, name, points, **fields):
    """A new node at the end of its parent's children; codes follow the position."""
    template = editable_edition(actor=actor, template=template)
    if parent is not None:
        parent = _same_in(template, parent)
    siblings = template.nodes.filter(parent=parent)
    position = (siblings.aggregate(Max("position"))["position__max"] or 0) + 1
    node = IndicatorNode(
        template=template,
        parent=parent,
        name=name,
        points=points,
        position=position,
        code=_child_code(parent, position),
        **{k: v for k, v in fields.items() if k in NODE_FIELDS},
    )
    if parent is not None and parent.method:
        # A leaf that gets a child becomes a parent: parents carry no method.
        parent.method = ""
        parent.version += 1
        _stamp(parent, actor).save()
    _save(node, actor, exclude=["code"])
    _renumber(template, actor)
    node.refresh_from_db()
    return node


@transaction.atomic
def update_node(*, actor, node, version, **changes):
    template = editable_edition(actor=actor, template=node.template)
    if template.pk != node.template_id:
        node, version = _same_in(template, node), None
    node = _locked(IndicatorNode, node, version)
    for field, value in changes.items():
        if field not in NODE_FIELDS:
            raise ValueError(field)
        setattr(node, field, value)
    node.version += 1
    return _save(node, actor)


@transaction.atomic
def move_node(*, actor, node, version, parent=None, before=None):
    """Put `node` under `parent` (None: a dimension), before sibling `before` (None: last)."""
    template = editable_edition(actor=actor, template=node.template)
    if template.pk != node.template_id:
        node, version = _same_in(template, node), None
        parent = _same_in(template, parent) if parent else None
        before = _same_in(template, before) if before else None
    node = _locked(IndicatorNode, node, version)
    ancestor = parent
    while ancestor is not None:
        if ancestor.pk == node.pk:
            raise ValidationError(_("不能把指标移到它自己的下级中。"))
        ancestor = ancestor.parent
    siblings = [
        s for s in template.nodes.filter(parent=parent).order_by("position") if s.pk != node.pk
    ]
    index = next((i for i, s in enumerate(siblings) if before and s.pk == before.pk), len(siblings))
    siblings.insert(index, node)
    if parent is not None and parent.method:
        # A leaf that gets a child becomes a parent: parents carry no method.
        parent = IndicatorNode.objects.get(pk=parent.pk)
        parent.method = ""
        parent.version += 1
        _stamp(parent, actor).save()
    node.parent = parent
    node.version += 1
    for position, sibling in enumerate(siblings, start=1):
        sibling.position = position
        if sibling.pk == node.pk:
            _stamp(node, actor).save()
        else:
            IndicatorNode.objects.filter(pk=sibling.pk).update(position=position)
    _renumber(template, actor)
    node.refresh_from_db()
    return node


@transaction.atomic
def delete_node(*, actor, node, version):
    """Delete a node and everything under it. Event types charged to a deleted leaf are
    refused first: they would lose their leaf silently."""
    template = editable_edition(actor=actor, template=node.template)
    if template.pk != node.template_id:
        node, version = _same_in(template, node), None
    node = _locked(IndicatorNode, node, version)
    subtree = _subtree_ids(template, node)
    charged = EventType.objects.filter(leaf_id__in=subtree).order_by("code")
    if charged.exists():
        names = "、".join(str(e) for e in charged)
        raise ValidationError(
            _("事项类型 %(types)s 计入了要删除的指标，请先修改这些事项类型。") % {"types": names}
        )
    for node_id in sorted(subtree, reverse=True):
        doomed = IndicatorNode.objects.get(pk=node_id)
        _stamp(doomed, actor).delete()
    _renumber(template, actor)
    return template


def _subtree_ids(template, node):
    children = {}
    for pk, parent_id in template.nodes.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, stack = [], [node.pk]
    while stack:
        pk = stack.pop()
        found.append(pk)
        stack.extend(children.get(pk, []))
    return found


def _child_code(parent, position):
    return f"{parent.code}.{position}" if parent is not None else str(position)


def _renumber(template, actor):
    """Codes follow positions (1, 1.2, 1.2.3), so they are always consistent with the
    tree. Only nodes whose code changes are written (and audited)."""
    nodes = list(template.nodes.order_by("position", "pk"))
    children = {}
    for node in nodes:
        children.setdefault(node.parent_id, []).append(node)
    changed = []

    def walk(parent, prefix, key_prefix):
        for position, node in enumerate(children.get(parent, []), start=1):
            code, sort_key = f"{prefix}{position}", f"{key_prefix}{position:03d}"
            if (node.code, node.position, node.sort_key) != (code, position, sort_key):
                node.code, node.position, node.sort_key = code, position, sort_key
                changed.append(node)
            walk(node.pk, f"{code}.", f"{sort_key}.")

    walk(None, "", "")
    if changed:
        # Park the changed codes first so the unique (template, code) never collides.
        for node in changed:
            IndicatorNode.objects.filter(pk=node.pk).update(code=f"~{node.pk}")
        for node in changed:
            _stamp(node, actor).save(update_fields=["code", "position", "sort_key"])


@transaction.atomic
def set_bars_levels(*, actor, node, levels):
    """Replace a rating leaf's behaviour anchors: levels = [(label, description, value)]."""
    template = editable_edition(actor=actor, template=node.template)
    node = _same_in(template, node)
    for level in node.bars_levels.all():
        _stamp(level, actor).delete()
    for position, (label, description, value) in enumerate(levels, start=1):
        _save(
            BarsLevel(
                node=node, position=position, label=label, description=description, value=value
            ),
            actor,
        )
    return node


@transaction.atomic
def save_event_type(*, actor, template, event_type=None, version=None, **fields):
    template = editable_edition(actor=actor, template=template)
    if fields.get("leaf") is not None:
        fields["leaf"] = _same_in(template, fields["leaf"])
    if event_type is None:
        event_type = EventType(template=template)
    else:
        if template.pk != event_type.template_id:
            event_type, version = _same_in(template, event_type), None
        event_type = _locked(EventType, event_type, version)
        event_type.version += 1
    for field, value in fields.items():
        setattr(event_type, field, value)
    _save(event_type, actor)
    return event_type


@transaction.atomic
def delete_event_type(*, actor, event_type):
    template = editable_edition(actor=actor, template=event_type.template)
    _stamp(_same_in(template, event_type), actor).delete()


@transaction.atomic
def save_metric(*, actor, template, metric=None, version=None, **fields):
    """Create a metric (no `metric`) or change one; a change made on the edition it was
    read from must name the version read."""
    template = editable_edition(actor=actor, template=template)
    if metric is None:
        metric = MetricDefinition(template=template)
    elif template.pk != metric.template_id:
        metric = _same_in(template, metric, "key")
    else:
        metric = _locked(MetricDefinition, metric, version)
        metric.version += 1
    for field, value in fields.items():
        setattr(metric, field, value)
    return _save(metric, actor)


@transaction.atomic
def delete_metric(*, actor, metric):
    template = editable_edition(actor=actor, template=metric.template)
    metric = _same_in(template, metric, "key")
    if template.nodes.filter(metric_key=metric.key).exists():
        raise ValidationError(_("数据项“%(key)s”仍被指标使用，不能删除。") % {"key": metric.key})
    _stamp(metric, actor).delete()


@transaction.atomic
def save_survey_category(*, actor, template, category=None, version=None, **fields):
    template = editable_edition(actor=actor, template=template)
    if category is None:
        category = SurveyCategory(template=template)
    elif template.pk != category.template_id:
        category = _same_in(template, category, "name")
    else:
        category = _locked(SurveyCategory, category, version)
        category.version += 1
    for field, value in fields.items():
        setattr(category, field, value)
    return _save(category, actor)


def node_specs(template):
    """The template's tree as plain data for validation (two queries)."""
    bars = {}
    for node_id, label, value in BarsLevel.objects.filter(node__template=template).values_list(
        "node_id", "label", "value"
    ):
        bars.setdefault(node_id, []).append((label, value))
    nodes = list(template.nodes.select_related("parent"))
    return [
        NodeSpec(
            code=n.code,
            name=n.name,
            points=n.points,
            parent_code=n.parent.code if n.parent_id else None,
            method=n.method,
            range_min=n.range_min,
            range_max=n.range_max,
            metric_key=n.metric_key,
            target_value=n.target_value,
            bands=n.band_pairs,
            bars=tuple(bars.get(n.pk, ())),
        )
        for n in nodes
    ]


def check_template(template):
    """Every problem of the template (tree and event types) as one report."""
    specs = node_specs(template)
    metric_keys = set(template.metrics.values_list("key", flat=True))
    report = validate_tree(specs, metric_keys=metric_keys)
    event_specs = [
        EventTypeSpec(
            code=e.code,
            name=e.name,
            points=e.points,
            leaf_code=e.leaf.code if e.leaf_id else None,
            cap=e.cap,
            is_veto=e.is_veto,
        )
        for e in template.event_types.select_related("leaf")
    ]
    report.problems.extend(validate_event_types(event_specs, specs).problems)
    return report


@transaction.atomic
def shift_node(*, actor, node, version, direction):
    """Keyboard-style moves in the tree table: up/down among siblings; indent (become
    the last child of the sibling above); outdent (follow the parent)."""
    node = IndicatorNode.objects.select_related("parent").get(pk=node.pk)
    siblings = list(node.template.nodes.filter(parent=node.parent_id).order_by("position"))
    index = next(i for i, s in enumerate(siblings) if s.pk == node.pk)
    if direction == "up" and index > 0:
        return move_node(
            actor=actor, node=node, version=version, parent=node.parent, before=siblings[index - 1]
        )
    if direction == "down" and index < len(siblings) - 1:
        after_next = siblings[index + 2] if index + 2 < len(siblings) else None
        return move_node(
            actor=actor, node=node, version=version, parent=node.parent, before=after_next
        )
    if direction == "indent" and index > 0:
        return move_node(actor=actor, node=node, version=version, parent=siblings[index - 1])
    if direction == "outdent" and node.parent_id:
        parent = node.parent
        uncles = list(node.template.nodes.filter(parent=parent.parent_id).order_by("position"))
        position = next(i for i, s in enumerate(uncles) if s.pk == parent.pk)
        before = uncles[position + 1] if position + 1 < len(uncles) else None
        return move_node(
            actor=actor, node=node, version=version, parent=parent.parent, before=before
        )
    return node


@transaction.atomic
def delete_survey_category(*, actor, category):
    template = editable_edition(actor=actor, template=category.template)
    _stamp(_same_in(template, category, "name"), actor).delete()
