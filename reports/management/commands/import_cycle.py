"""`python manage.py import_cycle PATH` — import a SPEC §4 workbook.

Contract (scripts depend on it): success → exit 0 and the last line of stdout is the
cycle id; failure → non-zero exit, every fault on stderr (sheet, row, column,
message), nothing in the database changed."""

from django.core.management.base import BaseCommand, CommandError

from assessment.models import Cycle
from reports.excel.errors import ImportRejected
from reports.excel.importer import import_workbook
from reports.excel.layout import PARTIAL_SHEETS

LABELS = (("created", "新增"), ("changed", "修改"), ("unchanged", "不变"), ("deleted", "删除"))


class Command(BaseCommand):
    help = "从 Excel 工作簿（SPEC §4 格式）导入一个考核周期；成功时最后一行输出周期 ID。"

    def add_arguments(self, parser):
        parser.add_argument("path", help=".xlsx 文件路径")
        parser.add_argument(
            "--cycle", type=int, help="只导入部分工作表到这个已有周期（与 --only 一起用）"
        )
        parser.add_argument(
            "--only",
            nargs="+",
            choices=PARTIAL_SHEETS,
            help="只导入这些工作表（需要 --cycle）",
        )
        parser.add_argument("--dry-run", action="store_true", help="只检查并预览改动，不写入")

    def handle(self, *args, path, cycle=None, only=None, dry_run=False, **options):
        if only and cycle is None:
            raise CommandError("--only 需要同时给出 --cycle")
        target = None
        if cycle is not None:
            target = Cycle.objects.filter(pk=cycle).first()
            if target is None:
                raise CommandError(f"周期 {cycle} 不存在")
        try:
            outcome = import_workbook(path, cycle=target, only=only, dry_run=dry_run)
        except ImportRejected as rejected:
            for error in rejected.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"导入被拒绝：共 {len(rejected.errors)} 处问题，数据库未作任何改动。"
            ) from None
        except OSError as problem:
            raise CommandError(f"无法读取文件 {path}：{problem.strerror or problem}") from None
        for sheet, changes in outcome.changes.items():
            counts = "，".join(f"{label} {getattr(changes, attr)}" for attr, label in LABELS)
            self.stdout.write(f"{sheet}：{counts}")
        for warning in outcome.warnings:
            self.stdout.write(f"提示：{warning}")
        if dry_run:
            self.stdout.write("预览：以上改动未写入。")
        self.stdout.write(str(outcome.cycle_id))
