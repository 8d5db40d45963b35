"""A grid cell's HTML (`{% grid_cell %}`), built in Python: a page holds a few hundred to a
thousand cells, and rendering each through a template was most of the page's time. It
writes the ids, `data-testid`s, htmx attributes and texts the grid's script and tests
read; every text is escaped (`format_html`) and translated."""

from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.numbers import plain_number
from scoring.grid.cells import COMPUTED, LEVEL, OVERRIDE


def _plain(value):
    """As the templates' `plain` filter: 6 not 6.00; blank for None."""
    return "" if value is None or value == "" else plain_number(Decimal(value))


def grid_cell(row, cell):
    leaf = cell.leaf
    who = row.participant.secretary.name
    classes = " ".join(
        name
        for name, on in (
            ("bg-body-secondary text-secondary", cell.shows_computed and not cell.editable),
            ("table-success", cell.saved_now),
            ("table-warning", cell.conflict),
        )
        if on
    )
    attributes = []
    if cell.kind == OVERRIDE and cell.editable:
        attributes.append(" data-override")
    if cell.saved_now:
        attributes.append(" data-saved-now")
    if cell.editable:
        trigger = "grid-save" if cell.kind == OVERRIDE else "change"
        attributes.append(
            format_html(
                ' hx-post="{}" hx-trigger="{}" hx-include="this" hx-target="this"'
                ' hx-swap="outerHTML"',
                row.cell_url,
                trigger,
            )
        )
    parts = [
        format_html(
            '<td id="c-{}" data-leaf="{}" data-who="{}" title="{}" data-testid="cell-{}-{}"'
            ' class="{}"{}>',
            cell.dom_id,
            leaf.pk,
            who,
            cell.hint,
            row.participant.pk,
            leaf.code,
            classes,
            mark_safe("".join(attributes)),  # built by format_html above
        )
    ]
    parts.append(_editor(cell, who) if cell.editable else _reading(cell))
    if cell.kind == OVERRIDE and not cell.shows_computed:
        parts.append(
            format_html(
                '<div class="text-end"><span class="badge text-bg-warning fw-normal">{}</span>'
                "</div>",
                _("已改分"),
            )
        )
    if cell.rater and cell.show_others and cell.others:
        parts.append(
            format_html(
                '<div class="small text-secondary text-end text-nowrap" data-testid="others">'
                "{}</div>",
                _("另 %(n)s 人 · 均 %(mean)s")
                % {"n": cell.others_count, "mean": _plain(cell.others_mean)},
            )
        )
    if cell.error:
        parts.append(
            format_html(
                '<div class="invalid-feedback d-block" role="alert" data-testid="cell-error">'
                "{}</div>",
                cell.error,
            )
        )
    if cell.conflict:
        parts.append(
            format_html(
                '<div class="small text-warning-emphasis" role="alert"'
                ' data-testid="cell-conflict">{}</div>',
                cell.conflict,
            )
        )
    parts.append(mark_safe("</td>"))
    return mark_safe("".join(parts))


def _editor(cell, who):
    leaf = cell.leaf
    label = f"{who} {leaf.code} {leaf.name}"
    invalid = " is-invalid" if cell.error else ""
    parts = [
        format_html(
            '<input type="hidden" name="leaf" value="{}">'
            '<input type="hidden" name="version" value="{}">',
            leaf.pk,
            "" if cell.version is None else cell.version,
        )
    ]
    if cell.kind == LEVEL:
        options = format_html_join(
            "",
            '<option value="{}"{}>{} {} {}</option>',
            (
                (
                    level.pk,
                    mark_safe(" selected") if level.pk == cell.selected_level_id else "",
                    number,
                    level.label,
                    _plain(level.value),
                )
                for number, level in enumerate(cell.column.levels, start=1)
            ),
        )
        parts.append(
            format_html(
                '<select class="form-select form-select-sm{}" id="l-{}" name="level" data-cell'
                ' data-saved="{}" aria-label="{}"><option value="">—</option>{}</select>',
                invalid,
                cell.dom_id,
                cell.saved_value,
                label,
                options,
            )
        )
        return mark_safe("".join(parts))
    placeholder = ""
    if cell.kind == OVERRIDE and cell.computed is not None:
        placeholder = _("计算 %(v)s") % {"v": _plain(cell.computed)}
    parts.append(
        format_html(
            '<input class="form-control form-control-sm text-end{}" id="v-{}" name="value"'
            ' type="text" inputmode="decimal" autocomplete="off" value="{}" data-cell'
            ' data-saved="{}" data-max="{}"{} aria-label="{}">',
            invalid,
            cell.dom_id,
            cell.input_value,
            cell.saved_value,
            _plain(leaf.points),
            format_html(' placeholder="{}"', placeholder) if cell.kind == OVERRIDE else "",
            label,
        )
    )
    if cell.kind == OVERRIDE:
        parts.append(
            format_html(
                '<div class="mt-1{}" data-note-box><input class="form-control form-control-sm{}"'
                ' id="n-{}" name="note" type="text" autocomplete="off" maxlength="500"'
                ' value="{}" data-note data-saved="{}" placeholder="{}" aria-label="{}"></div>',
                "" if cell.shows_note_box else " d-none",
                invalid,
                cell.dom_id,
                cell.note_value,
                cell.own_note,
                _("改分理由（必填）"),
                _("%(who)s %(code)s 改分理由") % {"who": who, "code": leaf.code},
            )
        )
    return mark_safe("".join(parts))


def _reading(cell):
    parts = [
        format_html(
            '<div class="text-end text-nowrap">{}<span data-testid="value">{}</span></div>',
            format_html('<i class="bi bi-calculator small" title="{}"></i> ', _("系统计算"))
            if cell.kind == COMPUTED
            else "",
            cell.display,
        )
    ]
    if not cell.rater and cell.others and cell.kind != OVERRIDE:
        n = cell.others_count
        parts.append(
            format_html(
                '<div class="small text-secondary text-end text-nowrap">{}</div>',
                ngettext("%(n)s 人评", "%(n)s 人评", n) % {"n": n},
            )
        )
    return mark_safe("".join(parts))
