"""Why a person stands where they stand: the SPEC §3.5 rule that was applied to *this*
result, in words — whom they tied with on 最终得分 and which criterion (目标量评, 组织考评,
实扣分) separated them, with the values; a 优秀 lost to the quota; a veto. The score card,
the participant page and the Excel export's 说明 column all read `rank_notes`.

Peers the reader cannot reach (DESIGN §4) are named neither by name nor by rank, and
their values are not given: a secretary learns that someone shares their 最终得分 and
which criterion separated them (so that the earlier criteria were equal), no more.
"""

from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from scoring.models import Result
from scoring.results.selectors.common import number


@dataclass
class RankNote:
    """What the pages show about one result's place: the `tie` (whom they tied with on
    最终得分 and what separated them), the `veto`, the 优秀 lost to the `quota` — each a
    sentence or ""; `lines` those present, `text` them in one cell of a spreadsheet."""

    tie: str = ""
    veto: str = ""
    quota: str = ""

    @property
    def lines(self):
        return [line for line in (self.tie, self.veto, self.quota) if line]

    @property
    def text(self):
        return "；".join(self.lines)

    def __bool__(self):
        return bool(self.lines)


# SPEC §3.5's order after 最终得分: (field, label, the better value is the larger).
CRITERIA = (
    ("target_total", gettext_lazy("目标量评"), True),
    ("org_total", gettext_lazy("组织考评"), True),
    ("taken", gettext_lazy("实扣分"), False),
)

_FIELDS = (
    "pk",
    "group",
    "graded",
    "veto",
    "final",
    "target_total",
    "org_total",
    "taken",
    "rank",
    "rule_grade",
    "grade",
    "participant_id",
    "participant__secretary__name",
)


def rank_notes(version, cycle, *, only=None, visible=None):
    """{result pk: RankNote} for the graded results of `version` (those in `only`, a set
    of result pks, if given). `visible` is the reader's results (`visible_results`): a
    peer outside them is named by rank only; None means the reader sees all. Two queries
    whatever the size of the cycle (three with `only`, which then reads only the rows of
    the wanted results' tie groups)."""
    graded = Result.objects.filter(version=version, graded=True)
    if only is not None:
        # Only the tie groups of the wanted results: a place shared in a group is shared
        # by equal finals, so their rows say every tie and size these notes need.
        ties = Q()
        for group, veto, final in graded.filter(pk__in=only).values_list("group", "veto", "final"):
            ties |= Q(group=group, veto=veto, final=final)
        graded = graded.filter(ties) if ties else graded.none()
    rows = list(graded.values(*_FIELDS).order_by("rank"))
    groups = {}
    for row in rows:
        groups.setdefault((row["group"], row["veto"], row["final"]), []).append(row)
    sizes = {}
    for row in rows:
        key = (row["group"], row["rank"])
        sizes[key] = sizes.get(key, 0) + 1
    quotas = {(g.get("key") or ""): g.get("quota", 0) for g in version.groups}
    wanted = [row for row in rows if only is None or row["pk"] in only]
    peers_of = {
        row["pk"]: [p for p in groups[(row["group"], row["veto"], row["final"])] if p is not row]
        for row in wanted
    }
    if visible is not None:
        peer_ids = {p["pk"] for peers in peers_of.values() for p in peers}
        visible = (
            set(visible.filter(pk__in=peer_ids).values_list("participant_id", flat=True))
            if peer_ids
            else set()
        )
    notes = {}
    for row in wanted:
        peers = peers_of[row["pk"]]
        notes[row["pk"]] = RankNote(
            tie=_tie_line(row, peers, visible) if peers else "",
            veto=_("一票否决，排在未被否决者之后，定为三档") if row["veto"] else "",
            quota=_quota_line(row, cycle, quotas.get(row["group"], 0), sizes),
        )
    return notes


def _tie_line(row, peers, visible):
    """ "最终得分 68.88 与 2 人相同：…" — each peer, the first criterion that differs."""
    parts = [_peer_part(row, peer, visible) for peer in peers]
    return _(
        "最终得分 %(final)s 与 %(n)d 人相同，依次比较目标量评、组织考评、实扣分：%(parts)s"
    ) % {
        "final": number(row["final"]),
        "n": len(peers),
        "parts": "，".join(parts),
    }


def _peer_part(row, peer, visible):
    shown = visible is None or peer["participant_id"] in visible
    who = (
        _("%(name)s（第 %(rank)d 名）")
        % {"name": peer["participant__secretary__name"], "rank": peer["rank"]}
        if shown
        else _("另一位书记")  # outside the reader's reach: neither name nor rank
    )
    for name, label, larger_wins in CRITERIA:
        mine, theirs = row[name], peer[name]
        if mine == theirs:
            continue
        ahead = (mine > theirs) == larger_wins
        if shown:
            values = _("本人 %(mine)s，%(who)s %(theirs)s") % {
                "mine": number(mine),
                "who": peer["participant__secretary__name"],
                "theirs": number(theirs),
            }
        else:
            values = _("本人 %(mine)s") % {"mine": number(mine)}
        if ahead:
            return _("与%(who)s相比，%(label)s更优（%(values)s），排在其前") % {
                "who": who,
                "label": label,
                "values": values,
            }
        return _("与%(who)s相比，%(label)s不及（%(values)s），排在其后") % {
            "who": who,
            "label": label,
            "values": values,
        }
    return _("与%(who)s目标量评、组织考评、实扣分均相同，名次并列") % {"who": who}


def _quota_line(row, cycle, quota, sizes):
    """SPEC §3.5: above the 优秀 line, but the quota was full (or the tied group did not
    fit in it whole)."""
    if row["veto"] or row["final"] < cycle.threshold_excellent:
        return ""
    if row["rule_grade"] == cycle.label_excellent:
        return ""
    # An assessor may have set the grade since (SPEC §3.5): the note speaks of the rule.
    lost = _("按规则未评优秀") if row["grade"] != row["rule_grade"] else _("未评优秀")
    tied = sizes.get((row["group"], row["rank"]), 1)
    if tied > 1:
        return _(
            "已达优秀线，因名额已满（第 %(rank)d 名，并列 %(tied)d 人，名额 %(quota)d）%(lost)s"
        ) % {"rank": row["rank"], "tied": tied, "quota": quota, "lost": lost}
    return _("已达优秀线，因名额已满（第 %(rank)d 名，名额 %(quota)d）%(lost)s") % {
        "rank": row["rank"],
        "quota": quota,
        "lost": lost,
    }
