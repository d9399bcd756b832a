app_name = "logbook"

urlpatterns = []
