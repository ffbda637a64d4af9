"""The GetContext ranking: dense and BM25 legs fused on one scale, lifted by the fact said just before.

    score     = fused + PREV_WEIGHT * max(0, fused of the previous fact of the same conversation)
    fused     = DENSE_WEIGHT * z(cosine) + (1 - DENSE_WEIGHT) * z(bm25)
    bounded   = score / sqrt(max(n - 1, 1))            (n: the facts in scope)
    relevance = 1 / (1 + exp(-(RELEVANCE_BOUNDED_X_COSINE * bounded * max(cosine, 0)
                               + RELEVANCE_COSINE * cosine + RELEVANCE_BIAS)))
    printed   = the minimum of the relevance of this fact and of every fact ranked above it

- cosine: between the query's vector and the fact's (of the active model).
- bm25: over the query's lexemes found in the fact's search_text (english stemming, stop words
  dropped, plus the words of the day the fact became true: "march 9th 2024"), the sum of
  idf * tf * (K1 + 1) / (tf + K1), idf = ln(1 + (N - df + 0.5) / (df + 0.5)), N and df counted over
  the user's facts in scope, no length normalisation: a long turn is not penalised for its asides,
  and a name that recurs in many facts keeps a low idf instead of being dropped.
- z(x): (x - mean) / standard deviation over the facts in scope, so the convex weight means what it
  says. On our synthetic conversations the dense leg is the stronger (held-out recall@10 0.78 vs
  0.56) and 0.75-0.8 ranked best; on conversations where it is the weaker one (measured: 0.45 dense,
  0.59 lexical) the best weight is lower. DENSE_WEIGHT = 0.6 is the compromise, on purpose: 3.5
  points of recall@10 below our optimum (held-out 0.800 against 0.835 at 0.8), nearer the other
  regime's. Do not retune it to the synthetic set.
- The previous fact: the one before in the same conversation (session_id; facts without one form
  one conversation), in the order they became true, if within GAP_MINUTES. An answer often comes
  one turn after what matches the question ("what's your sister called?" / "Julia."): a fact takes
  a share of its predecessor's positive score (+3 points of recall@10, +20 on such answers).
- relevance: the calibrated chance that the fact is what the utterance needs, a logistic regression
  fitted on the dev users of benchmarks/retrieval (evaluate.py refits it: `relevance`). The score
  alone is relative to the user's facts: a z-score over n facts cannot exceed sqrt(n - 1), so a
  perfect match of a user with 8 facts used to print 0.03, and the best of a few unrelated facts
  leads them as far as a real match would. Hence two features:
  * bounded * max(cosine, 0): the score as a share of the largest z-score n facts allow (comparable
    between a user with 5 facts and one with 5,000), counted as far as the fact is similar at all:
    leading unrelated facts is worth little;
  * cosine, the raw similarity: an absolute signal.
  Fitted on dev users as they are and subsampled to 5, 20 and 50 facts (each subsample keeping the
  question's evidence), plus off-topic utterances ("what's the forecast for tomorrow"), whose facts
  are all negatives. Held-out calibration (top 10; ECE = mean |relevance - evidence share| over
  bands): 0.023 for whole users, 0.027 at 50 facts, 0.029 at 20, 0.064 at 5 (under-confident in
  the middle bands there). Held-out off-topic utterances ("what's the weather like", "tell me a
  joke") print a top relevance of about 0.03 (median) at every size. Score and cosine alone
  calibrate slightly better on questions (ECE 0.016 whole users) but let the best of 5 unrelated
  facts print 0.13 (median; 0.45 for "tell me a joke" to 3 facts). A strong match of a 3-fact user
  prints far above 0.5 (tests/api/test_ranking.py). With one fact in scope z-scores are 0 and the cosine alone speaks (0.02 at
  cosine 0.9): a single memory is never sure to be the one needed.
- printed: relevance is not monotonic in the score (the cosine also counts), so each fact prints
  the minimum of its own and of those ranked above it. The printed relevance falls down the list
  and min_relevance cuts a prefix of the ranking (the order itself is the score's). The cap lowers
  about a third of top-10 relevances; the held-out figures above are of the printed values.

One statement per query: the query's vector, lexemes and tsquery are computed once (a MATERIALIZED
CTE), never per row, and only the top `limit` facts are joined back for their columns.
benchmarks/retrieval/ measures every variant and tunes the constants.
"""

from __future__ import annotations

import functools
import hashlib

from memory_service.db import rows

DENSE_WEIGHT = 0.6
K1 = 1.2  # facts are short: a term rarely occurs twice, so K1 barely matters
PREV_WEIGHT = 0.3
GAP_MINUTES = 30
RELEVANCE_BOUNDED_X_COSINE = 20.882
RELEVANCE_COSINE = 1.007
RELEVANCE_BIAS = -4.761


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


def scored_sql(*, moving: bool, as_of: str = "$8") -> str:
    """The statement's CTEs up to `scored`: every fact in scope with its score, cosine, lexical and n.

    Parameters $1 user_id, $2 agent_ids, $3 query vector, $4 query text, $5 embedding model, and
    as_of (NULL: the current facts). benchmarks/retrieval reads `scored` itself to fit relevance.
    """
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
    WHERE f.user_id = $1 AND f.agent_id = ANY($2::text[]) AND {validity(as_of)} AND {of_model}
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
    SELECT scope.id, scope.session_id, scope.valid_from, scope.created_at, scope.cosine,
           coalesce(lexical, 0) AS lexical, count(*) OVER () AS n,
           {DENSE_WEIGHT} * coalesce((cosine - avg(cosine) OVER ()) / nullif(stddev_pop(cosine) OVER (), 0), 0)
           + {round(1 - DENSE_WEIGHT, 6)} * coalesce((coalesce(lexical, 0) - avg(coalesce(lexical, 0)) OVER ())
                                    / nullif(stddev_pop(coalesce(lexical, 0)) OVER (), 0), 0) AS fused
    FROM scope LEFT JOIN bm25 USING (id)
),
scored AS (
    SELECT id, valid_from, cosine, lexical, n,
           fused + {PREV_WEIGHT} * CASE WHEN valid_from - lag(valid_from) OVER neighbours <= interval '{GAP_MINUTES} minutes'
                                   THEN greatest(0, lag(fused) OVER neighbours) ELSE 0 END AS score
    FROM fused
    WINDOW neighbours AS (PARTITION BY session_id ORDER BY valid_from, created_at, id)
)"""


def relevance_sql(score: str, cosine: str, n: str) -> str:
    """The calibrated chance that a fact is what the query needs, from its score, cosine and the facts in scope."""
    return (
        f"1 / (1 + exp(-({RELEVANCE_BOUNDED_X_COSINE} * {score} / sqrt(greatest({n} - 1, 1)) * greatest({cosine}, 0)"
        f" + {RELEVANCE_COSINE} * {cosine} + {RELEVANCE_BIAS})))"
    )


def search_sql(*, moving: bool) -> str:
    """Parameters: $1 user_id, $2 agent_ids, $3 query vector, $4 query text, $5 embedding model,
    $6 limit, $7 min_relevance, $8 as_of (NULL: the current facts)."""
    return f"""{scored_sql(moving=moving)},
top AS (
    SELECT id, score, valid_from, {relevance_sql("score", "cosine", "n")} AS own
    FROM scored
    ORDER BY score DESC, valid_from DESC, id
    LIMIT $6
),
capped AS (  -- a fact is never printed as more relevant than one ranked above it: min_relevance cuts a prefix
    SELECT id, score, valid_from,
           min(own) OVER (ORDER BY score DESC, valid_from DESC, id ROWS UNBOUNDED PRECEDING) AS relevance
    FROM top
)
SELECT {rows.FACT_COLUMNS}, capped.relevance
FROM capped JOIN facts f ON f.id = capped.id
WHERE capped.relevance >= $7
ORDER BY capped.score DESC, capped.valid_from DESC, capped.id
"""


SEARCH_SQL = search_sql(moving=False)
SEARCH_WHILE_MOVING_SQL = search_sql(moving=True)


# --- Heavy users: the same ranking over candidates from an HNSW index (see benchmarks/search_scale.py) ---

# From here the candidates' path is faster (search_scale.py, p50: 29 against 48 ms at 10,000 facts; at 1,000 the
# exact scan wins, 4.5 against 8 ms), with a top-10 overlap of 0.99 with the exact ranking.
ANN_MIN_FACTS = 10_000
ANN_CANDIDATES = 200  # nearest facts by cosine, from the HNSW index
LEADERS = 500  # the best candidates whose previous and next facts in the conversation are looked up
COSINE_SAMPLE = 1000  # the user's newest facts, whose cosines stand for the mean and spread of all of them


def ann_index_name(model: str, dimensions: int) -> str:
    """The HNSW index of one embedding model's current vectors (a name PostgreSQL accepts for any model id)."""
    return f"facts_hnsw_{hashlib.sha256(model.encode()).hexdigest()[:16]}_{dimensions}"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def ann_index_sql(model: str, dimensions: int) -> str:
    """CREATE INDEX CONCURRENTLY (outside any transaction) of one model's current vectors.

    The embedding column has no fixed dimension, so the index is on the cast, and partial on the
    model (and on current facts: history is only searched by the exact path). A query uses it only
    when it names the same expression and the same literal model: ann_search_sql() does.
    """
    return (
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {ann_index_name(model, dimensions)} ON facts "
        f"USING hnsw ((embedding::vector({dimensions})) vector_cosine_ops) "
        f"WHERE embedding_model = {_literal(model)} AND valid_to IS NULL"
    )


@functools.cache
def ann_search_sql(model: str, dimensions: int) -> str:
    """The ranking of search_sql() for a heavy user's current facts, over candidates instead of every fact.

    Parameters: $1 user_id, $2 agent_ids, $3 query vector, $4 query text, $5 limit, $6 min_relevance,
    $7 n (the user's current facts of the model, cached by the caller).

    - candidates: the ANN_CANDIDATES nearest facts (HNSW, iterative scan: the user filter applies
      while the index is walked) and every fact naming a query word (GIN index on search_text), so a
      fact that matches lexically is scored exactly; one that does not scores by its cosine alone, and
      the best of those are the nearest.
    - BM25 is exact: df and idf over the user's n facts, and z(bm25) uses the exact mean and spread
      over all n (facts naming no query word score 0).
    - z(cosine) uses the mean and spread of the user's COSINE_SAMPLE newest facts.
    - the previous fact's share: for each of the LEADERS best candidates, its previous fact lends its
      share (from its own fused score, a candidate or not), and its next fact takes the leader's
      share (an answer said one turn after a matching question, found though it is no candidate).
      Below the leaders, shares are left out: such a fact cannot reach the top by one. Facts without
      a session get no lift here (their neighbours would need a scan of the user's facts).
    """
    scope = (
        f"f.user_id = $1 AND f.agent_id = ANY($2::text[]) AND f.valid_to IS NULL "
        f"AND f.embedding_model = {_literal(model)}"
    )
    z_cosine = "coalesce((cosine - cs.mean) / nullif(cs.sd, 0), 0)"
    z_lexical = "coalesce((coalesce(b.lexical, 0) - ls.mean) / nullif(ls.sd, 0), 0)"
    return f"""
WITH query AS MATERIALIZED (
    SELECT $3::vector AS vector,
           tsvector_to_array(to_tsvector('english', $4)) AS lexemes,
           (SELECT string_agg(quote_literal(lexeme), ' | ')
              FROM unnest(tsvector_to_array(to_tsvector('english', $4))) AS lexeme)::tsquery AS words
),
nearest AS MATERIALIZED (
    SELECT f.id FROM facts f
    WHERE {scope}
    ORDER BY f.embedding::vector({dimensions}) <=> $3::vector({dimensions})
    LIMIT {ANN_CANDIDATES}
),
matched AS MATERIALIZED (
    SELECT f.id, f.search_text, f.session_id, f.valid_from, f.created_at, 1 - (f.embedding <=> query.vector) AS cosine
    FROM facts f CROSS JOIN query
    WHERE {scope} AND f.search_text @@ query.words
),
hits AS (
    SELECT m.id, t.lexeme, coalesce(cardinality(t.positions), 1)::float8 AS tf
    FROM matched m CROSS JOIN query CROSS JOIN LATERAL unnest(m.search_text) AS t
    WHERE t.lexeme = ANY(query.lexemes)
),
idf AS (
    SELECT lexeme, ln(1 + ($7::float8 - count(*) + 0.5) / (count(*) + 0.5)) AS idf FROM hits GROUP BY lexeme
),
bm25 AS MATERIALIZED (
    SELECT hits.id, sum(idf.idf * hits.tf * {K1 + 1} / (hits.tf + {K1})) AS lexical
    FROM hits JOIN idf USING (lexeme) GROUP BY hits.id
),
lexical_spread AS (  -- over all n facts: those naming no query word score 0
    SELECT coalesce(sum(lexical), 0) / $7 AS mean,
           sqrt(greatest(coalesce(sum(lexical * lexical), 0) / $7 - power(coalesce(sum(lexical), 0) / $7, 2), 0)) AS sd
    FROM bm25
),
cosine_spread AS MATERIALIZED (
    SELECT avg(cosine) AS mean, stddev_pop(cosine) AS sd
    FROM (SELECT 1 - (f.embedding <=> query.vector) AS cosine FROM facts f CROSS JOIN query
          WHERE {scope} ORDER BY f.created_at DESC LIMIT {COSINE_SAMPLE}) AS newest
),
candidates AS (
    SELECT id, session_id, valid_from, created_at, cosine FROM matched
    UNION
    SELECT f.id, f.session_id, f.valid_from, f.created_at, 1 - (f.embedding <=> query.vector)
    FROM facts f CROSS JOIN query WHERE f.id IN (SELECT id FROM nearest)
),
fused AS MATERIALIZED (
    SELECT c.id, c.session_id, c.valid_from, c.created_at, c.cosine,
           {DENSE_WEIGHT} * {z_cosine} + {round(1 - DENSE_WEIGHT, 6)} * {z_lexical} AS fused
    FROM candidates c CROSS JOIN cosine_spread cs CROSS JOIN lexical_spread ls LEFT JOIN bm25 b ON b.id = c.id
),
leaders AS MATERIALIZED (SELECT * FROM fused ORDER BY fused DESC LIMIT {LEADERS}),
previous AS MATERIALIZED (  -- each leader's previous fact in its conversation
    SELECT l.id, p.id AS previous_id, p.cosine
    FROM leaders l
    CROSS JOIN LATERAL (
        SELECT f.id, 1 - (f.embedding <=> query.vector) AS cosine FROM facts f CROSS JOIN query
        WHERE {scope} AND f.session_id = l.session_id AND f.session_id <> '' AND l.session_id <> ''
          AND (f.valid_from, f.created_at, f.id) < (l.valid_from, l.created_at, l.id)
          AND f.valid_from >= l.valid_from - interval '{GAP_MINUTES} minutes'
        ORDER BY f.valid_from DESC, f.created_at DESC, f.id DESC
        LIMIT 1
    ) AS p
),
previous_share AS (  -- its fused score: a candidate's, or from its cosine (no query word, else a candidate)
    SELECT pr.id,
           greatest(0, coalesce(fu.fused, {DENSE_WEIGHT} * coalesce((pr.cosine - cs.mean) / nullif(cs.sd, 0), 0)
                                          + {round(1 - DENSE_WEIGHT, 6)} * coalesce((0 - ls.mean) / nullif(ls.sd, 0), 0)))
           AS share
    FROM previous pr CROSS JOIN cosine_spread cs CROSS JOIN lexical_spread ls LEFT JOIN fused fu ON fu.id = pr.previous_id
),
following AS MATERIALIZED (  -- each positive leader's next fact takes its share (a reply after the question)
    SELECT n.id, n.valid_from, n.cosine, l.fused AS share
    FROM leaders l
    CROSS JOIN LATERAL (
        SELECT f.id, f.valid_from, 1 - (f.embedding <=> query.vector) AS cosine FROM facts f CROSS JOIN query
        WHERE {scope} AND f.session_id = l.session_id AND f.session_id <> '' AND l.session_id <> ''
          AND (f.valid_from, f.created_at, f.id) > (l.valid_from, l.created_at, l.id)
          AND f.valid_from <= l.valid_from + interval '{GAP_MINUTES} minutes'
        ORDER BY f.valid_from, f.created_at, f.id
        LIMIT 1
    ) AS n
    WHERE l.fused > 0
),
scored AS (
    SELECT f.id, f.valid_from, f.cosine, $7::float8 AS n,
           f.fused + {PREV_WEIGHT} * coalesce(p.share, fo.share, 0) AS score
    FROM fused f LEFT JOIN previous_share p USING (id) LEFT JOIN following fo ON fo.id = f.id
    UNION ALL  -- next facts that are not candidates: no query word, so their lexical z is that of 0
    SELECT s.id, s.valid_from, s.cosine, $7::float8,
           {DENSE_WEIGHT} * coalesce((s.cosine - cs.mean) / nullif(cs.sd, 0), 0)
           + {round(1 - DENSE_WEIGHT, 6)} * coalesce((0 - ls.mean) / nullif(ls.sd, 0), 0) + {PREV_WEIGHT} * s.share
    FROM following s CROSS JOIN cosine_spread cs CROSS JOIN lexical_spread ls
    WHERE s.id NOT IN (SELECT id FROM fused)
),
top AS (
    SELECT id, score, valid_from, {relevance_sql("score", "cosine", "n")} AS own
    FROM scored
    ORDER BY score DESC, valid_from DESC, id
    LIMIT $5
),
capped AS (
    SELECT id, score, valid_from,
           min(own) OVER (ORDER BY score DESC, valid_from DESC, id ROWS UNBOUNDED PRECEDING) AS relevance
    FROM top
)
SELECT {rows.FACT_COLUMNS}, capped.relevance
FROM capped JOIN facts f ON f.id = capped.id
WHERE capped.relevance >= $6
ORDER BY capped.score DESC, capped.valid_from DESC, capped.id
"""
