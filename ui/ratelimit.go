package ui

import (
	"sync"
	"time"
)

// failureLimiter counts failed logins per key (a user name, a client IP)
// in a sliding window and refuses a key that reached the limit until its
// oldest failure in the window ages out.
type failureLimiter struct {
	max    int
	window time.Duration

	mu   sync.Mutex
	fail map[string][]time.Time // oldest first
}

// maxLimiterKeys bounds the memory an attacker spraying names or
// addresses can take; past it the stalest keys are forgotten.
const maxLimiterKeys = 10000

func newFailureLimiter(max int, window time.Duration) *failureLimiter {
	return &failureLimiter{max: max, window: window, fail: map[string][]time.Time{}}
}

// blocked returns how long key must wait, or 0.
func (l *failureLimiter) blocked(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	ts := l.prune(key, now)
	if len(ts) < l.max {
		return 0
	}
	return ts[len(ts)-l.max].Add(l.window).Sub(now)
}

// failed records one failure of key.
func (l *failureLimiter) failed(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.fail[key]; !ok && len(l.fail) >= maxLimiterKeys {
		l.evict(now)
	}
	l.fail[key] = append(l.prune(key, now), now)
}

// reset forgets key's failures (a successful login by that user).
func (l *failureLimiter) reset(key string) {
	l.mu.Lock()
	delete(l.fail, key)
	l.mu.Unlock()
}

func (l *failureLimiter) prune(key string, now time.Time) []time.Time {
	ts := l.fail[key]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= l.window {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(l.fail, key)
		return nil
	}
	l.fail[key] = ts
	return ts
}

// evict drops expired keys, and if that is not enough, the key whose last
// failure is oldest.
func (l *failureLimiter) evict(now time.Time) {
	var stalest string
	var at time.Time
	for k := range l.fail {
		ts := l.prune(k, now)
		if len(ts) > 0 && (stalest == "" || ts[len(ts)-1].Before(at)) {
			stalest, at = k, ts[len(ts)-1]
		}
	}
	if len(l.fail) >= maxLimiterKeys {
		delete(l.fail, stalest)
	}
}
