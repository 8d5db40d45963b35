"""Accessibility checks in the browser tests: axe-core (vendored for the tests only, under
tests/e2e/vendor/axe-core/) run on the page as it stands.

The product's Content-Security-Policy allows no inline scripts, so axe is not added as a
<script> element: its source is evaluated through the DevTools protocol
(`page.evaluate`), which the page's CSP does not govern. Only violations of impact
"serious" or "critical" fail a test; "moderate" and "minor" ones are left to review.
"""

from functools import cache
from pathlib import Path

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = ("serious", "critical")
TARGETS_SHOWN = 3


@cache
def axe_source():
    return AXE.read_text(encoding="utf-8")


def axe_violations(page, context=None):
    """axe's violations on the page as it stands (`context`: a CSS selector to check only
    part of it), each a dict with id, impact, help and nodes."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    return page.evaluate(
        """async (context) => {
          const results = await axe.run(context || document, {resultTypes: ["violations"]});
          return results.violations.map((v) => ({
            id: v.id,
            impact: v.impact,
            help: v.help,
            helpUrl: v.helpUrl,
            nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary})),
          }));
        }""",
        context,
    )


def describe(violations, url=""):
    lines = [f"axe found {len(violations)} serious or critical violation(s) on {url}:"]
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} [{len(v['nodes'])} element(s)]")
        for node in v["nodes"][:TARGETS_SHOWN]:
            lines.append(f"    {node['target']}")
            if node["summary"]:
                lines.extend(f"      {line}" for line in node["summary"].splitlines()[:3])
        if len(v["nodes"]) > TARGETS_SHOWN:
            lines.append(f"    … and {len(v['nodes']) - TARGETS_SHOWN} more")
    return "\n".join(lines)


def assert_accessible(page, context=None):
    """No axe violation of impact serious or critical on the page (or `context`)."""
    failing = [v for v in axe_violations(page, context) if v["impact"] in FAILING_IMPACTS]
    assert not failing, describe(failing, page.url)
