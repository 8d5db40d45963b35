"""`python manage.py export_results CYCLE_ID PATH` — write the results workbook
(SPEC §4: 排名, 明细), recomputing first if the results are stale."""

from django.core.management.base import BaseCommand, CommandError
from xlsxwriter.exceptions import FileCreateError

from assessment.models import Cycle
from core.security_log import security_event
from reports.excel.export import write_results
from scoring.services import compute_until_current


class Command(BaseCommand):
    help = "把考核周期的结果导出为 Excel（排名、明细）；结果过期时先重新计算。"

    def add_arguments(self, parser):
        parser.add_argument("cycle_id", type=int)
        parser.add_argument("path", help="要写入的 .xlsx 文件路径")
        parser.add_argument("--by-town", action="store_true", help="另加每个镇街一张工作表")

    def handle(self, *args, cycle_id, path, by_town=False, **options):
        cycle = Cycle.objects.filter(pk=cycle_id).first()
        if cycle is None:
            raise CommandError(f"周期 {cycle_id} 不存在")
        if cycle.frozen_template_id is None:
            raise CommandError(f"周期 {cycle_id} 还没有冻结的指标体系（草稿），没有结果")
        if compute_until_current(cycle_id) is None:
            raise CommandError("计算期间数据一直在变化，请稍后再试")
        cycle.refresh_from_db()
        try:
            rows = write_results(cycle, path, by_town=by_town)
        except (OSError, FileCreateError) as problem:
            # xlsxwriter wraps the OSError of creating the file
            cause = problem.args[0] if isinstance(problem, FileCreateError) else problem
            reason = getattr(cause, "strerror", None) or cause
            raise CommandError(f"无法写入 {path}：{reason}") from None
        security_event(
            "export",
            kind="results",
            format="xlsx",
            cycle=cycle.pk,
            county=cycle.county.code,
            by_town=by_town,
            rows=rows,
            file=path,
        )
        self.stdout.write(f"已写入 {path}")
