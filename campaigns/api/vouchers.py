"""Vouchers for billing: look a code up, redeem it in a chosen form exactly once, list changes."""

from __future__ import annotations

from django.http import Http404
from ninja import Header, Query, Router, Status
from pydantic import Field

from campaigns.api import selectors
from campaigns.api.auth import actor, scoped
from campaigns.api.idempotency import idempotent_call, request_digest
from campaigns.api.problems import Conflict, Invalid, NotFound, errors, problem_response
from campaigns.api.reads import Paging
from campaigns.api.schemas import InSchema, PageMeta, VoucherOut
from campaigns.compensation.codes import normalize_code
from campaigns.compensation.models import Voucher
from campaigns.portal.redemption import (
    RedemptionError,
    RedemptionFormNotOffered,
    VoucherInvalid,
    voucher_redeem,
)

router = Router(tags=["vouchers"], auth=scoped("vouchers"))
AUTH_ERRORS = (401, 403, 429)


class VoucherPage(PageMeta):
    items: list[VoucherOut]


class RedeemIn(InSchema):
    form: str = Field(
        description="What the portal offers: balance, donation, extension:<account name> or partner:<pool id>",
        max_length=100,
    )


def _voucher(code: str) -> dict:
    row = selectors.voucher_by_code(code)
    if row is None:
        raise Http404
    return row


@router.get("/vouchers/", response={200: VoucherPage, **errors(*AUTH_ERRORS, 422)})
def list_vouchers(request, paging: Query[Paging]):
    """Vouchers issued, redeemed, expired or voided at or after ``updated_since``, oldest first."""
    result = selectors.page(selectors.vouchers_since(paging.updated_since), limit=paging.limit, offset=paging.offset)
    result["items"] = [selectors.voucher_dict(v) for v in result["items"]]
    return result


@router.get("/vouchers/{code}/", response={200: VoucherOut, **errors(*AUTH_ERRORS, 404)})
def get_voucher(request, code: str):
    """A voucher by its code (with or without dashes, any case)."""
    return selectors.voucher_dict(_voucher(code))


@router.post(
    "/vouchers/{code}/redeem/",
    response={200: VoucherOut, **errors(400, *AUTH_ERRORS, 404, 409, 422)},
)
def redeem_voucher(
    request,
    code: str,
    payload: RedeemIn,
    idempotency_key: str = Header(..., alias="Idempotency-Key", min_length=1, max_length=200),
):
    """Redeem the voucher as ``form``. A retry with the same ``Idempotency-Key`` gets the first
    answer again (also when that was an error); the voucher is redeemed at most once in any case."""

    def perform() -> dict:
        normal = normalize_code(code)
        voucher = Voucher.objects.select_related("customer").filter(code=normal).first() if normal else None
        if voucher is None:
            raise NotFound("No voucher has this code.")
        try:
            voucher = voucher_redeem(
                customer=voucher.customer,
                code=voucher.code,
                form=payload.form,
                actor_label=actor(request).get_username(),
            )
        except VoucherInvalid as exc:
            raise NotFound(str(exc.message)) from None
        except RedemptionFormNotOffered as exc:
            raise Invalid(str(exc.message)) from None
        except RedemptionError as exc:
            raise Conflict(str(exc.message)) from None
        return VoucherOut(**selectors.voucher_dict(_voucher(voucher.code))).model_dump(mode="json")

    status, body = idempotent_call(
        token=request.auth,
        key=idempotency_key,
        digest=request_digest(request.method, request.path, request.body),
        perform=perform,
    )
    if status >= 400:
        return problem_response(status, body.get("detail", ""), type_=body.get("type", "about:blank"))
    return Status(status, body)
