"""The billing queue by keyboard: the scrubber's numbered problems and their jump keys, ready,
export, posting an EOB (and a bad one), the A/R screen and a write-off from the denial list."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import update
from textual.widgets import Input, Label, Static

from officeconsole.models import ClinicSettings, Encounter
from officeconsole.services.billing.claims import ClaimService
from officeconsole.tui.modals.billing_ids_form import BillingIdsModal
from officeconsole.tui.modals.confirm import ConfirmModal
from officeconsole.tui.modals.remit_form import RemitModal
from officeconsole.tui.modals.write_off import WriteOffModal
from officeconsole.tui.screens.billing_queue import BillingQueueScreen
from officeconsole.tui.screens.coding import CodingScreen
from officeconsole.tui.screens.receivables import ReceivablesScreen
from officeconsole.tui.widgets.results_table import ResultsTable

from tests.billing_setup import make_billing
from tests.tui.conftest import login, settle, type_text


def panel(app) -> str:
    return str(app.screen.query_one("#problems", Static).render())


async def test_scrubber_problem_jump_fix_ready_and_export(make_app, ctx, sched, as_role, clinic, tmp_path,
                                                           monkeypatch):
    billing = make_billing(sched, as_role, clinic)
    monkeypatch.setattr(BillingQueueScreen, "_claims_folder", lambda self: tmp_path)
    encounter = billing.coded()
    with ctx.db.write() as session:
        session.execute(update(Encounter).where(Encounter.id == encounter.id).values(place_of_service="00"))
    app = make_app()
    async with app.run_test(size=(150, 45)) as pilot:
        await login(pilot, "biller")
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, BillingQueueScreen)
        assert " 1  Place of service 00 is not a code this clinic bills.  → coding" in panel(app)
        await pilot.press("1")
        await settle(pilot)
        assert isinstance(app.screen, CodingScreen)
        await pilot.press("o")
        await settle(pilot)
        await type_text(pilot, "11")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert "✓ Clean: r marks it ready" in panel(app)
        await pilot.press("r")
        await settle(pilot)
        assert app.screen.query_one("#claims", ResultsTable).row_count == 0  # gone from "needs coding"
        await pilot.press("s")  # needs coding -> ready
        await settle(pilot)
        assert "✓ Clean and ready" in panel(app)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await settle(pilot)
    [batch] = ClaimService(billing.biller).batches()
    assert batch.claims == 1 and batch.control_number == 1


async def test_manager_fixes_a_billing_npi_from_the_queue(make_app, ctx, sched, as_role, clinic):
    billing = make_billing(sched, as_role, clinic)
    billing.coded()
    with ctx.db.write() as session:
        session.execute(update(ClinicSettings).values(npi="1234567890"))
    app = make_app()
    async with app.run_test(size=(150, 45)) as pilot:
        await login(pilot, "manager")
        await pilot.press("f5")
        await settle(pilot)
        assert "Billing NPI 1234567890 is not a valid NPI.  → billing identities" in panel(app)
        await pilot.press("1")
        await settle(pilot)
        assert isinstance(app.screen, BillingIdsModal)
        app.screen.query_one("#npi", Input).value = "1234567891"  # still wrong: the modal says so
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, BillingIdsModal)
        app.screen.query_one("#npi", Input).value = "1234567893"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, BillingQueueScreen)
        assert "✓ Clean" in panel(app)


async def test_a_visit_not_checked_out_is_named_and_its_number_opens_check_in(make_app, sched, as_role, clinic):
    from officeconsole.tui.screens.check_in import CheckInScreen

    make_billing(sched, as_role, clinic).coded(checked_out=False)
    app = make_app()
    async with app.run_test(size=(150, 45)) as pilot:
        await login(pilot, "manager")
        await pilot.press("f5")
        await settle(pilot)
        assert (" 1  The visit is not over (arrived): a claim is made after the patient is checked out (F3, o)."
                "  → check-out (F3)") in panel(app)
        await pilot.press("1")
        await settle(pilot)
        assert isinstance(app.screen, CheckInScreen)


async def test_post_an_eob_deny_another_and_write_it_off(make_app, ctx, sched, as_role, clinic, tmp_path):
    billing = make_billing(sched, as_role, clinic)
    paid, denied = billing.coded(), billing.coded()
    claims = ClaimService(billing.biller)
    claims.mark_all_ready()
    claims.export_837(tmp_path)
    app = make_app()
    async with app.run_test(size=(150, 45)) as pilot:
        await login(pilot, "biller")
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("s", "s")  # needs coding -> ready -> submitted
        await settle(pilot)
        assert app.screen.query_one("#claims", ResultsTable).row_count == 2
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, RemitModal)
        await type_text(pilot, "CHK123")
        line = paid.lines[0].id
        app.screen.query_one(f"#paid_{line}", Input).value = "80"
        app.screen.query_one(f"#adj_{line}", Input).value = "CO45 25"  # a slip: refused, nothing posted
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RemitModal)
        assert "GROUP-REASON AMOUNT" in str(app.screen.query_one("#remit-error").render())
        app.screen.query_one(f"#adj_{line}", Input).value = "CO-45 25, PR-2 10"  # 80 + 35 != 125
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "do not add up" in str(app.screen.query_one("#remit-error").render())
        app.screen.query_one(f"#adj_{line}", Input).value = "CO-45 25, PR-2 20"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, BillingQueueScreen)
        assert app.screen.query_one("#claims", ResultsTable).row_count == 1  # paid: out of "submitted"
        await pilot.press("m")
        await settle(pilot)
        await type_text(pilot, "CHK124")
        app.screen.query_one(f"#adj_{denied.lines[0].id}", Input).value = "CO-50 125"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        assert isinstance(app.screen, ReceivablesScreen)
        denials = app.screen.query_one("#denials", ResultsTable)
        assert denials.row_count == 1 and denials.row(0)[6] == "CO-50 Not medically necessary"
        patients = app.screen.query_one("#patients", ResultsTable)
        assert patients.row(0)[0] == "Claimant, Carla" and patients.row(0)[1] == "$20.00"
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, WriteOffModal)
        await type_text(pilot, "50")
        await pilot.press("enter")
        await type_text(pilot, "appeal lost")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReceivablesScreen)
        assert app.screen.query_one("#denials", ResultsTable).row_count == 0
    scrub = ClaimService(billing.biller).scrub(denied.id)
    assert (scrub.status, scrub.insurer_owes) == ("closed", Decimal("0.00"))


async def test_code_scrub_export_post_and_aging_agree_to_the_cent(make_app, ctx, sched, as_role, clinic, tmp_path,
                                                                   monkeypatch):
    """The issue's whole path at the keyboard: code a visit, mark it ready, export (pyx12 accepts
    the file), post the insurer's payment with a contractual adjustment and the patient's share;
    the A/R screen, the claim's balance and the aging service agree to the cent."""
    from officeconsole.services.billing.ar_book import ArBook
    from officeconsole.services.billing.receivables import ReceivablesService
    from officeconsole.services.formats.x12_check import x12_errors
    from officeconsole.tui.modals.charge_form import ChargeModal
    from officeconsole.tui.modals.diagnoses_form import DiagnosesModal

    billing = make_billing(sched, as_role, clinic)
    visit = billing.visit()
    monkeypatch.setattr(BillingQueueScreen, "_claims_folder", lambda self: tmp_path)
    app = make_app()
    async with app.run_test(size=(150, 45)) as pilot:
        await login(pilot, "biller")
        await pilot.press("f5")
        await settle(pilot)
        assert "No diagnosis" in panel(app)
        await pilot.press("enter")  # code the visit
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, DiagnosesModal)
        app.screen.query_one("#dx-codes").value = "E11.9 I10"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, ChargeModal)
        app.screen.query_one("#code").value = "99214"
        app.screen.query_one("#pointers").value = "1,2"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert "✓ Clean" in panel(app)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("s")  # ready
        await settle(pilot)
        await pilot.press("x", "y")
        await settle(pilot)
        [file] = tmp_path.glob("837P-*.x12")
        assert x12_errors(file.read_text()) == [] and "CLM*OC1*185" in file.read_text()
        await pilot.press("s")  # submitted
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        await type_text(pilot, "EFT2026")
        claim = charge_line_of(ctx, visit)
        app.screen.query_one(f"#paid_{claim}", Input).value = "104.00"
        app.screen.query_one(f"#adj_{claim}", Input).value = "CO-45 55.00, PR-2 26.00"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        patients = app.screen.query_one("#patients", ResultsTable)
        assert patients.row(0)[0] == "Claimant, Carla" and patients.row(0)[-1] == "$26.00"
        assert "insurance $0.00 · patients $26.00" in str(app.screen.query_one("#ar-title").render())
    aging = ReceivablesService(billing.biller).aging()
    with ctx.db.read() as session:
        balance = ArBook(ctx, session).balance(session.get(Encounter, 1))
    assert (balance.charged, balance.insurer, balance.patient) == (Decimal("185.00"), 0, Decimal("26.00"))
    assert (aging.insurer_total, aging.patient_total) == (0, balance.patient)


def charge_line_of(ctx, visit_id: int) -> int:
    from sqlalchemy import select

    from officeconsole.models import ChargeLine
    with ctx.db.read() as session:
        return session.scalar(select(ChargeLine.id).join(Encounter, Encounter.id == ChargeLine.encounter_id)
                              .where(Encounter.appointment_id == visit_id))


async def test_actions_use_the_row_under_the_cursor_not_a_stale_result(make_app, ctx, sched, as_role, clinic):
    """A scrub result still arriving for another claim is never acted on: write-off and bill-patient
    wait for the highlighted claim's own, and an insurance problem opens the policy the claim bills."""
    import dataclasses

    from officeconsole.services.frontdesk.insurance import InsuranceService, PolicyInput

    billing = make_billing(sched, as_role, clinic)
    billing.coded()
    # A second policy that is also in force: the claim bills the primary, and the fix opens that one.
    second = InsuranceService(billing.desk).add_policy(billing.patient_id, PolicyInput(
        clinic.payer_ids["Medicare Part B (test)"], 2, "1EG4TE5MK72", effective_from="2020-01-01"))
    app = make_app()
    async with app.run_test(size=(150, 45)) as pilot:
        await login(pilot, "biller")
        await pilot.press("f5")
        await settle(pilot)
        screen = app.screen
        screen.current = dataclasses.replace(screen.current, encounter_id=-1)  # stale: another claim's
        await pilot.press("w")
        await settle(pilot)
        assert app.screen is screen  # nothing opened on the wrong claim
        billed = ClaimService(billing.biller).scrub(int(screen.query_one("#claims", ResultsTable).key_at(0)))
        assert billed.policy_id == billing.policy_id and billed.policy_id != second.id


async def test_at_80x24_the_queue_keeps_what_a_biller_needs_and_r_looks_again(make_app, ctx, sched, as_role,
                                                                                clinic):
    """At 80 columns: claim, patient, service date, state and amount in view; "1 claim", not "1 claims";
    on an empty queue `r` looks again and the rows coded since replace the empty state."""
    from officeconsole.tui.widgets.key_bar import KeyBar

    billing = make_billing(sched, as_role, clinic)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "biller")
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, BillingQueueScreen)
        assert "No claims here. r looks again" in panel(app)
        encounter = billing.coded()  # coded at another console meanwhile
        await pilot.press("r")
        await settle(pilot)
        table = app.screen.query_one("#claims", ResultsTable)
        assert table.row_count == 1 and "No claims here" not in panel(app)
        assert panel(app).startswith(f"OC{encounter.id} · Needs coding")
        title = str(app.screen.query_one("#queue-title", Label).render())
        assert title.endswith("· 1 claim")
        shown = "\n".join(line.text for line in [table.render_line(y) for y in range(2)])
        for needed in ("Claim", "Patient", "Service", "State", "Amount", "Claimant", "Needs coding", "$125.00"):
            assert needed in shown, (needed, shown)
        assert "Ready" in str(app.screen.query_one(KeyBar).render())
        await pilot.press("ctrl+l")
        await settle(pilot)
        await login(pilot, "drlee")  # a provider sees the queue but moves no claim
        await pilot.press("f5")
        await settle(pilot)
        keys = str(app.screen.query_one(KeyBar).render())
        for refused in ("Ready", "Export 837", "Post EOB", "Write off", "Bill patient", "Rejected"):
            assert refused not in keys, (refused, keys)
        assert "State" in keys


async def _paid_claim_in_the_queue(make_app, sched, as_role, clinic, tmp_path):
    from decimal import Decimal as D

    from officeconsole.demo.x835 import Clp, Svc, make_835
    from officeconsole.services.billing.remittance import RemittanceService

    billing = make_billing(sched, as_role, clinic)
    claim = billing.coded()
    ClaimService(billing.biller).mark_all_ready()
    ClaimService(billing.biller).export_837(tmp_path)
    RemittanceService(billing.biller).post_835(make_835([Clp(f"OC{claim.id}", "1", [
        Svc("99213", D(125), D(80), 1, str(claim.lines[0].id), (), [("CO", "45", D(25)), ("PR", "2", D(20))])])]))
    return billing, claim


async def _show_paid(pilot, app) -> None:
    """Signed in as the biller, the queue (F5) filtered to paid claims: the one claim is under the cursor."""
    await login(pilot, "biller")
    await pilot.press("f5")
    await settle(pilot)
    for _ in range(5):  # s: needs coding, ready, submitted, accepted, rejected, paid
        await pilot.press("s")
        await settle(pilot)
    assert app.screen.state == "paid" and len(app.screen.queue.rows) == 1


async def test_shift_c_sends_a_corrected_claim_with_its_reason(make_app, ctx, sched, as_role, clinic, tmp_path):
    billing, claim = await _paid_claim_in_the_queue(make_app, sched, as_role, clinic, tmp_path)
    app = make_app()
    async with app.run_test(size=(150, 45)) as pilot:
        await _show_paid(pilot, app)
        await pilot.press("C")
        await settle(pilot)
        assert "Corrected claim: OC" in str(app.screen.query_one("#reason-title", Label).render())
        await type_text(pilot, "wrong level of visit")
        await pilot.press("enter")
        await settle(pilot)
    with ctx.db.read() as session:
        encounter = session.get(Encounter, claim.id)
        assert (encounter.status, encounter.claim_frequency, encounter.replaces_claim_number) == (
            "needs_coding", "7", f"PAYEROC{claim.id}")


async def test_shift_v_voids_a_paid_claim_with_its_reason(make_app, ctx, sched, as_role, clinic, tmp_path):
    billing, claim = await _paid_claim_in_the_queue(make_app, sched, as_role, clinic, tmp_path)
    app = make_app()
    async with app.run_test(size=(150, 45)) as pilot:
        await _show_paid(pilot, app)
        await pilot.press("V")
        await settle(pilot)
        await pilot.press("enter")  # no reason: nothing happens
        await settle(pilot)
        await type_text(pilot, "billed to the wrong patient")
        await pilot.press("enter")
        await settle(pilot)
    with ctx.db.read() as session:
        encounter = session.get(Encounter, claim.id)
        assert (encounter.status, encounter.claim_frequency) == ("ready", "8")


async def test_every_state_count_shows_at_80_columns_and_the_amounts_when_there_is_room(make_app, sched, as_role,
                                                                                      clinic):
    """A busy queue's nine state counts with their amounts take four lines at 80 columns: the
    counts alone are shown there, every state in view; widened, the amounts come back."""
    from officeconsole.models.billing import EncounterStatus
    from officeconsole.services.billing.encounters import Queue

    make_billing(sched, as_role, clinic).coded()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "biller")
        await pilot.press("f5")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BillingQueueScreen)
        assert str(screen.query_one("#queue-counts", Label).render()) == "Needs coding 1 ($125.00)"  # fits
        busy = Queue([], {state.value: (1234, Decimal("123456.00")) for state in EncounterStatus})
        screen._show(busy)
        await settle(pilot)
        shown = str(screen.query_one("#queue-counts", Label).render())
        assert "$" not in shown and shown.endswith("Closed (30 days) 1234") and shown.count("1234") == 9
        title = str(screen.query_one("#queue-title", Label).render())  # the filters whole, without key hints
        assert title == "Needs coding · payer all · provider all · any age · 0 claims"
        assert screen.query_one("#queue-counts", Label).size.height <= BillingQueueScreen.COUNT_LINES
        await pilot.resize_terminal(160, 48)
        await settle(pilot)
        assert str(screen.query_one("#queue-counts", Label).render()).count("($123,456.00)") == 9
        assert str(screen.query_one("#queue-title", Label).render()).startswith("Billing queue · Needs coding (s) · ")
