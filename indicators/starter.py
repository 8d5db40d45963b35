"""The two starting templates the product ships (SPEC §2).

1. 示范指标体系 from the seed document: four dimensions with their ranges (党建 20–25,
   社区治理与民生服务 30–40, 重点工作与创新突破 20–30, 廉政与履职规范 10–15), a leaf per
   measure the seed names, and its deductions, bonuses and vetoes as event types.
2. 修水县“三张考卷”: 工作成效 45, 党建成效 40, 满意度 15.

Each node: (name, points, method, extra) with children for parents; `extra` holds the
method's parameters, the 评分标准 text and behaviour anchors.
"""

from decimal import Decimal as D

from django.db import transaction

from indicators import services
from indicators.models import IndicatorTemplate

RATING_ANCHORS = [
    ("好", "全面、按时、高质量完成，有台账可查", 1),
    ("较好", "基本完成，个别环节有欠缺", D("0.7")),
    ("一般", "部分完成，存在明显不足", D("0.4")),
    ("差", "未开展或敷衍应付", 0),
]


def rating(points, criteria, anchors=True):
    return {"method": "rating", "description": criteria, "anchors": anchors, "points": D(points)}


def leaf(method, points, criteria, **params):
    return {"method": method, "description": criteria, "points": D(points), **params}


SEED_TEMPLATE = {
    "name": "社区书记绩效考核指标（示范）",
    "description": "依据各地实践综合形成：党建、社区治理与民生服务、重点工作与创新突破、廉政与履职规范四个维度。",
    "metrics": [
        ("conflicts_resolved", "化解矛盾数", "件", "counted"),
        ("service_coverage", "服务覆盖率", "%", "entered"),
        ("cert_rate", "社工持证率", "%", "counted"),
        ("diary_entries", "民情日记条数", "条", "counted"),
        ("grid_events_resolved", "网格事件办结数", "件", "counted"),
    ],
    "tree": [
        (
            "党建",
            25,
            {"range": (20, 25)},
            [
                (
                    "三会一课",
                    rating(6, "按规定召开支部党员大会、支委会、党小组会，按时上党课，记录完整。"),
                ),
                ("主题党日", rating(4, "每月开展主题党日活动，主题鲜明、党员参与率高。")),
                ("党员发展", rating(3, "按程序发展党员，培养教育考察规范。")),
                ("党建品牌创建", rating(4, "形成有特色的社区党建品牌，有载体、有成效。")),
                (
                    "网格化管理成效（化解矛盾数）",
                    leaf(
                        "bands",
                        4,
                        "按网格化解矛盾数分档计分。",
                        metric_key="conflicts_resolved",
                        bands=[("0", "0"), ("10", "2"), ("20", "3"), ("30", "4")],
                    ),
                ),
                ("组织生活", leaf("deduction", 4, "组织生活未达标的，每次扣 2 分，扣完为止。")),
            ],
        ),
        (
            "社区治理与民生服务",
            35,
            {"range": (30, 40)},
            [
                (
                    "安全生产与环境卫生",
                    leaf("deduction", 6, "发生安全生产事故、环境污染事件的，按事项扣分。"),
                ),
                ("违建管控", rating(3, "违法建设发现及时、处置到位，无新增违建。")),
                (
                    "信访维稳",
                    leaf("deduction", 6, "分级扣分：镇级信访案每件扣 3 分；越级信访一票否决。"),
                ),
                ("惠民政策落实", rating(3, "各项惠民政策宣传到位、落实到户。")),
                ("特殊群体帮扶", rating(2, "对困难群众、老年人、残疾人等特殊群体建档帮扶。")),
                (
                    "群众满意度",
                    leaf("survey", 15, "由居民代表、物业、共建单位参加民主评议，按满意度计分。"),
                ),
            ],
        ),
        (
            "重点工作与创新突破",
            25,
            {"range": (20, 30)},
            [
                ("重点任务完成", rating(8, "拆迁、防疫、重点项目推进等任务按节点完成。")),
                (
                    "服务覆盖率",
                    leaf(
                        "target",
                        5,
                        "服务覆盖率达到目标值得满分，未达到按比例计分。",
                        metric_key="service_coverage",
                        target_value=D(95),
                    ),
                ),
                ("创新示范", rating(5, "创新做法获上级肯定或推广。")),
                ("应急响应", leaf("deduction", 5, "突发事件未及时报告的，每次扣 2 分。")),
                ("任务推进滞后", leaf("deduction", 2, "挂图作战任务进度滞后的，每项扣 1 分。")),
            ],
        ),
        (
            "廉政与履职规范",
            15,
            {"range": (10, 15)},
            [
                (
                    "会议出勤与在岗",
                    leaf("deduction", 5, "无故缺席会议或在岗督查不在岗的，每次扣 5 分。"),
                ),
                (
                    "群众反馈",
                    leaf("deduction", 5, "“门难进、事难办”查实的扣 2 分；索拿卡要的扣 3 分。"),
                ),
                (
                    "社工持证率",
                    leaf(
                        "target",
                        5,
                        "社区工作者持社工证比例达到目标值（49%）得满分。",
                        metric_key="cert_rate",
                        target_value=D(49),
                    ),
                ),
            ],
        ),
    ],
    # code, name, points, charged to (leaf name), cap, veto
    "event_types": [
        ("ZZSH", "组织生活未达标", -2, "组织生活", 4, False),
        ("AQSG", "安全生产事故", -3, "安全生产与环境卫生", None, False),
        ("HJWR", "环境污染事件", -2, "安全生产与环境卫生", None, False),
        ("ZJXF", "镇级信访案", -3, "信访维稳", None, False),
        ("YJXF", "越级信访", 0, None, None, True),
        ("WJXW", "违纪行为", 0, None, None, True),
        ("WJSBG", "突发事件未及时报告", -2, "应急响应", None, False),
        ("RWZH", "重点任务进度滞后", -1, "任务推进滞后", None, False),
        ("WGQX", "无故缺席", -5, "会议出勤与在岗", None, False),
        ("MNJ", "“门难进、事难办”查实", -2, "群众反馈", None, False),
        ("SNKY", "索拿卡要", -3, "群众反馈", None, False),
        ("RWAS", "重点任务按时完成", 2, None, None, False),
        ("SJBZ", "省级表彰", 20, None, None, False),
        ("SHIJ", "市级表彰", 10, None, None, False),
        ("JYTG", "经验推广", 5, None, None, False),
    ],
}

XIUSHUI_TEMPLATE = {
    "name": "修水县“三张考卷”",
    "description": "工作成效 45%、党建成效 40%、满意度 15%。",
    "metrics": [("service_coverage", "服务覆盖率", "%", "entered")],
    "tree": [
        (
            "工作成效",
            45,
            {},
            [
                ("重点任务", rating(20, "年度重点任务按节点完成情况。")),
                ("民生服务", rating(10, "惠民政策落实、特殊群体帮扶。")),
                ("安全稳定", leaf("deduction", 10, "信访、安全事故按事项扣分。")),
                (
                    "服务覆盖率",
                    leaf(
                        "target",
                        5,
                        "达到目标值得满分。",
                        metric_key="service_coverage",
                        target_value=D(95),
                    ),
                ),
            ],
        ),
        (
            "党建成效",
            40,
            {},
            [
                ("组织建设", rating(15, "班子建设、阵地建设、制度落实。")),
                ("党员教育管理", rating(10, "三会一课、主题党日、党员积分管理。")),
                ("党建品牌", rating(10, "党建引领基层治理的特色做法。")),
                ("组织生活", leaf("deduction", 5, "组织生活未达标的，每次扣 2 分。")),
            ],
        ),
        (
            "满意度",
            15,
            {},
            [
                ("群众满意度", leaf("survey", 15, "民主评议满意率。")),
            ],
        ),
    ],
    "event_types": [
        ("ZJXF", "镇级信访案", -3, "安全稳定", None, False),
        ("AQSG", "安全生产事故", -3, "安全稳定", None, False),
        ("ZZSH", "组织生活未达标", -2, "组织生活", None, False),
        ("YJXF", "越级信访", 0, None, None, True),
        ("SJBZ", "省级表彰", 20, None, None, False),
    ],
}

STARTERS = [SEED_TEMPLATE, XIUSHUI_TEMPLATE]


@transaction.atomic
def install_starter_templates(*, actor, county):
    """Create the starting templates in a county unless one of that name exists."""
    made = []
    for spec in STARTERS:
        if IndicatorTemplate.objects.filter(county=county, name=spec["name"]).exists():
            continue
        made.append(build(actor=actor, county=county, spec=spec))
    return made


def build(*, actor, county, spec):
    template = services.create_template(
        actor=actor, county=county, name=spec["name"], description=spec["description"]
    )
    for key, name, unit, source in spec["metrics"]:
        services.save_metric(
            actor=actor, template=template, key=key, name=name, unit=unit, source=source
        )
    leaves = {}
    for name, points, options, children in spec["tree"]:
        low, high = options.get("range", (None, None))
        dimension = services.add_node(
            actor=actor,
            template=template,
            name=name,
            points=D(points),
            range_min=None if low is None else D(low),
            range_max=None if high is None else D(high),
        )
        for child_name, params in children:
            params = dict(params)
            anchors = params.pop("anchors", False)
            node = services.add_node(
                actor=actor, template=template, parent=dimension, name=child_name, **params
            )
            if anchors:
                services.set_bars_levels(
                    actor=actor,
                    node=node,
                    levels=[
                        (label, text, (node.points * D(share)).quantize(D("0.01")))
                        for label, text, share in RATING_ANCHORS
                    ],
                )
            leaves[child_name] = node
    for code, name, points, leaf_name, cap, veto in spec["event_types"]:
        services.save_event_type(
            actor=actor,
            template=template,
            code=code,
            name=name,
            points=D(points),
            leaf=leaves[leaf_name] if leaf_name else None,
            cap=None if cap is None else D(cap),
            is_veto=veto,
        )
    return template
