"""`python manage.py export_pay_bands CYCLE_ID PATH [--draft]` — write the 分档定薪表
workbook (sheets 分档定薪, 专项奖励, 汇总, 说明) of a published cycle: the published
results, frozen. `--draft` writes one for a cycle not published yet from its current
results (recomputed first when stale), marked 草稿 in the file's properties and its
说明 sheet."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from xlsxwriter.exceptions import FileCreateError

from assessment.models import Cycle
from core.security_log import security_event
from reports.paybands.selectors import PUBLISHED_STATUSES, pay_sheet, sheet_version
from reports.paybands.workbook import write_pay_bands
from scoring.services import compute_until_current, results_are_stale


class Command(BaseCommand):
    help = "把已发布考核周期的分档定薪表导出为 Excel；--draft 按当前结果导出未发布周期的草稿。"

    def add_arguments(self, parser):
        parser.add_argument("cycle_id", type=int)
        parser.add_argument("path", help="要写入的 .xlsx 文件路径")
        parser.add_argument(
            "--draft",
            action="store_true",
            help="周期尚未发布时，按当前计算结果导出，并标为草稿",
        )

    def handle(self, *args, cycle_id, path, draft=False, **options):
        cycle = Cycle.objects.select_related("county").filter(pk=cycle_id).first()
        if cycle is None:
            raise CommandError(_("考核周期 %(id)d 不存在。") % {"id": cycle_id})
        published = cycle.status in PUBLISHED_STATUSES
        if not published and not draft:
            raise CommandError(
                _(
                    "考核周期 %(id)d（%(name)s）当前为“%(status)s”，结果尚未发布，"
                    "还没有正式的分档定薪表；如需按当前结果导出草稿，请加 --draft。"
                )
                % {"id": cycle_id, "name": cycle.name, "status": cycle.get_status_display()}
            )
        if published and draft:
            self.stdout.write(_("该周期已发布：导出正式的分档定薪表（忽略 --draft）。"))
        draft = not published
        if draft:
            if cycle.frozen_template_id is None:
                raise CommandError(
                    _("考核周期 %(id)d 还没有开始考核（草稿状态），没有计算结果。")
                    % {"id": cycle_id}
                )
            if results_are_stale(cycle) and compute_until_current(cycle_id) is None:
                raise CommandError(_("计算期间数据一直在变化，请稍后再试。"))
            cycle.refresh_from_db()
        version = sheet_version(cycle, draft=draft)
        if version is None:
            raise CommandError(_("考核周期 %(id)d 没有可用的计算结果。") % {"id": cycle_id})
        sheet = pay_sheet(cycle, version, draft=draft)
        try:
            write_pay_bands(sheet, path)
        except (OSError, FileCreateError) as problem:
            # xlsxwriter wraps the OSError of creating the file
            cause = problem.args[0] if isinstance(problem, FileCreateError) else problem
            reason = getattr(cause, "strerror", None) or cause
            raise CommandError(
                _("无法写入 %(path)s：%(reason)s") % {"path": path, "reason": reason}
            ) from None
        security_event(
            "export",
            kind="pay_bands",
            format="xlsx",
            cycle=cycle.pk,
            county=cycle.county.code,
            draft=draft,
            rows=sheet.count,
            file=path,
        )
        if draft:
            self.stdout.write(_("已写入 %(path)s（草稿：结果尚未发布）") % {"path": path})
        else:
            self.stdout.write(_("已写入 %(path)s") % {"path": path})
