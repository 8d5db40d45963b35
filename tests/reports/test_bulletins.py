"""季度通报 (SPEC §2 Bulletin, §3.6): the snapshot of a quarter from the data dated up to
its end, versions, the county's 下步工作要求, 签发 with a 文号, immutability, the schedule,
and the secretaries' reading."""

import io
from datetime import date
from decimal import Decimal as D

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from assessment import services as cycles
from evidence.events import services as events
from evidence.models import KeyTask, KeyTaskAssignment
from org.models import OrgUnit, OrgUnitKind
from org.notifications.models import Notification
from reports.bulletins import content, lean, services
from reports.models import Bulletin, BulletinState, Job, JobKind, JobState
from scoring.models import ScoreEntry, Source
from scoring.services import compute_cycle
from tests.conftest import secretary
from tests.factories import OrgUnitFactory, complete_scoring, fresh_cycle, open_seed_cycle
from tests.pdfs import embedded_fonts, pdf_text

pytestmark = pytest.mark.usefixtures("shared_world")


@pytest.fixture(scope="module")
def module_cycle(shared_world):
    cycle = open_seed_cycle(shared_world.county_a)
    cycle = cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)
    return complete_scoring(cycle, shared_world.county_assessor_a)


@pytest.fixture
def cycle(module_cycle, db):
    return fresh_cycle(module_cycle)


def verified(world, cycle, code, on, who="a1"):
    participant = cycle.participants.get(secretary=world.secretaries[who])
    event = events.report_event(
        actor=world.town_assessor_a,
        participant=participant,
        event_type=cycle.frozen_template.event_types.get(code=code),
        occurred_on=on,
        description=f"{on:%m月%d日}越级上访",
    )
    return events.verify_event(actor=world.county_assessor_a, event=event, version=event.version)


def row_of(snapshot, staff_no):
    return next(r for r in snapshot["ranking"]["rows"] if r["staff_no"] == staff_no)


# ------------------------------------------------------------------- the snapshot


def test_an_event_dated_after_the_quarters_end_is_not_in_that_quarters_bulletin(world, cycle):
    """SPEC §3.6: a bulletin counts only data dated up to its quarter's end — an event on
    the last day counts, one the day after waits for the next quarter."""
    verified(world, cycle, "ZJXF", date(2026, 6, 30))
    verified(world, cycle, "ZJXF", date(2026, 7, 1))
    second = content.build(cycle, 2)
    third = content.build(cycle, 3)
    assert [e["on"] for e in second["events"]] == ["2026-06-30"]
    assert [e["on"] for e in third["events"]] == ["2026-07-01"]
    assert second["cutoff"] == "2026-06-30"
    # The deduction of the later event is in the third quarter's scores only.
    q2, q3 = row_of(second, "SA1"), row_of(third, "SA1")
    assert D(q3["final"]) < D(q2["final"])


def test_the_fourth_quarter_equals_the_years_results(world, cycle):
    """SPEC §3.6: the same rules over the same data — by the year's end, the year's."""
    version = compute_cycle(cycle.pk)
    snapshot = content.build(cycle, 4)
    results = {
        r.participant.secretary.staff_no: r
        for r in version.results.select_related("participant__secretary")
    }
    assert {r["staff_no"] for r in snapshot["ranking"]["rows"]} == set(results)
    for row in snapshot["ranking"]["rows"]:
        result = results[row["staff_no"]]
        assert (row["rank"], D(row["final"]), row["grade"]) == (
            result.rank,
            result.final,
            result.grade,
        )


def test_the_overview_counts_what_was_entered_and_submitted(world, cycle):
    snapshot = content.build(cycle, 4)
    overview = snapshot["overview"]
    n = cycle.participants.count()
    assert overview["participants"] == n
    scored = {s["source"]: s["participants"] for s in overview["scored"]}
    assert scored == {"自评": 0, "目标量评": n, "组织考评": n}
    assert overview["self_evaluations"]["not_started"] == n
    assert snapshot["title"] == "关于2026年第四季度社区党组织书记绩效考核情况的通报"


def test_a_key_task_overdue_at_the_quarters_end_is_behind_and_its_secretary_summoned(world, cycle):
    """四、重点工作推进 and 五、约谈名单 as of the quarter's end: a task due in September and
    not done is 逾期 on 30 September, and its community's secretary is on the list; at the
    end of June it was not yet due."""
    task = KeyTask.objects.create(cycle=cycle, title="老旧小区改造", deadline=date(2026, 9, 15))
    KeyTaskAssignment.objects.create(task=task, community=world.community_a1)
    third = content.build(cycle, 3)
    assert [(r["task"], r["status"]) for r in third["keytasks"]["overdue"]] == [
        ("老旧小区改造", "逾期")
    ]
    assert [(r["secretary"], r["task"], r["days_overdue"]) for r in third["summons"]] == [
        ("甲书记", "老旧小区改造", 15)
    ]
    second = content.build(cycle, 2)
    assert second["keytasks"]["overdue"] == [] and second["summons"] == []


def test_the_secretaries_reading_keeps_only_their_own_communitys_remarks(world, cycle):
    verified(world, cycle, "ZJXF", date(2026, 11, 2), who="a1")
    verified(world, cycle, "ZJXF", date(2026, 11, 3), who="a2")
    snapshot = content.build(cycle, 4)
    assert len(snapshot["events"]) == 2
    own = content.for_secretary(snapshot, world.community_a1.code)
    assert [e["community"] for e in own["events"]] == [world.community_a1.name]
    assert len(own["ranking"]["rows"]) == len(snapshot["ranking"]["rows"])


# ------------------------------------------------------------------- versions


def test_each_generation_is_a_new_draft_version_and_the_requirements_carry_over(world, cycle):
    first = services.generate_bulletin(cycle=cycle, quarter=4, actor=world.county_assessor_a)
    assert (first.revision, first.state, first.number) == (1, BulletinState.DRAFT, "")
    services.save_requirements(
        actor=world.county_assessor_a, bulletin=first, version=first.version, text="抓好整改"
    )
    second = services.generate_bulletin(cycle=cycle, quarter=4, actor=None)
    assert second.revision == 2 and second.requirements == "抓好整改"
    assert second.generated_by is None
    assert Bulletin.objects.filter(cycle=cycle, quarter=4).count() == 2


@pytest.mark.parametrize(("quarter", "message"), [(5, "季度应为 1–4"), (0, "季度应为 1–4")])
def test_a_quarter_outside_one_to_four_is_refused(world, cycle, quarter, message):
    with pytest.raises(ValidationError, match=message):
        services.generate_bulletin(cycle=cycle, quarter=quarter, actor=world.county_assessor_a)


def test_a_quarter_without_dates_is_refused(world, cycle):
    cycle.quarters.filter(number=3).delete()
    with pytest.raises(ValidationError, match="还没有设置第3季度的起止日期"):
        services.generate_bulletin(cycle=cycle, quarter=3, actor=world.county_assessor_a)


@pytest.mark.parametrize("who", ["town_assessor_a", "observer_a", "secretary_a1", "outsider_b"])
def test_only_the_countys_admins_and_assessors_generate_and_issue(world, cycle, who):
    with pytest.raises(PermissionDenied):
        services.generate_bulletin(cycle=cycle, quarter=4, actor=world.persona(who))
    draft = services.generate_bulletin(cycle=cycle, quarter=4, actor=None)
    with pytest.raises(PermissionDenied):
        services.issue_bulletin(actor=world.persona(who), bulletin=draft, version=draft.version)


# ------------------------------------------------------------------- 签发


def test_issuing_gives_the_next_number_of_the_countys_counter(world, cycle):
    """文号 such as 青组通〔2026〕1号, counted per county and year."""
    numbers = []
    for quarter in (3, 4):
        draft = services.generate_bulletin(cycle=cycle, quarter=quarter, actor=None)
        issued = services.issue_bulletin(
            actor=world.county_assessor_a, bulletin=draft, version=draft.version
        )
        numbers.append(issued.number)
        assert issued.state == BulletinState.ISSUED
        assert issued.issued_by == world.county_assessor_a
    assert numbers == ["青组通〔2026〕1号", "青组通〔2026〕2号"]


def test_an_issued_bulletin_refuses_every_change(world, cycle):
    draft = services.generate_bulletin(cycle=cycle, quarter=4, actor=None)
    issued = services.issue_bulletin(
        actor=world.county_assessor_a, bulletin=draft, version=draft.version
    )
    with pytest.raises(ValidationError, match="已签发"):
        services.save_requirements(
            actor=world.county_assessor_a, bulletin=issued, version=issued.version, text="改"
        )
    with pytest.raises(ValidationError, match="已签发"):
        services.issue_bulletin(
            actor=world.county_assessor_a, bulletin=issued, version=issued.version
        )
    issued.requirements = "绕过服务直接改"
    with pytest.raises(ValidationError, match="已签发的通报不能修改"):
        issued.save()
    with pytest.raises(ValidationError, match="已签发的通报不能删除"):
        issued.delete()
    stored = Bulletin.objects.get(pk=issued.pk)
    assert stored.requirements == "" and stored.content == draft.content


# ------------------------------------------------------------------- the schedule


def test_the_schedule_makes_a_draft_the_morning_after_a_quarter_ends(
    world, cycle, django_capture_on_commit_callbacks
):
    """The daily task finds quarters that ended yesterday and runs a job for each (in
    process without a broker); run twice, it makes one."""
    assert services.generate_due(date(2026, 9, 30)) == []
    with django_capture_on_commit_callbacks(execute=True):
        made = services.generate_due(date(2026, 10, 1))
    assert [(j.kind, j.cycle_id, j.options["quarter"]) for j in made] == [
        (JobKind.BULLETIN, cycle.pk, 3)
    ]
    assert services.generate_due(date(2026, 10, 1)) == []
    job = Job.objects.get(pk=made[0].pk)
    assert job.state == JobState.DONE and job.requested_by is None
    bulletin = Bulletin.objects.get(pk=job.result["bulletin"])
    assert (bulletin.quarter, bulletin.state, bulletin.generated_by) == (3, "draft", None)


def test_a_fresh_database_has_the_schedule_installed(installed_schedules):
    task = PeriodicTask.objects.get(task="reports.bulletins.tasks.generate_due_bulletins")
    assert task.enabled and task.crontab.hour == "6"
    assert str(task.crontab.timezone) == "Asia/Shanghai"


# ------------------------------------------------------------------- leniency


def test_a_planted_lenient_town_is_flagged_and_the_honest_ones_are_not():
    """The statistic: the town's mean measure against the rest's, in standard errors
    (a two-sample t); |z| ≥ 2 with at least 3 participants flags it."""
    noise = [0.8, -0.6, 0.3, -0.5]
    measures = {
        "宽松镇": [20 + n for n in noise],
        "城关镇": [0 + n for n in noise],
        "东湖街道": [-0.4 + n for n in noise],
        "西山镇": [0.5 + n for n in noise],
    }
    verdicts = {item.town: item.verdict for item in lean.town_leans(measures)}
    assert verdicts == {"宽松镇": "偏宽", "城关镇": "", "东湖街道": "", "西山镇": ""}
    harsh = dict(measures, 宽松镇=[-20 + n for n in noise])
    assert lean.town_leans(harsh)[0].verdict == "偏严"


def test_a_town_too_small_to_judge_is_not_flagged():
    measures = {"小镇": [30.0, 31.0], "大镇": [0.0, 1.0, -1.0, 0.5]}
    small = lean.town_leans(measures)[0]
    assert (small.z, small.verdict) == (None, "")


# ------------------------------------------------------------------- pages


def issued_bulletin(world, cycle, quarter=4):
    draft = services.generate_bulletin(cycle=cycle, quarter=quarter, actor=None)
    draft = services.save_requirements(
        actor=world.county_assessor_a,
        bulletin=draft,
        version=draft.version,
        text="一要抓整改\n二要抓落实",
    )
    return services.issue_bulletin(
        actor=world.county_assessor_a, bulletin=draft, version=draft.version
    )


def test_the_page_shows_every_section_and_the_managers_forms(world, cycle, login):
    draft = services.generate_bulletin(cycle=cycle, quarter=4, actor=None)
    page = login(world.county_assessor_a).get(reverse("bulletin-detail", args=[draft.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    for heading in (
        "一、总体情况",
        "二、暂定排名",
        "三、各镇街情况",
        "四、重点工作推进",
        "五、约谈名单",
        "六、本季度事项",
        "七、整改清单",
        "八、下步工作要求",
    ):
        assert heading in html, heading
    assert 'data-testid="bulletin-issue"' in html and "<svg" in html


def test_generating_on_demand_runs_a_job_and_lists_the_new_version(
    world, cycle, login, django_capture_on_commit_callbacks
):
    client = login(world.county_assessor_a)
    url = reverse("bulletin-list", args=[cycle.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"quarter": "2"})
    assert response.status_code == 302
    job = Job.objects.get(kind=JobKind.BULLETIN, cycle=cycle)
    assert job.state == JobState.DONE and job.requested_by == world.county_assessor_a
    html = client.get(url).content.decode()
    assert reverse("bulletin-detail", args=[job.result["bulletin"]]) in html


def test_issuing_through_the_page_needs_the_confirmation(world, cycle, login):
    draft = services.generate_bulletin(cycle=cycle, quarter=4, actor=None)
    client = login(world.county_assessor_a)
    url = reverse("bulletin-issue", args=[draft.pk])
    client.post(url, {"version": draft.version})
    assert Bulletin.objects.get(pk=draft.pk).state == BulletinState.DRAFT
    client.post(url, {"version": draft.version, "confirmed": "1"})
    assert Bulletin.objects.get(pk=draft.pk).number == "青组通〔2026〕1号"


def test_who_reads_what(world, cycle, login):
    """Drafts: the county's admins, assessors and county observers. Issued: every staff
    member of the county, and its secretaries in their reading. Others: 404."""
    draft = services.generate_bulletin(cycle=cycle, quarter=3, actor=None)
    issued = issued_bulletin(world, cycle)
    draft_url = reverse("bulletin-detail", args=[draft.pk])
    issued_url = reverse("bulletin-detail", args=[issued.pk])
    assert login(world.observer_a).get(draft_url).status_code == 404  # a town observer
    assert login(world.town_assessor_a).get(draft_url).status_code == 404
    assert login(world.town_assessor_a).get(issued_url).status_code == 200
    assert login(world.secretary_a1).get(draft_url).status_code == 404
    secretary_page = login(world.secretary_a1).get(issued_url)
    assert secretary_page.status_code == 200
    assert 'data-testid="bulletin-issue"' not in secretary_page.content.decode()
    # Another town's assessor is county staff too: issued ones only.
    assert login(world.outsider_b).get(issued_url).status_code == 200
    assert login(world.outsider_b).get(draft_url).status_code == 404
    stranger = world.secretaries["c1"].user  # a secretary of another county
    for url in (draft_url, issued_url, reverse("bulletin-pdf", args=[issued.pk])):
        assert login(stranger).get(url).status_code == 404
    assert login(stranger).get(reverse("bulletin-list", args=[cycle.pk])).status_code == 404
    listed = login(world.secretary_a1).get(reverse("bulletin-list", args=[cycle.pk]))
    assert issued_url in listed.content.decode() and draft_url not in listed.content.decode()


def test_the_workbooks_tables_equal_the_pages(world, cycle, login):
    """One source, three renderings: every table on the page is a sheet of the
    workbook with the same headers and cells; 暂定排名 has the §4 ranking headers in
    row 1 and one row per participant."""
    verified(world, cycle, "ZJXF", date(2026, 11, 2))
    issued = issued_bulletin(world, cycle)
    client = login(world.county_assessor_a)
    html = client.get(reverse("bulletin-detail", args=[issued.pk])).content.decode()
    page_tables = html_tables(html)
    response = client.get(reverse("bulletin-xlsx", args=[issued.pk]))
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    for key, (headers, rows) in page_tables.items():
        sheet = book[key]
        cells = [tuple(cell_text(c) for c in row) for row in sheet.iter_rows()]
        assert cells[0] == headers, key
        assert cells[1:] == rows, key
    ranking = book["暂定排名"]
    header = [c.value for c in ranking[1]]
    assert {"排名", "工号", "姓名", "最终得分", "等次"} <= set(header)
    assert ranking.max_row - 1 == cycle.participants.filter(is_graded=True).count()


def cell_text(cell):
    """A workbook cell as the page writes it: scores with two decimals."""
    if cell.value is None:
        return ""
    if cell.number_format == "0.00":
        return f"{float(cell.value):.2f}"
    return str(cell.value)


def html_tables(html):
    """{data-table: (headers, rows)} of the page's tables, cells as text."""
    from html.parser import HTMLParser

    found = {}

    class Parser(HTMLParser):
        key = None
        row = None
        cell = None
        empty = False

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "table" and "data-table" in attrs:
                self.key = attrs["data-table"]
                found[self.key] = [None, []]
            elif self.key and tag == "tr":
                self.row = []
            elif self.key and tag in ("td", "th"):
                self.cell = ""
                self.empty = "colspan" in attrs

        def handle_data(self, data):
            if self.cell is not None:
                self.cell += data

        def handle_endtag(self, tag):
            if not self.key:
                return
            if tag in ("td", "th") and self.cell is not None:
                self.row.append(self.cell.strip())
                self.cell = None
            elif tag == "tr" and self.row is not None:
                if found[self.key][0] is None:
                    found[self.key][0] = tuple(self.row)
                elif not self.empty:
                    found[self.key][1].append(tuple(self.row))
                self.row, self.empty = None, False
            elif tag == "table":
                self.key = None

    Parser().feed(html)
    return {key: (headers, rows) for key, (headers, rows) in found.items()}


def test_the_pdf_holds_every_section_in_chinese_and_embeds_its_fonts(world, cycle, login):
    """公文 style (WeasyPrint, Noto CJK): the text of every section, the 文号 and page
    numbers "— 1 —" are in the PDF, and its fonts are embedded."""
    issued = issued_bulletin(world, cycle)
    response = login(world.county_assessor_a).get(reverse("bulletin-pdf", args=[issued.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    body = b"".join(response.streaming_content)
    text = pdf_text(body)
    for part in (
        "青组通〔2026〕1号",
        "一、总体情况",
        "二、暂定排名",
        "三、各镇街情况",
        "四、重点工作推进",
        "五、约谈名单",
        "六、本季度事项",
        "七、整改清单",
        "八、下步工作要求",
        "一要抓整改",
        "附件：暂定排名",
        "—1—",
    ):
        assert part in text, part
    fonts = embedded_fonts(body)
    assert fonts and all(fonts.values()), fonts
    assert any("Noto-Serif-CJK" in name for name in fonts), fonts


# ------------------------------------------------------------------- notifications


def test_issuing_notifies_the_countys_staff_and_its_secretaries_only(world, cycle):
    """签发 notifies every staff member within the county and the cycle's secretaries;
    nobody outside the county."""
    issued = issued_bulletin(world, cycle)
    told = set(
        Notification.objects.filter(kind="bulletin_issued").values_list(
            "recipient__username", flat=True
        )
    )
    assert {"county_a", "town_a", "observer_a", "outsider_b", "sec_a1", "sec_a2"} <= told
    assert "sec_c1" not in told
    note = Notification.objects.filter(kind="bulletin_issued").first()
    assert issued.number in note.title
    assert note.url == reverse("bulletin-detail", args=[issued.pk])


def test_whoever_asked_for_a_job_is_told_when_it_ends(
    world, cycle, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.start_generating(actor=world.county_assessor_a, cycle=cycle, quarter=2)
    job = Job.objects.get(kind=JobKind.BULLETIN, cycle=cycle)
    (note,) = Notification.objects.filter(kind="job_finished")
    assert note.recipient == world.county_assessor_a
    assert note.url == reverse("bulletin-detail", args=[job.result["bulletin"]])
    assert note.title == "任务完成：生成季度通报"


def test_the_bulletin_flags_a_town_whose_own_scores_run_ahead_of_the_countys(world):
    """三、各镇街情况 on a planted county: one town's 目标量评 runs 20 points ahead of the
    county's 组织考评 for the same secretaries, the other towns' agree with it (give or
    take a little); the lenient town alone is flagged, with the statistic and threshold."""
    towns = [world.town_a, world.town_b]
    towns.append(
        OrgUnitFactory(code="QA3", name="宽松镇", kind=OrgUnitKind.TOWN, parent=world.county_a)
    )
    for t, town in enumerate(towns):
        have = OrgUnit.objects.filter(parent=town, kind=OrgUnitKind.COMMUNITY).count()
        for n in range(have, 4):
            community = OrgUnitFactory(
                code=f"{town.code}9{n}",
                name=f"{town.name}第{n}社区",
                kind=OrgUnitKind.COMMUNITY,
                parent=town,
            )
            secretary(community, f"L{t}{n}", f"书记{t}{n}", f"lean_{t}_{n}")
    cycle = open_seed_cycle(world.county_a)
    cycle = cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)
    leaves = list(cycle.frozen_template.nodes.filter(method="rating", children__isnull=True))
    entries = []
    for i, participant in enumerate(cycle.participants.select_related("community__parent")):
        lenient = participant.community.parent.code == "QA3"
        for k, leaf in enumerate(leaves):
            org = (leaf.points * D("0.75")).quantize(D("0.01"))
            wobble = D("0.01") * ((i + k) % 3)  # honest towns agree, give or take
            target = leaf.points if lenient else org + wobble
            for source, value in ((Source.TARGET, target), (Source.ORG, org)):
                entries.append(
                    ScoreEntry(
                        participant=participant,
                        leaf=leaf,
                        source=source,
                        rater=world.county_assessor_a,
                        value=value,
                    )
                )
    ScoreEntry.objects.bulk_create(entries)
    towns_section = content.build(cycle, 4)["towns"]
    verdicts = {row["town"]: (row["lean"] or {}).get("verdict") for row in towns_section["rows"]}
    assert verdicts == {"城关镇": "", "东湖街道": "", "宽松镇": "偏宽"}
    assert towns_section["measure"] == "gap" and towns_section["threshold"] == "2"
