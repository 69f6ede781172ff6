"""Sign-in views of the customer portal."""

from django.conf import settings
from django.contrib.auth import authenticate, login
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme


def sign_in(request):
    next_url = request.POST.get("next") or request.GET.get("next", "")
    if request.method == "POST":
        user = authenticate(request, username=request.POST["username"], password=request.POST["password"])
        if user is not None:
            login(request, user)
            if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
                return HttpResponseRedirect(next_url)  # safe: py.open-redirect
            return redirect("dashboard")  # safe: py.open-redirect
    return render(request, "accounts/sign_in.html", {"next": next_url})


def sign_out_then(request):
    target = request.GET.get("then", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = settings.LOGIN_URL
    return redirect(target)  # safe: py.open-redirect
