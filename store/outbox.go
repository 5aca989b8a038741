package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The outbox is the durable queue between alert state changes and the
// receivers (Slack, PagerDuty, e-mail...). An item is written when a
// notification is decided, and marked delivered only after the receiver
// accepted it, so neither a receiver's outage nor a crash of Pantau loses a
// notification: whatever is pending is sent when both are up again.
//
// Layout:
//
//	outbox         item id -> OutboxItem JSON (kept after delivery, so
//	               enqueueing the same id again is a no-op)
//	outbox_queue   receiver + 0 + be(seq) -> item id, for pending items
//	               only: each receiver's queue in the order enqueued
//	outbox_cursor  name -> be(event seq), how far a follower of the event
//	               log has turned events into outbox items
var (
	bucketOutbox       = []byte("outbox")
	bucketOutboxQueue  = []byte("outbox_queue")
	bucketOutboxCursor = []byte("outbox_cursor")
)

// Outbox actions: what a notification tells the receiver about an alert.
const (
	OutboxTrigger     = "trigger"
	OutboxAcknowledge = "acknowledge"
	OutboxResolve     = "resolve"
	OutboxDigest      = "digest"
)

// EventOutbox is recorded when an outbox item is enqueued or its delivery
// state changes. Data: OutboxItem without its Payload (the dashboard shows
// delivery state, not the message again).
const EventOutbox = "outbox"

// maxReceiverLen bounds receiver names, which are part of keys.
const maxReceiverLen = 256

// OutboxItem is one notification for one receiver.
type OutboxItem struct {
	// ID is stable: OutboxID(AlertID, Receiver, Action). Enqueueing an id
	// that is already stored (pending or delivered) changes nothing, so a
	// decision replayed after a crash never sends twice.
	ID       string `json:"id"`
	Receiver string `json:"receiver"`
	AlertID  string `json:"alert_id"`
	Action   string `json:"action"` // trigger, acknowledge, resolve, digest
	// Payload is the rendered message, as the notifier reads it.
	Payload   json.RawMessage `json:"payload,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	// Seq orders a receiver's queue; set by Enqueue.
	Seq      uint64 `json:"seq"`
	Attempts int    `json:"attempts"`
	// NextAttempt is when the item may be tried again (backoff or the
	// receiver's Retry-After); zero means now.
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	LastAttempt time.Time `json:"last_attempt,omitzero"`
	// LastError holds the last failure's text; notifiers keep secrets out
	// of it.
	LastError string `json:"last_error,omitempty"`
	// DeliveredAt is set only once the receiver accepted the item.
	DeliveredAt *time.Time `json:"delivered_at,omitempty"`
	// Permanent is set when the receiver refused the item for good (a
	// 4xx other than 429); it is not tried again.
	Permanent bool `json:"permanent,omitempty"`
}

// Pending reports whether the item still waits for delivery.
func (it *OutboxItem) Pending() bool { return it.DeliveredAt == nil && !it.Permanent }

// OutboxID builds the stable id of the notification of an action on an
// alert to a receiver.
func OutboxID(alertID, receiver, action string) string {
	return alertID + "|" + receiver + "|" + action
}

func validOutboxItem(it *OutboxItem) error {
	switch {
	case it.Receiver == "":
		return errors.New("no receiver")
	case len(it.Receiver) > maxReceiverLen:
		return errors.New("receiver name too long")
	case strings.IndexByte(it.Receiver, 0) >= 0:
		return errors.New("receiver name contains a NUL byte")
	case it.AlertID == "" || it.Action == "":
		return errors.New("alert id and action are required")
	case len(it.ID) > 2*maxKeyLen+maxReceiverLen:
		return errKeyTooLarge
	case len(it.Payload) > 0 && !json.Valid(it.Payload):
		return errors.New("payload is not valid JSON")
	}
	return nil
}

func queueKey(receiver string, seq uint64) []byte {
	k := make([]byte, 0, len(receiver)+9)
	return append(append(append(k, receiver...), 0), u64(seq)...)
}

// Enqueue stores new outbox items in one transaction, each at the end of
// its receiver's queue in the order given. An empty ID is set from
// OutboxID; an ID already stored is skipped, delivered or not. CreatedAt
// defaults to the store's clock.
func (s *Store) Enqueue(items ...OutboxItem) error {
	if len(items) == 0 {
		return nil
	}
	for i := range items {
		it := &items[i]
		if it.ID == "" {
			it.ID = OutboxID(it.AlertID, it.Receiver, it.Action)
		}
		if err := validOutboxItem(it); err != nil {
			return fmt.Errorf("enqueue %q: %w", truncate(it.ID, 200), err)
		}
	}
	return s.update(func(tx *bolt.Tx, ev *eventWriter) error {
		b := tx.Bucket(bucketOutbox)
		q := tx.Bucket(bucketOutboxQueue)
		// Keys only grow within a receiver's range.
		q.FillPercent = appendOnlyFill
		for _, it := range items {
			if b.Get([]byte(it.ID)) != nil {
				continue
			}
			seq, err := q.NextSequence()
			if err != nil {
				return err
			}
			it.Seq = seq
			if it.CreatedAt.IsZero() {
				it.CreatedAt = ev.now
			}
			it.Attempts, it.DeliveredAt, it.Permanent = 0, nil, false
			if err := putOutbox(b, ev, &it); err != nil {
				return err
			}
			if err := q.Put(queueKey(it.Receiver, seq), []byte(it.ID)); err != nil {
				return err
			}
		}
		return nil
	})
}

// putOutbox writes an item and records its outbox event.
func putOutbox(b *bolt.Bucket, ev *eventWriter, it *OutboxItem) error {
	data, err := json.Marshal(it)
	if err != nil {
		return err
	}
	if err := b.Put([]byte(it.ID), data); err != nil {
		return err
	}
	light := *it
	light.Payload = nil
	return ev.addJSON(EventOutbox, &light)
}

// PendingOutbox returns up to limit items waiting for receiver, in queue
// order. Limit defaults to 100 and is capped at 1000.
func (s *Store) PendingOutbox(receiver string, limit int) ([]OutboxItem, error) {
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	var out []OutboxItem
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOutbox)
		prefix := append([]byte(receiver), 0)
		c := tx.Bucket(bucketOutboxQueue).Cursor()
		for k, id := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, id = c.Next() {
			v := b.Get(id)
			if v == nil {
				return fmt.Errorf("outbox queue of %s: item %q is missing", receiver, id)
			}
			var it OutboxItem
			// Unmarshal copies: bbolt's memory is only valid inside the
			// transaction (json.RawMessage is copied too).
			if err := json.Unmarshal(v, &it); err != nil {
				return fmt.Errorf("decode outbox item %q: %w", id, err)
			}
			out = append(out, it)
		}
		return nil
	})
	return out, err
}

// OutboxReceivers lists the receivers that have pending items, by name.
func (s *Store) OutboxReceivers() ([]string, error) {
	depth, err := s.OutboxDepth()
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(depth))
	for r := range depth {
		out = append(out, r)
	}
	slices.Sort(out)
	return out, nil
}

// OutboxDepth counts the pending items per receiver (receivers with none
// are left out).
func (s *Store) OutboxDepth() (map[string]int, error) {
	out := map[string]int{}
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketOutboxQueue).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			i := bytes.IndexByte(k, 0)
			if i < 0 {
				return fmt.Errorf("outbox queue: bad key %q", k)
			}
			out[string(k[:i])]++
		}
		return nil
	})
	return out, err
}

// OutboxItemByID returns one outbox item, delivered or not.
func (s *Store) OutboxItemByID(id string) (OutboxItem, bool, error) {
	return getRecord[OutboxItem](s.db, bucketOutbox, id)
}

// MarkDelivered records that the receiver accepted the item at at, and
// takes it off the queue. Call it only after the receiver said yes. Marking
// a delivered item again is a no-op.
func (s *Store) MarkDelivered(id string, at time.Time) error {
	return s.markOutbox(id, func(it *OutboxItem) (outboxChange, error) {
		if it.DeliveredAt != nil {
			return unchanged, nil
		}
		if it.Permanent {
			return unchanged, fmt.Errorf("outbox item %q was given up: %w", id, ErrConflict)
		}
		it.Attempts++
		it.LastAttempt = at
		it.DeliveredAt = &at
		it.NextAttempt = time.Time{}
		return finished, nil
	})
}

// MarkRetry records a failed attempt that may succeed later: the error's
// text (without secrets) and when to try again. The item stays at the head
// of its queue.
func (s *Store) MarkRetry(id string, at time.Time, errText string, next time.Time) error {
	return s.markOutbox(id, func(it *OutboxItem) (outboxChange, error) {
		if !it.Pending() {
			return unchanged, fmt.Errorf("outbox item %q is no longer pending: %w", id, ErrConflict)
		}
		it.Attempts++
		it.LastAttempt = at
		it.LastError = truncate(errText, 2000)
		it.NextAttempt = next
		return stillPending, nil
	})
}

// MarkPermanentFailure records that the receiver refused the item for
// good, and takes it off the queue so the items behind it go out.
func (s *Store) MarkPermanentFailure(id string, at time.Time, errText string) error {
	return s.markOutbox(id, func(it *OutboxItem) (outboxChange, error) {
		if it.Permanent {
			return unchanged, nil
		}
		if it.DeliveredAt != nil {
			return unchanged, fmt.Errorf("outbox item %q was delivered: %w", id, ErrConflict)
		}
		it.Attempts++
		it.LastAttempt = at
		it.LastError = truncate(errText, 2000)
		it.Permanent = true
		it.NextAttempt = time.Time{}
		return finished, nil
	})
}

// outboxChange says what a mark did to an item.
type outboxChange int

const (
	unchanged    outboxChange = iota // nothing to write (a repeated mark)
	stillPending                     // rewrite; the item stays queued
	finished                         // rewrite and take it off its queue
)

// markOutbox loads an item, lets change update it and stores the result.
func (s *Store) markOutbox(id string, change func(*OutboxItem) (outboxChange, error)) error {
	return s.update(func(tx *bolt.Tx, ev *eventWriter) error {
		b := tx.Bucket(bucketOutbox)
		v := b.Get([]byte(id))
		if v == nil {
			return fmt.Errorf("outbox item %q: %w", truncate(id, 200), ErrNotFound)
		}
		var it OutboxItem
		if err := json.Unmarshal(v, &it); err != nil {
			return fmt.Errorf("decode outbox item %q: %w", id, err)
		}
		what, err := change(&it)
		if err != nil || what == unchanged {
			return err
		}
		if what == finished {
			if err := tx.Bucket(bucketOutboxQueue).Delete(queueKey(it.Receiver, it.Seq)); err != nil {
				return err
			}
		}
		return putOutbox(b, ev, &it)
	})
}

// PruneOutbox deletes finished items (delivered or given up) whose last
// attempt was before cutoff, and returns how many. Items of alerts that are
// still open or acknowledged are kept whatever their age: the dispatcher
// sends an alert's resolve only to receivers that have its trigger, and
// enqueueing a pruned id again would send it again. Keep cutoff well in
// the past.
func (s *Store) PruneOutbox(cutoff time.Time) (int, error) {
	n := 0
	err := s.update(func(tx *bolt.Tx, _ *eventWriter) error {
		n = 0
		b := tx.Bucket(bucketOutbox)
		alerts := tx.Bucket(bucketAlerts)
		var doomed [][]byte
		err := b.ForEach(func(k, v []byte) error {
			var it OutboxItem
			if err := json.Unmarshal(v, &it); err != nil {
				return fmt.Errorf("decode outbox item %q: %w", k, err)
			}
			if it.Pending() || !it.LastAttempt.Before(cutoff) {
				return nil
			}
			if av := alerts.Get([]byte(it.AlertID)); av != nil {
				var a struct {
					State AlertState `json:"state"`
				}
				if err := json.Unmarshal(av, &a); err == nil && a.State != AlertResolved {
					return nil
				}
			}
			doomed = append(doomed, append([]byte(nil), k...))
			return nil
		})
		if err != nil {
			return err
		}
		// Delete after the walk: deleting under a ForEach skips keys.
		n = deleteKeys(b, doomed)
		return nil
	})
	return n, err
}

// OutboxCursor returns the event sequence number saved under name by
// SetOutboxCursor; found is false when none was saved.
func (s *Store) OutboxCursor(name string) (seq uint64, found bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketOutboxCursor).Get([]byte(name))
		if len(v) == 8 {
			seq, found = binary.BigEndian.Uint64(v), true
		}
		return nil
	})
	return seq, found, err
}

// SetOutboxCursor saves how far the follower called name has read the
// event log.
func (s *Store) SetOutboxCursor(name string, seq uint64) error {
	if name == "" || len(name) > maxReceiverLen {
		return errors.New("outbox cursor: bad name")
	}
	return s.update(func(tx *bolt.Tx, _ *eventWriter) error {
		return tx.Bucket(bucketOutboxCursor).Put([]byte(name), u64(seq))
	})
}
