# bench/lib-stats.sh - order statistics of the numbers on standard input,
# one per line, for the bench scripts (sourced): median, its 95 % interval,
# the first quartile.  Medians and quantiles, not means: a round that another
# process slowed moves them little.
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# ci: the distribution-free 95 % confidence interval of a median, "LO HI":
# the order statistics at n/2 -+ 0.98 sqrt(n) (the binomial's normal
# approximation; 21 rounds: the 6th and the 16th smallest).  How far the
# per-round ratio can be trusted: on this 2-vCPU VM an empty library's E/A
# moves by +-10 % from one run to the next.
ci() { sort -g | awk '{ a[NR] = $1 } END {
	if (NR < 3) { print "nan nan"; exit }
	lo = int(NR / 2 - 0.98 * sqrt(NR)); hi = int(NR / 2 + 1 + 0.98 * sqrt(NR) + 0.999)
	if (lo < 1) lo = 1; if (hi > NR) hi = NR
	print a[lo], a[hi] }'; }
# q25: the first quartile.  bench_fork's parent rounds are bimodal here on a
# busy day, in every mode alike (61 rounds at N = 1,000: a fast cluster, A
# about 50 us, and one 20-60 % slower, the same share of rounds in each
# mode), so the median falls at the fast cluster's edge or in the slow one
# by chance; the first quartile is inside the fast one.
q25() { sort -g | awk '{ a[NR] = $1 } END { print NR ? a[int((NR + 3) / 4)] : "nan" }'; }
