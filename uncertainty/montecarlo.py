"""Propagation of distributions by the Monte Carlo method (JCGM 101:2008).

Trials are drawn in chunks of ``chunk`` values per input, so the memory for the inputs is
bounded whatever the number of trials; only the model values (8 bytes per trial) are kept,
because exact coverage intervals need them (JCGM 101 7.5).  Chunk ``j`` always uses the random
stream ``SeedSequence(seed, spawn_key=(j,))``: the result depends only on the seed, never on
how chunks are shared between the worker threads (NumPy releases the GIL while it samples and
computes, so two threads use both cores of the target machine).
"""
from __future__ import annotations

import concurrent.futures
import logging
import math
import os
import secrets
from collections.abc import Sequence

import numpy as np
from scipy import special

from .errors import BudgetError
from .expression import compile_tree, variables
from .gaussian_sums import merge_gaussian_sums
from .model import Correlations, ModelLike, as_model, correlation_matrix
from .quantities import InputQuantity
from .results import GumResult, McResult, Validation

__all__ = ["monte_carlo", "coverage_intervals", "numerical_tolerance", "validate", "resolve_seed"]

log = logging.getLogger(__name__)
DEFAULT_CHUNK = 2**17
#: Largest accepted number of trials: the model values take 8 bytes per trial (800 MB here),
#: the inputs only ``chunk`` values each, so memory stays bounded for every accepted request.
MAX_TRIALS = 10**8


def resolve_seed(seed: int | np.random.SeedSequence | np.random.Generator | None) -> int:
    """Turn ``seed`` into the integer entropy recorded in the result.

    :param seed: ``None`` (fresh entropy, recorded), a non-negative int, a
        :class:`numpy.random.SeedSequence` or a :class:`numpy.random.Generator` (one integer is
        drawn from it)
    :returns: non-negative int
    :raises BudgetError: for anything else

    >>> resolve_seed(7)
    7
    """
    if seed is None:  # 63 bits: fits a BIGINT column and a JSON number
        return secrets.randbits(63)
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**63))
    if isinstance(seed, np.random.SeedSequence) and isinstance(seed.entropy, int):
        return int(seed.entropy)
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        return int(seed)
    raise BudgetError("seed", f"must be a non-negative integer or a numpy Generator, got {seed!r}")


def numerical_tolerance(u: float, digits: int = 2) -> float:
    """Numerical tolerance delta of a standard uncertainty (JCGM 101 7.9.2).

    :param u: standard uncertainty
    :param digits: number of significant decimal digits n_dig
    :returns: delta = 1/2 * 10**l where u = c * 10**l with an n_dig-digit integer c

    >>> numerical_tolerance(0.0539)  # JCGM 101 9.3: u = 54e-3 -> delta = 0.0005
    0.0005
    """
    if not u > 0 or not math.isfinite(u):
        return 0.0
    rounded = float(f"{u:.{digits - 1}e}")
    exponent = math.floor(math.log10(rounded)) - digits + 1
    return 0.5 * 10.0**exponent


def coverage_intervals(values: np.ndarray, coverage: float = 0.95, *, overwrite: bool = False
                       ) -> tuple[tuple[float, float], tuple[float, float]]:
    """Probabilistically symmetric and shortest coverage intervals (JCGM 101 7.7).

    Only the two tails that can hold an end point (the M - q smallest and largest values)
    are sorted; they are found in O(M) (threshold from a strided subsample, checked by
    counting, with a partial sort as the fallback), which is much faster than sorting.

    :param values: 1-D array of model values
    :param coverage: coverage probability p
    :param overwrite: allow reordering ``values`` in place (saves a copy on the fallback path)
    :returns: ``((low, high), (short_low, short_high))``
    :raises BudgetError: if there are too few values for ``coverage``

    >>> coverage_intervals(np.arange(1.0, 101.0), 0.9)
    ((5.0, 95.0), (1.0, 91.0))
    """
    y = np.asarray(values, dtype=float)
    m = y.size
    pm = coverage * m
    q = int(round(pm)) if abs(pm - round(pm)) < 1e-9 else int(math.floor(pm + 0.5))
    if not 0 < q < m:
        raise BudgetError("trials", f"{m} trials are too few for coverage probability {coverage}")
    tail = m - q
    low, high = _tails(y, tail, overwrite)
    r = tail // 2 if tail % 2 == 0 else (tail + 1) // 2
    symmetric = (float(low[r - 1]), float(high[r - 1]))
    best = int(np.argmin(high - low))
    return symmetric, (float(low[best]), float(high[best]))


def _sorted_where(y, compare, threshold):
    selected = y[compare(y, threshold)]
    selected.sort()
    return selected


def _tails(y, tail, overwrite):
    """Sorted ``tail`` smallest and ``tail`` largest values of ``y``."""
    m = y.size
    if m >= 50_000 and 4 * tail <= m:
        step = max(1, m // 20_000)
        sample = y[::step]
        frac = tail / m
        margin = 6.0 * math.sqrt(frac * (1 - frac) / sample.size) + 2.0 / sample.size
        lo_t, hi_t = np.quantile(sample, [min(frac + margin, 1.0), max(1.0 - frac - margin, 0.0)])
        with concurrent.futures.ThreadPoolExecutor(2) as pool:  # NumPy releases the GIL: one tail per core
            low, high = pool.map(_sorted_where, (y, y), (np.less_equal, np.greater_equal), (lo_t, hi_t))
        if low.size >= tail and high.size >= tail:
            return low[:tail], high[high.size - tail:]
    y = y if overwrite else y.copy()
    if tail - 1 >= m - tail:
        y.sort()
    else:
        y.partition([tail - 1, m - tail])
        y[:tail].sort()
        y[m - tail:].sort()
    return y[:tail], y[m - tail:]


class _Sampler:
    """Draws one chunk of all inputs; correlated inputs through a Gaussian copula."""

    def __init__(self, inputs, r):
        self.inputs = inputs
        linked = np.any(r != np.eye(len(inputs)), axis=1)
        self.free = [q for q, c in zip(inputs, linked, strict=False) if not c]
        self.linked = [q for q, c in zip(inputs, linked, strict=False) if c]
        self.factor = None
        if self.linked:
            idx = np.flatnonzero(linked)
            sub = r[np.ix_(idx, idx)]
            try:
                self.factor = np.linalg.cholesky(sub)
            except np.linalg.LinAlgError:  # semi-definite (e.g. r = 1): eigen factor
                w, v = np.linalg.eigh(sub)
                self.factor = v * np.sqrt(np.clip(w, 0.0, None))

    def __call__(self, rng, size):
        env = {q.name: q.sample(rng, size) for q in self.free}
        if self.linked:
            z = self.factor @ rng.standard_normal((len(self.linked), size))  # JCGM 101 6.4.8.4
            for q, row in zip(self.linked, z, strict=False):
                env[q.name] = q.value + q.u * row if q.distribution == "normal" else q.ppf(special.ndtr(row))
        return env


def _simulate(model, sampler, output, entropy, first_chunk, trials, chunk, workers, out=None):
    """Run ``trials`` trials starting at chunk index ``first_chunk``.

    :param out: array of ``trials`` values to fill (default: a new one)
    :returns: ``(values, moments, next_chunk)``; ``moments`` holds ``(n, mean, variance)`` of the
        finite values of each chunk, computed in the worker threads while the chunk is in cache
    """
    y = np.empty(trials) if out is None else out
    bounds = [(s, min(s + chunk, trials)) for s in range(0, trials, chunk)]
    moments = [None] * len(bounds)

    def run(j):
        start, stop = bounds[j]
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy, spawn_key=(first_chunk + j,))))
        with np.errstate(all="ignore"):
            out = model(sampler(rng, stop - start))[output]
        part = y[start:stop]
        part[...] = np.broadcast_to(out, part.shape)
        finite = part if np.isfinite(part.sum()) else part[np.isfinite(part)]
        mean = float(finite.mean()) if finite.size else 0.0
        moments[j] = (finite.size, mean, float(np.var(finite, ddof=1)) if finite.size > 1 else 0.0)

    if workers > 1 and len(bounds) > 1:
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            list(pool.map(run, range(len(bounds))))
    else:
        for j in range(len(bounds)):
            run(j)
    return y, moments, first_chunk + len(bounds)


def _pooled(moments):
    """Mean and standard deviation of all values from per-chunk ``(n, mean, variance)`` (Chan et al.)."""
    n = np.array([m[0] for m in moments], dtype=float)
    means = np.array([m[1] for m in moments])
    variances = np.array([m[2] for m in moments])
    total = n.sum()
    grand = float(np.dot(n, means) / total)
    ss = float(np.dot(np.maximum(n - 1, 0), variances) + np.dot(n, (means - grand) ** 2))
    return grand, math.sqrt(ss / (total - 1))


def _summary(y, moments, coverage, warnings):
    finite = int(sum(m[0] for m in moments))
    if finite < y.size:
        warnings.append(f"{y.size - finite} of {y.size} model values were not finite and were discarded")
        if finite < 2:
            raise BudgetError("model", "gives no finite values for the sampled inputs")
        y = y[np.isfinite(y)]
    with np.errstate(all="ignore"):
        mean, u = _pooled(moments)
    if not (math.isfinite(mean) and math.isfinite(u)):
        raise BudgetError("model", "the Monte Carlo mean or standard deviation overflows (is not finite); "
                                   "check the magnitudes of the inputs")
    symmetric, shortest = coverage_intervals(y, coverage, overwrite=True)
    return mean, u, symmetric, shortest, y.size


def monte_carlo(model: ModelLike, inputs: Sequence[InputQuantity], correlations: Correlations = (), *,
                trials: int = 10**6, coverage: float = 0.95,
                seed: int | np.random.SeedSequence | np.random.Generator | None = None, adaptive: int | None = None,
                output: int | str = 0, chunk: int = DEFAULT_CHUNK, workers: int | None = None,
                max_trials: int = 10**8) -> McResult:
    """Propagate the input distributions through the model (JCGM 101 clauses 5–7).

    :param model: :class:`~uncertainty.model.Model`, expression text or vectorised callable
    :param inputs: sequence of :class:`~uncertainty.quantities.InputQuantity`
    :param correlations: ``[(name_a, name_b, r), ...]``; Gaussian inputs are sampled jointly
        through the Cholesky factor (JCGM 101 6.4.8), other marginals via a Gaussian copula
    :param trials: number of trials M (ignored when ``adaptive`` is given)
    :param coverage: coverage probability p
    :param seed: int, :class:`numpy.random.Generator`, SeedSequence or ``None``; the entropy used
        is recorded in the result
    :param adaptive: n_dig for the adaptive procedure of JCGM 101 7.9, or ``None``
    :param output: output index of a multi-output model
    :param chunk: trials per chunk (bounds the memory used for inputs)
    :param workers: threads (default: up to 2, the cores of the target machine)
    :param max_trials: cap on the adaptive procedure
    :returns: :class:`McResult`
    :raises BudgetError: for invalid arguments

    >>> from uncertainty.quantities import normal
    >>> r = monte_carlo("a + b", [normal("a", 0, 3), normal("b", 0, 4)], trials=200_000, seed=1)
    >>> round(r.u, 1)
    5.0
    """
    inputs = tuple(inputs)
    names = [q.name for q in inputs]
    model = as_model(model, names)
    r = correlation_matrix(names, correlations)
    name = model.outputs[output]
    model, inputs, r, output = _reduce(model, inputs, r, output)
    sampler = _Sampler(inputs, r)
    entropy = resolve_seed(seed)
    workers = workers or min(2, os.cpu_count() or 1)
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise BudgetError("chunk", f"must be a positive integer, got {chunk!r}")
    if not isinstance(coverage, float) or not 0 < coverage < 1:
        raise BudgetError("coverage", f"must be a probability between 0 and 1, got {coverage!r}")
    warnings = []
    run = (sampler, output, entropy)
    if adaptive is None:
        if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)) or not 1 < trials <= MAX_TRIALS:
            raise BudgetError("trials", f"must be an integer between 2 and {MAX_TRIALS}, got {trials!r}")
        if trials < 100 / (1 - coverage):
            warnings.append(f"M = {trials} is below 100/(1 - p) = {math.ceil(100 / (1 - coverage))} (JCGM 101 7.2.2)")
        y, moments, _ = _simulate(model, *run, 0, int(trials), chunk, workers)
    else:
        y, moments = _adaptive(model, run, adaptive, coverage, chunk, workers, max_trials, warnings)
    mean, u, symmetric, shortest, used = _summary(y, moments, coverage, warnings)
    return McResult(name, mean, u, coverage, symmetric, shortest, used, entropy, adaptive, tuple(warnings))


class _Reduced:
    """One output expression over a reduced set of inputs (see :func:`_reduce`)."""

    def __init__(self, tree):
        self._f = compile_tree(tree)

    def __call__(self, env):
        return [self._f(env)]


def _reduce(model, inputs, r, output):
    """Sample only what the output needs, exactly (same output distribution, fewer draws).

    For an expression model: inputs the output does not use are not sampled, and each sum of
    independent Gaussian inputs that occur nowhere else becomes one Gaussian input
    (:func:`~uncertainty.gaussian_sums.merge_gaussian_sums`).  Callables are left as they are.

    :returns: ``(model, inputs, r, output)`` to sample and evaluate
    """
    if model.expressions is None:
        return model, inputs, r, output
    linked = np.any(r != np.eye(len(inputs)), axis=1)
    gaussian = {q.name: (q.value, q.u) for q, c in zip(inputs, linked, strict=False)
                if not c and q.distribution == "normal" and q.u > 0}
    tree, merged = merge_gaussian_sums(model.expressions[output].tree, gaussian)
    used = variables(tree)
    first = {group[0]: (name, mean, u) for name, mean, u, group in merged}
    keep, new_inputs = [], []
    for i, q in enumerate(inputs):
        if q.name in first:
            new_inputs.append(InputQuantity(*first[q.name]))
            keep.append(None)
        elif q.name in used:
            new_inputs.append(q)
            keep.append(i)
    idx = [k for k in keep if k is not None]
    new_r = np.eye(len(new_inputs))
    pos = [j for j, k in enumerate(keep) if k is not None]
    new_r[np.ix_(pos, pos)] = r[np.ix_(idx, idx)]
    return _Reduced(tree), tuple(new_inputs), new_r, 0



def _adaptive(model, run, digits, coverage, chunk, workers, max_trials, warnings):
    """JCGM 101 7.9.4: repeat blocks of M trials until 2 s <= delta for y, u, y_low, y_high.

    :returns: ``(values, moments)`` of all blocks
    """
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 6:
        raise BudgetError("adaptive", f"must be an integer number of significant digits 1..6, got {digits!r}")
    block = max(math.ceil(100 / (1 - coverage)), 10**4)
    # One buffer for all blocks: np.empty only reserves address space, the pages are committed as
    # blocks are written, so the memory used is 8 bytes per trial actually run, never two copies.
    buffer = np.empty(max(max_trials // block, 2) * block)
    stats, moments, next_chunk, n = [], [], 0, 0
    while True:
        y = buffer[n:n + block]
        _, block_moments, next_chunk = _simulate(model, *run, next_chunk, block, chunk, workers, out=y)
        n += block
        finite = y[np.isfinite(y)]
        if finite.size < 2:
            raise BudgetError("model", "gives no finite values for the sampled inputs")
        (low, high), _ = coverage_intervals(finite, coverage)
        moments.extend(block_moments)
        stats.append((*_pooled(block_moments), low, high))
        if len(stats) >= 2:
            spread = np.std(np.array(stats), axis=0, ddof=1) / math.sqrt(len(stats))
            if np.all(2 * spread <= numerical_tolerance(_pooled(moments)[1], digits)):
                return buffer[:n], moments
            if n + block > buffer.size:
                warnings.append(f"adaptive procedure stopped at max_trials = {max_trials} before reaching "
                                f"{digits} significant digits")
                return buffer[:n], moments
        log.debug("adaptive MCM: %d trials so far", n)


def validate(gum_result: GumResult, mc_result: McResult, digits: int = 2) -> Validation:
    """Validate the GUM result by the MCM result (JCGM 101 clause 8).

    :param gum_result: :class:`~uncertainty.results.GumResult`
    :param mc_result: :class:`~uncertainty.results.McResult` (same coverage probability)
    :param digits: n_dig used to express u(y) (JCGM 101 8.2 a)
    :returns: :class:`~uncertainty.results.Validation`
    """
    delta = numerical_tolerance(gum_result.u, digits)
    low, high = gum_result.interval
    d_low = abs(low - mc_result.interval[0])
    d_high = abs(high - mc_result.interval[1])
    return Validation(delta, d_low, d_high, bool(d_low <= delta and d_high <= delta), digits)
