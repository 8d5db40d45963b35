"""The score card's waterfall (issue 14, item 2): the bars' texts add up by hand to the
stored 综合得分, the rounding to two decimals being its own step, in words."""

from decimal import Decimal as D
from types import SimpleNamespace

from scoring.results.selectors import waterfall_data


def by_hand(text):
    return D(text.replace("−", "-").replace("+", ""))


def test_the_bars_add_up_to_the_composite_with_rounding_as_a_step():
    """SPEC §3.3: composite = round2(Σ weight × total). 8.796 + 45.34 + 23.947 = 78.083,
    stored 78.08: rounded labels would read 8.80 + 45.34 + 23.95 = 78.09."""
    cycle = SimpleNamespace(weight_target=D(50), weight_org=D(40))
    sheet = SimpleNamespace(deducted_target=D(0), deducted_org=D(0))
    result = SimpleNamespace(veto=False, bonus=D("1.5"))
    products = (D("8.796"), D("45.34"), D("23.947"))
    data = waterfall_data(result, sheet, cycle, products, D("78.08"))
    assert data["categories"][3] == "四舍五入"
    assert data["labels"] == ["8.796", "+45.34", "+23.947", "−0.003", "78.08", "+1.50", "79.58"]
    at = data["categories"].index("综合得分")
    assert sum(by_hand(t) for t in data["labels"][:at]) == by_hand(data["labels"][at])
    assert by_hand(data["labels"][at]) + by_hand(data["labels"][at + 1]) == D("79.58")


def test_deductions_are_a_step_and_the_sum_still_holds():
    cycle = SimpleNamespace(weight_target=D(50), weight_org=D(40))
    sheet = SimpleNamespace(deducted_target=D(2), deducted_org=D(2))
    result = SimpleNamespace(veto=True, bonus=D(0))
    products = (D("8"), D("44"), D("30"))  # after deductions
    data = waterfall_data(result, sheet, cycle, products, D("82.00"))
    assert data["categories"][:4] == [
        "自评×权重",
        "目标量评×权重（扣分前）",
        "组织考评×权重（扣分前）",
        "扣分",
    ]
    assert data["labels"][3] == "−1.80"
    at = data["categories"].index("综合得分")
    assert sum(by_hand(t) for t in data["labels"][:at]) == D("82.00")
    assert data["categories"][-1] == "最终得分（一票否决）"
