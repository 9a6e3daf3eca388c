from datetime import datetime

from ninja import Field, Schema

from sanshi.core.schemas import ErrorOut, router_errors  # noqa: F401  (the routers' shared answers)


class RequestIn(Schema):
    text: str = Field(..., description="诉求内容，必填，最多4000字")
    title: str = ""
    channel: str = Field("web", description="来源渠道编码，如 web、hotline、qr_door_plate、grid_patrol")
    grid: str = Field("", description="网格编码")
    address: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""


class SuggestionOut(Schema):
    kind: str | None
    catalogue_code: str | None
    confidence: float
    evidence: list[str] = []
    method: str = "keywords"
    manual: bool = False
    reason: str = ""


class RequestCreated(Schema):
    id: int
    tracking_code: str | None = Field(None, description="查询码：给居民和热线系统；工作人员代登记时为空（短信或回执单交给居民）")
    status: str
    suggestion: SuggestionOut




class PublicEvent(Schema):
    action: str
    at: datetime
    to: str
    by: str
    note: str


class TrackOut(Schema):
    tracking_code: str
    case_number: str | None
    status: str
    status_label: str
    kind: str | None
    body: str | None
    body_label: str | None
    timeline: list[PublicEvent]
    feedback: str = ""
    can_rate: bool = False


class TokenIn(Schema):
    username: str
    password: str
    otp: str = ""  # the authenticator's one-time code; required when SANSHI_REQUIRE_OTP is on


class TokenOut(Schema):
    token: str
    expires_at: datetime


class EventOut(Schema):
    action: str
    from_: str = Field(..., alias="from")
    to: str
    actor: str
    at: datetime
    note: str
    public_note: str = ""


class WhistleOut(Schema):
    department: str
    department_name: str
    called_at: datetime
    reported_at: datetime | None
    report: str


class ClockOut(Schema):
    name: str = Field(..., description="dispatch | arrive | result（突发快响 1-5-10）")
    due_at: datetime
    done_at: datetime | None
    breached: bool


class CaseOut(Schema):
    id: int
    number: str | None
    title: str
    status: str
    kind: str | None
    catalogue_code: str | None
    catalogue_version: int | None
    level: str | None
    body: str | None
    org: str | None
    org_name: str | None
    grid: str | None
    urgent: bool
    escalations: int
    resolution: str
    result: str
    notice: str
    allowed_actions: list[str]
    whistle_calls: list[WhistleOut]
    events: list[EventOut]
    clocks: list[ClockOut] = []


class CaseSummary(Schema):
    id: int
    number: str | None
    title: str
    status: str
    kind: str | None
    body: str | None
    org: str | None


class TransitionIn(Schema):
    action: str = Field(..., description="triage | deliberate | resolve | whistle | department_report | "
                                         "publicise | request_evaluation | evaluate | merge")
    kind: str = ""
    catalogue_code: str = ""
    grid: str = ""
    reason: str = ""
    urgent: bool = False
    department: str = Field("", description="triage: the district department code the matter concerns")
    meeting: int | None = None
    resolution: str = ""
    votes_for: int | None = Field(None, ge=0)
    votes_against: int | None = Field(None, ge=0)
    departments: list[str] = []
    report: str = ""
    result: str = ""
    notice: str = ""
    rating: str = ""
    comment: str = ""
    into: int | None = Field(None, description="merge: the open case this request repeats")


class ParticipantIn(Schema):
    role: str
    name: str


class MeetingIn(Schema):
    org: str = Field(..., description="召开议事会的组织节点编码")
    body: str
    title: str
    form: str = "meeting"
    scheduled_at: datetime
    place: str = ""
    participants: list[ParticipantIn]
    cases: list[int] = []


class MeetingOut(Schema):
    id: int
    body: str
    org: str
    title: str
    form: str
    scheduled_at: datetime
    cases: list[int]


class CatalogueItemOut(Schema):
    code: str
    kind: str
    name: str
    description: str
    examples: list[str]
    keywords: list[str]
    deadline_days: int
    version: int


class SimilarOut(Schema):
    id: int
    number: str | None
    title: str
    status: str
    score: float
