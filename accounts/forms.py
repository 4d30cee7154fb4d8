"""Portal sign-in forms."""

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password
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
        super().clean()
        cleaned = self.cleaned_data
        first, second = cleaned.get("new_password1"), cleaned.get("new_password2")
        if first and second and first != second:
            raise forms.ValidationError(_("The two passwords differ."))
        if first:
            password_validation.validate_password(first)
        return cleaned


class ChangePasswordForm(NewPasswordForm):
    """For a signed-in contact: the current password too, when there is one."""

    current_password = forms.CharField(
        label=_("Current password"), strip=False, widget=forms.PasswordInput, required=False
    )

    def __init__(self, *args, contact, **kwargs):
        super().__init__(*args, **kwargs)
        self.contact = contact

    def clean_current_password(self):
        current = self.cleaned_data.get("current_password", "")
        if self.contact.password and not check_password(current, self.contact.password):
            raise forms.ValidationError(_("The current password is wrong."))
        return current
