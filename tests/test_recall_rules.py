"""Recall rules a manager keeps: one per appointment type and per name, 1 to 60 months, for a type in
use; retired rules recall nobody and can be reinstated; every change is audited."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from officeconsole.models import Appointment, AppointmentType, AuditEvent
from officeconsole.services.common.errors import ConcurrentEdit, PermissionDenied, ValidationError
from officeconsole.services.scheduling.booking import BookingInput
from officeconsole.services.scheduling.recalls import RecallService, RuleInput


def _type(ctx, name: str, active: bool = True) -> int:
    with ctx.db.write() as session:
        kind = AppointmentType(name=name, default_minutes=30, active=active)
        session.add(kind)
        session.flush()
        return kind.id


def _refused(call, *args) -> dict[str, str]:
    with pytest.raises(ValidationError) as refused:
        call(*args)
    return refused.value.errors


def test_a_manager_adds_edits_retires_and_reinstates_a_rule(ctx, sched, manager_ctx):
    recalls = RecallService(manager_ctx)
    physical = _type(ctx, "Physical")
    annual = recalls.add_rule(RuleInput("  Annual physical ", str(physical), " 12 "))
    assert (annual.name, annual.type_name, annual.months, annual.active) == ("Annual physical", "Physical", 12, True)
    follow = recalls.add_rule(RuleInput("Chronic follow-up", sched["type"], 3))
    assert [r.name for r in recalls.recall_rules()] == ["Annual physical", "Chronic follow-up"]
    changed = recalls.update_rule(annual.id, annual.version, RuleInput("Yearly physical", physical, "11"))
    assert (changed.name, changed.months) == ("Yearly physical", 11)
    with pytest.raises(ConcurrentEdit):  # opened before the change
        recalls.update_rule(annual.id, annual.version, RuleInput("Annual", physical, "12"))
    retired = recalls.retire_rule(follow.id, follow.version)
    assert not retired.active
    assert [r.name for r in recalls.recall_rules(include_retired=False)] == ["Yearly physical"]
    assert "retired already" in _refused(recalls.retire_rule, retired.id, retired.version)["active"]
    assert recalls.reinstate_rule(retired.id, retired.version).active
    with ctx.db.read() as session:
        actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("recall_rule.%"))))
    assert actions == ["recall_rule.add", "recall_rule.add", "recall_rule.update", "recall_rule.retire",
                       "recall_rule.reinstate"]


def test_with_no_appointment_types_the_rule_says_to_add_one_first(ctx, clinic, manager_ctx):
    errors = _refused(RecallService(manager_ctx).add_rule, RuleInput("Annual", None, "12"))
    assert errors == {"type_id": "No appointment types yet: add one first under Appointment types."}


def test_bad_rules_are_refused_with_a_message_per_field(ctx, sched, manager_ctx, desk_ctx):
    recalls = RecallService(manager_ctx)
    assert set(_refused(recalls.add_rule, RuleInput("", None, ""))) == {"name", "type_id", "months"}
    assert "1 to 60 months" in _refused(recalls.add_rule, RuleInput("Annual", sched["type"], "0"))["months"]
    assert "1 to 60 months" in _refused(recalls.add_rule, RuleInput("Annual", sched["type"], "1200"))["months"]
    assert "whole number" in _refused(recalls.add_rule, RuleInput("Annual", sched["type"], "1.5"))["months"]
    assert "whole number" in _refused(recalls.add_rule, RuleInput("Annual", sched["type"], "-3"))["months"]
    assert "whole number" in _refused(recalls.add_rule, RuleInput("Annual", sched["type"], "1²"))["months"]
    assert "No appointment type" in _refused(recalls.add_rule, RuleInput("Annual", 98765, "12"))["type_id"]
    old = _type(ctx, "Old kind", active=False)
    assert "retired" in _refused(recalls.add_rule, RuleInput("Old", old, "6"))["type_id"]
    first = recalls.add_rule(RuleInput("Annual", sched["type"], "12"))
    other = _type(ctx, "Physical")
    assert "Another recall rule is called 'Annual'" in _refused(
        recalls.add_rule, RuleInput("ANNUAL", other, "12"))["name"]
    assert "has a recall rule already ('Annual')" in _refused(
        recalls.add_rule, RuleInput("Twice a year", sched["type"], "6"))["type_id"]
    second = recalls.add_rule(RuleInput("Physical", other, "24"))
    assert "Another recall rule" in _refused(
        recalls.update_rule, second.id, second.version, RuleInput("annual", other, "24"))["name"]
    recalls.update_rule(first.id, first.version, RuleInput("Annual", sched["type"], "12"))  # its own name: fine
    with pytest.raises(PermissionDenied):
        RecallService(desk_ctx).add_rule(RuleInput("Desk rule", other, "6"))


def test_a_retired_type_keeps_its_rule_off_until_the_type_is_back(ctx, sched, manager_ctx):
    recalls = RecallService(manager_ctx)
    rule = recalls.retire_rule(*(lambda r: (r.id, r.version))(recalls.add_rule(RuleInput("Annual", sched["type"], 12))))
    with ctx.db.write() as session:
        session.get(AppointmentType, sched["type"]).active = False
    assert "reinstate it under Appointment types" in _refused(recalls.reinstate_rule, rule.id, rule.version)["active"]


def test_a_rule_added_recalls_a_patient_seen_longer_ago_and_a_retired_one_nobody(ctx, sched, manager_ctx, desk_ctx):
    seen = sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], dt.date(2026, 7, 6), "09:00",
                                           override_reason="past visit"))
    with ctx.db.write() as session:
        session.get(Appointment, seen.id).status = "checked_out"
    recalls = RecallService(manager_ctx)
    rule = recalls.add_rule(RuleInput("Chronic follow-up", sched["type"], "6"))
    assert RecallService(desk_ctx).recall_list() == []  # due 01/06: not within 30 days
    rule = recalls.update_rule(rule.id, rule.version, RuleInput("Chronic follow-up", sched["type"], "3"))
    [due] = RecallService(desk_ctx).recall_list()
    assert (due.patient_id, due.due_on, due.rule_name) == (sched["ann"], dt.date(2026, 10, 6), "Chronic follow-up")
    recalls.retire_rule(rule.id, rule.version)
    assert RecallService(desk_ctx).recall_list() == []


def test_the_command_line_setter_adds_then_changes_the_types_rule(sched, manager_ctx):
    recalls = RecallService(manager_ctx)
    recalls.set_recall_rule("Annual", sched["type"], 12)
    off = recalls.set_recall_rule("Yearly", sched["type"], 11, active=False)
    assert [(r.name, r.months, r.active) for r in recalls.recall_rules()] == [("Yearly", 11, False)] and not off.active
    assert recalls.set_recall_rule("Yearly", sched["type"], 11).active
    with pytest.raises(ValidationError):
        recalls.set_recall_rule("Yearly", sched["type"], 0)
