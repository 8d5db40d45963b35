"""What the synthetic world looks like: the sizes (SPEC §6) and the indicator template.

Sizes: a county of 500 secretaries, a city of 3,000 in one county-level unit (as the
foundation benchmark builds it: 30 towns × 100 communities), a province of 20,000 in 8
counties of 2,500, and a tiny one for CI. The template has the seed's four dimensions
and ranges, 60 leaves (40 `rating`, 8 of them with behaviour anchors; 5 `target`,
5 `bands`, 8 `deduction`, 2 `survey`), a 数据项 per target/bands leaf and the seed's
kinds of event types (deductions charged to leaves, bonuses, vetoes).
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

from indicators.starter import leaf, rating

# The assessment year of every cycle: fixed, and in the past whatever today is, so the
# data (dates of events, ballots, tenures) never depends on the day the benchmark runs.
YEAR = 2025
SEED = 2025
PASSWORD = "Bench-pass-2025"
# Where a bulk-loaded row needs a time (recorded, verified, keyed): late in the year.
STAMP = datetime(YEAR, 12, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@dataclass(frozen=True)
class Scale:
    name: str
    counties: int
    towns: int  # per county
    communities: int  # per town

    @property
    def participants(self):
        return self.counties * self.towns * self.communities


SCALES = {
    "tiny": Scale("tiny", 1, 2, 10),
    "county": Scale("county", 1, 10, 50),
    "city": Scale("city", 1, 30, 100),
    "province": Scale("province", 8, 25, 100),
}

# Raters per source on every rating leaf: 5, so the trimmed mean (SPEC §3.2: from 5
# raters on, drop one highest and one lowest) is what the engine computes.
RATERS_PER_SOURCE = 5
GRIDS_PER_COMMUNITY = 3
EVENTS_PER_COMMUNITY = 20
# Online ballots: one batch per community; the first few tokens are cast, the rest
# are left for the load test to cast over HTTP.
BALLOTS_PER_BATCH = 10
CAST_PER_BATCH = 4


def county_code(index):
    return f"B{index + 1:02d}"


def town_code(county, index):
    return f"{county}T{index + 1:02d}"


def community_code(town, index):
    return f"{town}C{index + 1:03d}"


# (name, points, allowed range, rating leaves' points, automatic leaves' points and
# methods). 10 rating + 5 automatic leaves each; points sum to the dimension's.
DIMENSIONS = [
    ("党建", 25, (20, 25), D("1.5"), D(2), ("target", "bands", "deduction", "deduction", "bands")),
    (
        "社区治理与民生服务",
        35,
        (30, 40),
        D(2),
        D(3),
        ("target", "bands", "deduction", "deduction", "survey"),
    ),
    (
        "重点工作与创新突破",
        25,
        (20, 30),
        D("1.5"),
        D(2),
        ("target", "bands", "deduction", "deduction", "survey"),
    ),
    (
        "廉政与履职规范",
        15,
        (10, 15),
        D(1),
        D(1),
        ("target", "bands", "deduction", "deduction", "target"),
    ),
]
RATING_LEAVES_PER_DIMENSION = 10
# Rating leaves (by position in their dimension) that carry behaviour anchors.
ANCHORED_POSITIONS = (0, 5)
METHOD_NAMES = {"target": "目标", "bands": "分档", "deduction": "扣分", "survey": "测评"}
BAND_SHARES = (D(0), D(1) / 3, D(2) / 3, D(1))
BAND_THRESHOLDS = (0, 10, 20, 30)


def _band_pairs(points):
    return [
        (str(threshold), str((points * share).quantize(D("0.01"))))
        for threshold, share in zip(BAND_THRESHOLDS, BAND_SHARES, strict=True)
    ]


def template_spec():
    """The template in the format of `indicators.starter` (built through its services)."""
    tree, metrics, deduction_leaves = [], [], []
    for dimension, points, allowed, rating_points, auto_points, methods in DIMENSIONS:
        children = [
            (
                f"{dimension}·评分{i + 1}",
                rating(rating_points, "按工作完成情况评分。", anchors=i in ANCHORED_POSITIONS),
            )
            for i in range(RATING_LEAVES_PER_DIMENSION)
        ]
        for i, method in enumerate(methods):
            name = f"{dimension}·{METHOD_NAMES[method]}{i + 1}"
            params = {}
            if method in ("target", "bands"):
                key = f"metric_{len(metrics) + 1:02d}"
                percent = method == "target" and len(metrics) % 3 != 2
                metrics.append(
                    (key, f"数据项{len(metrics) + 1}", "%" if percent else "件", "entered")
                )
                params["metric_key"] = key
                if method == "target":
                    params["target_value"] = D(90) if percent else D(40)
                else:
                    params["bands"] = _band_pairs(auto_points)
            if method == "deduction":
                deduction_leaves.append(name)
            children.append((name, leaf(method, auto_points, "按数据或事项计分。", **params)))
        tree.append((dimension, points, {"range": allowed}, children))
    event_types = []
    for n, name in enumerate(deduction_leaves, start=1):
        event_types.append((f"D{n}", f"扣分事项{n}", -1, name, 2 if n % 2 == 0 else None, False))
    event_types += [
        ("D1B", "严重扣分事项1", -2, deduction_leaves[0], None, False),
        ("D2B", "严重扣分事项2", -2, deduction_leaves[1], None, False),
        ("J1", "市级表彰", 1, None, None, False),
        ("J2", "省级表彰", 2, None, None, False),
        ("J3", "经验推广", 5, None, None, False),
        ("V1", "越级信访", 0, None, None, True),
        ("V2", "违纪行为", 0, None, None, True),
    ]
    return {
        "name": "基准测试指标体系（60 项）",
        "description": "规模基准测试生成：四个维度，每个维度 15 个末级指标。",
        "metrics": metrics,
        "tree": tree,
        "event_types": event_types,
    }


DEDUCTION_TYPES = ("D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8", "D1B", "D2B")
BONUS_TYPES = ("J1", "J2", "J3")
VETO_TYPES = ("V1", "V2")
