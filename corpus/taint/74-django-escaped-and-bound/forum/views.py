"""Forum views: HTML is escaped or templated, SQL is bound, redirects stay local."""

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from forum.models import Post


def search(request):
    term = request.GET.get("q", "")
    posts = Post.objects.raw("SELECT * FROM forum_post WHERE title LIKE %s ORDER BY created DESC", ["%" + term + "%"])  # safe: py.sql-injection
    return render(request, "forum/search.html", {"term": term, "posts": posts})


def author_count(request):
    author = request.GET.get("author", "")
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM forum_post WHERE author = %s", [author])  # safe: py.sql-injection
        (count,) = cursor.fetchone()
    return JsonResponse({"author": author, "posts": count})


def greeting(request):
    name = request.GET.get("name", "guest")
    return HttpResponse("<p>Welcome back, " + escape(name) + "!</p>")  # safe: py.xss


def badge(request):
    author = request.GET.get("author", "")
    html = format_html('<span class="author">{}</span>', author)  # safe: py.xss
    return HttpResponse(mark_safe(html))  # safe: py.xss


def after_post(request):
    post_id = int(request.POST["post"])
    return redirect(reverse("forum:post", args=[post_id]) + "#comments")  # safe: py.open-redirect
