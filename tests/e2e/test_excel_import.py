"""Excel interchange in a real browser (SPEC §4, §5): an admin uploads the sample county's
workbook, reads the preview of what it will change, confirms, sees the import done, and
downloads the results workbook from the ranking page; a running job's page follows its
progress until it ends. The preview's screenshot goes to docs/screenshots/."""

from pathlib import Path

import openpyxl
from django.utils import timezone
from playwright.sync_api import expect

from org.models import OrgUnit, OrgUnitKind, User
from org.scope import Role
from reports.jobs import running
from reports.models import Job, JobKind, JobState
from tests.e2e.conftest import SCREENSHOTS, log_in
from tests.factories import MembershipFactory, OrgUnitFactory

SAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "sample-county.xlsx"
# The check and the import run in the request without a broker: a few seconds each.
SLOW = 120_000


def test_an_admin_imports_a_county_workbook_and_downloads_its_results(
    demo_county, live_server, watched_page, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    page = watched_page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # The demo admin also administers the sample's county (an admin imports only there).
    county = OrgUnitFactory(code="360400", name="青溪县", kind=OrgUnitKind.COUNTY)
    MembershipFactory(user=User.objects.get(username="admin"), role=Role.ADMIN, org_unit=county)
    log_in(page, live_server.url, "admin")

    page.get_by_role("link", name="数据导入").click()
    expect(page.get_by_role("heading", name="数据导入")).to_be_visible()
    page.get_by_test_id("link-import-start").click()
    expect(page.get_by_test_id("import-rules")).to_contain_text("全部正确才导入")
    page.get_by_label("Excel 文件").set_input_files(SAMPLE)
    page.get_by_test_id("upload").click()

    expect(page.get_by_test_id("preview-message")).to_contain_text("检查通过", timeout=SLOW)
    changes = page.get_by_test_id("import-changes")
    expect(page.get_by_test_id("changes-书记").get_by_test_id("created")).to_have_text("40")
    expect(page.get_by_test_id("changes-评分").get_by_test_id("created")).to_have_text("2561")
    expect(changes).to_contain_text("测评类别")
    page.screenshot(path=SCREENSHOTS / "excel-import-preview.png", full_page=True)

    page.get_by_test_id("confirm-import").click()
    expect(page.get_by_test_id("import-applied")).to_contain_text("导入完成", timeout=SLOW)
    page.get_by_test_id("link-imported-ranking").click()
    expect(page.get_by_role("heading", name="考核结果排名")).to_be_visible()
    expect(page.get_by_test_id("ranking")).to_contain_text("王建国")

    with page.expect_download(timeout=SLOW) as download_info:
        page.get_by_test_id("export-results").click()
    download = download_info.value
    assert download.suggested_filename == "2026年度青溪县社区书记考核-排名.xlsx"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    book = openpyxl.load_workbook(saved, read_only=True)
    assert book.sheetnames == ["排名", "明细"]
    staff = [row[1] for row in book["排名"].iter_rows(min_row=2, values_only=True) if row[1]]
    assert len(staff) == 40 and "S001" in staff
    assert page.problems == []


def test_the_job_page_follows_a_running_import_until_it_ends(
    demo_county, live_server, watched_page
):
    page = watched_page
    job = Job.objects.create(
        kind=JobKind.IMPORT_PREVIEW,
        requested_by=User.objects.get(username="admin"),
        county=OrgUnit.objects.get(code="QS"),
        state=JobState.RUNNING,
        upload="imports/2026/0123456789abcdef",
        upload_name="全市考核数据.xlsx",
    )
    running.report_progress(job.pk, 30, "正在检查数据")
    log_in(page, live_server.url, "admin")
    page.goto(f"{live_server.url}/imports/{job.pk}/")
    expect(page.get_by_test_id("job-percent")).to_have_text("30%")
    expect(page.get_by_test_id("job-running")).to_contain_text("正在检查数据")

    running.report_progress(job.pk, 75, "正在写入评分")  # what a worker reports mid-transaction
    expect(page.get_by_test_id("job-percent")).to_have_text("75%")
    Job.objects.filter(pk=job.pk).update(
        state=JobState.DONE,
        progress=100,
        finished_at=timezone.now(),
        message="检查通过，请核对将要发生的变化后确认导入。",
        result={"changes": {"评分": {"created": 12, "changed": 3, "unchanged": 40, "deleted": 0}}},
    )
    expect(page.get_by_test_id("job-status")).to_have_attribute("data-state", "done")
    expect(page.get_by_test_id("changes-评分").get_by_test_id("changed")).to_have_text("3")
    expect(page.get_by_test_id("confirm-import")).to_be_visible()
    assert page.problems == []
