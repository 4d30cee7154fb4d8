"""Rate limits count by the real client address behind the proxy, and staff sign-in locks."""

import pytest
from django.test import Client
from django.urls import reverse

from campaigns.models import Voucher
from tests.campaigns.portal.test_views import signed_in
from tests.factories import AffectedCustomerFactory
from tests.signin import private_cache

pytestmark = pytest.mark.django_db
PROXY = "10.0.0.2"  # every request reaches Django from the proxy


@pytest.fixture(autouse=True)
def _private_cache(settings):
    private_cache(settings)


def test_behind_a_proxy_one_customer_s_wrong_codes_do_not_lock_out_everyone(settings):
    # given one proxy in front of Django and a limit of 3 wrong codes per client address
    settings.TRUSTED_PROXY_COUNT = 1
    settings.HOSTNOTIFY = {**settings.HOSTNOTIFY, "PORTAL_CODE_ATTEMPTS": 3}
    guesser, other = (
        AffectedCustomerFactory(with_voucher=True, pdf=True),
        AffectedCustomerFactory(with_voucher=True, pdf=True),
    )
    guessing = signed_in(guesser.contact, "en")
    url = reverse("portal:redeem_code")
    for wrong in ["ABCD-EFGH-JKLM-NPQR", "2222-3333-4444-5555", "9999-8888-7777-6666"]:
        guessing.post(url, {"code": wrong}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7")
    # when another customer at another address enters their code through the same proxy
    response = signed_in(other.contact, "en").post(
        url, {"code": other.voucher.code}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.20"
    )
    # then it is accepted; the guesser stays limited, also when claiming another address on the left
    assert response.status_code == 302
    limited = guessing.post(
        url, {"code": guesser.voucher.code}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7"
    )
    assert limited.status_code == 429
    assert Voucher.objects.get(pk=guesser.voucher.pk).status == "issued"


def _sign_in(client: Client, password: str, address: str = "198.51.100.7"):
    return client.post(
        reverse("console:login"), {"username": "supporter", "password": password}, REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=address,
    )  # fmt: skip


def test_staff_sign_in_locks_after_repeated_failures(settings, support_user):
    # given the shipped limit (5) behind one proxy
    settings.TRUSTED_PROXY_COUNT = 1
    client = Client()
    # when five wrong passwords are tried
    answers = [_sign_in(client, f"wrong-{n}").status_code for n in range(5)]
    # then each of them got the sign-in form back, and now even the right password is refused
    assert answers == [200, 200, 200, 200, 429]
    locked = _sign_in(client, "pw-support-1")
    assert locked.status_code == 429
    assert b'data-test="signin-locked"' in locked.content
    assert "_auth_user_id" not in client.session
    # and the user name is locked from any other address too
    assert _sign_in(Client(), "pw-support-1", address="203.0.113.20").status_code == 429


def test_staff_sign_in_counts_by_the_client_not_the_proxy(settings, support_user, django_user_model):
    # given one proxy, and someone who locked out their own address with wrong passwords for another user
    settings.TRUSTED_PROXY_COUNT = 1
    django_user_model.objects.create_user("finance1", password="pw-finance-1", is_staff=True)
    for n in range(5):
        Client().post(
            reverse("console:login"), {"username": "finance1", "password": f"wrong-{n}"}, REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR="198.51.100.66",
        )  # fmt: skip
    # when a colleague signs in through the same proxy from their own address
    response = _sign_in(Client(), "pw-support-1", address="203.0.113.20")
    # then they get in
    assert response.status_code == 302
