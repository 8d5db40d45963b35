"""Build the fictional demo county 青山县 (idempotent: running it again changes nothing).

One county, four towns, 32 communities with three grids each, a secretary per community
with an account, one account per role, the two starting indicator templates, the 2025
cycle scored and published (so results, last year's grades and the consecutive-year
flags have something to show), and the 2026 cycle 进行中 with every secretary enrolled,
目标量评 entered for most communities and some self-evaluations saved (not the demo
secretary's: that is left to try). Both years carry evidence (`demo_evidence`): metric
values, diary and grid records, survey counts, events, key tasks, rectification items.
Passwords are printed at the end.
"""

from datetime import date
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from assessment import services as cycles
from assessment.models import Cycle
from demo.evidence import seed_evidence
from indicators.starter import SEED_TEMPLATE, install_starter_templates
from org import services
from org.models import Membership, OrgUnit, OrgUnitKind, Secretary, User
from org.scope import Role
from scoring.models import ScoreEntry, SelfEvaluation, SelfEvaluationStatus, Source
from scoring.services import compute_cycle

DEMO_PASSWORD = "Demo-2026-qs"

COUNTY = ("QS", "青山县")
TOWNS = [
    ("QS01", "城关镇", ["城东", "城西", "城南", "城北", "文昌", "解放", "人民", "和平"]),
    ("QS02", "东湖街道", ["东湖", "湖滨", "望湖", "荷花", "柳岸", "观澜", "金湖", "碧水"]),
    ("QS03", "西岭街道", ["西岭", "松涛", "竹园", "枫林", "翠屏", "云峰", "石泉", "梅岭"]),
    ("QS04", "南山镇", ["南山", "青石", "桃源", "新村", "振兴", "丰收", "幸福", "康宁"]),
]
GRIDS = ["第一网格", "第二网格", "第三网格"]
DEMO_CYCLE = "2026年度社区书记考核"
LAST_YEAR_CYCLE = "2025年度社区书记考核"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾"
GIVEN = [
    "建华",
    "秀英",
    "志强",
    "丽娟",
    "国庆",
    "海燕",
    "永红",
    "明辉",
    "春梅",
    "晓东",
    "桂兰",
    "文涛",
]

# username, full name, role, unit code
ROLE_ACCOUNTS = [
    ("admin", "系统管理员", Role.ADMIN, "QS"),
    ("county", "周县考", Role.COUNTY_ASSESSOR, "QS"),
    ("town", "吴镇考", Role.TOWN_ASSESSOR, "QS01"),
    ("observer", "郑纪检", Role.OBSERVER, "QS"),
]


class Command(BaseCommand):
    help = "创建演示数据：青山县的组织架构、书记和各角色账号（可重复运行）。"

    def handle(self, *args, **options):
        with transaction.atomic():
            created = self.build()
        self.report(created)

    def build(self):
        created = 0
        county, new = self.unit(*COUNTY, OrgUnitKind.COUNTY, None)
        created += new
        for t_index, (town_code, town_name, names) in enumerate(TOWNS):
            town, new = self.unit(town_code, town_name, OrgUnitKind.TOWN, county)
            created += new
            for c_index, stem in enumerate(names, start=1):
                code = f"{town_code}{c_index:02d}"
                community, new = self.unit(code, f"{stem}社区", OrgUnitKind.COMMUNITY, town)
                created += new
                for g_index, grid_name in enumerate(GRIDS, start=1):
                    _grid, new = self.unit(
                        f"{code}-{g_index}", grid_name, OrgUnitKind.GRID, community
                    )
                    created += new
                created += self.secretary(community, t_index * len(names) + c_index - 1)
        for username, full_name, role, unit_code in ROLE_ACCOUNTS:
            created += self.account(username, full_name, role, OrgUnit.objects.get(code=unit_code))
        created += len(install_starter_templates(actor=None, county=county))
        created += self.last_year(county)
        created += self.cycle(county)
        return created

    def new_cycle(self, county, name, year):
        template = county.templates.get(name=SEED_TEMPLATE["name"], edition=1, is_frozen=False)
        cycle = cycles.create_cycle(
            actor=None,
            county=county,
            name=name,
            year=year,
            template=template,
            pay_base=Decimal(60000),
        )
        cycles.enrol_county(actor=None, cycle=cycle)
        return cycles.transition(actor=None, cycle=cycle, name="open", version=cycle.version)

    def last_year(self, county):
        """2025: every score entered, results computed, then 公示 and published."""
        if Cycle.objects.filter(county=county, name=LAST_YEAR_CYCLE).exists():
            return 0
        cycle = self.new_cycle(county, LAST_YEAR_CYCLE, 2025)
        participants = list(cycle.participants.select_related("secretary__user"))
        demo_scores(
            cycle, participants, (Source.SELF, Source.TARGET, Source.ORG), salt=3, submitted=True
        )
        seed_evidence(cycle, final=True)
        for name in ("start_scoring", "start_review", "publish"):
            if name == "start_review":
                compute_cycle(cycle.pk)
                cycle.refresh_from_db()
            cycle = cycles.transition(actor=None, cycle=cycle, name=name, version=cycle.version)
        return 1

    def cycle(self, county):
        """2026, 进行中: 目标量评 for three communities in four, self-evaluations for one
        in three (never the demo secretary's; half of them submitted, half drafts),
        results computed."""
        if Cycle.objects.filter(county=county, name=DEMO_CYCLE).exists():
            return 0
        cycle = self.new_cycle(county, DEMO_CYCLE, 2026)
        participants = list(
            cycle.participants.select_related("secretary__user").order_by("secretary__staff_no")
        )
        demo_scores(cycle, [p for i, p in enumerate(participants) if i % 4 != 3], (Source.TARGET,))
        selfevaluating = [p for i, p in enumerate(participants) if i % 3 == 1]
        demo_scores(cycle, selfevaluating, (Source.SELF,))
        # Every other one submitted: the county has self-evaluations to review or return.
        for participant in selfevaluating[::2]:
            evaluation = SelfEvaluation.objects.get(participant=participant)
            evaluation.status = SelfEvaluationStatus.SUBMITTED
            evaluation.submitted_at = timezone.now()
            evaluation._history_user = participant.secretary.user
            evaluation.save()
        seed_evidence(cycle, final=False)
        compute_cycle(cycle.pk)
        return 1

    def unit(self, code, name, kind, parent):
        existing = OrgUnit.objects.filter(code=code).first()
        if existing:
            return existing, 0
        return services.create_org_unit(
            actor=None, code=code, name=name, kind=kind, parent=parent
        ), 1

    def account(self, username, full_name, role, unit):
        user = User.objects.filter(username=username).first()
        if user is None:
            services.create_user(
                actor=None,
                username=username,
                full_name=full_name,
                password=DEMO_PASSWORD,
                role=role,
                org_unit=unit,
            )
            return 1
        if not Membership.objects.filter(user=user, role=role, org_unit=unit).exists():
            services.grant_membership(actor=None, user=user, role=role, org_unit=unit)
            return 1
        return 0

    def secretary(self, community, index):
        staff_no = f"SJ{index + 1:04d}"
        if Secretary.objects.filter(staff_no=staff_no).exists():
            return 0
        name = SURNAMES[index % len(SURNAMES)] + GIVEN[(index * 7) % len(GIVEN)]
        # The first community's secretary is the demo account "secretary".
        username = "secretary" if index == 0 else f"sj{community.code.lower()}"
        self.account(username, name, Role.SECRETARY, community)
        # A few took office recently (fewer than six months: scored but not graded later).
        start = date(2026, 8, 1) if index % 11 == 5 else date(2018 + index % 6, 3, 1)
        certified = index % 3 != 0
        services.save_secretary(
            actor=None,
            secretary=Secretary(
                staff_no=staff_no,
                name=name,
                community=community,
                user=User.objects.get(username=username),
                tenure_start=start,
                has_social_work_certificate=certified,
                certificate_date=date(2020 + index % 5, 6, 15) if certified else None,
            ),
        )
        return 1

    def report(self, created):
        style = self.style
        if created:
            self.stdout.write(style.SUCCESS(f"演示数据已创建（新增 {created} 项）。"))
        else:
            self.stdout.write("演示数据已存在，未作修改。")
        self.stdout.write("")
        self.stdout.write(style.MIGRATE_HEADING("演示账号（密码均为 %s）：" % DEMO_PASSWORD))
        rows = [(u, r.label, OrgUnit.objects.get(code=c).name) for u, _n, r, c in ROLE_ACCOUNTS]
        rows.insert(3, ("secretary", Role.SECRETARY.label, "城东社区（城关镇）"))
        for username, role, unit in rows:
            self.stdout.write(f"  {username:<10} {DEMO_PASSWORD}  {role}  {unit}")
        self.stdout.write("  其余社区书记：sjqs0102 … sjqs0408，密码相同。")


def demo_scores(cycle, participants, sources, salt=0, submitted=False):
    """Plausible, repeatable scores (60–100% of the points; a level for anchored leaves),
    saved with their audit records. Self values come from the secretary, 目标 and 组织
    values from the demo county assessor."""
    assessor = User.objects.get(username="county")
    leaves = list(
        cycle.frozen_template.nodes.filter(children__isnull=True)
        .prefetch_related("bars_levels")
        .order_by("sort_key")
    )
    for participant in participants:
        entries = []
        strength = (int(participant.secretary.staff_no[2:]) * 37 + salt * 11) % 41
        for position, leaf in enumerate(leaves):
            for source in sources:
                if source != Source.SELF and leaf.is_automatic:
                    continue
                share = Decimal(60 + (strength + position * 13 + salt) % 41) / 100
                if source == Source.SELF:
                    share = min(Decimal(1), share + Decimal("0.08"))
                value = (leaf.points * share).quantize(Decimal("0.5"))
                levels = list(leaf.bars_levels.all()) if leaf.method == "rating" else []
                level = min(levels, key=lambda lv: abs(lv.value - value)) if levels else None
                entries.append(
                    ScoreEntry(
                        participant=participant,
                        leaf=leaf,
                        source=source,
                        rater=participant.secretary.user if source == Source.SELF else assessor,
                        value=level.value if level else min(value, leaf.points),
                        level=level,
                    )
                )
        bulk_create_with_history(
            entries,
            ScoreEntry,
            custom_historical_attrs={"scope_path": participant.community.path},
        )
        if Source.SELF in sources:
            evaluation = SelfEvaluation(participant=participant)
            if submitted:
                evaluation.status = SelfEvaluationStatus.SUBMITTED
                evaluation.submitted_at = timezone.now()
            evaluation._history_user = participant.secretary.user
            evaluation.save()
    cycles.mark_inputs_changed(cycle)
