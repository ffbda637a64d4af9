"""A synthetic user's life: the values every template slot is filled with."""

from __future__ import annotations

import random

from benchmarks.retrieval import vocab


def make_persona(rng: random.Random) -> dict[str, str]:
    """Draws one user's family, pets, jobs, places and tastes; distinct values where two slots could clash."""
    people = rng.sample(vocab.FIRST_NAMES, 10)
    jobs = rng.sample(vocab.JOBS, 3)
    cities = rng.sample(vocab.CITIES, 5)
    pet_kind, breeds = rng.choice(vocab.PET_KINDS)
    condition, medication = rng.choice(vocab.CONDITIONS)
    cuisine, dish = rng.choice(vocab.CUISINES)
    genre, artist = rng.choice(vocab.MUSIC)
    commute, commute_sentence = rng.choice(vocab.COMMUTES)
    car, car2 = rng.sample(vocab.CARS, 2)
    diet, diet2 = rng.sample(vocab.DIETS, 2)
    hobbies = rng.sample(vocab.HOBBIES, 3)
    return {
        "name": people[0],
        "sister": people[1],
        "brother": people[2],
        "partner": people[3],
        "kid": people[4],
        "best_friend": people[5],
        # Friends appear in chatter only: names that recur without answering anything.
        "friend": people[6],
        "friend2": people[7],
        "friend3": people[8],
        "colleague": people[9],
        "partner_role": rng.choice(["wife", "husband", "girlfriend", "boyfriend", "partner"]),
        "kid_role": rng.choice(["son", "daughter"]),
        "kid_age": str(rng.randint(2, 12)),
        "pet": rng.choice(vocab.PET_NAMES),
        "pet_kind": pet_kind,
        "pet_breed": rng.choice(breeds),
        "job": jobs[0][0],
        "workplace": jobs[0][1],
        "job2": jobs[1][0],
        "workplace2": jobs[1][1],
        "sister_job": jobs[2][0],
        "years": str(rng.randint(3, 15)),
        "city": cities[0],
        "city2": cities[1],
        "hometown": cities[2],
        "brother_city": cities[3],
        "allergy": rng.choice(vocab.ALLERGIES),
        "condition": condition,
        "medication": medication,
        "cuisine": cuisine,
        "dish": dish,
        "genre": genre,
        "artist": artist,
        "birthday": f"{rng.randint(1, 28)} {rng.choice(vocab.MONTHS)}",
        "language": rng.choice(vocab.LANGUAGES),
        "team": rng.choice(vocab.TEAMS),
        "commute": commute,
        "commute_sentence": commute_sentence,
        "car": car,
        "car2": car2,
        "diet": diet,
        "diet2": diet2,
        "destination": rng.choice(vocab.DESTINATIONS),
        "trip_month": rng.choice(vocab.MONTHS),
        **{f"hobby{i}": hobby for i, (hobby, _) in enumerate(hobbies)},
        **{f"hobby{i}_doing": doing for i, (_, doing) in enumerate(hobbies)},
    }


def distractor_slots(rng: random.Random, persona: dict[str, str]) -> dict[str, str]:
    """Values for a fact about someone else, drawn to differ from the user's own."""
    _, breeds = rng.choice(vocab.PET_KINDS)
    return {
        "person": rng.choice([persona[k] for k in ("friend", "friend2", "friend3", "colleague", "best_friend")]),
        "job": _other(rng, [j for j, _ in vocab.JOBS], persona["job"]),
        "breed": rng.choice(breeds),
        "pet": _other(rng, vocab.PET_NAMES, persona["pet"]),
        "city": _other(rng, vocab.CITIES, persona["city"]),
        "allergy": _other(rng, vocab.ALLERGIES, persona["allergy"]),
        "cuisine": _other(rng, [c for c, _ in vocab.CUISINES], persona["cuisine"]),
        "hobby": rng.choice([h for h, _ in vocab.HOBBIES if h not in {persona[f"hobby{i}"] for i in range(3)}]),
        "car": _other(rng, vocab.CARS, persona["car"]),
        "destination": _other(rng, vocab.DESTINATIONS, persona["destination"]),
        "condition": _other(rng, [c for c, _ in vocab.CONDITIONS], persona["condition"]),
        "language": _other(rng, vocab.LANGUAGES, persona["language"]),
        "show": rng.choice(vocab.SHOWS),
    }


def _other(rng: random.Random, choices: list[str], avoid: str) -> str:
    return rng.choice([c for c in choices if c != avoid])
