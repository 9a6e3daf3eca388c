from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .forms import AdminSignInForm
from .models import User

admin.site.login_form = AdminSignInForm  # user names longer than the field refused (400 on the sign-in page)


@admin.register(User)
class SanshiUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("sanshi", {"fields": ("display_name", "is_demo")}))
    list_display = ("username", "display_name", "is_staff", "is_demo")
