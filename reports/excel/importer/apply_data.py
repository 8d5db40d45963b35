"""Writing a cycle's data: events, metric values, score entries and paper counts.
Runs inside the import's transaction, after every check passed."""

from collections import defaultdict

from django.contrib.auth.hashers import make_password
from django.utils import timezone
from django.utils.translation import gettext as _

from assessment.models import Participant
from evidence.models import (
    Event,
    EventOrigin,
    EventStatus,
    FilingOrigin,
    FilingStatus,
    MetricValue,
    MetricValueSource,
    ReformFiling,
)
from indicators.models import BarsLevel, EventType, IndicatorNode, SurveyCategory
from org.models import OrgUnit, User
from reports.excel.errors import CellError, ImportRejected
from reports.excel.importer.writes import Batch, differences
from scoring.models import ScoreEntry
from surveys.models import PaperTally, SurveySettings

# Stored words, the same whatever the importing user's language (the filing is found
# again by its title).
IMPORT_NOTE = "Excel 导入"
FILING_TITLE = "Excel 导入的免责事项"


class CycleIndex:
    """The cycle's participants, leaves, event types, categories and communities by
    their codes, read once."""

    def __init__(self, cycle):
        self.cycle = cycle
        self.participants = {
            p.secretary.staff_no: p
            for p in Participant.objects.filter(cycle=cycle).select_related(
                "secretary__user", "community"
            )
        }
        template = cycle.frozen_template_id
        self.leaves = {n.code: n for n in IndicatorNode.objects.filter(template_id=template)}
        self.event_types = {e.code: e for e in EventType.objects.filter(template_id=template)}
        self.categories = {c.name: c for c in SurveyCategory.objects.filter(template_id=template)}
        codes = {p.community.code for p in self.participants.values()}
        self.communities = {u.code: u for u in OrgUnit.objects.filter(code__in=codes)}


def write_events(rows, index, actor, changes):
    """Imported events are known by who, type, date and text: matching rows stay,
    changed status or 免责 is updated, imported events no longer in the file are
    deleted. Events reported in the browser are never touched."""
    now = timezone.now()
    existing = defaultdict(list)
    for event in (
        Event.objects.filter(participant__cycle=index.cycle, origin=EventOrigin.IMPORTED)
        .select_related("participant__community", "event_type")
        .order_by("pk")
    ):
        key = (event.participant_id, event.event_type.code, event.occurred_on, event.description)
        existing[key].append(event)
    filings = {}
    # In bulk, with their audit rows: a city's workbook holds tens of thousands.
    batch = Batch(Event, actor, changes)
    for row in rows:
        participant = index.participants[row.staff_no]
        key = (participant.pk, row.type_code, row.on, row.description)
        event = existing[key].pop(0) if existing[key] else None
        values = _event_values(row, event, actor, now)
        if row.exempt:
            values["filing_id"] = (event and event.filing_id) or _filing(
                participant, actor, filings, now
            ).pk
        if event is None:
            values = {
                "participant": participant,
                "event_type": index.event_types[row.type_code],
                "occurred_on": row.on,
                "description": row.description,
                "origin": EventOrigin.IMPORTED,
                "reported_by": actor,
                **values,
            }
        batch.put(event, values, participant.community.path)
    batch.flush()
    for leftovers in existing.values():
        for event in leftovers:
            if event.attachments.exists():
                continue  # someone added proof in the browser: keep it
            event._history_user = actor
            event.delete()
            changes.deleted += 1


def _event_values(row, event, actor, now):
    values = {"status": row.status, "exempt": row.exempt}
    if event is None or event.status != row.status:
        verified = row.status == EventStatus.VERIFIED
        values.update(
            verified_by=actor if row.status != EventStatus.REPORTED else None,
            verified_at=now if row.status != EventStatus.REPORTED else None,
            verification_note=IMPORT_NOTE if verified or row.status == EventStatus.REJECTED else "",
        )
    if event is None or event.exempt != row.exempt:
        values.update(
            exempted_by=actor if row.exempt else None,
            exempted_at=now if row.exempt else None,
            exemption_reason=IMPORT_NOTE if row.exempt else "",
        )
        if not row.exempt:
            values["filing_id"] = None
    return values


def _filing(participant, actor, filings, now):
    """The approved reform-risk filing that imported exemptions rest on (an exemption
    always names a filing), one per participant. It is marked as imported: the workbook
    records the county's decision but no filing date, so the filing is dated when the
    import ran and covers imported events only (`evidence.events.services`)."""
    if participant.pk not in filings:
        filing = ReformFiling.objects.filter(
            participant=participant, origin=FilingOrigin.IMPORTED
        ).first() or ReformFiling(
            participant=participant,
            origin=FilingOrigin.IMPORTED,
            title=FILING_TITLE,
            description="免责认定随考核数据由 Excel 导入。",
            risks="见导入文件。",
            status=FilingStatus.APPROVED,
            filed_by=actor,
            decided_by=actor,
            decided_at=now,
            decision_reason=IMPORT_NOTE,
        )
        if filing.pk is None:
            filing._history_user = actor
            filing.save()
        filings[participant.pk] = filing
    return filings[participant.pk]


def write_metrics(rows, index, actor, changes):
    existing = {(m.community_id, m.key): m for m in MetricValue.objects.filter(cycle=index.cycle)}
    batch = Batch(MetricValue, actor, changes, touch=("updated_at",))
    for community_code, key, value in rows:
        community = index.communities[community_code]
        current = existing.get((community.pk, key))
        values = {"value": value}
        if current is None:
            values.update(
                cycle=index.cycle,
                community=community,
                key=key,
                source=MetricValueSource.IMPORTED,
                entered_by=actor,
            )
        batch.put(current, values, community.path)
    batch.flush()


def rater_accounts(rows, index, actor):
    """Each 评分人 as an account: 自评 is the secretary's own login (made, inactive,
    when the secretary has none); any other name is an account's username, made
    inactive and without a password when no such account exists."""
    accounts = {}
    names = {r.rater for r in rows if r.source != "self"}
    for user in User.objects.filter(username__in=names):
        accounts[user.username] = user
    for name in sorted(names - set(accounts)):
        user = User(username=name, full_name=name, is_active=False, password=make_password(None))
        user._history_user = actor
        user._audit_scope_hint = index.cycle.county.path
        user.save()
        accounts[name] = user
    own = {}
    for staff_no in {r.staff_no for r in rows if r.source == "self"}:
        secretary = index.participants[staff_no].secretary
        if secretary.user_id is None:
            user = User.objects.filter(username=staff_no).first()
            if user is not None and (hasattr(user, "secretary") or not _import_made(user)):
                raise ImportRejected(
                    [
                        CellError(
                            "评分",
                            None,
                            "评分人",
                            _(
                                "账号 %(no)s 已是他人的登录账号，不能作为书记 %(no)s 的自评账号；请先在系统中为该书记关联登录账号"
                            )
                            % {"no": staff_no},
                        )
                    ]
                )
            if user is None:
                user = User(
                    username=staff_no,
                    full_name=secretary.name,
                    is_active=False,
                    password=make_password(None),
                )
                user._history_user = actor
                user._audit_scope_hint = secretary.community.path
                user.save()
            secretary.user = user
            secretary._history_user = actor
            secretary.save(update_fields=["user"])
        own[staff_no] = secretary.user
    return accounts, own


def _import_made(user):
    """An account an import made for a rater (inactive, no password, no role): nobody's,
    so it may become a secretary's own. A real person's account never does."""
    return (
        not user.is_active
        and not user.is_superuser
        and not user.has_usable_password()
        and not user.memberships.exists()
    )


def write_scores(rows, index, actor, changes):
    accounts, own = rater_accounts(rows, index, actor)
    existing = {
        (e.participant_id, e.leaf_id, e.source, e.rater_id): e
        for e in ScoreEntry.objects.filter(participant__cycle=index.cycle)
    }
    levels = {
        (level.node_id, level.value): level.pk
        for level in BarsLevel.objects.filter(node__template_id=index.cycle.frozen_template_id)
    }
    batch = Batch(ScoreEntry, actor, changes, touch=("updated_at",))
    for row in rows:
        participant = index.participants[row.staff_no]
        leaf = index.leaves[row.leaf_code]
        rater = own[row.staff_no] if row.source == "self" else accounts[row.rater]
        current = existing.get((participant.pk, leaf.pk, row.source, rater.pk))
        # On an anchored (BARS) leaf the value is one level's; the entry names that level.
        values = {
            "value": row.value,
            "note": row.note,
            "level_id": levels.get((leaf.pk, row.value)),
        }
        if current is None:
            values.update(participant=participant, leaf=leaf, source=row.source, rater=rater)
        batch.put(current, values, participant.community.path)
    batch.flush()


def write_tallies(rows, index, keyer, actor, changes):
    """Paper counts as one keying by whoever imports (SPEC §3.4, 双人录入: with double
    entry on, a second person's keying must agree before they count). With single
    entry the latest keying counts: when it already holds the file's counts, the file
    changes nothing, whoever keyed it (SPEC §4: re-importing changes nothing)."""
    existing, latest = {}, {}
    for t in PaperTally.objects.filter(cycle=index.cycle).order_by("updated_at", "pk"):
        if t.keyed_by_id == keyer.pk:
            existing[t.community_id, t.category_id] = t
        latest[t.community_id, t.category_id] = t
    settings = SurveySettings.objects.filter(cycle=index.cycle).first()
    single_entry = settings is not None and not settings.double_entry
    batch = Batch(PaperTally, actor, changes, touch=("updated_at",))
    for row in rows:
        community = index.communities[row.community_code]
        category = index.categories[row.category]
        satisfied, basic, unsatisfied, unknown = row.counts
        values = {
            "satisfied": satisfied,
            "basic": basic,
            "unsatisfied": unsatisfied,
            "unknown": unknown,
        }
        current = existing.get((community.pk, category.pk))
        counted = latest.get((community.pk, category.pk))
        if single_entry and counted is not None and not differences(counted, values):
            changes.unchanged += 1
            continue
        if current is None:
            values.update(cycle=index.cycle, community=community, category=category, keyed_by=keyer)
        batch.put(current, values, community.path)
    batch.flush()
