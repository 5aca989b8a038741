package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Hourly rollups: the reputation history reads these instead of scanning
// every mention, so a year's page stays fast.
//
// One record per hour (of the mention's CreatedAt, UTC) × source × brand
// holds the Counts of every mention stored in it. Every write of a mention
// goes through putMention, which subtracts the stored record's contribution
// and adds the new one's in the same transaction: re-scoring, a brand's
// answer or an agent's handling move the counts, never double them.
//
// Rollups hold counts and topic names only, no text and no author: they
// carry no personal data and may be exported as they are.

// bucketRollups: be(hour ns) + source + 0 + brand -> encoded Counts.
var bucketRollups = []byte("rollups")

// ComplaintThreshold is the complaint probability from which a customer's
// post counts as a complaint: the scorer's own threshold (alerting's
// complaintMin, which a test there keeps equal), so history counts the
// same complaints the queue shows.
const ComplaintThreshold = 0.5

// SentimentNeutralBand: a sentiment within ±this counts as neutral.
const SentimentNeutralBand = 0.05

// ResponseBuckets are the upper bounds of the first-response-time
// histogram; a last bucket holds everything slower.
var ResponseBuckets = [...]time.Duration{15 * time.Minute, time.Hour, 4 * time.Hour, 24 * time.Hour}

// Bounds on what one record holds, against hostile or broken scores.
const (
	maxRollupName      = 256 // bytes of a source or brand name in a key
	maxTopicsPerRecord = 8   // topics one mention adds
	maxTopicLen        = 64  // bytes of one topic name
)

// Counts are the figures of one rollup record, or of any sum of them.
type Counts struct {
	// Mentions counts customers' posts; the brand's own replies are
	// BrandReplies.
	Mentions     int64 `json:"mentions"`
	BrandReplies int64 `json:"brand_replies"`
	// Complaints counts customers' posts scored as complaints; Severity
	// splits them by severity 1..4.
	Complaints int64    `json:"complaints"`
	Severity   [4]int64 `json:"severity"`
	// Sentiment of the scored customer posts. SentimentMilli is the sum of
	// their sentiments in thousandths (scores are rounded to three
	// decimals), kept as an integer so that subtracting a contribution
	// gives back exactly what adding it did.
	Negative       int64 `json:"negative"`
	Neutral        int64 `json:"neutral"`
	Positive       int64 `json:"positive"`
	SentimentMilli int64 `json:"sentiment_milli"`
	// Answered counts customers' posts the brand answered in public (the
	// reply's time is known); ResponseTime is their first-response-time
	// histogram over ResponseBuckets and AnsweredWithinTarget those
	// answered within their score's target (wall clock).
	Answered             int64    `json:"answered"`
	AnsweredWithinTarget int64    `json:"answered_within_target"`
	ResponseTime         [5]int64 `json:"response_time"`
	// UnansweredPastTarget counts posts still open past their target, as
	// the scorer last saw them.
	UnansweredPastTarget int64 `json:"unanswered_past_target"`
	// AuditPass and AuditFail count the brand's replies by the reply
	// audit's verdict (ok passes; needs attention and violation fail).
	AuditPass int64 `json:"audit_pass"`
	AuditFail int64 `json:"audit_fail"`
	// Topics counts complaints per topic, sorted by topic.
	Topics []TopicCount `json:"topics,omitempty"`
}

// TopicCount is how many complaints named one topic.
type TopicCount struct {
	Topic string `json:"topic"`
	N     int64  `json:"n"`
}

// Rollup is one stored record: the counts of one hour, source and brand.
type Rollup struct {
	Hour   time.Time `json:"hour"`
	Source string    `json:"source"`
	Brand  string    `json:"brand"`
	Counts
}

// numFixed is how many int64 figures Counts has besides its topics.
const numFixed = 21

// fixed lists the figures in their encoding order. Append new figures at
// the end: the encoding records how many it holds, so older records read
// with the new ones zero.
func (c *Counts) fixed() [numFixed]*int64 {
	return [numFixed]*int64{
		&c.Mentions, &c.BrandReplies, &c.Complaints,
		&c.Severity[0], &c.Severity[1], &c.Severity[2], &c.Severity[3],
		&c.Negative, &c.Neutral, &c.Positive, &c.SentimentMilli,
		&c.Answered, &c.AnsweredWithinTarget,
		&c.ResponseTime[0], &c.ResponseTime[1], &c.ResponseTime[2], &c.ResponseTime[3], &c.ResponseTime[4],
		&c.UnansweredPastTarget, &c.AuditPass, &c.AuditFail,
	}
}

// Add adds o to c (sign 1) or takes it away (sign -1).
func (c *Counts) Add(o *Counts, sign int64) {
	c.AddFigures(o, sign)
	for _, t := range o.Topics {
		c.addTopic(t.Topic, sign*t.N)
	}
}

// AddFigures is Add without the topics, for sums that do not show them.
func (c *Counts) AddFigures(o *Counts, sign int64) {
	// Written out rather than through fixed(): this is the history
	// handler's inner loop, run several times per record.
	c.Mentions += sign * o.Mentions
	c.BrandReplies += sign * o.BrandReplies
	c.Complaints += sign * o.Complaints
	for i := range c.Severity {
		c.Severity[i] += sign * o.Severity[i]
	}
	c.Negative += sign * o.Negative
	c.Neutral += sign * o.Neutral
	c.Positive += sign * o.Positive
	c.SentimentMilli += sign * o.SentimentMilli
	c.Answered += sign * o.Answered
	c.AnsweredWithinTarget += sign * o.AnsweredWithinTarget
	for i := range c.ResponseTime {
		c.ResponseTime[i] += sign * o.ResponseTime[i]
	}
	c.UnansweredPastTarget += sign * o.UnansweredPastTarget
	c.AuditPass += sign * o.AuditPass
	c.AuditFail += sign * o.AuditFail
}

// addTopic adds n to one topic, keeping Topics sorted and free of zeros.
func (c *Counts) addTopic(topic string, n int64) {
	i, found := slices.BinarySearchFunc(c.Topics, topic, func(t TopicCount, s string) int { return strings.Compare(t.Topic, s) })
	switch {
	case found:
		c.Topics[i].N += n
		if c.Topics[i].N == 0 {
			c.Topics = slices.Delete(c.Topics, i, i+1)
		}
	case n != 0:
		c.Topics = slices.Insert(c.Topics, i, TopicCount{topic, n})
	}
}

// IsZero reports whether every figure is zero.
func (c *Counts) IsZero() bool {
	for _, p := range c.fixed() {
		if *p != 0 {
			return false
		}
	}
	return len(c.Topics) == 0
}

// SentimentMean is the mean sentiment of the scored posts (0 when none).
func (c *Counts) SentimentMean() float64 {
	n := c.Negative + c.Neutral + c.Positive
	if n == 0 {
		return 0
	}
	return float64(c.SentimentMilli) / 1000 / float64(n)
}

// contribution is what one stored mention adds to its hour's record.
func contribution(m *Mention) Counts {
	var c Counts
	sc := m.Score
	if m.ByBrand {
		c.BrandReplies = 1
		if sc != nil && sc.Audit != nil {
			if sc.Audit.Verdict == "ok" {
				c.AuditPass = 1
			} else {
				c.AuditFail = 1
			}
		}
		return c
	}
	c.Mentions = 1
	if sc != nil && sc.Scored {
		switch s := sc.Sentiment; {
		case s < -SentimentNeutralBand:
			c.Negative = 1
		case s > SentimentNeutralBand:
			c.Positive = 1
		default:
			c.Neutral = 1
		}
		if !math.IsNaN(sc.Sentiment) {
			c.SentimentMilli = int64(math.Round(min(max(sc.Sentiment, -1), 1) * 1000))
		}
		if sc.Complaint >= ComplaintThreshold {
			c.Complaints = 1
			if sc.Severity >= 1 && sc.Severity <= 4 {
				c.Severity[sc.Severity-1] = 1
			}
			for _, t := range sc.Topics {
				if len(c.Topics) == maxTopicsPerRecord {
					break
				}
				if t = cleanTopic(t); t != "" && !hasTopic(c.Topics, t) {
					c.addTopic(t, 1)
				}
			}
		}
	}
	if m.AnsweredAt != nil {
		c.Answered = 1
		rt := max(m.AnsweredAt.Sub(postedAt(m)), 0)
		c.ResponseTime[responseBucket(rt)] = 1
		if sc != nil && sc.Target > 0 && rt <= sc.Target {
			c.AnsweredWithinTarget = 1
		}
	} else if sc != nil && sc.ReplyState == ReplyNew && sc.Overdue > 0 {
		c.UnansweredPastTarget = 1
	}
	return c
}

func hasTopic(ts []TopicCount, t string) bool {
	for _, x := range ts {
		if x.Topic == t {
			return true
		}
	}
	return false
}

// cleanTopic bounds a topic name; names with control bytes are dropped.
func cleanTopic(t string) string {
	if len(t) > maxTopicLen {
		return ""
	}
	for i := 0; i < len(t); i++ {
		if t[i] < 0x20 || t[i] == 0x7f {
			return ""
		}
	}
	return t
}

// responseBucket is the histogram bucket of a first response time.
func responseBucket(rt time.Duration) int {
	for i, le := range ResponseBuckets {
		if rt <= le {
			return i
		}
	}
	return len(ResponseBuckets)
}

// maxFutureSkew is how far after Pantau first saw a post its claimed
// creation time may be; beyond it the time is broken or hostile.
const maxFutureSkew = 24 * time.Hour

// postedAt is when a mention was posted: its CreatedAt, or when Pantau
// first saw it if the source gave no time or claims a time in the future
// (which would also put a year such as 5000 past the nanosecond keys).
func postedAt(m *Mention) time.Time {
	if m.CreatedAt.IsZero() || !m.SeenAt.IsZero() && m.CreatedAt.Sub(m.SeenAt) > maxFutureSkew {
		return m.SeenAt
	}
	return m.CreatedAt
}

// rollupKey is the record key of the hour, source and brand m belongs to.
func rollupKey(m *Mention) string {
	return string(rollupKeyOf(postedAt(m).UTC().Truncate(time.Hour), m.Source, m.Brand))
}

func rollupKeyOf(hour time.Time, source, brand string) []byte {
	source, brand = rollupName(source), rollupName(brand)
	k := make([]byte, 0, 9+len(source)+len(brand))
	k = append(k, timeKey(hour)...)
	k = append(k, source...)
	k = append(k, 0)
	return append(k, brand...)
}

// rollupName makes a name safe inside a key: no NUL (the separator) and
// bounded.
func rollupName(s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	if len(s) > maxRollupName {
		s = s[:maxRollupName]
	}
	return s
}

// rollupDelta collects one transaction's changes to the records, by key,
// so a batch of mentions in the same hour writes its record once.
type rollupDelta map[string]*Counts

// move records that a mention changed from old (nil: it is new) to m
// (nil: it is gone).
func (d *rollupDelta) move(old, m *Mention) {
	if *d == nil {
		*d = rollupDelta{}
	}
	if old != nil {
		c := contribution(old)
		d.at(rollupKey(old)).Add(&c, -1)
	}
	if m != nil {
		c := contribution(m)
		d.at(rollupKey(m)).Add(&c, 1)
	}
}

func (d rollupDelta) at(key string) *Counts {
	c := d[key]
	if c == nil {
		c = &Counts{}
		d[key] = c
	}
	return c
}

// flush applies the collected changes to the stored records, deleting the
// ones that drop to zero.
func (d rollupDelta) flush(tx *bolt.Tx) error {
	if len(d) == 0 {
		return nil
	}
	b := tx.Bucket(bucketRollups)
	keys := make([]string, 0, len(d))
	for k, c := range d {
		if !c.IsZero() {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys) // sequential page writes
	for _, k := range keys {
		var cur Counts
		if v := b.Get([]byte(k)); v != nil {
			if err := decodeCounts(v, &cur, nil); err != nil {
				return fmt.Errorf("decode rollup: %w", err)
			}
		}
		cur.Add(d[k], 1)
		var err error
		if cur.IsZero() {
			err = b.Delete([]byte(k))
		} else {
			err = b.Put([]byte(k), encodeCounts(&cur))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// putMention stores a mention's new record over old (nil when it is new),
// with its rollups moved in the same transaction. Every write of a mention
// goes through here.
func putMention(b *bolt.Bucket, ev *eventWriter, old, m *Mention, data []byte) error {
	if err := b.Put([]byte(m.Key), data); err != nil {
		return err
	}
	ev.rollups.move(old, m)
	return nil
}

// Encoding of Counts: a version byte, the number of fixed figures and each
// as a varint, then the number of topics and each topic's length, name and
// count. Binary rather than JSON: a year's page decodes 140,000 records.
const rollupEncodingV1 = 1

func encodeCounts(c *Counts) []byte {
	v := make([]byte, 0, 2+numFixed+8*len(c.Topics))
	v = append(v, rollupEncodingV1)
	v = binary.AppendUvarint(v, numFixed)
	for _, p := range c.fixed() {
		v = binary.AppendVarint(v, *p)
	}
	v = binary.AppendUvarint(v, uint64(len(c.Topics)))
	for _, t := range c.Topics {
		v = binary.AppendUvarint(v, uint64(len(t.Topic)))
		v = append(v, t.Topic...)
		v = binary.AppendVarint(v, t.N)
	}
	return v
}

var errRollupEncoding = errors.New("bad rollup encoding")

// varint is binary.Varint with a fast path for the one-byte values most
// figures of an hour are: a year's page decodes three million of them.
func varint(v []byte) (int64, int) {
	if len(v) > 0 && v[0] < 0x80 {
		return int64(v[0]>>1) ^ -int64(v[0]&1), 1
	}
	return binary.Varint(v)
}

// decodeCounts reads v into c, reusing c.Topics' memory. names, when not
// nil, interns topic names, so a long scan allocates each name once.
func decodeCounts(v []byte, c *Counts, names map[string]string) error {
	topics := c.Topics[:0]
	*c = Counts{}
	if len(v) == 0 || v[0] != rollupEncodingV1 {
		return errRollupEncoding
	}
	v = v[1:]
	n, k := binary.Uvarint(v)
	if k <= 0 || n > 1024 {
		return errRollupEncoding
	}
	v = v[k:]
	fs := c.fixed()
	for i := range int(n) {
		x, k := varint(v)
		if k <= 0 {
			return errRollupEncoding
		}
		v = v[k:]
		if i < numFixed {
			*fs[i] = x
		}
	}
	nt, k := binary.Uvarint(v)
	if k <= 0 || nt > uint64(len(v)) {
		return errRollupEncoding
	}
	v = v[k:]
	for range nt {
		l, k := binary.Uvarint(v)
		if k <= 0 || l > uint64(len(v)-k) {
			return errRollupEncoding
		}
		name := v[k : k+int(l)]
		v = v[k+int(l):]
		x, k2 := binary.Varint(v)
		if k2 <= 0 {
			return errRollupEncoding
		}
		v = v[k2:]
		var s string
		if names == nil {
			s = string(name)
		} else if s = names[string(name)]; s == "" {
			s = string(name)
			names[s] = s
		}
		topics = append(topics, TopicCount{s, x})
	}
	c.Topics = topics
	return nil
}

// RollupScan reads the records of hours in [From, To). Zero Source or
// Brand do not filter.
type RollupScan struct {
	From, To      time.Time
	Source, Brand string
}

// ScanRollups calls fn with every record of the scan, oldest hour first.
// The Rollup passed to fn is reused: fn must copy what it keeps (its
// strings may be kept, they are not reused). An error from fn stops the
// scan and is returned.
func (s *Store) ScanRollups(q RollupScan, fn func(*Rollup) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketRollups).Cursor()
		end := timeKey(q.To)
		names := map[string]string{} // interned source, brand and topic names
		intern := func(b []byte) string {
			if s, ok := names[string(b)]; ok {
				return s
			}
			s := string(b)
			names[s] = s
			return s
		}
		var r Rollup
		var lastHour []byte
		for k, v := c.Seek(timeKey(q.From)); k != nil; k, v = c.Next() {
			if len(k) < 9 {
				continue // not a record key; none are written
			}
			if bytes.Compare(k[:8], end) >= 0 {
				break
			}
			rest := k[8:]
			sep := bytes.IndexByte(rest, 0)
			if sep < 0 {
				continue
			}
			src, brand := rest[:sep], rest[sep+1:]
			if q.Source != "" && string(src) != q.Source || q.Brand != "" && string(brand) != q.Brand {
				continue
			}
			if err := decodeCounts(v, &r.Counts, names); err != nil {
				return fmt.Errorf("decode rollup %x: %w", k, err)
			}
			if !bytes.Equal(lastHour, k[:8]) {
				lastHour = append(lastHour[:0], k[:8]...)
				r.Hour = time.Unix(0, int64(binary.BigEndian.Uint64(k[:8]))).UTC()
			}
			r.Source, r.Brand = intern(src), intern(brand)
			if err := fn(&r); err != nil {
				return err
			}
		}
		return nil
	})
}

// Rollups returns copies of the records of the scan, oldest hour first.
func (s *Store) Rollups(q RollupScan) ([]Rollup, error) {
	var out []Rollup
	err := s.ScanRollups(q, func(r *Rollup) error {
		cp := *r
		cp.Topics = slices.Clone(r.Topics)
		out = append(out, cp)
		return nil
	})
	return out, err
}

// rollupsFromMentions computes every record from the stored mentions, as
// the incremental upkeep should have left them.
func rollupsFromMentions(tx *bolt.Tx) (rollupDelta, error) {
	d := rollupDelta{}
	err := tx.Bucket(bucketMentions).ForEach(func(k, v []byte) error {
		var m Mention
		if err := json.Unmarshal(v, &m); err != nil {
			return fmt.Errorf("decode mention %s: %w", k, err)
		}
		d.move(nil, &m)
		return nil
	})
	return d, err
}

// buildRollups is the migration to schema 3: it builds the hourly
// rollups from the mentions already stored.
func buildRollups(tx *bolt.Tx) error {
	if err := tx.DeleteBucket(bucketRollups); err != nil && !errors.Is(err, bolt.ErrBucketNotFound) {
		return err
	}
	if _, err := tx.CreateBucket(bucketRollups); err != nil {
		return err
	}
	d, err := rollupsFromMentions(tx)
	if err != nil {
		return fmt.Errorf("build rollups: %w", err)
	}
	if err := d.flush(tx); err != nil {
		return fmt.Errorf("build rollups: %w", err)
	}
	return nil
}
