"""The provider's logo as mails show it: public (a mail client fetches it without a session),
cached, its version in the URL (``accounts.mail.brand``)."""

from django.http import FileResponse, Http404

from accounts.mail.brand import logo_file


def brand_logo(request):
    found = logo_file()
    if found is None:
        raise Http404("no logo uploaded")
    path, content_type = found
    response = FileResponse(path.open("rb"), content_type=content_type)
    response["Cache-Control"] = "public, max-age=604800"  # the URL changes with the file
    return response
