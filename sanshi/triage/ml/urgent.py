"""Urgency (突发快响, the 1-5-10 clock): is an emergency under way that needs someone on site
within minutes?

No labelled urgent data exists, so the detector is built from the seeds' definition:
a lexicon of emergency events, looked at clause by clause, with cues that cancel an event
(hazard / prevention / question / past-tense words such as 隐患, 担心, 防止, 去年, 曾经,
请问) and cues that an event is happening now (正在, 快来, 救命, 被困, 还在 ...). These give a
handful of dense features; a logistic regression over them is trained on our curated
urgent / not-urgent sentences (seeds.py) plus the real, non-urgent training messages, so
the probability is calibrated against real message-board text.
"""

from __future__ import annotations

import math
import re

import numpy as np

EVENTS = [
    "着火", "起火", "失火", "火灾", "大火", "火势", "浓烟", "冒烟", "冒火", "火花", "爆炸", "烧起来",
    "燃气泄漏", "天然气泄漏", "煤气泄漏", "漏气", "煤气味", "燃气味", "天然气味", "泄漏",
    "被困", "困在", "卡人", "出不来", "压着人", "压住", "掉进", "掉下去", "落水", "溺水",
    "受伤", "流血", "流了很多血", "撞了", "被撞", "摔下来", "摔倒", "晕倒", "昏迷", "不省人事", "倒在",
    "打架", "打起来", "斗殴", "持刀", "拿着刀", "砍人", "行凶", "殴打", "被打伤", "打人", "抢劫",
    "跳楼", "轻生", "自杀", "呼救", "救命", "求救",
    "塌了", "倒塌", "坍塌", "塌陷", "垮塌", "滑坡", "泥石流",
    "淹了", "被淹了", "进水", "漫进", "水在涨", "还在涨", "爆裂", "喷水", "决堤", "管涌",
    "摇摇欲坠", "断了", "中毒", "窒息", "锁在车里",
]
NOW = ["正在", "现在", "刚刚", "刚才", "马上", "赶紧", "快来", "快点", "紧急", "速来", "立即", "立刻",
       "还在", "随时", "此刻", "目前还", "一直在喊", "请马上", "快派人", "来人", "急救", "救人"]
HELP = ["救命", "快来人", "救人", "呼救", "求救", "报警", "120", "119", "110", "急救"]
CANCEL = ["隐患", "担心", "防止", "预防", "以免", "避免", "如果", "万一", "一旦", "建议", "宣传", "曾",
          "以前", "去年", "前年", "上个月", "上月", "前几天", "过后", "之前", "多次", "经常", "一直没",
          "总是", "请问", "是否", "会不会", "可能会", "后果不堪设想", "年前", "月前", "当年", "当时",
          "事后", "至今", "到现在", "已经过去", "赔偿", "处理结果", "追责", "调查", "鉴定", "希望",
          "面临", "长期", "每天", "天天", "每晚", "常年", "受损", "损失", "垄断", "严重影响", "信访",
          "整天", "违规", "排放", "医疗费", "住院", "拒绝", "不处理", "污染", "治疗", "举报", "投诉"]
# compounds that contain an event word but are not events
NOT_EVENTS = ["跳楼机", "贫困人", "被打回", "排进水", "流进水", "被淹没", "断了联系", "断了线索", "火灾隐患",
              "火灾风险", "消防", "浓烟滚滚"]
# words of a complaint about something past or chronic (counted over the whole message)
COMPLAINT = ["投诉", "举报", "反映", "信访", "上访", "维权", "医疗费", "补偿", "处理结果", "不予", "答复",
             "整天", "天天", "24小时", "排放", "污染", "治疗", "住院", "拒绝", "多次", "至今", "请问", "咨询"]
_CLAUSE = re.compile(r"[。！？!?；;，,、\n]+")
_PAST_DATE = re.compile(r"\d{4}年|\d{1,2}月\d{1,2}[日号]")
_EVENT_RE = re.compile("|".join(re.escape(w) for w in EVENTS))
FEATURES = ["active", "active_first", "any_event", "cancelled", "now", "help", "past_dates", "log_len",
            "complaint"]


def _hits(clause: str, words: list[str]) -> list[str]:
    return [w for w in words if w in clause]


def features(doc: str) -> tuple[np.ndarray, list[str]]:
    """Dense urgency features of a document, and the event words found in active clauses."""
    head = doc[:80]
    text = doc[:1500]
    for w in NOT_EVENTS:
        if w in text:
            text = text.replace(w, "，")
    clauses = [c for c in _CLAUSE.split(text) if c] if _EVENT_RE.search(text) else []
    active = cancelled = anyev = 0
    evidence: list[str] = []
    active_first = 0
    for i, c in enumerate(clauses):
        ev = _hits(c, EVENTS)
        if not ev:
            continue
        anyev += 1
        if _hits(c, CANCEL):
            cancelled += 1
            continue
        active += 1
        if i < 4 or c in head:
            active_first = 1
        for w in ev:
            if w not in evidence:
                evidence.append(w)
    now = _hits(doc[:600], NOW)
    helpw = _hits(doc[:600], HELP)
    for w in now + helpw:
        if active and w not in evidence:
            evidence.append(w)
    vec = np.array([
        math.log1p(active), active_first, math.log1p(anyev), math.log1p(cancelled),
        min(len(now), 3), min(len(helpw), 2), min(len(_PAST_DATE.findall(doc[:600])), 3),
        math.log1p(len(doc)) / 4.0,
        min(sum(text.count(w) for w in COMPLAINT), 5),
    ], dtype=float)
    return vec, evidence[:5]


def feature_matrix(docs: list[str]) -> np.ndarray:
    return np.vstack([features(d)[0] for d in docs]) if docs else np.zeros((0, len(FEATURES)))
