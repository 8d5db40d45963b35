"""Paper counts keyed twice in a real browser (issue 6, 双人录入): two county assessors
key the same community's paper ballots one after the other; the second sees 一致, and
once scoring starts the results page shows the satisfaction rate (SPEC §3.4)."""

from playwright.sync_api import expect

from assessment import services as cycles
from assessment.models import Cycle
from demo.management.commands.seed_demo import DEMO_CYCLE, DEMO_PASSWORD
from org.models import OrgUnit
from org.scope import Role
from surveys.models import PaperTally
from tests.e2e.conftest import log_in, log_out
from tests.factories import MembershipFactory, UserFactory


def second_county_assessor():
    user = UserFactory(username="county2", full_name="钱县考")
    user.set_password(DEMO_PASSWORD)
    user.save()
    MembershipFactory(user=user, role=Role.COUNTY_ASSESSOR, org_unit=OrgUnit.objects.get(code="QS"))
    return user


def key_paper_counts(page, base_url, cycle, community):
    page.goto(f"{base_url}/cycles/{cycle.pk}/")
    page.get_by_test_id("link-paper-tallies").click()
    row = page.get_by_test_id("tally-row").filter(has_text=community.name).filter(has_text="物业")
    row.get_by_test_id("key-tally").click()
    page.get_by_label("满意", exact=True).fill("8")
    page.get_by_label("基本满意", exact=True).fill("2")
    page.get_by_label("不满意", exact=True).fill("0")
    page.get_by_label("不了解", exact=True).fill("1")
    page.get_by_test_id("save-tally").click()
    return page.get_by_test_id("tally-row").filter(has_text=community.name).filter(has_text="物业")


def test_two_assessors_key_the_same_paper_counts_and_the_rate_shows(
    demo_county, live_server, watched_page
):
    page = watched_page
    cycle = Cycle.objects.get(name=DEMO_CYCLE)
    second_county_assessor()
    keyed = PaperTally.objects.filter(cycle=cycle).values("community")
    community = (
        cycle.participants.exclude(community__in=keyed)
        .select_related("community")
        .order_by("community__path")
        .first()
        .community
    )

    log_in(page, live_server.url, "county")
    row = key_paper_counts(page, live_server.url, cycle, community)
    expect(row.get_by_test_id("tally-status")).to_have_text("待复核")
    log_out(page)

    log_in(page, live_server.url, "county2")
    row = key_paper_counts(page, live_server.url, cycle, community)
    expect(page.get_by_text("当前状态：一致")).to_be_visible()
    expect(row.get_by_test_id("tally-status")).to_have_text("一致")

    cycle.refresh_from_db()
    cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)
    page.goto(f"{live_server.url}/cycles/{cycle.pk}/")
    page.get_by_test_id("link-survey-results").click()
    section = page.get_by_test_id("survey-result").filter(has_text=community.name)
    # 物业 only: (8 × 100 + 2 × 60) / 10 = 92
    expect(section.get_by_test_id("overall-rate")).to_contain_text("满意率 92.00%（有效票 10 份）")
    assert page.problems == []
