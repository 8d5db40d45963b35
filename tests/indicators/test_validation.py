"""Validation of the indicator tree and event types (SPEC §3.1): every problem at once,
each naming its node."""

from decimal import Decimal as D

import pytest

from indicators.validation import EventTypeSpec, NodeSpec, validate_event_types, validate_tree


def node(code, points, parent=None, method="", **kw):
    return NodeSpec(
        code=code, name=f"指标{code}", points=D(points), parent_code=parent, method=method, **kw
    )


def valid_tree():
    return [
        node("1", "25", range_min=D(20), range_max=D(25)),
        node("1.1", "10", "1", "rating", bars=(("好", D(10)), ("中", D(6)), ("差", D(2)))),
        node("1.2", "15", "1", "deduction"),
        node("2", "75"),
        node("2.1", "30", "2", "target", metric_key="cert_rate", target_value=D("49")),
        node(
            "2.2",
            "30",
            "2",
            "bands",
            metric_key="resolved",
            bands=((D(0), D(0)), (D(60), D(20)), (D(80), D(30))),
        ),
        node("2.3", "15", "2", "survey"),
    ]


def messages(report):
    return [p.message for p in report.errors]


def test_a_valid_tree_has_no_problems():
    report = validate_tree(valid_tree(), metric_keys={"cert_rate", "resolved"})
    assert report.is_valid, messages(report)


def test_the_dimensions_must_total_100():
    """SPEC §3.1: the root's total must be 100."""
    tree = [n for n in valid_tree() if n.code not in ("2.3",)]
    tree = [n if n.code != "2" else node("2", "60") for n in tree]
    report = validate_tree(tree)
    assert "一级指标分值合计 85，应为 100。" in messages(report)


def test_a_parents_points_equal_the_sum_of_its_children():
    """SPEC §3.1: a parent's points are the sum of its children's."""
    tree = [n if n.code != "1.2" else node("1.2", "12", "1", "deduction") for n in valid_tree()]
    report = validate_tree(tree)
    assert "指标 1“指标1”：下级指标分值合计 22，与本级分值 25 不符。" in messages(report)


def test_a_dimension_must_lie_inside_its_range():
    """SPEC §3.1: 党建 20–25 — a cycle's points for it must lie inside."""
    tree = [
        n if n.code != "1" else node("1", "25", range_min=D(26), range_max=D(30))
        for n in valid_tree()
    ]
    report = validate_tree(tree)
    assert "指标 1“指标1”：分值 25 不在允许范围 26–30 内。" in messages(report)


def test_only_dimensions_carry_a_range():
    tree = [
        n if n.code != "2.3" else node("2.3", "15", "2", "survey", range_min=D(1), range_max=D(20))
        for n in valid_tree()
    ]
    assert "只有一级指标可以设置分值范围" in " ".join(messages(validate_tree(tree)))


@pytest.mark.parametrize(
    "leaf,expected",
    [
        (
            node("2.1", "30", "2", "target", metric_key="cert_rate", target_value=D(0)),
            "目标值必须大于 0",
        ),
        (node("2.1", "30", "2", "target", target_value=D(5)), "请选择数据项"),
        (node("2.1", "30", "2", "bands", metric_key="x", bands=()), "分档指标至少需要一档"),
        (
            node("2.1", "30", "2", "bands", metric_key="x", bands=((D(60), D(2)), (D(50), D(4)))),
            "从小到大排列",
        ),
        (node("2.1", "30", "2", "bands", metric_key="x", bands=((D(0), D(31)),)), "超出 0–30"),
        (
            node("2.1", "30", "2", "rating", bars=(("优", D(35)),)),
            "行为锚定等级“优”的分值 35 超出 0–30",
        ),
        (
            node("2.1", "30", "2", "deduction", bars=(("优", D(5)),)),
            "只有“评分”指标可以设置行为锚定等级",
        ),
        (node("2.1", "30", "2", ""), "末级指标必须选择评分方法"),
        (node("2.1", "30", "2", "magic"), "末级指标必须选择评分方法"),
    ],
)
def test_leaf_parameters_must_fit_the_method(leaf, expected):
    """SPEC §3.1: each method's parameters (target > 0, bands ordered and within
    points, BARS values within points)."""
    tree = [n if n.code != "2.1" else leaf for n in valid_tree()]
    found = messages(validate_tree(tree))
    assert any(expected in m and m.startswith("指标 2.1") for m in found), found


def test_a_metric_must_be_defined_when_definitions_are_known():
    report = validate_tree(valid_tree(), metric_keys={"resolved"})
    assert "指标 2.1“指标2.1”：数据项“cert_rate”未定义。" in messages(report)


def test_codes_are_unique_and_follow_the_parent():
    tree = valid_tree() + [
        node("1.2", "0.5", "1", "rating"),
        node("3.1", "1", "2", "rating"),
        node("1.x", "1", "1", "rating"),
    ]
    found = messages(validate_tree(tree))
    assert "编码 1.2 重复出现 2 次。" in found
    assert "指标 3.1“指标3.1”：编码应以上级编码 2 开头，如 2.1。" in found
    assert "指标 1.x“指标1.x”：编码应为 1、1.2、1.2.3 这样的数字层级。" in found


def test_a_parent_does_not_carry_a_method_and_points_are_positive():
    tree = [n if n.code != "2" else node("2", "75", method="rating") for n in valid_tree()]
    tree.append(node("1.3", "0", "1", "rating"))
    found = messages(validate_tree(tree))
    assert "指标 2“指标2”：有下级指标的指标不设评分方法。" in found
    assert "指标 1.3“指标1.3”：分值必须大于 0。" in found


def test_every_problem_is_reported_at_once():
    tree = [
        node("1", "30", range_min=D(20), range_max=D(25)),
        node("1.1", "10", "1", "target"),
        node("2", "60"),
        node("2.1", "50", "2", "bands", metric_key="m"),
    ]
    report = validate_tree(tree)
    subjects = {p.subject for p in report.errors}
    assert subjects == {None, "1", "1.1", "2", "2.1"}
    assert len(report.errors) >= 6


def test_an_empty_tree_is_reported():
    assert messages(validate_tree([])) == ["指标体系还没有任何指标。"]


def event(code, points, leaf=None, veto=False, cap=None):
    return EventTypeSpec(
        code=code, name=f"事项{code}", points=D(points), leaf_code=leaf, is_veto=veto, cap=cap
    )


def test_a_deduction_type_must_be_charged_to_a_deduction_leaf():
    tree = valid_tree()
    report = validate_event_types(
        [event("A", "-3", "1.2"), event("B", "-2", "1.1"), event("C", "-5")], tree
    )
    assert {p.subject for p in report.errors} == {"B", "C"}
    assert "事项类型 B“事项B”：扣分事项必须计入一个“扣分”方法的末级指标。" in messages(report)


def test_a_veto_type_needs_no_leaf_and_a_bonus_is_not_charged_to_one():
    tree = valid_tree()
    report = validate_event_types(
        [event("V", "0", veto=True), event("P", "20"), event("Q", "5", "1.2")], tree
    )
    assert [p.subject for p in report.errors] == ["Q"]


def test_caps_are_positive_and_codes_unique():
    report = validate_event_types(
        [event("A", "-3", "1.2", cap=D(0)), event("A", "-1", "1.2")], valid_tree()
    )
    found = messages(report)
    assert "事项类型编码 A 重复。" in found
    assert "事项类型 A“事项A”：上限必须大于 0。" in found


def test_more_than_five_veto_types_warn_but_do_not_block():
    """SPEC §2: the editor warns (does not block) when more than 5 types carry the veto flag."""
    report = validate_event_types([event(f"V{i}", "0", veto=True) for i in range(6)], valid_tree())
    assert report.is_valid
    assert "共有 6 类一票否决事项" in report.warnings[0].message
    five = validate_event_types([event(f"V{i}", "0", veto=True) for i in range(5)], valid_tree())
    assert five.warnings == []
