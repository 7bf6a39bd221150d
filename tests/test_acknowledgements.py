"""999 and 277CA acknowledgements: claims move by themselves, the same file twice changes nothing,
and a file that is cut off, for another submitter or about nothing of ours posts nothing."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from officeconsole.demo.acks import ClaimAnswerSpec, make_277ca, make_999
from officeconsole.models import ArEntry, ClaimAck, ClaimAckItem, ClaimBatch, Encounter
from officeconsole.services.billing.acknowledgements import AcknowledgementService
from officeconsole.services.billing.claims import ClaimService
from officeconsole.services.formats.x12_999 import AckFileError

from tests.billing_setup import make_billing, send_two_claims

TABLES = (ClaimAck, ClaimAckItem, ArEntry)


@pytest.fixture
def billing(sched, as_role, clinic):
    return make_billing(sched, as_role, clinic)


@pytest.fixture
def sent(billing, tmp_path):
    return send_two_claims(billing, tmp_path)


def states(ctx, *ids):
    with ctx.db.read() as session:
        return [session.get(Encounter, i).status for i in ids]


def counts(ctx):
    with ctx.db.read() as session:
        return [session.scalar(select(func.count()).select_from(t)) for t in TABLES]


def rejection_file(first, second, **kw):
    return make_277ca([ClaimAnswerSpec(f"OC{first.id}", D(125), payer_claim_number="PCN1"),
                       ClaimAnswerSpec(f"OC{second.id}", D(215), "A7", "562", "85", "BILLING NPI INVALID")], **kw)


def test_277ca_accepts_one_claim_and_rejects_the_other_with_its_reason(billing, sent):
    first, second, _batch = sent
    service = AcknowledgementService(billing.biller)
    result = service.post_text(rejection_file(first, second), "ack.x12")
    assert result.kind == "277CA"
    assert [(line.outcome, line.moved) for line in result.lines] == [("accepted", True), ("rejected", True)]
    assert states(billing.biller, first.id, second.id) == ["accepted", "rejected"]
    scrubbed = ClaimService(billing.biller).scrub(second.id)
    assert scrubbed.note.startswith("277CA: A7:562:85")
    assert "National Provider Identifier" in scrubbed.note and "BILLING NPI INVALID" in scrubbed.note
    assert scrubbed.insurer_owes == 0  # the rejected claim's charges are taken back, to be sent again
    assert "1 accepted, 1 rejected; 2 moved" in result.summary()


def test_the_same_file_twice_changes_nothing(billing, sent):
    first, second, _batch = sent
    service = AcknowledgementService(billing.biller)
    text = rejection_file(first, second)
    service.post_text(text)
    before = counts(billing.biller)
    again = service.post_text(text.replace("~", "~\n"))  # line breaks do not make another file
    assert again.posted_before is not None and "nothing changed" in again.summary()
    assert counts(billing.biller) == before


def test_an_unknown_claim_is_listed_and_the_others_post(billing, sent):
    first, second, _batch = sent
    text = make_277ca([ClaimAnswerSpec(f"OC{first.id}", D(125)), ClaimAnswerSpec("OC999999", D(40))])
    result = AcknowledgementService(billing.biller).post_text(text)
    assert [line.reference for line in result.unmatched] == ["OC999999"]
    assert "no such claim here" in result.unmatched[0].message
    assert states(billing.biller, first.id) == ["accepted"]


@pytest.mark.parametrize("make, expected", [
    (lambda f, s: make_277ca([ClaimAnswerSpec("OC999999", D(40))]), "nothing in this 277CA is this clinic's"),
    (lambda f, s: rejection_file(f, s, receiver="OTHERCLINIC"), "for submitter 'OTHERCLINIC'"),
    (lambda f, s: rejection_file(f, s)[:-40], "cut off"),
    (lambda f, s: re.sub(r"SE\*\d+\*", "SE*3*", rejection_file(f, s)), "segments"),
    (lambda f, s: make_999(4242), "no file of this clinic"),
])
def test_bad_files_post_nothing(billing, sent, make, expected):
    first, second, _batch = sent
    before = counts(billing.biller)
    with pytest.raises(AckFileError, match=expected):
        AcknowledgementService(billing.biller).post_text(make(first, second))
    assert counts(billing.biller) == before
    assert states(billing.biller, first.id, second.id) == ["submitted", "submitted"]


def test_every_prefix_of_a_good_file_is_refused(billing, sent):
    first, second, _batch = sent
    text = rejection_file(first, second)
    service = AcknowledgementService(billing.biller)
    for cut in range(0, len(text) - 2, 37):
        with pytest.raises(AckFileError):
            service.post_text(text[:cut])
    assert counts(billing.biller) == [0, 0, counts(billing.biller)[2]]


def test_999_rejection_rejects_the_batch_and_acceptance_moves_nothing(billing, sent):
    first, second, batch = sent
    service = AcknowledgementService(billing.biller)
    accepted = service.post_text(make_999(batch.control_number, control=700))
    assert [line.outcome for line in accepted.lines] == ["accepted"]
    assert states(billing.biller, first.id, second.id) == ["submitted", "submitted"]
    rejected = service.post_text(make_999(batch.control_number, accepted=False, errors=(("CLM", "24", "2", "8"),)))
    assert rejected.lines[0].moved and "invalid date" in rejected.lines[0].message
    assert states(billing.biller, first.id, second.id) == ["rejected", "rejected"]
    with billing.biller.db.read() as session:
        assert session.scalar(select(ClaimBatch.id)) == batch.batch_id


def test_a_999_is_not_an_835(billing, sent):
    with pytest.raises(AckFileError, match="835 remittance"):
        AcknowledgementService(billing.biller).post_text(make_999(1).replace("GS*FA", "GS*HP"))
