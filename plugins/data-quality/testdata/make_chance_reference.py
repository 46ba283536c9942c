"""Critical counts of the beta-binomial law, for data-quality's chance.rs tests.

For each case: the smallest k with P(K >= k) <= alpha for K ~ BetaBinomial(m, a, b). The
probabilities are computed independently of chance.rs: every pmf term from scipy.special's
gammaln and betaln, the tails as reverse cumulative sums (smallest terms first). scipy's own
betabinom.sf is not used: it is off by up to 2e-4 relative for large m and heavy tails (m = 1e7,
a = 1, b = 342: its critical count is 71 too high), which the generator reports. Cases whose tail
lies within 1e-6 relative of alpha at the answer are left out as too close to call. Run with the
repo's venv: .venv/bin/python plugins/data-quality/testdata/make_chance_reference.py
"""
import json
from pathlib import Path

import numpy as np
from scipy.special import betaln, gammaln
from scipy.stats import betabinom

CASES = []
for m in (1, 7, 40, 228, 1000, 100_000, 1_000_000, 10_000_000):
    for x, n in ((0, 341), (3, 341), (0, 1000), (50, 1000), (2, 100_000)):
        for alpha in (1e-3, 1e-5):
            CASES.append((m, x + 1.0, n - x + 1.0, alpha))
# Out of range against n reference values: Beta(2, n - 1).
for m in (40, 1000, 1_000_000, 10_000_000):
    for n in (40, 341, 1000, 1_000_000):
        CASES.append((m, 2.0, n - 1.0, 1e-4))


def tails(m, a, b):
    """P(K >= k) for k = 0..m."""
    k = np.arange(m + 1, dtype=np.float64)
    logp = gammaln(m + 1) - gammaln(k + 1) - gammaln(m - k + 1) + betaln(k + a, m - k + b) - betaln(a, b)
    p = np.exp(logp - logp.max())
    p /= p.sum()
    return np.cumsum(p[::-1])[::-1]


out, close, scipy_off = [], 0, []
for m, a, b, alpha in CASES:
    t = tails(m, a, b)
    above = np.nonzero(t > alpha)[0]
    k = int(above[-1]) + 1 if len(above) else 0
    at = t[k] if k <= m else 0.0
    if abs(at / alpha - 1) < 1e-6 or abs(t[k - 1] / alpha - 1) < 1e-6:
        close += 1
        continue
    s = betabinom.sf(np.arange(max(k - 200, 0), min(k + 200, m + 1)) - 1, m, a, b)
    ks = int(np.nonzero(s <= alpha)[0][0]) + max(k - 200, 0) if (s <= alpha).any() else None
    if ks != k and k <= m:
        scipy_off.append((m, a, b, alpha, k, ks))
    out.append(dict(m=m, a=a, b=b, alpha=alpha, k=k))
path = Path(__file__).with_name("chance_reference.json")
path.write_text(json.dumps(out, indent=1) + "\n")
print(f"wrote {len(out)} cases to {path} ({close} too close to call left out)")
for c in scipy_off:
    print("scipy.stats.betabinom.sf disagrees (m, a, b, alpha, k, scipy's k):", c)
