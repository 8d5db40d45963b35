from django.urls import path

from reports.paybands import views

urlpatterns = [
    path("cycles/<int:pk>/pay-bands/", views.PayBandsView.as_view(), name="pay-bands"),
    path(
        "cycles/<int:pk>/pay-bands/rewards/",
        views.RewardAddView.as_view(),
        name="pay-reward-add",
    ),
    path(
        "cycles/<int:pk>/pay-bands/rewards/decide/",
        views.RewardDecideView.as_view(),
        name="pay-reward-decide",
    ),
    path(
        "cycles/<int:pk>/pay-bands/xlsx/",
        views.PayBandsWorkbookView.as_view(),
        name="pay-bands-xlsx",
    ),
    path("cycles/<int:pk>/pay-bands/pdf/", views.PayBandsPdfView.as_view(), name="pay-bands-pdf"),
]
