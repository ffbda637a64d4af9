"""The GetContext ranking: dense and BM25 legs fused on one scale, lifted by the fact said just before.

    score     = fused + PREV_WEIGHT * max(0, fused of the previous fact of the same conversation)
    fused     = DENSE_WEIGHT * z(cosine) + (1 - DENSE_WEIGHT) * z(bm25)
    relevance = 1 / (1 + exp(-RELEVANCE_SLOPE * (score - RELEVANCE_MIDPOINT)))

- cosine: between the query's vector and the fact's (of the active model).
- bm25: over the query's lexemes found in the fact's search_text (english stemming, stop words
  dropped, plus the words of the day the fact became true: "march 9th 2024"), the sum of
  idf * tf * (K1 + 1) / (tf + K1), idf = ln(1 + (N - df + 0.5) / (df + 0.5)), N and df counted over
  the user's facts in scope, no length normalisation: a long turn is not penalised for its asides,
  and a name that recurs in many facts keeps a low idf instead of being dropped.
- z(x): (x - mean) / standard deviation over the facts in scope, so the convex weight means what it
  says. On our synthetic conversations the dense leg is the stronger (held-out recall@10 0.78 vs
  0.56) and 0.75 ranked best; on conversations where it is the weaker one (measured: 0.45 dense,
  0.59 lexical) the best weight is lower. DENSE_WEIGHT = 0.6 is the compromise: 1.5 points of
  recall@10 below our optimum, and nearer the other regime's.
- The previous fact: the one before in the same conversation (session_id; facts without one form
  one conversation), in the order they became true, if within GAP_MINUTES. An answer often comes
  one turn after what matches the question ("what's your sister called?" / "Julia."): a fact takes
  a share of its predecessor's positive score (+3 points of recall@10, +20 on such answers).
- relevance: a logistic map of the score fitted on held-apart users (the chance the fact is what
  the question needs), monotonic, so min_relevance cuts a prefix of the ranking.

One statement per query: the query's vector, lexemes and tsquery are computed once (a MATERIALIZED
CTE), never per row, and only the top `limit` facts are joined back for their columns.
benchmarks/retrieval/ measures every variant and tunes the constants.
"""

from __future__ import annotations

from memory_service.db import rows

DENSE_WEIGHT = 0.6
K1 = 1.2  # facts are short: a term rarely occurs twice, so K1 barely matters
PREV_WEIGHT = 0.3
GAP_MINUTES = 30
RELEVANCE_SLOPE = 0.8866
RELEVANCE_MIDPOINT = 6.4925  # the score at which relevance is 0.5


def validity(as_of_param: str) -> str:
    """The facts valid at the time in parameter as_of_param, or the current ones when it is NULL.

    Two plain branches rather than one clever expression, so the current-facts
    branch keeps using the partial indexes on valid_to IS NULL.
    """
    return f"""(({as_of_param}::timestamptz IS NULL AND f.valid_to IS NULL) OR
               ({as_of_param}::timestamptz IS NOT NULL AND f.valid_from <= {as_of_param}
                AND (f.valid_to IS NULL OR f.valid_to > {as_of_param})))"""


def vectors(moving: bool, model_param: str) -> tuple[str, str, str]:
    """(join, vector expression, model filter) reading a fact's vector of the model in model_param.

    Normally the vector is facts.embedding. Just after an embedding model switch
    cut over, some facts still hold the new model's vector in fact_embeddings
    until it is moved: then both places are read.
    """
    if not moving:
        return "", "f.embedding", f"f.embedding_model = {model_param}"
    return (
        f"LEFT JOIN fact_embeddings fe ON fe.fact_id = f.id AND fe.model = {model_param}",
        "COALESCE(fe.embedding, f.embedding)",
        f"(f.embedding_model = {model_param} OR fe.fact_id IS NOT NULL)",
    )


def search_sql(*, moving: bool) -> str:
    """Parameters: $1 user_id, $2 agent_ids, $3 query vector, $4 query text, $5 embedding model,
    $6 limit, $7 min_relevance, $8 as_of (NULL: the current facts)."""
    join, vector, of_model = vectors(moving, "$5")
    return f"""
WITH query AS MATERIALIZED (
    SELECT $3::vector AS vector,
           tsvector_to_array(to_tsvector('english', $4)) AS lexemes,
           (SELECT string_agg(quote_literal(lexeme), ' | ')
              FROM unnest(tsvector_to_array(to_tsvector('english', $4))) AS lexeme)::tsquery AS words
),
scope AS MATERIALIZED (
    SELECT f.id, f.session_id, f.valid_from, f.created_at,
           1 - ({vector} <=> query.vector) AS cosine,
           CASE WHEN f.search_text @@ query.words THEN f.search_text END AS matched
    FROM facts f CROSS JOIN query {join}
    WHERE f.user_id = $1 AND f.agent_id = ANY($2::text[]) AND {validity("$8")} AND {of_model}
),
hits AS (
    SELECT s.id, t.lexeme, coalesce(cardinality(t.positions), 1)::float8 AS tf
    FROM scope s CROSS JOIN query CROSS JOIN LATERAL unnest(s.matched) AS t
    WHERE s.matched IS NOT NULL AND t.lexeme = ANY(query.lexemes)
),
idf AS (
    SELECT lexeme, ln(1 + ((SELECT count(*) FROM scope)::float8 - count(*) + 0.5) / (count(*) + 0.5)) AS idf
    FROM hits GROUP BY lexeme
),
bm25 AS (
    SELECT hits.id, sum(idf.idf * hits.tf * {K1 + 1} / (hits.tf + {K1})) AS lexical
    FROM hits JOIN idf USING (lexeme) GROUP BY hits.id
),
fused AS (
    SELECT scope.id, scope.session_id, scope.valid_from, scope.created_at,
           {DENSE_WEIGHT} * coalesce((cosine - avg(cosine) OVER ()) / nullif(stddev_pop(cosine) OVER (), 0), 0)
           + {round(1 - DENSE_WEIGHT, 6)} * coalesce((coalesce(lexical, 0) - avg(coalesce(lexical, 0)) OVER ())
                                    / nullif(stddev_pop(coalesce(lexical, 0)) OVER (), 0), 0) AS fused
    FROM scope LEFT JOIN bm25 USING (id)
),
scored AS (
    SELECT id, valid_from,
           fused + {PREV_WEIGHT} * CASE WHEN valid_from - lag(valid_from) OVER neighbours <= interval '{GAP_MINUTES} minutes'
                                   THEN greatest(0, lag(fused) OVER neighbours) ELSE 0 END AS score
    FROM fused
    WINDOW neighbours AS (PARTITION BY session_id ORDER BY valid_from, created_at, id)
),
top AS (
    SELECT id, score, relevance
    FROM (SELECT *, 1 / (1 + exp(-{RELEVANCE_SLOPE} * (score - {RELEVANCE_MIDPOINT}))) AS relevance FROM scored) AS s
    WHERE relevance >= $7
    ORDER BY score DESC, valid_from DESC
    LIMIT $6
)
SELECT {rows.FACT_COLUMNS}, top.relevance
FROM top JOIN facts f ON f.id = top.id
ORDER BY top.score DESC, f.valid_from DESC
"""


SEARCH_SQL = search_sql(moving=False)
SEARCH_WHILE_MOVING_SQL = search_sql(moving=True)
