"""Rendering voucher PDFs in the background (queue ``pdf``): ids only, fixed-size batches."""

from celery import shared_task

from campaigns.compensation.voucher_pdf import voucher_pdfs_render


@shared_task(acks_late=True, max_retries=3, default_retry_delay=30)
def render_voucher_pdfs(voucher_ids: list[int]) -> int:
    """Render the PDFs of these vouchers that have none yet; running it twice renders nothing twice."""
    return voucher_pdfs_render(voucher_ids)
