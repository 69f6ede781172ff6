from django.db import models


class Post(models.Model):
    title = models.CharField(max_length=200)
    body = models.TextField()
    author = models.CharField(max_length=150)
    created = models.DateTimeField(auto_now_add=True)
