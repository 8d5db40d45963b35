"""社区工作者名册 and 社工持证率 (issue 14, item 10): the rate counts the community's
staff on its roster — not the secretary alone, which made every community 0 % or
100 % — entered one by one or pasted from Excel, kept by those in charge of it."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from assessment.models import Cycle
from org import services
from org.models import CommunityWorker
from scoring.counters import certified_share
from tests.factories import fresh_cycle, open_seed_cycle

pytestmark = pytest.mark.usefixtures("shared_world")

ROSTER = "姓名\t岗位\t入职日期\t持社工证\t取证日期\n" + "\n".join(
    [
        "张一\t网格员\t2020-03-01\t是\t2021-06-15",
        "李二\t社工\t2022-01-10\t否\t",
        "王三\t社工\t2019-05-01\t是\t2027-01-01",  # certified only after the year
        "赵四\t出纳\t2015-02-01\t是\t2016-01-01",
    ]
)


@pytest.fixture(scope="module")
def module_cycle(shared_world):
    return open_seed_cycle(shared_world.county_a)


@pytest.fixture
def cycle(module_cycle, db):
    return fresh_cycle(module_cycle)


def test_the_rate_counts_the_roster_and_falls_back_to_the_secretary(world, cycle):
    before = certified_share(cycle, None)
    assert before[world.community_a1.code] in (D(0), D(100))  # the secretary alone
    inputs = Cycle.objects.get(pk=cycle.pk).inputs_version
    added, changed = services.import_workers(
        actor=world.town_assessor_a, community=world.community_a1, text=ROSTER
    )
    assert (added, changed) == (4, 0)
    # The running cycle's results go stale: the rate is one of its inputs.
    assert Cycle.objects.get(pk=cycle.pk).inputs_version == inputs + 1
    rates = certified_share(cycle, None)
    assert rates[world.community_a1.code] == D(50)  # 张一, 赵四 of four
    assert rates[world.community_a2.code] == before[world.community_a2.code]
    # Someone who left before the year does not count; a provisional cut-off counts
    # only certificates obtained by then.
    zhao = CommunityWorker.objects.get(name="赵四")
    zhao.ended_on = date(2025, 12, 31)
    services.save_worker(actor=world.county_assessor_a, worker=zhao, version=zhao.version)
    assert certified_share(cycle, None)[world.community_a1.code] == D(100) / 3
    assert certified_share(cycle, date(2021, 1, 1))[world.community_a1.code] == 0


def test_pasting_again_changes_nothing_and_a_bad_row_saves_nothing(world):
    services.import_workers(actor=world.admin_a, community=world.community_a1, text=ROSTER)
    assert services.import_workers(
        actor=world.admin_a, community=world.community_a1, text=ROSTER
    ) == (0, 0)
    bad = ROSTER + "\n钱五\t社工\t明年\t是\t\n孙六\t社工\t2020-01-01\t有\t"
    with pytest.raises(ValidationError) as refused:
        services.import_workers(actor=world.admin_a, community=world.community_a2, text=bad)
    assert refused.value.messages == [
        "第 5 行：入职日期“明年”不是日期，请写成 2024-03-01。",
        "第 6 行：持社工证应填“是”或“否”，不是“有”。",
    ]
    assert not CommunityWorker.objects.filter(community=world.community_a2).exists()


def test_only_those_in_charge_keep_the_roster(world):
    worker = CommunityWorker(community=world.community_b1, name="周七", started_on=date(2020, 1, 1))
    for persona in ("town_assessor_a", "observer_a", "secretary_a1"):
        with pytest.raises(PermissionDenied):
            services.save_worker(actor=world.persona(persona), worker=worker)
    saved = services.save_worker(actor=world.county_assessor_a, worker=worker)
    assert saved.history.first().history_user == world.county_assessor_a


def test_the_roster_page_lists_adds_and_refuses_out_of_scope(world, login):
    services.import_workers(actor=world.admin_a, community=world.community_a1, text=ROSTER)
    url = reverse("worker-list", args=[world.community_a1.pk])
    town = login(world.town_assessor_a)
    response = town.get(url)
    assert response.status_code == 200
    assert response.context["rate"] == 50 and len(response.context["current"]) == 4
    response = town.post(
        reverse("worker-add", args=[world.community_a1.pk]),
        {"name": "新人", "started_on": "2024-05-01", "has_certificate": "on"},
    )
    assert response.status_code == 302
    assert CommunityWorker.objects.filter(name="新人", has_certificate=True).exists()
    detail = town.get(reverse("orgunit-detail", args=[world.community_a1.pk])).content.decode()
    assert f'href="{url}"' in detail
    observer = login(world.observer_a)
    assert observer.get(url).status_code == 200
    assert 'data-testid="worker-add"' not in observer.get(url).content.decode()
    assert login(world.outsider_b).get(url).status_code == 404
    assert login(world.secretary_a1).get(url).status_code == 403


def test_a_paste_reads_excel_dates_and_refuses_a_repeated_row(world):
    pasted = "钱五\t社工\t2024/3/1\t是\t2024年5月6日\n孙六\t社工\t2023.1.9\t否\t"
    assert services.import_workers(
        actor=world.admin_a, community=world.community_a2, text=pasted
    ) == (2, 0)
    qian = CommunityWorker.objects.get(name="钱五")
    assert (qian.started_on, qian.certificate_date) == (date(2024, 3, 1), date(2024, 5, 6))
    twice = "周七\t社工\t2020-01-01\t是\t\n周七\t社工\t2020/1/1\t是\t"
    with pytest.raises(ValidationError, match="第 2 行：与第 1 行重复"):
        services.import_workers(actor=world.admin_a, community=world.community_a2, text=twice)
    assert not CommunityWorker.objects.filter(name="周七").exists()
