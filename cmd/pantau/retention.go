package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/pantau/pantau/store"
)

// retentionFirstRun is the wait after start before the first retention
// pass, so start-up (and a crash loop) is not slowed by it.
const retentionFirstRun = time.Minute

// runRetention prunes every kind of data older than its configured age,
// first a minute after start, then every interval, until ctx is done.
// cfg is read at each pass, so a reload's ages apply from the next one.
func runRetention(ctx context.Context, st *store.Store, cfg func() store.RetentionConfig, now func() time.Time, log *slog.Logger) {
	wait := retentionFirstRun
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		c := cfg()
		retentionPass(ctx, st, c, now(), log)
		wait = time.Duration(c.Interval)
	}
}

// retentionPass runs one pass at now and returns what it deleted by kind.
// A failure is logged and the other kinds still run.
func retentionPass(ctx context.Context, st *store.Store, c store.RetentionConfig, now time.Time, log *slog.Logger) map[store.RetentionKind]int {
	ages := c.Ages()
	deleted := map[store.RetentionKind]int{}
	for _, kind := range store.RetentionKinds {
		start := time.Now()
		n, err := st.Prune(ctx, kind, now.Add(-ages[kind]), 0)
		deleted[kind] = n
		if err != nil {
			if ctx.Err() == nil {
				log.Error("retention failed", "kind", kind, "deleted", n, "err", err)
			}
			continue
		}
		if n > 0 {
			log.Info("retention", "kind", kind, "older_than", store.Age(ages[kind]), "deleted", n, "took", time.Since(start).Round(time.Millisecond))
		}
	}
	return deleted
}
