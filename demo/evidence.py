"""The evidence side of the demo county (issue 6), for `manage.py seed_demo`: metric
values, 民情日记 and 网格事件 (counted metrics), democratic appraisal (paper counts and a
few online ballots), events with verification and one exemption under an approved
reform-risk filing, key tasks with progress, and rectification items (the open ones are
carried into 2026 when that cycle opens, as in real use). Plausible and repeatable: every number follows from the community's index.

Rows are written in bulk with their audit records (as `demo_scores` does): the demo
builds data that people entered over a year, not one use case at a time.
"""

import hashlib
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from evidence.models import (
    DiaryCategory,
    DiaryEntry,
    Event,
    EventOrigin,
    EventStatus,
    FilingStatus,
    GridEvent,
    GridEventStatus,
    KeyTask,
    KeyTaskAssignment,
    MetricValue,
    ProgressReport,
    RectificationItem,
    RectificationSource,
    RectificationStatus,
    ReformFiling,
)
from org.models import User
from surveys.models import Ballot, BallotBatch, BallotToken, Choice, PaperTally, SurveySettings

CATEGORIES = list(DiaryCategory)
CONCERNS = [
    "楼道堆放杂物，存在消防隐患",
    "小区路灯损坏，夜间出行不便",
    "邻里因漏水产生纠纷",
    "独居老人希望有人定期探访",
    "垃圾分类点位设置不合理",
    "停车位不足，车辆乱停",
    "加装电梯意见不统一",
]
COMMENTS = [
    "书记经常入户，有事找得到人。",
    "希望小区停车问题早日解决。",
    "活动组织得好，老年人很满意。",
    "办事效率还可以再提高。",
]


def _saved(model, rows, scope_path, user=None):
    if rows:
        bulk_create_with_history(
            rows, model, default_user=user, custom_historical_attrs={"scope_path": scope_path}
        )


def _day(year, index, spread=330):
    """A repeatable date in the year, never after today."""
    day = date(year, 1, 5) + timedelta(days=(index * 37) % spread)
    return min(day, timezone.localdate() - timedelta(days=1))


def seed_evidence(cycle, *, final):
    """Everything the evidence side holds for one cycle. `final`: the year is over (the
    2025 cycle, about to be published); otherwise the year is running (2026)."""
    assessor = User.objects.get(username="county")
    admin = User.objects.get(username="admin")
    participants = list(
        cycle.participants.select_related("secretary__user", "community").order_by(
            "secretary__staff_no"
        )
    )
    categories = list(cycle.frozen_template.survey_categories.order_by("-weight", "name"))
    types = {t.code: t for t in cycle.frozen_template.event_types.all()}
    SurveySettings.objects.get_or_create(cycle=cycle, defaults={"double_entry": not final})
    for index, participant in enumerate(participants):
        community, path = participant.community, participant.community.path
        _saved(
            MetricValue,
            [
                MetricValue(
                    cycle=cycle,
                    community=community,
                    key="service_coverage",
                    value=Decimal(72 + (index * 7 + cycle.year) % 29),
                    entered_by=assessor,
                )
            ],
            path,
            assessor,
        )
        _records(cycle.year, index, participant)
        _tallies(cycle, index, community, categories, final, assessor, admin)
        _events(cycle, index, participant, types, final, reporter=admin, assessor=assessor)
    if not final:
        _online_ballots(cycle, participants[0].community, categories[0])
        _key_tasks(cycle, participants, types, assessor)


def _records(year, index, participant):
    """网格事件 resolved (化解矛盾数 grows with the index, 0–35 a year) and a few still open;
    民情日记 entries, most followed up."""
    community, path = participant.community, participant.community.path
    author = participant.secretary.user
    grids = list(community.children.order_by("code"))
    resolved = (index * 11 + year) % 36
    events = []
    for n in range(resolved + 2):
        reported = _day(year, index + n * 3)
        done = n < resolved
        events.append(
            GridEvent(
                community=community,
                grid=grids[n % len(grids)] if grids else None,
                reported_on=reported,
                category=CATEGORIES[n % len(CATEGORIES)],
                description=CONCERNS[(index + n) % len(CONCERNS)],
                status=GridEventStatus.RESOLVED if done else GridEventStatus.HANDLING,
                handling_note="已协调相关部门处理完毕。" if done else "正在协调处理。",
                resolved_on=min(reported + timedelta(days=3), timezone.localdate())
                if done
                else None,
                reported_by=author,
                resolved_by=author if done else None,
            )
        )
    _saved(GridEvent, events, path, author)
    diary = [
        DiaryEntry(
            community=community,
            recorded_on=_day(year, index * 5 + n * 7),
            category=CATEGORIES[(index + n) % len(CATEGORIES)],
            content=CONCERNS[(index * 3 + n) % len(CONCERNS)],
            follow_up="已入户了解情况并反馈居民。" if n % 4 else "",
            resolved=n % 4 != 0,
            resolved_on=_day(year, index * 5 + n * 7) if n % 4 else None,
            author=author,
        )
        for n in range(4 + index % 6)
    ]
    _saved(DiaryEntry, diary, path, author)


def _tallies(cycle, index, community, categories, final, assessor, admin):
    """Paper ballots per category. 2025: keyed once (double entry was off). 2026: three
    communities in four keyed twice, agreeing; the rest not yet entered."""
    if not final and index % 4 == 3:
        return
    keyers = [assessor] if final else [assessor, admin]
    rows = []
    for c_index, category in enumerate(categories):
        counts = {
            "satisfied": 14 + (index * 5 + c_index * 3) % 12,
            "basic": 3 + (index + c_index) % 6,
            "unsatisfied": (index * 3 + c_index) % 4,
            "unknown": (index + c_index) % 3,
        }
        rows.extend(
            PaperTally(
                cycle=cycle, community=community, category=category, keyed_by=keyer, **counts
            )
            for keyer in keyers
        )
    _saved(PaperTally, rows, community.path, assessor)


def _online_ballots(cycle, community, category):
    """The demo secretary's community: one batch of ballot slips, some already answered.
    Only digests are stored; the clear tokens of the demo are never shown anywhere."""
    if BallotBatch.objects.filter(cycle=cycle, community=community).exists():
        return
    batch = BallotBatch.objects.create(
        cycle=cycle, community=community, category=category, size=30, slips_printed=True
    )
    rng = random.Random(cycle.year)
    used_on = timezone.localdate() - timedelta(days=2)
    BallotToken.objects.bulk_create(
        BallotToken(
            batch=batch,
            digest=hashlib.sha256(rng.randbytes(16)).hexdigest(),
            used_on=used_on if n < 12 else None,
        )
        for n in range(batch.size)
    )
    choices = [Choice.SATISFIED] * 8 + [Choice.BASIC] * 3 + [Choice.UNKNOWN]
    Ballot.objects.bulk_create(
        Ballot(
            cycle=cycle,
            community=community,
            category=category,
            choice=choice,
            comment=COMMENTS[n % len(COMMENTS)] if n % 3 == 0 else "",
            cast_on=used_on,
        )
        for n, choice in enumerate(choices)
    )


def _events(cycle, index, participant, types, final, *, reporter, assessor):
    """Deductions for some communities, commendations for a few, one veto in 2025; in
    2026 also events still waiting for verification and, for the demo secretary, a
    deduction exempted under an approved reform-risk filing."""
    plan = []
    if index % 5 == 1:
        plan.append(("ZJXF", "镇级信访案件一件，已按程序化解。"))
    if index % 7 == 2:
        plan.append(("AQSG", "辖区内发生一般安全生产事故。"))
    if index % 9 == 4:
        plan.append(("WGQX", "县委组织部会议无故缺席。"))
    if index % 8 == 6:
        plan.append(("SHIJ", "获评市级文明社区。"))
    if final and index == 13:
        plan.append(("YJXF", "发生越级信访。"))
    status = EventStatus.VERIFIED
    rows = []
    for n, (code, description) in enumerate(plan):
        pending = not final and n == len(plan) - 1 and index % 2 == 0
        rows.append(
            Event(
                participant=participant,
                event_type=types[code],
                occurred_on=_day(cycle.year, index + n * 11, spread=300),
                description=description,
                status=EventStatus.REPORTED if pending else status,
                # Nobody verifies their own report (four eyes): the admin reported these,
                # so the demo county assessor can verify the pending ones.
                reported_by=reporter,
                verified_by=None if pending else assessor,
                verified_at=None if pending else timezone.now(),
            )
        )
    if not final and index == 0:
        # Filed in advance (改革风险备案 precedes what it covers): early in the year,
        # approved the next day, before the complaint it later exempts.
        happened = _day(cycle.year, 40)
        filed = timezone.make_aware(
            datetime.combine(min(date(cycle.year, 1, 2), happened), time(9))
        )
        filing = ReformFiling(
            participant=participant,
            title="老旧小区“居民议事+物业托管”改革试点",
            description="由居民议事会选定物业托管方，社区党委全程监督。",
            risks="试点初期可能引发部分居民投诉。",
            status=FilingStatus.APPROVED,
            filed_by=participant.secretary.user,
            decided_by=assessor,
            decided_at=min(filed + timedelta(days=1), timezone.now()),
            decision_reason="符合改革方向，同意备案。",
        )
        filing._history_user = participant.secretary.user
        filing.save()
        ReformFiling.objects.filter(pk=filing.pk).update(filed_at=filed)
        rows.append(
            Event(
                participant=participant,
                event_type=types["MNJ"],
                occurred_on=happened,
                description="托管试点期间居民投诉物业服务，经查属试点磨合问题。",
                status=EventStatus.VERIFIED,
                reported_by=reporter,
                verified_by=assessor,
                verified_at=timezone.now(),
                filing=filing,
                exempt=True,
                exempted_by=assessor,
                exempted_at=timezone.now(),
                exemption_reason="属备案改革事项中的探索性失误，予以免责。",
            )
        )
    _saved(Event, rows, participant.community.path, assessor)
    if final:
        _rectifications(cycle, participant, rows, assessor)


def _rectifications(cycle, participant, events, assessor):
    """An item for each verified deduction of the year; every other one closed."""
    items = []
    for n, event in enumerate(e for e in events if e.event_type.points < 0):
        closed = n % 2 == 1
        items.append(
            RectificationItem(
                cycle=cycle,
                community=participant.community,
                participant=participant,
                source=RectificationSource.EVENT,
                event=event,
                problem=f"{event.event_type.name}：{event.description}",
                measures="建立台账，逐项整改，按月回访。",
                owner=participant.secretary.name,
                deadline=date(cycle.year, 12, 31),
                status=RectificationStatus.CLOSED if closed else RectificationStatus.IN_PROGRESS,
                closure_note="整改完成，经回访群众认可。" if closed else "",
                closed_by=assessor if closed else None,
                closed_at=timezone.now() if closed else None,
                created_by=assessor,
            )
        )
    _saved(RectificationItem, items, participant.community.path, assessor)


def _key_tasks(cycle, participants, types, assessor):
    """Two 挂图作战 tasks for the communities of the first two towns: one due in October
    (so late ones are on the 约谈 list), one due at the year's end."""
    communities = [p for p in participants if p.community.code[:4] in ("QS01", "QS02")]
    specs = [
        ("老旧小区改造入户动员", date(cycle.year, 10, 31), (20, 50, 80, 100)),
        ("平安社区创建", date(cycle.year, 12, 31), (25, 50, 75, 100)),
    ]
    for t_index, (title, deadline, plans) in enumerate(specs):
        task = KeyTask(
            cycle=cycle,
            title=title,
            description="按季度节点推进，月底前上报进度和佐证材料。",
            deadline=deadline,
            on_time_type=types.get("RWAS"),
            late_type=types.get("RWZH"),
            created_by=assessor,
        )
        task._history_user = assessor
        task.save()
        for index, participant in enumerate(communities):
            progress = min(100, 30 + ((index * 17 + t_index * 29) % 80))
            assignment = KeyTaskAssignment(
                task=task,
                community=participant.community,
                plan_q1=plans[0],
                plan_q2=plans[1],
                plan_q3=plans[2],
                plan_q4=plans[3],
                progress=progress,
                # Completed with the last report (25 September), before either deadline.
                completed_on=date(cycle.year, 9, 25) if progress == 100 else None,
            )
            assignment._history_user = assessor
            assignment.save()
            steps = sorted({progress // 3, (progress * 2) // 3, progress})
            reports = [
                ProgressReport(
                    assignment=assignment,
                    reported_on=date(cycle.year, 3 + n * 3, 25),
                    progress=step,
                    note="按计划推进。" if step >= plans[min(n, 3)] else "进度偏慢，正在加快。",
                    reported_by=participant.secretary.user,
                )
                for n, step in enumerate(steps)
            ]
            _saved(ProgressReport, reports, participant.community.path, assessor)
            if assignment.completed_on is not None:
                event = Event(
                    participant=participant,
                    event_type=task.on_time_type,
                    occurred_on=assignment.completed_on,
                    description=f"重点工作“{title}”按期完成。",
                    origin=EventOrigin.KEY_TASK,
                    key_task=assignment,
                )
                event._history_user = assessor
                event.save()
