"""`python manage.py compute_cycle CYCLE_ID` — compute a cycle's results now, in
process (SPEC §3), and make them current."""

from django.core.management.base import BaseCommand, CommandError

from assessment.models import Cycle
from scoring.services import compute_until_current


class Command(BaseCommand):
    help = "立即计算一个考核周期的结果。"

    def add_arguments(self, parser):
        parser.add_argument("cycle_id", type=int)

    def handle(self, *args, cycle_id, **options):
        cycle = Cycle.objects.filter(pk=cycle_id).first()
        if cycle is None:
            raise CommandError(f"周期 {cycle_id} 不存在")
        if cycle.frozen_template_id is None:
            raise CommandError(f"周期 {cycle_id} 还没有冻结的指标体系（草稿），无法计算")
        version = compute_until_current(cycle_id)
        if version is None:
            raise CommandError("计算期间数据一直在变化，请稍后再试")
        self.stdout.write(
            f"周期 {cycle_id}：{version.n} 人参加排名，结果版本 {version.pk}"
            f"（计算用时 {version.duration_ms} ms）"
        )
