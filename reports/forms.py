"""Upload forms of the import pages; what a file may be is `reports.jobs.imports`' to say."""

from django import forms
from django.utils.translation import gettext_lazy as _

from reports.excel.layout import PARTIAL_SHEETS


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Excel 文件"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
        help_text=_("只接受 .xlsx 格式；旧版 .xls 请先在 Excel 中另存为 .xlsx。"),
    )


class PartialImportForm(ImportForm):
    only = forms.MultipleChoiceField(
        label=_("导入哪些工作表"),
        choices=[(sheet, sheet) for sheet in PARTIAL_SHEETS],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("请至少选择一个要导入的工作表。")},
    )

    field_order = ["only", "file"]
