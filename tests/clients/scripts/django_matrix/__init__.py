"""The Django app of tests/clients/scripts/django_steps.py: models as a project would write
them; makemigrations writes their migration at run time."""
