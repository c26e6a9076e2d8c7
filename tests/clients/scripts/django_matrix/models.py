import uuid

from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100, unique=True)
    born = models.DateField(null=True)

    class Meta:
        ordering = ["name"]


class Book(models.Model):
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    title = models.CharField(max_length=200, db_index=True)
    price = models.DecimalField(max_digits=8, decimal_places=2)
    in_print = models.BooleanField(default=True)
    published = models.DateTimeField()
    code = models.UUIDField(default=uuid.uuid4, unique=True)
    extra = models.JSONField(default=dict)
