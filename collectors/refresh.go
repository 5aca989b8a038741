package collectors

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/pantau/pantau/store"
)

// RefreshStore is the part of *store.Store the engagement refresh reads:
// the mentions seen lately and each one's engagement samples.
type RefreshStore interface {
	MentionsSeenSince(since time.Time, limit int) ([]store.Mention, error)
	Samples(key string) ([]store.Sample, error)
}

var _ RefreshStore = (*store.Store)(nil)

// refreshTier is one step of the decaying refresh schedule: a mention
// younger than Under is refreshed every Every.
type refreshTier struct {
	Under time.Duration
	Every time.Duration
}

// refreshSchedule is the decaying engagement refresh (SOURCES.md §8.7):
// virality shows in the first hour, so a young mention is re-read every
// 5 minutes; then hourly for its first day, daily for its first week, and
// never after. Tiers are by age (from the mention's creation), oldest
// boundary last.
//
// Cost per mention: 12 refreshes in its first hour, 23 in the rest of its
// first day (35 on day one), then 1 a day for 6 days: 41 in all. Calls
// are fewer, since one call refreshes up to refreshBatchSize mentions of
// a source (and collectors chunk further as their APIs need, e.g. 25 per
// Bluesky getPosts): a source bringing 1,000 mentions a day costs about
// 41,000 mention refreshes a day once a week of them is in the window,
// about 410 calls of 100 (or 1,640 of 25). The 5-minute tier dominates:
// 12,000 of those refreshes re-read the last hour's mentions.
var refreshSchedule = []refreshTier{
	{Under: time.Hour, Every: 5 * time.Minute},
	{Under: 24 * time.Hour, Every: time.Hour},
	{Under: 7 * 24 * time.Hour, Every: 24 * time.Hour},
}

const (
	// refreshSpec is how often the scheduler looks for due mentions. A
	// minute is the resolution of the schedule: a 5-minute refresh lands
	// 5 to 6 minutes after the previous one.
	refreshSpec = "@every 1m"
	// refreshBatchSize caps the mentions handed to one Refresh call.
	refreshBatchSize = 100
	// refreshMaxBatches caps the calls per source per run; what is left
	// waits for the next run, youngest tiers first, so a burst of
	// mentions cannot turn one run into hundreds of calls.
	refreshMaxBatches = 5
	// refreshScanPage is how many mentions one store read returns.
	refreshScanPage = 2000
	// refreshMaxScan bounds the mentions one run looks at (a week of a
	// very busy brand), so a run stays a bounded amount of work.
	refreshMaxScan = 200_000
	// refreshSkew widens the scan: a mention's creation time may be a
	// little after the time it was seen when the clocks disagree.
	refreshSkew = time.Hour
)

// refreshWindow is the age after which a mention is never refreshed.
var refreshWindow = refreshSchedule[len(refreshSchedule)-1].Under

// refreshInterval is how often a mention of the given age is refreshed;
// ok is false when it is too old to be refreshed at all.
func refreshInterval(age time.Duration) (every time.Duration, ok bool) {
	for _, t := range refreshSchedule {
		if age < t.Under {
			return t.Every, true
		}
	}
	return 0, false
}

// refreshDue reports whether a mention created at created, last refreshed
// (or first seen) at last, is due at now.
func refreshDue(now, created, last time.Time) bool {
	every, ok := refreshInterval(now.Sub(created))
	return ok && now.Sub(last) >= every
}

// refreshState is the scheduler's memory of refreshes.
type refreshState struct {
	scheduled bool // the cron job is added (under Scheduler.mu)
	warned    bool // the "no RefreshStore" warning was logged (under Scheduler.mu)

	mu sync.Mutex
	// last is when each mention was last refreshed or sampled, as far as
	// this process knows. It saves reading a mention's samples every run,
	// and it covers a refresh whose collector returned no sample for a
	// mention (a deleted post), which would otherwise be due again at
	// once. After a restart it starts empty and the samples speak.
	last map[string]time.Time
}

func (r *refreshState) get(key string) time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last[key]
}

func (r *refreshState) mark(key string, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last == nil {
		r.last = map[string]time.Time{}
	}
	if at.After(r.last[key]) {
		r.last[key] = at
	}
}

// prune forgets mentions too old to be refreshed again.
func (r *refreshState) prune(before time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, t := range r.last {
		if t.Before(before) {
			delete(r.last, k)
		}
	}
}

// scheduleRefreshLocked adds the refresh job the first time a Refresher is
// added. One job serves every source: it reads the store once per run
// instead of once per source. Call with s.mu held.
func (s *Scheduler) scheduleRefreshLocked() error {
	if s.refresh == nil {
		if !s.refreshing.warned {
			s.refreshing.warned = true
			s.log.Warn("engagement refresh is off: the scheduler's store cannot list mentions and samples")
		}
		return nil
	}
	if s.refreshing.scheduled {
		return nil
	}
	if _, err := s.cron.AddJob(refreshSpec, cron.FuncJob(func() { s.refreshTick() })); err != nil {
		return fmt.Errorf("engagement refresh: %w", err)
	}
	s.refreshing.scheduled = true
	return nil
}

// refreshTick is one run of the refresh job: it finds the due mentions of
// every Refresher and starts one refresh per source in the background, so
// a slow source does not hold up the others (nor the next run: a source
// whose previous refresh still runs is skipped). The returned WaitGroup
// lets tests wait for the refreshes it started.
func (s *Scheduler) refreshTick() *sync.WaitGroup {
	var wg sync.WaitGroup
	s.mu.Lock()
	jobs := map[string]*job{}
	for _, j := range s.jobs {
		if _, ok := j.c.(Refresher); ok {
			jobs[j.c.Name()] = j
		}
	}
	stopped := s.stopped
	s.mu.Unlock()
	if stopped || len(jobs) == 0 || s.refresh == nil {
		return &wg
	}
	due, err := s.dueForRefresh(s.now(), jobs)
	if err != nil {
		s.log.Error("engagement refresh: list mentions", "err", err)
		return &wg
	}
	names := make([]string, 0, len(due))
	for name := range due {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		j := jobs[name]
		select {
		case j.refreshBusy <- struct{}{}:
		default:
			s.log.Info("refresh still running, skipping this run", "source", name)
			continue
		}
		s.mu.Lock()
		if s.stopped {
			s.mu.Unlock()
			<-j.refreshBusy
			return &wg
		}
		s.bg.Add(1)
		wg.Add(1)
		s.mu.Unlock()
		go func(j *job, ms []store.Mention) {
			defer s.bg.Done()
			defer wg.Done()
			defer func() { <-j.refreshBusy }()
			// Collector panics are caught in callRefresh; this catches
			// the Sink's, which cron's Recover cannot see from here.
			defer func() {
				if p := recover(); p != nil {
					s.log.Error("refresh panicked", "source", j.c.Name(), "panic", redactText(fmt.Sprint(p)), "stack", string(debug.Stack()))
				}
			}()
			s.refreshSource(j, ms)
		}(j, due[name])
	}
	return &wg
}

// refreshCandidate is a mention that may be due, with what decides it.
type refreshCandidate struct {
	m     store.Mention
	every time.Duration
	last  time.Time
}

// dueForRefresh lists, per source, the mentions due for a refresh at now,
// youngest tier and most overdue first, at most refreshBatchSize *
// refreshMaxBatches per source. Brand posts and mentions an agent marked
// resolved or as needing no reply are left alone: nobody acts on their
// virality.
func (s *Scheduler) dueForRefresh(now time.Time, jobs map[string]*job) (map[string][]store.Mention, error) {
	cands := map[string][]refreshCandidate{}
	consider := func(m store.Mention) {
		if jobs[m.Source] == nil || m.ByBrand ||
			m.Handling == store.ReplyResolved || m.Handling == store.ReplyNotNeeded {
			return
		}
		created := m.CreatedAt
		if created.IsZero() || created.After(now) {
			created = m.SeenAt
		}
		every, ok := refreshInterval(now.Sub(created))
		if !ok {
			return
		}
		last := m.SeenAt
		if t := s.refreshing.get(m.Key); t.After(last) {
			last = t
		}
		if now.Sub(last) < every {
			return
		}
		cands[m.Source] = append(cands[m.Source], refreshCandidate{m: m, every: every, last: last})
	}
	if err := s.scanRecent(now.Add(-refreshWindow-refreshSkew), consider); err != nil {
		return nil, err
	}
	s.refreshing.prune(now.Add(-refreshWindow - 24*time.Hour))

	out := map[string][]store.Mention{}
	for name, cs := range cands {
		due := cs[:0]
		for _, c := range cs {
			// Only mentions that look due pay for reading their samples:
			// a poll may have sampled them since this process last did.
			samples, err := s.refresh.Samples(c.m.Key)
			if err != nil {
				s.log.Warn("engagement refresh: read samples", "source", name, "key", c.m.Key, "err", err)
				continue
			}
			if n := len(samples); n > 0 && samples[n-1].At.After(c.last) {
				c.last = samples[n-1].At
				s.refreshing.mark(c.m.Key, c.last)
			}
			if now.Sub(c.last) >= c.every {
				due = append(due, c)
			}
		}
		slices.SortFunc(due, func(a, b refreshCandidate) int {
			if c := cmp.Compare(a.every, b.every); c != 0 {
				return c
			}
			// Most overdue first, relative to its own interval.
			if c := cmp.Compare(now.Sub(b.last)-b.every, now.Sub(a.last)-a.every); c != 0 {
				return c
			}
			return cmp.Compare(a.m.Key, b.m.Key)
		})
		due = due[:min(len(due), refreshBatchSize*refreshMaxBatches)]
		if len(due) == 0 {
			continue
		}
		ms := make([]store.Mention, len(due))
		for i, c := range due {
			ms[i] = c.m
		}
		out[name] = ms
	}
	return out, nil
}

// scanRecent calls fn for every mention seen at or after since, oldest
// first, page by page. Mentions of one batch share their SeenAt, so a
// page is cut before its last SeenAt and the next page starts there: no
// mention is skipped or seen twice.
func (s *Scheduler) scanRecent(since time.Time, fn func(store.Mention)) error {
	limit, scanned := refreshScanPage, 0
	for scanned < refreshMaxScan {
		page, err := s.refresh.MentionsSeenSince(since, limit)
		if err != nil {
			return err
		}
		if len(page) < limit {
			for _, m := range page {
				fn(m)
			}
			return nil
		}
		lastSeen := page[len(page)-1].SeenAt
		cut := len(page)
		for cut > 0 && page[cut-1].SeenAt.Equal(lastSeen) {
			cut--
		}
		if cut == 0 {
			// One batch larger than the page: read it whole.
			if limit >= refreshMaxScan {
				for _, m := range page {
					fn(m)
				}
				break
			}
			limit = min(limit*2, refreshMaxScan)
			continue
		}
		for _, m := range page[:cut] {
			fn(m)
		}
		scanned += cut
		since = lastSeen
	}
	s.log.Warn("engagement refresh: too many recent mentions, the newest are not refreshed this run", "scanned", refreshMaxScan)
	return nil
}

// refreshSource refreshes one source's due mentions in batches. It
// respects the source's backoff, bounds each call with the source's
// timeout, and records a failure like a failed poll (so the backoff
// covers polls and refreshes of the source alike: both hit the same
// servers).
func (s *Scheduler) refreshSource(j *job, ms []store.Mention) {
	name, kind := j.c.Name(), j.c.Kind()
	log := s.log.With("source", name, "kind", kind)
	st, err := s.states.SourceState(name)
	if err != nil {
		log.Error("refresh: load source state", "err", err)
		return
	}
	if now := s.now(); st.NextAttempt.After(now) {
		log.Debug("refresh: backing off", "next_attempt", st.NextAttempt)
		return
	}
	r := j.c.(Refresher)
	for start := 0; start < len(ms); start += refreshBatchSize {
		chunk := ms[start:min(start+refreshBatchSize, len(ms))]
		now := s.now()
		ctx, cancel := context.WithTimeout(s.ctx, j.timeout)
		b, err := s.callRefresh(ctx, r, chunk)
		timedOut := errors.Is(ctx.Err(), context.DeadlineExceeded) && s.ctx.Err() == nil
		cancel()
		if err != nil {
			if s.ctx.Err() != nil {
				log.Info("refresh abandoned", "err", redactText(err.Error()))
				return
			}
			if timedOut {
				err = fmt.Errorf("%w (refresh timed out after %s)", err, j.timeout)
			}
			// What was gathered before the failure (samples, brand replies
			// of the threads that could be read) is kept.
			if len(b.Mentions) > 0 || len(b.Samples) > 0 {
				b.Cursor, b.Refresh = nil, true
				if _, derr := s.deliver(context.WithoutCancel(s.ctx), j, &b, now); derr != nil {
					err = errors.Join(err, fmt.Errorf("ingest: %w", derr))
				}
			}
			s.fail(log, j, st, now, "refresh", fmt.Errorf("source %q: refresh: %w", name, err))
			return
		}
		// A refresh re-reads old mentions: a cursor from it could move the
		// source's position backwards or past new mentions, so none is
		// stored whatever the collector returned.
		b.Cursor = nil
		b.Refresh = true
		res, err := s.deliver(context.WithoutCancel(s.ctx), j, &b, now)
		if err != nil {
			s.fail(log, j, st, now, "refresh", fmt.Errorf("source %q: refresh: ingest: %w", name, err))
			return
		}
		st.ConsecutiveErrors = 0 // the ingest cleared it in the store too
		for _, m := range chunk {
			s.refreshing.mark(m.Key, now)
		}
		level := slog.LevelDebug
		if len(res.New) > 0 || len(res.Rejected) > 0 {
			level = slog.LevelInfo
		}
		log.Log(s.ctx, level, "refreshed", "mentions", len(chunk), "samples", len(b.Samples), "new", len(res.New), "rejected", len(res.Rejected))
		for _, rej := range res.Rejected[:min(len(res.Rejected), 5)] {
			log.Warn("refresh: rejected", "err", redactText(rej.Error()))
		}
	}
}

// callRefresh calls the collector, turning a panic into an error.
func (s *Scheduler) callRefresh(ctx context.Context, r Refresher, ms []store.Mention) (b store.Batch, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("collector panicked in refresh", "source", r.Name(), "panic", redactText(fmt.Sprint(p)), "stack", string(debug.Stack()))
			b, err = store.Batch{}, fmt.Errorf("collector panicked: %v", p)
		}
	}()
	// The collector gets its own copy: it may keep or change the slice.
	return r.Refresh(ctx, slices.Clone(ms))
}
