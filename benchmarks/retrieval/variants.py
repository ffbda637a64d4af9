"""The ranking variants under test, each one SQL statement over one user's current facts.

Every statement returns (memory_id, score) best first. Statements name their
parameters ($user_id, $agent_ids, $vector, $text, $model, $limit); Variant turns
them into $1, $2... and remembers the order. The query's vector, lexemes and
tsquery are computed once (a MATERIALIZED CTE, or a constant), never per row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Literal

SCOPE = "f.user_id = $user_id AND f.agent_id = ANY($agent_ids::text[]) AND f.valid_to IS NULL AND f.embedding_model = $model"

# The query's words: english stemming, stop words dropped (by the english configuration), OR-ed.
QUERY_WORDS = """(SELECT string_agg(quote_literal(lexeme), ' | ')
                    FROM unnest(tsvector_to_array(to_tsvector('english', $text))) AS lexeme)::tsquery"""


@dataclass(frozen=True)
class Variant:
    """A named statement; `sql` has $n placeholders, `args` names the value of each n."""

    name: str
    named_sql: str
    sql: str = field(init=False)
    args: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        names: list[str] = []

        def number(match: re.Match[str]) -> str:
            if match[1] not in names:
                names.append(match[1])
            return f"${names.index(match[1]) + 1}"

        object.__setattr__(self, "sql", re.sub(r"\$([a-z_]+)", number, self.named_sql))
        object.__setattr__(self, "args", tuple(names))


def dense() -> Variant:
    sql = f"""
    SELECT f.fact_key AS memory_id, 1 - (f.embedding <=> $vector::vector) AS score
    FROM facts f WHERE {SCOPE}
    ORDER BY score DESC, f.created_at DESC LIMIT $limit"""
    return Variant("dense_cosine", sql)


def ts_rank(cover_density: bool = False) -> Variant:
    """Plain PostgreSQL full-text ranking of the OR-ed query words (no normalisation flags: each one hurt)."""
    rank = "ts_rank_cd" if cover_density else "ts_rank"
    sql = f"""
    WITH query AS MATERIALIZED (SELECT {QUERY_WORDS} AS words)
    SELECT f.fact_key AS memory_id,
           CASE WHEN f.plain_search_text @@ query.words THEN {rank}(f.plain_search_text, query.words) ELSE 0 END AS score
    FROM facts f CROSS JOIN query WHERE {SCOPE}
    ORDER BY score DESC, f.created_at DESC LIMIT $limit"""
    return Variant(f"lexical_{rank}", sql)


def today() -> Variant:
    """search() of memory_service/db/facts.py as it is: cosine lifted by a squashed ts_rank_cd (LEXICAL_WEIGHT 0.3)."""
    sql = f"""
    WITH query AS (
        SELECT $vector::vector AS vector, {QUERY_WORDS} AS words
    ),
    scored AS (
        SELECT f.fact_key, f.importance, f.created_at,
               GREATEST(0, 1 - (f.embedding <=> query.vector)) AS cosine,
               CASE WHEN f.plain_search_text @@ query.words THEN ts_rank_cd(f.plain_search_text, query.words, 32)
                    ELSE 0 END AS lexical
        FROM facts f CROSS JOIN query
        WHERE {SCOPE}
    )
    SELECT fact_key AS memory_id, LEAST(1, cosine + (1 - cosine) * 0.3 * lexical) AS score FROM scored
    ORDER BY score DESC, importance DESC, created_at DESC
    LIMIT $limit"""
    return Variant("today_search", sql)


def legs(column: str = "plain_search_text", k1: float = 1.2) -> str:
    """CTEs up to `legs`: every fact in scope with its cosine and its BM25 score over `column`.

    BM25 without length normalisation (b = 0): sum over the query's lexemes found
    in the fact of idf * tf * (k1 + 1) / (tf + k1), idf = ln(1 + (N - df + 0.5) / (df + 0.5))
    with N and df counted over this user's facts in scope, not the whole table.
    """
    return f"""
    WITH query AS MATERIALIZED (
        SELECT $vector::vector AS vector, tsvector_to_array(to_tsvector('english', $text)) AS lexemes,
               {QUERY_WORDS} AS words
    ),
    scope AS MATERIALIZED (
        SELECT f.id, f.fact_key, f.created_at, f.valid_from, f.session_id, f.position,
               1 - (f.embedding <=> query.vector) AS cosine,
               -- only facts naming a query word are unnested below
               CASE WHEN f.{column} @@ query.words THEN f.{column} END AS matched
        FROM facts f CROSS JOIN query
        WHERE {SCOPE}
    ),
    hits AS (  -- unnesting only the matching facts: a function scan per fact costs as much as the match
        SELECT s.id, t.lexeme, coalesce(cardinality(t.positions), 1)::float8 AS tf
        FROM scope s CROSS JOIN query CROSS JOIN LATERAL unnest(s.matched) AS t
        WHERE s.matched IS NOT NULL AND t.lexeme = ANY(query.lexemes)
    ),
    idf AS (
        SELECT lexeme, ln(1 + ((SELECT count(*) FROM scope)::float8 - count(*) + 0.5) / (count(*) + 0.5)) AS idf
        FROM hits GROUP BY lexeme
    ),
    bm25 AS (
        SELECT hits.id, sum(idf.idf * hits.tf * {k1 + 1} / (hits.tf + {k1})) AS score
        FROM hits JOIN idf USING (lexeme) GROUP BY hits.id
    ),
    legs AS (
        SELECT scope.*, coalesce(bm25.score, 0) AS lexical FROM scope LEFT JOIN bm25 USING (id)
    )"""


def bm25(column: str = "plain_search_text") -> Variant:
    sql = (
        legs(column)
        + """
    SELECT fact_key AS memory_id, lexical AS score FROM legs ORDER BY score DESC, created_at DESC LIMIT $limit"""
    )
    return Variant("lexical_bm25" + ("_dated" if column != "plain_search_text" else ""), sql)


def rrf(k: int = 60) -> Variant:
    """Reciprocal rank fusion of the dense and BM25 rankings; facts without a query word get no lexical rank."""
    sql = (
        legs()
        + f"""
    SELECT fact_key AS memory_id,
           1.0 / ({k} + row_number() OVER (ORDER BY cosine DESC))
           + CASE WHEN lexical > 0 THEN 1.0 / ({k} + row_number() OVER (ORDER BY lexical DESC)) ELSE 0 END AS score
    FROM legs ORDER BY score DESC, created_at DESC LIMIT $limit"""
    )
    return Variant(f"rrf_k{k}", sql)


@dataclass(frozen=True)
class Fusion:
    """A convex combination of z-scored legs, then neighbours' and time's shares (all off by default)."""

    dense_weight: float = 0.5
    column: str = "plain_search_text"
    # Which facts are neighbours: by position in the same session, or by creation order
    # (optionally only when created within `gap_minutes` of each other: a session without its id).
    locality: Literal["session", "created", "created_gap"] = "session"
    prev_weight: float = 0.0
    next_weight: float = 0.0
    gap_minutes: float = 30.0
    recency_weight: float = 0.0
    recency_days: float = 90.0

    def with_(self, **changes: object) -> Fusion:
        return replace(self, **changes)  # type: ignore[arg-type]


def zscore(column: str) -> str:
    return f"coalesce(({column} - avg({column}) OVER ()) / nullif(stddev_pop({column}) OVER (), 0), 0)"


def neighbour(fn: str, config: Fusion) -> str:
    """The positive part of the previous (lag) or next (lead) fact's fused score, 0 where there is none."""
    value = f"greatest(0, {fn}(fused) OVER neighbours)"
    if config.locality == "created_gap":
        apart = (
            "created_at - lag(created_at) OVER neighbours"
            if fn == "lag"
            else "lead(created_at) OVER neighbours - created_at"
        )
        value = f"CASE WHEN {apart} <= interval '{config.gap_minutes} minutes' THEN {value} END"
    return f"coalesce({value}, 0)"


def fused(config: Fusion, name: str) -> Variant:
    order = "PARTITION BY session_id ORDER BY position" if config.locality == "session" else "ORDER BY created_at, id"
    # 1 for the user's newest fact, 1/e for one recency_days older (counted from the newest, not from now())
    recent = f"exp(-extract(epoch FROM max(valid_from) OVER () - valid_from)::float8 / {config.recency_days * 86400})"
    w = config.dense_weight
    sql = (
        legs(config.column)
        + f""",
    fused AS (
        SELECT legs.*, {w} * {zscore("cosine")} + {1 - w} * {zscore("lexical")} AS fused FROM legs
    )
    SELECT fact_key AS memory_id,
           fused + {config.prev_weight} * {neighbour("lag", config)} + {config.next_weight} * {neighbour("lead", config)}
                 + {config.recency_weight} * {recent} AS score
    FROM fused WINDOW neighbours AS ({order})
    ORDER BY score DESC, created_at DESC LIMIT $limit"""
    )
    return Variant(name, sql)


def features(column: str = "plain_search_text") -> Variant:
    """Every fact in scope with its legs and coordinates: the input of tuning (see tuning.py)."""
    sql = (
        legs(column)
        + """
    SELECT fact_key AS memory_id, cosine, lexical, session_id, position,
           extract(epoch FROM created_at)::float8 AS created, extract(epoch FROM valid_from)::float8 AS valid_from
    FROM legs"""
    )
    return Variant("features", sql)
