package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	"go.yaml.in/yaml/v3"
)

// Retention deletes data older than an age, one kind at a time, in small
// transactions: a long write transaction would hold up ingest and grow the
// file with the pages it dirties. It deletes only from the buckets named
// here; anything else in the file (hourly rollups above all) is kept
// whatever its age.

// RetentionKind names one kind of data with its own maximum age.
type RetentionKind string

const (
	// RetainEvents is the dashboard's event log.
	RetainEvents RetentionKind = "events"
	// RetainSamples is the engagement samples.
	RetainSamples RetentionKind = "samples"
	// RetainMentions is mentions (with their scores, which live in the
	// mention), their thread links and samples, by when they were seen.
	RetainMentions RetentionKind = "mentions"
	// RetainAlerts is resolved alerts, by when they last changed.
	RetainAlerts RetentionKind = "alerts"
	// RetainOutbox is finished outbox items (delivered or given up) of
	// resolved alerts, by their last attempt.
	RetainOutbox RetentionKind = "outbox"
)

// RetentionKinds lists every kind, in the order a pass prunes them.
var RetentionKinds = []RetentionKind{RetainEvents, RetainSamples, RetainOutbox, RetainAlerts, RetainMentions}

// Age is a duration written in days ("30d") or as a Go duration ("720h").
type Age time.Duration

// UnmarshalText reads "30d", "12h", "90m"; zero or negative is refused.
func (a *Age) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 || n > 100*365 {
			return fmt.Errorf("%q is not a number of days between 1 and 36500 (like 30d)", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return fmt.Errorf("%q is not an age like 30d or 720h", s)
		}
	}
	if d <= 0 {
		return fmt.Errorf("%q: an age must be positive", s)
	}
	*a = Age(d)
	return nil
}

// UnmarshalYAML reads an age from the config, naming the line of a bad
// one (the decoder adds no position to an unmarshaler's error).
func (a *Age) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: an age must be a value like 30d", n.Line)}}
	}
	if err := a.UnmarshalText([]byte(n.Value)); err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", n.Line, err)}}
	}
	return nil
}

// MarshalText writes whole days as "Nd".
func (a Age) MarshalText() ([]byte, error) {
	d := time.Duration(a)
	if d%(24*time.Hour) == 0 {
		return []byte(strconv.Itoa(int(d/(24*time.Hour))) + "d"), nil
	}
	return []byte(d.String()), nil
}

// pruneBatch bounds the records one retention transaction deletes (or,
// for kinds without a time index, looks at).
const pruneBatch = 1000

// Prune deletes the records of kind older than cutoff, in transactions of
// at most batch records (0 means 1000), until none are left or ctx is
// done. It returns how many were deleted.
func (s *Store) Prune(ctx context.Context, kind RetentionKind, cutoff time.Time, batch int) (int, error) {
	if batch <= 0 {
		batch = pruneBatch
	}
	var step func(tx *bolt.Tx, after []byte) (deleted int, next []byte, err error)
	switch kind {
	case RetainEvents:
		step = func(tx *bolt.Tx, _ []byte) (int, []byte, error) { return pruneEvents(tx, cutoff, batch) }
	case RetainSamples:
		step = func(tx *bolt.Tx, _ []byte) (int, []byte, error) { return pruneSamples(tx, cutoff, batch) }
	case RetainMentions:
		step = func(tx *bolt.Tx, _ []byte) (int, []byte, error) { return pruneMentions(tx, cutoff, batch) }
	case RetainAlerts:
		step = func(tx *bolt.Tx, after []byte) (int, []byte, error) { return pruneAlerts(tx, cutoff, after, batch) }
	case RetainOutbox:
		step = func(tx *bolt.Tx, after []byte) (int, []byte, error) { return pruneOutbox(tx, cutoff, after, batch) }
	default:
		return 0, fmt.Errorf("retention: unknown kind %q", kind)
	}
	total := 0
	var after []byte
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		var n int
		var next []byte
		err := s.update(func(tx *bolt.Tx, _ *eventWriter) error {
			var err error
			n, next, err = step(tx, after)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("retention %s: %w", kind, err)
		}
		total += n
		if next == nil {
			return total, nil
		}
		after = next
	}
}

// more is the next key of a walk that stopped at the batch size and
// starts again from the beginning of its index (which lost what it
// deleted).
var more = []byte{}

// pruneEvents deletes the oldest events while they are older than cutoff.
// Events are in sequence order, which is time order unless the clock went
// back: the walk stops at the first young event, keeping what follows.
func pruneEvents(tx *bolt.Tx, cutoff time.Time, batch int) (int, []byte, error) {
	b := tx.Bucket(bucketEvents)
	var doomed [][]byte
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if len(doomed) == batch {
			return deleteKeys(b, doomed), more, nil
		}
		if len(v) < 9 || !time.Unix(0, int64(binary.BigEndian.Uint64(v[1:9]))).Before(cutoff) {
			break
		}
		doomed = append(doomed, bytes.Clone(k))
	}
	return deleteKeys(b, doomed), nil, nil
}

func pruneSamples(tx *bolt.Tx, cutoff time.Time, batch int) (int, []byte, error) {
	idx := tx.Bucket(bucketSamplesByAt)
	samples := tx.Bucket(bucketSamples)
	var doomed [][]byte
	c := idx.Cursor()
	end := timeKey(cutoff)
	for k, _ := c.First(); k != nil && bytes.Compare(k[:8], end) < 0; k, _ = c.Next() {
		if len(doomed) == batch {
			break
		}
		doomed = append(doomed, bytes.Clone(k))
	}
	for _, k := range doomed {
		if err := samples.Delete(k[8:]); err != nil {
			return 0, nil, err
		}
	}
	n := deleteKeys(idx, doomed)
	if n == batch {
		return n, more, nil
	}
	return n, nil, nil
}

// pruneMentions deletes mentions first seen before cutoff, oldest first,
// with their time-index entry, thread links and engagement samples.
// Alerts keep their own age (RetainAlerts).
func pruneMentions(tx *bolt.Tx, cutoff time.Time, batch int) (int, []byte, error) {
	mentions := tx.Bucket(bucketMentions)
	bySeen := tx.Bucket(bucketBySeen)
	children := tx.Bucket(bucketChildren)
	samples := tx.Bucket(bucketSamples)
	idx := tx.Bucket(bucketSamplesByAt)
	var seen [][]byte
	end := timeKey(cutoff)
	c := bySeen.Cursor()
	for k, _ := c.First(); k != nil && bytes.Compare(k[:8], end) < 0; k, _ = c.Next() {
		if len(seen) == batch {
			break
		}
		seen = append(seen, bytes.Clone(k))
	}
	for _, sk := range seen {
		key := sk[8:]
		if v := mentions.Get(key); v != nil {
			var m struct {
				ReplyTo string `json:"reply_to"`
			}
			if json.Unmarshal(v, &m) == nil && m.ReplyTo != "" {
				if err := children.Delete(pairKey(m.ReplyTo, string(key))); err != nil {
					return 0, nil, err
				}
			}
		}
		prefix := append(bytes.Clone(key), 0)
		if err := deletePrefix(children, prefix, nil); err != nil {
			return 0, nil, err
		}
		if err := deletePrefix(samples, prefix, func(k []byte) error { return idx.Delete(sampleIndexKey(k)) }); err != nil {
			return 0, nil, err
		}
		if err := mentions.Delete(key); err != nil {
			return 0, nil, err
		}
	}
	n := deleteKeys(bySeen, seen)
	if n == batch {
		return n, more, nil
	}
	return n, nil, nil
}

// pruneAlerts deletes resolved alerts last changed before cutoff. Alerts
// have no time index, so each transaction looks at up to batch alerts
// after the key where the previous one stopped.
func pruneAlerts(tx *bolt.Tx, cutoff time.Time, after []byte, batch int) (int, []byte, error) {
	return pruneScan(tx.Bucket(bucketAlerts), after, batch, func(_, v []byte) bool {
		var a struct {
			State     AlertState `json:"state"`
			UpdatedAt time.Time  `json:"updated_at"`
		}
		return json.Unmarshal(v, &a) == nil && a.State == AlertResolved && a.UpdatedAt.Before(cutoff)
	})
}

// pruneOutbox deletes finished outbox items whose last attempt was before
// cutoff, keeping those of alerts still open or acknowledged (the reason
// is in PruneOutbox).
func pruneOutbox(tx *bolt.Tx, cutoff time.Time, after []byte, batch int) (int, []byte, error) {
	alerts := tx.Bucket(bucketAlerts)
	return pruneScan(tx.Bucket(bucketOutbox), after, batch, func(_, v []byte) bool {
		var it OutboxItem
		if json.Unmarshal(v, &it) != nil || it.Pending() || !it.LastAttempt.Before(cutoff) {
			return false
		}
		if av := alerts.Get([]byte(it.AlertID)); av != nil {
			var a struct {
				State AlertState `json:"state"`
			}
			if json.Unmarshal(av, &a) != nil || a.State != AlertResolved {
				return false
			}
		}
		return true
	})
}

// pruneScan looks at up to batch records after the key after (from the
// start when nil) and deletes those doomed says so. next is the key to go
// on after, nil at the end of the bucket.
func pruneScan(b *bolt.Bucket, after []byte, batch int, doomed func(k, v []byte) bool) (int, []byte, error) {
	c := b.Cursor()
	var k, v []byte
	if after == nil {
		k, v = c.First()
	} else if k, v = c.Seek(after); k != nil && bytes.Equal(k, after) {
		k, v = c.Next()
	}
	var del [][]byte
	var last []byte
	for seen := 0; k != nil && seen < batch; k, v = c.Next() {
		seen++
		last = bytes.Clone(k)
		if doomed(k, v) {
			del = append(del, last)
		}
	}
	n := deleteKeys(b, del)
	if k == nil {
		return n, nil, nil
	}
	return n, last, nil
}

// deleteKeys deletes keys gathered during a walk (deleting under a cursor
// skips keys) and returns how many.
func deleteKeys(b *bolt.Bucket, keys [][]byte) int {
	for _, k := range keys {
		// Delete fails only on a read-only transaction or a bucket key.
		_ = b.Delete(k)
	}
	return len(keys)
}

func deletePrefix(b *bolt.Bucket, prefix []byte, also func(k []byte) error) error {
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	for _, k := range keys {
		if also != nil {
			if err := also(k); err != nil {
				return err
			}
		}
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// RetentionConfig is the retention section of pantau.yaml: the age after
// which each kind of data is deleted. Hourly rollups are not listed: they
// are kept.
type RetentionConfig struct {
	Events   Age `yaml:"events"`
	Samples  Age `yaml:"samples"`
	Mentions Age `yaml:"mentions"`
	Alerts   Age `yaml:"alerts"`
	Outbox   Age `yaml:"outbox"`
	// Interval is how often the daemon runs retention; default 1h.
	Interval Age `yaml:"interval"`
}

// Default retention ages.
const (
	day                      = 24 * time.Hour
	DefaultRetainEvents      = 30 * day
	DefaultRetainSamples     = 30 * day
	DefaultRetainMentions    = 400 * day
	DefaultRetainAlerts      = 400 * day
	DefaultRetainOutbox      = 30 * day
	DefaultRetentionInterval = time.Hour
	minRetention             = time.Hour
)

// ApplyDefaults fills the ages left out.
func (c *RetentionConfig) ApplyDefaults() {
	for _, f := range []struct {
		a *Age
		d time.Duration
	}{{&c.Events, DefaultRetainEvents}, {&c.Samples, DefaultRetainSamples}, {&c.Mentions, DefaultRetainMentions},
		{&c.Alerts, DefaultRetainAlerts}, {&c.Outbox, DefaultRetainOutbox}, {&c.Interval, DefaultRetentionInterval}} {
		if *f.a == 0 {
			*f.a = Age(f.d)
		}
	}
}

// Ages maps each kind to its age.
func (c RetentionConfig) Ages() map[RetentionKind]time.Duration {
	return map[RetentionKind]time.Duration{
		RetainEvents: time.Duration(c.Events), RetainSamples: time.Duration(c.Samples),
		RetainMentions: time.Duration(c.Mentions), RetainAlerts: time.Duration(c.Alerts), RetainOutbox: time.Duration(c.Outbox),
	}
}

// Validate checks the section (after ApplyDefaults); path is its place in
// the file.
func (c RetentionConfig) Validate(path string) error {
	var errs []string
	for kind, age := range map[string]Age{"events": c.Events, "samples": c.Samples, "mentions": c.Mentions, "alerts": c.Alerts, "outbox": c.Outbox, "interval": c.Interval} {
		if time.Duration(age) < minRetention {
			errs = append(errs, fmt.Sprintf("%s.%s: %s is shorter than the minimum, 1h", path, kind, time.Duration(age)))
		}
	}
	if c.Samples > c.Mentions {
		errs = append(errs, fmt.Sprintf("%s.samples: samples cannot outlive their mentions (%s > mentions %s)", path, time.Duration(c.Samples), time.Duration(c.Mentions)))
	}
	if len(errs) == 0 {
		return nil
	}
	sort.Strings(errs)
	return errors.New(strings.Join(errs, "\n"))
}
