from django.urls import include, path


def boom(request):
    raise RuntimeError("database password is hunter2 for anna@example.com")


urlpatterns = [path("boom/", boom), path("", include("tracker.urls"))]
