from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import User


@admin.register(User)
class SanshiUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("sanshi", {"fields": ("display_name", "is_demo")}))
    list_display = ("username", "display_name", "is_staff", "is_demo")
