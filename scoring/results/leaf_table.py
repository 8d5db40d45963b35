"""The participant page's leaf rows (`{% leaf_rows block %}`), built in Python: a sheet
has ~60 leaves × eight cells, and rendering them through the template language — a
variable lookup and a filter per cell — was most of the page's rendering time.

Every value is escaped (`scoring.grid.html.esc`, the same entities as Django's `escape`)
and numbers go through Django's own `floatformat`, as the template did."""

from django.template.defaultfilters import floatformat
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from scoring.grid.html import esc


def leaf_rows(block):
    """The `<tr>` of each leaf of one dimension block (`DimensionBlock.leaves`)."""
    overridden = None
    rows = []
    for leaf in block.leaves:
        parent = (
            f' <span class="text-secondary">· {esc(leaf.parent_name)}</span>'
            if leaf.parent_name
            else ""
        )
        caveat = (
            f' <span class="badge text-bg-warning" data-testid="leaf-caveat">{esc(leaf.caveat)}</span>'
            if leaf.caveat
            else ""
        )
        basis = (
            f'<div class="small" data-testid="leaf-basis">{esc(leaf.basis_text)}</div>'
            if leaf.basis_text
            else ""
        )
        mark = ""
        if leaf.org_overridden:
            if overridden is None:
                overridden = (
                    '<i class="bi bi-pencil-square text-warning" role="img"'
                    f' title="{esc(_("组织考评改分：自动计分指标由组织考评人员改分（附理由）"))}"'
                    f' aria-label="{esc(_("组织考评改分"))}"></i> '
                )
            mark = overridden
        rows.append(
            "\n      <tr>\n"
            f'        <td class="font-monospace">{esc(leaf.code)}</td>\n'
            f"        <td>{esc(leaf.name)}{parent}</td>\n"
            f'        <td class="text-secondary">{esc(leaf.method_label)}{caveat}{basis}</td>\n'
            f'        <td class="text-end">{floatformat(leaf.points, 2)}</td>\n'
            f'        <td class="text-end">{floatformat(leaf.self_value, 2)}</td>\n'
            f'        <td class="text-end">{floatformat(leaf.target_value, 2)}</td>\n'
            f'        <td class="text-end">{mark}{floatformat(leaf.org_value, 2)}</td>\n'
            f'        <td class="text-end">{esc(leaf.weighted_text)}</td>\n'
            "      </tr>\n      "
        )
    return mark_safe("".join(rows))
