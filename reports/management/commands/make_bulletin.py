"""`python manage.py make_bulletin CYCLE_ID QUARTER DIR` — generate a 草稿 version of the
cycle's quarterly bulletin (SPEC §2 Bulletin, §3.6) and write it into DIR as `.html`,
`.pdf` and `.xlsx`; the last line of the output is the new bulletin's id. For schedules
outside the product and for archiving: needs nothing but DATABASE_URL after migrate."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from assessment.models import Cycle
from reports.bulletins import render, services
from reports.bulletins.workbook import write_workbook


class Command(BaseCommand):
    help = "生成考核周期某季度的季度通报（草稿），写出 .html、.pdf 和 .xlsx。"

    def add_arguments(self, parser):
        parser.add_argument("cycle_id", type=int)
        parser.add_argument("quarter", help="季度，1–4")
        parser.add_argument("directory", help="写入文件的目录（不存在时创建）")

    def handle(self, *args, cycle_id, quarter, directory, **options):
        if quarter not in ("1", "2", "3", "4"):
            raise CommandError(f"季度应为 1–4，收到“{quarter}”")
        cycle = Cycle.objects.select_related("county").filter(pk=cycle_id).first()
        if cycle is None:
            raise CommandError(f"周期 {cycle_id} 不存在")
        try:
            bulletin = services.generate_bulletin(cycle=cycle, quarter=int(quarter))
        except ValidationError as problem:
            raise CommandError("；".join(problem.messages)) from None
        target = Path(directory)
        stem = f"bulletin-{bulletin.pk}"
        try:
            target.mkdir(parents=True, exist_ok=True)
            snapshot = bulletin.content
            (target / f"{stem}.html").write_text(
                render.html_document(bulletin, snapshot), encoding="utf-8"
            )
            (target / f"{stem}.pdf").write_bytes(render.pdf_document(bulletin, snapshot))
            (target / f"{stem}.xlsx").write_bytes(write_workbook(bulletin, snapshot))
        except OSError as problem:
            raise CommandError(f"无法写入 {target}：{problem.strerror or problem}") from None
        self.stdout.write(f"已写入 {target}/{stem}.html、.pdf、.xlsx（{bulletin}，草稿）")
        self.stdout.write(str(bulletin.pk))
