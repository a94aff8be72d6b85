"""DR failover tests: plan (pydantic), runner (phases, verdicts), reports (JSON, JUnit, HTML, PNG)."""
from oamkit.dr.plan import DrPlan, load_plan

__all__ = ["DrPlan", "load_plan"]
