"""The SPEC §4 workbook: sheet names, their columns, and the words allowed in
enumerated columns. One place, read by the importer, the empty template and the export."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    header: str
    required: bool = True  # the column must be present (cells may still be optional)
    hint: str = ""  # input hint shown in the empty template
    choices: tuple[str, ...] = ()  # allowed words (a drop-down list in the template)
    width: int = 14


YES_NO = ("是", "否")
UNIT_KINDS = ("县", "区", "镇", "乡", "街道", "社区", "网格")
METHODS = ("评分", "目标", "分档", "扣分", "测评")
SOURCES = ("自评", "目标", "组织")
EVENT_STATUSES = ("已核实", "待核实", "不予认定")

# 设置 keys and whether they are percentages (written as numbers: 10 for 10%).
SETTING_KEYS = (
    "考核名称",
    "年度",
    "自评权重",
    "目标权重",
    "组织权重",
    "加分上限",
    "优秀线",
    "合格线",
    "基本合格线",
    "优秀比例",
    "一档比例",
    "三档比例",
    "一档系数",
    "二档系数",
    "三档系数",
    "绩效基数",
    "去极值人数",
)

# 设置 key → the Cycle field it sets.
SETTING_FIELDS = {
    "考核名称": "name",
    "年度": "year",
    "自评权重": "weight_self",
    "目标权重": "weight_target",
    "组织权重": "weight_org",
    "加分上限": "bonus_cap",
    "优秀线": "threshold_excellent",
    "合格线": "threshold_qualified",
    "基本合格线": "threshold_basic",
    "优秀比例": "excellent_share",
    "一档比例": "tier_top_share",
    "三档比例": "tier_bottom_share",
    "一档系数": "coefficient_top",
    "二档系数": "coefficient_middle",
    "三档系数": "coefficient_bottom",
    "绩效基数": "pay_base",
    "去极值人数": "trim_threshold",
}

SHEETS = {
    "设置": (
        Column("项目", hint="设置项名称，见下方各行", choices=SETTING_KEYS, width=16),
        Column("值", hint="数字或文字；比例写百分数，如 20 表示 20%", width=30),
    ),
    "单位": (
        Column("编码", hint="单位编码，唯一，如 36040001"),
        Column("名称", width=20),
        Column("类型", choices=UNIT_KINDS),
        Column("上级编码", required=False, hint="县/区留空"),
    ),
    "书记": (
        Column("工号", hint="唯一，如 S001"),
        Column("姓名"),
        Column("社区编码"),
        Column("参加评定", choices=YES_NO),
    ),
    "指标": (
        Column("编码", hint="1、1.2、1.2.3"),
        Column("名称", width=20),
        Column("上级编码", required=False, hint="一级指标留空"),
        Column("分值"),
        Column("方法", required=False, choices=METHODS, hint="末级指标必填，上级指标留空"),
        Column("数据项", required=False, hint="目标、分档方法必填"),
        Column("目标值", required=False, hint="目标方法必填，大于 0"),
        Column("分档", required=False, hint="门槛:分值，分号分隔，如 0:0;60:2;80:4", width=24),
        Column("下限", required=False, hint="一级指标分值范围"),
        Column("上限", required=False, hint="一级指标分值范围"),
    ),
    "事项类型": (
        Column("编码", hint="唯一，如 E01"),
        Column("名称", width=20),
        Column("指标编码", required=False, hint="扣分事项计入的“扣分”末级指标"),
        Column("分值", hint="负数为扣分，正数为加分"),
        Column("上限", required=False, hint="该类事项合计的上限"),
        Column("一票否决", choices=YES_NO),
    ),
    "事项": (
        Column("工号"),
        Column("事项类型编码"),
        Column("日期", hint="YYYY-MM-DD"),
        Column("说明", required=False, width=30),
        Column("状态", choices=EVENT_STATUSES),
        Column("免责", choices=YES_NO),
    ),
    "指标数据": (
        Column("社区编码"),
        Column("数据项"),
        Column("实际值"),
    ),
    "评分": (
        Column("工号"),
        Column("指标编码"),
        Column("来源", choices=SOURCES),
        Column("评分人", hint="评分人账号；自评填书记工号"),
        Column("分数"),
        Column("备注", required=False, hint="组织考评改动自动计分指标时必填", width=24),
    ),
    "测评": (
        Column("社区编码"),
        Column("类别"),
        Column("满意"),
        Column("基本满意"),
        Column("不满意"),
        Column("不了解"),
    ),
    "测评类别": (
        Column("类别"),
        Column("权重", hint="各类别权重合计 100"),
    ),
}

# Sheets that may be imported alone into an existing cycle.
PARTIAL_SHEETS = ("评分", "指标数据", "事项", "测评")

RANKING_COLUMNS = (
    "排名",
    "工号",
    "姓名",
    "镇街",
    "社区",
    "自评",
    "目标量评",
    "组织考评",
    "综合得分",
    "加分",
    "最终得分",
    "等次",
    "一票否决",
    "档次",
    "系数",
    "绩效报酬",
    "说明",
)
DETAIL_COLUMNS = ("工号", "姓名", "指标编码", "指标名称", "分值", "自评", "目标量评", "组织考评")
