"""Recall rules (Practice setup -> Recall rules): "Annual physical every 12 months", one rule per
appointment type, from which the desk's recall list (`R` on the schedule) is drawn. `a` adds,
Enter or `e` edits, `x` retires a rule (nobody is recalled under it; what the desk marked is
kept) or reinstates it, `v` shows the retired ones too, Esc goes back. Managers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from officeconsole.services.scheduling.recalls import RecallService, RuleRow
from officeconsole.tui.modals.recall_rule_form import RecallRuleFormModal
from officeconsole.tui.screens.setup_list import SetupListScreen
from officeconsole.tui.widgets.results_table import Column


class RecallRulesScreen(SetupListScreen[RuleRow]):
    HEADING = "Recall rules"
    NOUN = "recall rule"
    PERMISSION = "schedule.manage"
    FLEX = "Rule"
    HINT = "The recall list (R on the schedule) shows the patients whose last visit of the type is this many months old."

    def columns(self) -> list[Column]:
        return [Column("Rule", 24), Column("Appointment type", 20), Column("Months", 6), Column("Active", 7)]

    def fetch(self, include_retired: bool) -> list[RuleRow]:
        return RecallService(self.app.ctx).recall_rules(include_retired=include_retired)

    def cells(self, row: RuleRow) -> tuple[str, ...]:
        return (row.name, row.type_name, str(row.months), "yes" if row.active else "retired")

    def key(self, row: RuleRow) -> str:
        return str(row.id)

    def label_of(self, row: RuleRow) -> str:
        return row.name

    def add_form(self) -> RecallRuleFormModal:
        return RecallRuleFormModal()

    def edit_form(self, row: RuleRow) -> RecallRuleFormModal:
        return RecallRuleFormModal(row)

    def retire_question(self, row: RuleRow) -> str:
        return (f"Retire {row.name}? Nobody is recalled for {row.type_name} any more; the contacted and declined "
                "marks are kept. It can be reinstated.")

    def retire_call(self, row: RuleRow) -> tuple[Callable[..., Any], tuple]:
        return RecallService(self.app.ctx).retire_rule, (row.id, row.version)

    def reinstate_call(self, row: RuleRow) -> tuple[Callable[..., Any], tuple]:
        return RecallService(self.app.ctx).reinstate_rule, (row.id, row.version)
