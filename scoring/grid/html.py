"""The grid's rows and cells as HTML (`{% grid_row %}`, `{% grid_cell %}` and the small
counters an autosave swaps out of band), built in Python: a page holds a few hundred to a
thousand cells, and rendering them through templates — or through `format_html`, which
escapes through lazy wrappers — was most of the page's time.

It writes the ids, `data-testid`s, htmx attributes and texts the grid's script and tests
read. Every value is escaped (`esc`: the same entities as Django's `escape`); the fixed
texts are translated once per language (`texts`)."""

from decimal import Decimal
from functools import cache
from html import escape
from types import SimpleNamespace

from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.i18n import per_language
from core.numbers import plain_number
from scoring.grid.cells import COMPUTED, LEVEL, OVERRIDE


def esc(value):
    """`value` as HTML text: &, <, >, " and ' escaped, as Django's `escape` does."""
    return escape(str(value))


@per_language
def texts():
    """The fixed texts of rows and cells in the active language."""
    return SimpleNamespace(
        overridden=_("已改分"),
        others=_("另 %(n)s 人 · 均 %(mean)s"),
        computed=_("计算 %(v)s"),
        note_placeholder=_("改分理由（必填）"),
        note_label=_("%(who)s %(code)s 改分理由"),
        system=_("系统计算"),
        not_graded=_("不定等次"),
        incidents=_("关键事件"),
        incidents_of=_("%(name)s 的关键事件"),
        automatic=_("自动"),
    )


@cache
def _raters_in(language, n):
    with translation.override(language):
        return ngettext("%(n)s 人评", "%(n)s 人评", n) % {"n": n}


def _plain(value):
    """As the templates' `plain` filter: 6 not 6.00; blank for None."""
    return "" if value is None or value == "" else plain_number(Decimal(value))


def grid_row(row):
    """One participant's `<tr>`: name and community, the incidents button, the cells,
    the subtotal and the row's completeness."""
    t = texts()
    p = row.participant
    pk = p.pk
    name = esc(p.secretary.name)
    badge = (
        ""
        if p.is_graded
        else f' <span class="badge text-bg-light border fw-normal"'
        f' title="{esc(p.not_graded_reason)}">{esc(t.not_graded)}</span>'
    )
    community = p.community
    where = (
        f"{esc(community.parent.name)} · {esc(community.name)}"
        if community.parent
        else esc(community.name)
    )
    mine = _RowParts(row)
    cells = "".join(_cell(mine, cell, t) for cell in row.cells)
    return mark_safe(
        f'\n<tr id="row-{pk}" data-participant="{pk}" data-testid="row-{esc(p.secretary.staff_no)}">\n'
        '  <th scope="row" class="position-sticky start-0 z-1 fw-normal text-nowrap">\n'
        '    <div class="d-flex align-items-center gap-2">\n'
        "      <div>\n"
        f'        <div class="fw-semibold">{name}{badge}</div>\n'
        f'        <div class="small text-secondary">{where}</div>\n'
        "      </div>\n"
        '      <button type="button" class="btn btn-sm btn-outline-secondary ms-auto text-nowrap"'
        ' data-bs-toggle="offcanvas" data-bs-target="#incident-panel"\n'
        f'        hx-get="{reverse("incident-list", args=[pk])}" hx-target="#incident-panel-body"'
        ' hx-swap="innerHTML"\n'
        f'        title="{esc(t.incidents)}"'
        f' aria-label="{esc(t.incidents_of % {"name": p.secretary.name})}"'
        f' data-testid="incidents-{pk}"><i class="bi bi-journal-text"></i>'
        f" {incident_count(pk, row.incidents)}</button>\n"
        "    </div>\n"
        "  </th>\n"
        f"  {cells}\n"
        f'  <td class="text-end fw-semibold text-nowrap">{subtotal(row)}</td>\n'
        f'  <td class="text-center">{row_done(row)}</td>\n'
        "</tr>\n"
    )


class _RowParts:
    """What every cell of a row repeats, escaped once: the participant's id and name and
    the autosave address."""

    __slots__ = ("pk", "who", "who_text", "url")

    def __init__(self, row):
        participant = row.participant
        self.pk = participant.id
        self.who_text = participant.secretary.name
        self.who = esc(self.who_text)
        self.url = esc(row.cell_url)


class _ColumnParts:
    """What every cell of a column repeats, written once per column (kept on the column):
    its leaf's id, code, label and maximum, and a level select's options."""

    __slots__ = ("leaf_id", "code", "label", "max", "options")

    def __init__(self, column):
        leaf = column.leaf
        self.leaf_id = leaf.id
        self.code = esc(leaf.code)
        self.label = esc(f"{leaf.code} {leaf.name}")
        self.max = _plain(leaf.points)
        # (level id, the option without and with `selected`)
        self.options = [
            (
                level.pk,
                f'<option value="{level.pk}">{text}</option>',
                f'<option value="{level.pk}" selected>{text}</option>',
            )
            for level, text in (
                (level, f"{number} {esc(level.label)} {_plain(level.value)}")
                for number, level in enumerate(column.levels, start=1)
            )
        ]

    @staticmethod
    def of(column):
        parts = column.__dict__.get("_html")
        if parts is None:
            parts = column.__dict__["_html"] = _ColumnParts(column)
        return parts


def incident_count(participant_id, count, oob=False):
    """The incidents button's count (swapped out of band when the panel changes it)."""
    return _counter("inc", "incident-count", participant_id, count, oob)


def subtotal(row, oob=False):
    return _counter("subtotal", "subtotal", row.participant.pk, floatformat(row.subtotal, 2), oob)


def row_done(row, oob=False):
    state = "text-bg-success" if row.complete else "text-bg-light border"
    shown = f"{row.filled}/{row.required}" if row.required else esc(texts().automatic)
    return _counter("done", "done", row.participant.pk, shown, oob, f"badge {state}")


def _counter(name, testid, pk, shown, oob, css=None):
    """A row's small counter `<span>`, with `hx-swap-oob` when an autosave's answer
    swaps it out of band; `shown` is HTML already."""
    css = "" if css is None else f' class="{css}"'
    swap = ' hx-swap-oob="true"' if oob else ""
    return mark_safe(
        f'<span id="{name}-{pk}" data-testid="{testid}-{pk}"{css}{swap}>{shown}</span>\n'
    )


def grid_cell(row, cell):
    """One cell's `<td>` (the answer to its autosave, too)."""
    return mark_safe(_cell(_RowParts(row), cell, texts()))


def _cell(row, cell, t):
    column = _ColumnParts.of(cell.column)
    kind = cell.kind
    editable = cell.editable
    classes = []
    if not editable and cell.shows_computed:
        classes.append("bg-body-secondary text-secondary")
    if cell.saved_now:
        classes.append("table-success")
    if cell.conflict:
        classes.append("table-warning")
    attributes = ""
    if kind == OVERRIDE and editable:
        attributes += " data-override"
    if cell.saved_now:
        attributes += " data-saved-now"
    if editable:
        trigger = "grid-save" if kind == OVERRIDE else "change"
        attributes += (
            f' hx-post="{row.url}" hx-trigger="{trigger}" hx-include="this"'
            ' hx-target="this" hx-swap="outerHTML"'
        )
    dom_id = f"{row.pk}-{column.leaf_id}"
    parts = [
        f'<td id="c-{dom_id}" data-leaf="{column.leaf_id}" data-who="{row.who}"'
        f' title="{esc(cell.hint)}" data-testid="cell-{row.pk}-{column.code}"'
        f' class="{" ".join(classes)}"{attributes}>',
        _editor(cell, row, column, dom_id, t) if editable else _reading(cell, t),
    ]
    if kind == OVERRIDE and not cell.shows_computed:
        parts.append(
            '<div class="text-end"><span class="badge text-bg-warning fw-normal">'
            f"{esc(t.overridden)}</span></div>"
        )
    if cell.rater and cell.show_others and cell.others:
        others = t.others % {"n": cell.others_count, "mean": _plain(cell.others_mean)}
        parts.append(
            '<div class="small text-secondary text-end text-nowrap" data-testid="others">'
            f"{esc(others)}</div>"
        )
    if cell.error:
        parts.append(
            '<div class="invalid-feedback d-block" role="alert" data-testid="cell-error">'
            f"{esc(cell.error)}</div>"
        )
    if cell.conflict:
        parts.append(
            '<div class="small text-warning-emphasis" role="alert" data-testid="cell-conflict">'
            f"{esc(cell.conflict)}</div>"
        )
    parts.append("</td>")
    return "".join(parts)


def _editor(cell, row, column, dom_id, t):
    kind = cell.kind
    label = f"{row.who} {column.label}"
    invalid = " is-invalid" if cell.error else ""
    version = "" if cell.version is None else cell.version
    hidden = (
        f'<input type="hidden" name="leaf" value="{column.leaf_id}">'
        f'<input type="hidden" name="version" value="{version}">'
    )
    if kind == LEVEL:
        selected = cell.selected_level_id
        options = "".join(
            chosen if pk == selected else plain for pk, plain, chosen in column.options
        )
        return (
            f'{hidden}<select class="form-select form-select-sm{invalid}" id="l-{dom_id}"'
            f' name="level" data-cell data-saved="{esc(cell.saved_value)}" aria-label="{label}">'
            f'<option value="">—</option>{options}</select>'
        )
    placeholder = ""
    if kind == OVERRIDE:
        shown = "" if cell.computed is None else t.computed % {"v": _plain(cell.computed)}
        placeholder = f' placeholder="{esc(shown)}"'
    saved = esc(cell.saved_value)
    typed = saved if cell.typed is None else esc(cell.input_value)
    parts = [
        hidden,
        f'<input class="form-control form-control-sm text-end{invalid}" id="v-{dom_id}"'
        ' name="value" type="text" inputmode="decimal" autocomplete="off"'
        f' value="{typed}" data-cell data-saved="{saved}"'
        f' data-max="{column.max}"{placeholder} aria-label="{label}">',
    ]
    if kind == OVERRIDE:
        hidden_box = "" if cell.shows_note_box else " d-none"
        note_label = esc(t.note_label % {"who": row.who_text, "code": cell.leaf.code})
        parts.append(
            f'<div class="mt-1{hidden_box}" data-note-box><input class="form-control'
            f' form-control-sm{invalid}" id="n-{dom_id}" name="note" type="text"'
            f' autocomplete="off" maxlength="500" value="{esc(cell.note_value)}" data-note'
            f' data-saved="{esc(cell.own_note)}" placeholder="{esc(t.note_placeholder)}"'
            f' aria-label="{note_label}"></div>'
        )
    return "".join(parts)


def _reading(cell, t):
    icon = (
        f'<i class="bi bi-calculator small" title="{esc(t.system)}"></i> '
        if cell.kind == COMPUTED
        else ""
    )
    shown = (
        f'<div class="text-end text-nowrap">{icon}<span data-testid="value">'
        f"{esc(cell.display)}</span></div>"
    )
    if not cell.rater and cell.others and cell.kind != OVERRIDE:
        shown += (
            '<div class="small text-secondary text-end text-nowrap">'
            f"{esc(_raters_in(translation.get_language(), cell.others_count))}</div>"
        )
    return shown
