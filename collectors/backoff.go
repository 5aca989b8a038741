package collectors

import (
	"math/rand/v2"
	"time"
)

const (
	backoffBase = 2 * time.Second
	backoffCap  = 15 * time.Minute
)

// Backoff is how long to leave a source alone after its
// consecutiveErrors-th failure in a row: exponential with full jitter
// (a uniform pick in [0, min(cap, base*2^(n-1))), base 2 s, cap 15 min), so
// sources that failed together do not retry together. It is never shorter
// than the server's Retry-After. rnd returns values in [0, 1); nil means
// math/rand/v2.
func Backoff(consecutiveErrors int, retryAfter time.Duration, rnd func() float64) time.Duration {
	if rnd == nil {
		rnd = rand.Float64
	}
	n := max(consecutiveErrors, 1)
	ceiling := backoffCap
	// 2s << 9 is already past the cap; stop shifting before it overflows.
	if n <= 9 {
		ceiling = min(backoffBase<<(n-1), backoffCap)
	}
	r := min(max(rnd(), 0), 1)
	d := time.Duration(r * float64(ceiling))
	return max(d, retryAfter)
}
