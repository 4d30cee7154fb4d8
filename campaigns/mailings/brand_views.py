"""Console: the look of every mail — the provider's logo (uploaded here) beside the name,
address, company number and support contact that the settings give."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.mail.brand import LogoInvalid, current_brand, logo_remove, logo_save
from accounts.roles import support_required


class LogoForm(forms.Form):
    logo = forms.FileField(label=gettext_lazy("Logo (PNG, JPEG or GIF, at most 300 kB)"))


@support_required
def brand_settings(request):
    form = LogoForm()
    if request.method == "POST":
        if request.POST.get("remove"):
            logo_remove()
            messages.success(request, _("The logo was removed: mails show the provider's name."))
            return redirect("console:brand")
        form = LogoForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                logo_save(data=form.cleaned_data["logo"].read())
            except LogoInvalid:
                form.add_error("logo", _("The logo must be a PNG, JPEG or GIF image of at most 300 kB."))
            else:
                messages.success(request, _("Logo saved: every mail from now on shows it."))
                return redirect("console:brand")
    return render(request, "console/mailings/brand.html", {"form": form, "brand": current_brand()})
