"""A believable demo region: chapters, members, 26 weeks of meetings, PALMS and slips, and
the membership applications each chapter's committee is working on.

Used by `manage.py seed_demo`. Everything is drawn from one seeded `random.Random`, so the
same options give the same data, and written with `bulk_create` so benchmark-size regions
(hundreds of chapters) load in minutes.
"""

import contextlib
import datetime
import math
import random
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from chapters.models import Chapter, Classification, Industry, TrafficLightRuleSet
from meetings.models import Attendance, Meeting, Palms, Visitor
from meetings.services import (
    feature_presenter_suggestions,
    meeting_agenda_set,
    meeting_times,
    meetings_schedule,
    next_meeting,
)
from members.audit import plain
from members.models import (
    Application,
    AuditEntry,
    Invitation,
    LeadershipRole,
    LeaveOfAbsence,
    Member,
    Role,
    User,
)
from referrals.models import CEU, OneToOne, Referral, Testimonial, ThankYou, Tier

DEMO_DOMAIN = "demo.chapterhouse.test"
ADMIN_EMAIL = f"admin@{DEMO_DOMAIN}"
PRESIDENT_EMAIL = f"president@{DEMO_DOMAIN}"
MEMBER_EMAIL = f"member@{DEMO_DOMAIN}"
DEMO_PASSWORD = "chapterhouse-demo"  # noqa: S105 - published demo password, DEBUG only
DEFAULT_SEED = 20250101
BATCH_SIZE = 2000
MIN_MEMBERS = 5
# Slips per member per held week (before each member's own activity level scales them).
REFERRAL_RATE = 0.87  # about 0.8 referrals per member per week overall, as in the real network
ONE_TO_ONE_RATE = 0.45
CEU_RATE = 0.3
THANK_YOU_RATE = 0.06  # thank-yous for repeat business, besides those for closed referrals
VISITORS_PER_MEETING = 1.3
TESTIMONIALS_PER_MEETING = 0.7
CROSS_CHAPTER_REFERRALS = 8

# (industry, classification, trade word for business names, typical closed business range)
CATALOGUE: list[tuple[str, str, str, tuple[int, int]]] = [
    ("Real Estate", "Residential Real Estate", "Estate Agents", (2500, 12000)),
    ("Real Estate", "Commercial Real Estate", "Commercial Property", (5000, 40000)),
    ("Real Estate", "Property Management", "Lettings & Management", (600, 6000)),
    ("Finance", "Mortgage Broker", "Mortgages", (500, 3500)),
    ("Finance", "Financial Planner", "Wealth Management", (1000, 8000)),
    ("Finance", "Accountant", "Accountants", (800, 9000)),
    ("Finance", "Bookkeeper", "Bookkeeping", (300, 3000)),
    ("Finance", "Tax Adviser", "Tax Advisory", (400, 5000)),
    ("Finance", "Commercial Lending", "Business Finance", (1500, 15000)),
    ("Finance", "Payroll Services", "Payroll", (500, 4000)),
    ("Insurance", "Commercial Insurance", "Insurance Brokers", (800, 12000)),
    ("Insurance", "Life & Health Insurance", "Life & Health", (300, 3000)),
    ("Insurance", "Home & Auto Insurance", "Insurance", (200, 2000)),
    ("Insurance", "Employee Benefits", "Benefits", (1500, 20000)),
    ("Legal", "Family Law", "Family Law", (1200, 8000)),
    ("Legal", "Commercial Law", "Legal", (1500, 20000)),
    ("Legal", "Wills & Estate Planning", "Wills & Estates", (400, 4000)),
    ("Legal", "Employment Law", "Employment Law", (800, 7000)),
    ("Legal", "Conveyancing", "Conveyancing", (700, 2500)),
    ("Construction & Trades", "General Contractor", "Builders", (5000, 80000)),
    ("Construction & Trades", "Electrician", "Electrical", (150, 6000)),
    ("Construction & Trades", "Plumbing & Heating", "Plumbing & Heating", (150, 7000)),
    ("Construction & Trades", "Roofing", "Roofing", (400, 18000)),
    ("Construction & Trades", "Painting & Decorating", "Decorators", (300, 8000)),
    ("Construction & Trades", "Kitchen & Bathroom Design", "Kitchens & Bathrooms", (4000, 35000)),
    ("Construction & Trades", "Landscaping", "Landscapes", (500, 20000)),
    ("Construction & Trades", "Heating & Air Conditioning", "Heating & Cooling", (300, 12000)),
    ("Construction & Trades", "Flooring", "Flooring", (500, 9000)),
    ("Construction & Trades", "Architect", "Architects", (2000, 30000)),
    ("Construction & Trades", "Windows & Doors", "Windows & Doors", (800, 15000)),
    ("Construction & Trades", "Handyman Services", "Property Maintenance", (80, 1500)),
    ("Health & Wellness", "Chiropractor", "Chiropractic", (100, 1500)),
    ("Health & Wellness", "Physiotherapist", "Physio", (80, 1200)),
    ("Health & Wellness", "Dentist", "Dental", (150, 6000)),
    ("Health & Wellness", "Personal Trainer", "Fitness", (200, 2500)),
    ("Health & Wellness", "Nutritionist", "Nutrition", (100, 1200)),
    ("Health & Wellness", "Massage Therapist", "Massage", (60, 800)),
    ("Health & Wellness", "Optician", "Eye Care", (100, 1000)),
    ("Marketing & Media", "Web Design", "Web Design", (1200, 12000)),
    ("Marketing & Media", "Digital Marketing", "Digital", (800, 15000)),
    ("Marketing & Media", "Graphic Design", "Design Studio", (300, 5000)),
    ("Marketing & Media", "Photographer", "Photography", (250, 4000)),
    ("Marketing & Media", "Videographer", "Video", (600, 9000)),
    ("Marketing & Media", "Printing & Signage", "Print & Signs", (100, 5000)),
    ("Marketing & Media", "Copywriter", "Copywriting", (200, 3000)),
    ("Marketing & Media", "Public Relations", "PR", (1000, 12000)),
    ("Marketing & Media", "Promotional Products", "Promotions", (200, 6000)),
    ("Technology", "IT Support", "IT Solutions", (500, 15000)),
    ("Technology", "Cyber Security", "Cyber Security", (1500, 20000)),
    ("Technology", "Software Development", "Software", (3000, 50000)),
    ("Technology", "Business Telecoms", "Telecoms", (400, 8000)),
    ("Technology", "Office Equipment", "Office Systems", (400, 10000)),
    ("Hospitality & Events", "Caterer", "Catering", (400, 8000)),
    ("Hospitality & Events", "Event Planner", "Events", (800, 15000)),
    ("Hospitality & Events", "Florist", "Flowers", (60, 2500)),
    ("Hospitality & Events", "Travel Agent", "Travel", (500, 9000)),
    ("Professional Services", "Business Coach", "Coaching", (800, 9000)),
    ("Professional Services", "Recruitment", "Recruitment", (2000, 18000)),
    ("Professional Services", "HR Consultant", "HR", (600, 8000)),
    ("Professional Services", "Commercial Cleaning", "Cleaning Services", (300, 12000)),
    ("Professional Services", "Translation Services", "Translations", (150, 3000)),
    ("Professional Services", "Virtual Assistant", "Admin Support", (200, 2500)),
    ("Professional Services", "Office Furniture", "Workspace", (800, 20000)),
    ("Automotive", "Car Sales", "Motors", (800, 30000)),
    ("Automotive", "Auto Repair", "Garage Services", (100, 3000)),
    ("Automotive", "Vehicle Leasing", "Leasing", (1000, 15000)),
    ("Home Services", "Domestic Cleaning", "Home Cleaning", (80, 2000)),
    ("Home Services", "Pest Control", "Pest Control", (80, 1500)),
    ("Home Services", "Locksmith", "Locks & Keys", (60, 1200)),
    ("Home Services", "Removals", "Removals", (300, 4000)),
    ("Home Services", "Interior Design", "Interiors", (1500, 25000)),
    ("Home Services", "Security Systems", "Security", (400, 9000)),
    ("Home Services", "Solar Installation", "Solar", (4000, 25000)),
    ("Retail", "Jeweller", "Jewellers", (150, 9000)),
    ("Retail", "Wine Merchant", "Wines", (100, 3000)),
]
MAX_MEMBERS = len(CATALOGUE)

FIRST_NAMES = [
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Grace", "Sophie", "Emily", "Hannah", "Chloe",
    "Priya", "Aisha", "Zara", "Fatima", "Mei", "Rosa", "Lucia", "Nadia", "Claire", "Rachel",
    "Sarah", "Laura", "Megan", "Jessica", "Naomi", "Helen", "Karen", "Denise", "Tanya", "Leah",
    "Oliver", "George", "Harry", "Jack", "Noah", "Leo", "Oscar", "Arthur", "Henry", "Thomas",
    "James", "William", "Daniel", "Samuel", "Ryan", "Marcus", "Raj", "Omar", "Tariq", "Kwame",
    "Diego", "Mateo", "Chen", "Hiroshi", "Patrick", "Sean", "Gareth", "Ian", "Craig", "Derek",
]
LAST_NAMES = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
    "Wood", "Jackson", "Clarke", "Khan", "Lewis", "Harris", "Martin", "Cooper", "King", "Baker",
    "Hughes", "Edwards", "Turner", "Hill", "Moore", "Ward", "Morris", "Campbell", "Murphy",
    "Kelly", "O'Brien", "Nguyen", "Garcia", "Martinez", "Rodriguez", "Hernandez", "Lopez",
    "Kowalski", "Novak", "Schmidt", "Rossi", "Silva", "Okafor", "Mensah", "Chowdhury", "Shah",
    "Ali", "Singh", "Kaur", "Chen", "Wang", "Tanaka", "Fischer", "Anderson", "Mitchell",
    "Bennett", "Fletcher", "Sullivan", "Reid", "Foster", "Graham", "Palmer", "Henderson",
]
BUSINESS_WORDS = [
    "Keystone", "Summit", "Oak Tree", "Blue Door", "Northgate", "Brightside", "Evergreen",
    "Cornerstone", "Redwood", "Silverline", "Fairway", "Meridian", "Bluebell", "Ironbridge",
    "Clearview", "Highpoint", "Lighthouse", "Willow", "Granite", "Riverside", "Acorn", "Beacon",
]
TARGET_MARKETS = [
    "Homeowners within 15 miles of the chapter",
    "Owner-managed businesses with 5 to 50 staff",
    "Young families and first-time buyers",
    "Professional practices: dentists, vets, solicitors and accountants",
    "Retired couples planning ahead",
    "Landlords with two or more properties",
    "Growing tech and creative agencies",
    "Restaurants, cafes and independent retailers",
    "Construction firms and trades businesses",
    "HR and operations managers at mid-size companies",
]
IDEAL_REFERRAL_OPENINGS = [
    "Someone who has just told you they are unhappy with their current",
    "A business owner who mentions they are about to need a",
    "A friend or client who keeps putting off finding a",
    "Anyone moving house or opening new premises who will need a",
]
REFERRAL_NOTES = [
    "Neighbour asked me for a recommendation - expecting your call this week.",
    "Met at the school fete; wants a quote before the end of the month.",
    "Friend's company is growing fast and needs someone they can trust.",
    "Client of mine mentioned this over coffee, happy for you to call.",
    "Spoke to them at the golf club; they've had a bad experience elsewhere.",
    "Just bought a new place and has a long list of jobs.",
    "Looking to switch supplier at renewal in six weeks.",
    "Saw your presentation mention - this is exactly your ideal client.",
    "Please call after 4pm, they're on site in the mornings.",
    "Introduced you by email this morning; they're keen.",
]
INSIDE_NOTES = [
    "I need this myself - can we talk after the meeting?",
    "For our own office: please get in touch next week.",
    "My family needs this sorted before the summer.",
    "We're ready to go ahead; send me a proposal.",
]
NOT_CLOSED_REASONS = [
    "Went with an existing supplier.",
    "Budget put on hold until next year.",
    "Project cancelled.",
    "Couldn't reach them after three attempts.",
    "Outside my service area.",
    "Price was too high for them.",
]
EDUCATION_TOPICS = [
    "Giving specific referrals: asking 'who do you know who...'",
    "Making the most of your one-to-ones",
    "Writing a memorable 60-second presentation",
    "Following up a referral within 24 hours",
    "Bringing visitors: who to invite and how",
    "Testimonials that tell a story",
    "Building a contact sphere with your power partners",
    "Tracking your TYFCB and why it matters",
    "Reading your traffic lights",
    "Asking for introductions without being pushy",
]
CEU_SOURCES = [
    "Podcast: {topic}",
    "Online training: {topic}",
    "Regional workshop: {topic}",
    "Book chapter: {topic}",
    "Education moment: {topic}",
]
TESTIMONIAL_TEMPLATES = [
    "{name} sorted out our {thing} in a week when nobody else could. Thoroughly recommend.",
    "I referred my sister to {name} and she hasn't stopped talking about the service since.",
    "{name} went above and beyond on a tricky {thing}: on time, on budget, great communication.",
    "Our clients keep thanking me for introducing them to {name}.",
    "Second time using {name} for {thing}, and just as impressed as the first.",
]
UK_LOCATIONS = [
    "Coffee at Caffe Nero, High Street", "Their office", "My office", "Zoom",
    "Breakfast at the Crown", "Walk along the river", "The Bell pub, lunchtime", "Microsoft Teams",
]
US_LOCATIONS = [
    "Coffee at Starbucks downtown", "Their office", "My office", "Zoom",
    "Breakfast at the diner", "Lunch at Portillo's", "Google Meet", "Walk in the park",
]
# Visitors whose trade is no known classification: (what they do, word in the business name).
VISITOR_TRADES = [
    ("Dog groomer", "Dog Grooming"), ("Mobile app developer", "Apps"),
    ("Wedding planner", "Weddings"), ("Private tutor", "Tutoring"), ("Yoga teacher", "Yoga"),
    ("Drone photographer", "Aerial Imaging"), ("Bike repair", "Cycles"),
    ("Skip hire", "Skip Hire"), ("Sign language interpreter", "Signing Services"),
]
APPLICATION_NOTES = [
    "Visited twice and brought a guest the second time.",
    "Keen to start straight away; has spoken to three members since visiting.",
    "Can make every meeting; references attached to the paper form.",
    "Sponsor has used them for two years and recommends them warmly.",
]
# Someone whose classification a member holds: the committee sees the conflict.
CONFLICT_NOTE = "Found us online; open to a neighbouring classification if theirs is taken."
APPROVAL_REASONS = [
    "References checked with two of their clients.",
    "Strong references; sponsor vouches for them.",
]
DECLINE_REASONS = [
    "Cannot commit to weekly attendance this year; welcome to reapply.",
    "References did not come back; welcome to reapply in three months.",
    "Their business overlaps closely with an existing member's; suggested a nearby chapter.",
]


@dataclass(frozen=True)
class ChapterTemplate:
    name: str
    region: str
    time_zone: str
    currency: str
    rule_set: str
    weekday: int
    meeting_time: datetime.time
    venue: str
    online_link: str
    towns: tuple[str, ...]
    feature_presentations: int = 1


FIRST_CHAPTERS = [
    ChapterTemplate(
        name="Thames Valley Connectors",
        region="Thames Valley",
        time_zone="Europe/London",
        currency="GBP",
        rule_set="uk-100-point",
        weekday=1,  # Tuesday
        meeting_time=datetime.time(6, 45),
        venue="The Crown Hotel, 12 Bridge Street, Reading RG1 2LR",
        online_link="https://meet.example.com/thames-valley-connectors",
        towns=("Reading", "Wokingham", "Henley", "Maidenhead", "Newbury"),
        # The demo logins' chapter hears two feature presentations a meeting; the next, one.
        feature_presentations=2,
    ),
    ChapterTemplate(
        name="Lakeshore Business Alliance",
        region="Chicagoland",
        time_zone="America/Chicago",
        currency="USD",
        rule_set="power-of-one",
        weekday=3,  # Thursday
        meeting_time=datetime.time(7, 30),
        venue="",
        online_link="https://meet.example.com/lakeshore-business-alliance",
        towns=("Lakeview", "Evanston", "Oak Park", "Lincoln Park", "Wicker Park"),
    ),
]
# Benchmark chapters: (city, region, time zone); UK ones use GBP, the others USD.
MORE_CITIES = [
    ("Manchester", "North West England", "Europe/London"),
    ("Austin", "Texas", "America/Chicago"),
    ("Leeds", "Yorkshire", "Europe/London"),
    ("Denver", "Colorado", "America/Denver"),
    ("Bristol", "South West England", "Europe/London"),
    ("Boston", "Massachusetts", "America/New_York"),
    ("Birmingham", "West Midlands", "Europe/London"),
    ("Seattle", "Washington", "America/Los_Angeles"),
    ("Edinburgh", "Scotland", "Europe/London"),
    ("Atlanta", "Georgia", "America/New_York"),
    ("Cardiff", "Wales", "Europe/London"),
    ("Minneapolis", "Minnesota", "America/Chicago"),
    ("Nottingham", "East Midlands", "Europe/London"),
    ("Phoenix", "Arizona", "America/Phoenix"),
    ("Brighton", "South East England", "Europe/London"),
    ("Nashville", "Tennessee", "America/Chicago"),
    ("Oxford", "Thames Valley", "Europe/London"),
    ("San Diego", "California", "America/Los_Angeles"),
    ("York", "Yorkshire", "Europe/London"),
    ("Charlotte", "North Carolina", "America/New_York"),
]
CHAPTER_SUFFIXES = [
    "Business Builders", "Connectors", "Referral Network", "Enterprise Club", "Professionals",
    "Achievers", "Business Alliance", "Leaders", "Partners in Business", "Success Group",
]
VENUES = [
    "The Golf Club", "Holiday Inn", "Rugby Club", "Hilton Garden Inn", "Chamber of Commerce",
    "Marriott", "Community Centre", "Cricket Club",
]
MEETING_TIMES = [
    datetime.time(6, 30), datetime.time(6, 45), datetime.time(7, 0), datetime.time(7, 15),
    datetime.time(7, 30), datetime.time(12, 0), datetime.time(18, 30),
]
# Leadership team of every demo chapter, in the order roles are handed out.
LEADERSHIP = [
    Role.PRESIDENT,
    Role.VICE_PRESIDENT,
    Role.SECRETARY_TREASURER,
    Role.VISITOR_HOST,
    Role.MEMBERSHIP_COMMITTEE,
    Role.MEMBERSHIP_COMMITTEE,
]
# Member activity levels (multiplier, share): a spread that gives every traffic-light colour.
ACTIVITY_LEVELS = [(1.6, 0.2), (1.0, 0.45), (0.55, 0.25), (0.15, 0.1)]
# PALMS odds by activity level: (A, L, M, S); the rest is P.
ABSENCE_ODDS = {1.6: (0.005, 0.01, 0.01, 0.01), 1.0: (0.02, 0.04, 0.02, 0.02),
                0.55: (0.05, 0.07, 0.03, 0.03), 0.15: (0.1, 0.1, 0.04, 0.05)}


@dataclass(eq=False)  # seats compare by identity: `partner in present`
class Seat:
    """One demo member while the region is built: the row plus how busy they are."""

    member: Member
    activity: float
    on_leave_weeks: int = 0  # the most recent weeks (counted back) spent on leave
    partners: list["Seat"] = field(default_factory=list)

    def is_away(self, week: int) -> bool:
        return week < self.on_leave_weeks


@dataclass
class ChapterPlan:
    chapter: Chapter
    template: ChapterTemplate
    seats: list[Seat]
    past: list[Meeting]  # index = weeks ago: past[0] is the most recent meeting
    held_weeks: list[int]
    vice_president: User
    visitor_host: User
    membership_committee: User
    visitors: list[Visitor] = field(default_factory=list)


@dataclass
class DemoSummary:
    chapters: list[Chapter]
    counts: dict[str, int]


def demo_is_seeded() -> bool:
    """The demo region exists once its admin login does."""
    return User.objects.filter(email=ADMIN_EMAIL).exists()


@contextlib.contextmanager
def _dated_rows(*models) -> Iterator[None]:
    """Let bulk_create keep the backdated `created_at` we set instead of stamping now.

    Demo slips must look logged over six months (lists sort by created_at); auto_now_add
    would give every row the moment of the seed.
    """
    fields = [model._meta.get_field("created_at") for model in models]
    saved = [f.auto_now_add for f in fields]
    for f in fields:
        f.auto_now_add = False
    try:
        yield
    finally:
        for f, value in zip(fields, saved, strict=True):
            f.auto_now_add = value


def demo_region_seed(
    *,
    chapters: int = 2,
    members: int = 25,
    weeks: int = 26,
    seed: int = DEFAULT_SEED,
    now: datetime.datetime | None = None,
    progress: Callable[[Iterable[int]], Iterable[int]] = lambda it: it,
) -> DemoSummary:
    """Build the demo region in one transaction; the caller checks it is not there yet."""
    if chapters < 1:
        raise ValueError("A demo region needs at least one chapter.")
    if not MIN_MEMBERS <= members <= MAX_MEMBERS:
        raise ValueError(f"Members per chapter must be between {MIN_MEMBERS} and {MAX_MEMBERS}.")
    if weeks < 1:
        raise ValueError("Weeks must be at least 1.")
    builder = _RegionBuilder(seed=seed, now=now or timezone.now(), weeks=weeks)
    with transaction.atomic(), _dated_rows(
        Chapter, Member, LeaveOfAbsence, Referral, ThankYou, OneToOne, CEU, Testimonial, Visitor,
        Application, Invitation,
    ):
        builder.catalogue()
        builder.admin()
        for index in progress(range(chapters)):
            plan = builder.chapter(index, members)
            if index == 1:
                builder.cross_chapter(builder.plans[0], plan)
        # Last, so the draws for everything above stay what they were before applications.
        builder.applications()
    return DemoSummary(chapters=[p.chapter for p in builder.plans], counts=builder.counts)


class _RegionBuilder:
    def __init__(self, *, seed: int, now: datetime.datetime, weeks: int):
        self.rng = random.Random(seed)
        self.now = now
        self.weeks = weeks
        # Hashing is slow by design: one hash for every demo account keeps big runs fast.
        self.password = make_password(DEMO_PASSWORD)
        self.names = [(first, last) for first in FIRST_NAMES for last in LAST_NAMES]
        self.plans: list[ChapterPlan] = []
        self.counts: dict[str, int] = {}
        self.classifications: dict[str, Classification] = {}
        self.amounts = {name: amounts for _, name, _, amounts in CATALOGUE}
        self.trades = {name: trade for _, name, trade, _ in CATALOGUE}
        self.rule_sets = {r.slug: r for r in TrafficLightRuleSet.objects.all()}
        self.slugs = set(Chapter.objects.values_list("slug", flat=True))

    # Shared rows -----------------------------------------------------------------------

    def catalogue(self) -> None:
        industries = {}
        for industry_name in dict.fromkeys(row[0] for row in CATALOGUE):
            industries[industry_name] = Industry.objects.get_or_create(name=industry_name)[0]
        existing = {c.name: c for c in Classification.objects.filter(
            name__in=[row[1] for row in CATALOGUE])}
        missing = [
            Classification(industry=industries[industry_name], name=name)
            for industry_name, name, _, _ in CATALOGUE
            if name not in existing
        ]
        Classification.objects.bulk_create(missing)
        self.classifications = {
            c.name: c
            for c in Classification.objects.filter(name__in=[row[1] for row in CATALOGUE])
        }

    def admin(self) -> None:
        self._users([User(
            email=ADMIN_EMAIL, first_name="Alex", last_name="Morgan", is_staff=True,
            is_superuser=True, password=self.password, date_joined=self.now,
        )])

    def _users(self, users: list[User]) -> list[User]:
        created = User.objects.bulk_create(users, batch_size=BATCH_SIZE)
        EmailAddress.objects.bulk_create(
            [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in created],
            batch_size=BATCH_SIZE,
        )
        self._count("users", len(created))
        return created

    def _count(self, name: str, number: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + number

    # One chapter -----------------------------------------------------------------------

    def chapter(self, index: int, size: int) -> ChapterPlan:
        template = self._template(index)
        slug = self._slug(template.name)
        chapter = Chapter.objects.create(
            name=template.name,
            slug=slug,
            region=template.region,
            time_zone=template.time_zone,
            meeting_weekday=template.weekday,
            meeting_time=template.meeting_time,
            venue=template.venue,
            online_link=template.online_link,
            currency=template.currency,
            feature_presentations=template.feature_presentations,
            traffic_light_rule_set=self.rule_sets.get(template.rule_set),
            created_at=self.now - datetime.timedelta(weeks=self.weeks + 30),
        )
        self._count("chapters", 1)
        seats = self._members(chapter, template, size, first=index == 0)
        vice_president, visitor_host, committee = self._leadership(chapter, seats)
        past = self._past_meetings(chapter, seats, vice_president)
        self._count("meetings", meetings_schedule(chapter=chapter, now=self.now))
        self._next_agenda(chapter)
        held_weeks = [k for k, m in enumerate(past) if m.status == Meeting.Status.HELD]
        plan = ChapterPlan(chapter, template, seats, past, held_weeks, vice_president,
                           visitor_host, committee)
        self.plans.append(plan)
        self._leaves(plan)
        self._attendance(plan)
        self._slips(plan)
        self._visitors(plan)
        return plan

    def _template(self, index: int) -> ChapterTemplate:
        if index < len(FIRST_CHAPTERS):
            return FIRST_CHAPTERS[index]
        n = index - len(FIRST_CHAPTERS)
        city, region, zone = MORE_CITIES[n % len(MORE_CITIES)]
        suffix = CHAPTER_SUFFIXES[(n // len(MORE_CITIES)) % len(CHAPTER_SUFFIXES)]
        lap = n // (len(MORE_CITIES) * len(CHAPTER_SUFFIXES))
        name = f"{city} {suffix}" + (f" {lap + 1}" if lap else "")
        uk = zone == "Europe/London"
        online = self.rng.random() < 0.25
        return ChapterTemplate(
            name=name,
            region=region,
            time_zone=zone,
            currency="GBP" if uk else "USD",
            rule_set="uk-100-point" if uk else "power-of-one",
            weekday=self.rng.randrange(5),
            meeting_time=self.rng.choice(MEETING_TIMES),
            venue="" if online else f"{self.rng.choice(VENUES)}, {city}",
            online_link=f"https://meet.example.com/{slugify(name)}" if online else "",
            towns=(city,),
            # Every third benchmark chapter: no draw from rng, so the rest stays as it was.
            feature_presentations=2 if n % 3 == 0 else 1,
        )

    def _slug(self, name: str) -> str:
        base = slugify(name)[:70]
        slug, n = base, 1
        while slug in self.slugs:
            n += 1
            slug = f"{base}-{n}"
        self.slugs.add(slug)
        return slug

    def _members(self, chapter, template, size, *, first: bool) -> list[Seat]:
        rng = self.rng
        uk = template.currency == "GBP"
        names = rng.sample(self.names, size)
        catalogue = rng.sample(CATALOGUE, size)
        today = self.now.astimezone(chapter.zone).date()
        window_start = today - datetime.timedelta(weeks=self.weeks)
        # A few members on medical leave, from the end of the list (leaders are at the front).
        on_leave = size // 12
        users, rows, seats = [], [], []
        for i, ((first_name, last_name), (_, class_name, trade, _)) in enumerate(
            zip(names, catalogue, strict=True)
        ):
            email = self._email(first_name, last_name, chapter.slug)
            if first and i == 0:
                email = PRESIDENT_EMAIL
            elif first and i == 1:
                email = MEMBER_EMAIL
            joined_on = window_start - datetime.timedelta(days=rng.randint(14, 3 * 365))
            business = self._business_name(last_name, trade, rng.choice(template.towns), uk)
            users.append(User(
                email=email, first_name=first_name, last_name=last_name, password=self.password,
                date_joined=datetime.datetime.combine(joined_on, datetime.time(9), datetime.UTC),
            ))
            away = i >= size - on_leave
            rows.append(Member(
                chapter=chapter,
                classification=self.classifications[class_name],
                business_name=business,
                phone=self._phone(uk),
                website=f"https://www.{slugify(business)}.example",
                ideal_referral=f"{rng.choice(IDEAL_REFERRAL_OPENINGS)} "
                f"{class_name.lower()}.",
                target_market=rng.choice(TARGET_MARKETS),
                status=Member.Status.ON_LEAVE if away else Member.Status.ACTIVE,
                joined_on=joined_on,
                renewal_due_on=_next_anniversary(joined_on, today),
                created_at=datetime.datetime.combine(joined_on, datetime.time(9), datetime.UTC),
            ))
            level = rng.choices([a for a, _ in ACTIVITY_LEVELS],
                                [w for _, w in ACTIVITY_LEVELS])[0]
            if first and i < 2:
                level = 1.6 if i == 0 else 1.0  # the president leads by example
            seats.append(Seat(member=rows[-1], activity=level,
                              on_leave_weeks=rng.randint(2, 6) if away else 0))
        for user, row in zip(self._users(users), rows, strict=True):
            row.user = user
        Member.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        self._count("members", len(rows))
        for seat in seats:
            others = [s for s in seats if s is not seat]
            seat.partners = rng.sample(others, min(4, len(others)))
        return seats

    def _email(self, first_name: str, last_name: str, slug: str) -> str:
        local = re.sub(r"[^a-z]", "", first_name.lower()) + "." + re.sub(
            r"[^a-z]", "", last_name.lower())
        return f"{local}@{slug}.{DEMO_DOMAIN}"

    def _business_name(self, last_name: str, trade: str, town: str, uk: bool) -> str:
        rng = self.rng
        pattern = rng.randrange(4)
        if pattern == 0:
            name = f"{last_name} {trade}"
        elif pattern == 1:
            name = f"{last_name} & {rng.choice(LAST_NAMES)} {trade}"
        elif pattern == 2:
            name = f"{rng.choice(BUSINESS_WORDS)} {trade}"
        else:
            name = f"{town} {trade}"
        suffixes = ["Ltd", "Ltd", ""] if uk else ["LLC", "Inc.", ""]
        suffix = rng.choice(suffixes)
        return f"{name} {suffix}".strip()

    def _phone(self, uk: bool) -> str:
        # Numbers reserved for drama/fiction (Ofcom 07700 900xxx, NANP 555-01xx).
        if uk:
            return f"07700 900{self.rng.randrange(1000):03d}"
        return f"(312) 555-01{self.rng.randrange(100):02d}"

    def _leadership(self, chapter: Chapter, seats: list[Seat]) -> tuple[User, User, User]:
        today = self.now.astimezone(chapter.zone).date()
        starts_on = today - datetime.timedelta(days=120)
        ends_on = starts_on + datetime.timedelta(days=364)
        # Seat 1 is the plain member login in the first chapter; members on leave hold no role.
        leaders = [s for i, s in enumerate(seats) if i != 1 and not s.on_leave_weeks]
        roles, holders = [], {}
        for n, role in enumerate(LEADERSHIP):
            seat = leaders[n % len(leaders)]
            while (seat.member.pk, role) in holders:
                n += 1
                seat = leaders[n % len(leaders)]
            holders[(seat.member.pk, role)] = seat
            roles.append(LeadershipRole(member=seat.member, role=role, starts_on=starts_on,
                                        ends_on=ends_on))
        LeadershipRole.objects.bulk_create(roles)
        self._count("leadership roles", len(roles))
        by_role = {r.role: r.member.user for r in roles}
        return (by_role[Role.VICE_PRESIDENT], by_role[Role.VISITOR_HOST],
                by_role[Role.MEMBERSHIP_COMMITTEE])

    def _past_meetings(self, chapter, seats, vice_president) -> list[Meeting]:
        rng = self.rng
        today = self.now.astimezone(chapter.zone).date()
        last = today - datetime.timedelta(days=(today.weekday() - chapter.meeting_weekday) % 7)
        if meeting_times(chapter, last)[1] > self.now:
            last -= datetime.timedelta(weeks=1)
        holiday = self.weeks // 2 if self.weeks >= 3 else None
        meetings = []
        for k in range(self.weeks):
            local_date = last - datetime.timedelta(weeks=k)
            starts_at, ends_at = meeting_times(chapter, local_date)
            meeting = Meeting(chapter=chapter, local_date=local_date, slot_date=local_date,
                              starts_at=starts_at, ends_at=ends_at)
            if k == holiday:
                meeting.status = Meeting.Status.HOLIDAY
                meeting.note = "No meeting this week: public holiday."
            else:
                meeting.status = Meeting.Status.HELD
                turn = self.weeks - k
                if chapter.feature_presentations == 2 and len(seats) > 1:
                    meeting.feature_presenter = seats[(2 * turn) % len(seats)].member
                    meeting.second_feature_presenter = seats[(2 * turn + 1) % len(seats)].member
                else:
                    meeting.feature_presenter = seats[turn % len(seats)].member
                meeting.education_moment = rng.choice(EDUCATION_TOPICS)
                if k > 0:  # the latest week's report is still being gathered
                    meeting.report_status = Meeting.ReportStatus.COMPLETED
                    meeting.report_completed_by = vice_president
                    meeting.report_completed_at = ends_at + datetime.timedelta(
                        hours=rng.randint(2, 30))
            meetings.append(meeting)
        Meeting.objects.bulk_create(meetings, batch_size=BATCH_SIZE)
        self._count("meetings", len(meetings))
        return meetings

    def _next_agenda(self, chapter: Chapter) -> None:
        """The leaders have confirmed the rotation's presenters for the next meeting."""
        meeting = next_meeting(chapter, self.now)
        if meeting is None:
            return
        presenters = feature_presenter_suggestions(meeting=meeting)
        slots = ["feature_presenter", "second_feature_presenter"]
        meeting_agenda_set(meeting=meeting, **dict(zip(slots, presenters, strict=False)))

    def _leaves(self, plan: ChapterPlan) -> None:
        """Members on leave have the open leave of absence the membership pages show."""
        rng = self.rng
        today = self.now.astimezone(plan.chapter.zone).date()
        leaves, entries = [], []
        for seat in plan.seats:
            if not seat.on_leave_weeks:
                continue
            first_missed = plan.past[min(seat.on_leave_weeks, len(plan.past)) - 1]
            starts_on = first_missed.local_date - datetime.timedelta(days=rng.randint(1, 5))
            ends_on = today + datetime.timedelta(weeks=rng.randint(2, 8))
            began_at = datetime.datetime.combine(starts_on, datetime.time(6), plan.chapter.zone)
            leaves.append(LeaveOfAbsence(
                member=seat.member, starts_on=starts_on, ends_on=ends_on,
                reason="Medical leave", began_at=began_at, created_by=plan.vice_president,
                created_at=began_at - datetime.timedelta(days=rng.randint(1, 10)),
            ))
            entries.append(AuditEntry(
                chapter=plan.chapter, member=seat.member, actor=plan.vice_president,
                action=AuditEntry.Action.LEAVE_STARTED,
                summary=f"On leave until {ends_on:%d %b %Y}",
                before={"status": Member.Status.ACTIVE.value},
                after={"status": Member.Status.ON_LEAVE.value,
                       "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()},
                at=began_at,
            ))
        LeaveOfAbsence.objects.bulk_create(leaves)
        AuditEntry.objects.bulk_create(entries)
        self._count("leaves of absence", len(leaves))

    # Weekly activity -------------------------------------------------------------------

    def _attendance(self, plan: ChapterPlan) -> None:
        rng = self.rng
        rows = []
        for k in plan.held_weeks:
            meeting = plan.past[k]
            for seat in plan.seats:
                substitute, self_checked_in = "", False
                if seat.is_away(k):
                    code = Palms.MEDICAL
                else:
                    a, late, m, s = ABSENCE_ODDS[seat.activity]
                    roll = rng.random()
                    if roll < a:
                        code = Palms.ABSENT
                    elif roll < a + late:
                        code = Palms.LATE
                    elif roll < a + late + m:
                        code = Palms.MEDICAL
                    elif roll < a + late + m + s:
                        code = Palms.SUBSTITUTE
                        substitute = " ".join(self._person_name())
                    else:
                        code = Palms.PRESENT
                    self_checked_in = code in (Palms.PRESENT, Palms.LATE) and rng.random() < 0.4
                marked_at = meeting.starts_at + datetime.timedelta(minutes=rng.randint(0, 25))
                rows.append(Attendance(
                    meeting=meeting, member=seat.member, code=code, substitute_name=substitute,
                    marked_by=seat.member.user if self_checked_in else plan.vice_president,
                    marked_at=marked_at, self_checked_in=self_checked_in,
                ))
        Attendance.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        self._count("attendance", len(rows))

    def _slips(self, plan: ChapterPlan) -> None:
        rng = self.rng
        referrals, one_to_ones, ceus, testimonials, thanks = [], [], [], [], []
        for k in plan.held_weeks:
            meeting = plan.past[k]
            present = [s for s in plan.seats if not s.is_away(k)]
            if len(present) < 2:
                continue
            for seat in present:
                for _ in range(_poisson(rng, REFERRAL_RATE * seat.activity)):
                    receiver = self._receiver(seat, present)
                    referrals.append(self._referral(plan, seat, plan, receiver, k))
                for _ in range(_poisson(rng, ONE_TO_ONE_RATE * seat.activity)):
                    other = self._receiver(seat, present)
                    one_to_ones.append(OneToOne(
                        member=seat.member, met_with=other.member,
                        met_on=meeting.local_date - datetime.timedelta(days=rng.randint(1, 6)),
                        location=rng.choice(
                            UK_LOCATIONS if plan.template.currency == "GBP" else US_LOCATIONS),
                        notes=rng.choice(["", "", "Swapped ideal referrals.",
                                          "Agreed to introduce each other to two contacts."]),
                        meeting=meeting, met_with_meeting=meeting,
                        created_at=self._logged_before(meeting),
                    ))
                if rng.random() < min(0.95, CEU_RATE * seat.activity):
                    topic = rng.choice(EDUCATION_TOPICS)
                    ceus.append(CEU(
                        member=seat.member, credits=2 if rng.random() < 0.1 else 1,
                        description=rng.choice(CEU_SOURCES).format(topic=topic),
                        earned_on=meeting.local_date - datetime.timedelta(days=rng.randint(0, 6)),
                        meeting=meeting, created_at=self._logged_before(meeting),
                    ))
                if rng.random() < THANK_YOU_RATE * seat.activity:
                    credited = self._receiver(seat, present)
                    thanks.append(ThankYou(
                        thanked_by=seat.member, credited_to=credited.member,
                        amount=self._amount(seat.member),
                        business_type=ThankYou.BusinessType.REPEAT,
                        notes="Repeat business from a client you introduced last year.",
                        meeting=meeting, credited_meeting=meeting,
                        created_at=self._logged_before(meeting),
                    ))
            for _ in range(_poisson(rng, TESTIMONIALS_PER_MEETING)):
                giver, about = rng.sample(present, 2)
                testimonials.append(Testimonial(
                    giver=giver.member, about=about.member,
                    text=rng.choice(TESTIMONIAL_TEMPLATES).format(
                        name=about.member.user.first_name,
                        thing=about.member.classification.name.lower()),
                    meeting=meeting, created_at=meeting.starts_at + datetime.timedelta(minutes=40),
                ))
        self._save_referrals(referrals, thanks)
        OneToOne.objects.bulk_create(one_to_ones, batch_size=BATCH_SIZE)
        CEU.objects.bulk_create(ceus, batch_size=BATCH_SIZE)
        Testimonial.objects.bulk_create(testimonials, batch_size=BATCH_SIZE)
        self._count("one-to-ones", len(one_to_ones))
        self._count("CEUs", len(ceus))
        self._count("testimonials", len(testimonials))

    def cross_chapter(self, first: ChapterPlan, second: ChapterPlan) -> None:
        """A handful of referrals between the two demo chapters, both ways."""
        rng = self.rng
        weeks = sorted(set(first.held_weeks) & set(second.held_weeks))
        if not weeks:
            return
        referrals = []
        for n in range(CROSS_CHAPTER_REFERRALS):
            giving, receiving = (first, second) if n % 2 == 0 else (second, first)
            k = rng.choice(weeks)
            giver = rng.choice([s for s in giving.seats if not s.is_away(k)])
            receiver = rng.choice([s for s in receiving.seats if not s.is_away(k)])
            referrals.append(self._referral(giving, giver, receiving, receiver, k))
        self._save_referrals(referrals, [])

    def _referral(self, plan, giver: Seat, receiver_plan, receiver: Seat, k: int) -> Referral:
        """A referral given at week k; older ones have moved further along the pipeline."""
        rng = self.rng
        meeting = plan.past[k]
        created_at = self._logged_before(meeting)
        if k == 0:
            status = rng.choices(["given", "contacted"], [60, 40])[0]
        elif k < 4:
            status = rng.choices(
                ["given", "contacted", "meeting_booked", "closed_won", "not_closed"],
                [15, 35, 30, 10, 10])[0]
        else:
            status = rng.choices(
                ["given", "contacted", "meeting_booked", "closed_won", "not_closed"],
                [5, 10, 15, 40, 30])[0]
        referral = Referral(
            giver=giver.member, receiver=receiver.member,
            temperature=rng.choices([1, 2, 3, 4, 5], [8, 22, 35, 25, 10])[0],
            status=status, meeting=meeting, receiver_meeting=receiver_plan.past[k],
            created_at=created_at,
        )
        if rng.random() < 0.35:
            referral.tier = Tier.INSIDE
            referral.notes = rng.choice(INSIDE_NOTES)
        else:
            referral.tier = Tier.OUTSIDE
            first_name, last_name = self._person_name()
            referral.prospect_name = f"{first_name} {last_name}"
            if rng.random() < 0.8:
                referral.prospect_phone = self._phone(plan.template.currency == "GBP")
            if not referral.prospect_phone or rng.random() < 0.5:
                referral.prospect_email = (
                    f"{first_name.lower()}.{re.sub(r'[^a-z]', '', last_name.lower())}"
                    "@example.com")
            referral.notes = rng.choice(REFERRAL_NOTES)
        if status != Referral.Status.GIVEN:
            referral.status_changed_at = min(
                self.now, created_at + datetime.timedelta(hours=rng.randint(4, 24 * 7 * max(k, 1))))
        if status == Referral.Status.NOT_CLOSED:
            referral.status_reason = rng.choice(NOT_CLOSED_REASONS)
        if status == Referral.Status.CLOSED_WON and rng.random() < 0.85:
            # Thanked at a later week's meeting: the receiver thanks the giver (TYFCB).
            j = self._held_week(receiver_plan, k - rng.randint(1, 4))
            thanked_at = receiver_plan.past[j]
            logged = created_at + (thanked_at.starts_at - created_at) * rng.uniform(0.6, 0.95)
            referral.status_changed_at = logged - datetime.timedelta(hours=1)
            referral._thank_you = ThankYou(  # saved with the referral, see _save_referrals
                thanked_by=receiver.member, credited_to=giver.member,
                amount=self._amount(receiver.member), business_type=ThankYou.BusinessType.NEW,
                notes="Thank you for the introduction!", meeting=thanked_at,
                credited_meeting=plan.past[self._held_week(plan, j)], created_at=logged,
            )
        return referral

    def _held_week(self, plan: ChapterPlan, k: int) -> int:
        """The held week nearest to k weeks ago, not in the future."""
        k = max(k, 0)
        return min(plan.held_weeks, key=lambda w: (abs(w - k), w))

    def _save_referrals(self, referrals: list[Referral], thanks: list[ThankYou]) -> None:
        Referral.objects.bulk_create(referrals, batch_size=BATCH_SIZE)
        for referral in referrals:
            thank_you = getattr(referral, "_thank_you", None)
            if thank_you is not None:
                thank_you.referral = referral
                thanks.append(thank_you)
        ThankYou.objects.bulk_create(thanks, batch_size=BATCH_SIZE)
        self._count("referrals", len(referrals))
        self._count("thank-yous (TYFCB)", len(thanks))

    def _visitors(self, plan: ChapterPlan) -> None:
        rng = self.rng
        held = {s.member.classification.name for s in plan.seats}
        open_classifications = [c for n, c in self.classifications.items() if n not in held]
        uk = plan.template.currency == "GBP"
        rows = []
        for k in plan.held_weeks:
            meeting = plan.past[k]
            present = [s for s in plan.seats if not s.is_away(k)]
            for _ in range(_poisson(rng, VISITORS_PER_MEETING)):
                first_name, last_name = self._person_name()
                sponsor = rng.choices(present, [s.activity for s in present])[0]
                classification, what = None, ""
                if open_classifications and rng.random() < 0.8:
                    classification = rng.choice(open_classifications)
                    trade = self.trades[classification.name]
                else:
                    what, trade = rng.choice(VISITOR_TRADES)
                if k == 0:
                    follow_up = Visitor.FollowUp.NEW
                elif k < 4:
                    follow_up = rng.choices(["new", "contacted", "invited"], [30, 50, 20])[0]
                else:
                    follow_up = rng.choices(
                        ["contacted", "invited", "applied", "not_interested"], [30, 20, 10, 40])[0]
                rows.append(Visitor(
                    meeting=meeting,
                    name=f"{first_name} {last_name}",
                    company=self._business_name(last_name, trade, plan.template.towns[0], uk),
                    classification=classification,
                    classification_text=what,
                    email=f"{first_name.lower()}@{slugify(last_name)}-{slugify(trade)}.example",
                    phone=self._phone(uk),
                    invited_by=sponsor.member,
                    follow_up=follow_up,
                    attended=rng.random() < 0.95,
                    created_by=plan.visitor_host,
                    created_at=meeting.starts_at + datetime.timedelta(minutes=rng.randint(5, 60)),
                ))
        Visitor.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        plan.visitors = rows
        self._count("visitors", len(rows))

    # Membership applications -----------------------------------------------------------
    #
    # Written as the services in members/membership.py leave them (audit entries, the
    # invitation of an approval, the visitor marked "Applied"), but in bulk and backdated:
    # the services stamp the moment of the seed and queue a real invitation email.

    def applications(self) -> None:
        """Every chapter's Membership Committee has applications to work."""
        applications, entries, applied = [], [], []
        for plan in self.plans:
            for application in self._applications(plan):
                applications.append(application)
                entries += self._application_audit(plan, application)
                if application.visitor is not None:
                    applied.append(application.visitor.pk)
        Invitation.objects.bulk_create(
            [a.invitation for a in applications if a.invitation is not None],
            batch_size=BATCH_SIZE,
        )
        Application.objects.bulk_create(applications, batch_size=BATCH_SIZE)
        AuditEntry.objects.bulk_create(entries, batch_size=BATCH_SIZE)
        Visitor.objects.filter(pk__in=applied).update(follow_up=Visitor.FollowUp.APPLIED)
        self._count("applications", len(applications))

    def _applications(self, plan: ChapterPlan) -> list[Application]:
        """Waiting ones (visitors' with their sponsor, and one in a classification a member
        holds), one approved whose invitation is still open, and one declined."""
        rng, now, chapter = self.rng, self.now, plan.chapter
        week_of = {meeting.pk: k for k, meeting in enumerate(plan.past)}
        # Classifications nobody else may be approved for: the members' and each open
        # application's (one application per free classification keeps the badges clear).
        used = {s.member.classification_id for s in plan.seats}
        names = {(s.member.user.first_name, s.member.user.last_name) for s in plan.seats}
        visitors = [v for v in plan.visitors
                    if v.attended and v.email and v.classification is not None]
        # Visitors of the last two months still being followed up, the most recent first.
        followed_up = [v for v in visitors if 1 <= week_of[v.meeting_id] <= 8
                       and v.follow_up != Visitor.FollowUp.NOT_INTERESTED
                       and v.follow_up != Visitor.FollowUp.APPLIED]
        # Those marked "Applied" long ago: their application was decided back then.
        applied_before = [v for v in visitors if week_of[v.meeting_id] >= 4
                          and v.follow_up == Visitor.FollowUp.APPLIED]
        applications = []

        def from_visitor(candidates, *, before: datetime.datetime) -> Application | None:
            for visitor in candidates:
                if visitor.classification_id not in used and visitor.meeting.ends_at < before:
                    candidates.remove(visitor)
                    used.add(visitor.classification_id)
                    return self._visitor_application(plan, visitor, names)
            return None

        def open_classification() -> Classification | None:
            free = [c for c in self.classifications.values() if c.pk not in used]
            if not free:
                return None
            classification = rng.choice(free)
            used.add(classification.pk)
            return classification

        def sponsored(*, visited_before, received_after, received_before) -> Application | None:
            """A visitor's application with the member who brought them as sponsor (short of
            visitors, a contact a member passed on), received in the given span and not
            before the visit."""
            application = from_visitor(followed_up, before=visited_before)
            if application is None and (classification := open_classification()):
                application = self._applicant(plan, classification, names)
                application.sponsor = rng.choice(plan.seats).member
            if application is not None:
                if application.visitor is not None:
                    received_after = max(received_after, application.visitor.meeting.ends_at)
                application.created_at = self._moment(received_after, received_before)
            return application

        # Waiting, received in the last ten days: two.
        for _ in range(2):
            waiting = sponsored(visited_before=now - datetime.timedelta(days=1),
                                received_after=now - datetime.timedelta(days=10),
                                received_before=now)
            if waiting is not None:
                applications.append(waiting)

        # Approved a few days ago: the invitation is open for the rest of the chapter's
        # approval window, so the hourly membership_dispatch does not lapse it.
        window = datetime.timedelta(days=chapter.approval_window_days)
        decided_at = now - window * rng.uniform(0.2, 0.5)
        approved = sponsored(visited_before=decided_at - datetime.timedelta(days=2),
                             received_after=decided_at - datetime.timedelta(days=12),
                             received_before=decided_at)
        if approved is not None:
            approved.status = Application.Status.APPROVED
            approved.decided_by = plan.membership_committee
            approved.decided_at = decided_at
            approved.decision_reason = rng.choice(APPROVAL_REASONS)
            approved.invitation = Invitation(
                chapter=chapter, email=approved.email, first_name=approved.first_name,
                last_name=approved.last_name, classification=approved.classification,
                business_name=approved.business_name, invited_by=plan.membership_committee,
                created_at=decided_at, expires_at=decided_at + window,
            )
            applications.append(approved)

        # Waiting too: someone whose classification a member holds, so the conflict shows.
        holder = rng.choice(plan.seats).member
        conflict = self._applicant(plan, holder.classification, names)
        conflict.note = CONFLICT_NOTE
        conflict.created_at = now - self._hours(30, 9 * 24)
        applications.append(conflict)

        # Declined weeks ago: a visitor who applied back then, or someone who wrote in.
        declined = from_visitor(applied_before, before=now)
        if declined is None:
            classification = rng.choice(list(self.classifications.values()))
            declined = self._applicant(plan, classification, names)
        received_after = (declined.visitor.meeting.ends_at if declined.visitor
                          else now - datetime.timedelta(weeks=8))
        declined.created_at = received_after + self._hours(6, 4 * 24)
        declined.status = Application.Status.DECLINED
        declined.decided_by = plan.membership_committee
        declined.decided_at = min(
            now - datetime.timedelta(hours=1),
            declined.created_at + self._hours(3 * 24, 10 * 24),
        )
        declined.decision_reason = rng.choice(DECLINE_REASONS)
        applications.append(declined)
        return applications

    def _visitor_application(
        self, plan: ChapterPlan, visitor: Visitor, names: set[tuple[str, str]]
    ) -> Application:
        """A visitor handed over to membership, as visitor_invite_to_apply records it."""
        first_name, _, last_name = visitor.name.partition(" ")
        names.add((first_name, last_name))
        return Application(
            chapter=plan.chapter, first_name=first_name, last_name=last_name or first_name,
            email=visitor.email, phone=visitor.phone,
            business_name=visitor.company or visitor.name, classification=visitor.classification,
            note=self.rng.choice(APPLICATION_NOTES), sponsor=visitor.invited_by, visitor=visitor,
            created_by=plan.visitor_host,
        )

    def _applicant(
        self, plan: ChapterPlan, classification: Classification, names: set[tuple[str, str]]
    ) -> Application:
        """Someone who applied without visiting, named like no member or other applicant."""
        rng = self.rng
        while (name := rng.choice(self.names)) in names:
            pass
        names.add(name)
        first_name, last_name = name
        uk = plan.template.currency == "GBP"
        return Application(
            chapter=plan.chapter, first_name=first_name, last_name=last_name,
            email=self._email(first_name, last_name, plan.chapter.slug), phone=self._phone(uk),
            business_name=self._business_name(
                last_name, self.trades[classification.name], rng.choice(plan.template.towns), uk),
            classification=classification, created_by=plan.membership_committee,
        )

    def _application_audit(self, plan: ChapterPlan, application: Application) -> list[AuditEntry]:
        """The entries application_create, _approve and _decline write."""
        Status, Action = Application.Status, AuditEntry.Action

        def entry(action, summary, at, actor, before, after) -> AuditEntry:
            return AuditEntry(
                chapter=plan.chapter, application=application, actor=actor, action=action,
                summary=summary[:255], at=at,
                before={key: plain(value) for key, value in before.items()},
                after={key: plain(value) for key, value in after.items()},
            )

        classification = application.classification
        entries = [entry(Action.APPLICATION_RECEIVED, f"Application received for {classification}",
                         application.created_at, application.created_by, {},
                         {"classification": classification, "status": Status.PENDING})]
        decided = {"status": application.status, "reason": application.decision_reason}
        if application.status == Status.APPROVED:
            until = plan.chapter.local(application.invitation.expires_at)
            entries.append(entry(
                Action.APPLICATION_APPROVED,
                f"Approved for {classification}; invitation valid until {until:%d %b %Y}",
                application.decided_at, application.decided_by, {"status": Status.PENDING},
                decided,
            ))
        elif application.status == Status.DECLINED:
            entries.append(entry(
                Action.APPLICATION_DECLINED, f"Declined: {application.decision_reason}",
                application.decided_at, application.decided_by, {"status": Status.PENDING},
                decided,
            ))
        return entries

    def _hours(self, low: int, high: int) -> datetime.timedelta:
        """Between low and high hours, to the minute."""
        return datetime.timedelta(minutes=self.rng.randint(low * 60, high * 60))

    def _moment(self, after: datetime.datetime, before: datetime.datetime) -> datetime.datetime:
        """A moment somewhere between the two, not at either end."""
        return after + (before - after) * self.rng.uniform(0.2, 0.8)

    # Small draws -----------------------------------------------------------------------

    def _receiver(self, giver: Seat, present: list[Seat]) -> Seat:
        """Mostly one of the giver's power partners, otherwise anyone else present."""
        partners = [p for p in giver.partners if p in present]
        if partners and self.rng.random() < 0.6:
            return self.rng.choice(partners)
        while True:
            other = self.rng.choice(present)
            if other is not giver:
                return other

    def _logged_before(self, meeting: Meeting) -> datetime.datetime:
        """Slips for a meeting are logged in the days before it."""
        return meeting.starts_at - datetime.timedelta(minutes=self.rng.randint(10, 6 * 24 * 60))

    def _amount(self, member: Member) -> Decimal:
        low, high = self.amounts.get(member.classification.name, (100, 5000))
        value = low * (high / low) ** self.rng.random()
        return Decimal(round(value / 10) * 10).quantize(Decimal("0.01"))

    def _person_name(self) -> tuple[str, str]:
        return self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)


def _poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (Knuth): how many slips a member logs in a week."""
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _next_anniversary(joined_on: datetime.date, today: datetime.date) -> datetime.date:
    """Renewal is due on the first anniversary of joining after today."""
    year = today.year
    while True:
        try:
            due = joined_on.replace(year=year)
        except ValueError:  # joined on 29 February
            due = datetime.date(year, 2, 28)
        if due > today:
            return due
        year += 1
