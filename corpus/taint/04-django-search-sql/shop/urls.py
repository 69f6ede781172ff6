from django.urls import path

from . import views

urlpatterns = [
    path("shop/search", views.search_products, name="product-search"),
]
