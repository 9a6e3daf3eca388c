"""The board as an RSS feed for WeChat accounts and readers: the latest notices (of a street or
community with ?node=, of a kind with ?kind=), each with its period; no personal data."""

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Rss201rev2Feed

from .models import Notice
from .selectors import board, node_by_code
from .services import local_text

FEED_ITEMS = 50


class NoticeFeed(Feed):
    feed_type = Rss201rev2Feed
    title = "张榜公示"
    description = "社区和街道的议定事项、办理结果与异议期"

    def get_object(self, request, *args, **kwargs):
        kind = request.GET.get("kind", "")
        return {"node": node_by_code(request.GET.get("node", "")[:40]),
                "kind": kind if kind in ("PUBLIC", "SHARED") else ""}

    def link(self, obj) -> str:
        return reverse("notices")

    def items(self, obj):
        return board(node=obj["node"], kind=obj["kind"])[:FEED_ITEMS]

    def item_title(self, item: Notice) -> str:
        return f"【{item.node.name}】{item.title}"

    def item_description(self, item: Notice) -> str:
        parts = [f"议定事项：{item.resolution}" if item.resolution else "",
                 f"办理结果：{item.result}" if item.result else "", item.text,
                 f"异议期至 {local_text(item.objection_until)}"]
        return "\n".join(p for p in parts if p)

    def item_link(self, item: Notice) -> str:
        return reverse("notice", args=[item.pk])

    def item_pubdate(self, item: Notice):
        return item.published_at

    def item_guid(self, item: Notice) -> str:
        return f"notice-{item.pk}"

    item_guid_is_permalink = False
