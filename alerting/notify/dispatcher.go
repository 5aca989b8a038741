package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/pantau/pantau/store"
)

// OutboxStore is the part of the store the dispatcher uses; *store.Store
// implements it. Every bit of delivery state lives there, so a dispatcher
// started on the same file carries on where the last one stopped.
type OutboxStore interface {
	Enqueue(items ...store.OutboxItem) error
	PendingOutbox(receiver string, limit int) ([]store.OutboxItem, error)
	OutboxReceivers() ([]string, error)
	OutboxItemByID(id string) (store.OutboxItem, bool, error)
	MarkDelivered(id string, at time.Time) error
	MarkRetry(id string, at time.Time, errText string, next time.Time) error
	MarkPermanentFailure(id string, at time.Time, errText string) error
}

// DispatcherOptions tune a Dispatcher. The zero value is the production
// setting.
type DispatcherOptions struct {
	// Renderer renders alerts in Enqueue and Notify, and re-signs the
	// acknowledge link just before a trigger is sent. Nil renders without
	// dashboard or acknowledge links and without masking: set it.
	Renderer *Renderer
	// Mention looks up an alert's mention (for its author, text and
	// link); nil leaves them out. Usually (*store.Store).Mention.
	Mention func(key string) (store.Mention, bool, error)
	// Routes say which receivers take which alerts (see Route); a
	// receiver without an entry takes every alert's trigger, acknowledge
	// and resolve.
	Routes map[string]Route

	// NewTimer makes a timer; nil means the real one. Tests inject a
	// fake clock's timers here and its Now as the dispatcher's clock.
	NewTimer func(d time.Duration) (c <-chan time.Time, stop func() bool)
	// Rand returns a number in [0, 1) for backoff jitter; nil means
	// math/rand/v2.
	Rand func() float64
	// BaseBackoff and MaxBackoff bound the exponential backoff between
	// attempts; defaults 2 s and 5 min.
	BaseBackoff, MaxBackoff time.Duration
	// MaxRetryAfter caps how long a receiver's Retry-After may hold its
	// queue; default 1 h. A receiver asking for a day would otherwise
	// hold every alert behind it for a day.
	MaxRetryAfter time.Duration
	// AttemptTimeout bounds one delivery attempt; default 30 s.
	AttemptTimeout time.Duration
	// IdlePoll is how often an idle worker looks at its queue without
	// being woken (items enqueued by another process or straight through
	// the store); default 1 min.
	IdlePoll time.Duration
	// Observe, when set, is told each attempt's outcome for a receiver:
	// "delivered", "retry" or "failed" (given up).
	Observe func(receiver, outcome string)
}

// Dispatcher delivers the outbox: one worker per receiver, each sending
// its queue in order. An item is tried until the receiver accepts it or
// refuses it for good before the next one goes, so a receiver always
// sees an alert's trigger before its resolve, and alerts in the order
// they were raised. Retries back off exponentially with full jitter, and
// never sooner than the receiver's Retry-After.
type Dispatcher struct {
	st        OutboxStore
	notifiers map[string]Notifier
	names     []string // sorted receiver names
	log       *slog.Logger
	now       func() time.Time
	o         DispatcherOptions

	wake map[string]chan struct{}

	// mu serializes Notify's read of the trigger items and its Enqueue,
	// so two calls for one alert decide on the same state.
	mu sync.Mutex
}

// NewDispatcher makes a dispatcher over st for the given notifiers by
// receiver name. A nil logger discards; a nil clock is time.Now.
func NewDispatcher(st OutboxStore, notifiers map[string]Notifier, logger *slog.Logger, now func() time.Time, opts DispatcherOptions) *Dispatcher {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	if opts.NewTimer == nil {
		opts.NewTimer = func(d time.Duration) (<-chan time.Time, func() bool) {
			t := time.NewTimer(d)
			return t.C, t.Stop
		}
	}
	if opts.Rand == nil {
		opts.Rand = rand.Float64
	}
	if opts.BaseBackoff <= 0 {
		opts.BaseBackoff = 2 * time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 5 * time.Minute
	}
	if opts.MaxRetryAfter <= 0 {
		opts.MaxRetryAfter = time.Hour
	}
	if opts.AttemptTimeout <= 0 {
		opts.AttemptTimeout = 30 * time.Second
	}
	if opts.IdlePoll <= 0 {
		opts.IdlePoll = time.Minute
	}
	d := &Dispatcher{st: st, notifiers: notifiers, log: logger, now: now, o: opts, wake: map[string]chan struct{}{}}
	for name := range notifiers {
		d.names = append(d.names, name)
		d.wake[name] = make(chan struct{}, 1)
	}
	slices.Sort(d.names)
	return d
}

// Wake makes the named receivers' workers (all, when none is named) look
// at their queues now. Enqueue and Notify call it; call it after putting
// items in the outbox by other means.
func (d *Dispatcher) Wake(receivers ...string) {
	if len(receivers) == 0 {
		receivers = d.names
	}
	for _, r := range receivers {
		if ch, ok := d.wake[r]; ok {
			select {
			case ch <- struct{}{}:
			default: // already due to wake
			}
		}
	}
}

// Enqueue renders the action on alert a once and puts it in the outbox of
// each named receiver, in one transaction, then wakes their workers.
// Enqueueing the same action on the same alert for the same receiver again
// changes nothing. Receivers that are not configured are reported in the
// error; the others are enqueued.
func (d *Dispatcher) Enqueue(a store.Alert, receivers []string, action Action) error {
	if !action.Valid() {
		return fmt.Errorf("enqueue alert %q: unknown action %q", a.ID, action)
	}
	var errs []error
	var ok []string
	for _, r := range receivers {
		if _, found := d.notifiers[r]; !found {
			errs = append(errs, fmt.Errorf("enqueue alert %q: no receiver named %q", a.ID, r))
			continue
		}
		ok = append(ok, r)
	}
	if len(ok) > 0 {
		if err := d.enqueue("", a, ok, action); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// EnqueueKeyed is Enqueue for a router that notifies about one alert (or
// one group, under one alert id) more than once: the outbox items' ids
// are built from key instead of the alert id, so each decision is
// enqueued once (a replay changes nothing) while the message still
// carries a.ID, the receivers' dedup key. Unknown receivers are reported
// and the others enqueued.
func (d *Dispatcher) EnqueueKeyed(key string, a store.Alert, receivers []string, action Action) error {
	if !action.Valid() || key == "" {
		return fmt.Errorf("enqueue alert %q: bad action %q or empty key", a.ID, action)
	}
	var errs []error
	var ok []string
	for _, r := range receivers {
		if _, found := d.notifiers[r]; !found {
			errs = append(errs, fmt.Errorf("enqueue alert %q: no receiver named %q", a.ID, r))
			continue
		}
		ok = append(ok, r)
	}
	if len(ok) > 0 {
		errs = append(errs, d.enqueue(key, a, ok, action))
	}
	return errors.Join(errs...)
}

// enqueue renders and stores the items; key, when set, makes their ids.
func (d *Dispatcher) enqueue(key string, a store.Alert, receivers []string, action Action) error {
	var m *store.Mention
	if d.o.Mention != nil && a.MentionKey != "" {
		mention, found, err := d.o.Mention(a.MentionKey)
		if err != nil {
			// Send without the mention's details rather than not at all.
			d.log.Warn("notify: mention lookup failed; sending without its text", "alert", a.ID, "err", err)
		} else if found {
			m = &mention
		}
	}
	msg := d.o.Renderer.Render(a, action, m)
	payload, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	items := make([]store.OutboxItem, 0, len(receivers))
	for _, r := range receivers {
		it := store.OutboxItem{Receiver: r, AlertID: a.ID, Action: string(action), Payload: payload}
		if key != "" {
			it.ID = store.OutboxID(key, r, string(action))
		}
		items = append(items, it)
	}
	if err := d.st.Enqueue(items...); err != nil {
		return fmt.Errorf("enqueue alert %q: %w", a.ID, err)
	}
	d.Wake(receivers...)
	return nil
}

// Notify enqueues action on a for every receiver whose route takes it.
// Acknowledge and resolve go only to receivers that were sent (or have
// queued) the alert's trigger: a resolve of something never announced is
// noise. It is idempotent, so calling it again for a transition already
// handled (a replay after a crash) sends nothing twice.
func (d *Dispatcher) Notify(a store.Alert, action Action) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var to []string
	for _, name := range d.names {
		if !d.route(name).Match(a, action) {
			continue
		}
		if action == Acknowledge || action == Resolve {
			_, found, err := d.st.OutboxItemByID(store.OutboxID(a.ID, name, string(Trigger)))
			if err != nil {
				return err
			}
			if !found {
				continue
			}
		}
		to = append(to, name)
	}
	if len(to) == 0 {
		return nil
	}
	return d.enqueue("", a, to, action)
}

func (d *Dispatcher) route(name string) Route {
	return d.o.Routes[name]
}

// Run delivers until ctx is done: one worker per configured receiver.
// It returns when every worker has stopped. A delivery in flight when ctx
// ends is abandoned without being marked: its outcome is unknown, so it
// goes again on the next start (at least once).
func (d *Dispatcher) Run(ctx context.Context) error {
	if pending, err := d.st.OutboxReceivers(); err != nil {
		d.log.Error("notify: read outbox", "err", err)
	} else {
		for _, r := range pending {
			if _, ok := d.notifiers[r]; !ok {
				d.log.Warn("notify: the outbox holds notifications for a receiver that is not configured; they wait until it is", "receiver", r)
			}
		}
	}
	var wg sync.WaitGroup
	for _, name := range d.names {
		wg.Go(func() { d.work(ctx, name, d.notifiers[name]) })
	}
	wg.Wait()
	return nil
}

// storeRetry is how long a worker waits after the store failed.
const storeRetry = 5 * time.Second

// work is one receiver's worker: it sends the head of the queue, and only
// then the next item.
func (d *Dispatcher) work(ctx context.Context, name string, n Notifier) {
	wake := d.wake[name]
	for ctx.Err() == nil {
		items, err := d.st.PendingOutbox(name, 1)
		if err != nil {
			d.log.Error("notify: read outbox", "receiver", name, "err", err)
			d.wait(ctx, wake, storeRetry)
			continue
		}
		if len(items) == 0 {
			d.wait(ctx, wake, d.o.IdlePoll)
			continue
		}
		it := items[0]
		if now := d.now(); it.NextAttempt.After(now) {
			// Woken early (a new item behind this one, or a poll): the
			// head still waits its turn.
			d.wait(ctx, wake, it.NextAttempt.Sub(now))
			continue
		}
		if !d.deliver(ctx, name, n, it) {
			d.wait(ctx, wake, storeRetry)
		}
	}
}

// wait blocks until ctx is done, the worker is woken, or dur passes.
func (d *Dispatcher) wait(ctx context.Context, wake <-chan struct{}, dur time.Duration) {
	c, stop := d.o.NewTimer(dur)
	defer stop()
	select {
	case <-ctx.Done():
	case <-wake:
	case <-c:
	}
}

// deliver makes one attempt at the head item and records its outcome. It
// returns false when the outcome could not be recorded.
func (d *Dispatcher) deliver(ctx context.Context, name string, n Notifier, it store.OutboxItem) bool {
	var msg Message
	if err := json.Unmarshal(it.Payload, &msg); err != nil || msg.AlertID == "" {
		// Nothing can ever send this: give it up rather than block the
		// queue behind it forever.
		if err := d.st.MarkPermanentFailure(it.ID, d.now(), "unreadable payload"); err != nil {
			d.log.Error("notify: record failure", "receiver", name, "item", it.ID, "err", err)
			return false
		}
		d.log.Error("notify: dropped an unreadable outbox item", "receiver", name, "item", it.ID)
		return true
	}
	d.o.Renderer.refreshAck(&msg)

	actx, cancel := context.WithTimeout(ctx, d.o.AttemptTimeout)
	retry, err := n.Notify(actx, msg)
	cancel()
	at := d.now()
	attempt := it.Attempts + 1
	if err == nil {
		if err := d.st.MarkDelivered(it.ID, at); err != nil {
			// The receiver has it but the store does not know: it will be
			// sent again (at least once).
			d.log.Error("notify: delivered, but could not record it; it will be sent again", "receiver", name, "alert", it.AlertID, "action", it.Action, "err", err)
			return false
		}
		d.observe(name, "delivered")
		d.log.Info("notify: delivered", "receiver", name, "alert", it.AlertID, "action", it.Action, "attempt", attempt, "latency", at.Sub(it.CreatedAt))
		return true
	}
	if ctx.Err() != nil {
		// Shutting down: whether the receiver got it is unknown, so the
		// item stays as it was and goes again on the next start.
		return true
	}
	if !retry {
		if err := d.st.MarkPermanentFailure(it.ID, at, err.Error()); err != nil {
			d.log.Error("notify: record failure", "receiver", name, "item", it.ID, "err", err)
			return false
		}
		d.observe(name, "failed")
		d.log.Error("notify: receiver refused the notification; giving up on it", "receiver", name, "alert", it.AlertID, "action", it.Action, "attempt", attempt, "err", err)
		return true
	}
	delay := d.backoff(attempt, RetryAfterOf(err))
	if err := d.st.MarkRetry(it.ID, at, err.Error(), at.Add(delay)); err != nil {
		d.log.Error("notify: record retry", "receiver", name, "item", it.ID, "err", err)
		return false
	}
	d.observe(name, "retry")
	d.log.Warn("notify: delivery failed; will retry", "receiver", name, "alert", it.AlertID, "action", it.Action, "attempt", attempt, "retry_in", delay, "err", err)
	return true
}

func (d *Dispatcher) observe(receiver, outcome string) {
	if d.o.Observe != nil {
		d.o.Observe(receiver, outcome)
	}
}

// backoff is the wait before the next attempt: "full jitter" (a random
// time up to base·2^(attempt-1), capped), so receivers coming back from
// an outage are not hit by every Pantau at once; and never less than the
// receiver's Retry-After (itself capped).
func (d *Dispatcher) backoff(attempt int, retryAfter time.Duration) time.Duration {
	ceil := d.o.BaseBackoff
	for i := 1; i < attempt && ceil < d.o.MaxBackoff; i++ {
		ceil *= 2
	}
	ceil = min(ceil, d.o.MaxBackoff)
	delay := time.Duration(d.o.Rand() * float64(ceil))
	return max(delay, min(retryAfter, d.o.MaxRetryAfter))
}

// AlertEvents is what FollowAlerts reads; *store.Store implements it.
type AlertEvents interface {
	Changed() <-chan struct{}
	EventsSince(seq uint64, limit int) ([]store.Event, error)
	LastSeq() (uint64, error)
	OutboxCursor(name string) (uint64, bool, error)
	SetOutboxCursor(name string, seq uint64) error
}

// followCursor names FollowAlerts' saved position in the event log.
const followCursor = "notify.alerts"

// FollowAlerts turns alert state changes into notifications until ctx is
// done: it reads the store's event log from where it last stopped and, for
// each alert event, calls Notify with the action the alert's new state
// implies (open: trigger; acknowledged: acknowledge; resolved: resolve).
//
// Why follow the log instead of being called by the pipeline: the alert
// change and its event commit in one transaction, and the position in the
// log is saved only after the notifications are enqueued, so a crash
// between an alert change and its notification loses nothing. Replays are
// harmless because Notify is idempotent.
//
// The first start begins at the end of the log: alerts raised before
// notifications were configured are not announced all at once.
func (d *Dispatcher) FollowAlerts(ctx context.Context, src AlertEvents) error {
	cursor, found, err := src.OutboxCursor(followCursor)
	if err != nil {
		return err
	}
	if !found {
		if cursor, err = src.LastSeq(); err != nil {
			return err
		}
		if err := src.SetOutboxCursor(followCursor, cursor); err != nil {
			return err
		}
		d.log.Info("notify: following alerts from now on", "event_seq", cursor)
	}
	const page = 1000
	for {
		changed := src.Changed() // before reading, so no commit is missed
		evs, err := src.EventsSince(cursor, page)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			d.log.Error("notify: read events", "err", err)
			d.wait(ctx, nil, storeRetry)
			continue
		}
		next := cursor
		failed := false
		for _, e := range evs {
			if e.Type == store.EventAlert {
				if err := d.onAlertEvent(e); err != nil {
					d.log.Error("notify: enqueue alert notification; will retry", "event_seq", e.Seq, "err", err)
					failed = true
					break
				}
			}
			next = e.Seq
		}
		if next != cursor {
			if err := src.SetOutboxCursor(followCursor, next); err != nil {
				d.log.Error("notify: save event cursor", "err", err)
			} else {
				cursor = next
			}
		}
		switch {
		case ctx.Err() != nil:
			return nil
		case failed:
			d.wait(ctx, nil, storeRetry)
		case len(evs) == page:
			// More to read.
		default:
			c, stop := d.o.NewTimer(d.o.IdlePoll)
			select {
			case <-ctx.Done():
			case <-changed:
			case <-c:
			}
			stop()
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

func (d *Dispatcher) onAlertEvent(e store.Event) error {
	var a store.Alert
	if err := json.Unmarshal(e.Data, &a); err != nil || a.ID == "" {
		// A broken event can never be read: skip it, say so.
		d.log.Error("notify: unreadable alert event skipped", "event_seq", e.Seq)
		return nil
	}
	switch a.State {
	case store.AlertOpen:
		return d.Notify(a, Trigger)
	case store.AlertAcknowledged:
		return d.Notify(a, Acknowledge)
	case store.AlertResolved:
		return d.Notify(a, Resolve)
	}
	return nil
}
