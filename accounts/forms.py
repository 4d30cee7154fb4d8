"""Portal sign-in forms."""

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _


class EmailForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)


class PasswordSignInForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)


class NewPasswordForm(forms.Form):
    new_password1 = forms.CharField(label=_("New password"), strip=False, widget=forms.PasswordInput)
    new_password2 = forms.CharField(label=_("New password again"), strip=False, widget=forms.PasswordInput)

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("new_password1"), cleaned.get("new_password2")
        if first and second and first != second:
            raise forms.ValidationError(_("The two passwords differ."))
        if first:
            password_validation.validate_password(first)
        return cleaned
