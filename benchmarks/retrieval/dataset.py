"""Generates the synthetic multi-session conversations and the questions about them, as one JSON file.

    python benchmarks/retrieval/dataset.py [--users 50] [--seed 7] [--out benchmarks/retrieval/data/dataset.json]
                                           [--extra-asides 0]

Deterministic for a seed. Every message of every session (the user's and the
assistant's) is a stored memory with its session, position and time; each
question names the memories that answer it (its evidence) and a category:

  single_hop   the fact said outright; the question shares its key words
  paraphrase   the fact said outright; the question shares few of its words
  next_turn    the fact is the user's reply to the assistant's question, one turn
               after the lead-in and the question that carry the subject's words
  update       the fact changed later; the evidence is the newer turn, the older stays stored
  episodic     one happening among many about the same pet, child, friend...; the question names
               the subject and a word of the happening
  temporal     "when did I ...": the evidence is the turn of the day it happened
  date_lookup  an event that repeats (gigs, hikes...), asked by its month or date
  multi        several turns together answer it (hobbies told in different sessions)

Prints summary counts as JSON.
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import re
import statistics
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.retrieval import topics, vocab
from benchmarks.retrieval.persona import distractor_slots, make_persona

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "dataset.json"
SPLITS = ("dev", "heldout")


@dataclass(frozen=True)
class Line:
    """One message of an episode; `mark` names it for the questions it answers."""

    role: str
    text: str
    mark: str | None = None


@dataclass(frozen=True)
class PlannedQuestion:
    text: str
    category: str
    marks: tuple[str, ...]
    answer: str  # "{date}" stands for the date of the first evidence turn


@dataclass
class UserPlan:
    """A user's sessions (dates and the episodes of each) and the questions about them."""

    user_id: str
    persona: dict[str, str]
    dates: list[datetime]
    episodes: list[list[list[Line]]] = field(default_factory=list)
    questions: list[PlannedQuestion] = field(default_factory=list)

    def add(self, session: int, episode: list[Line]) -> None:
        self.episodes[session].append(episode)


def fill(template: str, slots: dict[str, str]) -> str:
    """The template with its slots filled, "a" before a vowel made "an", the first letter a capital."""
    text = re.sub(r"\b([Aa]) (?=[aeiouAEIOU])", r"\1n ", template.format(**slots))
    return text[0].upper() + text[1:]


def ask(rng: random.Random, question: str) -> str:
    """The question as a user would say it to a voice assistant."""
    wrapper = rng.choice(topics.QUESTION_WRAPPERS)
    return wrapper.format(q=question, ql=question[0].lower() + question[1:])


def date_words(when: datetime) -> dict[str, str]:
    return {
        "day": str(when.day),
        "month": vocab.MONTHS[when.month - 1],
        "year": str(when.year),
        "weekday": vocab.WEEKDAYS[when.weekday()],
    }


def said(rng: random.Random, text: str, mark: str | None = None) -> Line:
    """A user turn: the point, often wrapped in an aside or two (what makes dense similarity harder)."""
    roll, parts = rng.random(), [text]
    for _ in range(0 if roll < 0.25 else 1 if roll < 0.7 else 2):
        aside = rng.choice(vocab.ASIDES)
        parts = [aside, *parts] if rng.random() < 0.5 else [*parts, aside]
    return Line("user", " ".join(parts), mark)


def ack(rng: random.Random) -> Line:
    """The assistant's reply: generic, sometimes with a follow-up question (never repeating the user's fact)."""
    reply = rng.choice(vocab.ASSISTANT_REPLIES)
    if rng.random() < 0.3:
        reply += " " + rng.choice(vocab.ASSISTANT_FOLLOW_UPS)
    return Line("assistant", reply)


def tell_topic(rng: random.Random, plan: UserPlan, topic: topics.Topic, session: int) -> None:
    """The fact said outright (single_hop or paraphrase question) or as an answer (next_turn)."""
    slots, mark = plan.persona, topic.key
    if rng.random() < 0.4:
        episode = [
            said(rng, fill(rng.choice(topic.lead_ins), slots)),
            Line("assistant", fill(rng.choice(topic.prompts), slots)),
            said(rng, fill(rng.choice(topic.answers), slots), mark),
            Line("assistant", rng.choice(["Good to know!", "Got it, thanks.", "Lovely.", "Noted.", "Ah, nice."])),
        ]
        question, category = rng.choice(topic.direct_questions + topic.paraphrases), "next_turn"
    else:
        episode = [said(rng, fill(rng.choice(topic.statements), slots), mark), ack(rng)]
        category = rng.choice(["single_hop", "paraphrase"])
        question = rng.choice(topic.direct_questions if category == "single_hop" else topic.paraphrases)
    plan.add(session, episode)
    plan.questions.append(
        PlannedQuestion(ask(rng, fill(question, slots)), category, (mark,), fill(topic.answer, slots))
    )


def tell_update(rng: random.Random, plan: UserPlan, update: tuple[Any, ...], old: int, new: int) -> None:
    """The old value early, the new one later; the question asks for the current one."""
    key, olds, news, questions = update
    slots = plan.persona
    plan.add(old, [said(rng, fill(rng.choice(olds), slots), f"{key}:old"), ack(rng)])
    told = rng.randrange(len(news))
    plan.add(new, [said(rng, fill(news[told], slots), f"{key}:new"), ack(rng)])
    answer = {"city": "{city2}", "job_change": "{job2} at {workplace2}", "car": "{car2}", "diet": "{diet2}"}[key]
    plan.questions.append(
        PlannedQuestion(ask(rng, fill(rng.choice(questions), slots)), "update", (f"{key}:new",), fill(answer, slots))
    )
    # The moving day and the first day at work happened that day: a "when" question too.
    when = {("city", 1): "When did I move to {city2}?", ("job_change", 0): "When did I start at {workplace2}?"}
    if (key, told) in when:
        question = fill(when[(key, told)], slots)
        plan.questions.append(PlannedQuestion(ask(rng, question), "temporal", (f"{key}:new",), "{date}"))


def tell_event(rng: random.Random, plan: UserPlan, event: tuple[Any, ...], session: int) -> None:
    key, statements, questions = event
    slots = plan.persona
    plan.add(session, [said(rng, fill(rng.choice(statements), slots), key), ack(rng)])
    plan.questions.append(PlannedQuestion(ask(rng, fill(rng.choice(questions), slots)), "temporal", (key,), "{date}"))


def tell_repeated(rng: random.Random, plan: UserPlan, event: tuple[Any, ...], sessions: list[int]) -> None:
    """The same kind of outing in sessions of different months, each asked by its date."""
    key, statements, questions, answer_slot = event
    details = {
        "band": rng.sample(vocab.BANDS, len(sessions)),
        "mountain": rng.sample(vocab.MOUNTAINS, len(sessions)),
        "restaurant": rng.sample(vocab.RESTAURANTS, len(sessions)),
        "film": rng.sample(vocab.FILMS, len(sessions)),
    }
    for i, session in enumerate(sessions):
        when = date_words(plan.dates[session])
        slots = {
            **plan.persona,
            **{name: values[i] for name, values in details.items()},
            "dish": rng.choice(vocab.DISHES),
            "venue": rng.choice(vocab.VENUES),
            "friend": rng.choice([plan.persona["friend"], plan.persona["best_friend"], plan.persona["partner"]]),
            **when,
        }
        mark = f"{key}:{i}"
        plan.add(session, [said(rng, fill(rng.choice(statements), slots), mark), ack(rng)])
        if i == len(sessions) - 1:
            continue  # the last outing stays unasked: a distractor for the others
        question = fill(rng.choice(questions), slots)
        plan.questions.append(PlannedQuestion(ask(rng, question), "date_lookup", (mark,), slots[answer_slot]))
        if i == 0:  # and once the other way round: the detail is named, the date is asked
            question = WHEN_AGAIN[answer_slot]
            plan.questions.append(PlannedQuestion(ask(rng, fill(question, slots)), "temporal", (mark,), "{date}"))


WHEN_AGAIN = {
    "band": "When did I see {band}?",
    "mountain": "When did I climb {mountain}?",
    "restaurant": "When did I go to {restaurant}?",
    "film": "When did I watch {film}?",
}
HOBBY_STATEMENTS = (
    "I've really got into {hobby} lately, it's my new hobby.",
    "Spent the whole evening {doing}, so relaxing.",
    "I've taken up {hobby} in my free time, it's my new obsession.",
)
HOBBY_QUESTIONS = ("What are my hobbies?", "What do I do in my free time?", "What do I like doing at the weekend?")


def tell_anecdote(rng: random.Random, plan: UserPlan, anecdote: tuple[Any, ...], session: int, asked: bool) -> None:
    key, statements, questions, details = anecdote
    slots = {**plan.persona, "detail": rng.choice(details)}
    plan.add(session, [said(rng, fill(rng.choice(statements), slots), key), ack(rng)])
    if asked:
        question = ask(rng, fill(rng.choice(questions), slots))
        plan.questions.append(PlannedQuestion(question, "episodic", (key,), slots["detail"]))


def tell_hobbies(rng: random.Random, plan: UserPlan, sessions: list[int]) -> None:
    marks = []
    for i, session in enumerate(sessions):
        slots = {"hobby": plan.persona[f"hobby{i}"], "doing": plan.persona[f"hobby{i}_doing"]}
        plan.add(session, [said(rng, fill(rng.choice(HOBBY_STATEMENTS), slots), f"hobby:{i}"), ack(rng)])
        marks.append(f"hobby:{i}")
    answer = ", ".join(plan.persona[f"hobby{i}"] for i in range(len(sessions)))
    plan.questions.append(PlannedQuestion(ask(rng, rng.choice(HOBBY_QUESTIONS)), "multi", tuple(marks), answer))


def filler(rng: random.Random, persona: dict[str, str]) -> list[Line]:
    """Small talk, chatter naming people the user knows, or a fact about someone else."""
    slots = distractor_slots(rng, persona)
    roll = rng.random()
    if roll < 0.45:
        lines = [said(rng, fill(rng.choice(vocab.USER_SMALL_TALK), slots)), ack(rng)]
    elif roll < 0.75:
        slots["person"] = rng.choice(
            [
                persona[k]
                for k in ("sister", "brother", "partner", "best_friend", "friend", "friend2", "friend3", "colleague")
            ]
        )
        lines = [said(rng, fill(rng.choice(vocab.USER_NAME_CHATTER), slots)), ack(rng)]
    else:
        lines = [said(rng, fill(rng.choice(vocab.USER_OTHERS_FACTS), slots)), ack(rng)]
    if rng.random() < 0.25:  # the assistant opens this exchange
        opener = rng.choice(["How's your day going?", "What's new with you?", "How are things?"])
        lines = [Line("assistant", opener), *lines]
    return lines


def plan_user(rng: random.Random, user_id: str) -> UserPlan:
    """A user's sessions and where each fact, change and event is told."""
    persona = make_persona(rng)
    n_sessions = rng.randint(6, 10)
    start = datetime(2023, 1, 2, tzinfo=UTC) + timedelta(days=rng.randint(0, 150))
    dates = []
    for _ in range(n_sessions):
        dates.append(start.replace(hour=rng.randint(8, 21), minute=rng.randint(0, 59)))
        start += timedelta(days=rng.randint(9, 50))
    plan = UserPlan(user_id, persona, dates, [[] for _ in range(n_sessions)])
    early = max(2, n_sessions * 2 // 3)

    updates = rng.sample(topics.UPDATES, rng.randint(2, 3))
    changed = {u[0] for u in updates}
    candidates = [t for t in topics.TOPICS if not (t.key == "job" and "job_change" in changed)]
    for topic in rng.sample(candidates, rng.randint(10, 13)):
        tell_topic(rng, plan, topic, rng.randrange(early))
        # People come back to the same subjects: near misses for the question about this fact.
        for _ in range(rng.randint(2, 5)):
            plan.add(rng.randrange(n_sessions), [said(rng, fill(rng.choice(topic.chatter), persona)), ack(rng)])
    for update in updates:
        old = rng.randrange(n_sessions // 2)
        tell_update(rng, plan, update, old, rng.randrange(old + 1, n_sessions))
    engaged = persona["partner_role"] in ("girlfriend", "boyfriend", "partner")
    whens = [e for e in topics.EVENTS_WHEN if e[0] != "proposal" or engaged]
    for event in rng.sample(whens, 2):
        tell_event(rng, plan, event, rng.randrange(n_sessions))
    for event in rng.sample(topics.REPEATED_EVENTS, 2):
        by_month: dict[int, int] = {}
        for session in rng.sample(range(n_sessions), n_sessions):
            by_month.setdefault(dates[session].month, session)
        tell_repeated(rng, plan, event, sorted(rng.sample(sorted(by_month.values()), min(3, len(by_month)))))
    tell_hobbies(rng, plan, rng.sample(range(n_sessions), rng.randint(2, 3)))
    for i, anecdote in enumerate(rng.sample(topics.ANECDOTES, rng.randint(10, 14))):
        tell_anecdote(rng, plan, anecdote, rng.randrange(n_sessions), asked=i < 7)
    return plan


def render_user(rng: random.Random, plan: UserPlan) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Sessions padded with fillers to their length, as memories; questions resolved to memory ids."""
    memories: list[dict[str, Any]] = []
    where: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    greeting = Line("assistant", f"Hi {plan.persona['name']}, good to hear from you. How are you doing?")
    for session, (start, planned) in enumerate(zip(plan.dates, plan.episodes, strict=True)):
        target = rng.randint(12, 28) * 2
        episodes = list(planned)
        while sum(len(e) for e in episodes) + 1 < target:
            episodes.append(filler(rng, plan.persona))
        rng.shuffle(episodes)
        when = start
        for position, line in enumerate([greeting, *[line for episode in episodes for line in episode]]):
            memory = {
                "id": f"{plan.user_id}:s{session:02d}:p{position:03d}",
                "user_id": plan.user_id,
                "session_id": f"{plan.user_id}:s{session:02d}",
                "position": position,
                "role": line.role,
                "occurred_at": when.isoformat(),
                "text": line.text,
            }
            memories.append(memory)
            if line.mark:
                where[line.mark].append(memory)
            when += timedelta(seconds=rng.randint(20, 90))
    asked = plan.dates[-1] + timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 8))
    questions = []
    for i, q in enumerate(plan.questions):
        evidence = [m for mark in q.marks for m in where[mark]]
        first = datetime.fromisoformat(evidence[0]["occurred_at"])
        answer = q.answer.replace("{date}", f"{first.day} {vocab.MONTHS[first.month - 1]} {first.year}")
        questions.append(
            {
                "id": f"{plan.user_id}:q{i:02d}",
                "user_id": plan.user_id,
                "text": q.text,
                "asked_at": asked.isoformat(),
                "evidence": [m["id"] for m in evidence],
                "category": q.category,
                "answer": answer,
            }
        )
    return memories, questions


def generate(users: int, seed: int, extra_asides: int = 0) -> dict[str, Any]:
    """The whole data set: users with their split, memories and questions.

    extra_asides > 0 gives every user turn up to that many more asides (a robustness check: longer
    turns dilute a turn's embedding, not its words); the conversations and questions stay the same.
    """
    rng = random.Random(seed)
    order = list(range(users))
    rng.shuffle(order)
    split = {index: SPLITS[rank % 2] for rank, index in enumerate(order)}
    data: dict[str, Any] = {"seed": seed, "extra_asides": extra_asides, "users": [], "memories": [], "questions": []}
    for index in range(users):
        user_rng = random.Random(f"{seed}:{index}")  # one user's data does not depend on the others'
        plan = plan_user(user_rng, f"user-{index:03d}")
        memories, questions = render_user(user_rng, plan)
        if extra_asides:
            ramble_rng = random.Random(f"{seed}:{index}:ramble")
            for memory in memories:
                if memory["role"] == "user":
                    extra = [ramble_rng.choice(vocab.ASIDES) for _ in range(ramble_rng.randint(0, extra_asides))]
                    memory["text"] = " ".join([memory["text"], *extra])
        data["users"].append({"user_id": plan.user_id, "split": split[index], "name": plan.persona["name"]})
        data["memories"].extend(memories)
        data["questions"].extend(questions)
    return data


def summary(data: dict[str, Any]) -> dict[str, Any]:
    per_user = collections.Counter(m["user_id"] for m in data["memories"])
    split_of = {u["user_id"]: u["split"] for u in data["users"]}
    return {
        "users": len(data["users"]),
        "sessions": len({m["session_id"] for m in data["memories"]}),
        "memories": len(data["memories"]),
        "memories_per_user": {
            "min": min(per_user.values()),
            "median": statistics.median(per_user.values()),
            "max": max(per_user.values()),
        },
        "questions": len(data["questions"]),
        "questions_by_category": dict(sorted(collections.Counter(q["category"] for q in data["questions"]).items())),
        "questions_by_split": dict(collections.Counter(split_of[q["user_id"]] for q in data["questions"])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--extra-asides", type=int, default=0, help="longer user turns, for a robustness check")
    args = parser.parse_args()
    data = generate(args.users, args.seed, args.extra_asides)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=1))
    print(json.dumps({"benchmark": "retrieval_dataset", "path": str(args.out), **summary(data)}, indent=2))


if __name__ == "__main__":
    main()
