package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Bucket names. All are created at Open.
var (
	bucketMentions = []byte("mentions") // key -> Mention JSON
	bucketBySeen   = []byte("by_seen")  // be(seen ns) + key -> nil
	bucketChildren = []byte("children") // parent key + 0 + child key -> nil
	bucketSamples  = []byte("samples")  // mention key + 0 + be(at ns) -> Sample JSON
	bucketAlerts   = []byte("alerts")   // alert id -> Alert JSON
	bucketSources  = []byte("sources")  // source name -> SourceState JSON
	bucketEvents   = []byte("events")   // be(seq) -> Event JSON
	bucketMeta     = []byte("meta")     // schema version and the like
	allBuckets     = [][]byte{bucketMentions, bucketBySeen, bucketChildren, bucketSamples, bucketAlerts, bucketSources, bucketEvents, bucketMeta, bucketOutbox, bucketOutboxQueue, bucketOutboxCursor, bucketSamplesByAt, bucketRollups, bucketSilences, bucketNotifyState}
	keySchema      = []byte("schema")
	errKeyTooLarge = errors.New("key too large")
)

// maxKeyLen bounds mention keys. bbolt allows 32 KiB, but a key is an id,
// and a long one is hostile or broken input.
const maxKeyLen = 1024

// appendOnlyFill is the page fill for buckets whose keys only grow (events,
// the time index): splitting full pages wastes no space there, and fuller
// pages mean fewer pages written per commit.
const appendOnlyFill = 0.95

// Options configure a Store.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// LockTimeout bounds the wait for the file lock held by another
	// process; zero means 5 seconds.
	LockTimeout time.Duration
}

// Store is Pantau's bbolt-backed persistence. It is safe for concurrent use.
type Store struct {
	db  *bolt.DB
	now func() time.Time

	mu      sync.Mutex
	changed chan struct{} // closed (and replaced) after each commit with events

	health writeHealth
}

// Open opens or creates the store file at path (mode 0600) and creates every
// bucket it uses.
func Open(path string, opts Options) (*Store, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.LockTimeout == 0 {
		opts.LockTimeout = 5 * time.Second
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.LockTimeout, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	// A file from a newer build is refused before anything is written to it.
	err = refuseNewer(db)
	if err == nil {
		err = db.Update(func(tx *bolt.Tx) error {
			for _, name := range bucketsToCreate() {
				if _, err := tx.CreateBucketIfNotExists(name); err != nil {
					return fmt.Errorf("create bucket %s: %w", name, err)
				}
			}
			return nil
		})
	}
	if err == nil {
		// Each migration runs in its own transaction (migrate.go).
		err = migrate(db)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return &Store{db: db, now: opts.Now, changed: make(chan struct{})}, nil
}

// Close closes the file. Pending readers of Changed are woken.
func (s *Store) Close() error {
	s.notify()
	return s.db.Close()
}

// Path is the store file's path.
func (s *Store) Path() string { return s.db.Path() }

// Changed returns a channel that is closed after the next commit that
// records events. Take the channel before reading EventsSince, so an event
// committed in between is not missed.
func (s *Store) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

func (s *Store) notify() {
	s.mu.Lock()
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

// update runs fn in a write transaction and wakes event readers after a
// commit that recorded events.
func (s *Store) update(fn func(tx *bolt.Tx, ev *eventWriter) error) error {
	ev := &eventWriter{}
	start := time.Now()
	var fnErr error
	err := s.db.Update(func(tx *bolt.Tx) error {
		ev.b = tx.Bucket(bucketEvents)
		ev.b.FillPercent = appendOnlyFill
		ev.now = s.now()
		if fnErr = fn(tx, ev); fnErr != nil {
			return fnErr
		}
		// The mention writes' rollup changes, in the same transaction.
		fnErr = ev.rollups.flush(tx)
		return fnErr
	})
	// An error fn did not return came from bbolt itself: the commit
	// could not be written.
	var storageErr error
	if err != nil && fnErr == nil {
		storageErr = err
	}
	s.health.record(time.Since(start), storageErr, s.now())
	if err == nil && ev.n > 0 {
		s.notify()
	}
	return err
}

// eventWriter appends events inside a write transaction.
type eventWriter struct {
	b   *bolt.Bucket
	now time.Time
	n   int
	// rollups collects the hourly rollup changes of the mention writes.
	rollups rollupDelta
}

func (w *eventWriter) add(typ string, data []byte) error {
	seq, err := w.b.NextSequence()
	if err != nil {
		return err
	}
	w.n++
	return w.b.Put(u64(seq), encodeEvent(typ, w.now, data))
}

// Events are stored as a small binary header and the data's JSON as it is,
// rather than as one JSON document: wrapping would re-validate and copy
// every mention's JSON a second time on the ingest path.
//
//	version (1) | at unix ns (8) | len(type) (1) | type | data
const eventEncodingV1 = 1

func encodeEvent(typ string, at time.Time, data []byte) []byte {
	v := make([]byte, 0, 10+len(typ)+len(data))
	v = append(v, eventEncodingV1)
	v = append(v, timeKey(at)...)
	v = append(v, byte(len(typ)))
	v = append(v, typ...)
	return append(v, data...)
}

// eventType returns an event type as a string, without allocating for
// the usual ones.
func eventType(b []byte) string {
	switch string(b) {
	case EventMentionNew:
		return EventMentionNew
	case EventMentionScored:
		return EventMentionScored
	case EventAlert:
		return EventAlert
	}
	return string(b)
}

func decodeEvent(seq uint64, v []byte) (Event, error) {
	if len(v) < 10 || v[0] != eventEncodingV1 || len(v) < 10+int(v[9]) {
		return Event{}, errors.New("unknown event encoding")
	}
	tl := int(v[9])
	return Event{
		Seq:  seq,
		At:   time.Unix(0, int64(binary.BigEndian.Uint64(v[1:9]))).UTC(),
		Type: eventType(v[10 : 10+tl]),
		// Not a copy: bbolt's memory, valid only inside the transaction.
		Data: json.RawMessage(v[10+tl:]),
	}, nil
}

func (w *eventWriter) addJSON(typ string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return w.add(typ, data)
}

// Ingest commits a collector's batch in one transaction: new mentions
// (deduplicated by key), engagement samples, thread links, the brand-reply
// marks they imply, the source's new cursor and its health. A mention that is
// already stored is left as it is; only its samples are added.
func (s *Store) Ingest(b Batch) (IngestResult, error) {
	var res IngestResult
	at := b.At
	if at.IsZero() {
		at = s.now()
	}
	err := s.update(func(tx *bolt.Tx, ev *eventWriter) error {
		res = IngestResult{} // Update may not retry, but keep fn self-contained
		mentions := tx.Bucket(bucketMentions)
		bySeen := tx.Bucket(bucketBySeen)
		bySeen.FillPercent = appendOnlyFill
		children := tx.Bucket(bucketChildren)
		samples := tx.Bucket(bucketSamples)
		seenInBatch := make(map[string]bool, len(b.Mentions))

		for i := range b.Mentions {
			m := b.Mentions[i]
			if m.Kind == "" {
				m.Kind = b.Kind
			}
			if m.Source == "" {
				m.Source = b.Source
			}
			m.Key = MentionKey(m.Kind, m.NativeID)
			if err := validKeys(&m); err != nil {
				// Bad input is skipped; the rest of the batch still lands.
				res.Rejected = append(res.Rejected, fmt.Errorf("source %s: mention %d (%q): %w", b.Source, i, truncate(m.Key, 80), err))
				continue
			}
			k := []byte(m.Key)
			if seenInBatch[m.Key] || mentions.Get(k) != nil {
				res.Duplicates++
				continue
			}
			seenInBatch[m.Key] = true
			m.SeenAt = at
			// A brand reply that arrived before this mention answers it.
			if !m.ByBrand {
				if by, when, ok := firstBrandChild(mentions, children, k); ok {
					m.AnsweredAt, m.AnsweredBy = &when, by
				}
			}
			data, err := json.Marshal(&m)
			if err != nil {
				res.Rejected = append(res.Rejected, fmt.Errorf("source %s: mention %d (%q): %w", b.Source, i, truncate(m.Key, 80), err))
				delete(seenInBatch, m.Key)
				continue
			}
			if err := putMention(mentions, ev, nil, &m, data); err != nil {
				return err
			}
			if err := bySeen.Put(seenKey(at, m.Key), nil); err != nil {
				return err
			}
			if m.ReplyTo != "" {
				if err := children.Put(pairKey(m.ReplyTo, m.Key), nil); err != nil {
					return err
				}
				if m.ByBrand {
					answered, err := markAnswered(mentions, ev, m.ReplyTo, &m)
					if err != nil {
						return err
					}
					if answered {
						res.Answered = append(res.Answered, m.ReplyTo)
					}
				}
			}
			if err := ev.add(EventMentionNew, data); err != nil {
				return err
			}
			res.New = append(res.New, m)
		}

		sampled := map[string]bool{}
		for _, sm := range b.Samples {
			if sm.Key == "" || len(sm.Key) > maxKeyLen || strings.IndexByte(sm.Key, 0) >= 0 {
				res.Rejected = append(res.Rejected, fmt.Errorf("source %s: sample for %q: bad mention key", b.Source, truncate(sm.Key, 80)))
				continue
			}
			if sm.At.IsZero() {
				sm.At = at
			}
			v, err := json.Marshal(sm.Sample)
			if err != nil {
				return err
			}
			if err := samples.Put(sampleKey(sm.Key, sm.At), v); err != nil {
				return err
			}
			if err := indexSample(tx, sm.Key, sm.At); err != nil {
				return err
			}
			if !sampled[sm.Key] {
				sampled[sm.Key] = true
				res.Sampled = append(res.Sampled, sm.Key)
			}
		}

		if b.Source == "" {
			return nil
		}
		st, err := getSource(tx, b.Source)
		if err != nil {
			return err
		}
		if b.Kind != "" {
			st.Kind = b.Kind
		}
		if b.Cursor != nil {
			st.Cursor = *b.Cursor
		}
		st.LastSuccess = at
		st.ConsecutiveErrors = 0
		st.NextAttempt = time.Time{}
		st.ItemsSeen += int64(len(res.New))
		if !b.Refresh {
			st.LastItems = len(res.New)
		}
		if b.Coverage != "" {
			st.Coverage = b.Coverage
		}
		for _, m := range res.New {
			if m.CreatedAt.After(st.Newest) {
				st.Newest = m.CreatedAt
			}
		}
		st.Hourly = countHour(st.Hourly, at, len(res.New))
		return putSource(tx, ev, st)
	})
	if err != nil {
		return IngestResult{}, err
	}
	return res, nil
}

// validKeys checks the ids that become bbolt keys: present, bounded and
// free of the NUL byte that separates composite keys.
func validKeys(m *Mention) error {
	if m.NativeID == "" {
		return errors.New("no native id")
	}
	for _, k := range []string{m.Key, m.ReplyTo, m.ThreadRoot} {
		if len(k) > maxKeyLen {
			return errKeyTooLarge
		}
		if strings.IndexByte(k, 0) >= 0 {
			return errors.New("id contains a NUL byte")
		}
	}
	// JSON (RFC 3339) cannot hold years outside 0..9999: such a date is a
	// broken payload, and it must not fail the rest of the batch.
	if y := m.CreatedAt.Year(); !m.CreatedAt.IsZero() && (y < 1 || y > 9999) {
		return fmt.Errorf("created_at %d is out of range", y)
	}
	return nil
}

// countHour adds n new mentions to the hour containing at, keeping only the
// last day of hours.
func countHour(hours []HourCount, at time.Time, n int) []HourCount {
	hour := at.UTC().Truncate(time.Hour)
	if k := len(hours); k > 0 && hours[k-1].Hour.Equal(hour) {
		hours[k-1].N += n
	} else if n > 0 {
		hours = append(hours, HourCount{Hour: hour, N: n})
	}
	for len(hours) > 0 && hour.Sub(hours[0].Hour) >= 24*time.Hour {
		hours = hours[1:]
	}
	return hours
}

// markAnswered records reply as the brand's first answer to parentKey, if
// the parent is stored and not answered yet.
func markAnswered(mentions *bolt.Bucket, ev *eventWriter, parentKey string, reply *Mention) (bool, error) {
	v := mentions.Get([]byte(parentKey))
	if v == nil {
		return false, nil
	}
	var parent Mention
	if err := json.Unmarshal(v, &parent); err != nil {
		return false, fmt.Errorf("decode mention %s: %w", parentKey, err)
	}
	if parent.AnsweredAt != nil && !reply.CreatedAt.Before(*parent.AnsweredAt) {
		return false, nil
	}
	first := parent.AnsweredAt == nil
	old := parent
	when := reply.CreatedAt
	parent.AnsweredAt, parent.AnsweredBy = &when, reply.Author.Handle
	data, err := json.Marshal(&parent)
	if err != nil {
		return false, err
	}
	parent.Key = parentKey
	if err := putMention(mentions, ev, &old, &parent, data); err != nil {
		return false, err
	}
	return first, ev.add(EventMentionAnswered, data)
}

// firstBrandChild finds the earliest stored brand reply to parent.
func firstBrandChild(mentions, children *bolt.Bucket, parent []byte) (by string, at time.Time, ok bool) {
	prefix := append(append([]byte{}, parent...), 0)
	c := children.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		v := mentions.Get(k[len(prefix):])
		if v == nil {
			continue
		}
		var child Mention
		if json.Unmarshal(v, &child) != nil || !child.ByBrand {
			continue
		}
		if !ok || child.CreatedAt.Before(at) {
			by, at, ok = child.Author.Handle, child.CreatedAt, true
		}
	}
	return by, at, ok
}

// Mention returns one mention by key.
func (s *Store) Mention(key string) (Mention, bool, error) {
	return getRecord[Mention](s.db, bucketMentions, key)
}

// getRecord reads one JSON record by key; found is false when it is absent.
func getRecord[T any](db *bolt.DB, bucket []byte, key string) (rec T, found bool, err error) {
	err = db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucket).Get([]byte(key))
		if v == nil {
			return nil
		}
		found = true
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("decode %s %q: %w", bucket, key, err)
		}
		return nil
	})
	return rec, found, err
}

// Thread returns the thread that key belongs to: its root (following
// ReplyTo and ThreadRoot as far as stored) and every stored descendant,
// oldest first.
func (s *Store) Thread(key string) ([]Mention, error) {
	var out []Mention
	err := s.db.View(func(tx *bolt.Tx) error {
		mentions := tx.Bucket(bucketMentions)
		children := tx.Bucket(bucketChildren)
		get := func(k string) (Mention, bool) {
			var m Mention
			v := mentions.Get([]byte(k))
			if v == nil || json.Unmarshal(v, &m) != nil {
				return m, false
			}
			return m, true
		}
		root, ok := get(key)
		if !ok {
			return nil
		}
		// Walk up, guarding against reply cycles in hostile data.
		for hops := 0; hops < 1000; hops++ {
			up := root.ReplyTo
			if root.ThreadRoot != "" && root.ThreadRoot != root.Key {
				up = root.ThreadRoot
			}
			if up == "" {
				break
			}
			parent, ok := get(up)
			if !ok {
				break
			}
			root = parent
		}
		seen := map[string]bool{root.Key: true}
		queue := []Mention{root}
		for len(queue) > 0 && len(out) < 10000 {
			m := queue[0]
			queue = queue[1:]
			out = append(out, m)
			prefix := append([]byte(m.Key), 0)
			c := children.Cursor()
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
				ck := string(k[len(prefix):])
				if seen[ck] {
					continue
				}
				seen[ck] = true
				if child, ok := get(ck); ok {
					queue = append(queue, child)
				}
			}
		}
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, err
}

// Mentions returns the latest mentions matching q, newest seen first.
// Limit defaults to 100 and is capped at 1000.
func (s *Store) Mentions(q MentionQuery) ([]Mention, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	var out []Mention
	err := s.db.View(func(tx *bolt.Tx) error {
		mentions := tx.Bucket(bucketMentions)
		c := tx.Bucket(bucketBySeen).Cursor()
		var k []byte
		if q.Before.IsZero() {
			k, _ = c.Last()
		} else {
			// Position on the last key before (Before, BeforeKey).
			if sk, _ := c.Seek(seenKey(q.Before, q.BeforeKey)); sk == nil {
				k, _ = c.Last()
			} else {
				k, _ = c.Prev()
			}
		}
		for ; k != nil && len(out) < limit; k, _ = c.Prev() {
			v := mentions.Get(k[8:])
			if v == nil {
				continue
			}
			var m Mention
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("decode mention %s: %w", k[8:], err)
			}
			if q.Match(&m) {
				out = append(out, m)
			}
		}
		return nil
	})
	return out, err
}

// SeenCursor is a position in the order mentions were seen: after the
// mention Key seen at At, or, with Key empty, at At.
type SeenCursor struct {
	At  time.Time
	Key string
}

// MentionsSeenAfter returns up to limit mentions in the order they were
// seen, from cursor c on, and the cursor after the last one read. Mentions
// of one batch share their seen time, so paging by time alone skips or
// repeats those beyond a page; the key in the cursor keeps the place.
func (s *Store) MentionsSeenAfter(c SeenCursor, limit int) ([]Mention, SeenCursor, error) {
	var out []Mention
	next := c
	err := s.db.View(func(tx *bolt.Tx) error {
		mentions := tx.Bucket(bucketMentions)
		cur := tx.Bucket(bucketBySeen).Cursor()
		start := seenKey(c.At, c.Key)
		k, _ := cur.Seek(start)
		if c.Key != "" && bytes.Equal(k, start) {
			k, _ = cur.Next()
		}
		for ; k != nil && len(out) < limit; k, _ = cur.Next() {
			next = SeenCursor{At: time.Unix(0, int64(binary.BigEndian.Uint64(k[:8]))).UTC(), Key: string(k[8:])}
			v := mentions.Get(k[8:])
			if v == nil {
				continue
			}
			var m Mention
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("decode mention %s: %w", k[8:], err)
			}
			out = append(out, m)
		}
		return nil
	})
	return out, next, err
}

// MentionsSeenSince returns up to limit mentions first seen at or after
// since, oldest first. The scorer's sweep uses it to re-score open mentions.
func (s *Store) MentionsSeenSince(since time.Time, limit int) ([]Mention, error) {
	ms, _, err := s.MentionsSeenAfter(SeenCursor{At: since}, limit)
	return ms, err
}

// Samples returns a mention's engagement samples, oldest first.
func (s *Store) Samples(key string) ([]Sample, error) {
	var out []Sample
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := append([]byte(key), 0)
		c := tx.Bucket(bucketSamples).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var sm Sample
			if err := json.Unmarshal(v, &sm); err != nil {
				return fmt.Errorf("decode sample %s: %w", key, err)
			}
			out = append(out, sm)
		}
		return nil
	})
	return out, err
}

// SetHandling records what an agent did with a mention: its handling state
// (private, resolved, no reply needed, or empty to clear) and, when assign
// is true, who it is assigned to. It records a mention.handled event.
func (s *Store) SetHandling(key string, state ReplyState, assignee string, assign bool, by string) (Mention, error) {
	switch state {
	case "", ReplyPrivate, ReplyResolved, ReplyNotNeeded, ReplyAnswered:
	default:
		return Mention{}, fmt.Errorf("mention %q: unknown handling state %q", key, state)
	}
	var m Mention
	err := s.update(func(tx *bolt.Tx, ev *eventWriter) error {
		b := tx.Bucket(bucketMentions)
		v := b.Get([]byte(key))
		if v == nil {
			return fmt.Errorf("mention %q: %w", key, ErrNotFound)
		}
		if err := json.Unmarshal(v, &m); err != nil {
			return fmt.Errorf("decode mention %s: %w", key, err)
		}
		old := m
		when := ev.now
		m.Handling, m.HandledBy, m.HandledAt = state, by, &when
		if assign {
			m.AssignedTo = assignee
		}
		data, err := json.Marshal(&m)
		if err != nil {
			return err
		}
		m.Key = key
		if err := putMention(b, ev, &old, &m, data); err != nil {
			return err
		}
		return ev.add(EventMentionHandled, data)
	})
	return m, err
}

// SaveScores stores new scores for mentions by key and records a
// mention.scored event for each. Keys that are not stored are skipped.
func (s *Store) SaveScores(scores map[string]Score) error {
	if len(scores) == 0 {
		return nil
	}
	keys := make([]string, 0, len(scores))
	for k := range scores {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic event order
	return s.update(func(tx *bolt.Tx, ev *eventWriter) error {
		mentions := tx.Bucket(bucketMentions)
		for _, key := range keys {
			v := mentions.Get([]byte(key))
			if v == nil {
				continue
			}
			var m Mention
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("decode mention %s: %w", key, err)
			}
			old := m
			sc := scores[key]
			m.Score = &sc
			data, err := json.Marshal(&m)
			if err != nil {
				return err
			}
			m.Key = key
			if err := putMention(mentions, ev, &old, &m, data); err != nil {
				return err
			}
			if err := ev.add(EventMentionScored, data); err != nil {
				return err
			}
		}
		return nil
	})
}

// PutAlert stores an alert and records an alert event, unless the stored
// alert is identical. It reports whether anything changed.
func (s *Store) PutAlert(a Alert) (bool, error) {
	if a.ID == "" {
		return false, errors.New("put alert: empty id")
	}
	var changed bool
	err := s.update(func(tx *bolt.Tx, ev *eventWriter) error {
		var err error
		changed, err = putAlert(tx, ev, &a)
		return err
	})
	return changed, err
}

func putAlert(tx *bolt.Tx, ev *eventWriter, a *Alert) (bool, error) {
	b := tx.Bucket(bucketAlerts)
	data, err := json.Marshal(a)
	if err != nil {
		return false, err
	}
	if bytes.Equal(b.Get([]byte(a.ID)), data) {
		return false, nil
	}
	if err := b.Put([]byte(a.ID), data); err != nil {
		return false, err
	}
	return true, ev.add(EventAlert, data)
}

var (
	// ErrNotFound is returned when a record asked for by id does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict is returned for a state change the record's current
	// state does not allow, such as acknowledging a resolved alert.
	ErrConflict = errors.New("conflict")
)

// SetAlertState moves an alert to state, recording who did it.
func (s *Store) SetAlertState(id string, state AlertState, by string) (Alert, error) {
	var a Alert
	err := s.update(func(tx *bolt.Tx, ev *eventWriter) error {
		b := tx.Bucket(bucketAlerts)
		v := b.Get([]byte(id))
		if v == nil {
			return fmt.Errorf("alert %q: %w", id, ErrNotFound)
		}
		if err := json.Unmarshal(v, &a); err != nil {
			return fmt.Errorf("decode alert %s: %w", id, err)
		}
		if a.State == state {
			return nil
		}
		if a.State == AlertResolved {
			return fmt.Errorf("alert %q is resolved and cannot become %s: %w", id, state, ErrConflict)
		}
		a.State, a.By, a.UpdatedAt = state, by, ev.now
		data, err := json.Marshal(&a)
		if err != nil {
			return err
		}
		if err := b.Put([]byte(id), data); err != nil {
			return err
		}
		return ev.add(EventAlert, data)
	})
	return a, err
}

// Alert returns one alert by id.
func (s *Store) Alert(id string) (Alert, bool, error) {
	return getRecord[Alert](s.db, bucketAlerts, id)
}

// Alerts returns the alerts matching q, most recently updated first.
// Limit defaults to 100 and is capped at 1000.
func (s *Store) Alerts(q AlertQuery) ([]Alert, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	var out []Alert
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAlerts).ForEach(func(k, v []byte) error {
			var a Alert
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("decode alert %s: %w", k, err)
			}
			if (q.State == "" || a.State == q.State) && (q.Source == "" || a.Source == q.Source) && (q.Brand == "" || a.Brand == q.Brand) {
				out = append(out, a)
			}
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool {
		if !out[i].UpdatedAt.Equal(out[j].UpdatedAt) {
			return out[i].UpdatedAt.After(out[j].UpdatedAt)
		}
		return out[i].ID < out[j].ID
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, err
}

// SourceState returns what is stored about a source; a source never seen
// before gets a zero state with its name set.
func (s *Store) SourceState(name string) (SourceState, error) {
	var st SourceState
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		st, err = getSource(tx, name)
		return err
	})
	return st, err
}

// SourceStates returns every stored source state, by name.
func (s *Store) SourceStates() ([]SourceState, error) {
	var out []SourceState
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSources).ForEach(func(k, v []byte) error {
			var st SourceState
			if err := json.Unmarshal(v, &st); err != nil {
				return fmt.Errorf("decode source %s: %w", k, err)
			}
			out = append(out, st)
			return nil
		})
	})
	return out, err
}

// RecordSourceError records a failed poll: the error's text (which must
// hold no secrets), one more consecutive error, and when the source may be
// tried again.
func (s *Store) RecordSourceError(source, kind string, at time.Time, errText string, nextAttempt time.Time) (SourceState, error) {
	var st SourceState
	err := s.update(func(tx *bolt.Tx, ev *eventWriter) error {
		var err error
		if st, err = getSource(tx, source); err != nil {
			return err
		}
		if kind != "" {
			st.Kind = kind
		}
		st.LastError = at
		st.LastErrorText = truncate(errText, 2000)
		st.ConsecutiveErrors++
		st.NextAttempt = nextAttempt
		return putSource(tx, ev, st)
	})
	return st, err
}

func getSource(tx *bolt.Tx, name string) (SourceState, error) {
	st := SourceState{Source: name}
	v := tx.Bucket(bucketSources).Get([]byte(name))
	if v == nil {
		return st, nil
	}
	if err := json.Unmarshal(v, &st); err != nil {
		return st, fmt.Errorf("decode source %s: %w", name, err)
	}
	return st, nil
}

func putSource(tx *bolt.Tx, ev *eventWriter, st SourceState) error {
	data, err := json.Marshal(&st)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketSources).Put([]byte(st.Source), data); err != nil {
		return err
	}
	return ev.add(EventSourceHealth, data)
}

// EventsSince returns up to limit events with a sequence number greater
// than seq, in order. Limit defaults to 1000.
func (s *Store) EventsSince(seq uint64, limit int) ([]Event, error) {
	var out []Event
	err := s.EventsSinceFunc(seq, limit, func(e Event) error {
		// Copy: bbolt's memory is only valid inside the transaction.
		e.Data = bytes.Clone(e.Data)
		out = append(out, e)
		return nil
	})
	return out, err
}

// EventsSinceFunc calls fn with each event after seq, oldest first, at
// most limit (1000 when limit is not positive), in one read transaction.
// e.Data is the store's own memory, valid only during the call: fn copies
// what it keeps. The dashboard's hub reads this way so that it copies only
// the events it has not already encoded.
func (s *Store) EventsSinceFunc(seq uint64, limit int, fn func(e Event) error) error {
	if limit <= 0 {
		limit = 1000
	}
	return s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketEvents).Cursor()
		n := 0
		for k, v := c.Seek(u64(seq + 1)); k != nil && n < limit; k, v = c.Next() {
			e, err := decodeEvent(binary.BigEndian.Uint64(k), v)
			if err != nil {
				return fmt.Errorf("decode event %d: %w", binary.BigEndian.Uint64(k), err)
			}
			if err := fn(e); err != nil {
				return err
			}
			n++
		}
		return nil
	})
}

// LastSeq is the sequence number of the newest event (0 when none).
func (s *Store) LastSeq() (uint64, error) {
	var seq uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		seq = tx.Bucket(bucketEvents).Sequence()
		return nil
	})
	return seq, err
}

// Backup writes a consistent snapshot of the whole store to w while it
// stays open for reads and writes.
func (s *Store) Backup(w io.Writer) (int64, error) {
	var n int64
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

func u64(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}

// timeKey is a sortable big-endian encoding of t; times before 1970 sort
// as 1970.
func timeKey(t time.Time) []byte {
	ns := t.UnixNano()
	if ns < 0 {
		ns = 0
	}
	return u64(uint64(ns))
}

func seenKey(t time.Time, key string) []byte {
	return append(timeKey(t), key...)
}

func pairKey(a, b string) []byte {
	k := make([]byte, 0, len(a)+1+len(b))
	return append(append(append(k, a...), 0), b...)
}

func sampleKey(key string, at time.Time) []byte {
	k := make([]byte, 0, len(key)+9)
	return append(append(append(k, key...), 0), timeKey(at)...)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
