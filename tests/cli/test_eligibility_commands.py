"""`officeconsole billing eligibility --date D` and `billing post-271 FILE`."""

from __future__ import annotations

from officeconsole.demo.eligibility import MemberAnswerSpec, make_271
from officeconsole.services.formats.x12_270 import trace_number
from officeconsole.services.frontdesk.eligibility import EligibilityService

from tests.billing_setup import make_billing
from tests.factories import register


def test_eligibility_writes_the_270_and_post_271_posts_the_answer(cli, db_url, sched, as_role, clinic, tmp_path):
    billing = make_billing(sched, as_role, clinic)
    billing.visit(checked_out=False)
    billing.visit(register(billing.desk, first_name="Sam", last_name="Selfpay").id, checked_out=False)
    out = tmp_path / "out"
    written = cli("--db", db_url, "billing", "eligibility", "--date", f"{billing.desk.today():%Y-%m-%d}", "--out", str(out), "--as", "desk")
    assert written.exit_code == 0, written.text
    assert "1 policies asked about, 1 patients skipped." in written.stdout and "Selfpay" in written.stdout
    [file] = list(out.glob("270-*.x12"))
    control = int(file.name.split("-")[1])
    answer = tmp_path / "answer.271"
    answer.write_text(make_271([MemberAnswerSpec("XYZ123456", trace_number(control, billing.policy_id))]))
    posted = cli("--db", db_url, "billing", "post-271", str(answer), "--as", "desk")
    assert posted.exit_code == 0, posted.text
    assert "1 policies, 1 active, 0 inactive." in posted.stdout and "copay $25.00" in posted.stdout
    again = cli("--db", db_url, "billing", "post-271", str(answer), "--as", "desk")
    assert again.exit_code == 0 and "nothing changed" in again.stdout
    cut = tmp_path / "cut.271"
    cut.write_text(answer.read_text()[:300])
    refused = cli("--db", db_url, "billing", "post-271", str(cut), "--as", "desk")
    assert refused.exit_code == 1 and "Nothing was posted" in refused.stderr and "Traceback" not in refused.text
    assert len(EligibilityService(billing.desk).latest(billing.patient_id)) == 1
    bad_day = cli("--db", db_url, "billing", "eligibility", "--date", "someday", "--as", "desk")
    assert bad_day.exit_code != 0 and "--date" in bad_day.text and "Traceback" not in bad_day.text
