"""关键事件 (critical incidents, SPEC §2): free-text descriptions of a secretary's behaviour
in a cycle, e.g. how a group conflict was resolved, shown beside the scores (issue 5).

County and town assessors and admins record them for the participants in their scope;
only the author or an admin of the county deletes one. A published cycle refuses both
(DESIGN §4). Every write is audited with the actor (`_history_user`). Incidents are not
scoring inputs: the results do not change with them.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessment.models import Participant
from org.scope import Role, scope_of
from scoring.models import CriticalIncident

RECORDER_ROLES = frozenset({Role.ADMIN, Role.COUNTY_ASSESSOR, Role.TOWN_ASSESSOR})
MAX_TEXT_LENGTH = 2000


def may_record(user, participant):
    """Assessors and admins whose scope reaches the participant's community."""
    return scope_of(user).covers_path(participant.community.path, RECORDER_ROLES)


def may_delete(user, incident):
    """The author, or an admin of the cycle's county."""
    return incident.author_id == user.pk or scope_of(user).covers_path(
        incident.participant.cycle.county.path, {Role.ADMIN}
    )


def _check_writable(cycle):
    if cycle.is_locked:
        raise ValidationError(
            _("考核周期“%(name)s”%(status)s，不能再修改；如需更正请走复核程序。")
            % {"name": cycle.name, "status": cycle.get_status_display()}
        )


@transaction.atomic
def add_incident(*, actor, participant, text, occurred_on=None):
    """Record a critical incident for the participant (SPEC §2 关键事件)."""
    participant = Participant.objects.select_related("cycle__county", "community").get(
        pk=participant.pk
    )
    _check_writable(participant.cycle)
    if not may_record(actor, participant):
        raise PermissionDenied
    text = (text or "").strip()
    errors = {}
    if not text:
        errors["text"] = _("请填写事件经过。")
    elif len(text) > MAX_TEXT_LENGTH:
        errors["text"] = _("事件经过不能超过 %(n)d 字（现有 %(len)d 字）。") % {
            "n": MAX_TEXT_LENGTH,
            "len": len(text),
        }
    if occurred_on is not None and occurred_on > timezone.localdate():
        errors["occurred_on"] = _("发生日期 %(date)s 晚于今天，请核对。") % {
            "date": occurred_on.isoformat()
        }
    if errors:
        raise ValidationError(errors)
    incident = CriticalIncident(
        participant=participant, occurred_on=occurred_on, text=text, author=actor
    )
    incident._history_user = actor
    incident.save()
    return incident


@transaction.atomic
def delete_incident(*, actor, incident):
    """Delete a critical incident: its author or a county admin only (audited)."""
    incident = (
        CriticalIncident.objects.select_for_update(of=("self",))
        .select_related("participant__cycle__county", "participant__community")
        .get(pk=incident.pk)
    )
    _check_writable(incident.participant.cycle)
    if not (may_record(actor, incident.participant) and may_delete(actor, incident)):
        raise PermissionDenied
    incident._history_user = actor
    incident.delete()
