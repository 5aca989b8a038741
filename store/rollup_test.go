package store

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

var rollupHour = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)

// storedRollups reads every record as stored, by key.
func storedRollups(t testing.TB, st *Store) map[string]Counts {
	t.Helper()
	out := map[string]Counts{}
	err := st.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRollups).ForEach(func(k, v []byte) error {
			var c Counts
			if err := decodeCounts(v, &c, nil); err != nil {
				return err
			}
			if len(c.Topics) == 0 {
				c.Topics = nil
			}
			out[string(k)] = c
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// rebuiltRollups computes every record from scratch from the mentions.
func rebuiltRollups(t testing.TB, st *Store) map[string]Counts {
	t.Helper()
	out := map[string]Counts{}
	err := st.db.View(func(tx *bolt.Tx) error {
		d, err := rollupsFromMentions(tx)
		for k, c := range d {
			if !c.IsZero() {
				if len(c.Topics) == 0 {
					c.Topics = nil
				}
				out[k] = *c
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func onlyRollup(t *testing.T, st *Store, q RollupScan) Rollup {
	t.Helper()
	rs, err := st.Rollups(q)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 {
		t.Fatalf("got %d records, want 1: %+v", len(rs), rs)
	}
	return rs[0]
}

func complaintScore(severity int, sentiment float64, topics ...string) *Score {
	return &Score{Scorer: "test", Lang: "id", Scored: true, Complaint: 0.9, Severity: severity, Sentiment: sentiment,
		ReplyState: ReplyNew, Target: time.Hour, Topics: topics}
}

func TestRollupCountsCustomerPostsRepliesAndAnswers(t *testing.T) {
	c := newClock()
	st, _ := openTest(t, c)
	post := mention("p1", "paket blm nyampe, kecewa bgt")
	post.Brand, post.Score = "acme", complaintScore(3, -0.6, "delivery", "late")
	praise := mention("p2", "makasih cepet banget")
	praise.Brand, praise.CreatedAt = "acme", rollupHour.Add(20*time.Minute)
	praise.Score = &Score{Scored: true, Lang: "id", Complaint: 0.1, Sentiment: 0.7, ReplyState: ReplyNotNeeded}
	if _, err := st.Ingest(Batch{Source: "masto", Kind: "mastodon", Mentions: []Mention{post, praise}}); err != nil {
		t.Fatal(err)
	}
	r := onlyRollup(t, st, RollupScan{From: rollupHour, To: rollupHour.Add(time.Hour)})
	if r.Source != "masto" || r.Brand != "acme" || !r.Hour.Equal(rollupHour) {
		t.Fatalf("record %q/%q at %v", r.Source, r.Brand, r.Hour)
	}
	want := Counts{Mentions: 2, Complaints: 1, Severity: [4]int64{0, 0, 1, 0}, Negative: 1, Positive: 1, SentimentMilli: 100,
		Topics: []TopicCount{{"delivery", 1}, {"late", 1}}}
	if !reflect.DeepEqual(r.Counts, want) {
		t.Fatalf("counts\n got %+v\nwant %+v", r.Counts, want)
	}

	// The brand answers 40 minutes later, in the next hour of the reply:
	// the post's record gets the answer, the reply's hour the reply.
	reply := Mention{NativeID: "r1", Text: "Mohon maaf kak, kami cek ya", ByBrand: true, Brand: "acme", ReplyTo: "mastodon:p1",
		Author: Author{Handle: "acme_care"}, CreatedAt: rollupHour.Add(40 * time.Minute),
		Score: &Score{Scored: true, Audit: &Audit{Verdict: "ok"}}}
	if _, err := st.Ingest(Batch{Source: "masto", Kind: "mastodon", Mentions: []Mention{reply}}); err != nil {
		t.Fatal(err)
	}
	r = onlyRollup(t, st, RollupScan{From: rollupHour, To: rollupHour.Add(time.Hour)})
	want.BrandReplies, want.AuditPass, want.Answered, want.AnsweredWithinTarget = 1, 1, 1, 1
	want.ResponseTime = [5]int64{0, 1, 0, 0, 0}
	if !reflect.DeepEqual(r.Counts, want) {
		t.Fatalf("after the answer\n got %+v\nwant %+v", r.Counts, want)
	}
	if r.SentimentMean() != 0.05 {
		t.Errorf("sentiment mean %v, want 0.05", r.SentimentMean())
	}
}

func TestRollupRescoreAndHandlingNeverDoubleCount(t *testing.T) {
	c := newClock()
	st, _ := openTest(t, c)
	m := mention("p1", "refund belum masuk")
	m.Score = complaintScore(2, -0.4, "refund")
	if _, err := st.Ingest(Batch{Source: "s", Kind: "rss", Mentions: []Mention{m}}); err != nil {
		t.Fatal(err)
	}
	overdue := *complaintScore(4, -0.8, "refund", "payment")
	overdue.Overdue = 30 * time.Minute
	for range 3 { // the same score saved again changes nothing
		if err := st.SaveScores(map[string]Score{"rss:p1": overdue}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.SetHandling("rss:p1", ReplyPrivate, "sari", true, "sari"); err != nil {
		t.Fatal(err)
	}
	r := onlyRollup(t, st, RollupScan{From: rollupHour, To: rollupHour.Add(time.Hour)})
	want := Counts{Mentions: 1, Complaints: 1, Severity: [4]int64{0, 0, 0, 1}, Negative: 1, SentimentMilli: -800,
		UnansweredPastTarget: 1, Topics: []TopicCount{{"payment", 1}, {"refund", 1}}}
	if !reflect.DeepEqual(r.Counts, want) {
		t.Fatalf("\n got %+v\nwant %+v", r.Counts, want)
	}
	// Re-scored as no longer a complaint: the complaint figures go back
	// to zero and the record keeps only the mention.
	if err := st.SaveScores(map[string]Score{"rss:p1": {Scored: true, Sentiment: 0, ReplyState: ReplyPrivate}}); err != nil {
		t.Fatal(err)
	}
	r = onlyRollup(t, st, RollupScan{From: rollupHour, To: rollupHour.Add(time.Hour)})
	if want := (Counts{Mentions: 1, Neutral: 1}); !reflect.DeepEqual(r.Counts, want) {
		t.Fatalf("after re-score\n got %+v\nwant %+v", r.Counts, want)
	}
}

func TestRollupScanFiltersAndBounds(t *testing.T) {
	c := newClock()
	st, _ := openTest(t, c)
	var ms []Mention
	for i, src := range []string{"a", "b"} {
		for h := range 3 {
			m := mention(fmt.Sprintf("%s%d", src, h), "x")
			m.Source, m.Brand, m.CreatedAt = src, []string{"acme", "beta"}[i], rollupHour.Add(time.Duration(h)*time.Hour+time.Minute)
			ms = append(ms, m)
		}
	}
	if _, err := st.Ingest(Batch{Kind: "rss", Mentions: ms}); err != nil {
		t.Fatal(err)
	}
	rs, err := st.Rollups(RollupScan{From: rollupHour.Add(time.Hour), To: rollupHour.Add(3 * time.Hour), Brand: "beta"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Source != "b" || !rs[0].Hour.Equal(rollupHour.Add(time.Hour)) || !rs[1].Hour.Equal(rollupHour.Add(2*time.Hour)) {
		t.Fatalf("got %+v", rs)
	}
	rs, _ = st.Rollups(RollupScan{From: rollupHour, To: rollupHour.Add(time.Hour), Source: "a"})
	if len(rs) != 1 || rs[0].Mentions != 1 {
		t.Fatalf("source filter: %+v", rs)
	}
}

// A store written before rollups existed (schema 1, migrated through every
// step) gets them built at Open.
func TestRollupMigrationFromSchema1(t *testing.T) {
	c := newClock()
	st, path := openTest(t, c)
	ms := []Mention{mention("a", "x"), mention("b", "y")}
	ms[0].Score = complaintScore(1, -0.2, "app")
	if _, err := st.Ingest(Batch{Source: "s", Kind: "rss", Mentions: ms}); err != nil {
		t.Fatal(err)
	}
	want := storedRollups(t, st)
	// Turn it into a schema-1 file: no rollups bucket, version 1.
	err := st.db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bucketRollups); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keySchema, []byte{1})
	})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	st, err = Open(path, Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if got := storedRollups(t, st); len(got) != 1 || !reflect.DeepEqual(got, want) {
		t.Fatalf("after migration\n got %+v\nwant %+v", got, want)
	}
	var v []byte
	st.db.View(func(tx *bolt.Tx) error { v = append(v, tx.Bucket(bucketMeta).Get(keySchema)...); return nil })
	if len(v) != 1 || int(v[0]) != SchemaVersion() {
		t.Errorf("schema after migration %v, want %d", v, SchemaVersion())
	}
}

// After any sequence of ingests (new posts, brand replies that answer
// them), re-scores and handling changes, the incrementally kept rollups
// equal the ones rebuilt from the mentions.
func TestRollupIncrementalEqualsRebuilt(t *testing.T) {
	for seed := range uint64(6) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			c := newClock()
			st, _ := openTest(t, c)
			var keys []string
			sources, brands := []string{"masto", "rss", "=evil"}, []string{"acme", "beta", ""}
			topics := []string{"delivery", "late", "refund", "app", "price"}
			randScore := func() Score {
				sc := Score{Scored: rng.IntN(5) > 0, Complaint: rng.Float64(), Severity: rng.IntN(5),
					Sentiment: float64(rng.IntN(2001)-1000) / 1000, Target: time.Duration(rng.IntN(3)) * time.Hour,
					ReplyState: []ReplyState{ReplyNew, ReplyAnswered, ReplyNotNeeded}[rng.IntN(3)]}
				if rng.IntN(2) == 0 {
					sc.Overdue = time.Duration(rng.IntN(90)) * time.Minute
				}
				for range rng.IntN(3) {
					sc.Topics = append(sc.Topics, topics[rng.IntN(len(topics))])
				}
				if rng.IntN(3) == 0 {
					sc.Audit = &Audit{Verdict: []string{"ok", "violation", "needs_attention"}[rng.IntN(3)]}
				}
				return sc
			}
			for step := range 300 {
				switch op := rng.IntN(10); {
				case op < 5 || len(keys) == 0: // a batch of new posts and replies
					var batch []Mention
					for range 1 + rng.IntN(4) {
						id := fmt.Sprint("m", step, "-", len(batch))
						m := Mention{NativeID: id, Text: "t", Author: Author{Handle: "u"},
							Source: sources[rng.IntN(len(sources))], Brand: brands[rng.IntN(len(brands))],
							CreatedAt: rollupHour.Add(time.Duration(rng.IntN(72*60)) * time.Minute)}
						if rng.IntN(3) == 0 && len(keys) > 0 {
							m.ByBrand, m.ReplyTo = true, keys[rng.IntN(len(keys))]
						}
						if rng.IntN(2) == 0 {
							sc := randScore()
							m.Score = &sc
						}
						batch = append(batch, m)
					}
					res, err := st.Ingest(Batch{Kind: "rss", Mentions: batch})
					if err != nil {
						t.Fatal(err)
					}
					for _, m := range res.New {
						keys = append(keys, m.Key)
					}
				case op < 8: // a re-score, of stored keys and one unknown
					scores := map[string]Score{"rss:nope": randScore()}
					for range 1 + rng.IntN(5) {
						scores[keys[rng.IntN(len(keys))]] = randScore()
					}
					if err := st.SaveScores(scores); err != nil {
						t.Fatal(err)
					}
				default:
					state := []ReplyState{"", ReplyPrivate, ReplyResolved, ReplyNotNeeded}[rng.IntN(4)]
					if _, err := st.SetHandling(keys[rng.IntN(len(keys))], state, "sari", rng.IntN(2) == 0, "sari"); err != nil {
						t.Fatal(err)
					}
				}
				c.Add(time.Minute)
			}
			got, want := storedRollups(t, st), rebuiltRollups(t, st)
			if len(want) == 0 {
				t.Fatal("no rollups at all")
			}
			if !reflect.DeepEqual(got, want) {
				for k := range want {
					if !reflect.DeepEqual(got[k], want[k]) {
						t.Errorf("record %q\n got %+v\nwant %+v", k, got[k], want[k])
					}
				}
				t.Fatalf("%d stored records, %d rebuilt", len(got), len(want))
			}
		})
	}
}

func TestRollupDecodeRefusesBrokenRecords(t *testing.T) {
	full := encodeCounts(&Counts{Mentions: 3, Topics: []TopicCount{{"refund", 2}}})
	var c Counts
	if err := decodeCounts(full, &c, nil); err != nil || c.Mentions != 3 || c.Topics[0] != (TopicCount{"refund", 2}) {
		t.Fatalf("round trip: %+v %v", c, err)
	}
	for n := range len(full) {
		if err := decodeCounts(full[:n], &c, nil); err == nil {
			t.Errorf("truncated to %d bytes: no error", n)
		}
	}
	if err := decodeCounts([]byte{9, 0, 0}, &c, nil); err == nil {
		t.Error("unknown version accepted")
	}
}

func TestRollupContributionBoundsHostileScores(t *testing.T) {
	long := string(make([]byte, 100))
	sc := complaintScore(9, 5, "a", "a", "b\x00", long, "c", "d", "e", "f", "g", "h", "i", "j")
	m := mention("x", "y")
	m.Score = sc
	c := contribution(&m)
	if c.Severity != [4]int64{} {
		t.Errorf("severity 9 counted: %v", c.Severity)
	}
	if c.SentimentMilli != 1000 {
		t.Errorf("sentiment 5 counted as %d thousandths, want clamped to 1000", c.SentimentMilli)
	}
	if len(c.Topics) != maxTopicsPerRecord || c.Topics[0] != (TopicCount{"a", 1}) {
		t.Errorf("topics %+v: want %d, deduplicated, no control bytes or long names", c.Topics, maxTopicsPerRecord)
	}
	for _, tc := range c.Topics {
		if tc.Topic == long || tc.Topic == "b\x00" {
			t.Errorf("kept topic %q", tc.Topic)
		}
	}
}

// A post claiming to come from the future (year 5000 would overflow the
// nanosecond keys) is counted in the hour Pantau saw it.
func TestRollupFutureCreatedAtUsesSeenAt(t *testing.T) {
	c := newClock()
	st, _ := openTest(t, c)
	m := mention("f", "x")
	m.CreatedAt = time.Date(5000, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := st.Ingest(Batch{Source: "s", Kind: "rss", Mentions: []Mention{m}}); err != nil {
		t.Fatal(err)
	}
	seen := c.Now().Truncate(time.Hour)
	r := onlyRollup(t, st, RollupScan{From: time.Unix(0, 0), To: time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)})
	if !r.Hour.Equal(seen) || r.Mentions != 1 {
		t.Fatalf("record at %v with %d mentions, want %v", r.Hour, r.Mentions, seen)
	}
}

// BenchmarkRollupUpkeep is the CPU the rollups add to a write, without the
// fsync that dominates BenchmarkIngest's wall time: per new mention, per
// re-score, and per record rewritten at commit.
//
//	go test ./store -run '^$' -bench RollupUpkeep
func BenchmarkRollupUpkeep(b *testing.B) {
	m := mention("p1", "paket blm nyampe")
	m.Source, m.Brand = "masto", "acme"
	m.Score = complaintScore(3, -0.6, "delivery", "late")
	old := m
	old.Score = complaintScore(2, -0.4, "delivery")
	b.Run("new-mention", func(b *testing.B) {
		b.ReportAllocs()
		var d rollupDelta
		for b.Loop() {
			d.move(nil, &m)
		}
	})
	b.Run("re-score", func(b *testing.B) {
		b.ReportAllocs()
		var d rollupDelta
		for b.Loop() {
			d.move(&old, &m)
		}
	})
	b.Run("record-rewrite", func(b *testing.B) {
		b.ReportAllocs()
		stored := encodeCounts(&Counts{Mentions: 40, Complaints: 12, Severity: [4]int64{3, 4, 4, 1}, Negative: 20, Positive: 5,
			Topics: []TopicCount{{"app", 2}, {"delivery", 7}, {"late", 4}, {"refund", 3}}})
		delta := contribution(&m)
		var c Counts
		for b.Loop() {
			if err := decodeCounts(stored, &c, nil); err != nil {
				b.Fatal(err)
			}
			c.Add(&delta, 1)
			_ = encodeCounts(&c)
		}
	})
}

func TestRollupVarintMatchesBinary(t *testing.T) {
	for _, x := range []int64{0, 1, -1, 63, -64, 64, -65, 1 << 40, -(1 << 40)} {
		b := binary.AppendVarint(nil, x)
		if got, n := varint(b); got != x || n != len(b) {
			t.Errorf("varint(%d) = %d, %d bytes; want %d bytes", x, got, n, len(b))
		}
	}
}
