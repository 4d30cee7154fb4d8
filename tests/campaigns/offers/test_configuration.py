"""Four eyes on the forms of compensation (the shared mechanism of ``campaigns.audit.four_eyes``):
one finance user proposes, another approves; only then does the portal offer them (and the API
report them). The proposer may withdraw, not approve."""

import pytest
from django.contrib.auth.models import Group

from campaigns.models import AuditEntry, Incident, OfferSettings
from campaigns.offers.configuration import (
    APPROVE,
    REJECT,
    WITHDRAW,
    DecisionRefused,
    OffersInvalid,
    offer_decide,
    offer_in_force,
    offer_may,
    offer_propose,
)
from tests.campaigns.offers.world import upload
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_finance_user(django_user_model):
    user = django_user_model.objects.create_user("controller", "controller@example.ch", "pw", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="finance")[0])
    return user


def _propose(incident, by, forms=("balance", "partner", "donation")):
    return offer_propose(incident=incident, forms=list(forms), partners=["Digitec"], organisation="Glückskette", by=by)


def test_a_proposal_waits_for_a_second_finance_user(finance_user, second_finance_user):
    incident = IncidentFactory(redemption_options=["balance"])
    upload()
    proposal = _propose(incident, finance_user)

    assert offer_in_force(incident).forms == ("balance",)  # nothing changes before approval
    assert not offer_may(finance_user, proposal, APPROVE) and offer_may(finance_user, proposal, WITHDRAW)
    with pytest.raises(DecisionRefused):
        offer_decide(proposal=proposal, by=finance_user, decision=APPROVE)
    assert OfferSettings.objects.get().status == "pending"

    assert offer_may(second_finance_user, proposal, APPROVE)
    offer_decide(proposal=proposal, by=second_finance_user, decision=APPROVE)

    offer = offer_in_force(incident)
    assert (offer.forms, offer.partners, offer.organisation) == (
        ("balance", "partner", "donation"), ("Digitec",), "Glückskette",
    )  # fmt: skip
    assert Incident.objects.get(pk=incident.pk).redemption_options == ["balance", "partner", "donation"]
    entries = AuditEntry.objects.filter(action__startswith="offers.").order_by("id")
    assert list(entries.values_list("action", "actor__username")) == [
        ("offers.propose", "financier"),
        ("offers.approve", "controller"),
    ]


def test_a_newer_approval_is_in_force(finance_user, second_finance_user):
    incident = IncidentFactory()
    upload()
    offer_decide(proposal=_propose(incident, finance_user), by=second_finance_user, decision=APPROVE)
    later = _propose(incident, second_finance_user, forms=["donation", "balance"])
    offer_decide(proposal=later, by=finance_user, decision=APPROVE)

    assert offer_in_force(incident).forms == ("donation", "balance")
    assert Incident.objects.get(pk=incident.pk).redemption_options == ["donation", "balance"]


def test_support_may_neither_propose_nor_decide(support_user, finance_user):
    incident = IncidentFactory()
    with pytest.raises(OffersInvalid):
        _propose(incident, support_user)
    proposal = _propose(incident, finance_user, forms=["balance"])
    for decision in (APPROVE, REJECT, WITHDRAW):
        with pytest.raises(DecisionRefused):
            offer_decide(proposal=proposal, by=support_user, decision=decision)
    assert OfferSettings.objects.get().status == "pending"


@pytest.mark.parametrize(
    ("decider", "decision", "status"), [("other", REJECT, "rejected"), ("self", WITHDRAW, "withdrawn")]
)
def test_a_rejected_or_withdrawn_proposal_changes_nothing(finance_user, second_finance_user, decider, decision, status):
    incident = IncidentFactory(redemption_options=["balance"])
    proposal = _propose(incident, finance_user, forms=["donation"])
    offer_decide(proposal=proposal, by=second_finance_user if decider == "other" else finance_user, decision=decision)
    assert OfferSettings.objects.get().status == status
    assert offer_in_force(incident).forms == ("balance",)
    assert Incident.objects.get(pk=incident.pk).redemption_options == ["balance"]


@pytest.mark.parametrize(
    ("forms", "partners", "organisation", "message"),
    [
        ([], [], "", "Offer at least one form."),
        (["balance", "balance"], [], "", "Unknown or repeated form."),
        (["cash"], [], "", "Unknown or repeated form."),
        (["partner"], [], "", "Name at least one partner for partner vouchers."),
        (["partner"], ["Nobody"], "", "No code pool exists for: Nobody."),
        (["donation"], [], " ", "Name the organisation that receives donations."),
    ],
)
def test_impossible_proposals_are_refused(finance_user, forms, partners, organisation, message):
    incident = IncidentFactory()
    with pytest.raises(OffersInvalid) as refused:
        offer_propose(incident=incident, forms=forms, partners=partners, organisation=organisation, by=finance_user)
    assert str(refused.value) == message
    assert not OfferSettings.objects.exists()


def test_one_proposal_at_a_time(finance_user):
    incident = IncidentFactory()
    _propose(incident, finance_user, forms=["balance"])
    with pytest.raises(OffersInvalid):
        _propose(incident, finance_user, forms=["balance"])
    assert OfferSettings.objects.count() == 1
