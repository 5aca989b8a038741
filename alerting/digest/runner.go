package digest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/pantau/pantau/alerting/notify"
	"github.com/pantau/pantau/store"
)

// Outbox is the part of the store the runner uses; *store.Store
// implements it. A digest for a receiver is one outbox item whose id
// names the digest's kind, period and receiver: enqueueing it again is a
// no-op, and the notification dispatcher delivers it at least once, with
// its retries and backoff.
type Outbox interface {
	Enqueue(items ...store.OutboxItem) error
	OutboxItemByID(id string) (store.OutboxItem, bool, error)
	OutboxCursor(name string) (uint64, bool, error)
	SetOutboxCursor(name string, seq uint64) error
}

// Target is a receiver that takes digests, with the brands its route
// limits it to (empty: all).
type Target struct {
	Name   string
	Brands []string
}

// Job is one digest kind on its schedule.
type Job struct {
	Kind      Kind
	Schedule  cron.Schedule
	Loc       *time.Location
	Receivers []Target
}

// RunnerOptions are the runner's dependencies; zero values are the
// production ones.
type RunnerOptions struct {
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// NewTimer makes a timer; nil is the real one. Tests pass a fake
	// clock's.
	NewTimer func(d time.Duration) (c <-chan time.Time, stop func() bool)
	// Wake tells the dispatcher that receivers have new outbox items.
	Wake func(receivers ...string)
	// Render sets the dashboard links.
	Render RenderOptions
	// Exclude are words never counted as complaint terms (brand names).
	Exclude []string
	// RetryDelay is the wait after a failed run; default 1 min.
	RetryDelay time.Duration
	// Timeout bounds one digest's computing and enqueueing; default 5 min.
	Timeout time.Duration
}

// Runner makes each digest when its schedule fires and puts it in the
// outbox. It keeps no state of its own: what was sent is in the outbox,
// so a restart neither repeats a digest nor, after downtime, sends a
// backlog: at start only the latest missed digest of each kind goes out.
//
// It uses cron's schedule parser but its own loop rather than cron.Cron,
// because catching up needs the scheduled time itself (the period is
// derived from it) and tests need an injected clock, which cron.Cron,
// reading the real clock, cannot take.
type Runner struct {
	jobs []Job
	src  Source
	out  Outbox
	log  *slog.Logger
	o    RunnerOptions
}

// baselineCursor names the record of when digests first ran on this store:
// a digest due before that was never missed (Pantau did not make digests
// then), so a first start does not send yesterday's at once. The outbox's
// name-to-number cursors hold it as Unix seconds.
const baselineCursor = "digest.first_run"

// NewRunner makes a runner. A nil logger discards.
func NewRunner(jobs []Job, src Source, out Outbox, logger *slog.Logger, o RunnerOptions) *Runner {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NewTimer == nil {
		o.NewTimer = func(d time.Duration) (<-chan time.Time, func() bool) {
			t := time.NewTimer(d)
			return t.C, t.Stop
		}
	}
	if o.Wake == nil {
		o.Wake = func(...string) {}
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = time.Minute
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Minute
	}
	return &Runner{jobs: jobs, src: src, out: out, log: logger, o: o}
}

// Run sends digests until ctx is done. The first round is the catch-up:
// each kind's latest due digest goes out unless it already has (or was
// due before digests were first run on this store).
func (r *Runner) Run(ctx context.Context) error {
	if len(r.jobs) == 0 {
		return nil
	}
	var since time.Time
	for {
		var err error
		if since, err = r.baseline(); err == nil {
			break
		}
		r.log.Error("digest: could not read when digests first ran; will retry", "err", err)
		c, stop := r.o.NewTimer(r.o.RetryDelay)
		select {
		case <-ctx.Done():
			stop()
			return nil
		case <-c:
		}
	}
	now := r.o.Now()
	done := make([]time.Time, len(r.jobs))
	for i, j := range r.jobs {
		if len(j.Receivers) == 0 {
			r.log.Info("digest: no receiver takes this digest (add digest to a receiver's actions); preview it with pantau digest", "kind", j.Kind)
		}
		if due, ok := LastFire(j.Schedule, now); ok && due.Before(since) {
			done[i] = due
		}
	}
	for {
		now := r.o.Now()
		var next time.Time
		for i, j := range r.jobs {
			if due, ok := LastFire(j.Schedule, now); ok && due.After(done[i]) {
				if err := r.Send(ctx, j, due); err != nil {
					if ctx.Err() != nil {
						return nil
					}
					r.log.Error("digest: could not make the digest; will retry", "kind", j.Kind, "due", due, "err", err)
					next = earliest(next, now.Add(r.o.RetryDelay))
				} else {
					done[i] = due
				}
			}
			next = earliest(next, j.Schedule.Next(now))
		}
		if next.IsZero() {
			// No schedule fires again (config validation refuses such
			// schedules; this guards against a busy loop all the same).
			<-ctx.Done()
			return nil
		}
		c, stop := r.o.NewTimer(max(next.Sub(now), 0))
		select {
		case <-ctx.Done():
			stop()
			return nil
		case <-c:
		}
	}
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// baseline returns when digests first ran on this store, recording now
// on the first run.
func (r *Runner) baseline() (time.Time, error) {
	secs, found, err := r.out.OutboxCursor(baselineCursor)
	if err != nil {
		return time.Time{}, fmt.Errorf("digest: %w", err)
	}
	if found {
		return time.Unix(int64(secs), 0), nil
	}
	now := r.o.Now()
	if err := r.out.SetOutboxCursor(baselineCursor, uint64(now.Unix())); err != nil {
		return time.Time{}, fmt.Errorf("digest: %w", err)
	}
	return now.Truncate(time.Second), nil
}

// Send makes job's digest due at due for every receiver that does not
// have it yet and puts it in the outbox: one report per distinct brand
// scope. It is idempotent. A panic while making it (a bug met by some
// hostile text) is returned as an error: the daemon keeps running and the
// digest is tried again.
func (r *Runner) Send(ctx context.Context, job Job, due time.Time) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("digest %s: panic: %v", job.Kind, p)
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, r.o.Timeout)
	defer cancel()
	period := PeriodFor(job.Kind, due, job.Loc)
	id := ID(job.Kind, period)
	scopes := map[string][]Target{}
	var order []string
	for _, t := range job.Receivers {
		made, err := r.made(job.Kind, t.Name, period, id)
		if err != nil {
			return err
		}
		if made {
			continue
		}
		b := slices.Clone(t.Brands)
		slices.Sort(b)
		key := strings.Join(b, "\x00")
		if _, ok := scopes[key]; !ok {
			order = append(order, key)
		}
		scopes[key] = append(scopes[key], t)
	}
	var errs []error
	for _, key := range order {
		targets := scopes[key]
		rep, err := Compute(ctx, r.src, Params{Kind: job.Kind, At: due, Loc: job.Loc, Brands: targets[0].Brands, Exclude: r.o.Exclude})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out, err := Render(rep, r.o.Render)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := r.enqueue(id, out.Message, targets); err != nil {
			errs = append(errs, err)
			continue
		}
		names := make([]string, len(targets))
		for i, t := range targets {
			names[i] = t.Name
			// After the enqueue: a crash in between leaves the outbox
			// item, which made also looks for.
			if err := r.out.SetOutboxCursor(madeMark(job.Kind, t.Name), uint64(period.Start.Unix())); err != nil {
				errs = append(errs, err)
			}
		}
		r.log.Info("digest: queued", "kind", job.Kind, "period", period.Label(), "receivers", names,
			"mentions", rep.Cur.Mentions, "complaints", rep.Cur.Complaints)
		r.o.Wake(names...)
	}
	return errors.Join(errs...)
}

// madeMark names the record of the latest period a kind's digest was made
// for a receiver (Unix seconds of the period's start). The outbox item
// alone is not enough: finished items are pruned after the outbox's
// retention, which may be shorter than a week.
func madeMark(kind Kind, receiver string) string {
	return "digest.made." + string(kind) + "." + receiver
}

// made reports whether the digest of period was already made for a
// receiver: its mark has reached the period, or its outbox item exists.
func (r *Runner) made(kind Kind, receiver string, period Period, id string) (bool, error) {
	mark, found, err := r.out.OutboxCursor(madeMark(kind, receiver))
	if err != nil {
		return false, err
	}
	if found && int64(mark) >= period.Start.Unix() {
		return true, nil
	}
	_, found, err = r.out.OutboxItemByID(store.OutboxID(id, receiver, store.OutboxDigest))
	return found, err
}

func (r *Runner) enqueue(id string, m notify.Message, targets []Target) error {
	payload, err := json.Marshal(m)
	if err != nil {
		return err
	}
	items := make([]store.OutboxItem, len(targets))
	for i, t := range targets {
		items[i] = store.OutboxItem{Receiver: t.Name, AlertID: id, Action: store.OutboxDigest, Payload: payload}
	}
	return r.out.Enqueue(items...)
}
