package collectors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/pantau/pantau/store"
)

// DefaultIngestTimeout bounds handing one batch to the Sink.
const DefaultIngestTimeout = 2 * time.Minute

var (
	// ErrNotDue is wrapped by PollNow's error when the source is backing
	// off after errors and its next attempt is still to come.
	ErrNotDue = errors.New("source is backing off")
	// ErrUnknownSource is wrapped by PollNow's error for a name that was
	// never added.
	ErrUnknownSource = errors.New("unknown source")
)

// Scheduler runs each collector on its cron schedule: it skips sources that
// are backing off, bounds each poll with the source's timeout, records
// failures with a backoff (honouring Retry-After) and hands successful
// batches to the Sink. It also keeps the live streams of Streamers
// running (stream.go) and re-reads the engagement of young mentions from
// Refreshers on a decaying schedule (refresh.go). Every batch it hands on
// carries the collector's Coverage statement. A Scheduler runs once:
// Start, then Stop.
type Scheduler struct {
	states SourceStates
	sink   Sink
	log    *slog.Logger
	now    func() time.Time
	// rnd drives the backoff jitter; tests pin it.
	rnd           func() float64
	ingestTimeout time.Duration
	// sleep waits for d or until ctx is done (then returning its error).
	// Streams wait with it between reconnects; tests replace it so that
	// no test sleeps for real and the injected clock moves instead.
	sleep func(ctx context.Context, d time.Duration) error

	// refresh reads the mentions due for an engagement refresh; nil when
	// states does not offer it, which turns refreshes off.
	refresh RefreshStore
	// refreshing is the refresh run's own state.
	refreshing refreshState

	// observe, when set (ObservePolls), is told about every poll.
	observe PollObserver

	cron *cron.Cron
	// ctx is the parent of every poll the scheduler starts itself; Stop
	// cancels it so shutdown does not wait for slow servers. An abandoned
	// poll loses nothing: its cursor was not advanced.
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	jobs    []*job
	byName  map[string]*job
	started bool
	stopped bool
	initial sync.WaitGroup // runs started by Start/Add rather than by cron
	// bg tracks streams and refresh runs. Add is only called under mu
	// while not stopped, so it never races with Stop's Wait.
	bg sync.WaitGroup
}

type job struct {
	c       Collector
	timeout time.Duration
	// wrapped is the job behind cron's Recover and SkipIfStillRunning, so
	// the start-up run gets the same protection as scheduled runs.
	wrapped cron.Job
	// busy holds a token while the source is being polled: one poll per
	// source at a time, whoever started it (cron, Start, PollNow).
	busy chan struct{}
	// refreshBusy does the same for engagement refreshes, which run
	// beside polls (they fetch other things and store no cursor).
	refreshBusy chan struct{}
}

// NewScheduler builds a scheduler. logger nil discards logs; now nil means
// time.Now. When states also implements RefreshStore (*store.Store does),
// Refreshers get their engagement refreshes; otherwise they are only
// polled.
func NewScheduler(states SourceStates, sink Sink, logger *slog.Logger, now func() time.Time) *Scheduler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	l := cronLogger{logger}
	ctx, cancel := context.WithCancel(context.Background())
	rs, _ := states.(RefreshStore)
	return &Scheduler{
		states:        states,
		sink:          sink,
		log:           logger,
		now:           now,
		ingestTimeout: DefaultIngestTimeout,
		sleep:         sleepCtx,
		refresh:       rs,
		cron: cron.New(
			cron.WithLocation(time.UTC),
			cron.WithLogger(l),
			cron.WithChain(cron.Recover(l), cron.SkipIfStillRunning(l)),
		),
		ctx:    ctx,
		cancel: cancel,
		byName: map[string]*job{},
	}
}

// Add schedules c with a cron spec (standard five fields or a descriptor
// such as "@every 5m"; empty means DefaultSchedule) and a per-poll timeout
// (zero means DefaultTimeout). Sources added after Start are polled at
// once too. A Streamer's stream starts with Start (or at once after it);
// it is polled on its schedule as well, so its Poll can backfill what a
// stream cannot see, or do nothing. A Refresher joins the engagement
// refresh, each call bounded by the same timeout.
func (s *Scheduler) Add(c Collector, spec string, timeout time.Duration) error {
	if c == nil {
		return errors.New("scheduler: nil collector")
	}
	name := c.Name()
	if name == "" {
		return errors.New("scheduler: collector has no name")
	}
	if spec == "" {
		spec = DefaultSchedule
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return fmt.Errorf("scheduler: add source %q: scheduler is stopped", name)
	}
	if _, dup := s.byName[name]; dup {
		return fmt.Errorf("scheduler: source %q added twice", name)
	}
	j := &job{c: c, timeout: timeout, busy: make(chan struct{}, 1), refreshBusy: make(chan struct{}, 1)}
	id, err := s.cron.AddJob(spec, cron.FuncJob(func() { s.runScheduled(j) }))
	if err != nil {
		return fmt.Errorf("scheduler: source %q: schedule %q: %w", name, spec, err)
	}
	j.wrapped = s.cron.Entry(id).WrappedJob
	if _, ok := c.(Refresher); ok {
		if err := s.scheduleRefreshLocked(); err != nil {
			s.cron.Remove(id)
			return fmt.Errorf("scheduler: source %q: %w", name, err)
		}
	}
	s.jobs = append(s.jobs, j)
	s.byName[name] = j
	if s.started {
		s.kickLocked(j)
		s.startStreamLocked(j)
	}
	return nil
}

// Start starts the schedules and polls every source once right away, so a
// freshly started daemon shows data within seconds instead of after the
// first interval. It returns at once; polls run in the background.
func (s *Scheduler) Start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.stopped {
		return
	}
	s.started = true
	s.cron.Start()
	for _, j := range s.jobs {
		s.kickLocked(j)
		s.startStreamLocked(j)
	}
}

func (s *Scheduler) kickLocked(j *job) {
	s.initial.Add(1)
	go func() {
		defer s.initial.Done()
		j.wrapped.Run()
	}()
}

// Stop stops the schedules and the streams, abandons fetches in flight
// (batches already fetched are still handed to the Sink) and waits for
// running jobs, streams and refreshes to end, or for ctx.
func (s *Scheduler) Stop(ctx context.Context) error {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	s.cancel()
	cronDone := s.cron.Stop()
	done := make(chan struct{})
	go func() {
		<-cronDone.Done()
		s.initial.Wait()
		s.bg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("scheduler: stop: %w", ctx.Err())
	}
}

// PollNow polls one source now, under the same rules as a scheduled run
// (backoff respected, errors recorded, batch handed to the Sink), and
// returns the poll's error. It waits for a poll of the same source already
// running. ctx bounds both the poll and the hand-off.
func (s *Scheduler) PollNow(ctx context.Context, name string) (err error) {
	s.mu.Lock()
	j, ok := s.byName[name]
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("scheduler: %w %q", ErrUnknownSource, name)
	}
	select {
	case j.busy <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-j.busy }()
	// Collector panics are handled in run; this catches the Sink's.
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("poll panicked", "source", name, "panic", redactText(fmt.Sprint(p)), "stack", string(debug.Stack()))
			err = fmt.Errorf("source %q: poll panicked: %s", name, redactText(fmt.Sprint(p)))
		}
	}()
	return s.run(ctx, ctx, j)
}

// runScheduled is the cron job for one source.
func (s *Scheduler) runScheduled(j *job) {
	select {
	case j.busy <- struct{}{}:
	default:
		s.log.Info("poll already running, skipping this run", "source", j.c.Name())
		return
	}
	defer func() { <-j.busy }()
	// A batch that was fetched is worth storing even while shutting down:
	// the hand-off is not cancelled by Stop, only bounded in time.
	_ = s.run(s.ctx, context.WithoutCancel(s.ctx), j)
}

// run is one poll of one source. pollCtx parents the poll, ingestCtx the
// hand-off to the Sink.
func (s *Scheduler) run(pollCtx, ingestCtx context.Context, j *job) error {
	name, kind := j.c.Name(), j.c.Kind()
	log := s.log.With("source", name, "kind", kind)
	now := s.now()
	st, err := s.states.SourceState(name)
	if err != nil {
		log.Error("load source state", "err", err)
		return fmt.Errorf("source %q: load state: %w", name, err)
	}
	if st.NextAttempt.After(now) && clockWentBack(st, now) {
		// The backoff was counted from an error recorded "in the future":
		// the clock has been set back since. Waiting for that moment could
		// silence the source for as long as the clock jumped; one early
		// poll costs little.
		log.Warn("the clock went back since the last error; not waiting for the old backoff", "last_error", st.LastError, "next_attempt", st.NextAttempt)
	} else if st.NextAttempt.After(now) {
		log.Debug("backing off", "next_attempt", st.NextAttempt)
		return fmt.Errorf("source %q: %w until %s", name, ErrNotDue, st.NextAttempt.UTC().Format(time.RFC3339))
	}

	ctx, cancel := context.WithTimeout(pollCtx, j.timeout)
	pollStart := time.Now()
	b, err := s.poll(ctx, j.c, st.Cursor)
	timedOut := errors.Is(ctx.Err(), context.DeadlineExceeded) && pollCtx.Err() == nil
	cancel()
	if s.observe != nil && pollCtx.Err() == nil {
		s.observe(name, time.Since(pollStart), err)
	}
	// A partial failure (one storefront of several, one bad page) still
	// brings a usable batch: store it, then record the failure, so one
	// permanently broken part does not block the rest of the source.
	var partial *PartialPollError
	if err != nil && errors.As(err, &partial) && pollCtx.Err() == nil {
		if _, derr := s.deliver(ingestCtx, j, &b, now); derr != nil {
			err = errors.Join(err, fmt.Errorf("source %q: ingest: %w", name, derr))
		}
		return s.fail(log, j, st, now, "poll", err)
	}
	if err != nil {
		if pollCtx.Err() != nil {
			// Shutdown, or PollNow's caller gave up: not the source's fault.
			log.Info("poll abandoned", "err", redactText(err.Error()))
			return err
		}
		if timedOut {
			err = fmt.Errorf("%w (poll timed out after %s)", err, j.timeout)
		}
		return s.fail(log, j, st, now, "poll", err)
	}

	res, err := s.deliver(ingestCtx, j, &b, now)
	if err != nil {
		if ingestCtx.Err() != nil {
			log.Info("ingest abandoned", "err", redactText(err.Error()))
			return err
		}
		return s.fail(log, j, st, now, "poll", fmt.Errorf("source %q: %w", name, ingestError{err}))
	}
	level := slog.LevelDebug // a quiet poll is routine
	if len(res.New) > 0 || len(res.Rejected) > 0 {
		level = slog.LevelInfo
	}
	log.Log(ingestCtx, level, "polled", "mentions", len(b.Mentions), "new", len(res.New), "duplicates", res.Duplicates, "rejected", len(res.Rejected))
	for _, rej := range res.Rejected[:min(len(res.Rejected), 5)] {
		log.Warn("mention rejected", "err", redactText(rej.Error()))
	}
	return nil
}

// poll calls the collector, turning a panic into an error: one broken
// collector or one hostile payload must not take the daemon down.
func (s *Scheduler) poll(ctx context.Context, c Collector, cursor string) (b store.Batch, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("collector panicked", "source", c.Name(), "panic", redactText(fmt.Sprint(p)), "stack", string(debug.Stack()))
			b, err = store.Batch{}, fmt.Errorf("source %q: collector panicked: %v", c.Name(), p)
		}
	}()
	return c.Poll(ctx, cursor)
}

// deliver completes a batch the way every batch of a source looks to the
// Sink, whether it came from a poll, a stream or a refresh: the source's
// name and kind (always the configured ones, so a collector cannot write
// another source's state), the time if the collector left it out, and the
// collector's coverage statement; then hands it on, bounded by the ingest
// timeout.
func (s *Scheduler) deliver(parent context.Context, j *job, b *store.Batch, now time.Time) (store.IngestResult, error) {
	b.Source, b.Kind = j.c.Name(), j.c.Kind()
	if b.At.IsZero() {
		b.At = now
	}
	if b.Coverage == "" {
		b.Coverage = coverageOf(j.c)
	}
	ctx, cancel := context.WithTimeout(parent, s.ingestTimeout)
	defer cancel()
	return s.sink.Ingest(ctx, *b)
}

// coverageOf is c's coverage statement, or "" when it makes none.
func coverageOf(c Collector) string {
	if cv, ok := c.(Coverage); ok {
		return cv.Coverage()
	}
	return ""
}

// fail records a failed poll or refresh with its backoff and returns the
// error, redacted.
func (s *Scheduler) fail(log *slog.Logger, j *job, st store.SourceState, now time.Time, what string, err error) error {
	retryAfter := retryAfterOf(err)
	n := st.ConsecutiveErrors + 1
	delay := Backoff(n, retryAfter, s.rnd)
	if errors.As(err, new(ingestError)) {
		// The source answered; storing failed (a full disk, say). Backing
		// the source off would only delay recovery once the store writes
		// again: retry on the schedule.
		delay = 0
	}
	next := now.Add(delay)
	text := redactText(err.Error())
	if _, rerr := s.states.RecordSourceError(j.c.Name(), j.c.Kind(), now, text, next); rerr != nil {
		log.Error("record source error", "err", rerr)
	}
	log.Warn(what+" failed", "err", text, "consecutive_errors", n, "retry_after", retryAfter, "next_attempt", next)
	return &redactedError{msg: text, cause: err}
}

// retryAfterOf is the server's Retry-After carried by err, or zero.
func retryAfterOf(err error) time.Duration {
	var se *StatusError
	if errors.As(err, &se) {
		return se.RetryAfter
	}
	return 0
}

// sleepCtx waits for d on a real timer, or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// cronLogger adapts *slog.Logger to cron.Logger. Cron's Info messages
// (wake, run, skip) are routine and go to Debug.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }

func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "err", redactText(err.Error()))...)
}
