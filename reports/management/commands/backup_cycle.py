"""`python manage.py backup_cycle CYCLE_ID DIR [--force]` — write one cycle's backup into
DIR (docs/operations.md §9; `reports.backups.cycle`): its SPEC §4 workbook, every
evidence file, each bulletin version, and `manifest.json` with each file's size and
SHA-256. Prints what it wrote. An attachment whose stored file is gone or altered is
named on stderr and the exit is non-zero, with the rest of the backup written."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from assessment.models import Cycle
from reports.backups.cycle import MANIFEST, backup_cycle, describe


class Command(BaseCommand):
    help = "把一个考核周期（工作簿、佐证材料、季度通报和清单 manifest.json）备份到目录。"

    def add_arguments(self, parser):
        parser.add_argument("cycle_id", type=int)
        parser.add_argument("directory", help="写入的目录（不存在时创建；须为空目录）")
        parser.add_argument(
            "--force", action="store_true", help="目录不为空时也写入，覆盖其中的同名文件"
        )

    def handle(self, *args, cycle_id, directory, force=False, **options):
        cycle = Cycle.objects.select_related("county").filter(pk=cycle_id).first()
        if cycle is None:
            raise CommandError(_("考核周期 %(id)d 不存在。") % {"id": cycle_id})
        try:
            manifest = backup_cycle(cycle, directory, force=force)
        except ValidationError as problem:
            raise CommandError("；".join(problem.messages)) from None
        kinds = [file["kind"] for file in manifest["files"]]
        self.stdout.write(
            _(
                "已备份考核周期 %(id)d（%(name)s）到 %(directory)s：工作簿 1 个，"
                "佐证材料 %(attachments)d 个，季度通报文件 %(bulletins)d 个，清单 %(manifest)s。"
            )
            % {
                "id": cycle.pk,
                "name": cycle.name,
                "directory": directory,
                "attachments": kinds.count("attachment"),
                "bulletins": kinds.count("bulletin"),
                "manifest": MANIFEST,
            }
        )
        if manifest["problems"]:
            for problem in manifest["problems"]:
                self.stderr.write(describe(problem))
            raise CommandError(
                _("备份已写入，但有 %(n)d 个佐证材料文件缺失或与上传时不符（见上，并记入清单）。")
                % {"n": len(manifest["problems"])}
            )
