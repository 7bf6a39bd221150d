"""A generated demo clinic (`officeconsole demo`); its row generators also feed the benchmarks."""

from officeconsole.demo.clinic import DEMO_PASSWORD, DemoLogin, DemoSummary, build_demo

__all__ = ["DEMO_PASSWORD", "DemoLogin", "DemoSummary", "build_demo"]
