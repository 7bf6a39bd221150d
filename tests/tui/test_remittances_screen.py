"""The remittances screen (`e` in the billing queue): each posted check with its provider-level
adjustments (PLB), and for the highlighted one the payer's claim numbers and remark codes."""

from __future__ import annotations

from decimal import Decimal as D

from textual.widgets import Label

from officeconsole.demo.x835 import Clp, Svc, make_835
from officeconsole.services.billing.claims import ClaimService
from officeconsole.services.billing.remittance import RemittanceService
from officeconsole.tui.screens.remittances import RemittancesScreen
from officeconsole.tui.widgets.results_table import ResultsTable

from tests.billing_setup import make_billing
from tests.tui.conftest import login, settle


async def test_remittances_show_plb_and_each_claims_payer_number(make_app, ctx, sched, as_role, clinic, tmp_path):
    billing = make_billing(sched, as_role, clinic)
    first, second = billing.coded(), billing.coded()
    claims = ClaimService(billing.biller)
    claims.mark_all_ready()
    claims.export_837(tmp_path)
    remits = RemittanceService(billing.biller)
    remits.post_835(make_835([Clp(f"OC{first.id}", "1", [Svc("99213", D(125), D(100), 1, str(first.lines[0].id), (),
                                                             [("CO", "45", D(25))], ("N130",))])],
                             trace="CHK1", plb=[("L6", f"OC{first.id}", D("-2.10"))]))
    remits.post_835(make_835([Clp(f"OC{second.id}", "4", [Svc("99213", D(125), D(0), 1, str(second.lines[0].id),
                                                              (), [("CO", "50", D(125))])])],
                             trace="CHK2", control=6, plb=[("WO", "PAYEROC9", D(15))]))
    app = make_app()
    async with app.run_test(size=(150, 45)) as pilot:
        await login(pilot, "biller")
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, RemittancesScreen)
        table = app.screen.query_one("#remits", ResultsTable)
        assert table.row_count == 2
        assert (table.row(0)[2], table.row(0)[5], table.row(0)[7]) == ("CHK2", "-$15.00", "WO $15.00")
        assert (table.row(1)[2], table.row(1)[5], table.row(1)[7]) == ("CHK1", "$102.10", "L6 -$2.10")
        detail = app.screen.query_one("#remit-claims", ResultsTable)
        assert detail.row(0)[0] == f"OC{second.id}" and detail.row(0)[2] == "denied"
        assert "WO Overpayment recovery (PAYEROC9) $15.00" in str(app.screen.query_one("#plb", Label).render())
        await pilot.press("down")
        await settle(pilot)
        assert "L6 Interest owed" in str(app.screen.query_one("#plb", Label).render())
        assert detail.row(0)[:4] == (f"OC{first.id}", "Claimant, Carla", "primary", f"PAYEROC{first.id}")
        assert detail.row(0)[7] == "N130"
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, RemittancesScreen)
