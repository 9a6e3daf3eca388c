from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "sanshi.registry"
    label = "registry"
    verbose_name = "组织与网格"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from .models import OrgNode
        from .selectors import forget_grid_ids

        # not business logic: keeps intake's grid-code cache in step with edits made in this process
        post_save.connect(forget_grid_ids, sender=OrgNode, dispatch_uid="registry.forget_grid_ids.save")
        post_delete.connect(forget_grid_ids, sender=OrgNode, dispatch_uid="registry.forget_grid_ids.delete")
